"""The PRC working-day calendar and the deadlines of rights requests (PROMISES JD-6.1.2b, CN-12.1b, Ambiguity A1).

Which days are working days
    Monday to Friday, except statutory holidays, plus the weekend days worked in lieu (调休上班). For each year the
    holidays and make-up workdays come from, in this order:

    1. the operator-loaded schedule (`jidi holidays load FILE`, table `calendar_days`): for a year it has loaded
       it wins over the library, entirely (the loaded file is the whole schedule of that year);
    2. the `chinese-calendar` library, which ships the State Council's schedules from 2004 up to its release
       (1.11.0: up to 2026); it raises NotImplementedError for other years, which counts as "no data";
    3. otherwise the year is *provisional*: only weekends are skipped, and every deadline that counts a day in
       that year says so (`Deadline.provisional`, `Deadline.years_missing`) until its schedule is loaded.

How a deadline is counted (JD and ZK: 15 working days from receipt)
    * The request's receipt instant (UTC) is turned into the date in China (Asia/Shanghai): a request received
      at 2026-03-10 16:30 UTC was received on 2026-03-11.
    * The day of receipt is not counted; counting starts the next day (Civil Code art. 201: 按照年、月、日计算期间
      的,开始的当日不计入,自下一日开始计算). Day 1 is the first working day after the day of receipt, so a
      request received on a Saturday, a Sunday or a holiday starts counting on the next working day, the same
      as one received on the working day before it.
    * The due date is the n-th working day counted so; the request must be answered by the end of that day in
      China (`Deadline.ends_at`). Counting working days, the due date is always a working day, so it never
      needs to move off a holiday (Civil Code art. 203).

Cainiao (15 calendar days after identity verification)
    The period starts on the day after the date (in China) on which identity verification completed; the due
    date is that date + 15 calendar days. It does not move when it falls on a holiday or weekend: art. 203
    would allow that, but the promise is "十五日内", and keeping the earlier date can only keep it. No holiday
    data is involved, so such a deadline is never provisional. Until verification completes there is no
    deadline: `due_date` returns None (shown as "not started").

Caching
    A year's schedule is built once and kept for `ttl_seconds` (default 5 minutes), so listing many requests
    costs one query per year per ttl. A year loaded by `jidi holidays load` in another process is seen by a
    running server within that time; `invalidate()` drops the cache at once. Inside a unit of work, pass its
    `session=` so the calendar reads through the open transaction instead of opening its own.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy.orm import Session

from jidi.i18n import N_
from jidi.workdays import store
from jidi.workdays.schedule import HOLIDAY, WORKDAY

SHANGHAI = ZoneInfo("Asia/Shanghai")
ONE_DAY = dt.timedelta(days=1)

WORKING_DAYS_FROM_RECEIPT = "working_days_from_receipt"
CALENDAR_DAYS_FROM_VERIFICATION = "calendar_days_from_verification"
Rule = Literal["working_days_from_receipt", "calendar_days_from_verification"]
RULES: tuple[str, ...] = (WORKING_DAYS_FROM_RECEIPT, CALENDAR_DAYS_FROM_VERIFICATION)

# Where a year's holidays come from.
OFFICIAL = "official"  # the chinese-calendar library's data (the State Council's published schedule)
OPERATOR = "operator"  # loaded by the operator from the State Council's notice
PROVISIONAL = "provisional"  # nothing known: weekends only

DUE = N_("Reply due by {date}")
DUE_PROVISIONAL = N_(
    "Reply due by {date} (provisional: the official holiday schedule for {years} is not loaded yet, so only "
    "weekends are skipped)"
)
NOT_STARTED = N_("Not started: the {days} days run from the day after your identity has been verified")


@dataclasses.dataclass(frozen=True)
class SpecialDay:
    kind: str  # holiday | workday
    name: str  # the holiday it belongs to, e.g. 春节; may be empty for an operator-loaded make-up workday


@dataclasses.dataclass(frozen=True)
class YearSchedule:
    """One year's days that differ from Monday–Friday, and where they come from."""

    year: int
    status: str  # official | operator | provisional
    days: Mapping[dt.date, SpecialDay]
    source: str  # e.g. "chinese-calendar 1.11.0", the operator's source text, or "" when provisional
    loaded_at: dt.datetime | None = None  # operator-loaded years only

    def is_workday(self, day: dt.date) -> bool:
        special = self.days.get(day)
        if special is not None:
            return special.kind == WORKDAY
        return day.weekday() < 5

    @property
    def holidays(self) -> list[tuple[dt.date, str]]:
        return [(d, s.name) for d, s in sorted(self.days.items()) if s.kind == HOLIDAY]

    @property
    def workdays(self) -> list[tuple[dt.date, str]]:
        return [(d, s.name) for d, s in sorted(self.days.items()) if s.kind == WORKDAY]


