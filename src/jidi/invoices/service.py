"""Invoices for paid orders (JD-1.1.2(5)c, ZK-1.1.3b, JD-6.1.1(3)).

The account that paid an order (its sender, or its recipient when the recipient pays) asks for one invoice for it:
ordinary or VAT special (专票: also the buyer's bank, account, registered phone and address), electronic (an SMS to
the mobile given, with a link to the PDF; an e-mail address may be added) or paper (mailed to a name, phone and
address). Only the fields the chosen kind and medium need are kept. The taxpayer ID is checked: an 18-character
unified social credit code by its check character (python-stdnum `cn.uscc`); the older 15-, 17- and 20-character
taxpayer numbers have none to check. An order that is not paid (or was cancelled and refunded) gets no invoice.

Whether an order is paid is shipping's to say (`Shipping.order_for(...).paid`): the payments feature marks it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from stdnum.cn import uscc

from jidi import errors, privacy, regions, values
from jidi.i18n import CHINA, DEFAULT_LOCALE, N_, china_day, gettext_for
from jidi.invoices.models import KEEP_DAYS, LAW_EN, LAW_ZH, Invoice
from jidi.privacy import Actor, Personal, Purpose

KINDS = {"ordinary": N_("Ordinary invoice"), "vat_special": N_("VAT special invoice")}
MEDIA = {"electronic": N_("Electronic (SMS link)"), "paper": N_("Paper (mailed)")}
# What the invoice says was sold (发票内容): jidi sells express services only.
CONTENTS = {"express_fee": N_("Express delivery service fee"), "logistics_fee": N_("Logistics auxiliary service fee")}
CONTENT_ZH = {"express_fee": "*物流辅助服务*收派服务费", "logistics_fee": "*物流辅助服务*物流辅助服务费"}
LINK_DAYS = 30  # the SMS link works this long; the account can always download from its invoices page
VAT_RATE = (6, 100)  # express services: 6% VAT, included in the price
SELLER = ("jidi 寄递网络科技有限公司", "91110108MA01ABCD2K")  # the seller printed on every invoice (demo operator)
_TAX_OLD = re.compile(r"^[0-9A-Z]{15}$|^[0-9A-Z]{17}$|^[0-9A-Z]{20}$")
_ACCOUNT = re.compile(r"^[0-9]{5,34}$")
_LANDLINE = re.compile(r"^[0-9][0-9-]{5,18}[0-9]$")


def invoice_order_unpaid() -> errors.AppError:
    return errors.AppError("invoice_order_unpaid", N_("This order has not been paid, so it cannot be invoiced yet. Pay for it "
                                                      "first, then request the invoice."), 409)


def invoice_not_payer() -> errors.AppError:
    return errors.AppError("invoice_not_payer", N_("Only the account that paid for this parcel can request its invoice."), 403)


def invoice_exists() -> errors.AppError:
    return errors.AppError("invoice_exists", N_("This order already has an invoice. Download it from My invoices."), 409)


def taxpayer_id_invalid() -> errors.AppError:
    return errors.AppError("taxpayer_id_invalid", N_("The taxpayer ID is not valid: a unified social credit code has 18 letters and "
                                                     "digits and ends with a check character that must match. Please check it."), 422)


def invoice_detail_missing(field_label: str) -> errors.AppError:
    # 400, not 422: the request is well formed; what it lacks depends on the kind and medium chosen in it.
    return errors.AppError("invoice_detail_missing", N_("This kind of invoice needs the field: {field}."), 400, field=field_label)


def _needed(value: str | None, label: str) -> str:
    """A field the chosen kind or medium needs: missing is its own answer, malformed is checked after."""
    if not (value or "").strip():
        raise invoice_detail_missing(label)
    return value or ""


def invoice_link_invalid() -> errors.AppError:
    return errors.AppError("invoice_link_invalid", N_("This invoice link is not valid or has expired. Log in to download the invoice "
                                                      "from My invoices."), 404)


def taxpayer_id(raw: str | None) -> str:
    """A taxpayer ID in canonical form (upper case, no spaces): a unified social credit code whose check character
    matches, or an older 15-, 17- or 20-character taxpayer number."""
    if raw and privacy.looks_masked(raw):
        raise errors.masked_value(N_("taxpayer ID"))
    value = re.sub(r"[\s-]", "", raw or "").upper()
    if len(value) == 18:
        if not uscc.is_valid(value):
            raise taxpayer_id_invalid()
        return value
    if not _TAX_OLD.match(value):
        raise taxpayer_id_invalid()
    return value


@dataclasses.dataclass
class InvoiceIn:
    waybill_no: str
    kind: str = "ordinary"
    medium: str = "electronic"
    title: str = ""
    taxpayer_id: str = ""
    content: str = "express_fee"
    bank_name: str = ""
    bank_account: str = ""
    reg_phone: str = ""
    reg_address: str = ""
    mobile: str = ""
    email: str = ""
    mail_name: str = ""
    mail_phone: str = ""
    mail_region: str = ""
    mail_address: str = ""


@dataclasses.dataclass(frozen=True)
class InvoiceView:
    """An invoice as its owner sees it: the buyer's details masked, and how long the law keeps it."""
    id: uuid.UUID
    number: str
    waybill_no: str
    kind: str
    medium: str
    content: str
    amount_fen: int
    status: str
    title: Personal | None
    taxpayer_id: Personal | None
    mobile: Personal | None
    email: Personal | None
    mail_name: Personal | None
    mail_region: str | None
    issued_at: dt.datetime
    kept_until: dt.date
    law_zh: str = LAW_ZH
    law_en: str = LAW_EN


