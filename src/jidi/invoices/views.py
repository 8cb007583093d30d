"""Pages: my invoices (我-开具发票, JD-6.1.1(3)) with the request form, the PDF download, and the SMS link's download.
Plain forms, no JavaScript."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request

from jidi import errors
from jidi.invoices import service
from jidi.invoices.api import pdf_response
from jidi.kit.deps import ContainerDep, Csrf, LocaleDep, PageUser, redirect, render_error

router = APIRouter(include_in_schema=False)

Text = lambda n: Annotated[str, Form(max_length=n)]  # noqa: E731
PAGE = "invoices.html"
FIELDS = ("waybill_no", "kind", "medium", "title", "taxpayer_id", "content", "bank_name", "bank_account", "reg_phone", "reg_address",
          "mobile", "email", "mail_name", "mail_phone", "mail_region", "mail_address")


def _page(request: Request, c, user, *, err: errors.AppError | None = None, form: dict | None = None, **extra):
    invoiced = c.invoices.invoiced(user.id)
    payable = [o for o in c.shipping.my_orders(user.id) if o.paid and not o.refunded_fen and o.waybill_no not in invoiced
               and o.mine_as == ("recipient" if o.payment_mode == "recipient_pays" else "sender")]
    context = {"user": user, "invoices": c.invoices.mine(user.id), "orders": payable, "kinds": service.KINDS, "media": service.MEDIA,
               "contents": service.CONTENTS, "form": form or {"kind": "ordinary", "medium": "electronic", "content": "express_fee"},
               **extra}
    return render_error(request, PAGE, err, **context)


@router.get("/invoices")
def invoices_page(request: Request, user: PageUser, c: ContainerDep, saved: Annotated[str, Query(max_length=20)] = "",
                  waybill_no: Annotated[str, Query(max_length=30)] = ""):
    return _page(request, c, user, saved=saved, form={"kind": "ordinary", "medium": "electronic", "content": "express_fee",
                                                       "waybill_no": waybill_no})


@router.post("/invoices", dependencies=[Csrf])
def request_submit(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, waybill_no: Text(30) = "", kind: Text(16) = "",
                   medium: Text(16) = "", title: Text(100) = "", taxpayer_id: Text(30) = "", content: Text(24) = "",
                   bank_name: Text(60) = "", bank_account: Text(40) = "", reg_phone: Text(20) = "", reg_address: Text(120) = "",
                   mobile: Text(20) = "", email: Text(254) = "", mail_name: Text(30) = "", mail_phone: Text(20) = "",
                   mail_region: Text(6) = "", mail_address: Text(120) = ""):
    form = {k: v for k, v in locals().items() if k in FIELDS}
    try:
        c.invoices.request(user.id, service.InvoiceIn(**form), loc)
    except errors.AppError as err:
        return _page(request, c, user, err=err, form=form)
    return redirect("/invoices?saved=issued")


@router.get("/invoices/download/{token}")
def download_by_link(token: str, c: ContainerDep, loc: LocaleDep):
    """The SMS link: the PDF, to whoever holds the link, while it is valid (no login: the mobile may be someone else's)."""
    return pdf_response(*c.invoices.pdf_by_link(token, loc))


@router.get("/invoices/{invoice_id}/pdf")
def download(invoice_id: str, user: PageUser, c: ContainerDep, loc: LocaleDep):
    return pdf_response(*c.invoices.pdf(user.id, invoice_id, loc))
