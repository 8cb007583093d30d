"""Couriers (jidi.couriers): onboarding by the employer with a background check (CN-3.3.2, CN-3.1.6b), drivers'
licences (CN-3.1.9), the courier's day of pickup and delivery tasks, masked and opened only for the stop worked,
each step a route event (CN-3.1.8), on-duty location with consent (CN-3.4.2a), exclusive couriers (JD-1.1.2(3)).
Runs on SQLite and PostgreSQL; the bad inputs change nothing."""
from __future__ import annotations

import base64
import json
import time

import pyotp
import pytest
from sqlalchemy import func, select

from jidi.couriers import tasks as T
from jidi.couriers.checks import sign
from jidi.couriers.models import BackgroundCheck, LocationTrack, Task, Worker
from jidi.couriers.service import COURIER_APP_SOURCE, WorkerIn, mask_name
from jidi.events.models import EventRecord
from jidi.kit.permissions import Kind
from jidi.privacy import Actor, Purpose, Role
from jidi.privacy.models import AuditRecord, ShareRecord
from jidi.shipping.models import Order
from jidi.tracking.models import RouteEvent
from jidi.tracking.service import COURIER_SOURCE_ID
from tests import pii
from tests.pii import ID_NUMBERS, NAMES, PHONES, STREETS
from tests.test_accounts_api import auth, register
from tests.test_accounts_web import csrf, web_register
from tests.test_shipping import RECIPIENT_PHONE, order_body

ADMIN = Actor(None, Role.ADMIN)
SENDER_DISTRICT, RECIPIENT_DISTRICT = "110105", "310106"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
STAFF_PASSWORD = "Admin-pass-2026"


def worker_in(**over) -> WorkerIn:
    w = {"kind": "courier", "employer": "顺达物流有限公司", "work_email": pii.EMAILS[1], "position": "快递员",
         "legal_name": NAMES[2], "id_type": "resident_id", "id_number": ID_NUMBERS[2],
         "regions": [SENDER_DISTRICT, RECIPIENT_DISTRICT]}
    w.update(over)
    return WorkerIn(**w)


def admin(container):
    user_id, _, _ = container.accounts.create_staff(Role.ADMIN, "admin1", STAFF_PASSWORD)
    return Actor(user_id, Role.ADMIN)


def onboard(container, **over):
    out = container.couriers.onboard(worker_in(**over), by=admin(container) if not hasattr(container, "_admin") else container._admin)
    return out, Actor(out.user_id, Role.COURIER)


@pytest.fixture
def courier(container):
    container._admin = admin(container)
    return onboard(container)


def courier_token(client, out) -> str:
    r = client.post("/api/v1/courier/sessions", json={"username": out.username, "password": out.password,
                                                        "totp_code": pyotp.TOTP(out.totp_secret).now()})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def place(client, token, **over) -> str:
    r = client.post("/api/v1/orders", json=order_body(**{"payment_mode": "pay_later", **over}), headers=auth(token))
    assert r.status_code == 201, r.text
    return r.json()["waybill_no"]


def task_of(container, waybill_no, kind) -> Task:
    with container.uow() as s:
        return s.scalar(select(Task).where(Task.waybill_no == waybill_no, Task.kind == kind))


def events(container, name) -> list[dict]:
    with container.uow() as s:
        return [json.loads(p) for p in s.scalars(select(EventRecord.payload).where(EventRecord.name == name))]


def audits(container, action) -> int:
    with container.uow() as s:
        return s.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action))


def scan_in_transit(container, waybill_no) -> None:
    source, _ = container.tracking.create_source("测试分拣中心", "scanner")
    from types import SimpleNamespace  # noqa: PLC0415

    r = container.tracking.ingest(source, [SimpleNamespace(
        event_id=f"hub-{waybill_no}", waybill_no=waybill_no, event_time=container.clock(), action="arrived_facility",
        site_code="SH-HUB-1", site_name="上海分拨中心", operator=None, delivered_as=None, exception=None)])
    assert r[0].result == "accepted", r


