"""Invoices. The buyer's details on an invoice (title, taxpayer ID, bank and account, registered phone and address)
and where it goes (the e-invoice's mobile and e-mail, a paper invoice's mailing name, phone and address) are sealed
under the invoice's own one-off subject: an issued invoice is a tax record that must outlive the account
(发票管理办法 art. 29), and keeping it must not keep the account's own key.

Kept 5 years after issue, then deleted with its key shredded by the retention sweep; until then an erasure restricts
it (a legal hold: listed to the person with its basis and end date, no longer shown) instead of deleting it.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import Action, Category, LegalBasis, LegalHold, Mask, Purpose, Retained, Retention, personal

P = Purpose
# 《中华人民共和国发票管理办法》第二十九条: issued invoices (their stubs) are kept for 5 years.
KEEP_DAYS = 5 * 365 + 2  # five years, leap days included
RETAIN_INVOICE = Retention("issued", KEEP_DAYS, "开具后保存 5 年(《发票管理办法》第二十九条)",
                           "5 years after issue (Measures for the Administration of Invoices, art. 29)")
LAW_ZH = "《中华人民共和国发票管理办法》第二十九条:已开具的发票须保存 5 年"
LAW_EN = "Issued invoices must be kept for 5 years (Measures of the PRC for the Administration of Invoices, art. 29)"
BUYER = {P.SELF_SERVICE, P.PAYMENT, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST}
SENDING = BUYER | {P.NOTIFICATION, P.DELIVERY}


def _buyer(zh: str, en: str, category: Category, mask: Mask, purposes=frozenset(BUYER)):
    return personal(zh, en, category, purposes=purposes, basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_INVOICE, mask=mask)


class Invoice(Base):
    """One invoice for one paid order, requested by the account that paid it."""

    __tablename__ = "invoices"
    __label__ = ("发票", "Invoices")
    __erase__ = "delete"
    __subject__ = "subject_id"
    __legal_hold__ = LegalHold(LAW_ZH, LAW_EN, "issued_at", KEEP_DAYS)
    __retention__ = Retained("invoices", "issued", Action.DELETE, "开具满 5 年后删除,密钥销毁;期间注销账号也依法保留(限制处理)",
                             "Deleted with its key 5 years after issue; kept (restricted) until then even when the account is "
                             "erased", clock="issued_at", period=dt.timedelta(days=KEEP_DAYS), shreds="subject_id",
                             catalog_after=("issued",))
    __nonpersonal__ = ("id", "number", "owner_id", "subject_id", "order_id", "waybill_no", "kind", "medium", "content",
                       "amount_fen", "mail_region", "status", "link_hash", "link_expires_at", "issued_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # the invoice number (20 digits, as 全电发票)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True, nullable=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)  # the invoice's own one-off subject
    # No foreign key: orders are shipping's, and an invoice outlives its order's retention.
    order_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    waybill_no: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(12))    # ordinary | vat_special
    medium: Mapped[str] = mapped_column(String(12))  # electronic | paper
    content: Mapped[str] = mapped_column(String(24))  # a key of service.CONTENTS
    amount_fen: Mapped[int] = mapped_column(Integer)
    title = _buyer("发票抬头", "Invoice title", Category.FINANCIAL, Mask.HANDLE)
    taxpayer_id = _buyer("纳税人识别号", "Taxpayer ID", Category.FINANCIAL, Mask.ID_NUMBER)
    bank_name = _buyer("开户银行", "Bank", Category.FINANCIAL, Mask.HANDLE)
    bank_account = _buyer("开户账号", "Bank account", Category.FINANCIAL, Mask.BANK_CARD)
    reg_phone = _buyer("注册电话", "Registered phone", Category.CONTACT, Mask.PHONE)
    reg_address = _buyer("注册地址", "Registered address", Category.ADDRESS, Mask.HIDDEN)
    mobile = _buyer("收票手机号", "Mobile for the e-invoice", Category.CONTACT, Mask.PHONE, frozenset(SENDING))
    email = _buyer("收票邮箱", "E-mail for the e-invoice", Category.CONTACT, Mask.EMAIL, frozenset(SENDING))
    mail_name = _buyer("收票人姓名", "Mailing name", Category.IDENTITY, Mask.NAME, frozenset(SENDING))
    mail_phone = _buyer("收票人电话", "Mailing phone", Category.CONTACT, Mask.PHONE, frozenset(SENDING))
    mail_region: Mapped[str | None] = mapped_column(String(6), nullable=True)
    mail_address = _buyer("邮寄地址", "Mailing address", Category.ADDRESS, Mask.HIDDEN, frozenset(SENDING))
    status: Mapped[str] = mapped_column(String(12))  # issued | mailed
    # The SMS link's token: only its keyed hash (jidi.privacy.Secrets.token_hash), valid until link_expires_at.
    link_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True, nullable=True)
    link_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