def _view(inv: Invoice) -> InvoiceView:
    return InvoiceView(inv.id, inv.number, inv.waybill_no, inv.kind, inv.medium, inv.content, inv.amount_fen, inv.status,
                       inv.title, inv.taxpayer_id, inv.mobile, inv.email, inv.mail_name, inv.mail_region, inv.issued_at,
                       china_day(inv.issued_at + dt.timedelta(days=KEEP_DAYS)))


def _checked(f: InvoiceIn) -> dict[str, str | None]:
    """The fields to keep for the chosen kind and medium, checked; the others are dropped (not stored)."""
    if f.kind not in KINDS:
        raise errors.invalid_field(N_("invoice type"))
    if f.medium not in MEDIA:
        raise errors.invalid_field(N_("how the invoice is delivered"))
    if f.content not in CONTENTS:
        raise errors.invalid_field(N_("invoice content"))
    out: dict[str, str | None] = {
        "title": values.text(f.title, 100, N_("invoice title")),
        "taxpayer_id": taxpayer_id(f.taxpayer_id),
    }
    if f.kind == "vat_special":
        for value, label in ((f.bank_name, N_("bank")), (f.bank_account, N_("bank account (5–34 digits)")),
                             (f.reg_phone, N_("registered phone")), (f.reg_address, N_("registered address"))):
            _needed(value, label)
        account = re.sub(r"[\s-]", "", f.bank_account or "")
        if f.bank_account and privacy.looks_masked(f.bank_account):
            raise errors.masked_value(N_("bank account"))
        if not _ACCOUNT.match(account):
            raise errors.invalid_field(N_("bank account (5–34 digits)"))
        phone = (f.reg_phone or "").strip()
        if not _LANDLINE.match(phone):
            raise errors.invalid_field(N_("registered phone"))
        out |= {"bank_name": values.text(f.bank_name, 60, N_("bank")), "bank_account": account, "reg_phone": phone,
                "reg_address": values.text(f.reg_address, 120, N_("registered address"))}
    if f.medium == "electronic":
        out |= {"mobile": values.phone(_needed(f.mobile, N_("mobile number"))), "email": values.email(f.email) if (f.email or "").strip() else None}
    else:
        for value, label in ((f.mail_name, N_("mailing name")), (f.mail_phone, N_("mobile number")),
                             (f.mail_region, N_("region")), (f.mail_address, N_("mailing address"))):
            _needed(value, label)
        region = (f.mail_region or "").strip()
        if not regions.is_leaf(region):
            raise errors.invalid_region()
        out |= {"mail_name": values.text(f.mail_name, 30, N_("mailing name")), "mail_phone": values.phone(f.mail_phone),
                "mail_region": region, "mail_address": values.text(f.mail_address, 120, N_("mailing address"))}
    return out


