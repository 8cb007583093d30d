"""Payments and refunds (the transaction record, JD-1.2.6), pay-later authorisations, and the payment simulator's own
trades (the provider's side, kept here only because the simulator runs inside jidi).

A payment row holds the order's id and waybill number, our serial, the provider's serial, the amount, currency,
method and result (non-personal: the amounts and numbers of a shipment, as on the order), and two personal values
sealed under the payment's own one-off subject: the request as it went to the provider (order number and amount:
what the share register records) and the bank-card identifier the provider reported. Transaction records are kept
three years after the transaction (电子商务法 art. 31), also against a deletion request.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import Action, Category, LegalBasis, LegalHold, Mask, PartOf, Purpose, Retained, Retention, personal

P = Purpose
KEEP_DAYS = 3 * 365 + 1  # 电子商务法第三十一条: transaction records at least three years after the transaction
RETAIN_TRANSACTION = Retention("collected", KEEP_DAYS, "交易完成后 3 年(电子商务法第三十一条)",
                               "3 years after the transaction (E-Commerce Law art. 31)")
SIM_DAYS = 30


class Payment(Base):
    """One payment or refund of an order, with its provider's result."""

    __tablename__ = "payments"
    __label__ = ("支付与退款记录", "Payments and refunds")
    __subject__ = "subject_id"
    __legal_hold__ = LegalHold("《电子商务法》第三十一条:交易信息自交易完成之日起保存不少于三年",
                               "Transaction records must be kept at least 3 years (E-Commerce Law art. 31)", "created_at", KEEP_DAYS)
    __retention__ = Retained("payments", "transaction", Action.DELETE, "交易完成后满 3 年删除(电子商务法第三十一条),密钥销毁",
                             "Deleted 3 years after the transaction (E-Commerce Law art. 31), keys shredded", clock="created_at",
                             period=dt.timedelta(days=KEEP_DAYS), shreds="subject_id", catalog_after=("collected",))
    __nonpersonal__ = ("id", "serial", "kind", "purpose", "parent_id", "order_id", "waybill_no", "payer_id", "subject_id",
                       "method", "amount_fen", "currency", "status", "result_code", "provider_trade_no", "created_at",
                       "settled_at", "updated_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    serial: Mapped[str] = mapped_column(String(32), unique=True)  # ours: out_trade_no / out_refund_no
    kind: Mapped[str] = mapped_column(String(10))  # payment | refund
    purpose: Mapped[str] = mapped_column(String(16))  # order | pay_later | debt | recipient | refund
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id"), nullable=True, index=True)  # a refund's payment
    order_id: Mapped[uuid.UUID] = mapped_column(index=True)  # shipping's order (no link: its table is shipping's)
    waybill_no: Mapped[str] = mapped_column(String(24))
    payer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    method: Mapped[str] = mapped_column(String(16))  # alipay | wechat | wechat_score
    amount_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(12))  # pending | paid | failed | closed | refunding | refunded
    result_code: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the provider's state, or why we refused
    provider_trade_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request = personal("发送给支付机构的请求(仅订单号与金额)", "Request sent to the payment institution (order number and amount only)",
                       Category.FINANCIAL, purposes={P.PAYMENT, P.SELF_SERVICE, P.RIGHTS_REQUEST}, basis=LegalBasis.CONTRACT,
                       retention=RETAIN_TRANSACTION, mask=Mask.HIDDEN)
    card = personal("银行卡标识", "Bank-card identifier", Category.FINANCIAL, purposes={P.SELF_SERVICE, P.RIGHTS_REQUEST},
                    basis=LegalBasis.CONTRACT, retention=RETAIN_TRANSACTION, mask=Mask.HANDLE)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


Index("ix_payments_pending", Payment.status, Payment.created_at)


class PayLaterAuthorisation(Base):
    """What WeChat Pay Score told us about an account, and nothing else (JD-1.1.2(5)b): passed or not, and the
    authorisation state; `code` is our own reference for the authorisation (random, not personal)."""

    __tablename__ = "pay_later_authorisations"
    __label__ = ("先寄后付授权状态", "Ship now, pay later: authorisation state")
    __retention__ = PartOf("users", {"user_id": "id"})
    __erase__ = "delete"
    __nonpersonal__ = ("id", "user_id", "code", "passed", "state", "checked_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    passed: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16))  # AVAILABLE | UNAVAILABLE | PENDING
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SimTrade(Base):
    """The payment simulator's own record of a trade, refund or Pay Score authorisation: what the provider would keep
    on its side (serials, amounts, states). Not jidi's data about anyone."""

    __tablename__ = "payment_sim_trades"
    __datamap__ = False
    __retention__ = Retained("payment_sim_trades", "created", Action.DELETE, f"支付模拟器的交易记录:{SIM_DAYS} 天后删除",
                             f"The payment simulator's trades: deleted after {SIM_DAYS} days", clock="created_at",
                             period=dt.timedelta(days=SIM_DAYS))
    __nonpersonal__ = ("id", "provider", "kind", "serial", "parent_serial", "amount_fen", "state", "trade_no", "notify_url",
                       "created_at", "updated_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(12))  # trade | refund | score_auth
    serial: Mapped[str] = mapped_column(String(64))
    parent_serial: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amount_fen: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16))
    trade_no: Mapped[str] = mapped_column(String(64))
    notify_url: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


Index("uq_payment_sim_trades_serial", SimTrade.provider, SimTrade.kind, SimTrade.serial, unique=True)
