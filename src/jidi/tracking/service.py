"""Tracking use cases: route-event ingestion from scanners and partners, the public (masked) lookup, and the
route SMS to the sender and the recipient.

Ingestion is built for throughput: a batch of up to 1,000 events is checked in memory, then written in one
transaction with a fixed number of statements whatever its size — lock the batch's orders, find the event ids
already stored, store the accepted events in one go (a binary COPY on PostgreSQL, SQLAlchemy's INSERT OR IGNORE
on SQLite), update the changed orders in one statement (UPDATE … FROM json_array_elements(…) on PostgreSQL).
Each event is judged on its own (accepted / duplicate / rejected with a code), and the accepted ones commit
together with their orders' new status, or not at all. See README.md for the measurements behind these choices.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import re
import uuid
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jidi import errors, ratelimit, regions, waybill
from jidi.events import Event, handles
from jidi.i18n import N_, gettext_for
from jidi.ratelimit import Limit
from jidi.shipping import states
from jidi.shipping.models import Order
from jidi.tracking import events as ev
from jidi.tracking.models import RouteEvent, TrackingSource

log = logging.getLogger("jidi.tracking")

MAX_BATCH = 1000
FUTURE_SKEW = dt.timedelta(minutes=5)  # scanner clocks run a little fast; more than this is refused
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
LOOKUP_LIMIT = Limit.of("tracking_lookups", "30/minute", fixed=True)
SOURCE_KINDS = ("scanner", "partner")
# Route events that jidi's own courier pages and API record (real-name pickups) come from this one source.
COURIER_SOURCE_ID = uuid.UUID("6a1d0c3e-5b7f-5e0a-9c41-2f8e7d6b5a90")
COURIER_SOURCE_NAME = "jidi courier app"
_UTC = dt.timezone.utc
# A mainland mobile number inside a site name, site code or operator code: someone's phone, not a facility or staff code.
_PHONE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
# Before pickup, or not accepted at pickup: only a courier's real-name pickup (Shipping.pick_up, 快递暂行条例 art. 22,
# JD-1.1.2(6)b) moves such an order on, never a route event from a scanner or partner (real_name_pickup_required).
_BEFORE_PICKUP = frozenset({states.AWAITING_PICKUP, states.NOT_ACCEPTED})

# Per-event rejection codes and their reasons (translated when shown).
REASONS = {
    "invalid_waybill": errors.invalid_waybill().message,
    "unknown_waybill": N_("No order has this waybill number."),
    "unknown_action": N_("Unknown action."),
    "invalid_delivered_as": N_("A delivery must say how it was signed for (recipient, agent, locker or station); other events must not."),
    "invalid_exception": N_("An exception must carry a known exception code; other events must not."),
    "invalid_event_time": N_("The event time is not a plausible date."),
    "personal_data": N_("The site or operator looks like a mobile number: route events must not carry personal data."),
    "event_in_future": N_("The event time is in the future."),
    "duplicate_in_batch": N_("This event id appears more than once in the batch."),
    "order_unpaid": N_("The order is not paid yet, so its fulfilment cannot start."),
    "order_cancelled": N_("The order was cancelled."),
    "real_name_pickup_required": N_("The parcel has not been picked up: it enters the network only through a courier's real-name pickup, not through a scan."),
    "invalid_transition": N_("This change of status is not possible now. The actions this parcel accepts next: {actions}."),
}


class EventResult(NamedTuple):
    event_id: str
    result: str            # accepted | duplicate | rejected
    code: str | None = None
    applied: bool = False  # accepted and moved the order's status (or raised its exception)
    allowed: tuple[str, ...] | None = None  # invalid_transition: the actions the order accepts now


@dataclasses.dataclass
class RouteStop:
    time: dt.datetime
    action: str
    site_code: str
    site_name: str
    delivered_as: str | None
    exception: str | None

    def describe(self, gettext) -> str:
        """The sentence shown for this stop, in the reader's language."""
        return ev.describe(gettext, self.action, self.site_name, self.delivered_as, self.exception)