class Invoices:
    def __init__(self, container):
        self.c = container

    def _number(self, now: dt.datetime) -> str:
        return now.astimezone(CHINA).strftime("%Y%m%d") + f"{secrets.randbelow(10 ** 12):012d}"

    def request(self, user_id: uuid.UUID, f: InvoiceIn, locale: str = DEFAULT_LOCALE) -> InvoiceView:
        """Issue the invoice of one of my paid orders; an e-invoice's link goes to its mobile by SMS after the commit."""
        fields = _checked(f)
        order = self.c.shipping.order_for(user_id, f.waybill_no)  # not found unless I sent or received it
        payer = "recipient" if order.payment_mode == "recipient_pays" else "sender"
        if order.mine_as != payer:
            raise invoice_not_payer()
        if not order.paid or order.refunded_fen:
            raise invoice_order_unpaid()
        try:
            with self.c.uow() as s:
                facts = self.c.shipping.parcel_facts(s, [order.waybill_no])[order.waybill_no]
                if s.scalar(select(Invoice.id).where(Invoice.order_id == facts.id)) is not None:
                    raise invoice_exists()
                now = self.c.clock()
                inv = Invoice(id=uuid.uuid4(), number=self._number(now), owner_id=user_id, order_id=facts.id,
                              waybill_no=order.waybill_no, kind=f.kind, medium=f.medium, content=f.content,
                              amount_fen=order.price_fen, status="issued", issued_at=now)
                for name, value in fields.items():
                    setattr(inv, name, value)
                s.add(inv)
                if f.medium == "electronic":
                    token = self.c.secrets.new_token()
                    inv.link_hash, inv.link_expires_at = self.c.secrets.token_hash(token), now + dt.timedelta(days=LINK_DAYS)
                    s.flush()  # sealed under the invoice's own subject, which the message names
                    url = f"{self.c.settings.base_url.rstrip('/')}/invoices/download/{token}"
                    self.c.notifier.queue_sms(s, subject_id=inv.subject_id, phone=fields["mobile"], template="invoice_ready",
                                              locale=locale, number=inv.number, waybill_no=inv.waybill_no, url=url)
                self.c.audit.record(s, actor=Actor(user_id, privacy.Role.CUSTOMER), action="invoice_issued",
                                    subject_id=inv.subject_id, purpose=Purpose.PAYMENT.value, detail=f"{f.kind}/{f.medium}")
                s.flush()
                return _view(inv)
        except IntegrityError:
            raise invoice_exists() from None  # a second request for the same order raced this one

    def mine(self, user_id: uuid.UUID) -> list[InvoiceView]:
        with self.c.uow() as s:
            rows = s.scalars(select(Invoice).where(Invoice.owner_id == user_id).order_by(Invoice.issued_at.desc(), Invoice.id))
            return [_view(inv) for inv in rows]

    def invoiced(self, user_id: uuid.UUID) -> set[str]:
        """The waybill numbers of my orders that have an invoice."""
        with self.c.uow() as s:
            return set(s.scalars(select(Invoice.waybill_no).where(Invoice.owner_id == user_id)))

    def pdf(self, user_id: uuid.UUID, invoice_id, locale: str = DEFAULT_LOCALE) -> tuple[bytes, str]:
        """One of my invoices as a PDF: (bytes, invoice number)."""
        with self.c.uow() as s:
            inv = s.scalar(select(Invoice).where(Invoice.id == errors.id_or_not_found(invoice_id), Invoice.owner_id == user_id))
            if inv is None:
                raise errors.not_found()
            return self._render(inv, locale), inv.number

    def pdf_by_link(self, token: str, locale: str = DEFAULT_LOCALE) -> tuple[bytes, str]:
        """The invoice an SMS link names, while the link is valid."""
        if not token or len(token) > 100:
            raise invoice_link_invalid()
        with self.c.uow() as s:
            inv = s.scalar(select(Invoice).where(Invoice.link_hash == self.c.secrets.token_hash(token)))
            if inv is None or inv.link_expires_at is None or inv.link_expires_at < self.c.clock():
                raise invoice_link_invalid()
            return self._render(inv, locale), inv.number

    def _render(self, inv: Invoice, locale: str) -> bytes:
        from jidi.invoices import pdf  # noqa: PLC0415  (reportlab: only processes that print invoices load it)

        names = ("title", "taxpayer_id", "bank_name", "bank_account", "reg_phone", "reg_address")
        # Printed by the system for the buyer (PAYMENT): the invoice carries the buyer's details in full, as the law asks.
        opened = privacy.open_all([getattr(inv, n) for n in names], for_=Purpose.PAYMENT, actor=Actor.system())
        buyer = dict(zip(names, opened))
        tax = inv.amount_fen * VAT_RATE[0] // (VAT_RATE[0] + VAT_RATE[1])
        data = pdf.InvoiceData(
            number=inv.number, kind=inv.kind, issued_on=china_day(inv.issued_at), waybill_no=inv.waybill_no,
            content=CONTENT_ZH[inv.content], amount_fen=inv.amount_fen, tax_fen=tax, seller_name=SELLER[0], seller_tax_id=SELLER[1],
            buyer_title=buyer["title"] or "", buyer_tax_id=buyer["taxpayer_id"] or "",
            buyer_bank=" ".join(v for v in (buyer["bank_name"], buyer["bank_account"]) if v),
            buyer_contact=" ".join(v for v in (buyer["reg_address"], buyer["reg_phone"]) if v),
        )
        return pdf.render(data, gettext_for(locale))
