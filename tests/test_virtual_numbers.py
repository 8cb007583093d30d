"""Virtual numbers (隐私号, CN-3.4.7): an AXB binding per courier task, made on `courier.task_assigned` (recorded here
as the couriers feature will record it), released a set time after `courier.task_closed` or the order's cancellation;
the provider (the simulator) gets both numbers (a share in the register each time), its call records come back through
a signed callback, and the customer sees the courier's virtual number on the order page. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, select

from jidi.privacy.models import ShareRecord
from jidi.shipping.models import Order
from jidi.virtualnumbers import service as vn
from jidi.virtualnumbers.models import VirtualNumberBinding
from jidi.virtualnumbers.providers import SimulatedCarrier
from tests.test_accounts_api import auth, register
from tests.test_accounts_web import web_register
from tests.test_shipping import RECIPIENT_PHONE, SENDER_PHONE, order_body

COURIER_WORK_PHONE = "17612340000"  # the fake directory's courier (not a test value of tests/pii.py: the courier's own)


class FakeDirectory:
    """What the couriers feature will provide: the courier's work number, its share recorded there."""

    def __init__(self, phone: str | None = COURIER_WORK_PHONE):
        self.phone = phone
        self.asked: list[tuple[uuid.UUID, str]] = []

    def phone_for_carrier(self, session, courier_id, *, reference, now):
        self.asked.append((courier_id, reference))
        return self.phone


@pytest.fixture
def directory(container):
    d = FakeDirectory()
    container.courier_directory = d
    return d


@pytest.fixture
def sender(client, sms, clock):
    token = register(client, sms, phone=SENDER_PHONE)
    clock.advance(seconds=61)
    return auth(token)


def place(client, headers) -> tuple[str, uuid.UUID]:
    r = client.post("/api/v1/orders", json=order_body(), headers=headers)
    assert r.status_code == 201, r.text
    wb = r.json()["waybill_no"]
    return wb, order_id(client.app.state.container, wb)


def order_id(container, wb) -> uuid.UUID:
    with container.uow() as s:
        return s.scalar(select(Order.id).where(Order.waybill_no == wb))


def record(container, name, **payload) -> None:
    with container.uow() as s:
        container.events.record(s, name, **{k: str(v) for k, v in payload.items()})


def assign(container, oid, task_id=None, courier_id=None) -> uuid.UUID:
    task_id = task_id or uuid.uuid4()
    record(container, vn.TASK_ASSIGNED, task_id=task_id, order_id=oid, courier_id=courier_id or uuid.uuid4())
    return task_id


def binding(container, task_id) -> VirtualNumberBinding | None:
    with container.uow() as s:
        b = s.scalar(select(VirtualNumberBinding).where(VirtualNumberBinding.task_id == task_id))
        if b is not None:
            s.expunge(b)
        return b


