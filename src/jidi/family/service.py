"""Family numbers (亲情号, JD-1.1.2(2)c–e, Ambiguity A9).

A customer (the binder) names a relative's role and mobile number; the relative gets an SMS code, and the
binding becomes active only when the binder enters that code (the relative handing it over is their
authorisation). While it is active, the binder sees the relative's incoming parcels created after the
activation, masked like their own, and may mark one as collected on the relative's behalf (代取). Either side
ends it at any time, with immediate effect: the binder on their family page, the relative (logged in with
that number) on theirs. Ending deletes the relative's number: the binding's one-off subject is shredded.

Nothing of the relative's is visible while pending or once ended; a binding id that is not the caller's
is "not found".
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jidi import errors, privacy, values, waybill
from jidi.family.models import FamilyBinding, ProxyCollection
from jidi.i18n import N_
from jidi.privacy import Actor, Personal, Purpose, Role
from jidi.shipping import states

if TYPE_CHECKING:
    from jidi.shipping.service import OrderView

PENDING, ACTIVE, ENDED = "pending", "active", "ended"
LIVE = (PENDING, ACTIVE)
ROLES = {
    "parent": N_("Parent"),
    "spouse": N_("Spouse"),
    "child": N_("Child"),
    "sibling": N_("Brother or sister"),
    "grandparent": N_("Grandparent"),
    "other": N_("Other relative"),
}
MAX_BINDINGS = 10  # pending and active, per binder

# Collect on behalf (代取): a parcel out for delivery, or delivered into a parcel locker or a pickup station.
# Collecting records who collected it (ProxyCollection); the parcel's status is the couriers' to change.
COLLECTABLE_AS = ("locker", "station")


def collectable(status: str, delivered_as: str | None) -> bool:
    return status == states.OUT_FOR_DELIVERY or (status == states.DELIVERED and delivered_as in COLLECTABLE_AS)


def family_own_number() -> errors.AppError:
    return errors.AppError("family_own_number", N_("This is your own number. Enter your relative's mobile number."), 409)


def family_already_bound() -> errors.AppError:
    return errors.AppError("family_already_bound", N_("This number is already one of your family numbers."), 409)


def family_limit(limit: int) -> errors.AppError:
    return errors.AppError("family_limit", N_("You can have at most {limit} family numbers. Please end one first."), 409, limit=limit)


def family_not_pending() -> errors.AppError:
    return errors.AppError("family_not_pending", N_("This family number is not waiting for a code."), 409)


def not_collectable() -> errors.AppError:
    return errors.AppError("not_collectable", N_("This parcel can be collected only when it is out for delivery or waiting in a locker or station."), 409)


def already_collected() -> errors.AppError:
    return errors.AppError("already_collected", N_("This parcel has already been marked as collected."), 409)


@dataclasses.dataclass
class BindingView:
    """A binding as its binder sees it: the relative's number masked."""

    id: uuid.UUID
    role: str
    phone: Personal | None
    status: str
    created_at: dt.datetime
    activated_at: dt.datetime | None

    @property
    def role_label(self) -> str:
        return ROLES[self.role]  # a message id: translate where shown


@dataclasses.dataclass
class WatcherView:
    """A binding as the relative sees it: who (the binder's number, masked) can see their parcels."""

    id: uuid.UUID
    role: str
    binder_phone: Personal | None
    status: str
    created_at: dt.datetime
    activated_at: dt.datetime | None

    @property
    def role_label(self) -> str:
        return ROLES[self.role]


@dataclasses.dataclass
class FamilyParcel:
    order: OrderView  # mine_as == "family"
    can_collect: bool
    proxy_collected_at: dt.datetime | None


@dataclasses.dataclass
class FamilyGroup:
    binding: BindingView
    parcels: list[FamilyParcel]



