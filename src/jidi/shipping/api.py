"""The shipping JSON API: quotes, orders (placed by users or imported by merchants), cancellation."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Response
from pydantic import BaseModel, Field

from jidi.accounts.api import PHONE_EXAMPLE, Strict, errors_for
from jidi.shipping import waybill
from jidi.shipping.service import OrderIn, PartyIn
from jidi.web.deps import ApiUser, ContainerDep, LocaleDep

router = APIRouter(tags=["shipping"])
Waybill = Annotated[str, Path(min_length=1, max_length=30, examples=["JD1234567890128"])]
CONSENT_REMINDER = "When you enter another person's details, make sure they have agreed (JD-1.1)."


class QuoteIn(Strict):
    origin_region: str = Field(min_length=6, max_length=6, examples=["110108"], description="GB/T 2260 district code")
    dest_region: str = Field(min_length=6, max_length=6, examples=["310104"])
    weight_g: int = Field(ge=1, le=50_000)
    service_type: Literal["standard", "express"] = "standard"


class QuoteOut(BaseModel):
    zone: str
    chargeable_kg: int
    price_fen: int


class PartyBody(Strict):
    name: str = Field(min_length=1, max_length=30, examples=["王小明"])
    phone: str = Field(min_length=1, max_length=20, examples=[PHONE_EXAMPLE])
    region_code: str = Field(min_length=6, max_length=6, examples=["110108"])
    address: str = Field(min_length=1, max_length=120, examples=["苏州街20号院2号楼"])


class OrderBody(Strict):
    sender: PartyBody
    recipient: PartyBody
    item_name: str = Field(min_length=1, max_length=60, examples=["书"])
    item_category: str = Field(min_length=1, max_length=24, examples=["books"])
    quantity: int = Field(1, ge=1, le=999)
    weight_g: int = Field(ge=1, le=50_000, examples=[800])
    declared_value_fen: int = Field(0, ge=0, le=10_000_000)
    service_type: Literal["standard", "express"] = "standard"
    payment_mode: Literal["pay_now", "pay_later", "recipient_pays"] = "pay_now"
    pickup_from: dt.datetime | None = None
    pickup_until: dt.datetime | None = None

    def to_input(self) -> OrderIn:
        def party(p: PartyBody) -> PartyIn:
            return PartyIn(p.name, p.phone, p.region_code, p.address)

        return OrderIn(party(self.sender), party(self.recipient), self.item_name, self.item_category, self.quantity,
                       self.weight_g, self.declared_value_fen, self.service_type, self.payment_mode, self.pickup_from,
                       self.pickup_until)


class MerchantOrderBody(OrderBody):
    merchant_order_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", examples=["shop-2026-000123"])


class OrderCreated(BaseModel):
    waybill_no: str
    created: bool
    reminder: str = CONSENT_REMINDER


class PartyOut(BaseModel):
    name: str = Field(description="Masked: surname only")
    phone: str = Field(description="Masked: 138****5678")
    region_code: str
    address: str = Field(description="Hidden")


class OrderOut(BaseModel):
    waybill_no: str
    status: str
    exception: str | None
    service_type: str
    payment_mode: str
    item_category: str
    item_name: str | None
    quantity: int
    weight_g: int
    declared_value_fen: int
    price_fen: int
    sender: PartyOut
    recipient: PartyOut
    created_at: dt.datetime
    my_role: str


def _party(p) -> PartyOut:
    return PartyOut(name=p.name.masked, phone=p.phone.masked, region_code=p.region_code, address=p.address.masked)


def order_out(v) -> OrderOut:
    return OrderOut(waybill_no=v.waybill_no, status=v.status, exception=v.exception, service_type=v.service_type,
                    payment_mode=v.payment_mode, item_category=v.item_category, item_name=v.item_name and v.item_name.masked,
                    quantity=v.quantity, weight_g=v.weight_g, declared_value_fen=v.declared_value_fen, price_fen=v.price_fen,
                    sender=_party(v.sender), recipient=_party(v.recipient), created_at=v.created_at, my_role=v.mine_as)


@router.post("/quotes", response_model=QuoteOut, responses=errors_for(400))
def quote(body: QuoteIn, c: ContainerDep) -> QuoteOut:
    q = c.shipping.quote(body.origin_region, body.dest_region, body.weight_g, body.service_type)
    return QuoteOut(zone=q.zone, chargeable_kg=q.chargeable_kg, price_fen=q.price_fen)


@router.post("/orders", status_code=201, response_model=OrderCreated, responses=errors_for(401))
def place_order(body: OrderBody, user: ApiUser, c: ContainerDep) -> OrderCreated:
    """Place an order. Recipient details are the recipient's personal data: you need their consent."""
    waybill_no, _ = c.shipping.place(user.id, body.to_input())
    return OrderCreated(waybill_no=waybill_no, created=True)


