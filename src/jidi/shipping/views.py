"""Shipping pages: send a parcel from the address book, my parcels, one parcel's details."""
from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request

from jidi import errors
from jidi.i18n import N_
from jidi.shipping import states
from jidi.shipping.api import label_response
from jidi.shipping.service import SERVICE_TYPES, OrderIn
from jidi.shipping.tariff import load
from jidi.web.deps import ContainerDep, redirect, Csrf, PageUser, render, render_error

router = APIRouter(include_in_schema=False)
Waybill = Annotated[str, Path(max_length=30)]


def _form(c, user, **extra) -> dict:
    return {
        "user": user,
        "senders": c.addressbook.list(user.id, "sender"),
        "recipients": c.addressbook.list(user.id, "recipient"),
        "categories": load().categories,
        "prohibited": sorted(load().prohibited),
        "service_types": SERVICE_TYPES,
        "category_labels": states.CATEGORY_LABELS,
        "service_labels": states.SERVICE_LABELS,
        "form": {},
        **extra,
    }


@router.get("/ship")
def ship_page(request: Request, user: PageUser, c: ContainerDep):
    return render(request, "ship.html", **_form(c, user))


@router.post("/ship", dependencies=[Csrf])
def ship_submit(
    request: Request, user: PageUser, c: ContainerDep,
    sender_entry: Annotated[str, Form(max_length=40)] = "", recipient_entry: Annotated[str, Form(max_length=40)] = "",
    item_name: Annotated[str, Form(max_length=60)] = "", item_category: Annotated[str, Form(max_length=24)] = "",
    quantity: Annotated[str, Form(max_length=4)] = "1", weight_kg: Annotated[str, Form(max_length=8)] = "",
    declared_value_yuan: Annotated[str, Form(max_length=10)] = "0", service_type: Annotated[str, Form(max_length=16)] = "standard",
    payment_mode: Annotated[str, Form(max_length=16)] = "pay_now",
):
    form = {"sender_entry": sender_entry, "recipient_entry": recipient_entry, "item_name": item_name, "item_category": item_category,
            "quantity": quantity, "weight_kg": weight_kg, "declared_value_yuan": declared_value_yuan, "service_type": service_type,
            "payment_mode": payment_mode}
    try:
        try:
            sender_id, recipient_id = uuid.UUID(sender_entry), uuid.UUID(recipient_entry)
        except ValueError:
            raise errors.choose_parties() from None
        try:
            numbers = int(quantity), round(float(weight_kg) * 1000), round(float(declared_value_yuan or 0) * 100)
        except ValueError:
            raise errors.invalid_field(N_("weight, quantity or declared value")) from None
        order = OrderIn(c.shipping.party_from_address_book(user.id, sender_id), c.shipping.party_from_address_book(user.id, recipient_id),
                        item_name, item_category, numbers[0], numbers[1], numbers[2], service_type, payment_mode)
        waybill_no, _ = c.shipping.place(user.id, order)
    except errors.AppError as err:
        return render_error(request, "ship.html", err, **_form(c, user, form=form))
    return redirect(f"/orders/{waybill_no}?placed=1")


@router.get("/orders")
def my_parcels(request: Request, user: PageUser, c: ContainerDep):
    orders = c.shipping.my_orders(user.id)
    return render(request, "orders.html", user=user, sent=[o for o in orders if o.mine_as == "sender"],
                  received=[o for o in orders if o.mine_as == "recipient"], status_labels=states.LABELS,
                  family_groups=c.family.parcels(user.id))


@router.get("/orders/{waybill_no}")
def order_page(request: Request, waybill_no: Waybill, user: PageUser, c: ContainerDep):
    order = c.shipping.order_for(user.id, waybill_no)
    return render(request, "order.html", user=user, order=order, status_labels=states.LABELS, exception_labels=states.EXCEPTION_LABELS,
                  cancellable=order.mine_as == "sender" and order.status in states.CANCELLABLE,
                  payable=order.mine_as == "sender" and order.status == states.AWAITING_PAYMENT)


@router.get("/orders/{waybill_no}/label.pdf")
def label_pdf(request: Request, waybill_no: Waybill, user: PageUser, c: ContainerDep):
    """The privacy waybill label to print: for the sender only (the order page links to it)."""
    return label_response(c.shipping.label_pdf(user.id, waybill_no, request.state.locale), waybill_no)


@router.post("/orders/{waybill_no}/cancel", dependencies=[Csrf])
def cancel(waybill_no: Waybill, user: PageUser, c: ContainerDep):
    c.shipping.cancel(user.id, waybill_no)
    return redirect(f"/orders/{waybill_no}")


@router.post("/dev/orders/{waybill_no}/pay", dependencies=[Csrf])
def simulated_payment(waybill_no: Waybill, user: PageUser, c: ContainerDep):
    """Development only: stands in for the payment provider until payments exist."""
    if c.settings.env == "production":
        raise errors.not_found()
    c.shipping.order_for(user.id, waybill_no)  # the sender or recipient only
    c.shipping.mark_paid(waybill_no)
    return redirect(f"/orders/{waybill_no}")
