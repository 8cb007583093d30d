"""The privacy centre in a real browser (Debian's chromium driven by Playwright, against uvicorn serving the app):
a user from registration sees all their data, reveals it with an SMS code, downloads a copy, withdraws a consent,
asks questions on dates around the National Day holiday and the turn of the year, and deletes everything; the
privacy officer's queue shows the working-day due dates.

The server runs on the test's container, so its clock is the `clock` fixture: the test sets it to the days it
needs. The expected due dates are computed with jidi.workdays' own library calendar, not written down by hand.
The `web` fixture of tests/test_browser.py checks the server logs and every URL the browser asked for for the
personal data of tests/pii.py; conftest then scans the database.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from jidi.i18n import gettext_for
from jidi.privacy import Role
from jidi.rights import kinds as K
from jidi.workdays import WORKING_DAYS_FROM_RECEIPT, LibraryCalendar, WorkdayCalendar, due_date
from tests import pii
from tests.browser_support import masked_phone
from tests.test_browser import _page_has_no, chromium, web  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

ZH = gettext_for("zh_CN")
UTC = dt.timezone.utc
# 10:00 in China on the Monday before the National Day holiday (1–7 October 2026), and on 21 December 2026,
# whose 15 working days run into 2027, a year whose official holidays are not loaded.
SEPT_28 = dt.datetime(2026, 9, 28, 2, 0, tzinfo=UTC)
DEC_21 = dt.datetime(2026, 12, 21, 2, 0, tzinfo=UTC)
OFFICER_PASSWORD = "Officer-pass-2026"


def _expected_due(received: dt.datetime):
    """The due date by the library's official calendar alone (no operator-loaded years)."""
    return due_date(WORKING_DAYS_FROM_RECEIPT, 15, received, calendar=WorkdayCalendar(library=LibraryCalendar()))


def _code(web, clock, phone: str) -> str:
    """Press "send me a code" on the current page and read the code from the SMS outbox."""
    clock.advance(seconds=61)
    web.page.get_by_test_id("send-code").click()
    expect(web.page.get_by_test_id("code-sent")).to_be_visible()
    return web.sms_code(phone)


def _field(page, key: str):
    return page.locator(f'[data-testid="field"][data-field="{key}"] [data-testid="value"]').first


@pytest.mark.promise("CN-8.1.1a", "JD-6.8.1a", "JD-6.7", "JD-6.4.3b", "JD-6.1.2b", "JD-6.8.1b", "JD-6.2.1", "JD-6.3.1a",
                     "JD-6.3.1b", "JD-6.8.1c")
