"""The shipping JSON API: quotes, orders (placed by users or imported by merchants), cancellation, and the
courier's real-name pickup."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from jidi import errors, regions, waybill
from jidi.i18n import gettext_for
from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ApiUser, ContainerDep, LocaleDep
from jidi.kit.fields import (
    IdNumber, ItemName, LegalName, Password, PersonName, Phone, RegionCode, StaffUsername, StreetAddress, TotpCode,
    Waybill, WaybillPath,
)
from jidi.privacy import Actor, Role
from jidi.shipping import states, tariff
from jidi.shipping.service import CONSENT_REMINDER, OrderIn, PartyIn
from jidi.values import ID_TYPES

router = APIRouter(tags=["shipping"])

ItemCategory = Annotated[str, Field(min_length=1, max_length=24, examples=["books"], json_schema_extra={
    "enum": list(tariff.load().categories)},
    description="Prohibited categories (" + ", ".join(sorted(tariff.load().prohibited)) + ") are refused with item_prohibited")]


class QuoteIn(Strict):
    origin_region: RegionCode
    dest_region: RegionCode
    weight_g: int = Field(ge=1, le=50_000)
    service_type: Literal["standard", "express"] = "standard"


class QuoteOut(BaseModel):
    zone: str
    chargeable_kg: int
    price_fen: int


class PartyBody(Strict):
    name: PersonName
    phone: Phone
    region_code: RegionCode
    address: StreetAddress

    def to_input(self) -> PartyIn:
        return PartyIn(self.name, self.phone, self.region_code, self.address)


class OrderBody(Strict):
    sender: PartyBody
    recipient: PartyBody
    item_name: ItemName
    item_category: ItemCategory
    quantity: int = Field(1, ge=1, le=999)
    weight_g: int = Field(ge=1, le=50_000, examples=[800])
    declared_value_fen: int = Field(0, ge=0, le=10_000_000)
    service_type: Literal["standard", "express"] = "standard"
    payment_mode: Literal["pay_now", "pay_later", "recipient_pays"] = "pay_now"
    pickup_from: dt.datetime | None = Field(None, description="A pickup window, given with pickup_until: at least one hour, "
                                                              "starting within the next 7 days")
    pickup_until: dt.datetime | None = None
    insured: bool = Field(False, description="Insure the declared value: a premium of 0.5% of it (at least 100 fen) is "
                                             "added to the price")

    def to_input(self) -> OrderIn:
        return OrderIn(self.sender.to_input(), self.recipient.to_input(), self.item_name, self.item_category, self.quantity,
                       self.weight_g, self.declared_value_fen, self.service_type, self.payment_mode, self.pickup_from,
                       self.pickup_until, insured=self.insured)


class MerchantOrderBody(OrderBody):
    merchant_order_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", examples=["shop-2026-000123"])


class OrderCreated(BaseModel):
    waybill_no: str
    created: bool
    reminder: str = Field(description="Enter another person's details only with their agreement (in the request's language)")


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
def place_order(body: OrderBody, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> OrderCreated:
    """Place an order. Recipient details are the recipient's personal data: you need their consent."""
    waybill_no, _ = c.shipping.place(user.id, body.to_input())
    return OrderCreated(waybill_no=waybill_no, created=True, reminder=gettext_for(loc)(CONSENT_REMINDER))


@router.get("/orders", response_model=list[OrderOut], responses=errors_for(401))
def my_orders(user: ApiUser, c: ContainerDep) -> list[OrderOut]:
    """My parcels: sent by me, or addressed to my phone number (by anyone, merchants included)."""
    return [order_out(v) for v in c.shipping.my_orders(user.id)]


@router.get("/orders/{waybill_no}", response_model=OrderOut, responses=errors_for(401, 404))
def get_order(waybill_no: WaybillPath, user: ApiUser, c: ContainerDep) -> OrderOut:
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
def order_label(waybill_no: WaybillPath, user: ApiUser, c: ContainerDep, locale: LocaleDep) -> PdfResponse:
    """The printable privacy waybill label of an order I sent (its sender only)."""
    return label_response(c.shipping.label_pdf(user.id, waybill_no, locale), waybill_no)


