"""The working-day calendar and rights-request deadlines (jidi.workdays): 15 PRC working days from receipt
(JD, ZK), 15 calendar days from identity verification (Cainiao), holidays from chinese-calendar up to 2026 and
from operator-loaded files after that, `jidi holidays load/show`.

The 2027 schedules below are FICTIONAL test data (the official 2027 schedule is not in our data): they only
prove that loaded holidays are skipped and loaded make-up workdays are counted.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jidi import cli
from jidi.config import Settings
from jidi.workdays import (
    CALENDAR_DAYS_FROM_VERIFICATION,
    OFFICIAL,
    OPERATOR,
    PROVISIONAL,
    WORKING_DAYS_FROM_RECEIPT,
    LibraryCalendar,
    WorkdayCalendar,
    describe,
    due_date,
)
from jidi.workdays.models import CalendarDay, CalendarYear
from jidi.privacy import Role
from jidi.workdays.schedule import Schedule, ScheduleDay, ScheduleError, parse_file, parse_json
from jidi.workdays.store import replace_year
from tests.pii import PHONES
from tests.test_accounts_api import auth, register
from tests.test_rights import code
from tests.test_rights_pages import staff_client, web_login

ME = PHONES[0]

D = dt.date
UTC = dt.timezone.utc
# The counting rule. JD-6.1.2b ("the due date is tracked and shown") is proved on stored requests, below.
JD_DEADLINE = ("JD-6.2.2", "JD-6.8.1b", "JD-10.2a")
EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "holidays-2027.example.json"

# Fictional: 2027-01-01 (Fri) and 2027-01-04 (Mon) off, Saturday 2027-01-09 worked in lieu.
FICTIONAL_2027 = {
    "year": 2027,
    "source": "fictional test schedule",
    "days": [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2027-01-04", "kind": "holiday", "name": "元旦"},
        {"date": "2027-01-09", "kind": "workday", "name": "元旦"},
    ],
}


# Fictional: Saturday 2027-01-02 worked in lieu, the holiday far later. Counted with weekends only, a deadline across
# New Year is 2027-01-11; with this schedule it is 2027-01-08: a provisional date left stored would break the promise.
MAKE_UP_DAY_FIRST_2027 = {
    "year": 2027,
    "source": "fictional test schedule, make-up workday first",
    "days": [
        {"date": "2027-01-02", "kind": "workday", "name": "元旦"},
        {"date": "2027-05-03", "kind": "holiday", "name": "劳动节"},
    ],
}


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def shanghai(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def library() -> LibraryCalendar:
    # Pinned to 2026, the library's last year today, so a later release shipping 2027 cannot change these tests.
    return LibraryCalendar(last_year=2026)


@pytest.fixture
def calendar(container):
    return WorkdayCalendar(container.sessions, library=library())


@pytest.fixture
def holidays_cli(container, monkeypatch, tmp_path):
    """Run `jidi holidays …` against the test database; files given as (name, text) are written first."""
    monkeypatch.setattr(cli, "_container", lambda: container)

    def run(*args, file: tuple[str, str | dict] | None = None):
        args = list(args)
        if file is not None:
            name, content = file
            path = tmp_path / name
            path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), encoding="utf-8")
            args.insert(2, str(path))
        return CliRunner().invoke(cli.main, args)

    return run


def stored(container, year: int):
    with container.uow() as s:
        row = s.get(CalendarYear, year)
        days = s.execute(select(CalendarDay.day, CalendarDay.kind, CalendarDay.name)
                         .where(CalendarDay.year == year).order_by(CalendarDay.day)).all()
        return (row.source, row.loaded_at) if row else None, [tuple(d) for d in days]


# -- the library's data (checked, not guessed) ------------------------------------------------------------

def test_the_library_ships_the_2026_schedule():
    y = LibraryCalendar().year(2026)
    assert y.status == OFFICIAL and y.source.startswith("chinese-calendar")
    assert [d for d, name in y.holidays if name == "国庆节"] == [D(2026, 10, d) for d in range(1, 8)]
    assert [d for d, name in y.holidays if name == "中秋"] == [D(2026, 9, 25), D(2026, 9, 26), D(2026, 9, 27)]
    assert [d for d, name in y.holidays if name == "春节"] == [D(2026, 2, d) for d in range(15, 24)]
    assert y.workdays == [(D(2026, 1, 4), "元旦"), (D(2026, 2, 14), "春节"), (D(2026, 2, 28), "春节"),
                          (D(2026, 5, 9), "劳动节"), (D(2026, 9, 20), "国庆节"), (D(2026, 10, 10), "国庆节")]


def test_years_the_library_does_not_know_are_provisional():
    # chinese-calendar raises NotImplementedError outside its years; that means "no data", not a crash.
    assert LibraryCalendar().year(2003) is None and LibraryCalendar().year(2100) is None
    assert library().year(2027) is None
    cal = WorkdayCalendar(library=library())
    assert cal.year(2003).status == PROVISIONAL and cal.year(2027).status == PROVISIONAL
    assert cal.is_workday(D(2027, 1, 1))  # a Friday: weekends only
    assert not cal.is_workday(D(2027, 1, 2))


# -- JD / ZK: 15 working days from receipt ------------------------------------------------------------

@pytest.mark.promise(*JD_DEADLINE)
def test_15_working_days_across_national_day_2026(calendar):
    # Received Monday 2026-09-28, 10:00 in China. Counted: 9-29, 9-30; 10-01..07 off; 10-08, 10-09, Saturday
    # 10-10 (worked in lieu), 10-12..16, 10-19..23.
    d = calendar.add_workdays(shanghai(2026, 9, 28, 10, 0), 15)
    assert (d.due, d.provisional, d.years_missing, d.counted_from) == (D(2026, 10, 23), False, (), D(2026, 9, 28))
    assert d.ends_at == utc(2026, 10, 23, 16, 0)  # midnight in China at the end of the due date
    assert not d.is_overdue(utc(2026, 10, 23, 15, 59)) and d.is_overdue(utc(2026, 10, 23, 16, 0))
    # Received on Friday 2026-09-18: Sunday 9-20 is worked in lieu and counts, Mid-Autumn 9-25..27 does not.
    assert calendar.add_workdays(D(2026, 9, 18), 15).due == D(2026, 10, 15)
    assert calendar.add_workdays(D(2026, 9, 18), 1).due == D(2026, 9, 20)
    assert describe(d, lambda s: s) == "Reply due by 2026-10-23"


@pytest.mark.promise(*JD_DEADLINE)
def test_15_working_days_across_spring_festival_2026(calendar):
    # Counted from Tue 2026-02-10: 2-11, 2-12, 2-13, Sat 2-14 (in lieu); 2-15..23 off; 2-24..27, Sat 2-28 (in
    # lieu), 3-02..06, 3-09.
    d = calendar.add_workdays(utc(2026, 2, 10, 2, 0), 15)
    assert (d.due, d.provisional) == (D(2026, 3, 9), False)
    assert calendar.add_workdays(D(2026, 2, 13), 1).due == D(2026, 2, 14)
    assert calendar.add_workdays(D(2026, 2, 14), 1).due == D(2026, 2, 24)
    assert not calendar.is_workday(D(2026, 2, 16)) and calendar.is_workday(D(2026, 2, 28))


@pytest.mark.promise(*JD_DEADLINE)
def test_a_request_received_on_a_non_working_day_counts_from_the_next_working_day(calendar):
    # The day of receipt never counts (Civil Code art. 201), so Friday, Saturday and Sunday receipt all count
    # from Monday 2026-03-16; 15 working days end on Friday 2026-04-03 (before Qingming, 4-04..06).
    for received in (shanghai(2026, 3, 13, 18, 0), shanghai(2026, 3, 14, 11, 0), D(2026, 3, 15)):
        assert calendar.add_workdays(received, 15).due == D(2026, 4, 3)
    assert calendar.add_workdays(shanghai(2026, 3, 14, 11, 0), 1).due == D(2026, 3, 16)
    # Received on a holiday (Saturday 2026-10-03, National Day): day 1 is Thursday 10-08.
    assert calendar.add_workdays(D(2026, 10, 3), 1).due == D(2026, 10, 8)
    assert calendar.add_workdays(D(2026, 10, 3), 15).due == D(2026, 10, 27)


@pytest.mark.promise(*JD_DEADLINE)
def test_receipt_late_in_the_evening_utc_is_the_next_day_in_shanghai(calendar):
    late = calendar.add_workdays(utc(2026, 3, 10, 16, 30), 15)  # 2026-03-11 00:30 in China
    before = calendar.add_workdays(utc(2026, 3, 10, 15, 59), 15)  # 2026-03-10 23:59 in China
    assert (late.counted_from, late.due) == (D(2026, 3, 11), D(2026, 4, 1))
    assert (before.counted_from, before.due) == (D(2026, 3, 10), D(2026, 3, 31))
    with pytest.raises(ValueError, match="naive"):
        calendar.add_workdays(dt.datetime(2026, 3, 10, 16, 30), 15)
    with pytest.raises(ValueError):
        calendar.add_workdays(D(2026, 3, 10), 0)


@pytest.mark.promise(*JD_DEADLINE)
def test_a_deadline_running_into_2027_without_its_schedule_is_provisional(calendar):
    # Weekends only in 2027: 12-22..25, 12-28..31, then Fri 2027-01-01 counts, 1-04..08, 1-11.
    d = calendar.add_workdays(utc(2026, 12, 21, 2, 0), 15)
    assert (d.due, d.provisional, d.years_missing) == (D(2027, 1, 11), True, (2027,))
    assert describe(d, lambda s: s).startswith("Reply due by 2027-01-11 (provisional: the official holiday schedule for 2027")
    # One that stays inside 2026 is not.
    assert not calendar.add_workdays(D(2026, 12, 1), 15).provisional
    assert calendar.add_workdays(D(2026, 12, 1), 15).due == D(2026, 12, 22)


@pytest.mark.promise(*JD_DEADLINE)
def test_loading_the_2027_schedule_makes_deadlines_final(container, holidays_cli):
    ticks = [0.0]
    cal = WorkdayCalendar(container.sessions, library=library(), monotonic=lambda: ticks[0])
    assert cal.add_workdays(D(2026, 12, 21), 15).provisional
    result = holidays_cli("holidays", "load", file=("2027.json", FICTIONAL_2027))
    assert result.exit_code == 0, result.output
    assert "loaded 2027 from fictional test schedule: 2 holiday days, 1 make-up workday" in result.output
    # A running process sees the loaded year once its cached year expires (or at once after invalidate()).
    assert cal.add_workdays(D(2026, 12, 21), 15).provisional
    ticks[0] += 301
    d = cal.add_workdays(D(2026, 12, 21), 15)
    # 12-22..25, 12-28..31; 1-01 off; 1-04 off; 1-05..08, Sat 1-09 (in lieu), 1-11, 1-12.
    assert (d.due, d.provisional, d.years_missing) == (D(2027, 1, 12), False, ())
    assert cal.year(2027).status == OPERATOR and cal.year(2027).source == "fictional test schedule"
    assert not cal.is_workday(D(2027, 1, 4)) and cal.is_workday(D(2027, 1, 9))
    # A new calendar (another process) sees it at once, and so does a read inside a unit of work.
    with container.uow() as s:
        assert WorkdayCalendar(container.sessions, library=library()).add_workdays(D(2026, 12, 21), 15, session=s) == d


# -- stored requests: the due date kept with each request, on the API, the page and the officer's queue ------

def _file_explanation(client, sms, clock) -> tuple[dict, str]:
    h = auth(register(client, sms, phone=ME))
    r = client.post("/api/v1/privacy/requests", headers=h, json={
        "kind": "explanation", "details": "How long do you keep my parcels?", "code": code(client, sms, clock, h)})
    assert r.status_code == 201, r.text
    return h, r.json()["id"]


@pytest.mark.promise(*JD_DEADLINE, "JD-6.1.2b")
def test_loading_a_year_recomputes_the_stored_due_dates_of_open_requests_and_tells_the_requester(
        app, client, sms, clock, container, holidays_cli):
    container.workdays = WorkdayCalendar(container.sessions, library=library())
    clock.now = utc(2026, 12, 21, 2, 0)  # Monday 10:00 in China
    h, rid = _file_explanation(client, sms, clock)
    r = client.get(f"/api/v1/privacy/requests/{rid}", headers=h).json()
    assert (r["due_on"], r["due_provisional"]) == ("2027-01-11", True)

    result = holidays_cli("holidays", "load", file=("2027.json", MAKE_UP_DAY_FIRST_2027))
    assert result.exit_code == 0, result.output
    assert "counted again: 1; changed: 1" in result.output
    # 12-22..25, 12-28..31, Fri 1-01, Sat 1-02 (in lieu), 1-04..08: the 15th working day is 2027-01-08.
    r = client.get(f"/api/v1/privacy/requests/{rid}", headers=h).json()
    assert (r["due_on"], r["due_provisional"]) == ("2027-01-08", False)
    assert r["history"][-1]["action"] == "due_changed"
    to, text = sms.sent[-1]
    assert to == ME and "2027-01-08" in text
    # The requester's page and the privacy officer's queue show the stored date.
    web_login(client, sms, clock, ME)
    page = client.get(f"/privacy/requests/{rid}").text
    assert 'data-date="2027-01-08"' in page and 'data-testid="provisional"' not in page
    officer = staff_client(app, container, Role.PRIVACY_OFFICER, "officer1")
    queue = officer.get("/staff/privacy").text
    assert f'data-id="{rid}"' in queue and 'data-due="2027-01-08"' in queue and 'data-provisional="0"' in queue
    # Loading the same schedule again moves nothing and tells no one.
    sent = len(sms.sent)
    result = holidays_cli("holidays", "load", file=("2027.json", MAKE_UP_DAY_FIRST_2027))
    assert "counted again: 1; changed: 0" in result.output and len(sms.sent) == sent


@pytest.mark.promise(*JD_DEADLINE, "JD-6.1.2b")
def test_a_request_filed_on_a_server_that_cached_the_year_before_another_process_loaded_it_stores_the_final_date(
        client, sms, clock, container):
    container.workdays = WorkdayCalendar(container.sessions, library=library())
    clock.now = utc(2026, 12, 21, 2, 0)
    assert container.workdays.year(2027).status == PROVISIONAL  # cached by this "server"
    with container.uow() as s:  # `jidi holidays load` in another process
        replace_year(s, parse_json(json.dumps(MAKE_UP_DAY_FIRST_2027)), "fictional", clock())
    h, rid = _file_explanation(client, sms, clock)
    r = client.get(f"/api/v1/privacy/requests/{rid}", headers=h).json()
    assert (r["due_on"], r["due_provisional"]) == ("2027-01-08", False)


def test_an_operator_loaded_year_replaces_the_library_for_that_year(container, holidays_cli, calendar):
    fictional_2026 = {"source": "fictional correction", "days": [
        {"date": "2026-10-01", "kind": "holiday", "name": "国庆节"},
        {"date": "2026-10-08", "kind": "holiday", "name": "国庆节"}]}
    result = holidays_cli("holidays", "load", file=("2026.json", fictional_2026))
    assert result.exit_code == 0, result.output
    assert "chinese-calendar ships 2026 too" in result.output
    assert calendar.year(2026).status == OPERATOR
    assert not calendar.is_workday(D(2026, 10, 8))
    # The loaded file is the whole year: the library's 10-02 holiday and Sunday 9-20 in lieu no longer apply.
    assert calendar.is_workday(D(2026, 10, 2)) and not calendar.is_workday(D(2026, 9, 20))


def test_the_calendar_reads_each_year_once(container):
    opened = []

    def sessions():
        opened.append(1)
        return container.sessions()

    cal = WorkdayCalendar(sessions, library=library())
    for day in range(1, 29):
        cal.add_workdays(D(2026, 2, day), 15)
    assert len(opened) == 1  # 2026 only, then cached
    cal.add_workdays(D(2026, 12, 28), 15)
    assert len(opened) == 2  # 2027
    cal.invalidate()
    cal.is_workday(D(2026, 5, 1))
    assert len(opened) == 3


# -- Cainiao: 15 calendar days from identity verification; the brand setting ---------------------------

@pytest.mark.promise("CN-12.1b")
def test_cainiao_counts_15_calendar_days_after_identity_verification(calendar):
    rule = CALENDAR_DAYS_FROM_VERIFICATION
    received = utc(2026, 9, 20, 1, 0)
    # Not verified yet: no deadline, shown as not started.
    assert calendar.due_date(rule, 15, received, None) is None
    assert describe(None, lambda s: s, days=15).startswith("Not started")
    # Verified 2026-09-30 20:00 UTC = 10-01 04:00 in China: 10-02 is day 1, 10-16 day 15; holidays count.
    d = calendar.due_date(rule, 15, received, utc(2026, 9, 30, 20, 0))
    assert (d.counted_from, d.due, d.provisional, d.rule) == (D(2026, 10, 1), D(2026, 10, 16), False, rule)
    # A due date on a holiday does not move (10-07 is National Day): the earlier date keeps the promise.
    assert calendar.due_date(rule, 15, received, D(2026, 9, 22)).due == D(2026, 10, 7)
    # No holiday data is needed, so it is never provisional, in 2027 either.
    d = due_date(rule, 15, received, D(2026, 12, 30), calendar=calendar)
    assert (d.due, d.provisional) == (D(2027, 1, 14), False)


@pytest.mark.promise(*JD_DEADLINE, "CN-12.1b")
def test_the_deadline_rule_is_a_brand_setting(calendar, monkeypatch):
    received, verified = shanghai(2026, 9, 28, 10, 0), shanghai(2026, 9, 29, 9, 0)
    jd = Settings(env="test")
    assert (jd.rights_deadline, jd.rights_deadline_days) == (WORKING_DAYS_FROM_RECEIPT, 15)
    # JD: identity verification time counts inside the 15 working days, so it does not shift the due date.
    assert calendar.rights_deadline(jd, received, verified).due == calendar.rights_deadline(jd, received).due == D(2026, 10, 23)
    monkeypatch.setenv("JIDI_RIGHTS_DEADLINE", "calendar_days_from_verification")
    monkeypatch.setenv("JIDI_RIGHTS_DEADLINE_DAYS", "10")
    cn = Settings(env="test")
    assert calendar.rights_deadline(cn, received) is None
    assert calendar.rights_deadline(cn, received, verified).due == D(2026, 10, 9)
    assert calendar.due_date(WORKING_DAYS_FROM_RECEIPT, 10, received).due == D(2026, 10, 16)
    monkeypatch.setenv("JIDI_RIGHTS_DEADLINE", "15_days")
    with pytest.raises(ValidationError):
        Settings(env="test")
    monkeypatch.setenv("JIDI_RIGHTS_DEADLINE", "working_days_from_receipt")
    monkeypatch.setenv("JIDI_RIGHTS_DEADLINE_DAYS", "0")
    with pytest.raises(ValidationError):
        Settings(env="test")
    with pytest.raises(ValueError, match="unknown deadline rule"):
        calendar.due_date("fortnight", 15, received)


# -- jidi holidays load / show ---------------------------------------------------------------------------

BAD_FILES = [
    ("dup.json", {"days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
                           {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}]}, "2027-01-01 is listed twice"),
    ("weekday.json", {"days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
                               {"date": "2027-01-06", "kind": "workday", "name": "元旦"}]}, "2027-01-06 is a Wednesday"),
    ("span.json", {"days": [{"date": "2027-10-01", "kind": "holiday", "name": "国庆节"},
                            {"date": "2028-01-01", "kind": "holiday", "name": "元旦"}]}, "span several years (2027, 2028)"),
    ("year.json", {"year": 2028, "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}]},
     '"year" says 2028 but the dates are in 2027'),
    ("kind.csv", "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-30,holiday,春节\n2027-03-06,off,春节\n",
     "line 3: date '2027-02-30' is not a calendar date"),
    ("kind2.csv", "date,kind,name\n2027-01-01,holiday,元旦\n2027-03-06,off,春节\n", "line 3: kind 'off'"),
    ("header.csv", "day,type\n2027-01-01,holiday\n", "the header must be date,kind,name"),
    ("broken.json", '{"days": [{"date": "2027-01-01",', "not valid JSON"),
    ("noname.json", {"days": [{"date": "2027-01-01", "kind": "holiday"}]}, "a holiday needs its name"),
    ("onlywork.json", {"days": [{"date": "2027-01-09", "kind": "workday", "name": "元旦"}]}, "lists no holiday"),
    ("extra.json", {"days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦", "note": "x"}]},
     "days[0]: unknown field(s) note"),
    ("empty.json", {"days": []}, "the file lists no days"),
    ("schedule.txt", "2027-01-01 holiday", "use a .json or .csv file"),
    ("example.json", EXAMPLE.read_text(encoding="utf-8"), 'marked "example": true'),
]


def test_bad_schedule_files_are_rejected_and_load_nothing(container, holidays_cli):
    assert holidays_cli("holidays", "load", file=("good.json", FICTIONAL_2027)).exit_code == 0
    before = stored(container, 2027)
    assert before[1] == [(D(2027, 1, 1), "holiday", "元旦"), (D(2027, 1, 4), "holiday", "元旦"),
                         (D(2027, 1, 9), "workday", "元旦")]
    for name, content, message in BAD_FILES:
        result = holidays_cli("holidays", "load", file=(name, content))
        assert result.exit_code == 1, (name, result.output)
        assert "nothing was loaded" in result.stderr and message in result.stderr, (name, result.stderr)
        assert stored(container, 2027) == before, name
    result = holidays_cli("holidays", "load", "--year", "2028", file=("good.json", FICTIONAL_2027))
    assert result.exit_code == 1 and "--year 2028 was given but the file's dates are in 2027" in result.stderr
    result = CliRunner().invoke(cli.main, ["holidays", "load", "/nonexistent/2027.json"])
    assert result.exit_code == 1 and "cannot read" in result.stderr
    assert stored(container, 2027) == before
    assert stored(container, 2028) == (None, [])


def test_a_failure_while_writing_leaves_the_previous_schedule(container, holidays_cli):
    assert holidays_cli("holidays", "load", file=("good.json", FICTIONAL_2027)).exit_code == 0
    before = stored(container, 2027)
    # Past validation (built by hand), the second row breaks the table's check: the whole replacement rolls back.
    broken = Schedule(2027, (ScheduleDay(D(2027, 2, 1), "holiday", "春节"), ScheduleDay(D(2027, 2, 2), "vacation", "春节")))
    with pytest.raises(IntegrityError):
        container.rights.load_holidays(broken, "broken")
    assert stored(container, 2027) == before


def test_reloading_a_year_replaces_it_and_csv_works(container, holidays_cli):
    assert holidays_cli("holidays", "load", file=("a.json", FICTIONAL_2027)).exit_code == 0
    csv_text = "\ufeff# fictional test schedule\ndate,kind,name\n2027-05-03,holiday,劳动节\n2027-05-08,休,劳动节\n2027-05-09,班,劳动节\n"
    result = holidays_cli("holidays", "load", "--source", "fictional CSV", "--year", "2027", file=("b.csv", csv_text))
    assert result.exit_code == 0, result.output
    assert "replaces the schedule loaded" in result.output
    (source, _), days = stored(container, 2027)
    assert source == "fictional CSV"
    assert days == [(D(2027, 5, 3), "holiday", "劳动节"), (D(2027, 5, 8), "holiday", "劳动节"),
                    (D(2027, 5, 9), "workday", "劳动节")]


def test_holidays_show_says_where_a_year_comes_from(holidays_cli):
    out = holidays_cli("holidays", "show", "2026").output
    assert out.startswith("2026: official") and "chinese-calendar" in out
    words = " ".join(out.split())
    assert "holidays (33 days): 2026-01-01 – 2026-01-03 元旦 (3 days) 2026-02-15 – 2026-02-23 春节 (9 days)" in words
    assert "2026-10-01 – 2026-10-07 国庆节 (7 days) make-up workdays (6): 2026-01-04 Sun 元旦" in words
    assert "2026-09-20 Sun 国庆节 2026-10-10 Sat 国庆节" in words
    result = holidays_cli("holidays", "show", "2099")
    assert result.exit_code == 0 and result.output.startswith("2099: provisional") and "jidi holidays load FILE" in result.output
    holidays_cli("holidays", "load", file=("2099.json", {"source": "fictional", "days": [
        {"date": "2099-01-01", "kind": "holiday", "name": "元旦"}, {"date": "2099-01-03", "kind": "workday", "name": "元旦"}]}))
    out = " ".join(holidays_cli("holidays", "show", "2099").output.split())
    assert out.startswith("2099: operator-loaded from fictional on ")
    assert "holidays (1 day): 2099-01-01 元旦 (1 day) make-up workdays (1): 2099-01-03 Sat 元旦" in out


def test_the_example_file_is_a_valid_format_sample_marked_as_such():
    schedule = parse_file(EXAMPLE)
    assert schedule.example and schedule.year == 2027 and "EXAMPLE" in schedule.source
    assert "NOT the official" in json.loads(EXAMPLE.read_text(encoding="utf-8"))["note"]
    with pytest.raises(ScheduleError):
        parse_file(EXAMPLE.with_suffix(".missing"))
