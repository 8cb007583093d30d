"""The invoices JSON API: request an invoice for a paid order, list mine (masked, with the legal keeping period),
download one as a PDF."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from jidi.invoices import service
from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ApiUser, ContainerDep, LocaleDep
from jidi.kit.fields import Email, Phone, RegionCode, Waybill, optional_personal

router = APIRouter(tags=["invoices"])

InvoiceId = Annotated[str, Path(max_length=36, description="The invoice's id (a UUID)", examples=["3f0c6f5e-2f4b-4d7e-9a59-0d3f2f1b9c11"])]
# What a pattern cannot say (the check character, the lengths 15, 17, 18 or 20 only) is named by this format.
TAXPAYER_ID_FORMAT = "jidi-taxpayer-id"
TaxpayerId = Annotated[str, Field(min_length=1, max_length=30, examples=["91110000600037341L"], json_schema_extra={
    "pattern": r"^[0-9A-Za-z]{15,20}$", "format": TAXPAYER_ID_FORMAT},
    description="Unified social credit code (18 characters, its check character must match) or an older 15-, 17- or "
                "20-character taxpayer number; spaces are accepted too")]


class InvoiceRequest(Strict):
    waybill_no: Waybill
    kind: Literal["ordinary", "vat_special"] = "ordinary"
    medium: Literal["electronic", "paper"] = "electronic"
    title: optional_personal(100) = Field(min_length=1, examples=["北京示例科技有限公司"], description="Invoice title (发票抬头)")
    taxpayer_id: TaxpayerId
    content: Literal["express_fee", "logistics_fee"] = "express_fee"
    bank_name: optional_personal(60) = Field("", description="VAT special: the buyer's bank (开户银行)")
    bank_account: str = Field("", max_length=34, pattern=r"^([0-9]{5,34})?$", description="VAT special: the buyer's account number (开户账号, digits)")
    reg_phone: str = Field("", max_length=20, pattern=r"^([0-9][0-9-]{5,18}[0-9])?$",
                           description="VAT special: registered phone (注册电话, digits and hyphens)")
    reg_address: optional_personal(120) = Field("", description="VAT special: registered address (注册地址)")
    mobile: Phone | Literal[""] = Field("", description="Electronic: the mobile the invoice link is sent to (required)")
    email: Email = Field("", description="Electronic: an e-mail address (optional)")
    mail_name: optional_personal(30) = Field("", description="Paper: the mailing name")
    mail_phone: Phone | Literal[""] = Field("", description="Paper: the mailing phone")
    mail_region: RegionCode | Literal[""] = Field("", description="Paper: the district (GB/T 2260 code)")
    mail_address: optional_personal(120) = Field("", description="Paper: street address")


class InvoiceOut(BaseModel):
    id: str
    number: str
    waybill_no: str
    kind: str
    medium: str
    content: str
    amount_fen: int
    status: str
    title: str | None = Field(description="Masked")
    taxpayer_id: str | None = Field(description="Masked")
    mobile: str | None = Field(description="Masked")
    issued_at: dt.datetime
    kept_until: dt.date = Field(description="The law keeps the invoice until this day (China time), even if the account is deleted")
    kept_because: str = Field(description="The law that requires keeping it, in the request's language")


def invoice_out(v: service.InvoiceView, locale: str) -> InvoiceOut:
    return InvoiceOut(id=str(v.id), number=v.number, waybill_no=v.waybill_no, kind=v.kind, medium=v.medium, content=v.content,
                      amount_fen=v.amount_fen, status=v.status, title=v.title and v.title.masked,
                      taxpayer_id=v.taxpayer_id and v.taxpayer_id.masked, mobile=v.mobile and v.mobile.masked, issued_at=v.issued_at,
                      kept_until=v.kept_until, kept_because=v.law_zh if locale == "zh_CN" else v.law_en)


@router.post("/invoices", status_code=201, response_model=InvoiceOut, responses=errors_for(400, 401, 403, 404, 409))
def request_invoice(body: InvoiceRequest, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> InvoiceOut:
    """Request the invoice of an order I paid (JD-1.1.2(5)c). An unpaid order is refused (`invoice_order_unpaid`); an
    e-invoice's download link is sent by SMS to the mobile given."""
    f = service.InvoiceIn(**body.model_dump())
    return invoice_out(c.invoices.request(user.id, f, loc), loc)


@router.get("/invoices", response_model=list[InvoiceOut], responses=errors_for(401))
def my_invoices(user: ApiUser, c: ContainerDep, loc: LocaleDep) -> list[InvoiceOut]:
    """My invoices, newest first, each with how long the law keeps it (JD-6.1.1(3))."""
    return [invoice_out(v, loc) for v in c.invoices.mine(user.id)]


PDF_RESPONSES = {
    200: {"description": "The invoice as a PDF", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
    **errors_for(401, 404),
}


@router.get("/invoices/{invoice_id}/pdf", response_class=Response, responses=PDF_RESPONSES)
def invoice_pdf(invoice_id: InvoiceId, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> Response:
    body, number = c.invoices.pdf(user.id, invoice_id, loc)
    return pdf_response(body, number)


def pdf_response(body: bytes, number: str) -> Response:
    return Response(body, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="invoice-{number}.pdf"',
                                                                 "Cache-Control": "no-store"})