def label_response(pdf: bytes, waybill_no: str) -> PdfResponse:
    # The number was validated by the service: it is safe in a header.
    return PdfResponse(pdf, headers={"Content-Disposition": f'attachment; filename="{waybill.normalise(waybill_no)}.pdf"'})


@router.post("/orders/{waybill_no}/cancel", status_code=204, responses=errors_for(401, 404, 409))
def cancel_order(waybill_no: WaybillPath, user: ApiUser, c: ContainerDep) -> Response:
    """Cancel an order I sent, before pickup. A paid order is refunded in full; the route records the cancellation."""
    c.shipping.cancel(user.id, waybill_no)
    return Response(status_code=204)


@router.put("/orders/{waybill_no}/recipient", status_code=204, responses=errors_for(401, 404, 409))
def correct_recipient(waybill_no: WaybillPath, body: PartyBody, user: ApiUser, c: ContainerDep) -> Response:
    """Correct the recipient of an order I sent, until the parcel is picked up (JD-6.2.1, CN-8.1.2)."""
    c.shipping.correct_recipient(user.id, waybill_no, body.to_input())
    return Response(status_code=204)


# Examples in the OpenAPI (and so in /api/docs). The people in them are invented: 13800000000 is no one's number.
_MERCHANT_ORDER_EXAMPLE = {
    "merchant_order_id": "shop-2026-000123",
    "sender": {"name": "示例商店", "phone": "13800000000", "region_code": "110108", "address": "示例路 1 号"},
    "recipient": {"name": "张三", "phone": "13900000000", "region_code": "310115", "address": "示例大道 100 号 2 单元"},
    "item_name": "图书", "item_category": "books", "quantity": 1, "weight_g": 800, "declared_value_fen": 5000,
    "service_type": "standard", "payment_mode": "pay_now", "insured": True,
}
_IMPORT_EXAMPLES = {
    "requestBody": {"content": {"application/json": {"examples": {
        "order": {"summary": "An order from a shop's system", "value": _MERCHANT_ORDER_EXAMPLE},
    }}}},
    "responses": {
        "201": {"content": {"application/json": {"examples": {"created": {"summary": "A new waybill", "value": {
            "waybill_no": "JD1234567890128", "created": True,
            "reminder": "录入他人信息(如收件人的姓名、电话、地址)时,请确保已征得对方同意。"}}}}}},
        "200": {"content": {"application/json": {"examples": {"retried": {
            "summary": "The same merchant_order_id again: the same waybill, nothing new", "value": {
                "waybill_no": "JD1234567890128", "created": False,
                "reminder": "When you enter other people's details, such as a recipient's name, phone and address, make sure "
                            "they have agreed."}}}}}},
        "401": {"content": {"application/json": {"examples": {"bad_key": {"summary": "No or a wrong X-Api-Key", "value": {
            "error": {"code": "merchant_key_invalid", "message": "商户 API 密钥缺失或无效。"}}}}}}},
        "422": {"content": {"application/json": {"examples": {"prohibited": {"summary": "A prohibited category", "value": {
            "error": {"code": "item_prohibited", "message": "This item cannot be sent under the postal rules."}}}}}}},
    },
}


@router.post("/merchant/orders", status_code=201, response_model=OrderCreated, responses={200: {"model": OrderCreated}, **errors_for(401)},
             openapi_extra=_IMPORT_EXAMPLES)
