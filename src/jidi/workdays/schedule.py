"""Reading and checking an official holiday schedule file (放假安排) before it is loaded.

Two formats, chosen by the file's extension (`.json`, `.csv`):

JSON::

    {"year": 2027, "source": "国办发明电〔…〕…号", "days": [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2027-02-20", "kind": "workday", "name": "春节"}]}

(`year`, `source` and `note` are optional; `"example": true` marks a format sample that must not be loaded as
official data; a bare list of days is accepted too.)

CSV, with a header row; lines starting with `#` are comments::

    date,kind,name
    2027-01-01,holiday,元旦
    2027-02-20,workday,春节

`kind` is `holiday` (放假, also `休`) or `workday` (a make-up working day, 调休上班, also `班`). List only the days
that differ from the Monday–Friday rule; holidays may include the weekend days inside a holiday block.

The checks (all problems are reported at once, with where they are): every date is a real YYYY-MM-DD date, all
in one year (and in `year` if given), none twice; `kind` is one of the two; a holiday has a name (at most 40
characters); a make-up workday falls on a Saturday or Sunday (a Monday–Friday is a working day already, so a
weekday listed as `workday` is a mistake in the file); and the year has at least one holiday.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

HOLIDAY, WORKDAY = "holiday", "workday"
KINDS = {HOLIDAY: HOLIDAY, WORKDAY: WORKDAY, "休": HOLIDAY, "班": WORKDAY}
MAX_NAME = 40
MAX_SOURCE = 200
MAX_FILE_BYTES = 1_000_000
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_JSON_KEYS = {"year", "source", "note", "example", "days"}
_DAY_KEYS = {"date", "kind", "name"}


@dataclasses.dataclass(frozen=True)
class ScheduleDay:
    day: dt.date
    kind: str  # holiday | workday
    name: str


@dataclasses.dataclass(frozen=True)
class Schedule:
    """One year's checked schedule: the days that differ from Monday–Friday, in date order."""

    year: int
    days: tuple[ScheduleDay, ...]
    source: str | None = None
    example: bool = False

    @property
    def holidays(self) -> tuple[ScheduleDay, ...]:
        return tuple(d for d in self.days if d.kind == HOLIDAY)

    @property
    def workdays(self) -> tuple[ScheduleDay, ...]:
        return tuple(d for d in self.days if d.kind == WORKDAY)


