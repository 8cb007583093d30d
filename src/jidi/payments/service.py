"""Payments use cases: pay an order through a provider, take its callbacks, query and close payments that never
called back, ship now and pay later (charged after delivery, a debt if that fails), recipient pays, refunds.

Callbacks are verified by the provider's gateway (jidi.payments.gateways) and applied in one transaction: the
payment row is locked, its state moves only forward (pending → paid | failed | closed; a refund pending → refunded),
and the amount and currency must be those of the payment. A duplicate, a late or an out-of-order callback changes
nothing a second time and is answered as taken. A payment that succeeds records the durable event `payments.paid`;
its handler credits the order through shipping (`settle_payment`) — once: an order already paid or cancelled is not
credited again, and that payment is refunded instead. So no order is ever credited twice.

Only the order number and amount go to the provider: the request is sealed on the payment row and opened for the
provider through the share register (`disclose`), which records every payment (JD-1.1.2(5)a, ZK-1.1.3a).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import secrets
import uuid
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from jidi import errors
from jidi.db import after_commit_batch
from jidi.events import Event, handles
from jidi.i18n import N_
from jidi.payments import gateways as gw
from jidi.payments.models import PayLaterAuthorisation, Payment
from jidi.privacy import LegalBasis, Personal, Purpose, RecipientRole, recipient

log = logging.getLogger("jidi.payments")

PAID_EVENT = "payments.paid"
ORDER_STATUS_CHANGED = "order.status_changed"  # shipping's durable event (jidi.shipping.service)
METHODS = ("alipay", "wechat")
METHOD_LABELS = {"alipay": N_("Alipay"), "wechat": N_("WeChat Pay"), "wechat_score": N_("WeChat Pay Score (pay later)")}
STATUS_LABELS = {"pending": N_("Waiting for payment"), "paid": N_("Paid"), "failed": N_("Failed"), "closed": N_("Closed"),
                 "refunding": N_("Refund in progress"), "refunded": N_("Refunded")}
KIND_LABELS = {"payment": N_("Payment"), "refund": N_("Refund")}
EXPIRE_AFTER = dt.timedelta(minutes=30)  # a payment not paid by then is queried, then closed
QUERY_AFTER = dt.timedelta(minutes=2)    # a payment without a callback this long is asked about

PROVIDERS = {
    "alipay": recipient("payment_alipay", "支付宝(支付机构)", "Alipay (payment institution)", role=RecipientRole.THIRD_PARTY,
                        purpose=Purpose.PAYMENT, basis=LegalBasis.CONTRACT, fields=("payments.request",)),
    "wechat": recipient("payment_wechat", "微信支付(支付机构)", "WeChat Pay (payment institution)", role=RecipientRole.THIRD_PARTY,
                        purpose=Purpose.PAYMENT, basis=LegalBasis.CONTRACT, fields=("payments.request",)),
}


def callback_invalid() -> errors.AppError:
    return errors.AppError("payment_callback_invalid", N_("The payment notification could not be verified."), 400)


def callback_unknown() -> errors.AppError:
    return errors.AppError("payment_callback_unknown", N_("The payment notification names no payment of ours."), 404)


def amount_mismatch() -> errors.AppError:
    return errors.AppError("payment_amount_mismatch", N_("The payment notification's amount or currency differs from the "
                                                         "payment's: it was not applied."), 409)


def refund_too_large() -> errors.AppError:
    return errors.AppError("refund_too_large", N_("A refund cannot be larger than what was paid and not yet refunded."), 409)


def method_invalid() -> errors.AppError:
    return errors.AppError("payment_method_invalid", N_("Choose Alipay or WeChat Pay."), 422)


def provider_unavailable() -> errors.AppError:
    return errors.AppError("payment_provider_unavailable", N_("The payment service did not answer: please try again in a "
                                                              "moment."), 503)


@dataclasses.dataclass(frozen=True)
class PaymentView:
    """One line of "my payments" (the transaction record, JD-1.2.6; CN-3.1.10b)."""

    serial: str
    kind: str
    purpose: str
    waybill_no: str
    order_id: uuid.UUID
    method: str
    amount_fen: int
    currency: str
    status: str
    provider_trade_no: str | None
    card: Personal | None
    created_at: dt.datetime
    settled_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class OrderPayments:
    waybill_no: str
    price_fen: int
    payment_mode: str
    status: str
    paid: bool
    payable: bool
    mine_as: str
    payments: list[PaymentView]

    @property
    def refunded_fen(self) -> int:
        return sum(p.amount_fen for p in self.payments if p.kind == "refund" and p.status == "refunded")

    @property
    def refunding_fen(self) -> int:
        return sum(p.amount_fen for p in self.payments if p.kind == "refund" and p.status == "refunding")

    @property
    def debt(self) -> bool:
        """A pay-later charge after delivery failed: the order is owed and can be paid here."""
        return self.payable and any(p.purpose == "pay_later" and p.status == "failed" for p in self.payments)


def _serial(prefix: str, now: dt.datetime) -> str:
    return prefix + now.astimezone(gw.CHINA).strftime("%Y%m%d%H%M%S") + secrets.token_hex(6).upper()


class Payments:
    def __init__(self, container):
        self.c = container
        self._gateways: dict[str, object] | None = None
        self._sims: dict[str, object] = {}
        container.shares.channels.update({r.key: _NoticeTaken() for r in PROVIDERS.values()})

    # -- the providers ------------------------------------------------------------------------------------------
    def _build(self) -> None:
        from jidi.payments import simulator  # noqa: PLC0415

        keys = simulator.simulator_keys(self.c.settings.var_dir)
        # The simulator's pages are jidi's own: the payer is sent to them by path, whatever address jidi is reached at.
        base = ""
        deliver = self._deliver_in_process
        alipay_sim = simulator.AlipaySimulator(self.c, keys, "2021000000000001", deliver)
        wechat_sim = simulator.WechatSimulator(self.c, keys, "1900000001", "JIDI0001", "SIMPLATFORM01", base, deliver)
        self._sims = {"alipay": alipay_sim, "wechat": wechat_sim}
        from jidi.payments import crypto  # noqa: PLC0415

        self._gateways = {
            "alipay": gw.AlipayGateway("2021000000000001", keys["alipay_merchant"], crypto.public_pem(keys["alipay_platform"]),
                                       f"{base}/sim/alipay/gateway.do", alipay_sim.transport, self.c.clock),
            "wechat": gw.WechatPayGateway("1900000001", "wxd930ea5d5a258f4f", keys["wechat_merchant"], "JIDI0001",
                                          crypto.public_pem(keys["wechat_platform"]), "SIMPLATFORM01", keys["wechat_apiv3"].encode(),
                                          "https://api.mch.weixin.qq.com", wechat_sim.transport, self.c.clock),
        }

    @property
    def gateways(self) -> dict:
        if self._gateways is None:
            self._build()
        assert self._gateways is not None
        return self._gateways

    @property
    def sims(self) -> dict:
        self.gateways  # noqa: B018  (built together)
        return self._sims

    def _deliver_in_process(self, provider: str, headers: dict[str, str], body: bytes) -> None:
        """The simulator's callback, handed to the code the callback route runs (errors are the provider's to retry)."""
        try:
            self.receive(provider, headers, body)
        except errors.AppError as err:
            log.warning("simulated %s callback refused: %s", provider, err.code)

    def notify_url(self, provider: str) -> str:
        return f"{self.c.settings.base_url.rstrip('/')}/api/v1/payments/notify/{provider}"

    # -- paying ---------------------------------------------------------------------------------------------------
    def start(self, user_id: uuid.UUID, waybill_no: str, method: str) -> str:
        """Open a payment of the order by this account (its sender, or its recipient for recipient-pays) and return
        where the payer confirms it. Only the payment serial, the order number and the amount go to the provider."""
        if method not in METHODS:
            raise method_invalid()
        now = self.c.clock()
        with self.c.uow() as s:
            facts = self.c.shipping.payment_facts_for(s, user_id, waybill_no)
            if not facts.payable:
                raise errors.not_payable()
            failed_charge = s.scalar(select(Payment.id).where(Payment.order_id == facts.order_id, Payment.purpose == "pay_later",
                                                              Payment.status == "failed").limit(1))
            purpose = "recipient" if facts.mine_as == "recipient" else "debt" if failed_charge else "order"
            payment = self._new_payment(s, facts.order_id, facts.waybill_no, user_id, method, facts.price_fen, purpose, now)
            req = self._disclose(s, payment, method, now)
        try:
            return self.gateways[method].start(req, self.notify_url(method),
                                               f"/orders/{facts.waybill_no}/payment?returned=1")
        except (gw.InvalidCallback, OSError) as exc:
            log.warning("payment %s not opened at %s: %s", req.serial, method, type(exc).__name__)
            raise provider_unavailable() from None

    def _new_payment(self, s: Session, order_id: uuid.UUID, waybill_no: str, payer_id: uuid.UUID | None, method: str,
                     amount_fen: int, purpose: str, now: dt.datetime, *, kind: str = "payment", parent_id: uuid.UUID | None = None,
                     status: str = "pending") -> Payment:
        p = Payment(id=uuid.uuid4(), serial=_serial("R" if kind == "refund" else "P", now), kind=kind, purpose=purpose,
                    parent_id=parent_id, order_id=order_id, waybill_no=waybill_no, payer_id=payer_id, method=method,
                    amount_fen=amount_fen, currency="CNY", status=status, created_at=now, updated_at=now)
        p.subject_id = None  # type: ignore[assignment]  # a one-off subject, made at flush
        s.add(p)
        return p

    def _disclose(self, s: Session, p: Payment, method: str, now: dt.datetime) -> gw.PayRequest:
        """Seal what goes to the provider on the payment, record the share, and hand it over (order number and amount)."""
        p.request = json.dumps({"serial": p.serial, "order_no": p.waybill_no, "amount_fen": p.amount_fen, "currency": p.currency},
                               separators=(",", ":"))
        s.flush()
        (plain,) = self.c.shares.disclose(s, PROVIDERS["alipay" if method == "alipay" else "wechat"], [p.request],
                                          reference=p.serial, now=now)
        sent = json.loads(plain)
        return gw.PayRequest(sent["serial"], sent["order_no"], sent["amount_fen"], sent["currency"])

    # -- callbacks ------------------------------------------------------------------------------------------------
    def receive(self, provider: str, headers: Mapping[str, str], body: bytes) -> tuple[int, str, str]:
        """A provider's callback: verified, applied once, acknowledged as the provider expects."""
        gateway = self.gateways.get(provider)
        if gateway is None:
            raise errors.not_found()
        try:
            notice = gateway.parse_notify(headers, body, self.c.clock())
        except gw.InvalidCallback as exc:
            log.warning("%s callback refused: %s", provider, exc)
            raise callback_invalid() from None
        self.apply(notice)
        return gateway.ack()

    def apply(self, notice: gw.Notice) -> str:
        """Apply what a provider says of one of our serials; returns what happened (applied | duplicate | ignored)."""
        now = self.c.clock()
        with self.c.uow() as s:
            p = s.scalar(select(Payment).where(Payment.serial == notice.serial).with_for_update())
            if p is None or p.kind != notice.kind:
                raise callback_unknown()
            if notice.amount_fen != p.amount_fen or (notice.currency or "CNY") != p.currency:
                log.warning("payment %s: callback amount or currency differs, not applied", p.serial)
                raise amount_mismatch()
            if p.kind == "refund":
                if p.status == "refunded" or notice.state != "refunded":
                    return "duplicate" if p.status == "refunded" else "ignored"
                p.status, p.settled_at, p.updated_at, p.result_code = "refunded", now, now, "REFUND_SUCCESS"
                p.provider_trade_no = notice.trade_no or p.provider_trade_no
                return "applied"
            if p.status in ("paid", "refunding", "refunded"):
                return "duplicate"  # a payment's success is final: a repeat, or a late closed/failed, changes nothing
            if notice.state == "paid":
                p.status, p.settled_at, p.updated_at, p.result_code = "paid", now, now, "SUCCESS"
                p.provider_trade_no = notice.trade_no or None
                if notice.card:
                    p.card = notice.card
                self.c.events.record(s, PAID_EVENT, payment_id=str(p.id), order_id=str(p.order_id))
                return "applied"
            if notice.state in ("failed", "closed") and p.status == "pending":
                p.status, p.updated_at, p.result_code = notice.state, now, notice.state.upper()
                return "applied"
            return "ignored"  # pending again, or closed after we closed it

    # -- crediting the order, refunds -----------------------------------------------------------------------------
    def credit(self, s: Session, payment_id: uuid.UUID) -> bool:
        """The order of a paid payment is credited (in the event's delivery transaction); a payment the order no longer
        needs — paid by another, or cancelled — is refunded in full."""
        p = s.get(Payment, payment_id)
        if p is None or p.status != "paid":
            return False
        if self.c.shipping.settle_payment(s, p.order_id, p.settled_at or self.c.clock()):
            return True
        self._refund(s, p, p.amount_fen, "surplus")
        return False

    def _refunded(self, s: Session, p: Payment) -> int:
        return sum(s.scalars(select(Payment.amount_fen).where(Payment.parent_id == p.id, Payment.kind == "refund",
                                                              Payment.status.in_(("refunding", "refunded")))))

    def _refund(self, s: Session, p: Payment, amount_fen: int, purpose: str) -> Payment | None:
        if amount_fen <= 0:
            return None
        if p.status != "paid" or amount_fen > p.amount_fen - self._refunded(s, p):
            raise refund_too_large()
        now = self.c.clock()
        r = self._new_payment(s, p.order_id, p.waybill_no, p.payer_id, p.method, amount_fen, purpose, now, kind="refund",
                              parent_id=p.id, status="refunding")
        r.request = json.dumps({"serial": r.serial, "payment": p.serial, "order_no": p.waybill_no, "amount_fen": amount_fen},
                               separators=(",", ":"))
        s.flush()
        self.c.shares.disclose(s, PROVIDERS["alipay" if p.method == "alipay" else "wechat"], [r.request], reference=r.serial, now=now)
        after_commit_batch(s, self._ask_send, r.serial)
        return r

    def refund(self, serial: str, amount_fen: int) -> str:
        """Return (part of) a paid payment through its provider; the refund completes with the provider's callback.
        Refusing more than was paid and not yet refunded."""
        with self.c.uow() as s:
            p = s.scalar(select(Payment).where(Payment.serial == serial, Payment.kind == "payment").with_for_update())
            if p is None:
                raise errors.not_found()
            r = self._refund(s, p, amount_fen, "refund")
            if r is None:
                raise errors.invalid_field(N_("amount"))
            return r.serial

    def on_cancelled(self, s: Session, order_id: uuid.UUID, price_fen: int) -> None:
        """A cancelled order's successful payments are refunded: in full, less the tariff's cancellation fee (once)."""
        fee = self.c.shipping.cancellation_fee_fen(price_fen)
        for p in s.scalars(select(Payment).where(Payment.order_id == order_id, Payment.kind == "payment",
                                                 Payment.status == "paid").with_for_update()):
            left = p.amount_fen - self._refunded(s, p)
            kept = min(fee, left)
            fee -= kept
            self._refund(s, p, left - kept, "cancel")

    # -- ship now, pay later (WeChat Pay Score) ---------------------------------------------------------------------
    def pay_later_state(self, user_id: uuid.UUID) -> PayLaterAuthorisation | None:
        with self.c.uow() as s:
            a = s.scalar(select(PayLaterAuthorisation).where(PayLaterAuthorisation.user_id == user_id))
            if a is not None:
                s.expunge(a)
            return a

    def begin_pay_later(self, user_id: uuid.UUID) -> str:
        """Where the account authorises Pay Score (the provider's page); our reference for it is random."""
        now = self.c.clock()
        with self.c.uow() as s:
            a = s.scalar(select(PayLaterAuthorisation).where(PayLaterAuthorisation.user_id == user_id))
            if a is None:
                a = PayLaterAuthorisation(id=uuid.uuid4(), user_id=user_id, code="AUTH" + secrets.token_hex(12).upper(),
                                          passed=False, state="PENDING", checked_at=now)
                s.add(a)
            code = a.code
        return f"/sim/wechat/payscore/{code}"

    def check_pay_later(self, user_id: uuid.UUID) -> PayLaterAuthorisation:
        """Fetch from Pay Score only whether the check passed and the authorisation state (JD-1.1.2(5)b)."""
        with self.c.uow() as s:
            a = s.scalar(select(PayLaterAuthorisation).where(PayLaterAuthorisation.user_id == user_id))
            if a is None:
                raise errors.not_found()
            code = a.code
        try:
            check = self.gateways["wechat"].score_check(code)
        except (gw.InvalidCallback, OSError):
            raise provider_unavailable() from None
        with self.c.uow() as s:
            a = s.scalar(select(PayLaterAuthorisation).where(PayLaterAuthorisation.user_id == user_id))
            a.passed, a.state, a.checked_at = check.passed, check.state, self.c.clock()
            s.flush()
            s.expunge(a)
            return a

    def on_delivered(self, s: Session, facts) -> None:
        """A pay-later order was delivered: charge it through the sender's Pay Score authorisation (the result comes
        back as a callback); without one, it stays owed and payable from the order page."""
        if facts.payment_mode != "pay_later" or facts.paid or facts.owner_id is None:
            return
        if s.scalar(select(Payment.id).where(Payment.order_id == facts.order_id, Payment.purpose == "pay_later").limit(1)):
            return  # charged already (a redelivered event)
        a = s.scalar(select(PayLaterAuthorisation).where(PayLaterAuthorisation.user_id == facts.owner_id))
        if a is None or not a.passed or a.state != "AVAILABLE":
            return
        p = self._new_payment(s, facts.order_id, facts.waybill_no, facts.owner_id, "wechat_score", facts.price_fen, "pay_later",
                              self.c.clock())
        self._disclose(s, p, "wechat", self.c.clock())
        after_commit_batch(s, self._ask_send, p.serial)

    # -- calls to the providers after the commit --------------------------------------------------------------------
    def _ask_send(self, serials: list[str]) -> None:
        try:
            self.c.tasks.payments_send(serials)
        except Exception as exc:  # noqa: BLE001  (the periodic job sends them)
            log.warning("%d payment requests not queued (%s): the periodic job will send them", len(serials), type(exc).__name__)

    def send(self, serials: list[str]) -> int:
        """Hand refunds and pay-later charges to their provider (their outcome comes back as callbacks)."""
        sent = 0
        for serial in serials:
            with self.c.uow() as s:
                p = s.scalar(select(Payment).where(Payment.serial == serial))
                if p is None:
                    continue
                parent = s.get(Payment, p.parent_id) if p.parent_id else None
                auth = s.scalar(select(PayLaterAuthorisation.code).where(PayLaterAuthorisation.user_id == p.payer_id)) if p.payer_id else None
                job = (p.kind, p.status, p.method, p.serial, p.waybill_no, p.amount_fen, parent.serial if parent else "",
                       parent.amount_fen if parent else 0)
            kind, status, method, serial_, order_no, amount, parent_serial, parent_amount = job
            gateway = self.gateways["alipay" if method == "alipay" else "wechat"]
            try:
                if kind == "refund" and status == "refunding":
                    gateway.refund(parent_serial, serial_, amount, parent_amount, self.notify_url(gateway.name))
                elif kind == "payment" and method == "wechat_score" and status == "pending" and auth:
                    gateway.score_charge(auth, serial_, order_no, amount, self.notify_url("wechat"))
                else:
                    continue
                sent += 1
            except (gw.InvalidCallback, OSError) as exc:
                log.warning("payment request %s not taken: %s", serial_, type(exc).__name__)
        return sent

    def sweep(self) -> dict[str, int]:
        """The periodic job: pending payments without a callback are queried (and applied as the provider answers);
        those still unpaid after EXPIRE_AFTER are closed at the provider and here; refunds and charges not yet
        handed over are sent again."""
        now = self.c.clock()
        with self.c.uow() as s:
            rows = s.execute(select(Payment.serial, Payment.method, Payment.kind, Payment.created_at).where(
                Payment.status.in_(("pending", "refunding")), Payment.created_at <= now - QUERY_AFTER)
                .order_by(Payment.created_at).limit(500)).all()
        out = {"queried": 0, "applied": 0, "closed": 0, "resent": 0}
        resend = []
        for serial, method, kind, created_at in rows:
            if kind == "refund" or method == "wechat_score":
                resend.append(serial)
                continue
            gateway = self.gateways[method]
            try:
                answer = gateway.query(serial)
                out["queried"] += 1
                if answer is not None and answer.state in ("paid", "closed", "failed"):
                    out["applied"] += self.apply(answer) == "applied"
                    continue
                if created_at <= now - EXPIRE_AFTER:
                    if answer is not None:
                        gateway.close(serial)
                    out["closed"] += self._close(serial)
            except (gw.InvalidCallback, OSError, errors.AppError) as exc:
                log.warning("payment %s not queried: %s", serial, type(exc).__name__)
        out["resent"] = self.send(resend) if resend else 0
        return out

    def _close(self, serial: str) -> int:
        with self.c.uow() as s:
            p = s.scalar(select(Payment).where(Payment.serial == serial).with_for_update())
            if p is None or p.status != "pending":
                return 0
            p.status, p.result_code, p.updated_at = "closed", "EXPIRED", self.c.clock()
            return 1

    # -- reading --------------------------------------------------------------------------------------------------
    @staticmethod
    def _view(p: Payment) -> PaymentView:
        return PaymentView(p.serial, p.kind, p.purpose, p.waybill_no, p.order_id, p.method, p.amount_fen, p.currency, p.status,
                           p.provider_trade_no, p.card, p.created_at, p.settled_at)

    def history(self, user_id: uuid.UUID, limit: int = 200) -> list[PaymentView]:
        """My payments and refunds, newest first (CN-3.1.10b)."""
        with self.c.uow() as s:
            rows = s.scalars(select(Payment).where(Payment.payer_id == user_id)
                             .order_by(Payment.created_at.desc(), Payment.serial).limit(limit)).all()
            return [self._view(p) for p in rows]

    def for_order(self, user_id: uuid.UUID, waybill_no: str) -> OrderPayments:
        """An order's payment side, for its sender or recipient: price, paid or not, payable now, payments and refunds."""
        with self.c.uow() as s:
            facts = self.c.shipping.payment_facts_for(s, user_id, waybill_no)
            rows = s.scalars(select(Payment).where(Payment.order_id == facts.order_id)
                             .order_by(Payment.created_at, Payment.serial)).all()
            mine = [self._view(p) for p in rows if p.payer_id == user_id or facts.mine_as == "sender"]
        return OrderPayments(facts.waybill_no, facts.price_fen, facts.payment_mode, facts.status, facts.paid, facts.payable,
                             facts.mine_as, mine)

    def due(self, user_id: uuid.UUID):
        """What this account can pay now (the page a blocker to deleting the account points to)."""
        return self.c.shipping.unpaid_for(user_id)


class _NoticeTaken:
    """Where deletion notices to a payment institution go in this build (the simulators keep nothing personal)."""

    def request_deletion(self, references: list[str]) -> None:
        return None


@handles(PAID_EVENT, "payments.credit_order")
def _credit_order(container, session: Session, event: Event) -> None:
    container.payments.credit(session, uuid.UUID(event.payload["payment_id"]))


@handles(ORDER_STATUS_CHANGED, "payments.order_status")
def _order_status(container, session: Session, event: Event) -> None:
    """Delivered pay-later orders are charged; cancelled paid orders refunded."""
    wanted = {uuid.UUID(c[0]): c[2] for c in event.payload["changes"] if c[2] in ("delivered", "cancelled")}
    if not wanted:
        return
    for order_id, facts in container.shipping.payment_facts(session, set(wanted)).items():
        if wanted[order_id] == "delivered":
            container.payments.on_delivered(session, facts)
        else:
            container.payments.on_cancelled(session, order_id, facts.price_fen)
