"""Shipping pages: send a parcel from the address book, my parcels, one parcel's details and route, and the
courier's real-name pickup."""
from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import JSONResponse

from jidi import errors, waybill
from jidi.i18n import N_, gettext_for, yuan
from jidi.kit.deps import ContainerDep, Csrf, PageUser, StaffUser, redirect, render, render_error
from jidi.privacy import Role
from jidi.shipping import journey, states
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


SHIP_FIELDS = ("sender_entry", "recipient_entry", "item_name", "item_category", "quantity", "weight_kg", "declared_value_yuan",
               "insured", "service_type", "payment_mode", "slot")


def _form(c, user, **extra) -> dict:
    senders = c.addressbook.list(user.id, "sender")
    form = extra.pop("form", {}) or {}
    chosen = next((e for e in senders if str(e.id) == form.get("sender_entry")), None) or next(
        (e for e in senders if e.is_default), senders[0] if senders else None)
    return {
        "user": user,
        "senders": senders,
        "recipients": c.addressbook.list(user.id, "recipient"),
        "categories": load().categories,
        "prohibited": [states.CATEGORY_LABELS[cat] for cat in sorted(load().prohibited)],
        "service_types": SERVICE_TYPES,
        "category_labels": states.CATEGORY_LABELS,
        "service_labels": states.SERVICE_LABELS,
        # The pickup slots still open in the chosen sender's district (China time).
        "slots": c.shipping.pickup_slots(chosen.region_code) if chosen else [],
        "insurance": journey,
        "form": form,
        **extra,
    }


def _order_in(c, user, form: dict[str, str]) -> OrderIn:
    """The order a ship form describes, its parties opened from the address book (errors as AppError)."""
    try:
        sender_id, recipient_id = uuid.UUID(form["sender_entry"]), uuid.UUID(form["recipient_entry"])
    except ValueError:
        raise errors.choose_parties() from None
    try:
        quantity, weight_g = int(form["quantity"] or 1), round(float(form["weight_kg"]) * 1000)
        declared_fen = round(float(form["declared_value_yuan"] or 0) * 100)
    except ValueError:
        raise errors.invalid_field(N_("weight, quantity or declared value")) from None
    sender = c.shipping.party_from_address_book(user.id, sender_id)
    recipient = c.shipping.party_from_address_book(user.id, recipient_id)
    pickup_from = pickup_until = None
    if form["slot"]:
        slot = journey.slot_from_key(form["slot"])
        if slot is None or slot.key not in {s.key for s in c.shipping.pickup_slots(sender.region_code)}:
            raise errors.AppError("slot_unavailable", N_("This pickup time is no longer available: please choose another."), 409)
        pickup_from, pickup_until = slot.start, slot.end
    return OrderIn(sender, recipient, form["item_name"], form["item_category"], quantity, weight_g, declared_fen,
                   form["service_type"], form["payment_mode"], pickup_from, pickup_until, insured=form["insured"] == "yes",
                   sender_entry_id=sender_id, recipient_entry_id=recipient_id)


@router.get("/ship")
def ship_page(request: Request, user: PageUser, c: ContainerDep, again: Annotated[str, Query(max_length=30)] = ""):
    """The ship form; `?again=<waybill number>` ("寄件再来一单") fills it from one of my past orders: its address-book
    entries are selected by id on the page, so nothing personal is ever in the address."""
    form = c.shipping.ship_again(user.id, again) if again else {}
    return render(request, "ship.html", **_form(c, user, form=form, again=bool(again)))


ShipField = Annotated[str, Form(max_length=60)]


def _ship_form(sender_entry: ShipField = "", recipient_entry: ShipField = "", item_name: ShipField = "",
               item_category: ShipField = "", quantity: ShipField = "1", weight_kg: ShipField = "",
               declared_value_yuan: ShipField = "0", insured: ShipField = "", service_type: ShipField = "standard",
               payment_mode: ShipField = "pay_now", slot: ShipField = "") -> dict[str, str]:
    return {"sender_entry": sender_entry, "recipient_entry": recipient_entry, "item_name": item_name, "item_category": item_category,
            "quantity": quantity, "weight_kg": weight_kg, "declared_value_yuan": declared_value_yuan, "insured": insured,
            "service_type": service_type, "payment_mode": payment_mode, "slot": slot}


ShipForm = Annotated[dict, Depends(_ship_form)]


def _estimate_json(request: Request, est) -> dict:
    gettext = gettext_for(request.state.locale)
    return {"freight": yuan(est.freight_fen), "insurance": yuan(est.insurance_fen), "total": yuan(est.total_fen),
            "total_fen": est.total_fen, "chargeable_kg": est.chargeable_kg,
            "estimated_delivery": est.estimated_delivery.isoformat(), "zone": gettext(ZONE_LABELS[est.zone])}


