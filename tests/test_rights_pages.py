"""The privacy centre's pages: my data (masked, then in full after an SMS code), a copy, withdrawal, cancellation and
deletion with their previews, my requests, next of kin with its uploads, and the privacy officer's queue.

Page tests in the manner of tests/test_family.py: a TestClient with cookies, the CSRF token from the cookie, and
the lead's `world` of tests/test_rights.py. Expected texts are looked up through the catalogs (ZH/EN), so the
assertions hold before and after the new messages are translated.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
import zipfile
from urllib.parse import urlencode

import pyotp
import pytest
from markupsafe import escape
from dateutil.relativedelta import relativedelta
from fastapi.testclient import TestClient
from sqlalchemy import select

from jidi import errors
from jidi.accounts.models import User
from jidi.i18n import gettext_for
from jidi.kit.deps import CSRF_COOKIE, SESSION_COOKIE
from jidi.privacy import Role
from jidi.rights import kinds as K
from jidi.rights import service as rights_service
from jidi.rights import views
from jidi.rights.models import RightsRequest
from jidi.shipping import states
from jidi.shipping.obligations import REASONS
from tests import pii
from tests.pii import ADDRESSES, NAMES, NICKNAMES
from tests.test_rights import FRIEND, ME, PDF, set_status, world  # noqa: F401  (world is a fixture)

_ZH, _EN = gettext_for("zh_CN"), gettext_for("en")


def ZH(message: str) -> str:
    """A message as a Chinese page shows it (translated, HTML-escaped)."""
    return str(escape(_ZH(message)))


def EN(message: str) -> str:
    return str(escape(_EN(message)))


CHINA = dt.timezone(dt.timedelta(hours=8))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF proof"
PNG = b"\x89PNG\r\n\x1a\n proof"
OFFICER_PASSWORD = "Officer-pass-2026"


# -- helpers ---------------------------------------------------------------------------------------------
def tok(client) -> str:
    if not client.cookies.get(CSRF_COOKIE):
        client.get("/login")
    return client.cookies.get(CSRF_COOKIE)


def web_login(client, sms, clock, phone) -> None:
    """Log in on the web with an SMS code (the account exists already: the world registered it through the API)."""
    clock.advance(seconds=61)
    r = client.post("/login", data={"csrf_token": tok(client), "action": "send", "phone": phone})
    assert r.status_code == 200 and 'data-testid="code-sent"' in r.text, r.text
    r = client.post("/login", data={"csrf_token": tok(client), "action": "login", "phone": phone, "code": sms.last_code(phone),
                                    "accept_policy": "on"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def page_code(client, sms, clock, action: str, phone: str = ME, **data) -> str:
    """Ask for a code on a page (a form post) and read it from the phone."""
    clock.advance(seconds=61)
    r = client.post(action, data={"csrf_token": tok(client), **data})
    assert r.status_code == 200 and 'data-testid="code-sent"' in r.text, r.text
    return sms.last_code(phone)


def error_code(response) -> str | None:
    m = re.search(r'data-testid="error" data-code="([a-z_]+)"', response.text)
    return m.group(1) if m else None


def request_id(response) -> str:
    m = re.fullmatch(r"/privacy/requests/([0-9a-f-]{36})\?saved=1", response.headers["location"])
    assert m, response.headers["location"]
    return m.group(1)


def file_request(client, sms, clock, kind: str, phone: str = ME, **data) -> str:
    code = page_code(client, sms, clock, f"/privacy/confirm/{kind}/code", phone, scope=data.get("scope", ""))
    r = client.post(f"/privacy/confirm/{kind}", data={"csrf_token": tok(client), "code": code, **data}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return request_id(r)


def staff_client(app, container, role: Role, name: str) -> TestClient:
    _id, secret, _uri = container.accounts.create_staff(role, name, OFFICER_PASSWORD)
    tc = TestClient(app, base_url="https://testserver")
    r = tc.post("/staff/login", data={"csrf_token": tok(tc), "username": name, "password": OFFICER_PASSWORD,
                                      "totp": pyotp.TOTP(secret).now()}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff", r.text
    return tc


def chinese_page(r) -> None:
    assert r.status_code == 200, r.text
    assert '<html lang="zh-CN">' in r.text and ZH("Privacy policy") in r.text and r.headers["cache-control"] == "no-store"


def english_page(r) -> None:
    assert r.status_code == 200, r.text
    assert '<html lang="en">' in r.text and "Privacy policy" in r.text and r.headers["cache-control"] == "no-store"


# -- my data ---------------------------------------------------------------------------------------------
@pytest.mark.promise("CN-8.1.1a", "CN-8.1.2", "JD-6.8.1a", "JD-6.1.1(2)", "JD-6.1.1(6)", "ZK-5.1.1(1)")
def test_my_data_page_shows_everything_masked_then_in_full_after_an_sms_code(client, sms, clock, world):
    web_login(client, sms, clock, ME)
    page = client.get("/privacy/me")
    chinese_page(page)
    assert ZH("My personal information") in page.text
    found = set(re.findall(r'data-table="([a-z_]+)" data-relation="([a-z_]+)"', page.text))
    assert {("users", "subject"), ("consent_ledger", "subject"), ("auth_sessions", "account"), ("address_entries", "account"),
            ("orders", "account"), ("order_parties", "part"), ("order_parties", "identifier"), ("pickup_records", "part")} <= found
    # Grouped by table and relation, labelled; each field with its category, legal basis and retention, masked.
    assert "账号" in page.text and "您本人的信息" in page.text and "所属记录的组成部分" in page.text
    phone_row = re.search(r'data-field="users\.phone">(.*?)</tr>', page.text, re.S).group(1)
    assert "139****5678" in phone_row and "联系方式" in phone_row and "<td></td>" not in phone_row
    assert pii.find_in(page.text) == []
    # Self-service corrections where they already exist (CN-8.1.2), a request for the rest, every other right.
    for href in ('href="/profile"', 'href="/address-book"', 'href="/privacy/confirm/correction"', 'href="/privacy/confirm/copy"',
                 'href="/privacy/confirm/deletion"', 'href="/privacy/confirm/cancellation"', 'href="/privacy/confirm/explanation"',
                 'href="/privacy/kin"', 'href="/privacy/requests"'):
        assert href in page.text, href
    for scope, (_title, stops) in K.WITHDRAWABLE.items():
        assert f'href="/privacy/confirm/withdrawal?scope={scope}"' in page.text and ZH(stops) in page.text
    assert 'href="/privacy/me"' in client.get("/profile").text  # reachable from the account page and the menu

    en = client.get("/privacy/me?lang=en")
    english_page(en)
    assert "My personal information" in en.text and "About you" in en.text and "Account" in en.text and "您本人的信息" not in en.text
    assert EN(K.WITHDRAWABLE["wechat_profile"][1]) in en.text

    # A wrong code shows nothing more, in the user's language.
    r = client.post("/privacy/me/full", data={"csrf_token": tok(client), "code": "000000"})
    assert r.status_code == 400 and error_code(r) == "code_invalid" and EN(errors.code_invalid().message) in r.text
    assert pii.find_in(r.text) == []
    client.get("/privacy/me?lang=zh_CN")
    code = page_code(client, sms, clock, "/privacy/me/code")
    assert client.post("/privacy/me/full", data={"code": code}).status_code == 403  # no CSRF token: refused, code unused
    r = client.post("/privacy/me/full", data={"csrf_token": tok(client), "code": code})
    chinese_page(r)
    assert 'data-testid="full-shown"' in r.text
    assert ME in r.text and NAMES[0] in r.text and NICKNAMES[0] in r.text and ADDRESSES[0] in r.text
    # The code works once; the full values were an access request, answered at once.
    again = client.post("/privacy/me/full", data={"csrf_token": tok(client), "code": code})
    assert again.status_code == 400 and error_code(again) == "code_invalid" and ME not in again.text
    assert 'data-kind="access" data-status="fulfilled"' in client.get("/privacy/requests").text


# -- a copy, my requests ---------------------------------------------------------------------------------
@pytest.mark.promise("JD-6.7", "JD-6.1.2a", "JD-6.1.2b", "JD-6.8.1b")
def test_a_copy_is_asked_for_on_its_page_and_downloaded_by_its_owner_only(app, client, sms, clock, container, world):
    web_login(client, sms, clock, ME)
    page = client.get("/privacy/confirm/copy")
    chinese_page(page)
    assert ZH(K.KINDS[K.COPY]) in page.text and 'data-testid="confirm-form"' in page.text
    english_page(client.get("/privacy/confirm/copy?lang=en"))
    client.get("/privacy/confirm/copy?lang=zh_CN")
    received = clock()
    rid = file_request(client, sms, clock, K.COPY)

    detail = client.get(f"/privacy/requests/{rid}?saved=1")
    chinese_page(detail)
    assert 'data-testid="saved"' in detail.text and 'data-status="fulfilled"' in detail.text
    due = container.workdays.rights_deadline(container.settings, received + dt.timedelta(seconds=61)).due
    assert f'data-date="{due.isoformat()}"' in detail.text and ZH("Reply due by {date}").format(date=due.isoformat()) in detail.text
    assert re.findall(r'data-action="([a-z_]+)"', detail.text) == ["received", "verified", "export_ready", "fulfilled"]
    copy_url = re.search(r'href="(/privacy/copies/[0-9a-f-]{36})"', detail.text).group(1)
    blob = client.get(copy_url)
    assert blob.status_code == 200 and blob.headers["content-type"] == "application/zip"
    assert blob.headers["cache-control"] == "no-store" and blob.headers["content-disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(blob.content)) as zf:
        assert sorted(zf.namelist()) == ["my-data.html", "my-data.json"]
        doc = json.loads(zf.read("my-data.json"))
    assert ME in json.dumps(doc, ensure_ascii=False) and NICKNAMES[0] in json.dumps(doc, ensure_ascii=False)

    listing = client.get("/privacy/requests")
    chinese_page(listing)
    assert f'data-id="{rid}" data-kind="copy" data-status="fulfilled"' in listing.text and copy_url in listing.text
    en = client.get("/privacy/requests?lang=en")
    english_page(en)
    assert "A copy of my data" in en.text and "Done" in en.text and f"Reply due by {due.isoformat()}" in en.text

    # Another user's request and copy are simply not found; so is anything that is not an id.
    with TestClient(app, base_url="https://testserver") as other:
        web_login(other, sms, clock, FRIEND)
        for path in (f"/privacy/requests/{rid}", copy_url, "/privacy/requests/not-an-id", f"/privacy/copies/{uuid.uuid4()}"):
            r = other.get(path)
            assert r.status_code == 404 and error_code(r) == "not_found", path
        r = other.post(f"/privacy/requests/{rid}/accept-fee", data={"csrf_token": tok(other)})
        assert r.status_code == 404
        assert rid not in other.get("/privacy/requests").text
    # Offered for a limited time only.
    clock.advance(hours=container.settings.rights_export_ttl_hours + 1)
    assert client.get(copy_url).status_code == 404
    assert copy_url not in client.get(f"/privacy/requests/{rid}").text


@pytest.mark.promise("JD-6.8.3a")
def test_a_request_beyond_the_free_ones_waits_for_the_fee_to_be_accepted_on_the_page(client, sms, clock, container, world):
    web_login(client, sms, clock, ME)
    for _ in range(container.settings.rights_free_requests_per_year):
        file_request(client, sms, clock, K.COPY)
    rid = file_request(client, sms, clock, K.COPY)
    page = client.get(f"/privacy/requests/{rid}")
    fee = f"{container.settings.rights_fee_fen / 100:.2f}"
    assert 'data-status="awaiting_fee"' in page.text and 'data-testid="accept-fee"' in page.text and fee in page.text
    assert 'data-testid="download-copy"' not in page.text
    assert 'data-testid="accept-fee"' in client.get("/privacy/requests").text
    r = client.post(f"/privacy/requests/{rid}/accept-fee", data={"csrf_token": tok(client)}, follow_redirects=False)
    assert r.status_code == 303 and request_id(r) == rid
    page = client.get(f"/privacy/requests/{rid}")
    assert 'data-status="fulfilled"' in page.text and 'data-testid="download-copy"' in page.text
    # Accepting twice is a clear refusal, not an error page of the server.
    r = client.post(f"/privacy/requests/{rid}/accept-fee", data={"csrf_token": tok(client)})
    assert r.status_code == 409 and error_code(r) == "request_state"


# -- withdrawal, cancellation, deletion ----------------------------------------------------------------------
@pytest.mark.promise("JD-6.4.3b", "CN-8.3.1b")
def test_withdrawing_a_consent_says_what_it_stops_then_ends_the_family_numbers(client, sms, clock, world):
    assert client.post("/api/v1/family", json={"role": "spouse", "phone": FRIEND}, headers=world["me"]).status_code == 202
    web_login(client, sms, clock, ME)
    page = client.get("/privacy/confirm/withdrawal?scope=family_numbers")
    chinese_page(page)
    for _title, stops in K.WITHDRAWABLE.values():
        assert ZH(stops) in page.text
    assert re.search(r'value="family_numbers" checked data-testid="scope-family_numbers"', page.text)
    en = client.get("/privacy/confirm/withdrawal?lang=en")
    english_page(en)
    assert EN(K.WITHDRAWABLE["email"][1]) in en.text and "Withdrawal of consent" in en.text
    client.get("/privacy/me?lang=zh_CN")
    code = page_code(client, sms, clock, "/privacy/confirm/withdrawal/code", scope="family_numbers")
    r = client.post("/privacy/confirm/withdrawal", data={"csrf_token": tok(client), "code": code, "scope": ""})
    assert r.status_code == 422 and error_code(r) == "invalid_field"  # which consent? (the code is not used up)
    r = client.post("/privacy/confirm/withdrawal", data={"csrf_token": tok(client), "code": code, "scope": "family_numbers"},
                    follow_redirects=False)
    assert r.status_code == 303
    detail = client.get(r.headers["location"])
    assert 'data-kind="withdrawal" data-status="fulfilled"' in detail.text and ZH(K.WITHDRAWABLE["family_numbers"][0]) in detail.text
    assert client.get("/api/v1/family", headers=world["me"]).json() == []


@pytest.mark.promise("JD-6.5a", "JD-6.5b", "JD-5.2.1b", "JD-5.2.2a", "JD-6.4.3a")
def test_cancellation_page_lists_what_blocks_it_then_cancels_and_stops_the_account(client, sms, clock, container, world):
    set_status(container, world["incoming"], states.IN_TRANSIT)
    web_login(client, sms, clock, ME)
    page = client.get("/privacy/confirm/cancellation")
    chinese_page(page)
    assert 'data-testid="blocked"' in page.text and 'data-code="parcels_in_transit"' in page.text
    assert ZH(REASONS["parcels_in_transit"]) in page.text
    assert 'data-testid="confirm"' not in page.text and 'data-testid="send-code"' not in page.text
    en = client.get("/privacy/confirm/cancellation?lang=en")
    english_page(en)
    assert EN(REASONS["parcels_in_transit"]) in en.text
    # Posting anyway is refused with the reason, in the user's language.
    r = client.post("/privacy/confirm/cancellation", data={"csrf_token": tok(client), "code": "123456"})
    assert r.status_code == 409 and error_code(r) == "cancellation_blocked" and EN(rights_service.blocked().message) in r.text
    assert EN(REASONS["parcels_in_transit"]) in r.text
    client.get("/privacy/me?lang=zh_CN")

    set_status(container, world["incoming"], states.DELIVERED)
    page = client.get("/privacy/confirm/cancellation")
    assert 'data-testid="blocked"' not in page.text and 'data-testid="confirm"' in page.text
    code = page_code(client, sms, clock, "/privacy/confirm/cancellation/code")
    erase_on = (clock() + relativedelta(months=1)).astimezone(CHINA).date().isoformat()
    page = client.get("/privacy/confirm/cancellation")
    assert re.search(r'data-testid="erase-after">[^<]*' + erase_on, page.text)
    assert "实名收寄记录" in page.text and 'data-testid="kept-until"' in page.text  # what the law keeps, with its end date
    r = client.post("/privacy/confirm/cancellation", data={"csrf_token": tok(client), "code": code})
    assert r.status_code == 200 and 'data-testid="cancelled"' in r.text and erase_on in r.text
    assert any(h.startswith(f"{SESSION_COOKIE}=") for h in r.headers.get_list("set-cookie"))  # the cookie is cleared
    assert client.get("/privacy/me", follow_redirects=False).headers["location"] == "/login?next=%2Fprivacy%2Fme"
    with container.uow() as s:
        assert s.get(User, world["my_id"]).status == "cancelled"
        req = s.scalars(select(RightsRequest).where(RightsRequest.kind == K.CANCELLATION)).one()
        assert req.status == K.SCHEDULED and req.erase_after.astimezone(CHINA).date().isoformat() == erase_on


@pytest.mark.promise("JD-6.3.1a", "JD-6.3.1b", "JD-5.2.1c")
def test_deletion_page_shows_what_goes_and_what_the_law_keeps_then_deletes(client, sms, clock, container, world):
    web_login(client, sms, clock, ME)
    page = client.get("/privacy/confirm/deletion")
    chinese_page(page)
    erased = dict(re.findall(r'<tr data-testid="erase-item"><td>([^<]+)</td><td>(\d+)</td>', page.text))
    assert erased["账号"] == "1" and erased["地址簿"] == "1" and erased["寄件订单"] == "1"
    keep = re.findall(r'<tr data-testid="keep-item"><td>([^<]+)</td><td>([^<]+)</td><td data-testid="kept-until">(\d{4}-\d\d-\d\d)</td>',
                      page.text)
    assert [k[0] for k in keep] == ["实名收寄记录"] and keep[0][1].strip() and keep[0][2] > clock().date().isoformat()
    en = client.get("/privacy/confirm/deletion?lang=en")
    english_page(en)
    assert "Real-name pickup records" in en.text and "Address book" in en.text
    client.get("/privacy/me?lang=zh_CN")
    code = page_code(client, sms, clock, "/privacy/confirm/deletion/code")
    r = client.post("/privacy/confirm/deletion", data={"csrf_token": tok(client), "code": code})
    assert r.status_code == 200 and 'data-testid="deleted"' in r.text and "实名收寄记录" in r.text
    assert ZH(views.REMEDIES) in r.text
    assert client.get("/privacy/me", follow_redirects=False).headers["location"] == "/login?next=%2Fprivacy%2Fme"
    with container.uow() as s:
        user = s.get(User, world["my_id"])
        assert user.status == "erased" and user.phone is None


# -- the privacy officer ---------------------------------------------------------------------------------
@pytest.mark.promise("JD-6.8.3c", "CN-12.2", "JD-6.8.1c", "JD-10.2b", "JD-6.2.1", "JD-6.8.1b")
def test_the_privacy_officer_answers_and_refuses_on_a_lawful_ground_and_the_user_is_told_the_remedies(app, client, sms, clock,
                                                                                                      container, world):
    web_login(client, sms, clock, ME)
    # A correction needs to say what is wrong (checked before the code is used).
    code = page_code(client, sms, clock, "/privacy/confirm/correction/code")
    r = client.post("/privacy/confirm/correction", data={"csrf_token": tok(client), "code": code, "details": " "})
    assert r.status_code == 422 and error_code(r) == "invalid_field"
    r = client.post("/privacy/confirm/correction", data={"csrf_token": tok(client), "code": code, "details": "收件地址写错了"},
                    follow_redirects=False)
    corr = request_id(r)
    clock.advance(days=1)
    expl = file_request(client, sms, clock, K.EXPLANATION, details="请解释自动化决策")

    assert client.get("/staff/privacy", follow_redirects=False).headers["location"] == "/staff/login?next=%2Fstaff%2Fprivacy"  # a customer is not staff
    agent = staff_client(app, container, Role.SUPPORT_AGENT, "agent1")
    r = agent.get("/staff/privacy")
    assert r.status_code == 403 and error_code(r) == "forbidden"
    assert agent.get(f"/staff/privacy/{corr}").status_code == 403
    assert 'href="/staff/privacy"' not in agent.get("/staff").text

    officer = staff_client(app, container, Role.PRIVACY_OFFICER, "dpo1")
    assert 'href="/staff/privacy"' in officer.get("/staff").text
    queue = officer.get("/staff/privacy")
    chinese_page(queue)
    assert re.findall(r'data-testid="queue-row" data-id="([0-9a-f-]{36})"', queue.text) == [corr, expl]  # soonest due first
    english_page(officer.get("/staff/privacy?lang=en"))
    officer.get("/staff/privacy?lang=zh_CN")

    page = officer.get(f"/staff/privacy/{corr}")
    chinese_page(page)
    assert "收件地址写错了" in page.text and 'data-testid="approve-form"' in page.text
    en = officer.get(f"/staff/privacy/{corr}?lang=en")
    english_page(en)
    assert "Correction of my data" in en.text and "Lawful ground" in en.text and EN(K.REFUSAL_GROUNDS["trade_secrets"]) in en.text
    officer.get("/staff/privacy?lang=zh_CN")
    r = officer.post(f"/staff/privacy/{corr}/approve", data={"csrf_token": tok(officer), "answer": ""})
    assert r.status_code == 422 and error_code(r) == "invalid_field"  # a correction is answered in writing
    assert officer.post(f"/staff/privacy/{corr}/approve", data={"answer": "已更正"}).status_code == 403  # CSRF
    r = officer.post(f"/staff/privacy/{corr}/approve", data={"csrf_token": tok(officer), "answer": "已更正"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/staff/privacy/{corr}?done=approved"
    assert 'data-testid="done"' in officer.get(r.headers["location"]).text

    for ground, reason in (("", "理由"), ("because", "理由"), ("excessive", " ")):
        r = officer.post(f"/staff/privacy/{expl}/refuse", data={"csrf_token": tok(officer), "ground": ground, "reason": reason})
        assert r.status_code == 422 and error_code(r) == "refusal_ground", ground
    page = officer.get(f"/staff/privacy/{expl}")
    for key in K.REFUSAL_GROUNDS:
        assert f'<option value="{key}"' in page.text
    r = officer.post(f"/staff/privacy/{expl}/refuse", data={"csrf_token": tok(officer), "ground": "excessive",
                                                           "reason": "需要开发新系统"}, follow_redirects=False)
    assert r.status_code == 303
    assert 'data-testid="queue-empty"' in officer.get("/staff/privacy").text
    assert corr in officer.get("/staff/privacy?closed=1").text

    # The requester sees the answer, the ground and the reason of the refusal, and where else they can turn.
    mine = client.get("/privacy/requests")
    chinese_page(mine)
    assert 'data-ground="excessive"' in mine.text and ZH(K.REFUSAL_GROUNDS["excessive"]) in mine.text
    assert "需要开发新系统" in mine.text and "已更正" in mine.text and ZH(views.REMEDIES) in mine.text
    detail = client.get(f"/privacy/requests/{expl}?lang=en")
    english_page(detail)
    assert 'data-status="refused"' in detail.text and K.REFUSAL_GROUNDS["excessive"] in detail.text
    assert "people&#39;s court" in detail.text and "market regulation" in detail.text


@pytest.mark.promise("JD-6.2.1", "JD-6.1.3", "JD-2.2", "JD-5.1.1(4)a", "JD-5.1.2(1)a", "JD-5.1.2(2)")
def test_the_requester_reads_their_words_and_the_officer_sees_them_masked_until_a_recorded_reveal(app, client, sms, clock,
                                                                                                   container, world):
    from jidi.privacy.models import AuditRecord  # noqa: PLC0415

    web_login(client, sms, clock, ME)
    words = f"收件人应为{NAMES[1]}"
    rid = file_request(client, sms, clock, K.CORRECTION, details=words)
    page = client.get(f"/privacy/requests/{rid}")
    chinese_page(page)
    assert re.search(r'data-testid="details">' + re.escape(str(escape(words))) + "<", page.text) and ZH("What you wrote") in page.text
    assert "What you wrote" in client.get(f"/privacy/requests/{rid}?lang=en").text
    client.get("/privacy/me?lang=zh_CN")
    with TestClient(app, base_url="https://testserver") as other:  # anyone else: not found, their words nowhere
        web_login(other, sms, clock, FRIEND)
        r = other.get(f"/privacy/requests/{rid}")
        assert r.status_code == 404 and NAMES[1] not in r.text and NAMES[1] not in other.get("/privacy/requests").text

    def reveals() -> int:
        with container.uow() as s:
            return len(s.scalars(select(AuditRecord).where(AuditRecord.action == "reveal", AuditRecord.fields == "users.phone")).all())

    officer = staff_client(app, container, Role.PRIVACY_OFFICER, "dpo1")
    queue = officer.get("/staff/privacy")
    chinese_page(queue)
    assert ZH("Requester") in queue.text and '<td data-testid="requester">139****5678' in queue.text and ME not in queue.text
    page = officer.get(f"/staff/privacy/{rid}")
    chinese_page(page)
    assert '<td data-testid="requester">139****5678' in page.text and 'data-testid="reveal-requester"' in page.text and ME not in page.text
    assert 'data-testid="deceased"' not in page.text and reveals() == 0
    # The full number: a POST with the CSRF token, the number in the page only, recorded for the rights request.
    assert officer.post(f"/staff/privacy/{rid}/reveal", data={"who": "requester"}).status_code == 403
    r = officer.post(f"/staff/privacy/{rid}/reveal", data={"csrf_token": tok(officer), "who": "requester"})
    chinese_page(r)
    assert f'data-testid="requester-full">{ME}<' in r.text and ME not in str(r.url) and reveals() == 1
    assert 'data-testid="approve-form"' in r.text and words in r.text  # the page as before, to answer it
    r = officer.post(f"/staff/privacy/{rid}/reveal", data={"csrf_token": tok(officer), "who": "deceased"})
    assert r.status_code == 404 and error_code(r) == "not_found" and ME not in r.text
    agent = staff_client(app, container, Role.SUPPORT_AGENT, "agent1")
    r = agent.post(f"/staff/privacy/{rid}/reveal", data={"csrf_token": tok(agent), "who": "requester"})
    assert r.status_code == 403 and ME not in r.text and reveals() == 1


# -- next of kin -----------------------------------------------------------------------------------------
@pytest.mark.promise("JD-6.8.2a", "JD-6.8.2b")
def test_next_of_kin_uploads_refuse_a_wrong_file_clearly_then_the_officer_reviews_the_four_proofs(app, client, sms, clock,
                                                                                                  container, world):
    web_login(client, sms, clock, FRIEND)
    page = client.get("/privacy/kin")
    chinese_page(page)
    assert 'enctype="multipart/form-data"' in page.text
    for key in K.KIN_PROOFS:
        assert f'type="file" name="{key}"' in page.text
    for key, title in K.RELATIONSHIPS.items():
        assert f'<option value="{key}"' in page.text and ZH(title) in page.text
    en = client.get("/privacy/kin?lang=en")
    english_page(en)
    assert "Death certificate" in en.text and "Grandchild" in en.text
    client.get("/privacy/kin?lang=zh_CN")

    code = page_code(client, sms, clock, "/privacy/kin/code", phone=FRIEND)
    form = {"csrf_token": tok(client), "code": code, "deceased_phone": ME, "relationship": "spouse", "right": "deletion",
            "details": ""}
    files = {"deceased_id": ("id.jpg", JPEG, "image/jpeg"), "death_certificate": ("death.png", PNG, "image/png"),
             "applicant_id": ("mine.pdf", PDF, "application/pdf"), "kinship": ("kinship.pdf", PDF, "application/octet-stream")}
    r = client.post("/privacy/kin", data=form, files={**files, "kinship": ("kinship.txt", b"hello", "text/plain")})
    assert r.status_code == 422 and error_code(r) == "bad_proof"
    assert ZH(rights_service.bad_proof().message) in r.text
    assert ME not in r.text.replace(f'value="{ME}"', "")  # only the form keeps what was typed
    r = client.post("/privacy/kin", data=form, files={k: v for k, v in files.items() if k != "kinship"})
    assert r.status_code == 422 and error_code(r) == "bad_proof"  # all four are needed
    r = client.post("/privacy/kin", data=form, files={**files, "death_certificate": ("big.pdf", PDF + b"0" * rights_service.MAX_PROOF_BYTES,
                                                                                       "application/pdf")})
    assert r.status_code == 422 and error_code(r) == "bad_proof"
    assert client.post("/privacy/kin", data={k: v for k, v in form.items() if k != "csrf_token"}, files=files).status_code == 403
    r = client.post("/privacy/kin", data=form, files=files, follow_redirects=False)
    assert r.status_code == 303, r.text
    rid = request_id(r)
    detail = client.get(f"/privacy/requests/{rid}")
    assert 'data-kind="next_of_kin" data-status="in_review"' in detail.text and ZH(views.KIN_RIGHT_LABELS["deletion"]) in detail.text

    officer = staff_client(app, container, Role.PRIVACY_OFFICER, "dpo1")
    page = officer.get(f"/staff/privacy/{rid}")
    chinese_page(page)
    proofs = re.findall(r'href="(/staff/privacy/[0-9a-f-]{36}/proofs/[0-9a-f-]{36})" data-testid="proof" data-kind="([a-z_]+)"', page.text)
    assert sorted(kind for _, kind in proofs) == sorted(K.KIN_PROOFS) and ZH(K.RELATIONSHIPS["spouse"]) in page.text
    # Named for the officer: the applicant's documents, not "yours".
    assert ZH("The applicant's identity document") in page.text and ZH(K.KIN_PROOFS["applicant_id"]) not in page.text
    # The applicant and the deceased's account, masked.
    assert '<td data-testid="requester">137****1111' in page.text and '<td data-testid="deceased">139****5678' in page.text
    assert 'data-testid="reveal-deceased"' in page.text and ME not in page.text and FRIEND not in page.text
    expected = {"deceased_id": ("image/jpeg", JPEG), "death_certificate": ("image/png", PNG), "applicant_id": ("application/pdf", PDF),
                "kinship": ("application/pdf", PDF)}
    for url, kind in proofs:
        got = officer.get(url)
        assert got.status_code == 200 and (got.headers["content-type"], got.content) == expected[kind]
        assert got.headers["content-disposition"].startswith("attachment;") and got.headers["cache-control"] == "no-store"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert client.get(url, follow_redirects=False).headers["location"] == "/staff/login?" + urlencode({"next": url})  # the applicant is not staff
    assert officer.get(f"/staff/privacy/{uuid.uuid4()}/proofs/{proofs[0][0].rsplit('/', 1)[1]}").status_code == 404
    r = officer.post(f"/staff/privacy/{rid}/approve", data={"csrf_token": tok(officer), "answer": ""}, follow_redirects=False)
    assert r.status_code == 303
    with container.uow() as s:
        assert s.get(User, world["my_id"]).status == "erased"
    assert 'data-status="fulfilled"' in client.get(f"/privacy/requests/{rid}").text
    page = officer.get(f"/staff/privacy/{rid}")  # the deceased's data is deleted: nothing left to show or reveal
    assert ZH("No account has the number given, or its data was deleted") in page.text and 'data-testid="reveal-deceased"' not in page.text


# -- login and CSRF ------------------------------------------------------------------------------------------
def test_the_pages_need_a_login_and_every_form_needs_the_csrf_token(client, sms, clock, world):
    for path in ("/privacy/me", "/privacy/requests", "/privacy/kin", "/privacy/confirm/deletion", f"/privacy/requests/{uuid.uuid4()}"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?" + urlencode({"next": path}), path
    assert client.get("/staff/privacy", follow_redirects=False).headers["location"] == "/staff/login?next=%2Fstaff%2Fprivacy"
    web_login(client, sms, clock, ME)
    sent = len(sms.sent)
    for path, data in (("/privacy/me/code", {}), ("/privacy/me/full", {"code": "123456"}), ("/privacy/confirm/copy/code", {}),
                       ("/privacy/confirm/deletion", {"code": "123456"}), ("/privacy/confirm/withdrawal", {"scope": "email"}),
                       ("/privacy/kin/code", {}), ("/privacy/kin", {"deceased_phone": FRIEND}),
                       (f"/privacy/requests/{uuid.uuid4()}/accept-fee", {}),
                       (f"/staff/privacy/{uuid.uuid4()}/refuse", {"ground": "abuse", "reason": "x"})):
        r = client.post(path, data=data)
        assert r.status_code == 403 and error_code(r) == "csrf_failed", path
        assert ZH(errors.csrf_failed().message) in r.text
    assert len(sms.sent) == sent
    for kind in ("access", "next_of_kin", "everything"):
        assert client.get(f"/privacy/confirm/{kind}").status_code == 404
        assert client.post(f"/privacy/confirm/{kind}/code", data={"csrf_token": tok(client)}).status_code == 404
    # Too long a field is a clear 422, never a server error.
    r = client.post("/privacy/confirm/correction", data={"csrf_token": tok(client), "code": "1", "details": "错" * 3000})
    assert r.status_code == 422
