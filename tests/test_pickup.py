"""The courier's real-name pickup (实名收寄, JD-1.1.2(6)b; 快递暂行条例 art. 22): the courier page under /staff and the
courier API. A verified account's identity is reused; otherwise the courier records the sender's ID (validated,
stored only encrypted, never echoed); a sender who shows no ID gets the parcel refused ("not accepted"). A pickup
adds a "picked_up" route event at the courier's site and sends the route SMS, once. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pyotp
import pytest
from sqlalchemy import func, select

from jidi import privacy
from jidi.i18n import gettext_for
from jidi.privacy import Actor, Purpose, PurposeNotAllowed, Role
from jidi.privacy.models import AuditRecord
from jidi.shipping import states
from jidi.shipping.models import Order, PickupRecord, VerifiedIdentity
from jidi.tracking.models import RouteEvent
from jidi.tracking.service import COURIER_SOURCE_ID
from tests import pii
from tests.pii import ID_NUMBERS, NAMES, PHONES
from tests.test_accounts_api import auth, register
from tests.test_accounts_web import csrf, web_register
from tests.test_shipping import RECIPIENT_PHONE, SENDER_PHONE, order_body

REAL_NAME = "JD-1.1.2(6)b"
RESIDENT_ID, PASSPORT, OTHER_RESIDENT_ID = ID_NUMBERS[0], ID_NUMBERS[1], ID_NUMBERS[2]
BAD_RESIDENT_ID = RESIDENT_ID[:-1] + "5"  # the check digit is wrong
STAFF_PASSWORD = "Courier-pass-2026"
ZH, EN = gettext_for("zh_CN"), gettext_for("en")


# -- helpers ----------------------------------------------------------------------------------------------------
def staff(container, role=Role.COURIER, username="courier1") -> tuple[uuid.UUID, str]:
    user_id, secret, _ = container.accounts.create_staff(role, username, STAFF_PASSWORD)
    return user_id, secret


def courier_token(client, username: str, secret: str) -> str:
    r = client.post("/api/v1/courier/sessions",
                    json={"username": username, "password": STAFF_PASSWORD, "totp_code": pyotp.TOTP(secret).now()})
    assert r.status_code == 201, r.text
    return r.json()["token"]


@pytest.fixture
def courier(client, container):
    """(user id, bearer headers) of a courier logged in through the courier API."""
    user_id, secret = staff(container)
    return user_id, auth(courier_token(client, "courier1", secret))


def place(client, token, **over) -> str:
    r = client.post("/api/v1/orders", json=order_body(**{"payment_mode": "pay_later", **over}), headers=auth(token))
    assert r.status_code == 201, r.text
    return r.json()["waybill_no"]


def pick_up(client, headers, wb, **identity):
    return client.post("/api/v1/courier/pickups", json={"waybill_no": wb, **identity}, headers=headers)


def identity(number=RESIDENT_ID, name=NAMES[0], id_type="resident_id") -> dict:
    return {"id_type": id_type, "id_number": number, "real_name": name}


def status_of(container, wb) -> tuple[str, str | None]:
    with container.uow() as s:
        return s.execute(select(Order.status, Order.exception).where(Order.waybill_no == wb)).one()


def count(container, model, *where) -> int:
    with container.uow() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def route_sms(sms, wb) -> list[str]:
    return sorted(to for to, text in sms.sent if wb in text)


def assert_no_identity_in(text: str) -> None:
    for value in (RESIDENT_ID, BAD_RESIDENT_ID, PASSPORT, OTHER_RESIDENT_ID, RESIDENT_ID.lower(), NAMES[0]):
        assert value not in text, "an ID number or legal name came back"


def staff_web_login(client, username: str, secret: str) -> None:
    r = client.post("/staff/login", data={"csrf_token": csrf(client), "username": username, "password": STAFF_PASSWORD,
                                          "totp": pyotp.TOTP(secret).now()}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff", r.text


# -- the API ----------------------------------------------------------------------------------------------------
@pytest.mark.promise(REAL_NAME)
def test_first_pickup_records_the_id_and_the_next_reuses_the_verified_identity(client, sms, container, courier):
    _, headers = courier
    token = register(client, sms, phone=SENDER_PHONE)
    first, second = place(client, token), place(client, token)

    # Scanned: masked, and not verified yet.
    view = client.get(f"/api/v1/courier/orders/{first}", headers=headers)
    assert view.status_code == 200, view.text
    got = view.json()
    assert got["identity_verified"] is False and got["can_pick_up"] is True and got["status"] == "awaiting_pickup"
    assert got["sender_name"] == "王*" and got["sender_phone"] == "139****5678" and got["origin"] == "北京市朝阳区"
    english = client.get(f"/api/v1/courier/orders/{first}", headers={**headers, "Accept-Language": "en"}).json()
    assert english["origin"] == "Chaoyang District, Beijing" and english["status_label"] == "Awaiting pickup"
    assert got["item_category"] == "daily_goods" and got["weight_g"] == 1500
    assert SENDER_PHONE not in view.text and NAMES[0] not in view.text

    # No ID, or one that fails its check: 422, nothing stored, the number not echoed.
    r = pick_up(client, headers, first)
    assert r.status_code == 422 and r.json()["error"]["code"] == "identity_required"
    for bad in (identity(BAD_RESIDENT_ID), identity("E1", id_type="passport")):
        r = pick_up(client, headers, first, **bad)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_id_number", r.text
        assert_no_identity_in(r.text)
    r = pick_up(client, headers, first, **{**identity(), "id_type": "library_card"})
    assert r.status_code == 422 and r.json()["error"]["fields"] == ["id_type"]
    assert_no_identity_in(r.text)
    assert count(container, PickupRecord) == 0 and count(container, VerifiedIdentity) == 0
    assert status_of(container, first) == (states.AWAITING_PICKUP, None)

    # The ID shown in person: recorded, and it becomes the account's verified identity.
    r = pick_up(client, headers, first, **identity(RESIDENT_ID.lower()))
    assert r.status_code == 201, r.text
    assert r.json()["identity"] == "recorded" and r.json()["status"] == "picked_up" and r.json()["repeated"] is False
    assert_no_identity_in(r.text)

    # The next parcel of that account: "verified", nothing to enter, nothing shown.
    view = client.get(f"/api/v1/courier/orders/{second}", headers=headers)
    assert view.json()["identity_verified"] is True
    assert_no_identity_in(view.text)
    r = pick_up(client, headers, second)
    assert r.status_code == 201 and r.json()["identity"] == "reused", r.text

    with container.uow() as s:
        records = s.scalars(select(PickupRecord)).all()
        assert len(records) == 2 and [r.reused_identity for r in sorted(records, key=lambda r: r.reused_identity)] == [False, True]
        assert {r.id_number_bidx for r in records} == {container.vault.blind_index("id_number", RESIDENT_ID)}
        assert {r.id_type for r in records} == {"resident_id"}
        for record in records:  # the legal record: ciphertext at rest, opened for rights requests only
            assert RESIDENT_ID.encode() not in pii.stored(s, record, "id_number") and NAMES[0].encode() not in pii.stored(s, record, "real_name")
            with pytest.raises(PurposeNotAllowed):
                privacy.open(record.id_number, for_=Purpose.DELIVERY, actor=privacy.Actor.system())
        ident = s.scalars(select(VerifiedIdentity)).one()
        assert str(ident.id_number) == "1****************X"
    # The sender's own view of the order never shows an ID.
    assert_no_identity_in(client.get(f"/api/v1/orders/{first}", headers=auth(token)).text)


@pytest.mark.promise(REAL_NAME)
def test_a_repeated_pickup_must_name_the_id_recorded(client, sms, container, courier):
    courier_id, headers = courier
    token = register(client, sms, phone=SENDER_PHONE)
    wb = place(client, token)
    assert pick_up(client, headers, wb, **identity()).status_code == 201
    before = count(container, AuditRecord, AuditRecord.action == "pickup_identity_mismatch")

    # The same ID (as typed: lower case, spaces) or none (the account is verified now): a retry, nothing changes.
    for again in (identity(RESIDENT_ID.lower()), identity(f"{RESIDENT_ID[:6]} {RESIDENT_ID[6:14]} {RESIDENT_ID[14:]}"), {}):
        r = pick_up(client, headers, wb, **again)
        assert r.status_code == 200 and r.json()["repeated"] is True, r.text
    # Another valid ID, or the same number as another type: refused, audited, the recorded one never shown.
    for other in (identity(OTHER_RESIDENT_ID), identity(PASSPORT, id_type="passport"), identity(RESIDENT_ID, id_type="passport")):
        r = pick_up(client, headers, wb, **other)
        assert r.status_code == 409 and r.json()["error"]["code"] == "pickup_identity_mismatch", r.text
        assert_no_identity_in(r.text)
        assert r.json()["error"]["message"] == ZH(
            "This parcel was already picked up with a different ID document. Check the ID shown; the pickup was not changed.")
    # An ID that fails its check is invalid input, as for a first pickup.
    r = pick_up(client, headers, wb, **identity(BAD_RESIDENT_ID))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_id_number"
    assert count(container, AuditRecord, AuditRecord.action == "pickup_identity_mismatch") == before + 3
    assert count(container, PickupRecord) == 1
    with container.uow() as s:
        assert s.scalar(select(PickupRecord.id_number_bidx)) == container.vault.blind_index("id_number", RESIDENT_ID)
    en = client.post("/api/v1/courier/pickups", json={"waybill_no": wb, **identity(OTHER_RESIDENT_ID)},
                     headers={**headers, "Accept-Language": "en"})
    assert en.json()["error"]["message"].startswith("This parcel was already picked up with a different ID document.")


@pytest.mark.promise(REAL_NAME)
def test_a_pickup_adds_one_route_event_at_the_site_and_sends_the_route_sms_once(client, sms, container, courier, clock):
    courier_id, headers = courier
    token = register(client, sms, phone=SENDER_PHONE)
    wb, other = place(client, token), place(client, token)
    before = len(sms.sent)

    r = pick_up(client, headers, wb, **identity())
    assert r.status_code == 201, r.text
    with container.uow() as s:
        [event] = s.scalars(select(RouteEvent).where(RouteEvent.waybill_no == wb)).all()
    assert event.action == "picked_up" and event.source_id == COURIER_SOURCE_ID
    assert (event.site_code, event.site_name) == ("ST110105", "北京市朝阳区营业部")  # the origin district's station
    assert event.event_time == clock.now and event.operator is None
    # The route SMS, to the sender and to the recipient, as for a scanned pickup.
    assert route_sms(sms, wb) == sorted([SENDER_PHONE, RECIPIENT_PHONE])
    expected = ZH("[jidi] Parcel {waybill_no} has been picked up. Track it with its waybill number on jidi.").format(waybill_no=wb)
    assert expected in [text for _, text in sms.sent[before:]]

    # The route timeline shows it, on the public tracking page and on the sender's order page.
    track = client.get(f"/api/v1/tracking/{wb}").json()
    assert [stop["action"] for stop in track["events"]] == ["picked_up"] and track["status"] == "picked_up"
    assert "北京市朝阳区营业部" in track["events"][0]["description"]
    # A retry by the same courier changes nothing: no second event, no second SMS.
    again = pick_up(client, headers, wb, **identity())
    assert again.status_code == 200 and again.json()["repeated"] is True and again.json()["identity"] == "recorded"
    assert count(container, RouteEvent, RouteEvent.waybill_no == wb) == 1 and len(route_sms(sms, wb)) == 2
    assert count(container, PickupRecord) == 1

    # A scanner's own "picked up" scan of the same parcel later joins the route only.
    _, key = container.tracking.create_source("测试扫描枪", "scanner")
    scan = {"event_id": "scan-1", "waybill_no": wb, "event_time": (clock.now + dt.timedelta(minutes=1)).isoformat(),
            "action": "picked_up", "site_code": "BJ-CY-01", "site_name": "北京朝阳营业部", "operator": "C1001"}
    r = client.post("/api/v1/tracking/events", json={"events": [scan]}, headers={"X-Api-Key": key})
    assert r.json()["results"][0]["result"] == "accepted" and r.json()["results"][0]["applied"] is False
    assert len(route_sms(sms, wb)) == 2

    # A courier's device may name its own station.
    r = pick_up(client, headers, other, site_code="BJ-CY-07", site_name="北京朝阳望京营业部")
    assert r.status_code == 201 and r.json()["identity"] == "reused"
    with container.uow() as s:
        assert s.execute(select(RouteEvent.site_code, RouteEvent.site_name).where(RouteEvent.waybill_no == other)).one() == (
            "BJ-CY-07", "北京朝阳望京营业部")
    for bad in ({"site_code": "BJ-CY-07"}, {"site_code": "13912345678", "site_name": "x"}):
        wb3 = place(client, token)
        r = pick_up(client, headers, wb3, **bad)
        assert r.status_code == 422, r.text
        assert status_of(container, wb3) == (states.AWAITING_PICKUP, None)
        assert count(container, RouteEvent, RouteEvent.waybill_no == wb3) == 0


@pytest.mark.promise(REAL_NAME)
def test_no_id_shown_means_the_parcel_is_not_accepted_until_a_real_name_pickup(client, sms, container, courier, clock):
    courier_id, headers = courier
    token = register(client, sms, phone=SENDER_PHONE)
    wb, cancel_me = place(client, token), place(client, token)
    sent = len(sms.sent)

    r = client.post("/api/v1/courier/refusals", json={"waybill_no": wb, "reason": "id_not_shown"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"waybill_no": wb, "status": "not_accepted", "reason": "id_not_shown"}
    assert status_of(container, wb) == (states.NOT_ACCEPTED, "id_not_shown")
    # Why and by whom: the reason on the order, the courier's decision in the audit log. Not on the route, no SMS.
    with container.uow() as s:
        audit = s.execute(select(AuditRecord.actor_role, AuditRecord.detail).where(AuditRecord.action == "pickup_not_accepted")).all()
    assert audit == [("courier", "id_not_shown")]
    assert count(container, RouteEvent) == 0 and count(container, PickupRecord) == 0 and len(sms.sent) == sent
    # A retry changes nothing.
    again = client.post("/api/v1/courier/refusals", json={"waybill_no": wb}, headers=headers)
    assert again.status_code == 200 and count(container, AuditRecord, AuditRecord.action == "pickup_not_accepted") == 1

    # The sender sees it; the public tracking page shows the status, not who or what.
    mine = client.get(f"/api/v1/orders/{wb}", headers=auth(token)).json()
    assert mine["status"] == "not_accepted" and mine["exception"] == "id_not_shown"
    # A scanner cannot move it into the network: only a real-name pickup can.
    _, key = container.tracking.create_source("测试扫描枪", "scanner")
    scan = {"event_id": "scan-1", "waybill_no": wb, "event_time": clock.now.isoformat(), "action": "picked_up",
            "site_code": "BJ-CY-01", "site_name": "北京朝阳营业部"}
    result = client.post("/api/v1/tracking/events", json={"events": [scan]}, headers={"X-Api-Key": key}).json()["results"][0]
    assert (result["result"], result["code"]) == ("rejected", "real_name_pickup_required")
    view = client.get(f"/api/v1/courier/orders/{wb}", headers=headers).json()
    assert view["status"] == "not_accepted" and view["not_accepted_reason"] == "id_not_shown" and view["can_pick_up"] is True

    # The courier comes back and the sender shows a passport this time.
    r = pick_up(client, headers, wb, **identity(PASSPORT, id_type="passport"))
    assert r.status_code == 201 and r.json()["identity"] == "recorded", r.text
    assert status_of(container, wb) == (states.PICKED_UP, None)
    assert route_sms(sms, wb) == sorted([SENDER_PHONE, RECIPIENT_PHONE])
    # Once picked up, it can no longer be refused.
    r = client.post("/api/v1/courier/refusals", json={"waybill_no": wb}, headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "pickup_not_allowed"

    # A parcel that was not accepted can be cancelled by its sender.
    client.post("/api/v1/courier/refusals", json={"waybill_no": cancel_me}, headers=headers)
    assert client.post(f"/api/v1/orders/{cancel_me}/cancel", headers=auth(token)).status_code == 204
    assert status_of(container, cancel_me)[0] == states.CANCELLED


@pytest.mark.promise(REAL_NAME)
def test_only_couriers_pick_up(client, sms, container):
    token = register(client, sms, phone=SENDER_PHONE)
    wb = place(client, token)
    body = {"waybill_no": wb, **identity()}
    # A customer's bearer token is not a staff session.
    for method, path, json in (("POST", "/api/v1/courier/pickups", body), ("POST", "/api/v1/courier/refusals", {"waybill_no": wb}),
                               ("GET", f"/api/v1/courier/orders/{wb}", None), ("POST", "/api/v1/courier/logout", None)):
        r = client.request(method, path, json=json, headers=auth(token))
        assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated", path
        assert client.request(method, path, json=json).status_code == 401
    # A support agent cannot get a courier session, and their staff session cannot pick up.
    _, secret = staff(container, Role.SUPPORT_AGENT, "agent1")
    r = client.post("/api/v1/courier/sessions", json={"username": "agent1", "password": STAFF_PASSWORD,
                                                       "totp_code": pyotp.TOTP(secret).now()})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    staff_web_login(client, "agent1", secret)
    agent = {"Authorization": f"Bearer {client.cookies.get('jidi_staff')}"}
    r = client.post("/api/v1/courier/pickups", json=body, headers=agent)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert client.get(f"/api/v1/courier/orders/{wb}", headers=agent).status_code == 403
    page = client.get(f"/staff/pickup?waybill_no={wb}")
    assert page.status_code == 403 and 'data-code="forbidden"' in page.text
    with pytest.raises(Exception) as exc:
        container.shipping.pick_up(Actor(uuid.uuid4(), Role.SUPPORT_AGENT), wb, "resident_id", RESIDENT_ID, NAMES[0])
    assert exc.value.code == "forbidden"
    # A customer logged in on the web is sent to the staff login.
    client.cookies.clear()
    web_register(client, sms, phone=PHONES[2])
    r = client.get("/staff/pickup", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff/login?next=%2Fstaff%2Fpickup"
    assert status_of(container, wb) == (states.AWAITING_PICKUP, None) and count(container, PickupRecord) == 0
    # Wrong credentials: 401, like the staff console.
    r = client.post("/api/v1/courier/sessions", json={"username": "agent1", "password": "wrong", "totp_code": "000000"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "staff_login_failed"


def test_unknown_waybills_and_parcels_in_the_wrong_state(client, sms, container, courier):
    _, headers = courier
    token = register(client, sms, phone=SENDER_PHONE)
    unpaid = place(client, token, payment_mode="pay_now")
    cancelled = place(client, token)
    assert client.post(f"/api/v1/orders/{cancelled}/cancel", headers=auth(token)).status_code == 204
    for wb in (unpaid, cancelled):
        for r in (pick_up(client, headers, wb, **identity()),
                  client.post("/api/v1/courier/refusals", json={"waybill_no": wb}, headers=headers)):
            assert r.status_code == 409 and r.json()["error"]["code"] == "pickup_not_allowed", r.text
            assert_no_identity_in(r.text)
        assert client.get(f"/api/v1/courier/orders/{wb}", headers=headers).json()["can_pick_up"] is False
    # Picked up by one courier: another courier's pickup is a conflict, not a replay.
    paid = place(client, token)
    assert pick_up(client, headers, paid, **identity()).status_code == 201
    _, secret = staff(container, Role.COURIER, "courier2")
    other = auth(courier_token(client, "courier2", secret))
    r = pick_up(client, other, paid)
    assert r.status_code == 409 and r.json()["error"]["code"] == "pickup_not_allowed"
    # Unknown and malformed numbers.
    r = pick_up(client, headers, "JD0000000000000", **identity())
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/courier/orders/JD0000000000000", headers=headers).status_code == 404
    r = pick_up(client, headers, "JD123", **identity())
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_waybill"
    assert_no_identity_in(r.text)
    assert count(container, PickupRecord) == 1
    with container.uow() as s:  # the one pickup, and the sender's cancellation
        assert sorted(s.scalars(select(RouteEvent.action))) == ["cancelled", "picked_up"]


def test_errors_speak_the_couriers_language(client, sms, container, courier):
    _, headers = courier
    token = register(client, sms, phone=SENDER_PHONE)
    wb = place(client, token)
    message = "The ID number is not valid for the chosen ID type."
    zh = pick_up(client, headers, wb, **identity(BAD_RESIDENT_ID))
    en = pick_up(client, {**headers, "Accept-Language": "en"}, wb, **identity(BAD_RESIDENT_ID))
    assert zh.json()["error"]["message"] == ZH(message) != message
    assert en.json()["error"]["message"] == message
    assert client.post("/api/v1/courier/logout", headers=headers).status_code == 204
    assert pick_up(client, headers, wb, **identity()).status_code == 401  # the session ended


# -- the page ---------------------------------------------------------------------------------------------------
@pytest.mark.promise(REAL_NAME)
def test_the_courier_page_scans_shows_masked_picks_up_and_refuses(client, sms, container):
    web_register(client, sms, phone=SENDER_PHONE)
    token = register(client, sms, phone=PHONES[3])  # another sender, through the API
    wb, verified_later, refused = place(client, token), place(client, token), place(client, token)
    client.cookies.clear()
    _, secret = staff(container)
    staff_web_login(client, "courier1", secret)
    home = client.get("/staff")
    assert 'href="/staff/pickup"' in home.text

    page = client.get(f"/staff/pickup?waybill_no={wb}")
    assert page.status_code == 200 and 'data-testid="pickup-order"' in page.text
    assert "王*" in page.text and "139****5678" in page.text and "北京市朝阳区" in page.text
    assert NAMES[0] not in page.text and SENDER_PHONE not in page.text and 'data-testid="pickup-id-number"' in page.text
    en = client.get(f"/staff/pickup?waybill_no={wb}&lang=en").text
    assert 'data-testid="pickup-origin">Chaoyang District, Beijing<' in en and "北京市" not in en
    client.get("/staff?lang=zh_CN")
    token_field = csrf(client)
    form = {"csrf_token": token_field, "waybill_no": wb, "action": "pickup", "id_type": "resident_id", "id_number": BAD_RESIDENT_ID,
            "real_name": NAMES[0]}

    bad = client.post("/staff/pickup", data=form)
    assert bad.status_code == 422 and 'data-code="invalid_id_number"' in bad.text
    assert_no_identity_in(bad.text)  # neither the number nor the name is put back in the form
    missing = client.post("/staff/pickup", data={**form, "id_number": "", "real_name": ""})
    assert missing.status_code == 422 and 'data-code="identity_required"' in missing.text
    unknown = client.post("/staff/pickup", data={**form, "waybill_no": "JD0000000000000", "id_number": RESIDENT_ID})
    assert unknown.status_code == 404 and 'data-code="not_found"' in unknown.text
    assert_no_identity_in(unknown.text)
    for number, status, code in (("JD0000000000000", 404, "not_found"), ("JD1", 422, "invalid_waybill")):
        scanned = client.get(f"/staff/pickup?waybill_no={number}")  # the form again, with the error
        assert scanned.status_code == status and f'data-code="{code}"' in scanned.text and 'data-testid="pickup-find"' in scanned.text

    done = client.post("/staff/pickup", data={**form, "id_number": OTHER_RESIDENT_ID, "real_name": NAMES[1]}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/staff/pickup?waybill_no={wb}&done=recorded"
    shown = client.get(done.headers["location"])
    assert 'data-outcome="recorded"' in shown.text and 'data-status="picked_up"' in shown.text
    assert 'data-testid="pickup-form"' not in shown.text
    twice = client.post("/staff/pickup", data={**form, "id_number": OTHER_RESIDENT_ID, "real_name": NAMES[1]}, follow_redirects=False)
    assert twice.status_code == 303  # the same courier's retry

    # The next parcel of that account: "real-name verified" only, no fields.
    page = client.get(f"/staff/pickup?waybill_no={verified_later}")
    assert 'data-testid="identity-verified"' in page.text and 'data-testid="pickup-id-number"' not in page.text
    assert OTHER_RESIDENT_ID not in page.text and NAMES[1] not in page.text
    r = client.post("/staff/pickup", data={"csrf_token": token_field, "waybill_no": verified_later, "action": "pickup"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("done=reused")

    # 拒收: the sender shows no ID.
    r = client.post("/staff/pickup", data={"csrf_token": token_field, "waybill_no": refused, "action": "refuse"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("done=not_accepted")
    shown = client.get(r.headers["location"])
    assert 'data-status="not_accepted"' in shown.text and 'data-outcome="not_accepted"' in shown.text
    assert status_of(container, refused) == (states.NOT_ACCEPTED, "id_not_shown")
    wrong = client.post("/staff/pickup", data={"csrf_token": token_field, "waybill_no": wb, "action": "refuse"})
    assert wrong.status_code == 409 and 'data-code="pickup_not_allowed"' in wrong.text
    # No form without the CSRF token.
    assert client.post("/staff/pickup", data={"waybill_no": refused, "action": "pickup"}).status_code == 403

    with container.uow() as s:
        numbers = {r.id_number_bidx for r in s.scalars(select(PickupRecord)).all()}
    assert numbers == {container.vault.blind_index("id_number", OTHER_RESIDENT_ID)}


def test_the_order_page_shows_the_route_timeline(client, sms, container):
    web_register(client, sms, phone=SENDER_PHONE)
    with container.uow() as s:
        from jidi.accounts.models import User  # noqa: PLC0415

        owner = s.scalars(select(User.id)).one()
    from jidi.shipping.service import OrderIn, PartyIn  # noqa: PLC0415

    body = order_body(payment_mode="pay_later")
    party = lambda p: PartyIn(p["name"], p["phone"], p["region_code"], p["address"])  # noqa: E731
    wb, _ = container.shipping.place(owner, OrderIn(party(body["sender"]), party(body["recipient"]), body["item_name"],
                                                    body["item_category"], 1, 1500, 0, payment_mode="pay_later"))
    page = client.get(f"/orders/{wb}")
    assert re.findall(r'data-testid="order-stop" data-action="(\w+)"', page.text) == ["placed"]
    container.shipping.pick_up(Actor(uuid.uuid4(), Role.COURIER), wb, "resident_id", RESIDENT_ID, NAMES[0])
    page = client.get(f"/orders/{wb}")
    assert re.findall(r'data-testid="order-stop" data-action="(\w+)"', page.text) == ["picked_up", "placed"]
    assert "北京市朝阳区营业部" in page.text