class ScheduleError(ValueError):
    """The file is not a valid schedule; `problems` lists every problem found, each saying where."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def parse_file(path: Path | str) -> Schedule:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScheduleError([f"cannot read {path}: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScheduleError([f"{path.name} is larger than {MAX_FILE_BYTES} bytes; a year's schedule is a few dozen lines"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScheduleError([f"{path.name} is not UTF-8 text (byte {exc.start})"]) from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        return parse_json(text)
    if suffix == ".csv":
        return parse_csv(text)
    raise ScheduleError([f"{path.name}: unknown format {suffix or '(no extension)'!r}; use a .json or .csv file"])


def parse_json(text: str) -> Schedule:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScheduleError([f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from None
    problems: list[str] = []
    year = source = None
    example = False
    entries: object = []
    if isinstance(doc, list):
        entries = doc
    elif isinstance(doc, dict):
        if unknown := sorted(set(doc) - _JSON_KEYS):
            problems.append(f"unknown top-level field(s) {', '.join(unknown)}; expected {', '.join(sorted(_JSON_KEYS))}")
        entries = doc.get("days")
        if not isinstance(entries, list):
            problems.append('"days" must be a list of {"date", "kind", "name"} objects')
            entries = []
        year = doc.get("year")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            problems.append(f'"year" must be a number like 2027, not {year!r}')
            year = None
        source = doc.get("source")
        if source is not None and not isinstance(source, str):
            problems.append('"source" must be text')
            source = None
        example = doc.get("example", False)
        if not isinstance(example, bool):
            problems.append('"example" must be true or false')
            example = True
    else:
        raise ScheduleError(["the JSON must be an object with a \"days\" list, or a list of days"])
    rows = []
    for i, entry in enumerate(entries):
        where = f"days[{i}]"
        if not isinstance(entry, dict):
            problems.append(f'{where}: must be an object with "date", "kind" and "name"')
            continue
        if unknown := sorted(set(entry) - _DAY_KEYS):
            problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
        rows.append((where, entry.get("date"), entry.get("kind"), entry.get("name", "")))
    return _check(rows, year=year, source=source, example=example, problems=problems)


def parse_csv(text: str) -> Schedule:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ScheduleError(["the CSV is empty; expected a header row date,kind,name and one row per day"])
    try:
        table = [next(csv.reader([line])) for _, line in lines]
    except csv.Error as exc:
        raise ScheduleError([f"not valid CSV: {exc}"]) from None
    header = [h.strip().lower() for h in table[0]]
    if header[:2] != ["date", "kind"] or header[2:] not in ([], ["name"]):
        raise ScheduleError([f"line {lines[0][0]}: the header must be date,kind,name (got {','.join(table[0])})"])
    rows, problems = [], []
    for (n, _), cells in zip(lines[1:], table[1:]):
        where = f"line {n}"
        if len(cells) > len(header):
            problems.append(f"{where}: {len(cells)} columns, expected at most {len(header)}")
        cells = [c.strip() for c in cells] + [""] * len(header)
        rows.append((where, cells[0], cells[1], cells[2] if len(header) == 3 else ""))
    return _check(rows, year=None, source=None, example=False, problems=problems)


def _check(rows, *, year: int | None, source: str | None, example: bool, problems: list[str]) -> Schedule:
    days: list[ScheduleDay] = []
    seen: dict[dt.date, str] = {}
    for where, raw_date, raw_kind, raw_name in rows:
        day = _date(raw_date)
        if day is None:
            problems.append(f"{where}: date {raw_date!r} is not a calendar date written YYYY-MM-DD")
        elif day in seen:
            problems.append(f"{where}: {day} is listed twice (first at {seen[day]})")
        else:
            seen[day] = where
        kind = KINDS.get(raw_kind.strip().lower()) if isinstance(raw_kind, str) else None
        if kind is None:
            problems.append(f"{where}: kind {raw_kind!r} must be \"holiday\" or \"workday\"")
        if not isinstance(raw_name, str):
            problems.append(f"{where}: name must be text")
            raw_name = ""
        name = raw_name.strip()
        if len(name) > MAX_NAME:
            problems.append(f"{where}: name is longer than {MAX_NAME} characters")
        if kind == HOLIDAY and not name:
            problems.append(f"{where}: a holiday needs its name, e.g. 春节 or 国庆节")
        if day is not None and kind == WORKDAY and day.weekday() < 5:
            problems.append(f"{where}: {day} is a {_WEEKDAYS[day.weekday()]}, a working day already; "
                            "list as workday only the Saturdays and Sundays worked in lieu (调休上班)")
        if day is not None and kind is not None:
            days.append(ScheduleDay(day, kind, name))
    if source is not None and len(source.strip()) > MAX_SOURCE:
        problems.append(f'"source" is longer than {MAX_SOURCE} characters')
    years = sorted({d.day.year for d in days})
    if len(years) > 1:
        problems.append(f"the dates span several years ({', '.join(map(str, years))}); load one year per file")
    if year is not None and years and years != [year]:
        problems.append(f'"year" says {year} but the dates are in {", ".join(map(str, years))}')
    if not rows:
        problems.append("the file lists no days")
    elif not problems and not any(d.kind == HOLIDAY for d in days):
        problems.append("the file lists no holiday; an official schedule always has some (元旦, 春节, 国庆节, …)")
    if problems:
        raise ScheduleError(problems)
    return Schedule(
        year=years[0], days=tuple(sorted(days, key=lambda d: d.day)),
        source=(source or "").strip() or None, example=example,
    )


def _date(raw) -> dt.date | None:
    if not isinstance(raw, str) or not _ISO_DATE.match(raw.strip()):
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None
