"""How pages speak: a short English word translated for what it means where it stands, dates in China time, lists
and durations as each language writes them, a menu that knows who is logged in, and a login that returns to the
page that asked for it.

Expected texts come from the catalogs, so they hold whatever the translation says, except where the test is about
the translation itself.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlencode

import pyotp
import pytest
from markupsafe import escape

from jidi.i18n import china_date, china_datetime, duration, gettext_for, join_list, translations
from jidi.kit import deps
from jidi.privacy import Role
from jidi.rights import kinds as K
from tests.pii import PHONES
from tests.test_accounts_api import auth, register
from tests.test_accounts_web import csrf, web_register
from tests.test_family import BINDER, bound
from tests.test_pickup import STAFF_PASSWORD, place, staff, staff_web_login
from tests.test_shipping import order_body

ZH, EN = gettext_for("zh_CN"), gettext_for("en")
ZH_IN = translations("zh_CN").pgettext
TEMPLATES = Path(deps.__file__).parent / "templates"
# 16:30 UTC on 4 December is already 00:30 on 5 December in China.
JUST_AFTER_MIDNIGHT_IN_CHINA = dt.datetime(2026, 12, 4, 16, 30, tzinfo=dt.timezone.utc)


def zh(message: str) -> str:
    return str(escape(ZH(message)))


# -- words that mean two things (item 14) ----------------------------------------------------------------
def test_a_short_word_gets_the_translation_of_its_meaning():
    assert ZH_IN("parcel party", "From") == "寄件人" and ZH_IN("parcel party", "To") == "收件人"
    assert ZH_IN("place", "From") == "始发地" and ZH_IN("place", "To") == "目的地"
    assert ZH_IN("phone number", "To") == "接收号码"
    assert ZH_IN("goods", "Item") == "物品名称" and ZH_IN("data item", "Item") == "信息项"
    assert ZH_IN("data recipient", "Recipient") == "数据接收方" != ZH("Recipient") == "收件人"
    # A message marked with a context in Python is translated in it wherever it is shown, by the plain gettext.
    assert ZH(K.STATUSES[K.RECEIVED]) == "已收到" and ZH("Received") == "收到时间"
    assert EN(K.STATUSES[K.RECEIVED]) == "Received"


def test_order_ship_and_policy_pages_use_the_words_of_their_meaning(client, sms):
    web_register(client, sms, phone=PHONES[0])
    orders = client.get("/orders").text
    assert translations("zh_CN").pgettext("parcel party", "From") == "寄件人" and "接收号码" not in orders
    assert translations("zh_CN").pgettext("parcel party", "To") == "收件人"  # each parcel card says who, in these words
    ship = client.get("/ship").text
    assert "物品名称" in ship and "信息项" not in ship
    policy = client.get("/privacy").text
    assert "<th>信息项</th>" in policy and "<th>数据接收方</th>" in policy and "<th>收件人</th>" not in policy


def test_the_pickup_page_names_the_places_a_parcel_goes_from_and_to(client, sms, container):
    token = register(client, sms, phone=PHONES[1])
    wb = place(client, token)
    _, secret = staff(container)
    staff_web_login(client, "courier1", secret)
    page = client.get("/staff/pickup", params={"waybill_no": wb})
    assert page.status_code == 200
    assert "<th>始发地</th>" in page.text and "<th>目的地</th>" in page.text
    assert "接收号码" not in page.text and page.text.count("<th>寄件人</th>") == 1


# -- China time (item 19) --------------------------------------------------------------------------------
def test_the_formatting_helpers_give_the_date_in_china():
    assert china_date(JUST_AFTER_MIDNIGHT_IN_CHINA) == "2026-12-05"
    assert china_datetime(JUST_AFTER_MIDNIGHT_IN_CHINA) == "2026-12-05 00:30"
    assert china_date(dt.date(2026, 12, 4)) == "2026-12-04"  # a date is already a day in China
    assert china_date(None) == china_datetime(None) == ""


def test_pages_show_china_dates_just_after_midnight_in_china(client, sms, clock):
    clock.now = JUST_AFTER_MIDNIGHT_IN_CHINA
    binder = auth(register(client, sms, phone=BINDER))
    clock.advance(seconds=61)
    bound(client, sms, clock, binder)
    r = client.post("/api/v1/orders", json=order_body(), headers=binder)
    assert r.status_code == 201, r.text
    wb = r.json()["waybill_no"]
    clock.advance(seconds=61)
    web_register(client, sms, phone=BINDER)  # on the web too
    assert china_date(clock()) == "2026-12-05" and clock().date().isoformat() == "2026-12-04"

    family = visible(client.get("/family").text)
    assert zh("Active since {date}").format(date="2026-12-05") in family and "2026-12-04" not in family
    order = visible(client.get(f"/orders/{wb}").text)
    assert re.search(r"2026-12-05 00:3\d", order) and "2026-12-04" not in order


def visible(html: str) -> str:
    """The text of a page without its tags (machine-readable attributes may carry UTC)."""
    return re.sub(r"<[^>]*>", " ", html)


def test_templates_write_dates_only_through_the_china_time_filters():
    """A raw strftime, date() or isoformat() in what a person reads would show UTC; machine-readable attributes
    (datetime="…", data-…="…") may carry ISO values."""
    raw = re.compile(r"strftime\(|\.date\(\)|\.isoformat\(\)")
    attribute = re.compile(r'(?:datetime|data-[a-z-]+)="\{\{[^}]*\}\}"')
    found = [f"{path.name}:{n}: {line.strip()}" for path in sorted(TEMPLATES.glob("*.html"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if raw.search(attribute.sub("", line))]
    assert not found, "use |china_date or |china_datetime:\n" + "\n".join(found)


# -- lists and durations (items 21, 22) ------------------------------------------------------------------
def test_lists_and_durations_are_written_as_each_language_writes_them():
    assert join_list(["A", "B", "C"], "en") == "A, B, and C"
    assert join_list(["甲", "乙", "丙"], "zh_CN") == "甲、乙和丙"
    assert duration(dt.timedelta(hours=168), "zh_CN") == "7天" and duration(dt.timedelta(hours=168), "en") == "7 days"
    assert duration(dt.timedelta(hours=36), "en") == "36 hours"  # not rounded to "2 days"


def test_english_pages_join_lists_in_english_and_chinese_pages_in_chinese(client, sms):
    web_register(client, sms, phone=PHONES[0])
    for path in ("/ship", "/privacy"):
        english = client.get(path, params={"lang": "en"}).text
        assert "、" not in english, path
    chinese = client.get("/ship", params={"lang": "zh_CN"}).text
    assert "、" in chinese


def test_the_copy_says_how_long_it_can_be_downloaded_in_days(client, sms, container):
    assert container.settings.rights_export_ttl_hours == 168
    web_register(client, sms, phone=PHONES[0])
    assert "有效期为7天" in client.get("/privacy/confirm/copy").text
    english = client.get("/privacy/confirm/copy", params={"lang": "en"}).text
    assert "for 7 days." in english and "168" not in english


# -- who is logged in, and back where one was (item 22) --------------------------------------------------
def test_a_logged_in_customer_is_not_asked_to_log_in(client, sms):
    web_register(client, sms, phone=PHONES[0])
    home = client.get("/").text
    assert 'data-testid="home-menu"' in home and 'data-testid="nav-login"' not in home
    assert zh("Log in with your mobile number and a verification code. A new number gets an account on its first login.") not in home


def test_a_logged_in_staff_member_is_not_asked_to_log_in_or_register(client, container):
    _, secret = staff(container, Role.SUPPORT_AGENT, "support1")
    staff_web_login(client, "support1", secret)
    for path in ("/staff", "/", "/privacy", "/track"):
        page = client.get(path).text
        assert 'data-testid="nav-login"' not in page and 'data-testid="nav-staff"' in page, path


def test_login_returns_to_the_page_that_asked_for_it(client, sms, clock):
    register(client, sms, phone=PHONES[0])
    clock.advance(seconds=61)
    r = client.get("/privacy/kin", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fprivacy%2Fkin"
    assert '<input type="hidden" name="next" value="/privacy/kin">' in client.get(r.headers["location"]).text
    token = csrf(client)
    assert client.post("/login", data={"csrf_token": token, "action": "send", "phone": PHONES[0]}).status_code == 200
    r = client.post("/login", data={"csrf_token": token, "action": "login", "phone": PHONES[0], "code": sms.last_code(PHONES[0]),
                                    "accept_policy": "on", "next": "/privacy/kin"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/privacy/kin"
    assert client.get("/login?next=%2Fprivacy%2Fkin", follow_redirects=False).headers["location"] == "/privacy/kin"


def test_switching_language_keeps_where_login_returns_to(client):
    page = client.get("/login?next=%2Fprivacy%2Fkin").text
    assert 'href="/login?next=%2Fprivacy%2Fkin&amp;lang=en" data-testid="lang-en"' in page


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
                                    "evil.example", "/x\r\nSet-Cookie: a=b"])
def test_login_never_returns_anywhere_but_a_path_on_this_site(client, sms, clock, target):
    assert deps.safe_next(target) is None
    register(client, sms, phone=PHONES[0])
    clock.advance(seconds=61)
    token = csrf(client)
    client.post("/login", data={"csrf_token": token, "action": "send", "phone": PHONES[0]})
    r = client.post("/login", data={"csrf_token": token, "action": "login", "phone": PHONES[0], "code": sms.last_code(PHONES[0]),
                                    "accept_policy": "on", "next": target}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/profile"
    assert client.get("/login?" + urlencode({"next": target}), follow_redirects=False).headers["location"] == "/profile"


def test_staff_login_returns_to_the_staff_page_that_asked_for_it(client, container):
    _, secret = staff(container, Role.PRIVACY_OFFICER, "dpo1")
    r = client.get("/staff/privacy", follow_redirects=False)
    assert r.headers["location"] == "/staff/login?next=%2Fstaff%2Fprivacy"
    r = client.post("/staff/login", data={"csrf_token": csrf(client), "username": "dpo1", "password": STAFF_PASSWORD,
                                          "totp": pyotp.TOTP(secret).now(), "next": "/staff/privacy"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff/privacy"
    assert client.get("/staff/privacy").status_code == 200