def courier_number(client, headers, wb) -> dict:
    r = client.get(f"/api/v1/orders/{wb}/courier-number", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def carrier(container) -> SimulatedCarrier:
    provider = container.virtual_numbers.provider
    assert isinstance(provider, SimulatedCarrier)
    return provider


@pytest.mark.promise("CN-3.4.7")
def test_an_assigned_task_binds_a_virtual_number_that_the_customer_sees_and_calls(client, container, sender, directory, clock):
    wb, oid = place(client, sender)
    task = assign(container, oid)
    b = binding(container, task)
    assert b is not None and b.status == "active" and b.party_role == "sender"  # before pickup: the courier calls the sender
    x = b.virtual_number
    assert x and x.startswith("170") and x not in (SENDER_PHONE, COURIER_WORK_PHONE)
    # The courier's share comes from the directory (its owner records it); the consumer's is recorded here.
    assert directory.asked == [(b.courier_id, str(b.id))]
    with container.uow() as s:
        shares = s.scalars(select(ShareRecord).where(ShareRecord.recipient == "virtual_number_carrier")).all()
        assert [(r.reference, r.fields, r.purpose) for r in shares] == [(str(b.id), "order_parties.phone", "delivery")]
    # The customer sees X, never the courier's number.
    got = courier_number(client, sender, wb)
    assert got["virtual_number"] == x and got["task_open"] is True
    assert COURIER_WORK_PHONE not in json.dumps(got)
    # A call from the sender through X reaches the courier; the carrier's signed record is kept without any number.
    headers, body = carrier(container).call(SENDER_PHONE, x)
    r = client.post("/api/v1/callbacks/virtual-numbers/call-records", content=body, headers=headers)
    assert r.status_code == 200 and r.json() == {"ok": True, "kept": True}
    r = client.post("/api/v1/callbacks/virtual-numbers/call-records", content=body, headers=headers)  # a replay: kept once
    assert r.json()["kept"] is False
    calls = container.virtual_numbers.calls(oid)
    assert [(c.caller, c.outcome, c.duration_seconds) for c in calls] == [("consumer", "answered", 42)]
    # Nobody else reaches anyone through X.
    assert carrier(container).call(RECIPIENT_PHONE, x) is None


def test_the_order_page_shows_the_couriers_virtual_number(client, container, sms, sender, directory, clock):
    wb, oid = place(client, sender)
    web_register(client, sms, phone=SENDER_PHONE)  # the same account, logged in on the web too
    page = client.get(f"/orders/{wb}")
    assert page.status_code == 200 and 'data-testid="courier-number"' not in page.text  # no task yet
    x = binding(container, assign(container, oid)).virtual_number
    page = client.get(f"/orders/{wb}")
    assert f'href="tel:{x}"' in page.text and COURIER_WORK_PHONE not in page.text


@pytest.mark.promise("CN-3.4.7")
def test_no_binding_outlives_its_task(client, container, sender, directory, clock):
    wb, oid = place(client, sender)
    task = assign(container, oid)
    x = binding(container, task).virtual_number
    clock.advance(hours=1)
    assert container.virtual_numbers.unbind_due() == 0  # the task is open: nothing to release
    record(container, vn.TASK_CLOSED, task_id=task, order_id=oid)
    b = binding(container, task)
    assert b.status == "closing" and b.expires_at == clock.now + vn.GRACE
    assert courier_number(client, sender, wb)["task_open"] is False  # still callable during the grace time
    clock.advance(seconds=vn.GRACE.total_seconds() - 60)
    assert container.virtual_numbers.unbind_due() == 0
    clock.advance(seconds=61)
    assert container.virtual_numbers.unbind_due() == 1
    b = binding(container, task)
    assert b.status == "unbound" and b.unbind_reason == "expired" and b.virtual_number is None
    assert courier_number(client, sender, wb)["virtual_number"] is None
    # An expired binding called: the carrier refuses the call; nothing is recorded.
    assert carrier(container).call(SENDER_PHONE, x) is None
    assert carrier(container).active() == 0


def test_even_an_open_task_loses_its_binding_after_the_longest_lifetime(client, container, sender, directory, clock):
    _, oid = place(client, sender)
    task = assign(container, oid)
    clock.advance(seconds=vn.MAX_LIFETIME.total_seconds() + 1)
    assert container.virtual_numbers.unbind_due() == 1 and binding(container, task).status == "unbound"


def test_a_cancelled_order_closes_its_binding(client, container, sender, directory, clock):
    wb, oid = place(client, sender)
    task = assign(container, oid)
    assert client.post(f"/api/v1/orders/{wb}/cancel", headers=sender).status_code in (200, 204)
    b = binding(container, task)
    assert b.status == "closing" and b.expires_at <= clock.now + vn.GRACE


def test_a_task_closed_before_its_assignment_was_handled_binds_nothing(client, container, sender, directory):
    _, oid = place(client, sender)
    task = uuid.uuid4()
    record(container, vn.TASK_CLOSED, task_id=task, order_id=oid)
    assign(container, oid, task_id=task)
    b = binding(container, task)
    assert b.status == "unbound" and b.virtual_number is None and directory.asked == []
    assert carrier(container).active() == 0


def test_without_a_courier_directory_or_number_nothing_is_bound_or_shared(client, container, sender):
    _, oid = place(client, sender)
    task = assign(container, oid)  # a courier the couriers feature's directory does not know: no number
    assert binding(container, task) is None
    container.courier_directory = FakeDirectory(phone=None)
    task = assign(container, oid)
    assert binding(container, task) is None
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(ShareRecord).where(ShareRecord.recipient == "virtual_number_carrier")) == 0


