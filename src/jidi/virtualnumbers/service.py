"""Virtual numbers for couriers and consumers (CN-3.4.7): an AXB binding per courier task.

When the couriers feature assigns a task (`courier.task_assigned`: task_id, order_id, courier_id), the handler binds
the courier's work number (A, from the courier directory the couriers feature provides as `c.courier_directory`) and
the consumer's (B: the sender for a pickup, the recipient for a delivery, from the order through the shipping service)
to a virtual number X of the provider, in the event's transaction, where both shares are recorded in the register.
The binding is asked of the provider for at most MAX_LIFETIME. When the task closes (`courier.task_closed`) or the
order is cancelled or finished (`order.status_changed`), it expires GRACE later; the periodic job unbinds every binding
whose time has come, so no binding outlives its task by more than GRACE, nor MAX_LIFETIME in any case.

The customer sees the courier's X (never the courier's number) on the order page while the binding lives; the courier
sees the consumer's X in the couriers feature. Call records come back through the provider's signed callback
(`record_call`); a forged or stale one is refused and nothing is written.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from jidi import errors
from jidi.events import Event, handles
from jidi.i18n import N_
from jidi.shipping import states
from jidi.virtualnumbers.models import ACTIVE, CLOSING, FAILED, UNBOUND, VirtualCallRecord, VirtualNumberBinding
from jidi.virtualnumbers.providers import CARRIER, InvalidCallback, ProviderError, SimulatedCarrier, VirtualNumberProvider

log = logging.getLogger("jidi.virtualnumbers")

TASK_ASSIGNED, TASK_CLOSED = "courier.task_assigned", "courier.task_closed"
ORDER_STATUS_CHANGED = "order.status_changed"
GRACE = dt.timedelta(hours=24)  # after the task closes or the order is cancelled: time to call back about it
MAX_LIFETIME = dt.timedelta(days=3)  # asked of the provider at bind time: its own expiry, whatever happens here
LIVE = (ACTIVE, CLOSING)
# Before pickup the courier calls the sender; afterwards the recipient.
_PICKUP_STATES = frozenset({states.AWAITING_PAYMENT, states.AWAITING_PICKUP, states.NOT_ACCEPTED})



class CourierDirectory(Protocol):
    """What the couriers feature provides as `c.courier_directory` for binding a virtual number."""

    def phone_for_carrier(self, session: Session, courier_id: uuid.UUID, *, reference: str, now: dt.datetime) -> str | None:
        """The courier's work mobile number in plaintext, for the virtual-number provider, after recording that share in
        the register under `reference` (the couriers feature declares the provider as a recipient of its field), in the
        caller's transaction; None when the courier is unknown or cannot take calls."""


@dataclasses.dataclass(frozen=True)
class CourierNumber:
    """What the order page shows: the number to call the courier on, and until when."""

    virtual_number: str
    expires_at: dt.datetime
    task_open: bool


def callback_invalid() -> errors.AppError:
    return errors.AppError("callback_invalid", N_("The callback's signature is missing, wrong or too old."), 401)


