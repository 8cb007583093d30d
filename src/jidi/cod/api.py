"""The cash-on-delivery JSON API: the payout account (masked), COD orders, the statement."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from jidi import errors
from jidi.cod import service
from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ApiUser, ContainerDep, LocaleDep
from jidi.kit.fields import RegionCode, Waybill
from jidi.shipping.api import OrderBody

router = APIRouter(tags=["cash on delivery"])

# A bank card number's last digit is a Luhn check digit, which no pattern can say: the schema names the format.
CARD_FORMAT = "jidi-bank-card"
CARD_PATTERN = r"^[0-9]{12,19}$"
Amount = Field(ge=1, le=service.MAX_AMOUNT_FEN, examples=[12800], description="The amount to collect from the recipient, in fen")


class AccountBody(Strict):
    holder_name: str = Field(min_length=1, max_length=60, examples=["王小明"], description="The holder's name (持卡人姓名/名称)")
    account_type: Literal["personal", "company"]
    account_number: str = Field(min_length=1, max_length=30, examples=["6222021234567890128"],
                                json_schema_extra={"pattern": CARD_PATTERN, "format": CARD_FORMAT},
                                description=f"12–19 digits; the last is a Luhn check digit (format `{CARD_FORMAT}`, "
                                            "`cod_card_invalid` otherwise); spaces and hyphens are accepted too")
    region_code: RegionCode
    branch: str = Field(min_length=1, max_length=60, examples=["招商银行北京望京支行"], description="The branch (开户支行)")
    consent_token: str = Field("", max_length=1000, description="Without the separate consent to process bank card details: "
                                                                "the token of GET /cod/account/consent, which grants it")


class AccountOut(BaseModel):
    holder_name: str = Field(description="Masked")
    account_type: str
    account_number: str = Field(description="Masked: the last four digits")
    region_code: str
    branch: str = Field(description="Masked")
    updated_at: dt.datetime


class ConsentOffer(BaseModel):
    live: bool
    token: str | None = Field(description="Send it back as consent_token to give the consent with the binding")
    text: str | None = Field(description="The consent's text, in the request's language")


class CodOrderBody(Strict):
    order: OrderBody
    amount_fen: int = Amount


class AttachBody(Strict):
    waybill_no: Waybill
    amount_fen: int = Amount


class CodOrderOut(BaseModel):
    waybill_no: str
    amount_fen: int
    status: str
    created_at: dt.datetime
    collected_at: dt.datetime | None
    paid_out_on: dt.date | None


class PayoutOut(BaseModel):
    business_day: dt.date
    amount_fen: int
    orders: int
    status: str
    serial: str | None
    settled_at: dt.datetime | None


class StatementOut(BaseModel):
    totals_fen: dict[str, int] = Field(description="Per state: pending, collected (waiting for payout), paid_out, cancelled")
    orders: list[CodOrderOut]
    payouts: list[PayoutOut]


def _account(a: service.AccountView) -> AccountOut:
    return AccountOut(holder_name=a.holder_name.masked, account_type=a.account_type, account_number=a.account_number.masked,
                      region_code=a.region_code, branch=a.branch.masked, updated_at=a.updated_at)


def _order(o: service.CodOrderView) -> CodOrderOut:
    return CodOrderOut(waybill_no=o.waybill_no, amount_fen=o.amount_fen, status=o.status, created_at=o.created_at,
                       collected_at=o.collected_at, paid_out_on=o.paid_out_on)


@router.get("/cod/account", response_model=AccountOut, responses=errors_for(401, 404))
def get_account(user: ApiUser, c: ContainerDep) -> AccountOut:
    """My bound payout account (JD-6.1.1(5)), masked."""
    a = c.cod.account(user.id)
    if a is None:
        raise errors.not_found()
    return _account(a)


@router.get("/cod/account/consent", response_model=ConsentOffer, responses=errors_for(401))
def consent(user: ApiUser, c: ContainerDep, loc: LocaleDep) -> ConsentOffer:
    """The separate consent binding a bank account needs (sensitive personal information), if not given yet."""
    offer = c.cod.consent_offer(user.id, loc)
    return ConsentOffer(live=offer is None, token=offer and offer[0], text=offer and offer[1])


@router.put("/cod/account", response_model=AccountOut, responses=errors_for(400, 401, 409))
def bind(body: AccountBody, user: ApiUser, c: ContainerDep) -> AccountOut:
    """Bind (or replace) my payout bank account (JD-1.1.2(1)g)."""
    a = service.AccountIn(body.holder_name, body.account_type, body.account_number, body.region_code, body.branch)
    return _account(c.cod.bind(user.id, a, body.consent_token))


@router.delete("/cod/account", status_code=204, responses=errors_for(401))
def unbind(user: ApiUser, c: ContainerDep) -> Response:
    c.cod.unbind(user.id)
    return Response(status_code=204)


@router.post("/cod/orders", status_code=201, response_model=CodOrderOut, responses=errors_for(401, 409))
def place(body: CodOrderBody, user: ApiUser, c: ContainerDep) -> CodOrderOut:
    """Place a shipping order that collects `amount_fen` from the recipient at delivery (a bound account is required)."""
    waybill_no = c.cod.place(user.id, body.order.to_input(), body.amount_fen)
    return next(_order(o) for o in c.cod.statement(user.id).orders if o.waybill_no == waybill_no)


@router.post("/cod/attach", status_code=201, response_model=CodOrderOut, responses=errors_for(401, 404, 409))
def attach(body: AttachBody, user: ApiUser, c: ContainerDep) -> CodOrderOut:
    """Collect cash on delivery for one of my parcels that is not picked up yet."""
    return _order(c.cod.attach(user.id, body.waybill_no, body.amount_fen))


@router.get("/cod/statement", response_model=StatementOut, responses=errors_for(401))
def statement(user: ApiUser, c: ContainerDep) -> StatementOut:
    """My COD statement (代收货款账单, JD-6.1.1(4)): totals, the latest orders and payouts."""
    st = c.cod.statement(user.id)
    return StatementOut(totals_fen=st.totals, orders=[_order(o) for o in st.orders],
                        payouts=[PayoutOut(business_day=p.business_day, amount_fen=p.amount_fen, orders=p.orders, status=p.status,
                                           serial=p.serial, settled_at=p.settled_at) for p in st.payouts])
