"""Payments in the API: the providers' callbacks, paying an order, an order's payments, and my payments."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ApiUser, ContainerDep
from jidi.kit.fields import WaybillPath

router = APIRouter(tags=["payments"])
MAX_CALLBACK_BYTES = 64 * 1024


@router.post("/payments/notify/{provider}", responses=errors_for(400, 404, 409), response_class=Response,
             summary="A payment provider's asynchronous notification")
async def notify(provider: Annotated[Literal["alipay", "wechat"], Path(description="alipay or wechat")], request: Request,
                 c: ContainerDep) -> Response:
    """Called by the payment provider, never by a person: Alipay posts signed form parameters (RSA2 over the sorted
    parameters; answered `success`), WeChat Pay v3 a JSON envelope whose `resource` is AES-256-GCM encrypted, signed
    in the `Wechatpay-*` headers over "timestamp\\nnonce\\nbody\\n" (answered `{"code":"SUCCESS"}`). A forged, stale
    or unreadable notification is a 400; one naming no payment a 404; a different amount or currency a 409. A
    repeated notification is answered as the first was and changes nothing."""
    body = await request.body()
    if len(body) > MAX_CALLBACK_BYTES:
        body = b""
    status, media, text = await _in_thread(c, provider, dict(request.headers), body)
    return Response(text, status_code=status, media_type=media)


async def _in_thread(c, provider: str, headers: dict[str, str], body: bytes):
    from starlette.concurrency import run_in_threadpool  # noqa: PLC0415

    return await run_in_threadpool(c.payments.receive, provider, headers, body)


class PayIn(Strict):
    method: Literal["alipay", "wechat"] = Field(description="alipay or wechat")


class PayStarted(BaseModel):
    pay_url: str = Field(description="Where the payer confirms the payment (the provider's page)")


class PaymentOut(BaseModel):
    serial: str = Field(description="jidi's payment serial number (out_trade_no)")
    kind: Literal["payment", "refund"]
    purpose: str
    waybill_no: str
    method: str
    amount_fen: int
    currency: str
    status: Literal["pending", "paid", "failed", "closed", "refunding", "refunded"]
    provider_trade_no: str | None
    card: str | None = Field(description="The bank-card identifier, masked")
    created_at: dt.datetime
    settled_at: dt.datetime | None


def _out(p) -> PaymentOut:
    return PaymentOut(serial=p.serial, kind=p.kind, purpose=p.purpose, waybill_no=p.waybill_no, method=p.method,
                      amount_fen=p.amount_fen, currency=p.currency, status=p.status, provider_trade_no=p.provider_trade_no,
                      card=p.card.masked if p.card is not None else None, created_at=p.created_at, settled_at=p.settled_at)


class OrderPaymentsOut(BaseModel):
    waybill_no: str
    price_fen: int
    payment_mode: str
    paid: bool
    payable: bool
    refunded_fen: int
    payments: list[PaymentOut]


@router.post("/orders/{waybill_no}/payments", status_code=201, response_model=PayStarted, responses=errors_for(401, 404, 409, 503))
def pay_order(waybill_no: WaybillPath, body: PayIn, user: ApiUser, c: ContainerDep) -> PayStarted:
    """Pay an order: its sender a pay-now order (or a pay-later one, also after a failed charge), its recipient a
    recipient-pays one. Only the order number and the amount go to the provider."""
    return PayStarted(pay_url=c.payments.start(user.id, waybill_no, body.method))


@router.get("/orders/{waybill_no}/payments", response_model=OrderPaymentsOut, responses=errors_for(401, 404))
def order_payments(waybill_no: WaybillPath, user: ApiUser, c: ContainerDep) -> OrderPaymentsOut:
    o = c.payments.for_order(user.id, waybill_no)
    return OrderPaymentsOut(waybill_no=o.waybill_no, price_fen=o.price_fen, payment_mode=o.payment_mode, paid=o.paid,
                            payable=o.payable, refunded_fen=o.refunded_fen, payments=[_out(p) for p in o.payments])


@router.get("/payments", response_model=list[PaymentOut], responses=errors_for(401))
def my_payments(user: ApiUser, c: ContainerDep) -> list[PaymentOut]:
    """My payments and refunds, newest first (the transaction record: order and waybill number, serials, amount,
    method, currency, result, bank-card identifier masked)."""
    return [_out(p) for p in c.payments.history(user.id)]
