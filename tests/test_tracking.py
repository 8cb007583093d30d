"""Tracking: route-event ingestion (idempotent, out of order, per-event rejection, atomic with the order's status),
route SMS to sender and recipient, and the public masked lookup (API and page) with its rate limit."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import uuid

import pytest
import redis
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jidi import waybill
from jidi.bootstrap import bootstrap
from jidi.config import Settings
from jidi.events.models import EventRecord
from jidi.i18n import gettext_for
from jidi.privacy import Actor, Role
from jidi.ratelimit import RateLimiter
from jidi.shipping.models import Order
from jidi.shipping.service import OrderIn, PartyIn
from jidi.tracking import events as ev
from jidi.tracking.api import EventIn
from jidi.tracking.models import RouteEvent, TrackingSource
from jidi.tracking.service import LOOKUP_LIMIT, REASONS, Tracking, _OrderState
from jidi.web.app import create_app
from tests import pii
from tests.pii import ADDRESSES, ITEMS, NAMES, PHONES, STREETS
from tests.test_pickup import REAL_NAME, identity

SENDER_PHONE, RECIPIENT_PHONE = PHONES[0], PHONES[1]
URL = "/api/v1/tracking/events"


def place(container, payment_mode="pay_later", paid=False) -> str:
    order = OrderIn(
        PartyIn(NAMES[0], SENDER_PHONE, "320106", STREETS[0]), PartyIn(NAMES[1], RECIPIENT_PHONE, "310106", ADDRESSES[2]),
        ITEMS[0], "daily_goods", 1, 1500, 50000, payment_mode=payment_mode,
    )
    wb, _ = container.shipping.place(None, order)
    if paid:
        container.shipping.mark_paid(wb)
    return wb


def pick_up(container, clock, wb, at: dt.datetime, **site) -> None:
    """Take the parcel into the network the only way there is: a courier's real-name pickup (Shipping.pick_up,
    JD-1.1.2(6)b), which records the sender's ID and its own "picked_up" route event. Recorded at `at`: the clock is
    set back for it, so that the tests' scans can follow the pickup."""
    now, clock.now = clock.now, at
    try:
        container.shipping.pick_up(Actor(uuid.uuid4(), Role.COURIER), wb, **identity(), **site)
    finally:
        clock.now = now


@pytest.fixture
def key(container):
    return container.tracking.create_source("测试分拣中心扫描枪", "scanner")[1]


def event(wb, action, when: dt.datetime, event_id=None, **extra) -> dict:
    body = {"event_id": event_id or f"e-{uuid.uuid4().hex[:12]}", "waybill_no": wb, "event_time": when.isoformat(),
            "action": action, "site_code": "NJ-01", "site_name": "南京分拨中心", "operator": "C1001"}
    if action == "delivered":
        body["delivered_as"] = "locker"
    body.update(extra)
    return body


def post(client, key, events, **headers):
    return client.post(URL, json={"events": events}, headers={"X-Api-Key": key, **headers})


def status_of(container, wb):
    with container.uow() as s:
        return s.execute(select(Order.status, Order.exception, Order.delivered_as).where(Order.waybill_no == wb)).one()


def count(container, model, *where):
    with container.uow() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def route_sms(sms):
    return [(to, text) for to, text in sms.sent if "JD" in text]


