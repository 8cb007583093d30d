"""Retention: every table has a rule, and the sweep applies the time-based ones — expired codes, sessions, messages
and counters go; finished orders past their period become anonymous city-and-day statistics and everything personal
about them (parties, pickup record, proxy collection, route, subject keys) is deleted; in-flight orders and orders
inside their period are untouched; a second run changes nothing; an interrupted run resumes; audit records stay."""
from __future__ import annotations

import datetime as dt
import json
import pkgutil
import re
import uuid

import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy import func, select, update

from jidi import privacy
from jidi import models
from jidi.accounts.models import AuthSession, SmsCode, User
from jidi.config import Settings
from jidi.family.models import FamilyBinding, ProxyCollection
from jidi.notify.models import SmsMessage
from jidi.privacy import Action, Actor, Catalog, Purpose, Role
from jidi.privacy.models import AuditRecord, SubjectKey
from jidi.retention import rules
from jidi.shipping.models import DeliveryStatistic
from jidi.retention.sweep import RetentionSweep
from jidi.shipping import states
from jidi.shipping.models import RETAIN_WAYBILL, Order, OrderParty, PickupRecord
from jidi.shipping.service import OrderIn, PartyIn
from jidi.tracking.models import RouteEvent
from tests.pii import ADDRESSES, ID_NUMBERS, ITEMS, NAMES, PHONES, STREETS

DAY = dt.timedelta(days=1)
WAYBILL = dt.timedelta(days=RETAIN_WAYBILL.days)
UTC = dt.timezone.utc


# -- helpers ------------------------------------------------------------------------------------------------------
def place(container, origin="320106", dest="310106", weight_g=1500, service_type="standard", pick_up=True) -> str:
    order = OrderIn(PartyIn(NAMES[0], PHONES[0], origin, STREETS[0]), PartyIn(NAMES[1], PHONES[1], dest, ADDRESSES[2]),
                    ITEMS[0], "daily_goods", 1, weight_g, 50000, service_type=service_type, payment_mode="pay_later")
    wb, _ = container.shipping.place(None, order)
    if pick_up:
        container.shipping.pick_up(Actor(uuid.uuid4(), Role.COURIER), wb, "resident_id", ID_NUMBERS[0], NAMES[2])
    return wb


def finish(container, wb, status, at: dt.datetime, events=3) -> uuid.UUID:
    """Move an order to `status` at `at` (as the route would) and give it `events` more route events."""
    with container.uow() as s:
        order = s.scalar(select(Order).where(Order.waybill_no == wb))
        order.status, order.status_at, order.created_at = status, at, at - 3 * DAY
        order.delivered_as = "locker" if status == states.DELIVERED else None
        source = uuid.uuid4()
        for k in range(events):
            s.add(RouteEvent(source_id=source, event_id=f"e{k}", order_id=order.id, waybill_no=wb, event_time=at - k * DAY,
                             received_at=at, action="arrived_facility", site_code="NJ-01", site_name="南京分拨中心", operator="C1001"))
        return order.id


def subjects_of(container, order_id) -> set[uuid.UUID]:
    with container.uow() as s:
        out = {s.scalar(select(Order.subject_id).where(Order.id == order_id))}
        out |= set(s.scalars(select(OrderParty.subject_id).where(OrderParty.order_id == order_id)))
        out |= set(s.scalars(select(PickupRecord.subject_id).where(PickupRecord.order_id == order_id)))
    return out - {None}


def count(container, model, *where) -> int:
    with container.uow() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def keys_left(container, subjects) -> int:
    return count(container, SubjectKey, SubjectKey.subject_id.in_(list(subjects)))


def table_counts(container) -> dict[str, int]:
    with container.uow() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in models.metadata.sorted_tables}


def statistics(container) -> set[tuple]:
    with container.uow() as s:
        return {(r.day, r.origin_city, r.dest_city, r.service_type, r.terminal_state, r.parcels, r.weight_g)
                for r in s.scalars(select(DeliveryStatistic))}