def test_a_refusing_provider_leaves_a_failed_binding_and_no_number(client, container, sender, directory):
    wb, oid = place(client, sender)
    container.virtual_numbers.provider = SimulatedCarrier(b"x" * 32, pool_size=0, clock=container.clock)
    task = assign(container, oid)
    b = binding(container, task)
    assert b.status == "failed" and b.unbind_reason == "isv.NO_AVAILABLE_NUMBER" and b.virtual_number is None
    assert courier_number(client, sender, wb)["virtual_number"] is None


def test_one_binding_per_task_and_the_axb_rule(client, container, sender, directory):
    _, oid = place(client, sender)
    task = uuid.uuid4()
    assign(container, oid, task_id=task)
    assign(container, oid, task_id=task)  # the same task announced twice (an event redelivered)
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(VirtualNumberBinding)) == 1
    # A second task with the same two people gets another X: each of A and B has one peer per X.
    other = assign(container, oid)
    assert binding(container, other).virtual_number != binding(container, task).virtual_number


@pytest.mark.parametrize("tamper", ["unsigned", "bad_signature", "stale", "bad_body"])
def test_a_forged_call_record_is_refused_and_nothing_is_written(client, container, sender, directory, clock, tamper):
    _, oid = place(client, sender)
    x = binding(container, assign(container, oid)).virtual_number
    headers, body = carrier(container).call(SENDER_PHONE, x)
    if tamper == "unsigned":
        headers = {}
    elif tamper == "bad_signature":
        body = body.replace(b'"answered"', b'"no_answer"')
    elif tamper == "stale":
        clock.advance(minutes=6)
    else:
        body = b"not json"
        headers = carrier(container).callbacks.sign(body, clock.now)
    r = client.post("/api/v1/callbacks/virtual-numbers/call-records", content=body, headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "callback_invalid", r.text
    assert container.virtual_numbers.calls(oid) == []


def test_the_courier_number_is_the_order_partys_only(client, container, sms, sender, directory, clock):
    wb, oid = place(client, sender)
    assign(container, oid)
    stranger = auth(register(client, sms, phone="18600003333"))
    assert client.get(f"/api/v1/orders/{wb}/courier-number", headers=stranger).status_code == 404
    # The recipient's side has no binding before pickup (the courier calls the sender then).
    recipient = auth(register(client, sms, phone=RECIPIENT_PHONE))
    assert courier_number(client, recipient, wb)["virtual_number"] is None


def test_the_provider_is_a_declared_recipient_with_deletion_notices(container):
    from jidi.privacy.sharing import RECIPIENTS  # noqa: PLC0415

    r = RECIPIENTS["virtual_number_carrier"]
    assert r.fields == frozenset({"order_parties.phone"}) and r.purpose.value == "delivery" and r.role.value == "processor"
    assert "virtual_number_carrier" in container.shares.channels
    assert not [p for p in container.shares.problems() if p.startswith("virtual_number_carrier")]


def test_the_simulator_behaves_as_a_carrier():
    now = dt.datetime(2026, 12, 7, tzinfo=dt.timezone.utc)
    sim = SimulatedCarrier(b"s" * 32, pool_size=2, clock=lambda: now)
    from jidi.virtualnumbers.providers import ProviderError  # noqa: PLC0415

    for a, b, exp in (("123", "13700001111", now + dt.timedelta(hours=1)), ("13700001111", "13700001111", now + dt.timedelta(hours=1)),
                      ("17600000001", "13700001111", now)):
        with pytest.raises(ProviderError):
            sim.bind(a, b, exp, "ref")
    first = sim.bind("17600000001", "13700001111", now + dt.timedelta(hours=1), "r1")
    second = sim.bind("17600000001", "13800000000", now + dt.timedelta(hours=1), "r2")
    assert first.secret_no != second.secret_no  # A is on the first X already
    with pytest.raises(ProviderError):
        sim.bind("17600000001", "13900000000", now + dt.timedelta(hours=1), "r3")  # A is on both X of the pool
    assert sim.unbind(first.subs_id, first.secret_no) is True and sim.unbind(first.subs_id, first.secret_no) is False
