"""Payments pages: an order's payment (pay, debt, refunds), my payments and what I owe, ship now pay later, and the
payment simulator's own pages, where the payer confirms as on the provider's page (outside production only)."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Path, Request

from jidi import errors
from jidi.kit.deps import ContainerDep, Csrf, PageUser, redirect, render, render_error
from jidi.payments.service import KIND_LABELS, METHOD_LABELS, METHODS, STATUS_LABELS

router = APIRouter(include_in_schema=False)
Waybill = Annotated[str, Path(max_length=30)]
Serial = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9]+$")]
LABELS = {"method_labels": METHOD_LABELS, "status_labels": STATUS_LABELS, "kind_labels": KIND_LABELS, "methods": METHODS}


def _order_payment(request: Request, user, c, waybill_no: str, err: errors.AppError | None = None):
    info = c.payments.for_order(user.id, waybill_no)
    return render_error(request, "order_payment.html", err, user=user, info=info, **LABELS)


@router.get("/orders/{waybill_no}/payment")
def order_payment(request: Request, waybill_no: Waybill, user: PageUser, c: ContainerDep):
    """An order's payment: what it costs, whether it is paid, pay now (also a pay-later debt or a recipient-pays
    parcel), and its payments and refunds."""
    return _order_payment(request, user, c, waybill_no)


@router.post("/orders/{waybill_no}/payment", dependencies=[Csrf])
def pay(request: Request, waybill_no: Waybill, user: PageUser, c: ContainerDep,
        method: Annotated[str, Form(max_length=10)] = ""):
    try:
        url = c.payments.start(user.id, waybill_no, method)
    except errors.AppError as err:
        if err.status == 404:
            raise
        return _order_payment(request, user, c, waybill_no, err)
    return redirect(url)


@router.get("/payments")
def my_payments(request: Request, user: PageUser, c: ContainerDep):
    """What I owe (each with its pay button) and my payments and refunds (CN-3.1.10b)."""
    return render(request, "payments.html", user=user, due=c.payments.due(user.id), history=c.payments.history(user.id),
                  pay_later=c.payments.pay_later_state(user.id), **LABELS)


@router.post("/payments/pay-later", dependencies=[Csrf])
def pay_later_begin(user: PageUser, c: ContainerDep):
    """Authorise ship now, pay later at WeChat Pay Score (its page)."""
    return redirect(c.payments.begin_pay_later(user.id))


@router.get("/payments/pay-later/done")
def pay_later_done(request: Request, user: PageUser, c: ContainerDep):
    """Back from Pay Score: fetch only whether the check passed and the authorisation state (JD-1.1.2(5)b)."""
    try:
        c.payments.check_pay_later(user.id)
    except errors.AppError as err:
        if err.status == 404:
            raise
        return render_error(request, "payments.html", err, user=user, due=c.payments.due(user.id),
                            history=c.payments.history(user.id), pay_later=c.payments.pay_later_state(user.id), **LABELS)
    return redirect("/payments#pay-later")


# -- the simulator (the provider's pages) ---------------------------------------------------------------------------
def _sim(c):
    if c.settings.env == "production":
        raise errors.not_found()
    return c.payments.sims


def _local(url: str) -> str:
    """Where to send the payer back: a path of ours only."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "") if parts.path.startswith("/") else "/"


@router.get("/sim/alipay/gateway.do")
def sim_alipay(request: Request, c: ContainerDep):
    """The Alipay-style gateway's cashier page: jidi's signed page-pay request is checked; the payer confirms."""
    sims = _sim(c)
    try:
        trade = sims["alipay"].page(request.url.query)
    except (ValueError, KeyError):
        raise errors.AppError("payment_request_invalid", "The payment request's signature does not verify.", 400) from None
    return render(request, "sim_pay.html", provider="alipay", trade=trade, action="/sim/alipay/confirm",
                  return_url=trade["return_url"], user=None)


@router.post("/sim/alipay/confirm", dependencies=[Csrf])
def sim_alipay_confirm(c: ContainerDep, serial: Annotated[str, Form(max_length=40)] = "",
                       outcome: Annotated[str, Form(max_length=10)] = "pay", return_url: Annotated[str, Form(max_length=300)] = "/"):
    _sim(c)["alipay"].confirm(serial, outcome)
    return redirect(_local(return_url))


@router.get("/sim/wechat/pay/{serial}")
def sim_wechat(request: Request, serial: Serial, c: ContainerDep):
    """The WeChat Pay-style page behind the native code_url: the payer confirms."""
    trade = _sim(c)["wechat"].trade_view(serial)
    if trade is None:
        raise errors.not_found()
    return render(request, "sim_pay.html", provider="wechat", trade=trade, action=f"/sim/wechat/pay/{serial}", return_url="/payments",
                  user=None)


@router.post("/sim/wechat/pay/{serial}", dependencies=[Csrf])
def sim_wechat_confirm(serial: Serial, c: ContainerDep, outcome: Annotated[str, Form(max_length=10)] = "pay",
                       return_url: Annotated[str, Form(max_length=300)] = "/payments"):
    _sim(c)["wechat"].confirm(serial, outcome)
    return redirect(_local(return_url))


@router.get("/sim/wechat/payscore/{code}")
def sim_payscore(request: Request, code: Serial, c: ContainerDep):
    _sim(c)
    return render(request, "sim_payscore.html", code=code, user=None)


@router.post("/sim/wechat/payscore/{code}", dependencies=[Csrf])
def sim_payscore_answer(code: Serial, c: ContainerDep, outcome: Annotated[str, Form(max_length=10)] = "grant"):
    _sim(c)["wechat"].authorise(code, outcome)
    return redirect("/payments/pay-later/done")