@dataclasses.dataclass
class Place:
    province: str | None
    city: str | None
    code: str  # of the city, or of the province when the district is not under a city: pages show its names


@dataclasses.dataclass
class TrackView:
    """What anyone holding a waybill number may see: no names, phones or street addresses."""

    waybill_no: str
    status: str
    status_at: dt.datetime
    exception: str | None
    delivered_as: str | None
    service_type: str
    origin: Place
    destination: Place
    placed_at: dt.datetime
    route: list[RouteStop]  # by event time, oldest first


_DIGIT = {str(d): d for d in range(10)}
_DOUBLED = {str(d): (d * 2 - 9 if d > 4 else d * 2) for d in range(10)}


def _luhn_ok(digits: str) -> bool:
    return (sum(map(_DIGIT.__getitem__, digits[-1::-2])) + sum(map(_DOUBLED.__getitem__, digits[-2::-2]))) % 10 == 0


def valid_waybill(normalised: str) -> bool:
    """waybill.is_valid for an already normalised number, without its per-call overhead: ingestion checks
    a thousand numbers per batch (tests/test_tracking.py proves both agree)."""
    body = normalised[len(waybill.PREFIX):]
    return (len(body) == waybill.DIGITS + 1 and normalised.startswith(waybill.PREFIX) and body.isascii() and body.isdigit()
            and _luhn_ok(body))


def _lookup_statement():
    """The public lookup's one read (Core, built once): the order, and its route events oldest first (none: one row
    with NULL event columns)."""
    o, e = Order.__table__, RouteEvent.__table__
    return (
        select(o.c.waybill_no, o.c.status, o.c.status_at, o.c.exception, o.c.delivered_as.label("order_delivered_as"),
               o.c.service_type, o.c.origin_region, o.c.dest_region, o.c.created_at, e.c.event_time, e.c.action, e.c.site_code,
               e.c.site_name, e.c.delivered_as, e.c.exception.label("event_exception"))
        .select_from(o.outerjoin(e, e.c.waybill_no == o.c.waybill_no))
        .where(o.c.waybill_no == bindparam("waybill_no"))
        .order_by(e.c.event_time, e.c.received_at, e.c.event_id)
    )


_LOOKUP = _lookup_statement()


class _Race(Exception):
    """Another batch stored one of these event ids between our check and our insert: run the batch again."""


@functools.lru_cache(maxsize=8192)
def _region_names(code: str) -> tuple[str | None, str | None, str]:
    names = regions.lookup(code)
    if names is None:
        return None, None, code
    return names.province, names.city, code[:4] + "00" if names.city else code[:2] + "0000"


def _place(code: str) -> Place:
    return Place(*_region_names(code))


def too_many_lookups(seconds: int) -> errors.AppError:
    return errors.AppError("too_many_lookups", N_("Too many lookups from your network. Please wait a minute and try again."), 429,
                           retry_after=seconds)


def parcel_not_found() -> errors.AppError:
    return errors.AppError("not_found", N_("No parcel was found for this number. Check the number and try again later."), 404)


_INSERT_COLUMNS = ("event_id", "order_id", "waybill_no", "event_time", "action", "site_code", "site_name", "operator",
                   "delivered_as", "exception")


def _json(rows) -> str:
    """A batch as one JSON document for PostgreSQL to unpack with json_array_elements (ids and times already text)."""
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def _columns(kinds) -> str:
    return ", ".join(f"CAST(r->>{i} AS {kind})" for i, kind in enumerate(kinds))


