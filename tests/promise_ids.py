"""The promise IDs of docs/PROMISES.md (a copy of ../shared/PROMISES.md), grouped by area."""
from __future__ import annotations

import functools
import re
from pathlib import Path

PROMISES = Path(__file__).resolve().parent.parent / "docs" / "PROMISES.md"
_AREA = re.compile(r"^## (\d+)\. (.+)$")
_BULLET = re.compile(r"^- \*\*(.+?)\*\*:")


@functools.cache
def areas() -> dict[str, list[str]]:
    """{"1. Accounts & login": ["JD-1.1.1a", …], …} in document order."""
    out: dict[str, list[str]] = {}
    current = None
    for line in PROMISES.read_text(encoding="utf-8").splitlines():
        if m := _AREA.match(line):
            current = f"{m.group(1)}. {m.group(2)}"
            out[current] = []
        elif current and (m := _BULLET.match(line)):
            out[current] += re.findall(r"`([^`]+)`", m.group(1))
    return out


def all_ids() -> set[str]:
    return {pid for ids in areas().values() for pid in ids}


def check_marker(pid: str, nodeid: str) -> None:
    if pid not in all_ids():
        raise ValueError(f"{nodeid}: @pytest.mark.promise({pid!r}) is not an ID in docs/PROMISES.md")
