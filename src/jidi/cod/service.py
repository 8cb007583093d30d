"""Cash on delivery (代收货款, JD-1.1.2(1)g, JD-6.1.1(4)(5)).

* Binding: a sender binds one payout bank account: the holder's name, personal or company account, the account number
  (checked with the Luhn check digit, python-stdnum `luhn`; sensitive, sealed, shown as its last four digits), the
  region and the branch. A bank account is sensitive personal information: binding needs the separate consent
  (Separate.SENSITIVE_BANK_CARD), given with the form; withdrawing it deletes the bound account.
* Orders: a COD order is a shipping order with an amount to collect (`place`, through shipping's `place(extend=)`: the
  order and its amount are written in one transaction), or the amount is added to one of my orders before pickup
  (`attach`). Shipping's tables are not touched: the amount lives in `cod_orders`.
* Collection: when shipping announces an order delivered (the durable event order.status_changed), its amount is
  recorded as collected; cancelled or returned, nothing is collected. (The courier's own collection step, with the
  recipient's payment at the door, comes with the courier work: it will record the collection the same way.)
* Payouts: once a day (`settle`), each sender's amounts collected before that China day are paid to the bound account
  through the payout channel (a declared recipient; the share register records each payout).
* Reconciliation (`reconcile`): every fen collected is either paid out in a sent payout whose amount is the sum of its
  orders, or waiting for one. Any gap is logged as an error and recorded as an alert (`cod_alerts`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import uuid

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum import luhn

from jidi import errors, regions, values
from jidi.cod.models import CodAccount, CodAlert, CodOrder, CodPayout
from jidi.cod.providers import PAYOUT_BANK, PayoutRefused, SimulatedPayoutChannel
from jidi.db import is_postgresql
from jidi.events import Event, handles
from jidi.i18n import CHINA, N_, china_day
from jidi.privacy import Actor, Notice, Personal, Purpose, Role, Separate, Topic, looks_masked

log = logging.getLogger("jidi.cod")

CONSENT = Separate.SENSITIVE_BANK_CARD
ACCOUNT_TYPES = {"personal": N_("Personal account"), "company": N_("Company account")}
MAX_AMOUNT_FEN = 5_000_000  # ¥50,000 per parcel
# Shipping's states, by value (features do not import each other's modules): where an amount may still be added, and
# the terminal ones that settle it.
BEFORE_PICKUP = ("awaiting_payment", "awaiting_pickup", "not_accepted")
DELIVERED, CANCELLED_STATES = "delivered", ("cancelled", "returned")
PENDING, COLLECTED, PAID_OUT, CANCELLED = "pending", "collected", "paid_out", "cancelled"
STATUS_LABELS = {PENDING: N_("To collect at delivery"), COLLECTED: N_("Collected, waiting for payout"), PAID_OUT: N_("Paid out"),
                 CANCELLED: N_("Not collected (cancelled or returned)")}
_DIGITS = re.compile(r"^[0-9]{12,19}$")


def cod_account_required() -> errors.AppError:
    return errors.AppError("cod_account_required", N_("Bind a payout bank account before sending cash-on-delivery parcels."), 409,
                           details={"page": "/cod"})


def card_invalid() -> errors.AppError:
    return errors.AppError("cod_card_invalid", N_("The bank card number is not valid: it must have 12 to 19 digits and its last "
                                                  "digit must match the others (check digit). Please check it."), 422)


def cod_consent_required() -> errors.AppError:
    return errors.AppError("cod_consent_required", N_("A bank account is sensitive personal information: tick the separate consent "
                                                      "to bind it."), 409)


def cod_amount_invalid() -> errors.AppError:
    return errors.AppError("cod_amount_invalid", N_("The amount to collect must be between ¥0.01 and ¥50,000."), 422)


def cod_exists() -> errors.AppError:
    return errors.AppError("cod_exists", N_("This parcel already collects cash on delivery."), 409)


def cod_not_attachable() -> errors.AppError:
    return errors.AppError("cod_not_attachable", N_("Cash on delivery can be added only to a parcel you sent that has not been "
                                                    "picked up yet."), 409)


@dataclasses.dataclass(frozen=True)
class AccountIn:
    holder_name: str
    account_type: str
    account_number: str
    region_code: str
    branch: str


@dataclasses.dataclass(frozen=True)
class AccountView:
    holder_name: Personal
    account_type: str
    account_number: Personal  # masks as **** **** **** 0128
    region_code: str
    branch: Personal
    updated_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class CodOrderView:
    waybill_no: str
    amount_fen: int
    status: str
    created_at: dt.datetime
    collected_at: dt.datetime | None
    paid_out_on: dt.date | None


@dataclasses.dataclass(frozen=True)
class PayoutView:
    business_day: dt.date
    amount_fen: int
    orders: int
    status: str
    serial: str | None
    failure: str | None
    settled_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class Statement:
    """A sender's COD statement (代收货款账单): totals by state, the latest orders and payouts."""
    totals: dict[str, int]  # status -> fen
    orders: list[CodOrderView]
    payouts: list[PayoutView]