def import_order(body: MerchantOrderBody, c: ContainerDep, response: Response, loc: LocaleDep,
                 x_api_key: Annotated[str | None, Header(max_length=200)] = None) -> OrderCreated:
    """Import an order from a merchant's system. Idempotent by merchant_order_id: a retry returns the same waybill."""
    merchant_id = c.shipping.merchant_for_key(x_api_key)
    waybill_no, created = c.shipping.place(None, body.to_input(), merchant_id=merchant_id, merchant_order_ref=body.merchant_order_id)
    if not created:
        response.status_code = 200
    return OrderCreated(waybill_no=waybill_no, created=created, reminder=gettext_for(loc)(CONSENT_REMINDER))


# -- couriers: real-name pickup from a courier's device (JD-1.1.2(6)b) ----------------------------------------------
# A courier's device logs in like the staff console (password + authenticator code) and sends the staff session
# token as a bearer token. The token is checked inside each operation, after the body: a malformed request is a
# 422 whoever sends it. ID numbers travel in request bodies only, are never echoed back, and are stored encrypted.
_courier_bearer = HTTPBearer(auto_error=False, scheme_name="CourierSession",
                             description="A courier's staff session token from POST /api/v1/courier/sessions")
CourierCreds = Annotated[HTTPAuthorizationCredentials | None, Depends(_courier_bearer)]
_SITE_CODE = r"^[A-Za-z0-9_.:-]+$"
_SITE_NAME = r"^[^\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+$"


def _courier(c, creds: HTTPAuthorizationCredentials | None) -> Actor:
    found = c.accounts.authenticate(creds.credentials if creds else None, ("staff",))
    if found is None:
        raise errors.not_authenticated()
    return Actor(*found)


class CourierLogin(Strict):
    username: StaffUsername
    password: Password
    totp_code: TotpCode


