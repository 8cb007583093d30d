"""Waybill lookup by phone proof (JD-1.1.2(2)a/b, A10): only the sender or the recipient, proved by their
account's verified number or by an SMS code to the full number; one answer for every failure; rate limits."""
from __future__ import annotations

import re

import pytest

from jidi import waybill
from jidi.family.lookup import LIMITS
from tests.pii import NAMES, PHONES, STREETS
from tests.test_accounts_api import auth, register
from tests.test_accounts_web import web_register
from tests.test_shipping import order_body

SENDER, RECIPIENT, STRANGER = PHONES[0], PHONES[1], PHONES[2]


def place(client, sms, clock) -> str:
    token = register(client, sms, phone=SENDER)
    r = client.post("/api/v1/orders", json=order_body(), headers=auth(token))
    assert r.status_code == 201, r.text
    clock.advance(seconds=61)  # past the resend wait of the sender's login code
    return r.json()["waybill_no"]


def ask(client, wb, phone):
    return client.post("/api/v1/lookup/codes", json={"waybill_no": wb, "phone": phone})


def look(client, wb, phone, code):
    return client.post("/api/v1/lookup", json={"waybill_no": wb, "phone": phone, "code": code})


def assert_masked(body: dict) -> None:
    text = str(body)
    for value in (SENDER, RECIPIENT, NAMES[0], NAMES[1], STREETS[0], STREETS[1]):
        assert value not in text
    assert body["sender"] == {"name": "王*", "phone": "139****5678", "region_code": "110105", "address": "******"}
    assert body["recipient"] == {"name": "李*", "phone": "137****1111", "region_code": "310106", "address": "******"}
    assert body["item_name"] == "祖***"


@pytest.mark.promise("JD-1.1.2(2)a", "JD-1.1.2(2)b")
def test_the_recipient_and_the_sender_look_a_parcel_up_with_a_code_to_their_full_number(client, sms, clock):
    wb = place(client, sms, clock)
    client.headers.pop("Authorization", None)
    for phone, role in ((RECIPIENT, "recipient"), (SENDER, "sender")):
        r = ask(client, wb, phone)
        assert r.status_code == 202, r.text
        code = sms.last_code(phone)
        assert "parcel" in sms.sent[-1][1] or "运单" in sms.sent[-1][1] or "包裹" in sms.sent[-1][1]
        r = look(client, wb, phone, code)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["waybill_no"] == wb and body["my_role"] == role and body["status"] == "awaiting_payment"
        assert_masked(body)
        # A code opens one lookup only.
        again = look(client, wb, phone, code)
        assert again.status_code == 400 and again.json()["error"]["code"] == "lookup_failed"
        clock.advance(seconds=61)
    # The waybill number may be typed with spaces or dashes, as printed.
    ask(client, f"{wb[:2]} {wb[2:8]}-{wb[8:]}".lower(), RECIPIENT)
    assert look(client, wb, RECIPIENT, sms.last_code(RECIPIENT)).status_code == 200


@pytest.mark.promise("JD-1.1.2(2)b")
def test_every_failure_gets_the_same_answer_and_no_code_goes_to_a_number_not_on_the_waybill(client, sms, clock):
    wb = place(client, sms, clock)
    other_wb = waybill.new_waybill_no()
    sent_before = len(sms.sent)
    asks = [ask(client, w, p) for w, p in ((wb, STRANGER), (other_wb, RECIPIENT), ("JD123", RECIPIENT), (wb, "12345"), ("不是运单", "电话"))]
    assert {r.status_code for r in asks} == {202} and len({r.text for r in asks}) == 1
    assert len(sms.sent) == sent_before, "a code went to a number that is not on the waybill"
    assert ask(client, wb, RECIPIENT).status_code == 202 and len(sms.sent) == sent_before + 1
    right = sms.last_code(RECIPIENT)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    failures = {
        "wrong phone": look(client, wb, STRANGER, right),
        "wrong code": look(client, wb, RECIPIENT, wrong),
        "malformed code": look(client, wb, RECIPIENT, "12ab"),
        "unknown waybill": look(client, other_wb, RECIPIENT, right),
        "malformed waybill": look(client, "JD123", RECIPIENT, right),
        "check digit wrong": look(client, wb[:-1] + str((int(wb[-1]) + 1) % 10), RECIPIENT, right),
        "malformed phone": look(client, wb, "12345", right),
    }
    for what, r in failures.items():
        assert r.status_code == 400, (what, r.text)
        assert r.json()["error"]["code"] == "lookup_failed", what
    assert len({r.text for r in failures.values()}) == 1, "failures must not tell which part was wrong"
    for r in failures.values():
        assert RECIPIENT not in r.text and wb not in r.text
    # The right code still works (one wrong guess does not lock it) and opens only this number's waybill.
    assert look(client, wb, RECIPIENT, right).status_code == 200


