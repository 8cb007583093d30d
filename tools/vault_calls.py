"""Count the calls features make on the vault, outside the privacy core.

`python tools/vault_calls.py` prints the total and the count per method. Features seal by assigning to personal
attributes and open through `jidi.privacy.open`; features find rows by a personal value through
the model's column (`jidi.privacy.Finder`) and the rate limiter hashes what it counts; what remains on the vault is
shredding, creating a subject, comparing a value, an erasure check and the composition root's wiring. tests/test_privacy_core.py keeps the count from growing back.
"""
from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "jidi"
CALL = re.compile(r"vault\.([a-z_]+)")
# The ways to open or seal a value by hand that the model and `privacy.open` replaced: none may come back.
RETIRED = {"set", "get", "use", "reveal", "reveal_held", "preload"}


def count(src: Path = SRC) -> collections.Counter:
    """The vault calls (method name → number) in every module of jidi outside jidi.privacy."""
    found: collections.Counter = collections.Counter()
    for path in src.rglob("*.py"):
        if path.is_relative_to(src / "privacy"):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            found.update(CALL.findall(line))
    return found


def main() -> int:
    found = count()
    print(sum(found.values()))
    for name, n in found.most_common():
        print(f"  {name}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