# PostgreSQL statements for a batch, run on the session's own psycopg connection (inside its transaction) to skip
# the per-row result wrapping: each list is one JSON parameter, unpacked into rows by the server.
_PG_ORDERS = (
    "SELECT id, waybill_no, status, status_at, exception, delivered_as FROM orders "
    "WHERE waybill_no IN (SELECT json_array_elements_text(CAST(%(wbs)s AS json))) ORDER BY id FOR NO KEY UPDATE"
)
# One primary-key probe per event id, whatever the statistics say (a semi-join could scan all of a source's events).
_PG_STORED = (
    "SELECT e.event_id FROM json_array_elements_text(CAST(%(ids)s AS json)) AS u(id) CROSS JOIN LATERAL "
    "(SELECT event_id FROM route_events WHERE source_id = %(source_id)s AND event_id = u.id LIMIT 1) AS e"
)
# The accepted events go in with one binary COPY: PostgreSQL's bulk path, about three times cheaper for the server than
# INSERT … ON CONFLICT DO NOTHING (measured: 4.7 ms against 16 ms of server CPU per 1,000 rows). Idempotency does
# not need ON CONFLICT here: the batch's event ids were checked against the primary key after its orders were
# locked, and if a concurrent batch still stored one of them first (the same event id sent for another waybill),
# the primary key refuses the COPY, the whole transaction rolls back and the batch runs again.
_PG_COPY = ("COPY route_events (source_id, event_id, order_id, waybill_no, event_time, received_at, action, site_code, site_name, "
            "operator, delivered_as, exception) FROM STDIN (FORMAT BINARY)")
_PG_COPY_TYPES = ("uuid", "varchar", "uuid", "varchar", "timestamptz", "timestamptz", "varchar", "varchar", "varchar", "varchar",
                  "varchar", "varchar")
_PG_UPDATE = (
    "UPDATE orders SET status = v.status, status_at = v.status_at, exception = v.exception, delivered_as = v.delivered_as, "
    "updated_at = %(now)s FROM (SELECT " + _columns(("uuid", "varchar", "timestamptz", "varchar", "varchar"))
    + " FROM json_array_elements(CAST(%(rows)s AS json)) AS r) AS v (id, status, status_at, exception, delivered_as) "
    "WHERE orders.id = v.id"
)


class _OrderState:
    """An order's tracking state during a batch."""

    __slots__ = ("id", "waybill_no", "status", "status_at", "exception", "delivered_as", "changed")

    def __init__(self, row):
        self.id, self.waybill_no, self.status, self.status_at, self.exception, self.delivered_as = row
        if self.status_at.tzinfo is None:  # raw rows from SQLite (see UTCDateTime)
            self.status_at = self.status_at.replace(tzinfo=_UTC)
        self.changed = False