@router.post("/ship/estimate", dependencies=[Csrf])
def ship_estimate(request: Request, user: PageUser, c: ContainerDep, form: ShipForm) -> JSONResponse:
    """The live estimate the ship page's script asks for as the form changes (the page works without it: its
    "calculate" button posts the form and shows the same estimate)."""
    try:
        est = c.shipping.estimate(_order_in(c, user, form))
    except errors.AppError as err:
        if err.status == 404:
            raise
        return JSONResponse({"error": err.render(gettext_for(request.state.locale)), "code": err.code}, status_code=err.status)
    return JSONResponse(_estimate_json(request, est))


@router.post("/ship", dependencies=[Csrf])
def ship_submit(request: Request, user: PageUser, c: ContainerDep, form: ShipForm,
                action: Annotated[str, Form(max_length=10)] = "", confirm: Annotated[str, Form(max_length=3)] = ""):
    """One form, three steps without JavaScript: `action=estimate` shows the price on the form, the form's own
    submit shows the confirmation step (everything masked, with the price and the pickup time), and only the
    confirmation's `confirm=yes` places the order."""
    if action == "edit":
        return render(request, "ship.html", **_form(c, user, form=form))
    try:
        order = _order_in(c, user, form)
        if action == "estimate":
            return render(request, "ship.html", **_form(c, user, form=form, estimate=c.shipping.estimate(order)))
        if confirm != "yes":
            entries = {str(e.id): e for e in c.addressbook.list(user.id)}
            return render(request, "ship_confirm.html", user=user, form=form, estimate=c.shipping.estimate(order),
                          sender=entries.get(form["sender_entry"]), recipient=entries.get(form["recipient_entry"]), order=order,
                          category_labels=states.CATEGORY_LABELS, service_labels=states.SERVICE_LABELS,
                          payment_labels=PAYMENT_LABELS, fields=SHIP_FIELDS)
        waybill_no, _ = c.shipping.place(user.id, order)
    except errors.AppError as err:
        if err.status == 404:
            raise
        return render_error(request, "ship.html", err, **_form(c, user, form=form))
    return redirect(f"/orders/{waybill_no}?placed=1")


ZONE_LABELS = {"same_city": N_("same city"), "same_province": N_("same province"), "same_region": N_("neighbouring provinces"),
               "national": N_("across the country")}
PAYMENT_LABELS = {"pay_now": N_("Pay now"), "pay_later": N_("Ship now, pay later"), "recipient_pays": N_("Recipient pays")}


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
                  status_labels=states.LABELS, group_labels=states.GROUP_LABELS, category_labels=states.CATEGORY_LABELS,
                  family_groups=c.family.parcels(user.id) if page == 1 and not (status or q) and box == "all" else [])


def _order_page(request: Request, waybill_no: str, user, c, error: errors.AppError | None = None, revealed: dict | None = None):
    order = c.shipping.order_for(user.id, waybill_no)
    # Its sender or recipient only (order_for): the route as a timeline, newest first, as on the tracking page.
    route = list(reversed(c.tracking.route(order.waybill_no)))
    cancellable = order.mine_as == "sender" and order.status in states.CANCELLABLE
    ctx = dict(user=user, order=order, status_labels=states.LABELS, exception_labels=states.EXCEPTION_LABELS,
               cancellable=cancellable, payable=not order.paid and order.status != states.CANCELLED and (
                   order.payment_mode == "recipient_pays" if order.mine_as == "recipient" else order.payment_mode != "recipient_pays"),
               route=route, order_placed=states.ORDER_PLACED, recipients=c.addressbook.list(user.id, "recipient") if cancellable else [],
               revealed=revealed or {}, steps=states.steps(order.status))
    return render_error(request, "order.html", error, **ctx)


@router.get("/orders/{waybill_no}")
def order_page(request: Request, waybill_no: Waybill, user: PageUser, c: ContainerDep):
    return _order_page(request, waybill_no, user, c)


@router.post("/orders/{waybill_no}/reveal", dependencies=[Csrf])
def reveal_address(request: Request, waybill_no: Waybill, user: PageUser, c: ContainerDep,
                   field: Annotated[str, Form(max_length=10)] = ""):
    """One street address of my order in full (`field`: sender or recipient), to the account that placed it: shown in
    this answer only (never in a URL or a redirect; pages are not stored), opened through the privacy core, which
    records the reveal in the access log. Anyone else, the recipient included, gets not-found."""
    return _order_page(request, waybill_no, user, c, revealed={field: c.shipping.reveal_address(user.id, waybill_no, field)})


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
