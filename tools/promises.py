"""`make promises`: run the suite and print, per area of docs/PROMISES.md, which promise IDs are covered by at
least one passing test (tests carry @pytest.mark.promise("ID")) and which are not.

    python tools/promises.py                 # run the whole suite, then report
    python tools/promises.py --report FILE   # report from an earlier run's JSON lines
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.promise_ids import areas  # noqa: E402


def run_suite(report: Path, pytest_args: list[str]) -> int:
    env = dict(os.environ, JIDI_PROMISE_REPORT=str(report))
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args], cwd=ROOT, env=env)


def summarise(report: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    passed: dict[str, set[str]] = defaultdict(set)
    failed: dict[str, set[str]] = defaultdict(set)
    for line in report.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        for pid in rec["ids"]:
            (passed if rec["passed"] else failed)[pid].add(rec["test"])
    return passed, failed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", type=Path)
    args, pytest_args = parser.parse_known_args()
    status = 0
    if args.report is None:
        args.report = Path(tempfile.mkdtemp()) / "promises.jsonl"
        status = run_suite(args.report, pytest_args)
    passed, failed = summarise(args.report) if args.report.exists() else ({}, {})
    total = covered = 0
    print("\nPromise coverage (an ID counts when at least one test tagged with it passed)\n")
    for area, ids in areas().items():
        have = [i for i in ids if i in passed]
        total, covered = total + len(ids), covered + len(have)
        print(f"{area}: {len(have)}/{len(ids)}")
        if have:
            print("  covered:     " + ", ".join(have))
        missing = [i for i in ids if i not in passed]
        if missing:
            print("  not covered: " + ", ".join(missing))
        broken = [i for i in ids if i in failed]
        if broken:
            print("  FAILING:     " + ", ".join(broken))
    print(f"\nTotal: {covered}/{total} promise IDs covered")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
