"""The outbox writer, the handler registry and the relay (see jidi.events)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from jidi.db import after_commit_batch, is_postgresql
from jidi.events.models import EventDelivery, EventRecord

log = logging.getLogger("jidi.events")

LEASE = dt.timedelta(minutes=5)          # longer than any handler takes
MAX_BACKOFF = dt.timedelta(hours=1)
CATCH_UP_AFTER = dt.timedelta(seconds=30)  # the periodic relay leaves fresh events to the relay their commit asked for


@dataclasses.dataclass(frozen=True)
class Event:
    id: uuid.UUID
    name: str
    payload: dict[str, Any]


HandlerFn = Callable[[Any, Session, Event], None]  # (container, the session of the delivery, event)


@dataclasses.dataclass(frozen=True)
class Handler:
    key: str
    fn: HandlerFn
    # Handlers that run transactions of their own (an erasure, a copy) are called outside the delivery's
    # transaction, and must be idempotent themselves; the others share it, and their effect happens once.
    own_transactions: bool = False


# event name -> its handlers; filled at import time by the features that react to an event.
HANDLERS: dict[str, list[Handler]] = {}


def handles(name: str, key: str, *, own_transactions: bool = False) -> Callable[[HandlerFn], HandlerFn]:
    """Register `fn(container, session, event)` for the events called `name`, under a key unique to the handler
    (its deliveries are recorded under that key: renaming it would deliver pending events again)."""

    def register(fn: HandlerFn) -> HandlerFn:
        if any(h.key == key for handlers in HANDLERS.values() for h in handlers):
            raise ValueError(f"event handler {key!r} is registered twice")
        HANDLERS.setdefault(name, []).append(Handler(key, fn, own_transactions))
        return fn

    return register


def _plain(value: Any) -> bool:
    """Ids, codes, numbers, and lists or maps of them: what a payload may hold."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


class EventBus:
    def __init__(self, container, *, batch: int = 100):
        self.c = container
        self.batch = batch

    # -- writing ----------------------------------------------------------------------------------------------
    def record(self, session: Session, name: str, **payload: Any) -> uuid.UUID:
        """Add an event to the caller's transaction; once it commits, a relay job is asked to deliver it."""
        if name not in HANDLERS:
            raise ValueError(f"no handler is registered for event {name!r}")
        if not _plain(payload):  # a Personal, a datetime or any object: not in an event
            raise TypeError(f"event {name!r}: a payload holds ids and codes only")
        now = self.c.clock()
        event_id = uuid.uuid4()
        session.add(EventRecord(id=event_id, name=name, payload=json.dumps(payload, separators=(",", ":")),
                                created_at=now, attempts=0, next_attempt_at=now))
        after_commit_batch(session, self._ask_relay, str(event_id))
        return event_id

    def _ask_relay(self, event_ids: list[str]) -> None:
        # The events are committed whatever happens here: a queue that is down only delays them until the periodic
        # relay. Logged without any value.
        try:
            self.c.tasks.relay_events(event_ids)
        except Exception as exc:  # noqa: BLE001
            log.warning("relay of %d events not queued (%s): the periodic relay will deliver them", len(event_ids),
                        type(exc).__name__)

    # -- relaying ---------------------------------------------------------------------------------------------
    def relay(self, event_ids: list[str] | None = None) -> int:
        """Deliver the given events (the relay their commit asked for), or every event due (the periodic relay);
        returns how many were fully delivered now."""
        done = 0
        while True:
            claimed = self._claim([uuid.UUID(e) for e in event_ids] if event_ids is not None else None)
            if not claimed:
                return done
            for event in claimed:
                done += self._deliver(event)
            if event_ids is not None:
                return done

    def _claim(self, ids: list[uuid.UUID] | None) -> list[Event]:
        now = self.c.clock()
        E = EventRecord
        with self.c.uow() as s:
            q = select(E.id, E.name, E.payload).where(
                E.delivered_at.is_(None), or_(E.lease_until.is_(None), E.lease_until < now))
            if ids is not None:
                q = q.where(E.id.in_(ids))
            else:
                q = q.where(E.next_attempt_at <= now, E.created_at <= now - CATCH_UP_AFTER)
            q = q.order_by(E.created_at).limit(self.batch)
            if is_postgresql(s):
                q = q.with_for_update(skip_locked=True)
            rows = s.execute(q).all()
            if rows:
                s.execute(update(E).where(E.id.in_([r.id for r in rows])).values(lease_until=now + LEASE))
        return [Event(r.id, r.name, json.loads(r.payload)) for r in rows]

    def _deliver(self, event: Event) -> int:
        """Every handler not yet done with the event; those sharing a transaction run in one, each in a savepoint,
        with their delivery records and the event's completion."""
        handlers = HANDLERS.get(event.name, [])
        if any(h.own_transactions for h in handlers):
            with self.c.uow() as s:
                done = set(s.scalars(select(EventDelivery.handler).where(EventDelivery.event_id == event.id)))
            for h in handlers:
                if h.own_transactions and h.key not in done:
                    try:
                        with self.c.uow() as s:
                            h.fn(self.c, s, event)
                            s.add(EventDelivery(event_id=event.id, handler=h.key, delivered_at=self.c.clock()))
                    except Exception as exc:  # noqa: BLE001  (any failure: retried later)
                        return self._failed(event, h.key, exc)
        failed: tuple[str, Exception] | None = None
        with self.c.uow() as s:
            done = set(s.scalars(select(EventDelivery.handler).where(EventDelivery.event_id == event.id)))
            for h in handlers:
                if h.key in done or h.own_transactions:
                    continue
                try:
                    with s.begin_nested():
                        h.fn(self.c, s, event)
                        s.add(EventDelivery(event_id=event.id, handler=h.key, delivered_at=self.c.clock()))
                except Exception as exc:  # noqa: BLE001  (any failure: retried later; the others keep their effect)
                    failed = (h.key, exc)
                    break
            if failed is None:
                s.execute(update(EventRecord).where(EventRecord.id == event.id)
                          .values(delivered_at=self.c.clock(), lease_until=None, last_error=None))
                return 1
        return self._failed(event, *failed)

    def _failed(self, event: Event, key: str, exc: Exception) -> int:
        log.warning("event %s (%s) not taken by %s: %s", event.id, event.name, key, type(exc).__name__)
        now = self.c.clock()
        with self.c.uow() as s:
            attempts = s.scalar(select(EventRecord.attempts).where(EventRecord.id == event.id)) or 0
            wait = min(dt.timedelta(seconds=10 * 2 ** attempts), MAX_BACKOFF)
            s.execute(update(EventRecord).where(EventRecord.id == event.id).values(
                attempts=attempts + 1, next_attempt_at=now + wait, lease_until=None,
                last_error=f"{key}: {type(exc).__name__}"[:120]))
        return 0

    def pending(self) -> int:
        """Events not yet delivered to every handler (for operators and tests)."""
        with self.c.uow() as s:
            return s.scalar(select(func.count()).select_from(EventRecord).where(EventRecord.delivered_at.is_(None)))