def test_a_user_sees_reveals_copies_withdraws_and_deletes_and_the_officer_sees_working_day_due_dates(web, container, clock):
    phone, email, nickname = pii.PHONES[0], pii.EMAILS[0], pii.NICKNAMES[0]
    page = web.page
    clock.now = SEPT_28

    # Registration, then a nickname and an e-mail address to find again.
    web.sms_login(phone)
    page.get_by_test_id("edit-nickname").fill(nickname)
    page.get_by_test_id("edit-email").fill(email)
    page.get_by_test_id("save-profile").click()
    expect(page).to_have_url(re.compile(r"/profile\?saved=profile$"))

    # Everything held, from the menu: grouped by table and relation, each field labelled, values masked.
    page.get_by_test_id("nav-privacy-centre").click()
    expect(page).to_have_url(web.url("/privacy/me"))
    expect(page.locator("h1")).to_have_text(ZH("My personal information"))
    sections = {(s.get_attribute("data-table"), s.get_attribute("data-relation")) for s in page.get_by_test_id("section").all()}
    assert {("users", "subject"), ("consent_ledger", "subject"), ("auth_sessions", "account"), ("sms_codes", "identifier")} <= sections, sections
    expect(_field(page, "users.phone")).to_have_text(masked_phone(phone))
    expect(_field(page, "users.email")).to_have_text("x***@example.com")
    expect(page.locator('[data-testid="section"][data-table="users"] [data-testid="relation"]')).to_contain_text("您本人的信息")
    expect(page.get_by_test_id("shared-item")).to_contain_text("短信服务商")  # who took my login code to send it
    _page_has_no(page, phone, email, nickname)

    # In full, after a code sent to the phone.
    code = _code(web, clock, phone)
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("show-full").click()
    expect(page.get_by_test_id("full-shown")).to_be_visible()
    expect(_field(page, "users.phone")).to_have_text(phone)
    expect(_field(page, "users.email")).to_have_text(email)
    expect(_field(page, "users.nickname")).to_have_text(nickname)
    web.goto("/privacy/me")  # masked again
    _page_has_no(page, phone, email, nickname)

    # A copy: confirmed with a code, prepared, downloaded as a zip of JSON and HTML.
    page.get_by_test_id("action-copy").click()
    expect(page).to_have_url(web.url("/privacy/confirm/copy"))
    code = _code(web, clock, phone)
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("confirm").click()
    expect(page).to_have_url(re.compile(r"/privacy/requests/[0-9a-f-]{36}\?saved=1$"))
    expect(page.get_by_test_id("request")).to_have_attribute("data-status", "fulfilled")
    with page.expect_download() as download:
        page.get_by_test_id("download-copy").click()
    with zipfile.ZipFile(download.value.path()) as zf:
        assert sorted(zf.namelist()) == ["my-data.html", "my-data.json"]
        doc = json.loads(zf.read("my-data.json"))
        html = zf.read("my-data.html").decode()
    values = {f["field"]: f["value"] for sec in doc["sections"] if sec["table"] == "users" for rec in sec["records"] for f in rec["fields"]}
    assert values["phone"] == phone and values["email"] == email and values["nickname"] == nickname
    assert doc["format"] == "jidi-personal-data/2" and phone in html and email in html

    # Withdraw the e-mail consent: what it stops is said first; then the address is gone.
    web.goto("/privacy/me")
    page.get_by_test_id("action-withdraw-email").click()
    expect(page.get_by_test_id("withdrawable")).to_contain_text(ZH(K.WITHDRAWABLE["email"][1]))
    expect(page.get_by_test_id("scope-email")).to_be_checked()
    code = _code(web, clock, phone)
    expect(page.get_by_test_id("scope-email")).to_be_checked()
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("request")).to_have_attribute("data-status", "fulfilled")
    web.goto("/profile")
    expect(page.get_by_test_id("profile-email")).to_have_text(ZH("Not set"))

    # A question on 28 September: 15 working days skip the National Day holiday (and count its make-up workdays).
    cal = WorkdayCalendar(library=LibraryCalendar())
    assert not cal.is_workday(dt.date(2026, 10, 1))  # the holiday is in the library's official calendar
    due_sept = _expected_due(SEPT_28)
    assert not due_sept.provisional and due_sept.due > dt.date(2026, 10, 8) and cal.is_workday(due_sept.due)
    web.goto("/privacy/confirm/explanation")
    code = _code(web, clock, phone)
    page.get_by_test_id("details").fill("为什么需要保存我的手机号?")
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("due-on")).to_have_attribute("data-date", due_sept.due.isoformat())
    explanation_id = page.get_by_test_id("request").get_attribute("data-id")

    # A correction on 21 December runs into 2027, whose holidays are not known: its due date is provisional.
    clock.now = DEC_21
    due_dec = _expected_due(DEC_21)
    assert due_dec.provisional and due_dec.due.year == 2027
    web.sms_login(phone, welcome=False)  # the session of September has expired
    web.goto("/privacy/confirm/correction")
    code = _code(web, clock, phone)
    page.get_by_test_id("details").fill("我的昵称应改为简体字")
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("due-on")).to_have_attribute("data-date", due_dec.due.isoformat())
    expect(page.get_by_test_id("provisional")).to_contain_text(ZH("(provisional)"))
    expect(page.get_by_test_id("details")).to_have_text("我的昵称应改为简体字")  # the user's own words, on their request
    correction_id = page.get_by_test_id("request").get_attribute("data-id")

    # The privacy officer: the queue sorted by due date, the September question overdue, the December one provisional.
    _id, secret, _uri = container.accounts.create_staff(Role.PRIVACY_OFFICER, "dpo1", OFFICER_PASSWORD)
    web.staff_login("dpo1", OFFICER_PASSWORD, secret)
    page.get_by_test_id("staff-privacy").click()
    expect(page).to_have_url(web.url("/staff/privacy"))
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(2)
    assert [r.get_attribute("data-id") for r in rows.all()] == [explanation_id, correction_id]
    sept_row, dec_row = rows.nth(0), rows.nth(1)
    expect(sept_row).to_have_attribute("data-due", due_sept.due.isoformat())
    expect(sept_row.get_by_test_id("due-on")).to_have_text(due_sept.due.isoformat())
    expect(sept_row.get_by_test_id("overdue")).to_be_visible()
    expect(sept_row.get_by_test_id("provisional")).to_have_count(0)
    expect(dec_row).to_have_attribute("data-due", due_dec.due.isoformat())
    expect(dec_row.get_by_test_id("provisional")).to_contain_text(ZH("(provisional)"))
    expect(dec_row.get_by_test_id("overdue")).to_have_count(0)
    expect(dec_row.get_by_test_id("requester")).to_have_text(masked_phone(phone))
    _page_has_no(page, phone, email, nickname)

    # The officer reads the correction, sees who asked (masked, in full on a recorded reveal) and answers it;
    # the user sees the answer and where else to turn.
    dec_row.get_by_test_id("open-request").click()
    expect(page.get_by_test_id("requester-text")).to_have_text("我的昵称应改为简体字")
    expect(page.get_by_test_id("requester")).to_contain_text(masked_phone(phone))
    page.get_by_test_id("reveal-requester").click()
    expect(page.get_by_test_id("requester-full")).to_have_text(phone)
    page.get_by_test_id("answer-text").fill("已将昵称改为简体字")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("done")).to_be_visible()
    web.goto(f"/privacy/requests/{correction_id}")
    expect(page.get_by_test_id("answer")).to_have_text("已将昵称改为简体字")
    expect(page.get_by_test_id("remedies")).to_be_visible()

    # Deletion: what goes and what the law keeps first, then a code; the account is gone and logged out.
    web.goto("/privacy/me")
    page.get_by_test_id("action-deletion").click()
    expect(page.get_by_test_id("blocked")).to_have_count(0)
    expect(page.get_by_test_id("will-erase")).to_contain_text("账号")
    expect(page.get_by_test_id("notify-item")).to_contain_text("短信服务商")  # told to delete the messages it took
    code = _code(web, clock, phone)
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("deleted")).to_be_visible()
    web.goto("/privacy/me")
    expect(page).to_have_url(web.url("/login?next=%2Fprivacy%2Fme"))
    web.goto("/staff/privacy")  # the question of September is still to be answered, overdue
    expect(page.get_by_test_id("queue-row")).to_have_count(1)
    expect(page.get_by_test_id("queue-row")).to_have_attribute("data-id", explanation_id)
    expect(page.get_by_test_id("queue-row").get_by_test_id("requester")).to_have_text(ZH("Account deleted"))
    _page_has_no(page, phone, email, nickname)