class VirtualNumbers:
    def __init__(self, container):
        self.c = container
        secret = container.secrets.token_hash("virtual-number-call-records")  # shared with the provider; never stored
        self.provider: VirtualNumberProvider = SimulatedCarrier(secret, clock=container.clock)
        container.shares.channels[CARRIER.key] = self  # deletion notices go to whichever provider is configured

    def request_deletion(self, references: list[str]) -> None:
        self.provider.request_deletion(references)

    # -- binding ---------------------------------------------------------------------------------------------------
    def bind_for_task(self, s: Session, task_id: uuid.UUID, order_id: uuid.UUID, courier_id: uuid.UUID,
                      directory: CourierDirectory | None = None) -> VirtualNumberBinding | None:
        """Bind the task's courier and consumer, in the caller's transaction (idempotent per task). None when there is
        nothing to bind: a task already bound, an order gone or finished, no courier directory or courier number."""
        existing = s.scalar(select(VirtualNumberBinding).where(VirtualNumberBinding.task_id == task_id))
        if existing is not None:
            return existing
        directory = directory or getattr(self.c, "courier_directory", None)
        if directory is None:
            log.warning("no courier directory: a task's virtual number was not bound")
            return None
        parties = self.c.shipping.parties_to_notify(s, {order_id}).get(order_id)
        if parties is None:
            return None
        waybill_no, people = parties
        facts = self.c.shipping.parcel_facts(s, [waybill_no]).get(waybill_no)
        if facts is None or facts.status in states.TERMINAL:
            return None
        role = "sender" if facts.status in _PICKUP_STATES else "recipient"
        phone = next((p for subject, p in people if (subject == facts.recipient_subject_id) == (role == "recipient")), None)
        if phone is None or not phone.readable:
            return None
        now = self.c.clock()
        row = VirtualNumberBinding(id=uuid.uuid4(), task_id=task_id, order_id=order_id, courier_id=courier_id, party_role=role,
                                   provider=self.provider.name, status=ACTIVE, created_at=now, expires_at=now + MAX_LIFETIME)
        reference = str(row.id)  # what the provider knows the binding by (out_id): no order number, no phone
        courier_phone = directory.phone_for_carrier(s, courier_id, reference=reference, now=now)
        if courier_phone is None:
            return None
        (consumer_phone,) = self.c.shares.disclose(s, CARRIER, [phone], reference=reference, now=now)
        try:
            bound = self.provider.bind(courier_phone, consumer_phone, row.expires_at, reference)
        except ProviderError as err:
            row.status, row.unbind_reason, row.unbound_at = FAILED, err.code[:24], now
            log.warning("virtual number not bound: provider answered %s", err.code)
        else:
            row.subs_id, row.virtual_number = bound.subs_id, bound.secret_no
        s.add(row)
        s.flush()
        return row

    def close(self, s: Session, *, order_id: uuid.UUID, task_id: uuid.UUID | None = None) -> int:
        """The task closed (or the order was cancelled or finished): its live bindings expire GRACE from now. A task
        closed before its assignment was handled (events may be delivered out of order) is remembered as unbound, so
        that the late assignment binds nothing."""
        B = VirtualNumberBinding
        where = [B.status == ACTIVE, B.task_id == task_id] if task_id else [B.status == ACTIVE, B.order_id == order_id]
        now = self.c.clock()
        if task_id and s.scalar(select(B.id).where(B.task_id == task_id)) is None:
            s.add(B(id=uuid.uuid4(), task_id=task_id, order_id=order_id, courier_id=None, party_role="none", provider=self.provider.name,
                    status=UNBOUND, created_at=now, expires_at=now, closed_at=now, unbound_at=now, unbind_reason="closed_before_bind"))
            return 0
        rows = s.scalars(select(B).where(*where)).all()
        for b in rows:
            b.status, b.closed_at, b.expires_at = CLOSING, now, min(b.expires_at, now + GRACE)
        return len(rows)

    def unbind_due(self, batch: int = 200) -> int:
        """Release every binding whose time has come (the periodic job); returns how many."""
        B = VirtualNumberBinding
        done = 0
        while True:
            now = self.c.clock()
            with self.c.uow() as s:
                rows = s.scalars(select(B).where(B.status.in_(LIVE), B.expires_at <= now).order_by(B.expires_at)
                                 .limit(batch).with_for_update(skip_locked=True)).all()
                for b in rows:
                    self._release(b, now, "expired")
            done += len(rows)
            if len(rows) < batch:
                return done

    def _release(self, b: VirtualNumberBinding, now: dt.datetime, reason: str) -> None:
        if b.subs_id and b.virtual_number:
            try:
                self.provider.unbind(b.subs_id, b.virtual_number)
            except ProviderError as err:  # released on its side at its own expiry anyway
                log.warning("unbind refused by the provider (%s)", err.code)
        b.status, b.unbound_at, b.unbind_reason, b.virtual_number = UNBOUND, now, reason, None

    # -- what the customer sees ----------------------------------------------------------------------------------
    def for_order(self, user_id: uuid.UUID, waybill_no: str) -> CourierNumber | None:
        """The courier's virtual number for the customer's side of the order, while a binding lives (else None). Only
        the order's sender or recipient (not found otherwise, as the order page)."""
        order = self.c.shipping.order_for(user_id, waybill_no)
        B = VirtualNumberBinding
        now = self.c.clock()
        with self.c.uow() as s:
            facts = self.c.shipping.parcel_facts(s, [order.waybill_no]).get(order.waybill_no)
            if facts is None:
                return None
            b = s.scalar(select(B).where(B.order_id == facts.id, B.party_role == order.mine_as, B.status.in_(LIVE),
                                         B.expires_at > now, B.virtual_number.is_not(None))
                         .order_by(B.created_at.desc()).limit(1))
            return CourierNumber(b.virtual_number, b.expires_at, b.status == ACTIVE) if b else None

    # -- call records ----------------------------------------------------------------------------------------------
    def record_call(self, headers, body: bytes) -> bool:
        """Keep a call record from the provider's callback. Refused (callback_invalid) unless signed and fresh; True
        when it was new, False for a replay or a binding no longer here."""
        try:
            rec = self.provider.callbacks.parse(headers, body, self.c.clock())
        except InvalidCallback:
            raise callback_invalid() from None
        try:
            binding_id = uuid.UUID(rec.out_id)
        except ValueError:
            return False
        with self.c.uow() as s:
            b = s.get(VirtualNumberBinding, binding_id)
            if b is None or b.subs_id != rec.subs_id:
                return False
            if s.scalar(select(VirtualCallRecord.id).where(VirtualCallRecord.call_id == rec.call_id)) is not None:
                return False
            s.add(VirtualCallRecord(id=uuid.uuid4(), binding_id=b.id, order_id=b.order_id, call_id=rec.call_id,
                                    caller="courier" if rec.caller_side == "A" else "consumer", outcome=rec.outcome,
                                    started_at=rec.started_at, released_at=rec.released_at,
                                    duration_seconds=rec.duration_seconds, received_at=self.c.clock()))
        return True

    def calls(self, order_id: uuid.UUID) -> list[VirtualCallRecord]:
        with self.c.uow() as s:
            rows = s.scalars(select(VirtualCallRecord).where(VirtualCallRecord.order_id == order_id)
                             .order_by(VirtualCallRecord.released_at)).all()
            s.expunge_all()
            return list(rows)


@handles(TASK_ASSIGNED, "virtualnumbers.bind")
def _on_assigned(container, session: Session, event: Event) -> None:
    p = event.payload
    container.virtual_numbers.bind_for_task(session, uuid.UUID(p["task_id"]), uuid.UUID(p["order_id"]), uuid.UUID(p["courier_id"]))


@handles(TASK_CLOSED, "virtualnumbers.close")
def _on_closed(container, session: Session, event: Event) -> None:
    p = event.payload
    container.virtual_numbers.close(session, task_id=uuid.UUID(p["task_id"]), order_id=uuid.UUID(p["order_id"]))


@handles(ORDER_STATUS_CHANGED, "virtualnumbers.order_finished")
def _on_status(container, session: Session, event: Event) -> None:
    for order_id, _waybill, status, _exception, _at in event.payload["changes"]:
        if status in states.TERMINAL:
            container.virtual_numbers.close(session, order_id=uuid.UUID(order_id))