class CourierSession(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>` to the courier operations")
    token_type: Literal["bearer"] = "bearer"
    expires_in_seconds: int


class PickupOrderOut(BaseModel):
    """A parcel as the courier at the door sees it: masked, no street address, no item description."""

    waybill_no: str
    status: str
    status_label: str
    not_accepted_reason: str | None = Field(description="Why an earlier pickup was not accepted (e.g. id_not_shown)")
    sender_name: str = Field(description="Masked: surname only")
    sender_phone: str = Field(description="Masked: 138****5678")
    origin: str = Field(description="Province, city and district")
    destination: str
    item_category: str
    quantity: int
    weight_g: int
    identity_verified: bool = Field(description="The sender's account has a verified identity: the pickup reuses it, no ID is "
                                                "entered (and none is shown)")
    can_pick_up: bool


class PickupIn(Strict):
    """A real-name pickup. Leave the ID fields out when the sender's account is verified (identity_verified)."""

    waybill_no: Waybill
    id_type: Literal[ID_TYPES] | None = Field(None, examples=["resident_id"],  # type: ignore[valid-type]
                                              description="One of: " + ", ".join(ID_TYPES))
    id_number: IdNumber | None = None
    real_name: LegalName | None = None
    site_code: str | None = Field(None, min_length=1, max_length=32, pattern=_SITE_CODE, examples=["BJ-HD-07"],
                                  description="The courier's station; default: the pickup station of the origin district")
    site_name: str | None = Field(None, min_length=1, max_length=60, pattern=_SITE_NAME, examples=["北京海淀苏州街营业部"],
                                  description="Given together with site_code")


class PickupOut(BaseModel):
    waybill_no: str
    status: str
    identity: Literal["reused", "recorded"] = Field(description="reused: the account's verified identity; recorded: the ID shown now")
    picked_up_at: dt.datetime
    repeated: bool = Field(description="This courier had recorded this pickup already: nothing changed")


class RefusalIn(Strict):
    waybill_no: Waybill
    reason: Literal[states.NOT_ACCEPTED_REASONS] = Field("id_not_shown",  # type: ignore[valid-type]
                                                          description="id_not_shown: the sender would not show an ID")


class RefusalOut(BaseModel):
    waybill_no: str
    status: Literal["not_accepted"]
    reason: str


@router.post("/courier/sessions", status_code=201, response_model=CourierSession, tags=["courier"],
             responses=errors_for(401, 403, 429))
def courier_login(body: CourierLogin, c: ContainerDep) -> CourierSession:
    """A courier's device logs in: user name, password and authenticator code. Couriers only."""
    result = c.accounts.staff_login(body.username, body.password, body.totp_code)
    found = c.accounts.authenticate(result.token, ("staff",))
    if found is None or found[1] is not Role.COURIER:
        c.accounts.logout(result.token)
        raise errors.forbidden()
    return CourierSession(token=result.token, expires_in_seconds=c.settings.staff_session_ttl_seconds)


@router.post("/courier/logout", status_code=204, tags=["courier"], responses=errors_for(401))
def courier_logout(c: ContainerDep, creds: CourierCreds) -> Response:
    _courier(c, creds)
    c.accounts.logout(creds.credentials)
    return Response(status_code=204)


@router.get("/courier/orders/{waybill_no}", response_model=PickupOrderOut, tags=["courier"], responses=errors_for(401, 403, 404))
def courier_order(waybill_no: WaybillPath, c: ContainerDep, creds: CourierCreds, locale: LocaleDep) -> PickupOrderOut:
    """Scan a waybill: the parcel to pick up, masked."""
    v = c.shipping.pickup_view(_courier(c, creds), waybill_no)
    return PickupOrderOut(
        waybill_no=v.waybill_no, status=v.status, status_label=gettext_for(locale)(states.LABELS[v.status]),
        not_accepted_reason=v.exception if v.status == states.NOT_ACCEPTED else None, sender_name=v.sender_name.masked,
        sender_phone=v.sender_phone.masked, origin=regions.full_name(v.origin_region, locale),
        destination=regions.full_name(v.dest_region, locale), item_category=v.item_category,
        quantity=v.quantity, weight_g=v.weight_g, identity_verified=v.identity_on_file, can_pick_up=v.can_pick_up,
    )


@router.post("/courier/pickups", status_code=201, response_model=PickupOut, tags=["courier"],
             responses={200: {"model": PickupOut, "description": "A retry of a pickup this courier already recorded"},
                        **errors_for(401, 403, 404, 409)})
def courier_pickup(body: PickupIn, c: ContainerDep, creds: CourierCreds, response: Response) -> PickupOut:
    """Real-name pickup (实名收寄, JD-1.1.2(6)b). The parcel is picked up, a "picked_up" route event is added at the
    courier's site and the sender and the recipient get the route SMS. 422 `identity_required` when the sender's
    account is not verified and no ID was given, 422 `invalid_id_number` for an ID that fails its check; 409 when the
    parcel is unpaid, cancelled or already picked up by someone else. Idempotent for the same courier (200) when the
    retry names the same ID as the pickup recorded (or none, for a verified account); a different ID is refused with
    409 `pickup_identity_mismatch` (recorded in the audit log; the recorded ID is never shown)."""
    courier = _courier(c, creds)
    out = c.shipping.pick_up(courier, body.waybill_no, body.id_type, body.id_number, body.real_name,
                             site_code=body.site_code, site_name=body.site_name)
    if out.repeated:
        response.status_code = 200
    return PickupOut(waybill_no=out.waybill_no, status=out.status, identity="reused" if out.reused_identity else "recorded",
                     picked_up_at=out.picked_up_at, repeated=out.repeated)


@router.post("/courier/refusals", response_model=RefusalOut, tags=["courier"], responses=errors_for(401, 403, 404, 409))
def courier_refusal(body: RefusalIn, c: ContainerDep, creds: CourierCreds) -> RefusalOut:
    """The sender would not show an ID (拒收): the parcel is not accepted. The order becomes `not_accepted` with the
    reason and stays out of the network until a later real-name pickup; the sender may cancel it."""
    status = c.shipping.refuse_pickup(_courier(c, creds), body.waybill_no, body.reason)
    return RefusalOut(waybill_no=waybill.normalise(body.waybill_no), status=status, reason=body.reason)