def proxy_collected(container, order_id, now) -> uuid.UUID:
    """A parcel collected for the recipient by a family-number binder whose binding has ended since."""
    with container.uow() as s:
        binder = User(id=uuid.uuid4(), role="customer", status="active", created_at=now, updated_at=now)
        s.add(binder)
        s.flush()
        binding = FamilyBinding(id=uuid.uuid4(), binder_id=binder.id, subject_id=uuid.uuid4(), role="parent", status="ended",
                                created_at=now - 4 * WAYBILL, activated_at=now - 4 * WAYBILL, ended_at=now - 200 * DAY, ended_by="binder")
        s.add(binding)
        s.flush()
        s.add(ProxyCollection(id=uuid.uuid4(), order_id=order_id, binding_id=binding.id, proxy_collected_by=binder.id,
                              collected_at=now - WAYBILL - 2 * DAY))
        return binding.id


# -- the schedule -----------------------------------------------------------------------------------------------
def test_every_table_and_every_personal_field_has_a_rule():
    tables = set(models.metadata.tables)
    declared = rules.declared()
    covered = {t for r in declared for t in r.tables}
    assert tables - covered == set(), "tables without a retention rule (declare the model's __retention__)"
    lines = rules.field_lines(Catalog.from_base(models.Base), Settings(env="test"))
    assert lines and all(line.rule for line in lines)
    # With the default settings, what the sweep does is what the catalog (and so the privacy policy) says.
    assert not [line.field for line in lines if line.mismatch]
    assert Settings(env="test").retention_waybill_days == RETAIN_WAYBILL.days
    # Every state an order cannot leave is an end event with its own rule; every other state is in flight.
    assert set(states.TERMINAL) == {s for s, nxt in states.NEXT.items() if not nxt}
    order_rules = [r for r in declared if r.table.name == "orders"]
    assert {r.name for r in order_rules} == {f"orders_{s}" for s in states.TERMINAL}
    assert all(r.action is Action.ANONYMISE and r.declared.clock == "status_at" for r in order_rules)
    # Every anonymisation hook a model names exists.
    assert all(callable(pkgutil.resolve_name(r.declared.anonymise)) for r in declared if r.declared.anonymise)
    # A rule the sweep applies has a period; the audit log is never swept.
    for r in declared:
        assert r.action in Action, r.name
        assert r.action not in rules.SWEPT or r.period_of(Settings(env="test")) is not None, r.name
    assert rules.by_name(declared)["audit_log"].action is Action.KEEP


def test_the_schedule_prints_every_table_and_field(container, monkeypatch):
    from jidi import cli  # noqa: PLC0415

    monkeypatch.setattr(cli, "_container", lambda: container)
    out = CliRunner().invoke(cli.main, ["retention", "schedule"])
    assert out.exit_code == 0, out.output
    for table in models.metadata.tables:
        assert re.search(rf"\b{table}\b", out.output), table
    for field in container.catalog.fields:
        assert field in out.output
    zh = CliRunner().invoke(cli.main, ["retention", "schedule", "--lang", "zh"])
    assert zh.exit_code == 0 and "签收后 3 年" in zh.output
    data = json.loads(CliRunner().invoke(cli.main, ["retention", "schedule", "--json"]).output)
    assert {r["rule"] for r in data["rules"]} >= {"orders_delivered", "sms_codes", "audit_log"}


def test_audit_retention_below_three_years_is_refused():
    assert Settings(env="test").retention_audit_days >= 1096
    with pytest.raises(ValidationError):
        Settings(env="test", retention_audit_days=365 * 3)
    with pytest.raises(ValidationError):
        Settings(env="test", retention_waybill_days=0)