# -- onboarding and background checks ----------------------------------------------------------------------------------
@pytest.mark.promise("CN-3.1.6b")
def test_order_taking_waits_for_a_passed_background_check_from_the_declared_provider(container):
    container._admin = admin(container)
    container.couriers.checks.immediate = False
    out, actor = onboard(container)
    assert out.status == "pending_check"
    with pytest.raises(Exception) as e:
        container.couriers.day(actor)
    assert e.value.code == "order_taking_disabled" and e.value.status == 403
    # The provider received the name and ID number through the share register; the check row holds references only.
    with container.uow() as s:
        check = s.scalar(select(BackgroundCheck))
        shares = s.scalars(select(ShareRecord).where(ShareRecord.recipient == "courier_background_checks")).all()
    assert check.status == "requested" and len(shares) == 1 and "courier_workers.id_number" in shares[0].fields
    container.couriers.checks.complete(str(check.id))
    assert container.couriers.day(actor) == [] and container.couriers.status_of(out.worker_id) == "cleared"
    # One with a disqualifying record is rejected and stays unable to take orders.
    container.couriers.checks.immediate = True
    container.couriers.checks.record_list = frozenset({ID_NUMBERS[0]})
    bad, bad_actor = onboard(container, id_number=ID_NUMBERS[0])
    assert container.couriers.status_of(bad.worker_id) == "rejected"
    with pytest.raises(Exception) as e:
        container.couriers.set_duty(bad_actor, True)
    assert e.value.code == "order_taking_disabled"


def test_a_forged_or_replayed_background_check_callback_is_refused_and_changes_nothing(client, container):
    container._admin = admin(container)
    container.couriers.checks.immediate = False
    out, _ = onboard(container)
    with container.uow() as s:
        reference = str(s.scalar(select(BackgroundCheck.id)))
    body = json.dumps({"reference": reference, "provider_ref": "x", "result": "passed"}).encode()
    url = "/api/v1/couriers/background-checks/callback"
    for header in (None, sign("not the shared secret", int(time.time()), body),
                   sign(container.couriers._check_secret(), int(time.time()) - 3600, body)):
        r = client.post(url, content=body, headers={"Jidi-Signature": header} if header else {})
        assert r.status_code == 401 and r.json()["error"]["code"] == "callback_signature_invalid"
    assert container.couriers.status_of(out.worker_id) == "pending_check"
    good = sign(container.couriers._check_secret(), int(time.time()), body)
    assert client.post(url, content=body, headers={"Jidi-Signature": good}).status_code == 204
    assert container.couriers.status_of(out.worker_id) == "cleared"


@pytest.mark.promise("CN-3.3.2", "CN-3.1.9")
def test_a_partner_onboards_a_driver_with_a_sealed_licence(client, container):
    _, key = container.couriers.create_partner("顺达物流有限公司")
    body = {"kind": "driver", "employer": "顺达物流有限公司", "work_email": pii.EMAILS[0], "position": "干线司机",
            "legal_name": NAMES[0], "id_type": "resident_id", "id_number": ID_NUMBERS[0], "licence_file_number": "110123456789",
            "vehicle_class": "A2"}
    assert client.post("/api/v1/partners/couriers", json=body).status_code == 401
    bad = client.post("/api/v1/partners/couriers", json={**body, "vehicle_class": None}, headers={"X-Partner-Key": key})
    assert bad.status_code == 422
    r = client.post("/api/v1/partners/couriers", json=body, headers={"X-Partner-Key": key})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "cleared"
    with container.uow() as s:
        w = s.scalar(select(Worker))
        assert w.kind == "driver" and w.licence_file_number.spec.sensitive and w.vehicle_class.spec.sensitive
        assert pii.stored(s, w, "licence_file_number") != b"110123456789"
        assert w.work_email.masked != pii.EMAILS[0]
    assert client.delete(f"/api/v1/partners/couriers/{r.json()['worker_id']}", headers={"X-Partner-Key": key}).status_code == 204
    assert container.couriers.status_of(w.id) == "ended"


