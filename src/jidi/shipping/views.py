"""Shipping pages: send a parcel from the address book, my parcels, one parcel's details and route, and the
courier's real-name pickup."""
from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request

from jidi import errors, waybill
from jidi.i18n import N_
from jidi.kit.deps import ContainerDep, Csrf, PageUser, StaffUser, redirect, render, render_error
from jidi.privacy import Role
from jidi.shipping import states
from jidi.shipping.api import label_response
from jidi.shipping.service import SERVICE_TYPES, OrderIn
from jidi.values import ID_TYPES
from jidi.shipping.tariff import load

router = APIRouter(include_in_schema=False)
Waybill = Annotated[str, Path(max_length=30)]
ID_TYPE_LABELS = {
    "resident_id": N_("Resident identity card"), "passport": N_("Passport"),
    "hk_macau_permit": N_("Mainland travel permit for Hong Kong and Macao residents"),
    "taiwan_permit": N_("Mainland travel permit for Taiwan residents"),
    "foreign_permanent_resident": N_("Foreign permanent resident ID card"),
}


def _form(c, user, **extra) -> dict:
    return {
        "user": user,
        "senders": c.addressbook.list(user.id, "sender"),
        "recipients": c.addressbook.list(user.id, "recipient"),
        "categories": load().categories,
        "prohibited": [states.CATEGORY_LABELS[cat] for cat in sorted(load().prohibited)],
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


BOXES = ("all", "sent", "received")


@router.get("/orders")
def my_parcels(request: Request, user: PageUser, c: ContainerDep,
               status: Annotated[str, Query(max_length=16)] = "", box: Annotated[str, Query(max_length=16)] = "all",
               q: Annotated[str, Query(max_length=40)] = "", page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    """My parcels: status tabs, sent / received, search by waybill number, 20 a page. Filters are plain links and a
    GET form (no JavaScript); the query holds only a status, a box, a page and a waybill number, nothing personal."""
    status = status if status in states.STATUS_GROUPS else ""
    box = box if box in BOXES else "all"
    found = c.shipping.my_orders_page(user.id, box=box, group=status, waybill_no=q, page=page)
    filters = {"status": status, "box": box, "q": q}

    def url(**change) -> str:
        query = {k: v for k, v in {**filters, **change}.items() if v and not (k == "box" and v == "all") and not (k == "page" and v == 1)}
        return "/orders" + ("?" + urlencode(query) if query else "")

    return render(request, "orders.html", user=user, found=found, filters=filters, url=url, page_url=lambda n: url(page=n),
                  status_labels=states.LABELS, group_labels=states.GROUP_LABELS,
                  family_groups=c.family.parcels(user.id) if page == 1 and not (status or q) and box == "all" else [])


def _order_page(request: Request, waybill_no: str, user, c, error: errors.AppError | None = None):
    order = c.shipping.order_for(user.id, waybill_no)
    # Its sender or recipient only (order_for): the route as a timeline, newest first, as on the tracking page.
    route = list(reversed(c.tracking.route(order.waybill_no)))
    cancellable = order.mine_as == "sender" and order.status in states.CANCELLABLE
    ctx = dict(user=user, order=order, status_labels=states.LABELS, exception_labels=states.EXCEPTION_LABELS,
               cancellable=cancellable, payable=order.mine_as == "sender" and order.status == states.AWAITING_PAYMENT,
               route=route, order_placed=states.ORDER_PLACED, recipients=c.addressbook.list(user.id, "recipient") if cancellable else [])
    return render_error(request, "order.html", error, **ctx)


@router.get("/orders/{waybill_no}")
def order_page(request: Request, waybill_no: Waybill, user: PageUser, c: ContainerDep):
    return _order_page(request, waybill_no, user, c)


@router.post("/orders/{waybill_no}/recipient", dependencies=[Csrf])
def correct_recipient(request: Request, waybill_no: Waybill, user: PageUser, c: ContainerDep,
                      recipient_entry: Annotated[str, Form(max_length=40)] = ""):
    """Correct the recipient from the address book, until pickup (JD-6.2.1)."""
    try:
        party = c.shipping.party_from_address_book(user.id, errors.id_or_not_found(recipient_entry))
        c.shipping.correct_recipient(user.id, waybill_no, party)
    except errors.AppError as err:
        if err.status == 404:  # not their order, or not their address-book entry
            raise
        return _order_page(request, waybill_no, user, c, err)
    return redirect(f"/orders/{waybill_no}?corrected=1")


@router.get("/orders/{waybill_no}/label.pdf")
def label_pdf(request: Request, waybill_no: Waybill, user: PageUser, c: ContainerDep):
    """The privacy waybill label to print: for the sender only (the order page links to it)."""
    try:
        pdf = c.shipping.label_pdf(user.id, waybill_no, request.state.locale)
    except errors.AppError as err:
        if err.status == 404:
            raise
        return _order_page(request, waybill_no, user, c, err)  # a cancelled order: its page says why there is no label
    return label_response(pdf, waybill_no)


@router.get("/orders/{waybill_no}/cancel")
def cancel_page(request: Request, waybill_no: Waybill, user: PageUser, c: ContainerDep):
    """Ask before cancelling, and say what happens to the payment."""
    order = c.shipping.order_for(user.id, waybill_no)
    if order.mine_as != "sender":
        raise errors.not_found()
    if order.status not in states.CANCELLABLE:
        return _order_page(request, waybill_no, user, c, errors.order_not_cancellable())
    return render(request, "order_cancel.html", user=user, order=order)


@router.post("/orders/{waybill_no}/cancel", dependencies=[Csrf])
def cancel(request: Request, waybill_no: Waybill, user: PageUser, c: ContainerDep,
           confirm: Annotated[str, Form(max_length=3)] = ""):
    if confirm != "yes":  # not from the confirmation page: ask first
        return redirect(f"/orders/{waybill_no}/cancel")
    try:
        c.shipping.cancel(user.id, waybill_no)
    except errors.AppError as err:
        if err.status == 404:
            raise
        return _order_page(request, waybill_no, user, c, err)
    return redirect(f"/orders/{waybill_no}?cancelled=1")


@router.post("/dev/orders/{waybill_no}/pay", dependencies=[Csrf])
def simulated_payment(waybill_no: Waybill, user: PageUser, c: ContainerDep):
    """Development only: stands in for the payment provider until payments exist."""
    if c.settings.env == "production":
        raise errors.not_found()
    c.shipping.order_for(user.id, waybill_no)  # the sender or recipient only
    c.shipping.mark_paid(waybill_no)
    return redirect(f"/orders/{waybill_no}")


# -- the courier's real-name pickup page (JD-1.1.2(6)b) --------------------------------------------------------
# Under /staff: a courier logs in at /staff/login like all staff (password + authenticator code). The waybill number
# may travel in the URL (it names no one); the ID number and the legal name travel in the POST body only, and
# are never put back into the page, an error or a URL.
PICKUP_PAGE = "courier_pickup.html"
PICKUP_DONE = ("reused", "recorded", "not_accepted")


def _courier(staff) -> None:
    if staff.role is not Role.COURIER:
        raise errors.forbidden()


def _pickup_page(request: Request, c, staff, waybill_no: str, *, err: errors.AppError | None = None, done: str = "",
                 id_type: str = ""):
    order = None
    if waybill_no and (err is None or err.code not in ("invalid_waybill", "not_found")):
        try:
            order = c.shipping.pickup_view(staff.actor, waybill_no)
        except errors.AppError as lookup_err:
            if lookup_err.code not in ("invalid_waybill", "not_found"):
                raise
            err = err or lookup_err
    context = {"staff": staff, "waybill_no": waybill_no[:30], "order": order, "done": done if done in PICKUP_DONE else "",
               "id_types": ID_TYPES, "id_type": id_type if id_type in ID_TYPES else "resident_id", "id_type_labels": ID_TYPE_LABELS,
               "status_labels": states.LABELS, "exception_labels": states.EXCEPTION_LABELS,
               "category_labels": states.CATEGORY_LABELS}
    return render_error(request, PICKUP_PAGE, err, **context)


@router.get("/staff/pickup")
def pickup_page(request: Request, staff: StaffUser, c: ContainerDep, waybill_no: Annotated[str, Query(max_length=40)] = "",
                done: Annotated[str, Query(max_length=20)] = ""):
    """Scan or type a waybill number; see the parcel masked; pick it up with the sender's ID, or record a refusal."""
    _courier(staff)
    return _pickup_page(request, c, staff, waybill_no.strip(), done=done)


@router.post("/staff/pickup", dependencies=[Csrf])
def pickup_submit(request: Request, staff: StaffUser, c: ContainerDep, waybill_no: Annotated[str, Form(max_length=40)] = "",
                  action: Annotated[str, Form(max_length=10)] = "pickup", id_type: Annotated[str, Form(max_length=30)] = "",
                  id_number: Annotated[str, Form(max_length=40)] = "", real_name: Annotated[str, Form(max_length=60)] = ""):
    _courier(staff)
    waybill_no = waybill_no.strip()
    try:
        if action == "refuse":
            c.shipping.refuse_pickup(staff.actor, waybill_no, "id_not_shown")
            done = "not_accepted"
        else:
            out = c.shipping.pick_up(staff.actor, waybill_no, id_type or None, id_number or None, real_name or None)
            done = "reused" if out.reused_identity else "recorded"
    except errors.AppError as err:
        if err.code == "forbidden":
            raise
        return _pickup_page(request, c, staff, waybill_no, err=err, id_type=id_type)
    return redirect("/staff/pickup?" + urlencode({"waybill_no": waybill.normalise(waybill_no), "done": done}))