class Tracking:
    def __init__(self, container):
        self.c = container
        self.lookup_limit = LOOKUP_LIMIT
        # The lookup's read on PostgreSQL runs without a transaction around it (one statement: no BEGIN, no ROLLBACK).
        pg = container.engine.dialect.name == "postgresql"
        self._read_engine = container.engine.execution_options(isolation_level="AUTOCOMMIT") if pg else container.engine

    # -- sources --------------------------------------------------------------------------------------
    def create_source(self, name: str, kind: str = "scanner") -> tuple[uuid.UUID, str]:
        """A scanner fleet or partner system and its API key (shown once; only its keyed hash is stored)."""
        name = (name or "").strip()
        if kind not in SOURCE_KINDS:
            raise errors.invalid_field(N_("source kind"))
        if not name or len(name) > 100 or not name.isprintable():
            raise errors.invalid_field(N_("source name"))
        key = "tk_" + self.c.secrets.new_token()
        with self.c.uow() as s:
            src = TrackingSource(id=uuid.uuid4(), name=name, kind=kind, api_key_hash=self.c.secrets.token_hash(key),
                                 active=True, created_at=self.c.clock())
            s.add(src)
        return src.id, key

    def source_for_key(self, key: str | None) -> uuid.UUID:
        if not key or len(key) > 200:
            raise self.key_invalid()
        with self.c.uow() as s:
            sid = s.scalar(select(TrackingSource.id).where(TrackingSource.api_key_hash == self.c.secrets.token_hash(key),
                                                           TrackingSource.active.is_(True)))
        if sid is None:
            raise self.key_invalid()
        return sid

    @staticmethod
    def key_invalid() -> errors.AppError:
        return errors.AppError("source_key_invalid", N_("The tracking API key is missing or invalid."), 401)

    # -- events recorded by jidi's own courier app ----------------------------------------------------
    def record_courier_event(self, s: Session, *, order_id: uuid.UUID, waybill_no: str, action: str, when: dt.datetime,
                             site_code: str, site_name: str, operator: str | None = None) -> bool:
        """Append a route event that a use case of jidi itself recorded (a real-name pickup, a cancellation), in the
        caller's transaction, which has already moved the order's status. Idempotent: one event per (action, order)
        from the courier-app source; returns whether it was stored now. The route SMS is queued after the commit,
        through the same event as ingested events."""
        if action not in ev.OWN_ACTIONS:
            raise ValueError(action)
        if _PHONE_LIKE.search(site_code) or _PHONE_LIKE.search(site_name) or (operator and _PHONE_LIKE.search(operator)):
            raise errors.AppError("personal_data", REASONS["personal_data"], 422)
        pg = s.get_bind().dialect.name == "postgresql"
        dialect = postgresql if pg else sqlite
        sources = TrackingSource.__table__
        # The source row is created on first use; it has no usable API key (a hash of a discarded random token).
        s.execute(dialect.insert(sources).values(
            id=COURIER_SOURCE_ID, name=COURIER_SOURCE_NAME, kind="courier_app", active=False, created_at=self.c.clock(),
            api_key_hash=self.c.secrets.token_hash(self.c.secrets.new_token()),
        ).on_conflict_do_nothing(index_elements=["id"]))
        table = RouteEvent.__table__
        stored = s.execute(dialect.insert(table).values(
            source_id=COURIER_SOURCE_ID, event_id=f"{action}:{order_id.hex}", order_id=order_id, waybill_no=waybill_no,
            event_time=when.astimezone(_UTC), received_at=self.c.clock(), action=action, site_code=site_code,
            site_name=site_name, operator=operator, delivered_as=None, exception=None,
        ).on_conflict_do_nothing(index_elements=["source_id", "event_id"]).returning(table.c.event_id)).first() is not None
        if stored and ev.notify_template(action):
            self._announce(s, [(str(order_id), action, None)])
        return stored

    def route(self, waybill_no: str) -> list[RouteStop]:
        """The route of a parcel, oldest first, for a page that has already checked who may see it (no rate limit)."""
        with self.c.uow() as s:
            return [RouteStop(*row) for row in s.execute(
                select(RouteEvent.event_time, RouteEvent.action, RouteEvent.site_code, RouteEvent.site_name, RouteEvent.delivered_as,
                       RouteEvent.exception)
                .where(RouteEvent.waybill_no == waybill_no).order_by(RouteEvent.event_time, RouteEvent.received_at, RouteEvent.event_id)
            )]

    # -- ingestion ------------------------------------------------------------------------------------
    def ingest(self, source_id: uuid.UUID, items: Sequence) -> list[EventResult]:
        """Store a batch of route events and apply their status changes; one result per item, in order.

        `items` have the attributes event_id, waybill_no, event_time (aware), action, site_code, site_name,
        operator, delivered_as and exception (the API's EventIn). Idempotent by (source, event_id).
        """
        if len(items) > MAX_BATCH:
            raise errors.invalid_field(N_("events (at most 1,000 per batch)"))
        now = self.c.clock()
        results: list[EventResult | None] = [None] * len(items)
        checked: list[tuple[int, str, dt.datetime]] = []  # (index, normalised waybill, event time in UTC)
        seen: set[str] = set()
        latest = now + FUTURE_SKEW
        for i, e in enumerate(items):
            code = None
            if e.event_id in seen:
                code = "duplicate_in_batch"
            else:
                seen.add(e.event_id)
                code, wb, when = self._check(e, latest)
            if code:
                results[i] = EventResult(e.event_id, REJECTED, code)
            else:
                checked.append((i, wb, when))
        if checked:
            for attempt in range(3):
                try:
                    self._write(source_id, items, checked, results, now)
                    break
                except (_Race, IntegrityError):
                    if attempt == 2:
                        raise
                except Exception as exc:
                    # Batches locking overlapping orders can still deadlock on PostgreSQL: run it again. (The hot path talks
                    # to psycopg directly, so its errors arrive unwrapped as well as wrapped by SQLAlchemy.)
                    sqlstate = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None)
                    if attempt == 2 or sqlstate not in ("40P01", "40001"):
                        raise
        return results  # type: ignore[return-value]

    @staticmethod
    def _check(e, latest: dt.datetime) -> tuple[str | None, str, dt.datetime]:
        """Checks that need no database: (rejection code or None, normalised waybill, event time in UTC)."""
        wb = e.waybill_no
        if not (wb.isascii() and wb.isalnum() and wb.isupper()):
            wb = waybill.normalise(wb)
        if not valid_waybill(wb):
            return "invalid_waybill", wb, latest
        action = e.action
        if action not in ev.TARGET:
            return "unknown_action", wb, latest
        if (action == ev.DELIVERED) != (e.delivered_as is not None) or (e.delivered_as is not None and e.delivered_as not in states.DELIVERED_AS):
            return "invalid_delivered_as", wb, latest
        if (action == ev.EXCEPTION) != (e.exception is not None) or (e.exception is not None and e.exception not in states.EXCEPTIONS):
            return "invalid_exception", wb, latest
        if _PHONE_LIKE.search(e.site_name) or _PHONE_LIKE.search(e.site_code) or (e.operator and _PHONE_LIKE.search(e.operator)):
            return "personal_data", wb, latest
        try:
            when = e.event_time.astimezone(_UTC)
        except (OverflowError, ValueError):
            return "invalid_event_time", wb, latest
        if when < EARLIEST:
            return "invalid_event_time", wb, latest
        if when > latest:
            return "event_in_future", wb, latest
        return None, wb, when

    def _write(self, source_id: uuid.UUID, items: Sequence, checked: list, results: list, now: dt.datetime) -> None:
        pending = results[:]  # filled only if this attempt commits
        notify: list[tuple[str, str, str | None]] = []
        with self.c.uow() as s:
            pg = s.get_bind().dialect.name == "postgresql"
            waybills = sorted({wb for _, wb, _ in checked})
            ids = [items[i].event_id for i, _, _ in checked]
            # Lock the batch's orders (in id order, so concurrent batches queue instead of deadlocking), then find
            # the event ids already stored: a concurrent retry of this batch has committed by then, or waits.
            if pg:
                # Each list travels as one JSON parameter that PostgreSQL unpacks itself: a short statement, the same
                # text whatever the batch size (prepared once per connection), and no per-value work in Python.
                driver = s.connection().connection.driver_connection
                orders = {row[1]: _OrderState(row) for row in driver.execute(_PG_ORDERS, {"wbs": _json(waybills)}).fetchall()}
                stored = {row[0] for row in driver.execute(_PG_STORED, {"source_id": source_id, "ids": _json(ids)}).fetchall()}
            else:
                orders = {row[1]: _OrderState(row) for row in s.execute(
                    select(Order.id, Order.waybill_no, Order.status, Order.status_at, Order.exception, Order.delivered_as)
                    .where(Order.waybill_no.in_(waybills)).order_by(Order.id).with_for_update()
                )}
                stored = set(s.scalars(select(RouteEvent.event_id).where(RouteEvent.source_id == source_id, RouteEvent.event_id.in_(ids))))

            # The route of each order, in event-time order (ties: as sent).
            per_order: dict[str, list[tuple[dt.datetime, int]]] = {}
            for i, wb, when in checked:
                e = items[i]
                if e.event_id in stored:
                    pending[i] = EventResult(e.event_id, DUPLICATE)
                elif wb not in orders:
                    pending[i] = EventResult(e.event_id, REJECTED, "unknown_waybill")
                else:
                    per_order.setdefault(wb, []).append((when, i))

            rows = []
            for wb, todo in per_order.items():
                order = orders[wb]
                todo.sort()
                for when, i in todo:
                    e = items[i]
                    code, applied = self._apply(order, e.action, when, e.delivered_as, e.exception)
                    if code:
                        allowed = ev.NEXT_ACTIONS[order.status] if code == "invalid_transition" else None
                        pending[i] = EventResult(e.event_id, REJECTED, code, False, allowed)
                        continue
                    rows.append((e.event_id, order.id, wb, when, e.action, e.site_code, e.site_name, e.operator, e.delivered_as,
                                 e.exception))
                    pending[i] = EventResult(e.event_id, ACCEPTED, None, applied)
                    if applied and ev.notify_template(e.action):
                        notify.append((str(order.id), e.action, e.exception))
            if rows:
                self._insert(s, pg, source_id, now, rows)
                changed = [o for o in orders.values() if o.changed]
                self._update_orders(s, pg, changed, now)
                if changed:
                    self.c.shipping.announce_status(s, [(o.id, o.waybill_no, o.status, o.exception, o.status_at) for o in changed])
            if notify:
                self._announce(s, notify)
        results[:] = pending

    @staticmethod
    def _apply(order: _OrderState, action: str, when: dt.datetime, delivered_as: str | None, exception: str | None) -> tuple[str | None, bool]:
        """Apply one event to the order's state in memory: (rejection code or None, whether it changed the order)."""
        status = order.status
        if status == states.AWAITING_PAYMENT:
            return "order_unpaid", False  # fulfilment starts only after payment or an accepted pay-later (JD-1.1.2(6)a)
        if status == states.CANCELLED:
            return "order_cancelled", False
        if status in _BEFORE_PICKUP and action != ev.EXCEPTION:
            # The parcel enters the network only through a courier's real-name pickup (JD-1.1.2(6)b), which records the
            # sender's ID and its own "picked_up" event: a scanned pickup (or any later step) would skip that check.
            # Once picked up, a scanner's "picked_up" is a second scan of the same step below (route only).
            return "real_name_pickup_required", False
        # Before pickup (only an exception gets here) the order's status time is when it was placed or paid, not a
        # scan: scanner clocks may differ, so it is not compared with it. Afterwards an older event joins the route only.
        on_route = status in states.FULFILMENT
        if on_route and when < order.status_at:
            return None, False
        if action == ev.EXCEPTION:
            if status not in ev.EXCEPTION_STATUSES:
                return "invalid_transition", False
            order.exception, order.changed = exception, True
            return None, True
        target = ev.TARGET[action]
        if action in ev.TRANSIT_ACTIONS and status == states.RETURNING:
            target = states.RETURNING
        if target == status and target not in states.NEXT[status]:
            return None, False  # a second scan of the same step (e.g. pickup already recorded): route only
        if not states.can_move(status, target, order.delivered_as):
            return "invalid_transition", False
        order.status, order.status_at, order.exception, order.changed = target, when, None, True
        if target == states.DELIVERED:
            order.delivered_as = delivered_as
        return None, True

    @staticmethod
    def _insert(s: Session, pg: bool, source_id: uuid.UUID, now: dt.datetime, rows: list[tuple]) -> None:
        """Store the accepted events in one go; if a concurrent batch stored one of them first, run the batch again."""
        if pg:
            driver = s.connection().connection.driver_connection  # psycopg, inside this session's transaction
            try:
                with driver.cursor() as cursor, cursor.copy(_PG_COPY) as copy:
                    copy.set_types(_PG_COPY_TYPES)
                    for row in rows:
                        copy.write_row((source_id, row[0], row[1], row[2], row[3], now, *row[4:]))
            except Exception as exc:
                if getattr(exc, "sqlstate", None) == "23505":  # unique_violation
                    raise _Race() from None
                raise
            return
        else:
            table = RouteEvent.__table__
            stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=["source_id", "event_id"]).returning(table.c.event_id)
            inserted = len(s.execute(stmt, [{"source_id": source_id, "received_at": now, **dict(zip(_INSERT_COLUMNS, row))}
                                            for row in rows]).all())
        if inserted != len(rows):
            raise _Race()

    @staticmethod
    def _update_orders(s: Session, pg: bool, changed: list[_OrderState], now: dt.datetime) -> None:
        if not changed:
            return
        if pg:
            rows = [(str(o.id), o.status, o.status_at.isoformat(), o.exception, o.delivered_as) for o in changed]
            s.connection().connection.driver_connection.execute(_PG_UPDATE, {"rows": _json(rows), "now": now})
            return
        table = Order.__table__
        s.execute(
            update(table).where(table.c.id == bindparam("_id")).values(
                status=bindparam("_status"), status_at=bindparam("_status_at"), exception=bindparam("_exception"),
                delivered_as=bindparam("_delivered_as"), updated_at=bindparam("_now")),
            [{"_id": o.id, "_status": o.status, "_status_at": o.status_at, "_exception": o.exception,
              "_delivered_as": o.delivered_as, "_now": now} for o in changed],
        )

    # -- route SMS ------------------------------------------------------------------------------------
    def _announce(self, s: Session, updates: list[tuple[str, str, str | None]]) -> None:
        """Record, in the transaction that moved the orders, that their route changed: the route SMS follow from the
        event once it commits, however long the queue is down (jidi.events). Ids and codes only."""
        for start in range(0, len(updates), 500):
            self.c.events.record(s, "tracking.route_updated", updates=[list(u) for u in updates[start:start + 500]])

    def notify(self, s: Session, updates: list[tuple[str, str, str | None]]) -> int:
        """A route SMS to the sender and the recipient of each (order id, action, exception code); returns how many.

        Service messages (route updates), not marketing. The phone numbers are opened for NOTIFICATION only,
        here, and leave only into the SMS outbox (sealed again under the party's own key).
        """
        queued = 0
        parcels = self.c.shipping.parties_to_notify(s, {uuid.UUID(order_id) for order_id, _, _ in updates})
        locale = self.c.settings.default_locale
        gettext = gettext_for(locale)
        for order_id, action, exception in updates:
            template = ev.notify_template(action)
            if template is None or (parcel := parcels.get(uuid.UUID(order_id))) is None:
                continue
            waybill_no, phones = parcel
            params = {"waybill_no": waybill_no}
            if action == ev.EXCEPTION:
                params["reason"] = gettext(ev.EXCEPTION_LABELS.get(exception or "", ev.EXCEPTION_LABELS["held"]))
            for subject_id, phone in phones:
                self.c.notifier.queue_sms(s, subject_id=subject_id, phone=phone, template=template, locale=locale,
                                          **params)
                queued += 1
        return queued

    # -- public lookup --------------------------------------------------------------------------------
    def lookup(self, raw_waybill: str, client_address: str) -> TrackView:
        """The status and route of a waybill, for anyone holding its number; masked to region and site level.

        Counted (per client address, as a keyed hash; jidi.ratelimit) before the number is even looked at, and refused
        past the per-minute limit whatever the number, so a refused lookup says nothing about it. One count (one round
        trip when Redis holds it) and one read statement per lookup.
        """
        if wait := self.c.limiter.hit(self.lookup_limit, ratelimit.client_address(client_address)):
            raise too_many_lookups(wait)
        value = waybill.normalise(raw_waybill)
        if not waybill.is_valid(value):
            raise errors.invalid_waybill()
        with self._read_engine.connect() as conn:
            rows = conn.execute(_LOOKUP, {"waybill_no": value}).all()
        if not rows:
            raise parcel_not_found()
        order = rows[0]
        return TrackView(
            waybill_no=order.waybill_no, status=order.status, status_at=order.status_at, exception=order.exception,
            delivered_as=order.order_delivered_as, service_type=order.service_type, origin=_place(order.origin_region),
            destination=_place(order.dest_region), placed_at=order.created_at,
            route=[RouteStop(r.event_time, r.action, r.site_code, r.site_name, r.delivered_as, r.event_exception)
                   for r in rows if r.action is not None],
        )


@handles("tracking.route_updated", "tracking.route_sms")
def _route_sms(container, session: Session, event: Event) -> None:
    container.tracking.notify(session, [tuple(u) for u in event.payload["updates"]])