@router.get("/orders", response_model=list[OrderOut], responses=errors_for(401))
def my_orders(user: ApiUser, c: ContainerDep) -> list[OrderOut]:
    """My parcels: sent by me, or addressed to my phone number (by anyone, merchants included)."""
    return [order_out(v) for v in c.shipping.my_orders(user.id)]


@router.get("/orders/{waybill_no}", response_model=OrderOut, responses=errors_for(401, 404))
def get_order(waybill_no: Waybill, user: ApiUser, c: ContainerDep) -> OrderOut:
    return order_out(c.shipping.order_for(user.id, waybill_no))


class PdfResponse(Response):
    media_type = "application/pdf"


LABEL_RESPONSES = {
    200: {
        "description": "The privacy waybill label, 100 mm × 150 mm: names, phone numbers and addresses masked for printing.",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {"Content-Disposition": {"schema": {"type": "string"}, "description": "attachment; filename=<waybill_no>.pdf"}},
    },
    **errors_for(401, 404, 409),
}


# response_class=Response has no media type of its own: the errors stay documented as JSON, the 200 only as a PDF.
@router.get("/orders/{waybill_no}/label.pdf", response_class=Response, responses=LABEL_RESPONSES)
def order_label(waybill_no: Waybill, user: ApiUser, c: ContainerDep, locale: LocaleDep) -> PdfResponse:
    """The printable privacy waybill label of an order I sent (its sender only)."""
    return label_response(c.shipping.label_pdf(user.id, waybill_no, locale), waybill_no)


def label_response(pdf: bytes, waybill_no: str) -> PdfResponse:
    # The number was validated by the service: it is safe in a header.
    return PdfResponse(pdf, headers={"Content-Disposition": f'attachment; filename="{waybill.normalise(waybill_no)}.pdf"',
                                     "Cache-Control": "no-store"})


@router.post("/orders/{waybill_no}/cancel", status_code=204, responses=errors_for(401, 404, 409))
def cancel_order(waybill_no: Waybill, user: ApiUser, c: ContainerDep) -> Response:
    c.shipping.cancel(user.id, waybill_no)
    return Response(status_code=204)


@router.post("/merchant/orders", status_code=201, response_model=OrderCreated, responses={200: {"model": OrderCreated}, **errors_for(401)})
def import_order(body: MerchantOrderBody, c: ContainerDep, response: Response,
                 x_api_key: Annotated[str | None, Header(max_length=200)] = None) -> OrderCreated:
    """Import an order from a merchant's system. Idempotent by merchant_order_id: a retry returns the same waybill."""
    merchant_id = c.shipping.merchant_for_key(x_api_key)
    waybill_no, created = c.shipping.place(None, body.to_input(), merchant_id=merchant_id, merchant_order_ref=body.merchant_order_id)
    if not created:
        response.status_code = 200
    return OrderCreated(waybill_no=waybill_no, created=created)