@dataclasses.dataclass(frozen=True)
class Reconciliation:
    collected_fen: int   # every amount collected (waiting or paid out)
    paid_out_fen: int    # every payout the channel took
    waiting_fen: int     # collected, in no payout yet
    mismatched_payouts: int  # sent payouts whose amount or count is not their orders'
    orders: int

    @property
    def gap_fen(self) -> int:
        return abs(self.collected_fen - self.paid_out_fen - self.waiting_fen)

    @property
    def balanced(self) -> bool:
        return self.gap_fen == 0 and self.mismatched_payouts == 0


def amount(raw: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_AMOUNT_FEN:
        raise cod_amount_invalid()
    return raw


def card_number(raw: str | None) -> str:
    """A bank card number: 12–19 digits (spaces and hyphens dropped) whose Luhn check digit matches."""
    if raw and looks_masked(raw):
        raise errors.masked_value(N_("bank card number"))
    digits = re.sub(r"[\s-]", "", raw or "")
    if not _DIGITS.match(digits) or not luhn.is_valid(digits):
        raise card_invalid()
    return digits


class Cod:
    def __init__(self, container):
        self.c = container
        self.channel = SimulatedPayoutChannel()
        # Deletion notices to the payout channel go where its transfers went (the share register's channel for it).
        container.shares.channels.setdefault(PAYOUT_BANK.key, self.channel)

    # -- the payout account ----------------------------------------------------------------------------------------
    def consent_notice(self, locale: str) -> Notice:
        return self.c.consent_center.notice(CONSENT, locale)

    def consent_offer(self, user_id: uuid.UUID, locale: str) -> tuple[str, str] | None:
        """The separate consent's (token, text) to show with the binding form; None when it is live already."""
        with self.c.uow() as s:
            if self.c.consents.is_live(s, user_id, CONSENT):
                return None
            notice = self.consent_notice(locale)
            return self.c.consents.offer(s, user_id, CONSENT, notice).token, notice.text

    def account(self, user_id: uuid.UUID) -> AccountView | None:
        with self.c.uow() as s:
            a = s.scalar(select(CodAccount).where(CodAccount.owner_id == user_id))
            return a and AccountView(a.holder_name, a.account_type, a.account_number, a.region_code, a.branch, a.updated_at)

    def bind(self, user_id: uuid.UUID, a: AccountIn, consent_token: str = "") -> AccountView:
        """Bind (or replace) my payout account. Without a live separate consent, `consent_token` (from `consent_offer`)
        grants it in the same transaction."""
        if a.account_type not in ACCOUNT_TYPES:
            raise errors.invalid_field(N_("account type"))
        holder = values.text(a.holder_name, 60, N_("account holder's name"))
        number = card_number(a.account_number)
        region = (a.region_code or "").strip()
        if not regions.is_leaf(region):
            raise errors.invalid_region()
        branch = values.text(a.branch, 60, N_("bank branch"))
        with self.c.uow() as s:
            if not self.c.consents.is_live(s, user_id, CONSENT):
                if not consent_token:
                    raise cod_consent_required()
                self.c.consents.grant(s, user_id, CONSENT, token=consent_token, how="page", how_ref="/cod")
            row = s.scalar(select(CodAccount).where(CodAccount.owner_id == user_id))
            now = self.c.clock()
            if row is None:
                row = CodAccount(id=uuid.uuid4(), owner_id=user_id, created_at=now)
                s.add(row)
            row.holder_name, row.account_type, row.account_number, row.region_code, row.branch = holder, a.account_type, number, region, branch
            row.updated_at = now
            self.c.audit.record(s, actor=Actor(user_id, Role.CUSTOMER), action="cod_account_bound", subject_id=user_id,
                                fields=["cod_accounts.holder_name", "cod_accounts.account_number", "cod_accounts.branch"],
                                purpose=Purpose.PAYMENT.value)
            s.flush()
            return AccountView(row.holder_name, row.account_type, row.account_number, row.region_code, row.branch, row.updated_at)

    def unbind(self, user_id: uuid.UUID) -> None:
        """Delete my payout account; collected amounts wait for the next one bound."""
        with self.c.uow() as s:
            self._unbind(s, user_id, Actor(user_id, Role.CUSTOMER))

    def _unbind(self, s: Session, user_id: uuid.UUID, actor: Actor) -> bool:
        row = s.scalar(select(CodAccount).where(CodAccount.owner_id == user_id))
        if row is None:
            return False
        s.delete(row)
        self.c.audit.record(s, actor=actor, action="cod_account_unbound", subject_id=user_id, purpose=Purpose.PAYMENT.value)
        return True

    # -- COD orders ------------------------------------------------------------------------------------------------
    def _require_account(self, s: Session, user_id: uuid.UUID) -> None:
        if s.scalar(select(CodAccount.id).where(CodAccount.owner_id == user_id)) is None:
            raise cod_account_required()

    def place(self, user_id: uuid.UUID, order, amount_fen: int) -> str:
        """Place a shipping order (a shipping OrderIn) that collects `amount_fen` at delivery: one transaction."""
        fen = amount(amount_fen)

        # In the order's own transaction, once shipping has checked the order: a malformed order is answered as such
        # first, and an account unbound meanwhile leaves no order behind.
        def extend(s: Session, order_id: uuid.UUID, waybill_no: str) -> None:
            self._require_account(s, user_id)
            s.add(CodOrder(id=uuid.uuid4(), order_id=order_id, waybill_no=waybill_no, owner_id=user_id, amount_fen=fen, status=PENDING,
                           created_at=self.c.clock()))

        waybill_no, _ = self.c.shipping.place(user_id, order, extend=extend)
        return waybill_no

    def attach(self, user_id: uuid.UUID, waybill_no: str, amount_fen: int) -> CodOrderView:
        """Collect `amount_fen` on delivery of one of my parcels not yet picked up."""
        fen = amount(amount_fen)
        view = self.c.shipping.order_for(user_id, waybill_no)
        if view.mine_as != "sender":
            raise errors.not_found()
        try:
            with self.c.uow() as s:
                self._require_account(s, user_id)
                facts = self.c.shipping.parcel_facts(s, [view.waybill_no])[view.waybill_no]
                if facts.status not in BEFORE_PICKUP:
                    raise cod_not_attachable()
                if s.scalar(select(CodOrder.id).where(CodOrder.order_id == facts.id)) is not None:
                    raise cod_exists()
                row = CodOrder(id=uuid.uuid4(), order_id=facts.id, waybill_no=view.waybill_no, owner_id=user_id, amount_fen=fen,
                               status=PENDING, created_at=self.c.clock())
                s.add(row)
                s.flush()
                return CodOrderView(row.waybill_no, row.amount_fen, row.status, row.created_at, None, None)
        except IntegrityError:
            raise cod_exists() from None

    def amounts(self, waybill_nos: list[str]) -> dict[str, int]:
        """The amounts to collect of these parcels (those that are COD orders)."""
        with self.c.uow() as s:
            return dict(s.execute(select(CodOrder.waybill_no, CodOrder.amount_fen).where(CodOrder.waybill_no.in_(waybill_nos))).all())

    def on_status_changed(self, s: Session, changes: list[list]) -> int:
        """Delivered: the amount is collected (at the delivery's time); cancelled or returned: nothing is collected.
        Idempotent: only orders still pending change."""
        delivered = {uuid.UUID(order_id): when for order_id, _wb, status, _exc, when in changes if status == DELIVERED}
        ended = [uuid.UUID(order_id) for order_id, _wb, status, _exc, _when in changes if status in CANCELLED_STATES]
        n = 0
        for order_id, when in delivered.items():
            at = dt.datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            result = s.execute(update(CodOrder).where(CodOrder.order_id == order_id, CodOrder.status == PENDING)
                               .values(status=COLLECTED, collected_at=at))
            n += getattr(result, "rowcount", 0) or 0
        if ended:
            result = s.execute(update(CodOrder).where(CodOrder.order_id.in_(ended), CodOrder.status == PENDING)
                               .values(status=CANCELLED))
            n += getattr(result, "rowcount", 0) or 0
        return n

    # -- the statement -----------------------------------------------------------------------------------------------
    def statement(self, user_id: uuid.UUID, limit: int = 100) -> Statement:
        with self.c.uow() as s:
            totals = {status: int(fen) for status, fen in s.execute(
                select(CodOrder.status, func.sum(CodOrder.amount_fen)).where(CodOrder.owner_id == user_id).group_by(CodOrder.status))}
            rows = s.execute(select(CodOrder, CodPayout.business_day).outerjoin(CodPayout, CodPayout.id == CodOrder.payout_id)
                             .where(CodOrder.owner_id == user_id).order_by(CodOrder.created_at.desc(), CodOrder.id).limit(limit)).all()
            orders = [CodOrderView(o.waybill_no, o.amount_fen, o.status, o.created_at, o.collected_at, day) for o, day in rows]
            payouts = [PayoutView(p.business_day, p.amount_fen, p.orders, p.status, p.serial, p.failure, p.settled_at)
                       for p in s.scalars(select(CodPayout).where(CodPayout.owner_id == user_id)
                                          .order_by(CodPayout.created_at.desc()).limit(limit))]
        return Statement({k: totals.get(k, 0) for k in STATUS_LABELS}, orders, payouts)

    # -- daily payouts -----------------------------------------------------------------------------------------------
    def settle(self) -> int:
        """Pay each sender what was collected before today (China time) to their bound account. One transaction per
        sender; a refusal leaves the amounts waiting for the next run. Returns the payouts sent."""
        now = self.c.clock()
        today = china_day(now)
        cutoff = dt.datetime.combine(today, dt.time(), CHINA)
        due = and_(CodOrder.status == COLLECTED, CodOrder.payout_id.is_(None), CodOrder.collected_at < cutoff,
                   CodOrder.owner_id.is_not(None))
        with self.c.uow() as s:
            owners = list(s.scalars(select(CodOrder.owner_id).where(due).distinct()))
        sent = 0
        for owner in owners:
            with self.c.uow() as s:
                account = s.scalar(select(CodAccount).where(CodAccount.owner_id == owner))
                if account is None:
                    continue  # waiting for an account to be bound
                query = select(CodOrder.id, CodOrder.amount_fen).where(due, CodOrder.owner_id == owner)
                if is_postgresql(s):
                    query = query.with_for_update(skip_locked=True)
                rows = s.execute(query).all()
                if not rows:
                    continue
                attempt = 1 + (s.scalar(select(func.count()).select_from(CodPayout).where(
                    CodPayout.owner_id == owner, CodPayout.business_day == today)) or 0)
                payout = CodPayout(id=uuid.uuid4(), owner_id=owner, business_day=today, attempt=attempt,
                                   amount_fen=sum(r.amount_fen for r in rows), orders=len(rows), status="sending", created_at=now)
                s.add(payout)
                holder, number, branch = self.c.shares.disclose(s, PAYOUT_BANK, [account.holder_name, account.account_number, account.branch],
                                                                reference=str(payout.id), now=now)
                try:
                    t = self.channel.transfer(str(payout.id), payout.amount_fen, holder, number, branch)
                except PayoutRefused as refused:
                    payout.status, payout.failure = "failed", refused.code
                    log.warning("cod payout %s refused by the channel: %s", payout.id, refused.code)
                    continue
                payout.status, payout.serial, payout.settled_at = "sent", t.serial, now
                s.flush()
                ids = [r.id for r in rows]
                for start in range(0, len(ids), 500):
                    s.execute(update(CodOrder).where(CodOrder.id.in_(ids[start:start + 500]))
                              .values(status=PAID_OUT, payout_id=payout.id))
                sent += 1
        return sent

    # -- reconciliation ----------------------------------------------------------------------------------------------
    def reconciliation(self, s: Session) -> Reconciliation:
        """Sums over every COD order and payout: two aggregate statements, whatever their number."""
        o = CodOrder
        collected, waiting, n = s.execute(select(
            func.coalesce(func.sum(case((o.status.in_((COLLECTED, PAID_OUT)), o.amount_fen), else_=0)), 0),
            func.coalesce(func.sum(case((and_(o.status == COLLECTED, o.payout_id.is_(None)), o.amount_fen), else_=0)), 0),
            func.count(),
        )).one()
        per_payout = (select(o.payout_id, func.sum(o.amount_fen).label("fen"), func.count().label("n"))
                      .where(o.payout_id.is_not(None), o.status == PAID_OUT).group_by(o.payout_id).subquery())
        p = CodPayout
        paid, mismatched = s.execute(select(
            func.coalesce(func.sum(p.amount_fen), 0),
            func.coalesce(func.sum(case((per_payout.c.fen.is_(None) | (per_payout.c.fen != p.amount_fen) | (per_payout.c.n != p.orders), 1),
                                        else_=0)), 0),
        ).select_from(p).outerjoin(per_payout, per_payout.c.payout_id == p.id).where(p.status == "sent")).one()
        return Reconciliation(int(collected), int(paid), int(waiting), int(mismatched), int(n))

    def reconcile(self) -> Reconciliation:
        """Check that every collected amount is paid out or waiting; otherwise log an error and record an alert."""
        with self.c.uow() as s:
            r = self.reconciliation(s)
            if not r.balanced:
                log.error("cod reconciliation gap: collected %s fen, paid out %s fen, waiting %s fen, gap %s fen, %s mismatched payouts",
                          r.collected_fen, r.paid_out_fen, r.waiting_fen, r.gap_fen, r.mismatched_payouts)
                s.add(CodAlert(id=uuid.uuid4(), checked_at=self.c.clock(), collected_fen=r.collected_fen, paid_out_fen=r.paid_out_fen,
                               waiting_fen=r.waiting_fen, mismatched_payouts=r.mismatched_payouts, gap_fen=r.gap_fen))
        return r

    def alerts(self, limit: int = 20) -> list[CodAlert]:
        with self.c.uow() as s:
            rows = list(s.scalars(select(CodAlert).order_by(CodAlert.checked_at.desc()).limit(limit)))
            s.expunge_all()
            return rows


@handles("order.status_changed", "cod.collect_on_delivery")
def _collect(container, session: Session, event: Event) -> None:
    container.cod.on_status_changed(session, event.payload["changes"])


def on_withdrawal(container, session: Session, subject_id: uuid.UUID, topic: Topic) -> None:
    """The separate consent to process bank card details is withdrawn: the bound payout account is deleted."""
    if topic is CONSENT:
        container.cod._unbind(session, subject_id, Actor(subject_id, Role.CUSTOMER))