# -- the day's work --------------------------------------------------------------------------------------------------
@pytest.mark.promise("CN-3.1.8")
def test_a_pickup_is_masked_opened_for_the_stop_only_and_recorded_in_the_route(client, sms, container, courier):
    out, actor = courier
    token = register(client, sms)
    waybill_no = place(client, token, pickup_from=None)
    assert container.couriers.dispatch() == 1
    task = task_of(container, waybill_no, T.PICKUP)
    assert task.courier_id == out.user_id and task.status == T.ASSIGNED
    assert events(container, "courier.task_assigned") == [
        {"task_id": str(task.id), "order_id": str(task.order_id), "courier_id": str(out.user_id)}]

    h = auth(courier_token(client, out))
    stops = client.get("/api/v1/courier/tasks", headers=h).json()
    assert len(stops) == 1 and stops[0]["kind"] == "pickup"
    shown = json.dumps(stops, ensure_ascii=False)
    assert not pii.find_in(shown), "a stop shows a name, phone or address in full"
    assert stops[0]["name"] == mask_name(NAMES[0]) and "*" in stops[0]["address"] and set(stops[0]["phone"]) == {"*"}
    assert client.post("/api/v1/courier/scans", json={"waybill_no": waybill_no}, headers=h).json()["id"] == str(task.id)

    before = audits(container, "reveal")
    opened = client.post(f"/api/v1/courier/tasks/{task.id}/address", headers=h)
    assert opened.status_code == 200 and opened.json()["address"] == STREETS[0]
    assert audits(container, "reveal") == before + 1

    # The price follows the measured weight: the courier confirms it.
    r = client.post(f"/api/v1/courier/tasks/{task.id}/pickup", json={"weight_g": 4200, "price_fen": 1}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "price_mismatch"
    price = r.json()["error"]["price_fen"]
    assert task_of(container, waybill_no, T.PICKUP).status == T.ASSIGNED
    r = client.post(f"/api/v1/courier/tasks/{task.id}/pickup", headers=h, json={
        "weight_g": 4200, "price_fen": price, "id_type": "resident_id", "id_number": ID_NUMBERS[0], "real_name": NAMES[0]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == T.PICKED_UP and r.json()["weight_g"] == 4200
    with container.uow() as s:
        assert s.scalar(select(Order.status).where(Order.waybill_no == waybill_no)) == "picked_up"
        assert s.scalar(select(func.count()).select_from(RouteEvent).where(RouteEvent.waybill_no == waybill_no,
                                                                          RouteEvent.action == "picked_up")) == 1
    assert events(container, "courier.task_closed") == [{"task_id": str(task.id), "order_id": str(task.order_id)}]
    # Closed: no more address, no step.
    assert client.post(f"/api/v1/courier/tasks/{task.id}/address", headers=h).status_code == 409
    assert client.get("/api/v1/courier/tasks", headers=h).json() == []


def test_another_couriers_parcel_is_refused_and_audited(client, sms, container, courier):
    out, _ = courier
    other, other_actor = onboard(container, legal_name=NAMES[1], id_number=ID_NUMBERS[1], id_type="passport", regions=["440106"])
    waybill_no = place(client, register(client, sms))
    container.couriers.dispatch()
    task = task_of(container, waybill_no, T.PICKUP)
    assert task.courier_id == out.user_id
    h = auth(courier_token(client, other))
    before = audits(container, "courier_refused")
    r = client.post("/api/v1/courier/scans", json={"waybill_no": waybill_no}, headers=h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "task_of_another_courier"
    assert client.post(f"/api/v1/courier/tasks/{task.id}/address", headers=h).status_code == 403
    r = client.post(f"/api/v1/courier/tasks/{task.id}/pickup", json={"weight_g": 1500, "price_fen": 100}, headers=h)
    assert r.status_code == 403
    assert audits(container, "courier_refused") == before + 3
    assert audits(container, "reveal") == 0
    assert task_of(container, waybill_no, T.PICKUP).status == T.ASSIGNED
    unknown = client.post("/api/v1/courier/scans", json={"waybill_no": "JD1234567890128"}, headers=h)
    assert unknown.status_code == 404


def test_a_delivery_needs_a_proof_fails_with_a_reason_and_delivers_on_the_next_attempt(client, sms, container, courier):
    out, actor = courier
    sender = register(client, sms)
    waybill_no = place(client, sender)
    container.couriers.dispatch()
    pickup = task_of(container, waybill_no, T.PICKUP)
    p = container.couriers._begin(actor, pickup.id, T.PICK_UP)[1]
    container.couriers.pick_up(actor, pickup.id, weight_g=1500, price_fen=container.couriers.price_for(p, 1500),
                               id_type="resident_id", id_number=ID_NUMBERS[0], real_name=NAMES[0])
    scan_in_transit(container, waybill_no)  # the order event creates the delivery task
    task = task_of(container, waybill_no, T.DELIVERY)
    assert task is not None and task.courier_id == out.user_id
    h = auth(courier_token(client, out))
    url = f"/api/v1/courier/tasks/{task.id}"
    # Unknown or impossible steps.
    assert client.post(url + "/steps", json={"step": "teleport"}, headers=h).status_code == 422
    r = client.post(url + "/steps", json={"step": "refuse"}, headers=h)  # a pickup's step
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_step"
    r = client.post(url + "/steps", json={"step": "refused"}, headers=h)  # not out for delivery yet
    assert r.status_code == 409 and r.json()["error"]["code"] == "step_not_allowed"
    r = client.post(url + "/delivery", json={"proof_kind": "code", "code": "000000"}, headers=h)
    assert r.status_code == 409  # not out for delivery yet
    assert client.post(url + "/steps", json={"step": "start"}, headers=h).json()["status"] == T.OUT_FOR_DELIVERY
    # No proof, a wrong code, a non-image: refused, nothing changed.
    for body, code in (({"proof_kind": "photo"}, "proof_required"), ({"proof_kind": "code"}, "proof_required"),
                       ({"proof_kind": "code", "code": "999999" if container.couriers.delivery_code(task.id) != "999999" else "000000"},
                        "delivery_code_wrong"),
                       ({"proof_kind": "signature", "proof_image": base64.b64encode(b"GIF89a....").decode()}, "invalid_field")):
        r = client.post(url + "/delivery", json=body, headers=h)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
    assert task_of(container, waybill_no, T.DELIVERY).status == T.OUT_FOR_DELIVERY
    # A failed attempt with its reason; the next attempt tomorrow.
    r = client.post(url + "/failure", json={"reason": "recipient_unreachable"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == T.FAILED and r.json()["attempts"] == 1
    assert r.json()["next_attempt_on"] is not None
    with container.uow() as s:
        assert s.scalar(select(Order.exception).where(Order.waybill_no == waybill_no)) == "recipient_unreachable"
    # The recipient tells the code; the courier enters it.
    recipient = register(client, sms, phone=RECIPIENT_PHONE)
    code = client.get(f"/api/v1/me/deliveries/{waybill_no}/code", headers=auth(recipient)).json()["code"]
    assert client.get(f"/api/v1/me/deliveries/{waybill_no}/code", headers=auth(sender)).status_code == 404
    assert client.post(url + "/steps", json={"step": "start"}, headers=h).status_code == 200
    r = client.post(url + "/delivery", json={"proof_kind": "code", "code": code}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == T.DELIVERED
    with container.uow() as s:
        assert s.scalar(select(Order.status).where(Order.waybill_no == waybill_no)) == "delivered"
        actions = s.scalars(select(RouteEvent.action).where(RouteEvent.waybill_no == waybill_no,
                                                            RouteEvent.source_id == COURIER_APP_SOURCE)).all()
    assert sorted(actions) == ["delivered", "exception", "out_for_delivery", "out_for_delivery", "picked_up"]
    assert COURIER_APP_SOURCE == COURIER_SOURCE_ID
    assert len(events(container, "courier.task_closed")) == 2


def test_a_photo_proof_is_sealed(client, sms, container, courier):
    out, actor = courier
    waybill_no = place(client, register(client, sms))
    container.couriers.dispatch()
    pickup = task_of(container, waybill_no, T.PICKUP)
    p = container.couriers._begin(actor, pickup.id, T.PICK_UP)[1]
    container.couriers.pick_up(actor, pickup.id, weight_g=1500, price_fen=container.couriers.price_for(p, 1500),
                               id_type="resident_id", id_number=ID_NUMBERS[0], real_name=NAMES[0])
    scan_in_transit(container, waybill_no)
    task = task_of(container, waybill_no, T.DELIVERY)
    container.couriers.start(actor, task.id)
    container.couriers.deliver(actor, task.id, proof_kind="photo", proof=PNG)
    with container.uow() as s:
        row = s.get(Task, task.id)
        assert row.proof_kind == "photo" and base64.b64encode(PNG) not in (pii.stored(s, row, "proof") or b"")
    agent, _, _ = container.accounts.create_staff(Role.SUPPORT_AGENT, "agent1", STAFF_PASSWORD)
    kind, image = container.couriers.proof_of(Actor(agent, Role.SUPPORT_AGENT), task.id)
    assert (kind, image) == ("photo", PNG)


def test_the_transition_table_is_the_one_place(container):
    assert T.step(T.PICKUP, T.OPEN, T.ASSIGN) == T.ASSIGNED
    with pytest.raises(Exception) as e:
        T.step(T.PICKUP, T.ASSIGNED, "teleport")
    assert e.value.code == "unknown_step"
    with pytest.raises(Exception) as e:
        T.step(T.DELIVERY, T.DELIVERED, T.START)
    assert e.value.code == "step_not_allowed"
    for kind, table in T.STEPS.items():
        for status, steps in table.items():
            assert (status in T.CLOSED) == (not steps), (kind, status)
            assert all(after in table for after in steps.values())


# -- location -----------------------------------------------------------------------------------------------------
@pytest.mark.promise("CN-3.4.2a")
def test_location_is_collected_only_on_duty_and_with_consent(client, container, courier, clock):
    out, actor = courier
    h = auth(courier_token(client, out))
    ping = {"at": clock.now.isoformat(), "latitude": 39.98, "longitude": 116.31, "accuracy_m": 12}
    r = client.post("/api/v1/courier/pings", json={"pings": [ping]}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "off_duty"
    assert client.put("/api/v1/courier/duty", json={"on_duty": True}, headers=h).json() == {"on_duty": True, "location_consent": False}
    r = client.post("/api/v1/courier/pings", json={"pings": [ping]}, headers=h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "location_consent_required"
    assert client.put("/api/v1/courier/location-consent", json={"give": True}, headers=h).json()["location_consent"] is True
    r = client.post("/api/v1/courier/pings", json={"pings": [ping] * 3}, headers=h)
    assert r.status_code == 201 and r.json() == {"stored": 3}
    with container.uow() as s:
        track = s.scalar(select(LocationTrack))
        assert track.points == 3 and track.track.spec.sensitive and b"39.98" not in pii.stored(s, track, "track")
    client.put("/api/v1/courier/duty", json={"on_duty": False}, headers=h)
    assert client.post("/api/v1/courier/pings", json={"pings": [ping]}, headers=h).status_code == 409
    client.put("/api/v1/courier/duty", json={"on_duty": True}, headers=h)
    client.put("/api/v1/courier/location-consent", json={"give": False}, headers=h)
    assert client.post("/api/v1/courier/pings", json={"pings": [ping]}, headers=h).status_code == 403
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(LocationTrack)) == 1


# -- exclusive courier --------------------------------------------------------------------------------------------------
@pytest.mark.promise("JD-1.1.2(3)")
def test_an_exclusive_courier_bound_by_qr_gets_the_customers_pickups_first(client, sms, container, courier):
    out, actor = courier
    other, other_actor = onboard(container, legal_name=NAMES[1], id_number=ID_NUMBERS[1], id_type="passport")
    customer = register(client, sms)
    h = auth(customer)
    qr = client.get("/api/v1/courier/qr", headers=auth(courier_token(client, other))).json()["token"]
    assert client.put("/api/v1/me/exclusive-courier", json={"token": "forged"}, headers=h).status_code == 404
    r = client.put("/api/v1/me/exclusive-courier", json={"token": qr}, headers=h)
    assert r.status_code == 200 and r.json()["courier"] == mask_name(NAMES[1])
    for _ in range(2):
        place(client, customer)
    container.couriers.dispatch()
    with container.uow() as s:
        assert set(s.scalars(select(Task.courier_id))) == {other.user_id}
    assert client.delete("/api/v1/me/exclusive-courier", headers=h).status_code == 204
    assert client.get("/api/v1/me/exclusive-courier", headers=h).json() == {"courier": None}
    # Nearby couriers only with location allowed; the token they come with binds the same way.
    near = client.post("/api/v1/me/exclusive-courier/nearby", json={"latitude": 39.92, "longitude": 116.44}, headers=h)
    assert near.status_code == 200 and {n["name"] for n in near.json()} == {mask_name(NAMES[2]), mask_name(NAMES[1])}
    user_id = container.accounts.user_id_for_phone(PHONES[0])
    container.devices.set_allowed(user_id, Kind.GEOLOCATION.value, False)
    r = client.post("/api/v1/me/exclusive-courier/nearby", json={"latitude": 39.92, "longitude": 116.44}, headers=h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "location_permission_off"


def test_the_demo_courier_has_tasks(container):
    from jidi import demo  # noqa: PLC0415

    demo.load(container)
    courier_id = container.accounts.user_id_for_login("courier")
    stops = container.couriers.day(Actor(courier_id, Role.COURIER))
    assert {st.kind for st in stops} == {T.PICKUP, T.DELIVERY}
    # The demo courier has a work number: the demo's tasks are reachable through virtual numbers.
    with container.uow() as s:
        assert s.scalar(select(Worker).where(Worker.user_id == courier_id)).work_phone is not None
        assert s.scalar(select(func.count()).select_from(ShareRecord)
                        .where(ShareRecord.recipient == "virtual_number_carrier_couriers")) >= 1
    demo.load(container)  # twice: nothing more
    assert len(container.couriers.day(Actor(courier_id, Role.COURIER))) == len(stops)


def test_names_are_masked_with_at_least_one_character_hidden():
    assert mask_name("王") == "*" and mask_name("王小明").startswith("王") and "*" in mask_name("李华")


# -- the work number and virtual numbers (CN-3.4.7) ------------------------------------------------------------------
WORK_PHONE = PHONES[5]  # the courier's work number (scanned for like every test value: never stored in clear)


def _customer_sees(client, headers, waybill_no) -> str:
    """Everything the customer's API answers about the order, as one text."""
    got = [client.get(f"/api/v1/orders/{waybill_no}/courier-number", headers=headers),
           client.get(f"/api/v1/orders/{waybill_no}", headers=headers), client.get("/api/v1/orders", headers=headers)]
    assert all(r.status_code == 200 for r in got), [r.text for r in got]
    return "\n".join(r.text for r in got)


@pytest.mark.promise("CN-3.4.7")
def test_a_courier_with_a_work_number_is_reached_through_a_virtual_number(client, sms, container, clock):
    container._admin = admin(container)
    out, _ = onboard(container, work_phone="+86 " + WORK_PHONE)
    with container.uow() as s:
        w = s.scalar(select(Worker))
        assert w.work_phone.masked == WORK_PHONE[:3] + "****" + WORK_PHONE[-4:]
        assert pii.stored(s, w, "work_phone") != WORK_PHONE.encode()
    token = register(client, sms)
    waybill_no = place(client, token, pickup_from=None)
    assert container.couriers.dispatch() == 1
    task = task_of(container, waybill_no, T.PICKUP)
    assert task.courier_id == out.user_id
    # The carrier received the work number under the binding's reference, recorded in the register by this feature.
    binding = container.virtual_numbers.provider  # the simulator: it keeps each live binding, as a carrier does
    got = client.get(f"/api/v1/orders/{waybill_no}/courier-number", headers=auth(token)).json()
    x = got["virtual_number"]
    assert x and x != WORK_PHONE and got["task_open"] is True
    assert binding.active() == 1
    with container.uow() as s:
        shares = s.scalars(select(ShareRecord).where(ShareRecord.recipient == "virtual_number_carrier_couriers")).all()
        assert [(r.fields, r.purpose) for r in shares] == [("courier_workers.work_phone", "delivery")]
        ref = shares[0].reference
        assert s.scalar(select(ShareRecord.reference).where(ShareRecord.recipient == "virtual_number_carrier")) == ref
    # Nothing the customer gets carries the courier's number: the API and the order page show X only.
    assert WORK_PHONE not in _customer_sees(client, auth(token), waybill_no)
    clock.advance(seconds=61)
    web_register(client, sms, phone=PHONES[0])
    page = client.get(f"/orders/{waybill_no}")
    assert page.status_code == 200 and f'href="tel:{x}"' in page.text and WORK_PHONE not in page.text
    # A deletion notice for the courier's share reaches the configured provider, by the binding's reference.
    container.courier_directory.request_deletion([ref])
    assert binding.deletion_requests[-1] == [ref] and binding.active() == 0


def test_without_a_work_number_nothing_binds_and_nothing_fails(client, sms, container):
    container._admin = admin(container)
    out, actor = onboard(container)  # onboarded before the number was asked, or without one
    token = register(client, sms)
    waybill_no = place(client, token, pickup_from=None)
    assert container.couriers.dispatch() == 1
    assert task_of(container, waybill_no, T.PICKUP).courier_id == out.user_id
    assert client.get(f"/api/v1/orders/{waybill_no}/courier-number", headers=auth(token)).json()["virtual_number"] is None
    assert [st.waybill_no for st in container.couriers.day(actor)] == [waybill_no]  # the courier works the task as before
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(ShareRecord).where(ShareRecord.recipient.like("virtual_number%"))) == 0
    # An unknown courier: none either.
    with container.uow() as s:
        assert container.courier_directory.phone_for_carrier(s, out.worker_id, reference="r", now=container.clock()) is None


def test_the_work_number_is_checked_at_onboarding_and_kept_sealed(client, container):
    _, key = container.couriers.create_partner("顺达物流有限公司")
    body = {"kind": "courier", "employer": "顺达物流有限公司", "work_email": pii.EMAILS[0], "position": "快递员",
            "legal_name": NAMES[0], "id_type": "resident_id", "id_number": ID_NUMBERS[0], "regions": [SENDER_DISTRICT]}
    for bad in ("12345", "010-12345678x", "1" * 30):
        r = client.post("/api/v1/partners/couriers", json={**body, "work_phone": bad}, headers={"X-Partner-Key": key})
        assert r.status_code == 422 and bad not in r.text, r.text
    with pytest.raises(Exception) as e:
        container.couriers.onboard(worker_in(work_phone="12345"), by=admin(container))
    assert e.value.code == "invalid_phone"
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(Worker)) == 0
    r = client.post("/api/v1/partners/couriers", json={**body, "work_phone": WORK_PHONE}, headers={"X-Partner-Key": key})
    assert r.status_code == 201 and WORK_PHONE not in r.text
    with container.uow() as s:
        w = s.scalar(select(Worker))
        assert w.work_phone.spec.purposes >= {Purpose.DELIVERY} and w.work_phone.masked != WORK_PHONE


def test_the_admin_onboards_a_courier_with_a_work_number_on_the_staff_page(client, container):
    _, secret, _ = container.accounts.create_staff(Role.ADMIN, "admin1", STAFF_PASSWORD)
    r = client.post("/staff/login", data={"csrf_token": csrf(client), "username": "admin1", "password": STAFF_PASSWORD,
                                          "totp": pyotp.TOTP(secret).now()}, follow_redirects=False)
    assert r.status_code == 303, r.text
    form = {"csrf_token": csrf(client), "kind": "courier", "employer": "顺达物流", "work_email": pii.EMAILS[0], "position": "快递员",
            "legal_name": NAMES[0], "id_type": "resident_id", "id_number": ID_NUMBERS[0], "regions": SENDER_DISTRICT}
    bad = client.post("/staff/couriers", data={**form, "work_phone": "12345"})
    assert bad.status_code == 422 and "invalid_phone" in bad.text, bad.text[:300]
    r = client.post("/staff/couriers", data={**form, "work_phone": WORK_PHONE})
    assert r.status_code == 200 and 'data-testid="onboarded"' in r.text
    page = client.get("/staff/couriers")
    assert WORK_PHONE[:3] + "****" + WORK_PHONE[-4:] in page.text and WORK_PHONE not in page.text