# -- housekeeping rules -------------------------------------------------------------------------------------------
# Kept only as long as the schedule says (JD-5.2.1a, CN-4.4, ZK-4.2.1): these fail if the sweep removes nothing.
@pytest.mark.promise("JD-5.2.1a", "CN-4.4", "ZK-4.2.1")
def test_expired_codes_sessions_messages_and_counters_go_live_ones_stay(container, clock):
    t0 = clock()
    # An SMS code to a number without an account: the code, its message and the message's one-off subject.
    container.accounts.request_code(PHONES[2], "login", "127.0.0.1", "zh_CN")
    with container.uow() as s:
        one_off = s.scalar(select(SmsMessage.subject_id))
        user = User(id=uuid.uuid4(), role="customer", status="active", created_at=t0, updated_at=t0)
        s.add(user)
        s.flush()
        container.notifier.queue_sms(s, subject_id=user.id, phone=PHONES[3], template="login_code", locale="zh_CN", code="123456")
        for _name, expires, revoked in (("live", t0 + 30 * DAY, None), ("expired", t0 + DAY, None), ("revoked", t0 + 30 * DAY, t0)):
            s.add(AuthSession(id=uuid.uuid4(), user_id=user.id, kind="web", token_hash=uuid.uuid4().bytes * 2,
                              created_at=t0, expires_at=expires, revoked_at=revoked))
        # Every message was sent right away (real time); date them on the test's clock.
        s.execute(update(SmsMessage).values(created_at=t0, sent_at=t0))
    assert count(container, SmsCode) == 1 and count(container, SmsMessage) == 2

    clock.advance(days=2)
    with container.uow() as s:
        earlier = set(s.scalars(select(SmsMessage.id)))
    container.accounts.request_code(PHONES[4], "login", "127.0.0.1", "zh_CN")  # a fresh code and message: kept
    with container.uow() as s:
        s.execute(update(SmsMessage).where(SmsMessage.id.not_in(earlier)).values(created_at=clock(), sent_at=clock()))
    container.tasks.retention_sweep()  # the nightly job, run now; its audit record holds the counts
    with container.uow() as s:
        rules_done = json.loads(s.scalar(select(AuditRecord.detail).where(AuditRecord.action == "retention")))["rules"]
    assert rules_done["sms_codes"]["sms_codes"] == 1 and count(container, SmsCode) == 1
    assert rules_done["auth_sessions"]["auth_sessions"] == 2
    with container.uow() as s:
        assert s.scalars(select(AuthSession.expires_at)).all() == [t0 + 30 * DAY]
    assert rules_done["sms_outbox"] == {"sms_outbox": 2, "subject_keys": 1}
    assert count(container, SmsMessage) == 1
    # The one-off subject of the deleted code message is shredded; the account holder's own key is not.
    assert keys_left(container, {one_off}) == 0 and keys_left(container, {user.id}) == 1


# -- finished orders ----------------------------------------------------------------------------------------------
@pytest.fixture
def orders(container, clock):
    """Orders in every situation the sweep must tell apart, with `now` = the clock's time."""
    now = clock()
    # Day boundaries in China time: 17:30 UTC is 01:30 the next day in Beijing, 15:00 UTC is 23:00 the same day.
    day = (now - WAYBILL - 30 * DAY).replace(hour=0, minute=0, second=0, microsecond=0)
    o = {}
    o["late_evening"] = place(container, "320106", "310106", weight_g=1500)        # 南京鼓楼 → 上海静安
    o["after_midnight"] = place(container, "320104", "310115", weight_g=2500)      # 南京秦淮 → 上海浦东: same cities
    o["returned"] = place(container, "110105", "440106", weight_g=800, service_type="express")
    o["cancelled"] = place(container, "110105", "440106", pick_up=False)
    o["inside_period"] = place(container)
    o["cancelled_recently"] = place(container, pick_up=False)
    o["in_transit"] = place(container)
    o["refused"] = place(container)
    o["awaiting_pickup"] = place(container, pick_up=False)
    ids = {
        "late_evening": finish(container, o["late_evening"], states.DELIVERED, day + dt.timedelta(hours=15)),
        "after_midnight": finish(container, o["after_midnight"], states.DELIVERED, day - dt.timedelta(hours=6, minutes=30)),
        "returned": finish(container, o["returned"], states.RETURNED, day - 5 * DAY),
        "cancelled": finish(container, o["cancelled"], states.CANCELLED, now - 40 * DAY, events=0),
        "inside_period": finish(container, o["inside_period"], states.DELIVERED, now - WAYBILL + DAY),
        "cancelled_recently": finish(container, o["cancelled_recently"], states.CANCELLED, now - 10 * DAY, events=0),
        # Never touched, however old: not in a terminal state.
        "in_transit": finish(container, o["in_transit"], states.IN_TRANSIT, now - 3 * WAYBILL),
        "refused": finish(container, o["refused"], states.REFUSED, now - 3 * WAYBILL),
        "awaiting_pickup": finish(container, o["awaiting_pickup"], states.AWAITING_PICKUP, now - 3 * WAYBILL, events=0),
    }
    binding = proxy_collected(container, ids["late_evening"], now)
    return {"waybills": o, "ids": ids, "day": day, "binding": binding, "now": now}