# -- ingestion ----------------------------------------------------------------------------------------------
def test_ingestion_needs_a_source_key_stored_only_as_a_keyed_hash(client, container, key, clock):
    wb = place(container)
    body = {"events": [event(wb, "picked_up", clock.now)]}
    assert client.post(URL, json=body).status_code == 401
    r = client.post(URL, json=body, headers={"X-Api-Key": "tk_wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "source_key_invalid"
    with container.uow() as s:
        stored = s.scalars(select(TrackingSource.api_key_hash)).one()
    assert key.encode() not in stored and stored == container.secrets.token_hash(key)
    assert count(container, RouteEvent) == 0
    assert client.post(URL, json=body, headers={"X-Api-Key": key}).status_code == 200


def test_the_cli_creates_a_source_and_prints_its_key_once(container, monkeypatch):
    from jidi import cli  # noqa: PLC0415

    monkeypatch.setattr(cli, "_container", lambda: container)
    result = CliRunner().invoke(cli.main, ["tracking", "add-source", "合作伙伴系统", "--kind", "partner"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("tk_") and container.tracking.source_for_key(key)


@pytest.mark.promise("JD-1.1.2(6)a")
def test_out_of_order_events_build_the_route_by_time_and_move_the_order(client, container, key, clock):
    wb = place(container)
    t = clock.now - dt.timedelta(hours=10)
    pick_up(container, clock, wb, t)
    steps = ["arrived_facility", "departed_facility", "in_transit", "out_for_delivery", "delivered"]
    events = [event(wb, a, t + dt.timedelta(hours=i + 1), f"ev-{i}") for i, a in enumerate(steps)]
    shuffled = [events[i] for i in (4, 1, 3, 0, 2)]
    r = post(client, key, shuffled)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (5, 0, 0)
    assert [x["event_id"] for x in body["results"]] == [e["event_id"] for e in shuffled]  # in the order sent
    assert all(x["result"] == "accepted" and x["applied"] and x["code"] is None for x in body["results"])
    assert status_of(container, wb) == ("delivered", None, "locker")
    got = client.get(f"/api/v1/tracking/{wb}", headers={"Accept-Language": "en"}).json()
    assert [e["action"] for e in got["events"]] == ["picked_up", *steps]  # by event time, oldest first
    assert got["status"] == "delivered" and got["delivered_as_label"] == "In a parcel locker"
    assert got["events"][1]["description"] == "Arrived at 南京分拨中心"


def test_a_retried_batch_creates_nothing_twice(client, container, key, clock, sms):
    wb = place(container)
    pick_up(container, clock, wb, clock.now - dt.timedelta(hours=3))
    sent = len(sms.sent)
    # The scanner's own pickup scan of a parcel the courier picked up is a second scan of that step: route only.
    events = [event(wb, "picked_up", clock.now - dt.timedelta(hours=2)), event(wb, "arrived_facility", clock.now - dt.timedelta(hours=1))]
    first = post(client, key, events).json()
    assert [x["applied"] for x in first["results"]] == [False, True]
    again = post(client, key, events).json()
    assert (first["accepted"], again["accepted"], again["duplicate"]) == (2, 0, 2)
    assert {x["result"] for x in again["results"]} == {"duplicate"}
    assert count(container, RouteEvent) == 3 and len(sms.sent) == sent  # no second pickup SMS either
    # The same event ids from another source are that source's own events.
    other = container.tracking.create_source("另一家合作伙伴", "partner")[1]
    later = [event(wb, "departed_facility", clock.now, events[0]["event_id"])]
    assert post(client, other, later).json()["accepted"] == 1


def test_an_older_event_joins_the_route_without_moving_the_status_back(client, container, key, clock):
    wb = place(container)
    t = clock.now - dt.timedelta(hours=5)
    pick_up(container, clock, wb, t)
    post(client, key, [event(wb, "in_transit", t + dt.timedelta(hours=2)), event(wb, "out_for_delivery", t + dt.timedelta(hours=3))])
    late = post(client, key, [event(wb, "arrived_facility", t + dt.timedelta(hours=1))]).json()
    assert late["results"][0]["result"] == "accepted" and late["results"][0]["applied"] is False
    assert status_of(container, wb).status == "out_for_delivery"
    got = client.get(f"/api/v1/tracking/{wb}").json()
    assert [e["action"] for e in got["events"]] == ["picked_up", "arrived_facility", "in_transit", "out_for_delivery"]


def test_returns_and_exceptions_follow_the_state_machine(client, container, key, clock, sms):
    wb = place(container)
    t = clock.now - dt.timedelta(hours=9)
    pick_up(container, clock, wb, t)
    plan = ["in_transit", "out_for_delivery", "refused", "returning", "arrived_facility", "returned"]
    r = post(client, key, [event(wb, a, t + dt.timedelta(hours=i + 1)) for i, a in enumerate(plan)]).json()
    assert r["accepted"] == 6, r
    assert status_of(container, wb).status == "returned"

    wb2 = place(container)
    pick_up(container, clock, wb2, t)
    r = post(client, key, [event(wb2, "exception", t + dt.timedelta(hours=1), exception="address_unknown")]).json()
    assert r["results"][0]["applied"] is True and status_of(container, wb2) == ("picked_up", "address_unknown", None)
    texts = [text for to, text in route_sms(sms) if wb2 in text]
    assert len(texts) == 4  # pickup and exception, to the sender and to the recipient
    post(client, key, [event(wb2, "in_transit", t + dt.timedelta(hours=2))])
    assert status_of(container, wb2) == ("in_transit", None, None)  # moving on clears the exception


def test_a_refused_transition_names_the_actions_accepted_next_and_the_docs_list_them_all(app, client, container, key, clock):
    wb = place(container)
    t = clock.now - dt.timedelta(hours=3)
    pick_up(container, clock, wb, t)
    r = post(client, key, [event(wb, "out_for_delivery", t + dt.timedelta(hours=1))], **{"Accept-Language": "en"}).json()
    [result] = r["results"]
    assert result["code"] == "invalid_transition"
    assert result["allowed_actions"] == ["arrived_facility", "departed_facility", "in_transit", "exception"]
    assert result["reason"] == ("This change of status is not possible now. The actions this parcel accepts next: "
                                "arrived_facility, departed_facility, in_transit, exception.")
    zh = post(client, key, [event(wb, "returned", t + dt.timedelta(hours=1))]).json()["results"][0]
    assert zh["code"] == "invalid_transition" and "arrived_facility, departed_facility, in_transit, exception" in zh["reason"]
    assert zh["reason"] != result["reason"]  # in Chinese
    accepted = post(client, key, [event(wb, "in_transit", t + dt.timedelta(hours=2))]).json()["results"][0]
    assert accepted["result"] == "accepted" and accepted["allowed_actions"] is None

    # The documentation has the whole table, from the same data the ingestion follows.
    doc = app.openapi()["paths"][URL]["post"]["description"]
    for status, actions in ev.NEXT_ACTIONS.items():
        assert f"| `{status}` | {', '.join(f'`{a}`' for a in actions) or 'none'} |" in doc
    # ... and the table is what ingestion does: every action from every status the order can be in.
    for status, actions in ev.NEXT_ACTIONS.items():
        for action in ev.ACTIONS:
            order = _OrderState((uuid.uuid4(), "JD", status, t, None, None))
            code, applied = Tracking._apply(order, action, t + dt.timedelta(hours=1), None, "held")
            assert (code is None and applied) == (action in actions), (status, action, code)


def test_bad_events_are_rejected_one_by_one_and_the_rest_is_accepted(client, container, key, clock):
    paid = place(container)
    unknown = "JD" + "000000000001"
    unknown += str(next(d for d in range(10) if waybill.is_valid(unknown + str(d))))
    pick_up(container, clock, paid, clock.now - dt.timedelta(minutes=40))
    good = event(paid, "arrived_facility", clock.now - dt.timedelta(minutes=30), "good-1")
    batch = [
        good,
        event(unknown, "picked_up", clock.now, "bad-unknown"),
        event("JD1234", "picked_up", clock.now, "bad-malformed"),
        event(paid, "teleported", clock.now, "bad-action"),
        event(paid, "delivered", clock.now, "bad-delivered", delivered_as="doorstep"),
        event(paid, "exception", clock.now, "bad-exception"),
        event(paid, "in_transit", clock.now, "bad-exception-2", exception="held"),
        event(paid, "in_transit", clock.now + dt.timedelta(hours=1), "bad-future"),
        event(paid, "in_transit", dt.datetime(1999, 12, 31, tzinfo=dt.timezone.utc), "bad-ancient"),
        event(paid, "in_transit", clock.now - dt.timedelta(minutes=20), "good-1"),  # the same id again in this batch
        event(paid, "delivered", clock.now - dt.timedelta(minutes=10), "bad-transition"),  # in transit -> delivered
        event(paid, "in_transit", clock.now + dt.timedelta(minutes=4), "good-2"),  # within the clock skew
        event(paid, "in_transit", clock.now, "bad-personal", operator=PHONES[3]),  # a phone number is no staff code
        event(paid, "in_transit", clock.now, "bad-personal-2", site_name=f"驿站{PHONES[4]}"),
    ]
    r = post(client, key, batch, **{"Accept-Language": "en"})
    assert r.status_code == 200, r.text
    results = {x["event_id"]: x for x in r.json()["results"][1:]}
    expected = {
        "bad-unknown": "unknown_waybill", "bad-malformed": "invalid_waybill", "bad-action": "unknown_action",
        "bad-delivered": "invalid_delivered_as", "bad-exception": "invalid_exception", "bad-exception-2": "invalid_exception",
        "bad-future": "event_in_future", "bad-ancient": "invalid_event_time", "bad-transition": "invalid_transition",
        "bad-personal": "personal_data", "bad-personal-2": "personal_data",
    }
    for event_id, code in expected.items():
        assert (results[event_id]["result"], results[event_id]["code"]) == ("rejected", code), results[event_id]
        assert results[event_id]["reason"]
    assert r.json()["results"][9]["code"] == "duplicate_in_batch"
    assert r.json()["results"][0]["result"] == results["good-2"]["result"] == "accepted"
    assert (r.json()["accepted"], r.json()["rejected"]) == (2, 12)
    assert PHONES[3] not in r.text and PHONES[4] not in r.text
    assert count(container, RouteEvent) == 3 and status_of(container, paid).status == "in_transit"  # and the pickup
    zh = post(client, key, [event(unknown, "picked_up", clock.now)]).json()["results"][0]
    assert zh["code"] == "unknown_waybill" and zh["reason"] == gettext_for("zh_CN")(REASONS["unknown_waybill"])  # Chinese by default


@pytest.mark.promise("JD-1.1.2(6)a")
def test_an_unpaid_order_cannot_start_fulfilment(client, container, key, clock, sms):
    wb = place(container, payment_mode="pay_now")
    pickup = event(wb, "picked_up", clock.now - dt.timedelta(minutes=5))
    r = post(client, key, [pickup]).json()["results"][0]
    assert (r["result"], r["code"]) == ("rejected", "order_unpaid")
    assert status_of(container, wb).status == "awaiting_payment" and count(container, RouteEvent) == 0 and not route_sms(sms)
    container.shipping.mark_paid(wb)
    r = post(client, key, [pickup]).json()["results"][0]  # paid, but only a courier's real-name pickup takes it in
    assert (r["result"], r["code"]) == ("rejected", "real_name_pickup_required")
    pick_up(container, clock, wb, clock.now)
    r = post(client, key, [pickup]).json()["results"][0]  # a rejected event may be sent again: now a route-only scan
    assert (r["result"], r["applied"]) == ("accepted", False)
    assert status_of(container, wb).status == "picked_up"
    cancelled = place(container)
    with container.uow() as s:
        s.execute(Order.__table__.update().where(Order.waybill_no == cancelled).values(status="cancelled"))
    r = post(client, key, [event(cancelled, "picked_up", clock.now)]).json()["results"][0]
    assert r["code"] == "order_cancelled"


@pytest.mark.promise(REAL_NAME)
def test_a_scanned_pickup_cannot_take_a_parcel_into_the_network(client, container, key, clock, sms):
    """Only a courier's real-name pickup (which checks and records the sender's ID) moves a parcel out of "awaiting
    pickup" or "not accepted": a scanner's or partner's events for it are rejected one by one, and change nothing,
    while the rest of the batch is applied."""
    waiting, refused, moving = place(container), place(container), place(container)
    t = clock.now - dt.timedelta(hours=2)
    container.shipping.refuse_pickup(Actor(uuid.uuid4(), Role.COURIER), refused)  # no ID shown: not accepted
    pick_up(container, clock, moving, t)
    sent = len(route_sms(sms))
    batch = [
        event(waiting, "picked_up", t + dt.timedelta(minutes=10), "scan-pickup"),
        event(moving, "arrived_facility", t + dt.timedelta(minutes=20), "scan-moving"),
        event(waiting, "arrived_facility", t + dt.timedelta(minutes=30), "scan-later"),  # nor by skipping the pickup
        event(refused, "picked_up", t + dt.timedelta(minutes=10), "scan-refused"),
        event(moving, "picked_up", t + dt.timedelta(minutes=5), "scan-again"),  # picked up already: route only
    ]
    r = post(client, key, batch, **{"Accept-Language": "en"})
    assert r.status_code == 200, r.text
    body = r.json()
    results = {x["event_id"]: x for x in body["results"]}
    for event_id in ("scan-pickup", "scan-later", "scan-refused"):
        assert (results[event_id]["result"], results[event_id]["code"]) == ("rejected", "real_name_pickup_required")
        assert results[event_id]["reason"] == REASONS["real_name_pickup_required"] and not results[event_id]["applied"]
    assert (results["scan-moving"]["result"], results["scan-moving"]["applied"]) == ("accepted", True)
    assert (results["scan-again"]["result"], results["scan-again"]["applied"]) == ("accepted", False)
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (2, 0, 3)
    # Nothing changed for the parcels not picked up: status, reason, route, SMS.
    assert status_of(container, waiting) == ("awaiting_pickup", None, None)
    assert status_of(container, refused) == ("not_accepted", "id_not_shown", None)
    assert count(container, RouteEvent, RouteEvent.waybill_no.in_([waiting, refused])) == 0
    assert status_of(container, moving).status == "in_transit" and count(container, RouteEvent, RouteEvent.waybill_no == moving) == 3
    assert len(route_sms(sms)) == sent
    zh = post(client, key, [batch[0]]).json()["results"][0]  # in Chinese by default
    assert zh["reason"] == gettext_for("zh_CN")(REASONS["real_name_pickup_required"])
    # After the courier's real-name pickup, the rejected scan may be sent again: it joins the route, nothing more.
    pick_up(container, clock, waiting, clock.now)
    again = post(client, key, [batch[0]]).json()["results"][0]
    assert (again["result"], again["applied"]) == ("accepted", False) and status_of(container, waiting).status == "picked_up"
    assert [e["action"] for e in client.get(f"/api/v1/tracking/{waiting}").json()["events"]] == ["picked_up", "picked_up"]


@pytest.mark.parametrize("events, fields, items", [
    ([None] * 1001, ["events"], None),
    ([], ["events"], None),
    ("not a list", ["events"], None),
    ([{"event_id": "x"}], ["events"], [{"index": 0, "fields": ["action", "event_time", "site_code", "site_name", "waybill_no"]}]),
    (["OK", {"unknown": True}], ["events"], [{"index": 0, "fields": ["item"]}, {"index": 1, "fields": [
        "action", "event_id", "event_time", "item", "site_code", "site_name", "waybill_no"]}]),
])
def test_malformed_batches_are_refused_whole_with_the_items_named(client, container, key, events, fields, items):
    r = client.post(URL, json={"events": events}, headers={"X-Api-Key": key})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_input" and error["fields"] == fields and error.get("items") == items
    assert count(container, RouteEvent) == 0


def test_malformed_items_name_the_field_never_the_value(client, container, key, clock):
    wb = place(container)
    good = event(wb, "picked_up", clock.now)
    cases = [
        ({**good, "event_time": "2026-11-23T10:00:00"}, "event_time"),  # no UTC offset
        ({**good, "event_time": 1763892000}, "event_time"),  # a number is not a time
        ({**good, "site_name": "分拨\u0000中心"}, "site_name"),
        ({**good, "site_name": "\u202e心中拨分"}, "site_name"),
        ({**good, "operator": NAMES[0]}, "operator"),  # a name is no staff code
        ({**good, "event_id": "x" * 65}, "event_id"),
        ({**good, "note": "free text"}, "item"),
        ({**good, PHONES[2]: "x"}, "item"),
    ]
    for item, field in cases:
        r = client.post(URL, json={"events": [good, item]}, headers={"X-Api-Key": key})
        assert r.status_code == 422, (item, r.text)
        assert r.json()["error"]["items"] == [{"index": 1, "fields": [field]}], (item, r.text)
        assert NAMES[0] not in r.text and PHONES[2] not in r.text
    for raw, ctype in ((b"{not json", "application/json"), (b'{"events": []}', "text/plain")):
        r = client.post(URL, content=raw, headers={"X-Api-Key": key, "Content-Type": ctype})
        assert r.status_code == 422 and r.json()["error"]["fields"] == ["body"]
    assert count(container, RouteEvent) == 0


def test_a_full_batch_of_1000_is_accepted(client, container, key, clock):
    orders = [place(container) for _ in range(10)]
    t = clock.now - dt.timedelta(days=1)
    for wb in orders:
        pick_up(container, clock, wb, t - dt.timedelta(minutes=1))
    events = []
    for i in range(100):
        for n, wb in enumerate(orders):
            action = "arrived_facility" if i % 2 == 0 else "departed_facility"
            events.append(event(wb, action, t + dt.timedelta(minutes=i, seconds=n)))
    r = post(client, key, events)
    assert r.status_code == 200 and r.json()["accepted"] == 1000
    assert count(container, RouteEvent) == 1000 + len(orders) and {status_of(container, wb).status for wb in orders} == {"in_transit"}


def test_concurrent_retries_store_each_event_once(container, key, clock):
    source = container.tracking.source_for_key(key)
    orders = [place(container) for _ in range(5)]
    for wb in orders:
        pick_up(container, clock, wb, clock.now - dt.timedelta(hours=4))
    items = [EventIn.model_validate_json(json.dumps(event(wb, a, clock.now - dt.timedelta(hours=3 - i), f"{wb}-{a}")))
             for wb in orders for i, a in enumerate(("arrived_facility", "departed_facility", "in_transit"))]
    outcomes: list = []
    barrier = threading.Barrier(3)

    def run():
        barrier.wait()
        outcomes.append(container.tracking.ingest(source, items))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(outcomes) == 3 and count(container, RouteEvent) == 15 + len(orders)
    for i in range(15):
        assert sorted(o[i].result for o in outcomes) == ["accepted", "duplicate", "duplicate"]
    assert {status_of(container, wb).status for wb in orders} == {"in_transit"}


# -- route SMS ----------------------------------------------------------------------------------------------
def route_events_recorded(container) -> list[dict]:
    with container.uow() as s:
        return [json.loads(p) for p in s.scalars(select(EventRecord.payload).where(EventRecord.name == "tracking.route_updated")
                                                 .order_by(EventRecord.created_at))]


@pytest.mark.promise("JD-1.1.3a", "JD-2.1.3")
def test_sender_and_recipient_get_route_sms_at_the_key_steps(client, container, key, clock, sms):
    wb = place(container)
    t = clock.now - dt.timedelta(hours=6)
    pick_up(container, clock, wb, t)
    steps = ["arrived_facility", "departed_facility", "out_for_delivery", "delivered"]
    post(client, key, [event(wb, a, t + dt.timedelta(hours=i + 1)) for i, a in enumerate(steps)])
    sent = route_sms(sms)
    assert len(sent) == 6  # picked up, out for delivery, delivered: to each of the two
    assert {to for to, _ in sent} == {SENDER_PHONE, RECIPIENT_PHONE}
    assert all(wb in text for _, text in sent)
    assert not any(name in text for _, text in sent for name in NAMES)
    # The events carry the order's id and the event's codes only, recorded with the change: one for the courier's
    # pickup, one for the batch.
    recorded = route_events_recorded(container)
    assert [[action for _, action, _ in e["updates"]] for e in recorded] == [["picked_up"], ["out_for_delivery", "delivered"]]
    assert all(uuid.UUID(order_id) and exc is None for e in recorded for order_id, _, exc in e["updates"])
    assert not pii.find_in(json.dumps(recorded)) and container.events.pending() == 0


def test_a_queue_outage_after_the_commit_loses_no_route_sms(client, container, key, clock, sms, monkeypatch, caplog):
    def down(event_ids):
        raise ConnectionError("queue down")

    monkeypatch.setattr(container.tasks, "relay_events", down)
    wb = place(container)
    pick_up(container, clock, wb, clock.now - dt.timedelta(hours=1))  # its route SMS cannot be relayed either
    r = post(client, key, [event(wb, "exception", clock.now, exception="held")])
    assert r.status_code == 200 and r.json()["accepted"] == 1 and status_of(container, wb) == ("picked_up", "held", None)
    assert "the periodic relay will deliver them" in caplog.text and not route_sms(sms)
    # The route SMS of the pickup and of the exception, and the two status changes (order.status_changed).
    assert container.events.pending() == 4
    # The queue is back: the periodic relay delivers each event once, and the SMS they cause.
    monkeypatch.undo()
    clock.advance(minutes=1)
    container.tasks.relay_pending_events.call_local()
    assert len(route_sms(sms)) == 4  # picked up and the exception, to each of the two
    assert container.events.pending() == 0
    container.tasks.relay_pending_events.call_local()
    assert len(route_sms(sms)) == 4


def test_rejected_or_stale_events_send_nothing(client, container, key, clock, sms):
    wb = place(container, payment_mode="pay_now")
    post(client, key, [event(wb, "picked_up", clock.now)])
    assert not route_sms(sms)
    container.shipping.mark_paid(wb)
    post(client, key, [event(wb, "picked_up", clock.now)])  # not without a real-name pickup
    assert not route_sms(sms)
    t = clock.now - dt.timedelta(hours=2)
    pick_up(container, clock, wb, t)
    post(client, key, [event(wb, "picked_up", t), event(wb, "in_transit", t + dt.timedelta(hours=1))])
    before = len(route_sms(sms))
    post(client, key, [event(wb, "out_for_delivery", t + dt.timedelta(minutes=30))])  # older than in_transit
    assert len(route_sms(sms)) == before and status_of(container, wb).status == "in_transit"


# -- public lookup ------------------------------------------------------------------------------------------
def _tracked(client, container, key, clock):
    wb = place(container)
    t = clock.now - dt.timedelta(hours=3)
    pick_up(container, clock, wb, t, site_code="NJ-XW-01", site_name="南京玄武营业部")
    post(client, key, [event(wb, "arrived_facility", t + dt.timedelta(hours=1)),
                       event(wb, "exception", t + dt.timedelta(hours=2), exception="damaged")])
    return wb


@pytest.mark.promise("JD-2.2", "JD-5.1.1(4)a")
def test_anyone_can_track_a_parcel_but_sees_no_personal_data(client, container, key, clock):
    wb = _tracked(client, container, key, clock)
    r = client.get(f"/api/v1/tracking/{wb[:2]} {wb[2:8]}-{wb[8:]}", headers={"Accept-Language": "en"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["origin"] == {"province": "江苏省", "city": "南京市"} and got["destination"] == {"province": "上海市", "city": None}
    assert got["status_label"] == "In transit" and got["exception"] == "damaged"
    assert [e["site_name"] for e in got["events"]][0] == "南京玄武营业部"
    assert got["events"][-1]["description"].startswith("Exception at 南京分拨中心")
    assert "C1001" not in r.text and "operator" not in r.text  # the internal staff code stays internal
    assert pii.find_in(r.text) == []
    for lang in ("en", "zh_CN"):
        page = client.get(f"/track/{wb}?lang={lang}")
        assert page.status_code == 200
        assert pii.find_in(page.text) == [] and "鼓楼" not in page.text  # no district, no street
        assert page.text.count('data-testid="track-stop"') == 4  # three events and the order itself
        assert "南京分拨中心" in page.text and wb in page.text and "<script" not in page.text
    assert "Route" in client.get(f"/track/{wb}?lang=en").text


def test_the_tracking_page_names_the_places_in_the_readers_language(client, container, key, clock):
    wb = _tracked(client, container, key, clock)
    for lang, origin, destination in (("zh_CN", "江苏省南京市", "上海市"), ("en", "Nanjing City, Jiangsu Province", "Shanghai")):
        page = client.get(f"/track/{wb}?lang={lang}").text
        places = re.search(r'data-testid="track-places"><span>([^<]*)</span> → <span>([^<]*)</span>', page).groups()
        assert places == (origin, destination)


def test_the_form_looks_a_number_up(client, container, key, clock):
    wb = _tracked(client, container, key, clock)
    form = client.get("/track?lang=en")
    assert form.status_code == 200 and 'action="/track"' in form.text and 'name="no"' in form.text
    assert 'href="/track"' in client.get("/").text  # reachable from every page's navigation
    shown = client.get("/track", params={"no": wb.lower()})
    assert shown.status_code == 200 and 'data-testid="track-status"' in shown.text
    bad = client.get("/track", params={"no": "JD123"})
    assert bad.status_code == 422 and 'data-code="invalid_waybill"' in bad.text


PER_MINUTE = LOOKUP_LIMIT.windows[0].amount


@pytest.mark.promise("JD-5.1.1(4)b")
def test_lookups_are_rate_limited_per_client_without_revealing_the_number(client, container, key, clock):
    wb = _tracked(client, container, key, clock)
    unknown = wb[:-2] + next(f"{d}{c}" for d in "0123456789" for c in "0123456789"
                             if f"{d}{c}" != wb[-2:] and waybill.is_valid(wb[:-2] + f"{d}{c}"))
    assert client.get(f"/api/v1/tracking/{unknown}").status_code == 404
    assert client.get("/api/v1/tracking/JD0000000000001").json()["error"]["code"] == "invalid_waybill"
    for _ in range(PER_MINUTE - 2):
        assert client.get(f"/api/v1/tracking/{wb}").status_code == 200
    clock.advance(seconds=20)
    answers = [client.get(f"/api/v1/tracking/{n}") for n in (wb, unknown, "JD0000000000001")] + [client.get(f"/track/{wb}")]
    assert {a.status_code for a in answers} == {429}
    assert {a.headers["Retry-After"] for a in answers} == {"41"}  # the window's real remaining seconds, page and API
    assert len({json.dumps(a.json()) for a in answers[:3]}) == 1  # the same answer, whatever the number
    clock.advance(seconds=41)
    assert client.get(f"/api/v1/tracking/{wb}").status_code == 200


# The rate limits in Redis (production: JIDI_REDIS_URL, or the queue's Redis), against the real Redis the suite needs,
# each test under a key prefix of its own.
REDIS_URL = os.environ.get("JIDI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_prefix():
    prefix = f"jidi-test-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_a_redis_url_puts_the_rate_limits_in_redis(settings, backend, sms, clock):
    assert Settings(env="test", queue_url="immediate").redis_url == ""
    assert Settings(env="test", queue_url="redis://127.0.0.1:6379/3").redis_url == "redis://127.0.0.1:6379/3"
    assert Settings(env="test", queue_url="redis://127.0.0.1:6379/3", redis_url=REDIS_URL).redis_url == REDIS_URL
    assert not bootstrap(settings, engine=backend[2], sms=sms, clock=clock).limiter.shared
    assert bootstrap(settings.model_copy(update={"redis_url": REDIS_URL}), engine=backend[2], sms=sms, clock=clock).limiter.shared


@pytest.mark.promise("JD-5.1.1(4)b")
def test_lookups_counted_in_redis_are_limited_per_client_across_processes(client, app, container, key, clock, redis_prefix):
    """Two web processes (two containers, two Redis connection pools) share one limit; the counter names the client
    by a keyed hash only and expires with its window."""
    container.limiter = RateLimiter(REDIS_URL, hasher=container.vault.blind_index, prefix=redis_prefix, clock=clock)
    other = bootstrap(container.settings, engine=container.engine, sms=container.sms, clock=clock)
    other.limiter = RateLimiter(REDIS_URL, hasher=other.vault.blind_index, prefix=redis_prefix, clock=clock)
    wb = _tracked(client, container, key, clock)
    unknown = wb[:-2] + next(f"{d}{c}" for d in "0123456789" for c in "0123456789"
                             if f"{d}{c}" != wb[-2:] and waybill.is_valid(wb[:-2] + f"{d}{c}"))
    with TestClient(create_app(other), base_url="https://testserver") as second:
        assert client.get(f"/api/v1/tracking/{unknown}").status_code == 404
        assert second.get("/api/v1/tracking/JD0000000000001").json()["error"]["code"] == "invalid_waybill"
        for i in range(PER_MINUTE - 2):
            assert (client if i % 2 else second).get(f"/api/v1/tracking/{wb}").status_code == 200
        answers = [c.get(f"/api/v1/tracking/{n}") for c in (client, second) for n in (wb, unknown, "JD0000000000001")]
        answers.append(second.get(f"/track/{wb}"))
        assert {a.status_code for a in answers} == {429} and all(0 < int(a.headers["Retry-After"]) <= 61 for a in answers)
        assert len({json.dumps(a.json()) for a in answers[:6]}) == 1  # the same answer, whatever the number
        r = redis.Redis.from_url(REDIS_URL)
        [name] = r.keys(f"{redis_prefix}*")
        assert b"testclient" not in name
        client_part = name.split(b"/")[1]
        assert client_part == container.vault.blind_index("client_address", "testclient").hex().encode()  # a keyed hash
        assert int(r.get(name)) == PER_MINUTE + 7 and 0 < r.ttl(name) <= 60
        r.delete(name)  # what the key's expiry does at the end of the window
        r.close()
        assert second.get(f"/api/v1/tracking/{wb}").status_code == 200
        assert client.get(f"/api/v1/tracking/{wb}").json()["waybill_no"] == wb


def test_lookups_stay_limited_when_redis_is_down(client, container, key, clock, caplog):
    """Redis unreachable: each lookup is counted in memory instead, and the log says so once, without the address."""
    container.limiter = RateLimiter("redis://127.0.0.1:1/0", hasher=container.vault.blind_index, prefix="jidi-test-down", clock=clock)
    wb = _tracked(client, container, key, clock)
    for _ in range(PER_MINUTE):
        assert client.get(f"/api/v1/tracking/{wb}").status_code == 200
    assert client.get(f"/api/v1/tracking/{wb}").status_code == 429
    assert caplog.text.count("Redis unavailable (ConnectionError)") == 1 and "127.0.0.1:1" not in caplog.text


def test_the_fast_waybill_check_agrees_with_shipping():
    import random  # noqa: PLC0415

    from jidi.tracking.service import valid_waybill  # noqa: PLC0415

    rng = random.Random(7)
    numbers = [waybill.new_waybill_no() for _ in range(300)]
    samples = numbers + [n[:-1] + str((int(n[-1]) + rng.randrange(1, 10)) % 10) for n in numbers]
    samples += ["", "JD", "JD123", "SF" + numbers[0][2:], numbers[0] + "0", "JD" + "١" * 13, "JD" + "x" * 13, "jd" + numbers[0][2:]]
    for n in samples:
        assert valid_waybill(n) == (waybill.is_valid(n) and n == waybill.normalise(n)), n


# PostgreSQL only: SQLite runs one writer at a time, so the race cannot happen there.
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_event_stored_concurrently_between_check_and_copy_is_reported_as_duplicate(container, key, clock, backend, monkeypatch):
    """The race the primary key closes: another batch stores the same event id (sent with another waybill) after this
    batch checked for it. This batch's write is refused, rolled back whole and run again, and reports a duplicate."""
    assert backend[0] == "postgresql"
    from jidi.tracking.service import Tracking  # noqa: PLC0415

    source = container.tracking.source_for_key(key)
    first, second, third = place(container), place(container), place(container)
    for wb in (first, second, third):
        pick_up(container, clock, wb, clock.now - dt.timedelta(minutes=10))
    contested = EventIn.model_validate_json(json.dumps(event(first, "arrived_facility", clock.now - dt.timedelta(minutes=9), "same-id")))
    other = EventIn.model_validate_json(json.dumps(event(third, "arrived_facility", clock.now - dt.timedelta(minutes=8), "other-id")))
    real_insert = Tracking._insert
    calls = []

    def insert(s, pg, source_id, now, rows):
        if not calls:  # the first attempt: a concurrent batch commits "same-id" (for the other waybill) just before
            calls.append(1)
            container.tracking.ingest(source_id, [contested.model_copy(update={"waybill_no": second})])
        calls.append(2)
        return real_insert(s, pg, source_id, now, rows)

    monkeypatch.setattr(Tracking, "_insert", staticmethod(insert))
    results = container.tracking.ingest(source, [contested, other])
    assert [r.result for r in results] == ["duplicate", "accepted"] and len(calls) > 2
    assert status_of(container, first).status == "picked_up"  # nothing of the refused attempt was kept
    assert status_of(container, second).status == status_of(container, third).status == "in_transit"
    assert count(container, RouteEvent) == 2 + 3  # and the three pickups