@pytest.mark.promise("JD-1.1.2(2)b")
def test_lookups_are_rate_limited_per_client_and_per_waybill(client, sms, clock):
    wb = place(client, sms, clock)
    per_client, per_waybill = (limit.windows[0].amount for limit in LIMITS["code"])
    for _ in range(per_waybill):
        assert ask(client, wb, STRANGER).status_code == 202
    r = ask(client, wb, RECIPIENT)
    assert r.status_code == 429 and r.json()["error"]["code"] == "lookup_too_many" and r.headers["Retry-After"] == "3601"
    # The per-client limit applies whatever waybill numbers are tried: enumeration stops.
    statuses = [ask(client, waybill.new_waybill_no(), STRANGER).status_code for _ in range(per_client)]
    assert statuses.count(202) == per_client - per_waybill and statuses[-1] == 429
    # Checking codes: after the limit even the right code is refused, so guessing stays bounded.
    clock.advance(hours=1, seconds=1)
    assert ask(client, wb, RECIPIENT).status_code == 202
    code = sms.last_code(RECIPIENT)
    per_waybill_checks = LIMITS["check"][1].windows[0].amount
    for _ in range(per_waybill_checks):
        assert look(client, wb, STRANGER, "000000").json()["error"]["code"] == "lookup_failed"
    r = look(client, wb, RECIPIENT, code)
    assert r.status_code == 429 and r.json()["error"]["code"] == "lookup_too_many"
    clock.advance(hours=1, seconds=1)
    assert look(client, wb, RECIPIENT, code).status_code == 400  # the code expired meanwhile: one answer again


@pytest.mark.promise("JD-1.1.2(2)a", "JD-1.1.2(2)b")
def test_lookup_pages_by_code_and_by_account(client, sms, clock):
    wb = place(client, sms, clock)
    client.headers.pop("Authorization", None)
    page = client.get("/lookup")
    assert page.status_code == 200 and 'data-testid="send-code"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/lookup/code", data={"csrf_token": token, "waybill_no": wb, "phone": RECIPIENT})
    assert r.status_code == 200 and 'data-testid="lookup-code-sent"' in r.text
    r = client.post("/lookup", data={"csrf_token": token, "waybill_no": wb, "phone": RECIPIENT, "code": "000000"})
    assert r.status_code == 400 and 'data-code="lookup_failed"' in r.text
    r = client.post("/lookup", data={"csrf_token": token, "waybill_no": wb, "phone": RECIPIENT, "code": sms.last_code(RECIPIENT)})
    assert r.status_code == 200 and 'data-testid="parcel"' in r.text
    assert "李*" in r.text and "137****1111" in r.text and NAMES[1] not in r.text and STREETS[1] not in r.text
    assert client.post("/lookup/code", data={"waybill_no": wb, "phone": RECIPIENT}).status_code == 403  # no CSRF token

    # Logged in: the account's verified number is the proof, no code needed; anyone else gets the same failure.
    clock.advance(seconds=61)
    web_register(client, sms, phone=RECIPIENT)
    r = client.post("/lookup/account", data={"csrf_token": token, "waybill_no": wb})
    assert r.status_code == 200 and 'data-testid="parcel-recipient"' in r.text and "137****1111" in r.text
    client.post("/logout", data={"csrf_token": token})
    clock.advance(seconds=61)
    web_register(client, sms, phone=STRANGER)
    for number in (wb, waybill.new_waybill_no(), "JD1"):
        r = client.post("/lookup/account", data={"csrf_token": token, "waybill_no": number})
        assert r.status_code == 400 and 'data-code="lookup_failed"' in r.text


def test_the_lookup_result_names_the_regions_in_the_users_language(client, sms, clock):
    wb = place(client, sms, clock)
    client.headers.pop("Authorization", None)
    web_register(client, sms, phone=RECIPIENT)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/lookup").text).group(1)
    for lang, sender, recipient in (("zh_CN", "北京市朝阳区", "上海市静安区"),
                                    ("en", "Chaoyang District, Beijing", "Jing'an District, Shanghai")):
        r = client.post(f"/lookup/account?lang={lang}", data={"csrf_token": token, "waybill_no": wb})
        assert r.status_code == 200, r.text
        shown = {k: re.search(rf'data-testid="parcel-{k}">([^<]*)<', r.text).group(1) for k in ("sender", "recipient")}
        assert shown["sender"].endswith(f"· {sender}") and shown["recipient"].endswith(f"· {recipient}".replace("'", "&#39;"))
        assert "110105" not in r.text and "310106" not in r.text  # names, not codes