GONE = ("late_evening", "after_midnight", "returned", "cancelled")
KEPT = ("inside_period", "cancelled_recently", "in_transit", "refused", "awaiting_pickup")


@pytest.mark.promise("JD-5.2.1c", "JD-5.2.1a", "CN-4.4", "ZK-4.2.1")
def test_finished_orders_past_their_period_become_city_and_day_statistics(container, orders):
    ids, day = orders["ids"], orders["day"]
    subjects = {name: subjects_of(container, ids[name]) for name in ids}
    assert all(keys_left(container, subjects[n]) == len(subjects[n]) for n in ids)
    before = table_counts(container)
    dry = container.retention.run(dry_run=True)
    assert table_counts(container) == before  # a dry run changes nothing …
    assert count(container, AuditRecord, AuditRecord.action == "retention") == 0  # … and is not audited

    report = container.retention.run()
    assert report.complete
    assert {r: c["orders"] for r, c in report.rules.items() if r.startswith("orders_")} == {
        "orders_delivered": 2, "orders_returned": 1, "orders_cancelled": 1}
    for rule in ("orders_delivered", "orders_returned", "orders_cancelled"):  # the dry run counted the same
        for table in ("orders", "order_parties", "pickup_records", "proxy_collections", "route_events", "subject_keys"):
            assert dry.rules[rule][table] == report.rules[rule][table], (rule, table)

    # Anonymised: one row per China day, city pair (GB/T 2260 city level), service and terminal state.
    assert statistics(container) == {
        (day.date(), "320100", "310100", "standard", "delivered", 2, 4000),
        ((day - 5 * DAY).date(), "110100", "440100", "express", "returned", 1, 800),
        ((orders["now"] - 40 * DAY + dt.timedelta(hours=8)).date(), "110100", "440100", "standard", "cancelled", 1, 1500),
    }
    # Everything personal about them is gone: order, parties, pickup record, proxy collection, route, keys.
    gone = [ids[n] for n in GONE]
    assert count(container, Order, Order.id.in_(gone)) == 0
    assert count(container, OrderParty, OrderParty.order_id.in_(gone)) == 0
    assert count(container, PickupRecord, PickupRecord.order_id.in_(gone)) == 0
    assert count(container, ProxyCollection) == 0
    assert count(container, RouteEvent, RouteEvent.order_id.in_(gone)) == 0
    for n in GONE:
        assert keys_left(container, subjects[n]) == 0, n
    assert report.rules["orders_delivered"]["subject_keys"] == sum(len(subjects[n]) for n in ("late_evening", "after_midnight"))
    # The ended family binding that the proxy collection kept alive goes with it.
    assert count(container, FamilyBinding, FamilyBinding.id == orders["binding"]) == 0

    # Inside the period or in flight: untouched, keys and all, and still readable.
    for n in KEPT:
        assert count(container, Order, Order.id == ids[n]) == 1, n
        assert count(container, OrderParty, OrderParty.order_id == ids[n]) == 2, n
        assert keys_left(container, subjects[n]) == len(subjects[n]), n
    assert count(container, RouteEvent, RouteEvent.order_id == ids["in_transit"]) == 4  # pickup + 3
    with container.uow() as s:
        party = s.scalar(select(OrderParty).where(OrderParty.order_id == ids["inside_period"], OrderParty.role == "recipient"))
        assert privacy.open(party.name, for_=Purpose.DELIVERY, actor=privacy.Actor.system()) == NAMES[1]
    assert report.kept["orders_in_flight_past_period"] == 3

    # One audit record for the run, with counts only.
    with container.uow() as s:
        records = s.scalars(select(AuditRecord).where(AuditRecord.action == "retention")).all()
    assert len(records) == 1 and records[0].subject is None
    detail = json.loads(records[0].detail)
    assert detail["complete"] and detail["rules"]["orders_delivered"]["orders"] == 2
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}|JD\d{6}", records[0].detail)


def test_running_twice_changes_nothing_the_second_time(container, orders):
    container.retention.run()
    after_first = table_counts(container)
    stats = statistics(container)
    second = container.retention.run()
    assert all(n == 0 for counts in second.rules.values() for n in counts.values()), second.rules
    assert statistics(container) == stats
    after_first["audit_log"] += 1  # the second run's own audit record
    assert table_counts(container) == after_first