@dataclasses.dataclass(frozen=True)
class Deadline:
    """When a rights request must be answered: by the end of `due` (a date in China).

    `provisional` is True when the counting passed through a year whose official holidays are not known
    (`years_missing`). There only weekends were skipped, so the date can still change once that year's schedule
    is loaded (later for each holiday, earlier for each make-up workday): show it as provisional.
    """

    due: dt.date
    provisional: bool = False
    years_missing: tuple[int, ...] = ()
    counted_from: dt.date | None = None  # the local date of receipt (or verification); not itself counted
    rule: str = WORKING_DAYS_FROM_RECEIPT
    days: int = 15

    @property
    def ends_at(self) -> dt.datetime:
        """The instant the deadline passes (UTC): midnight in China at the end of the due date."""
        return dt.datetime.combine(self.due + ONE_DAY, dt.time(), SHANGHAI).astimezone(dt.timezone.utc)

    def is_overdue(self, now: dt.datetime) -> bool:
        return now >= self.ends_at


def describe(deadline: Deadline | None, gettext: Callable[[str], str], *, days: int = 15) -> str:
    """The deadline in words for the user and staff, in the caller's language (None: not started yet)."""
    if deadline is None:
        return gettext(NOT_STARTED).format(days=days)
    if deadline.provisional:
        years = "、".join(map(str, deadline.years_missing))
        return gettext(DUE_PROVISIONAL).format(date=deadline.due.isoformat(), years=years)
    return gettext(DUE).format(date=deadline.due.isoformat())


def local_date(when: dt.date | dt.datetime) -> dt.date:
    """The date in China of an instant (a timezone-aware datetime); a date is taken as already local."""
    if isinstance(when, dt.datetime):
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError("a naive datetime is ambiguous: pass the timezone-aware (UTC) instant")
        return when.astimezone(SHANGHAI).date()
    if isinstance(when, dt.date):
        return when
    raise TypeError(f"expected a date or datetime, not {type(when).__name__}")


class LibraryCalendar:
    """The official schedules shipped in `chinese-calendar`.

    `last_year` caps the years used (tests pin it so that a library release covering a later year does not
    change what they prove).
    """

    def __init__(self, last_year: int | None = None):
        self.last_year = last_year
        self.version = f"chinese-calendar {getattr(chinese_calendar, '__version__', '?')}"
        self._years: dict[int, YearSchedule | None] = {}

    def year(self, year: int) -> YearSchedule | None:
        """The library's schedule of `year`, or None if it has no data for that year."""
        if year not in self._years:
            self._years[year] = self._build(year)
        return self._years[year]

    def _build(self, year: int) -> YearSchedule | None:
        if self.last_year is not None and year > self.last_year:
            return None
        days: dict[dt.date, SpecialDay] = {}
        day = dt.date(year, 1, 1)
        while day.year == year:
            try:
                on_holiday, name = chinese_calendar.get_holiday_detail(day)
            except NotImplementedError:  # "no available data for year …"
                return None
            if name is not None:  # a statutory holiday, or a weekend worked in lieu
                days[day] = SpecialDay(HOLIDAY if on_holiday else WORKDAY, _chinese_name(name))
            day += ONE_DAY
        return YearSchedule(year, OFFICIAL, MappingProxyType(days), self.version)


def _chinese_name(english: str) -> str:
    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english


