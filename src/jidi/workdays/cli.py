"""`jidi holidays`: the official holiday calendar."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from jidi.kit.cli import container
from jidi.workdays.calendar import OFFICIAL, OPERATOR, LibraryCalendar, WorkdayCalendar
from jidi.workdays.schedule import MAX_SOURCE, ScheduleError, parse_file


@click.group()
def holidays() -> None:
    """The official holiday calendar that rights-request deadlines count working days with."""


@holidays.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", help="Where the schedule comes from, e.g. the State Council notice's number "
                               "(default: the file's \"source\", else the file name).")
@click.option("--year", type=int, help="Refuse the file unless its dates are in this year.")
def holidays_load(file: Path, source: str | None, year: int | None) -> None:
    """Load one year's official schedule (holidays and make-up workdays) from a JSON or CSV file.

    The file replaces whatever was loaded for that year, in one transaction; a file with any problem loads
    nothing. See docs/holidays-2027.example.json for the format.
    """
    try:
        schedule = parse_file(file)
        problems = []
        if year is not None and schedule.year != year:
            problems.append(f"--year {year} was given but the file's dates are in {schedule.year}")
        if schedule.example:
            problems.append('the file is marked "example": true: it is a format sample, not an official schedule')
        source = (source or schedule.source or file.name).strip()
        if len(source) > MAX_SOURCE:
            problems.append(f"--source is longer than {MAX_SOURCE} characters")
        if problems:
            raise ScheduleError(problems)
    except ScheduleError as exc:
        click.echo(f"{file} is not a valid holiday schedule; nothing was loaded:", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    loaded = container().rights.load_holidays(schedule, source)
    click.echo(f"loaded {schedule.year} from {source}: {_count(len(schedule.holidays), 'holiday day')}, "
               f"{_count(len(schedule.workdays), 'make-up workday')}")
    if loaded.replaced is not None:
        click.echo(f"  replaces the schedule loaded {loaded.replaced.loaded_at:%Y-%m-%d %H:%M} UTC from {loaded.replaced.source}")
    if LibraryCalendar().year(schedule.year) is not None:
        click.echo(f"  note: chinese-calendar ships {schedule.year} too; the loaded schedule now takes its place")
    click.echo(f"  due dates of open rights requests counted again: {loaded.recomputed}; changed: {loaded.moved} "
               "(each in the request's history, its requester told by SMS)")
    click.echo("  running servers pick it up within 5 minutes (a deadline that would still be provisional: at once)")


@holidays.command("show")
@click.argument("year", type=click.IntRange(1900, 2200))
def holidays_show(year: int) -> None:
    """List a year's holidays and make-up workdays, and say where they come from."""
    c = container()
    calendar = WorkdayCalendar(c.sessions)
    with c.uow() as s:
        sched = calendar.year(year, session=s)
    if sched.status == OFFICIAL:
        click.echo(f"{year}: official — the State Council's schedule as shipped in {sched.source}")
    elif sched.status == OPERATOR:
        click.echo(f"{year}: operator-loaded from {sched.source} on {sched.loaded_at:%Y-%m-%d %H:%M} UTC")
        if calendar.library.year(year) is not None:
            click.echo(f"  (takes the place of the {calendar.library.version} data for {year})")
    else:
        click.echo(f"{year}: provisional — no official schedule is loaded, so only weekends are skipped and every "
                   f"deadline that counts a day in {year} is marked provisional.\n"
                   "  Load the State Council's notice (published each November) with `jidi holidays load FILE`.")
        return
    click.echo(f"holidays ({_count(len(sched.holidays), 'day')}):")
    for first, last, name in _date_runs(sched.holidays):
        span = first.isoformat() if first == last else f"{first} – {last}"
        click.echo(f"  {span:<25} {name}  ({_count((last - first).days + 1, 'day')})")
    click.echo(f"make-up workdays ({len(sched.workdays)}):")
    for day, name in sched.workdays:
        click.echo(f"  {day} {day:%a}    {name}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _date_runs(days):
    """[(date, name)] in date order → [(first, last, name)] of consecutive dates with the same name."""
    runs = []
    for day, name in days:
        if runs and runs[-1][2] == name and (day - runs[-1][1]).days == 1:
            runs[-1][1] = day
        else:
            runs.append([day, day, name])
    return [tuple(r) for r in runs]