@pytest.mark.promise("CN-8.1.1a")
def test_my_data_page_speaks_my_language_in_china_time_and_lists_every_message_to_my_number(web, container, clock):
    """01:30 in China is the evening before in UTC: every time shown must be the China one, every fact labelled in
    Chinese (no column names), the first login code (sent before the account existed) listed, no staff-only field."""
    phone, page = pii.PHONES[0], web.page
    clock.now = dt.datetime(2026, 12, 4, 17, 30, tzinfo=UTC)
    web.sms_login(phone)
    web.goto("/privacy/me")
    outbox = page.locator('[data-testid="section"][data-table="sms_outbox"] [data-testid="detail"][data-field="template"] td')
    assert "login_code" in [t.strip() for t in outbox.all_text_contents()]
    details = page.get_by_test_id("detail")
    labels = [t.strip() for t in details.locator("th").all_text_contents()]
    values = [t.strip() for t in details.locator("td").all_text_contents()]
    assert labels and not [x for x in labels if re.search(r"[A-Za-z]", x)], labels
    times = [v for v in values if re.match(r"\d{4}-\d\d-\d\d", v)]
    assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\d( \d\d:\d\d)?", v) for v in times), times  # no ISO, no offset
    assert not [v for v in times if v.startswith("2026-12-04")], times  # the UTC date
    granted = page.locator('[data-testid="section"][data-table="consent_ledger"] [data-testid="detail"][data-field="at"] td')
    assert granted.first.text_content().strip() == "2026-12-05 01:30"  # the policy accepted at login, by the test clock
    expect(page.locator('[data-field="users.totp_secret"]')).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("员工二次验证密钥")
