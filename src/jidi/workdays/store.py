"""Reading and replacing the operator-loaded years in the database."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jidi.workdays.models import CalendarDay, CalendarYear
from jidi.workdays.schedule import Schedule


@dataclasses.dataclass(frozen=True)
class LoadedYear:
    year: int
    source: str
    loaded_at: dt.datetime
    days: tuple[tuple[dt.date, str, str], ...]  # (day, kind, name) in date order


def replace_year(session: Session, schedule: Schedule, source: str, now: dt.datetime) -> int:
    """Make `schedule` the loaded schedule of its year, replacing whatever was loaded for that year before.

    Runs in the caller's transaction: if anything fails, the year keeps its previous rows (or stays unloaded).
    Returns the number of days written.
    """
    session.execute(delete(CalendarDay).where(CalendarDay.year == schedule.year))
    year = session.get(CalendarYear, schedule.year)
    if year is None:
        session.add(CalendarYear(year=schedule.year, source=source, loaded_at=now))
    else:
        year.source, year.loaded_at = source, now
    session.flush()
    session.add_all(CalendarDay(day=d.day, year=schedule.year, kind=d.kind, name=d.name) for d in schedule.days)
    session.flush()
    return len(schedule.days)


def read_year(session: Session, year: int) -> LoadedYear | None:
    """The operator-loaded schedule of `year`, or None if that year has not been loaded."""
    row = session.get(CalendarYear, year)
    if row is None:
        return None
    days = session.execute(
        select(CalendarDay.day, CalendarDay.kind, CalendarDay.name).where(CalendarDay.year == year).order_by(CalendarDay.day)
    ).all()
    return LoadedYear(row.year, row.source, row.loaded_at, tuple((d, k, n) for d, k, n in days))