def _expired_orders(container, clock, n) -> list[uuid.UUID]:
    at = (clock() - WAYBILL - 10 * DAY).replace(hour=4)
    return [finish(container, place(container), states.DELIVERED, at) for _ in range(n)]


def _consistent(container, ids) -> int:
    """Each order is either wholly there (order, 2 parties, pickup, 4 events, 4 keys) or wholly gone; returns how many are gone."""
    gone = 0
    for oid in ids:
        parts = (count(container, Order, Order.id == oid), count(container, OrderParty, OrderParty.order_id == oid),
                 count(container, PickupRecord, PickupRecord.order_id == oid), count(container, RouteEvent, RouteEvent.order_id == oid))
        assert parts in ((1, 2, 1, 4), (0, 0, 0, 0)), parts
        gone += parts[0] == 0
    return gone


def test_an_interrupted_run_leaves_whole_batches_and_the_rerun_finishes(container, clock):
    ids = _expired_orders(container, clock, 7)
    subjects = set().union(*(subjects_of(container, i) for i in ids))
    batches = []

    def crash_after_two(rule, counts):
        if rule == "orders_delivered":
            batches.append(counts["orders"])
            if len(batches) == 2:
                raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        RetentionSweep(container, batch=2, after_batch=crash_after_two).run()
    assert batches == [2, 2]
    assert _consistent(container, ids) == 4
    assert sum(r[5] for r in statistics(container)) == 4  # counted exactly the orders deleted
    assert keys_left(container, subjects) == len(subjects) - 4 * 4
    with container.uow() as s:
        record = s.scalar(select(AuditRecord).where(AuditRecord.action == "retention"))
    assert json.loads(record.detail)["complete"] is False

    # A crash inside a batch, before its commit, leaves nothing of that batch.
    sweep = RetentionSweep(container, batch=2)
    real = sweep._anonymise_batch_pg if container.engine.dialect.name == "postgresql" else sweep._anonymise_batch_sqlite

    def half_done(*args):
        real(*args)
        raise RuntimeError("crash mid-batch")

    setattr(sweep, real.__name__, half_done)
    with pytest.raises(RuntimeError, match="mid-batch"):
        sweep.run()
    assert _consistent(container, ids) == 4 and sum(r[5] for r in statistics(container)) == 4

    report = RetentionSweep(container, batch=2).run()
    assert report.complete and report.rules["orders_delivered"]["orders"] == 3
    assert _consistent(container, ids) == 7
    assert sum(r[5] for r in statistics(container)) == 7 and keys_left(container, subjects) == 0


def test_the_cli_runs_the_sweep_and_prints_the_report(container, clock, monkeypatch):
    from jidi import cli  # noqa: PLC0415

    ids = _expired_orders(container, clock, 1)
    monkeypatch.setattr(cli, "_container", lambda: container)
    dry = CliRunner().invoke(cli.main, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove" in dry.output and re.search(r"orders_delivered\s+orders 1", dry.output)
    assert count(container, Order, Order.id == ids[0]) == 1
    out = CliRunner().invoke(cli.main, ["retention", "run", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["rules"]["orders_delivered"]["orders"] == 1
    assert count(container, Order, Order.id == ids[0]) == 0


# -- the audit log ------------------------------------------------------------------------------------------------
def test_audit_records_are_never_deleted(container, clock):
    agent = Actor(uuid.uuid4(), Role.SUPPORT_AGENT)
    for i in range(3):
        with container.uow() as s:
            container.audit.record(s, actor=agent, action="reveal", subject_id=uuid.uuid4(), fields=["users.phone"],
                                   purpose="customer_service", detail=f"case {i}")
    container.retention.run()  # now: inside the audit period
    clock.advance(days=2)
    first = container.retention.run()
    assert first.kept["audit_log_past_retention"] == 0
    clock.advance(days=10 * 365)  # long past it
    later = container.retention.run()
    assert later.kept["audit_log_past_retention"] == 5  # 3 reveals and the 2 earlier retention runs: all kept
    assert count(container, AuditRecord) == 6
    assert container.audit.verify(container.uow) == []