class WorkdayCalendar:
    """Working days and rights-request deadlines. One instance per process; it caches per year.

    `sessions` opens a database session to read operator-loaded years (None: the library and weekends only).
    """

    def __init__(
        self,
        sessions: Callable[[], Session] | None = None,
        *,
        library: LibraryCalendar | None = None,
        ttl_seconds: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._sessions = sessions
        self.library = library or LibraryCalendar()
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cache: dict[int, tuple[float, YearSchedule]] = {}
        self._lock = threading.Lock()

    # -- years -------------------------------------------------------------------------------------------
    def year(self, year: int, *, session: Session | None = None) -> YearSchedule:
        """The schedule that decides `year`: operator-loaded, else the library's, else provisional."""
        now = self._monotonic()
        hit = self._cache.get(year)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        schedule = self._operator_year(year, session) or self.library.year(year) or _weekends_only(year)
        with self._lock:
            self._cache[year] = (now, schedule)
        return schedule

    def invalidate(self, year: int | None = None) -> None:
        with self._lock:
            if year is None:
                self._cache.clear()
            else:
                self._cache.pop(year, None)

    def _operator_year(self, year: int, session: Session | None) -> YearSchedule | None:
        if session is not None:
            loaded = store.read_year(session, year)
        elif self._sessions is not None:
            with self._sessions() as own:
                loaded = store.read_year(own, year)
        else:
            return None
        if loaded is None:
            return None
        days = {d: SpecialDay(kind, name) for d, kind, name in loaded.days}
        return YearSchedule(year, OPERATOR, MappingProxyType(days), loaded.source, loaded.loaded_at)

    # -- days and deadlines ------------------------------------------------------------------------------
    def is_workday(self, day: dt.date | dt.datetime, *, session: Session | None = None) -> bool:
        day = local_date(day)
        return self.year(day.year, session=session).is_workday(day)

    def add_workdays(self, start: dt.date | dt.datetime, n: int, *, session: Session | None = None) -> Deadline:
        """The n-th working day after the day of `start` (its date in China, not itself counted)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a whole number of days ≥ 1, not {n!r}")
        start_day = local_date(start)
        day, counted, missing = start_day, 0, set()
        while counted < n:
            day += ONE_DAY
            schedule = self.year(day.year, session=session)
            if schedule.status == PROVISIONAL:
                missing.add(day.year)
            if schedule.is_workday(day):
                counted += 1
        return Deadline(day, bool(missing), tuple(sorted(missing)), start_day, WORKING_DAYS_FROM_RECEIPT, n)

    def due_date(
        self,
        rule: str,
        days: int,
        received_at: dt.date | dt.datetime,
        verified_at: dt.date | dt.datetime | None = None,
        *,
        session: Session | None = None,
    ) -> Deadline | None:
        """The deadline of a rights request under `rule`; None while a verification-based one has not started.

        * working_days_from_receipt: `days` working days after the day of receipt; the time identity
          verification takes counts inside them, so `verified_at` is not used.
        * calendar_days_from_verification: `days` calendar days after the day verification completed;
          None while `verified_at` is None.
        """
        if rule == WORKING_DAYS_FROM_RECEIPT:
            return self.add_workdays(received_at, days, session=session)
        if rule == CALENDAR_DAYS_FROM_VERIFICATION:
            if isinstance(days, bool) or not isinstance(days, int) or days < 1:
                raise ValueError(f"days must be a whole number ≥ 1, not {days!r}")
            if verified_at is None:
                return None
            start_day = local_date(verified_at)
            return Deadline(start_day + dt.timedelta(days=days), False, (), start_day, rule, days)
        raise ValueError(f"unknown deadline rule {rule!r}; expected one of {', '.join(RULES)}")

    def rights_deadline(
        self,
        settings,
        received_at: dt.date | dt.datetime,
        verified_at: dt.date | dt.datetime | None = None,
        *,
        session: Session | None = None,
    ) -> Deadline | None:
        """The deadline under this deployment's brand rule (`JIDI_RIGHTS_DEADLINE`, `JIDI_RIGHTS_DEADLINE_DAYS`)."""
        return self.due_date(settings.rights_deadline, settings.rights_deadline_days, received_at, verified_at,
                             session=session)


def due_date(
    rule: str,
    days: int,
    received_at: dt.date | dt.datetime,
    verified_at: dt.date | dt.datetime | None = None,
    *,
    calendar: WorkdayCalendar,
    session: Session | None = None,
) -> Deadline | None:
    """`calendar.due_date(...)`, as a function."""
    return calendar.due_date(rule, days, received_at, verified_at, session=session)


def _weekends_only(year: int) -> YearSchedule:
    return YearSchedule(year, PROVISIONAL, MappingProxyType({}), "")


def for_container(c) -> WorkdayCalendar:
    """The container's calendar (the feature's service factory)."""
    return WorkdayCalendar(c.sessions)
