"""Cash on delivery: the sender's payout bank account, the amount each COD order collects, the daily payouts, and the
alerts of the reconciliation.

The bank account is the sender's own data, sealed under their key (erasing the account shreds it); the account number
is sensitive (PIPL art. 28: bank accounts) and shown masked, last four digits only. The COD orders and payouts are
the books of money collected for and paid to senders: amounts, waybill numbers, days and states, nothing personal;
erasing the account cuts their link to it and keeps them, so the books still balance (会计档案管理办法).
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import RETAIN_ACCOUNT, Action, Category, LegalBasis, Mask, PartOf, Purpose, Retained, personal

P = Purpose
ACCOUNT_PURPOSES = {P.PAYMENT, P.SELF_SERVICE, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST}
BOOKS = Retained("cod_books", "kept as accounting records", Action.KEEP,
                 "代收货款账目(金额、运单号、日期,无个人信息)作为会计档案保存;注销账号时断开与账号的关联",
                 "Cash-on-delivery books (amounts, waybill numbers, days: nothing personal) are kept as accounting records; "
                 "erasing the account cuts their link to it", by="jidi.cod")


class CodAccount(Base):
    """The bank account a sender's collected amounts are paid out to (one per account; binding again replaces it)."""

    __tablename__ = "cod_accounts"
    __label__ = ("代收货款收款账户", "Cash-on-delivery payout account")
    __erase__ = "delete"
    __subject__ = "owner_id"  # the account holder's own data, under their own key
    __retention__ = PartOf("users", {"owner_id": "id"})
    __nonpersonal__ = ("id", "owner_id", "account_type", "region_code", "created_at", "updated_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    holder_name = personal("持卡人姓名/名称", "Account holder's name", Category.IDENTITY, purposes=ACCOUNT_PURPOSES,
                           basis=LegalBasis.CONTRACT, retention=RETAIN_ACCOUNT, mask=Mask.NAME, nullable=False)
    account_type: Mapped[str] = mapped_column(String(10))  # personal | company
    account_number = personal("收款账号", "Payout account number", Category.FINANCIAL, purposes=ACCOUNT_PURPOSES,
                              basis=LegalBasis.CONTRACT, retention=RETAIN_ACCOUNT, mask=Mask.BANK_CARD, sensitive=True, nullable=False)
    region_code: Mapped[str] = mapped_column(String(6))  # where the account was opened (GB/T 2260)
    branch = personal("开户支行", "Bank branch", Category.FINANCIAL, purposes=ACCOUNT_PURPOSES, basis=LegalBasis.CONTRACT,
                      retention=RETAIN_ACCOUNT, mask=Mask.HANDLE, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CodPayout(Base):
    """One day's payout of a sender's collected amounts to their bound account."""

    __tablename__ = "cod_payouts"
    __label__ = ("代收货款打款记录", "Cash-on-delivery payouts")
    __table_args__ = (UniqueConstraint("owner_id", "business_day", "attempt", name="uq_cod_payouts_owner_day"),)
    __retention__ = BOOKS
    __nonpersonal__ = ("id", "owner_id", "business_day", "attempt", "amount_fen", "orders", "status", "serial", "failure",
                       "created_at", "settled_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    business_day: Mapped[dt.date] = mapped_column(Date)  # the China day whose collections it pays (those before it)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    orders: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), index=True)  # sent | failed
    serial: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the bank's transfer serial
    failure: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the bank's refusal code
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CodOrder(Base):
    """The amount a COD order collects from its recipient at delivery, and where that money is."""

    __tablename__ = "cod_orders"
    __label__ = ("代收货款账单", "Cash-on-delivery statement")
    __retention__ = BOOKS
    __nonpersonal__ = ("id", "order_id", "waybill_no", "owner_id", "amount_fen", "status", "created_at", "collected_at", "payout_id")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # No foreign key: orders are shipping's (and go with their retention), the books stay.
    order_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    waybill_no: Mapped[str] = mapped_column(String(24), index=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), index=True)  # pending | collected | paid_out | cancelled
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    collected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    payout_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cod_payouts.id"), nullable=True, index=True)


class CodAlert(Base):
    """A reconciliation that found a gap: what it summed. Amounts only."""

    __tablename__ = "cod_alerts"
    __retention__ = BOOKS
    __nonpersonal__ = ("id", "checked_at", "collected_fen", "paid_out_fen", "waiting_fen", "mismatched_payouts", "gap_fen",
                       "resolved_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    collected_fen: Mapped[int] = mapped_column(BigInteger)
    paid_out_fen: Mapped[int] = mapped_column(BigInteger)
    waiting_fen: Mapped[int] = mapped_column(BigInteger)
    mismatched_payouts: Mapped[int] = mapped_column(Integer)
    gap_fen: Mapped[int] = mapped_column(BigInteger)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
