"""Pages: cash on delivery (我-代收货款 and 我-绑定银行卡, JD-6.1.1(4)(5)): the bound payout account, adding an amount
to collect to a parcel before pickup, and the statement. Plain forms, no JavaScript."""
from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request

from jidi import errors
from jidi.cod import service
from jidi.kit.deps import ContainerDep, Csrf, LocaleDep, PageUser, redirect, render_error

router = APIRouter(include_in_schema=False)

Text = lambda n: Annotated[str, Form(max_length=n)]  # noqa: E731
PAGE = "cod.html"


def fen_of(raw: str) -> int:
    """¥ as typed (128, 128.5, 128.50) in fen."""
    m = re.fullmatch(r"\s*(\d{1,7})(?:\.(\d{1,2}))?\s*", raw or "")
    if not m:
        raise service.cod_amount_invalid()
    return int(m.group(1)) * 100 + int((m.group(2) or "0").ljust(2, "0"))


def _page(request: Request, c, user, loc: str, *, err: errors.AppError | None = None, **extra):
    account = c.cod.account(user.id)
    attachable = [o for o in c.shipping.my_orders(user.id) if o.mine_as == "sender" and o.status in service.BEFORE_PICKUP]
    cod = c.cod.amounts([o.waybill_no for o in attachable]) if attachable else {}
    context = {"user": user, "account": account, "offer": None if account else c.cod.consent_offer(user.id, loc),
               "account_types": service.ACCOUNT_TYPES, "statement": c.cod.statement(user.id), "labels": service.STATUS_LABELS,
               "attachable": [o for o in attachable if o.waybill_no not in cod], "form": {}, **extra}
    return render_error(request, PAGE, err, **context)


@router.get("/cod")
def cod_page(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, saved: Annotated[str, Query(max_length=20)] = ""):
    return _page(request, c, user, loc, saved=saved)


@router.post("/cod/account", dependencies=[Csrf])
def bind_submit(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, holder_name: Text(60) = "", account_type: Text(10) = "",
                account_number: Text(30) = "", region_code: Text(6) = "", branch: Text(60) = "", consent: Text(3) = "",
                consent_token: Text(1000) = ""):
    form = {"holder_name": holder_name, "account_type": account_type, "region_code": region_code, "branch": branch}
    try:
        c.cod.bind(user.id, service.AccountIn(holder_name, account_type, account_number, region_code, branch),
                   consent_token if consent == "yes" else "")
    except errors.AppError as err:
        return _page(request, c, user, loc, err=err, form=form)  # the card number is never shown back
    return redirect("/cod?saved=bound")


@router.post("/cod/account/delete", dependencies=[Csrf])
def unbind_submit(user: PageUser, c: ContainerDep):
    c.cod.unbind(user.id)
    return redirect("/cod?saved=unbound")


@router.post("/cod/attach", dependencies=[Csrf])
def attach_submit(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, waybill_no: Text(30) = "", amount_yuan: Text(12) = ""):
    try:
        c.cod.attach(user.id, waybill_no, fen_of(amount_yuan))
    except errors.AppError as err:
        if err.code == "not_found":
            raise
        return _page(request, c, user, loc, err=err, attach_form={"waybill_no": waybill_no, "amount_yuan": amount_yuan})
    return redirect("/cod?saved=attached")