class Family:
    def __init__(self, container):
        self.c = container

    @property
    def vault(self):
        return self.c.vault

    def _view(self, s: Session, b: FamilyBinding) -> BindingView:
        return BindingView(b.id, b.role, b.phone, b.status, b.created_at, b.activated_at)

    def _mine(self, s: Session, binder_id: uuid.UUID, binding_id, statuses=LIVE) -> FamilyBinding:
        b = s.scalar(select(FamilyBinding).where(FamilyBinding.id == errors.id_or_not_found(binding_id), FamilyBinding.binder_id == binder_id,
                                                 FamilyBinding.status.in_(statuses)))
        if b is None:
            raise errors.not_found()
        return b

    def _end(self, s: Session, b: FamilyBinding, by: str, actor: Actor) -> None:
        """End now: the number and its index are cleared and the binding's subject key is shredded."""
        b.status, b.ended_at, b.ended_by = ENDED, self.c.clock(), by
        b.phone = None
        self.vault.shred_subject(s, b.subject_id)
        self.c.audit.record(s, actor=actor, action="family_ended", subject_id=b.subject_id, detail=f"ended by the {by}")

    # -- the binder ----------------------------------------------------------------------------------------
    def bindings(self, binder_id: uuid.UUID) -> list[BindingView]:
        with self.c.uow() as s:
            rows = s.scalars(select(FamilyBinding).where(FamilyBinding.binder_id == binder_id, FamilyBinding.status.in_(LIVE))
                             .order_by(FamilyBinding.created_at, FamilyBinding.id)).all()
            return [self._view(s, b) for b in rows]

    def bind(self, binder_id: uuid.UUID, role: str, raw_phone: str, client_address: str, locale: str) -> tuple[BindingView, int]:
        """Start a binding (or renew a pending one) and send the relative the code. Returns it and the resend wait."""
        if role not in ROLES:
            raise errors.invalid_field(N_("relative's role"))
        phone = values.phone(raw_phone)
        phone_idx = self.c.finder.index(FamilyBinding.phone, phone)
        with self.c.uow() as s:
            if self.c.accounts.phone_index(s, binder_id) == phone_idx:
                raise family_own_number()
            existing = s.scalar(select(FamilyBinding).where(FamilyBinding.binder_id == binder_id, FamilyBinding.phone_bidx == phone_idx))
            if existing is not None and existing.status == ACTIVE:
                raise family_already_bound()
            live = s.scalar(select(func.count()).select_from(FamilyBinding)
                            .where(FamilyBinding.binder_id == binder_id, FamilyBinding.status.in_(LIVE)))
            if existing is None and live >= MAX_BINDINGS:
                raise family_limit(MAX_BINDINGS)
        # The code goes to the relative's number (under their account's or a one-off subject, never the binder's).
        wait = self.c.accounts.request_code(phone, "family", client_address, locale, by_user=binder_id)
        try:
            with self.c.uow() as s:
                b = s.scalar(select(FamilyBinding).where(FamilyBinding.binder_id == binder_id, FamilyBinding.phone_bidx == phone_idx))
                if b is None:
                    now = self.c.clock()
                    b = FamilyBinding(id=uuid.uuid4(), binder_id=binder_id, role=role, status=PENDING, created_at=now)
                    b.phone = phone  # sealed under the relative's own one-off subject
                    s.add(b)
                    s.flush()
                elif b.status == ACTIVE:
                    raise family_already_bound()
                else:
                    b.role = role
                return self._view(s, b), wait
        except IntegrityError:
            raise family_already_bound() from None  # a second request for the same number raced this one

    def resend(self, binder_id: uuid.UUID, binding_id, client_address: str, locale: str) -> int:
        """Send a pending binding's relative a new code (the earlier one stops working)."""
        with self.c.uow() as s:
            b = self._mine(s, binder_id, binding_id, (PENDING,))
            phone = privacy.open(b.phone, for_=Purpose.NOTIFICATION, actor=Actor.system())
        return self.c.accounts.request_code(phone, "family", client_address, locale, by_user=binder_id)

    def activate(self, binder_id: uuid.UUID, binding_id, code: str) -> BindingView:
        """The relative's code, entered by the binder: the binding becomes active from now on."""
        with self.c.uow() as s:
            b = self._mine(s, binder_id, binding_id)
            if b.status != PENDING:
                raise family_not_pending()
            phone_idx = b.phone_bidx
        self.c.accounts.check_code("family", code, phone_idx=phone_idx)
        with self.c.uow() as s:
            b = self._mine(s, binder_id, binding_id)
            if b.status != PENDING:
                raise family_not_pending()
            b.status, b.activated_at = ACTIVE, self.c.clock()
            self.c.audit.record(s, actor=Actor(binder_id, Role.CUSTOMER), action="family_activated", subject_id=b.subject_id,
                              purpose="consent", detail="the relative's SMS code was entered")
            return self._view(s, b)

    def end(self, binder_id: uuid.UUID, binding_id) -> None:
        with self.c.uow() as s:
            self._end(s, self._mine(s, binder_id, binding_id), "binder", Actor(binder_id, Role.CUSTOMER))

    def end_all_for_binder(self, s: Session, binder_id: uuid.UUID, actor: Actor) -> int:
        """End every pending or active binding of this binder (a withdrawn consent), in the caller's transaction."""
        rows = s.scalars(select(FamilyBinding).where(FamilyBinding.binder_id == binder_id, FamilyBinding.status != ENDED)).all()
        for b in rows:
            self._end(s, b, "binder", actor)
        return len(rows)

    def parcels(self, binder_id: uuid.UUID) -> list[FamilyGroup]:
        """Each active binding with the relative's incoming parcels created after its activation, masked."""
        with self.c.uow() as s:
            rows = s.scalars(select(FamilyBinding).where(FamilyBinding.binder_id == binder_id, FamilyBinding.status == ACTIVE)
                             .order_by(FamilyBinding.activated_at, FamilyBinding.id)).all()
            bindings = [(self._view(s, b), b.phone_bidx, b.activated_at) for b in rows]
        groups = []
        for view, phone_idx, since in bindings:
            orders = self.c.shipping.received_by_phone(phone_idx, since)
            groups.append(FamilyGroup(view, self._parcels(orders)))
        return groups

    def _parcels(self, orders: list[OrderView]) -> list[FamilyParcel]:
        if not orders:
            return []
        with self.c.uow() as s:
            facts = self.c.shipping.parcel_facts(s, [o.waybill_no for o in orders])
            collected = dict(s.execute(select(ProxyCollection.order_id, ProxyCollection.collected_at)
                                       .where(ProxyCollection.order_id.in_([f.id for f in facts.values()]))).all())
        info = {wb: (f.delivered_as, collected.get(f.id)) for wb, f in facts.items()}
        out = []
        for o in orders:
            delivered_as, collected_at = info[o.waybill_no]
            out.append(FamilyParcel(dataclasses.replace(o, mine_as="family"),
                                    collected_at is None and collectable(o.status, delivered_as), collected_at))
        return out

    def collect(self, binder_id: uuid.UUID, waybill_no: str) -> FamilyParcel:
        """Mark a relative's parcel as collected on their behalf (代取), recording who collected it."""
        number = waybill.normalise(waybill_no)
        if not waybill.is_valid(number):
            raise errors.not_found()
        with self.c.uow() as s:
            order = self.c.shipping.parcel_facts(s, [number]).get(number)
            phone_idx = order.recipient_phone_index if order else None
            b = s.scalar(select(FamilyBinding).where(FamilyBinding.binder_id == binder_id, FamilyBinding.status == ACTIVE,
                                                     FamilyBinding.phone_bidx == phone_idx)) if phone_idx else None
            if b is None or order.created_at <= b.activated_at:
                raise errors.not_found()  # not a parcel this binder may see
            if s.scalar(select(ProxyCollection.id).where(ProxyCollection.order_id == order.id)) is not None:
                raise already_collected()
            if not collectable(order.status, order.delivered_as):
                raise not_collectable()
            s.add(ProxyCollection(id=uuid.uuid4(), order_id=order.id, binding_id=b.id, proxy_collected_by=binder_id,
                                  collected_at=self.c.clock()))
            self.c.audit.record(s, actor=Actor(binder_id, Role.CUSTOMER), action="proxy_collected", subject_id=order.recipient_subject_id,
                              detail="collected on the recipient's behalf by a family number")
            phone_idx = b.phone_bidx
        view = self.c.shipping.order_for_phone(number, phone_idx=phone_idx)
        if view is None:
            raise errors.not_found()
        return self._parcels([view])[0]

    def collectors(self, s: Session, recipient_phone_index: bytes | None, order_created_at: dt.datetime) -> list[uuid.UUID]:
        """The binders a parcel's recipient authorised to see and collect it (active bindings of the recipient's number,
        activated before the parcel was created), in the caller's transaction: e.g. who else gets its pickup code."""
        if recipient_phone_index is None:
            return []
        return list(s.scalars(select(FamilyBinding.binder_id).where(
            FamilyBinding.phone_bidx == recipient_phone_index, FamilyBinding.status == ACTIVE,
            FamilyBinding.activated_at < order_created_at).order_by(FamilyBinding.activated_at)))

    # -- the relative --------------------------------------------------------------------------------------
    def watchers(self, user_id: uuid.UUID) -> list[WatcherView]:
        """People who can see my parcels (or are waiting for my code): the live bindings of my verified number."""
        with self.c.uow() as s:
            phone_idx = self.c.accounts.phone_index(s, user_id)
            if phone_idx is None:
                return []
            rows = s.scalars(select(FamilyBinding).where(FamilyBinding.phone_bidx == phone_idx, FamilyBinding.status.in_(LIVE))
                             .order_by(FamilyBinding.created_at, FamilyBinding.id)).all()
            return [WatcherView(b.id, b.role, self.c.accounts.phone(s, b.binder_id), b.status, b.created_at, b.activated_at)
                    for b in rows]

    def end_as_relative(self, user_id: uuid.UUID, binding_id) -> None:
        with self.c.uow() as s:
            phone_idx = self.c.accounts.phone_index(s, user_id)
            b = s.scalar(select(FamilyBinding).where(FamilyBinding.id == errors.id_or_not_found(binding_id), FamilyBinding.status.in_(LIVE),
                                                     FamilyBinding.phone_bidx == phone_idx)) if phone_idx else None
            if b is None:
                raise errors.not_found()
            self._end(s, b, "relative", Actor(user_id, Role.CUSTOMER))


def bound_count(container, user_id: uuid.UUID) -> int:
    """How many family numbers the customer has bound (shown under its link on 我的)."""
    return len(container.family.bindings(user_id))
