"""Pages: the courier's day on a phone (/staff/tasks, a courier logs in at /staff/login), the administrator's onboarding
of couriers and drivers (/staff/couriers), and the customer's exclusive courier (/exclusive-courier). Plain forms."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile

from jidi import errors
from jidi.couriers import tasks as T
from jidi.couriers.service import KINDS, VEHICLE_CLASSES, MAX_PROOF_BYTES, WorkerIn
from jidi.i18n import N_
from jidi.kit.deps import ContainerDep, Csrf, LocaleDep, PageUser, StaffUser, redirect, render_error
from jidi.privacy import Role
from jidi.values import ID_TYPES

router = APIRouter(include_in_schema=False)

Text = lambda n: Annotated[str, Form(max_length=n)]  # noqa: E731
TASKS, STOP, ADMIN, EXCLUSIVE = "courier_tasks.html", "courier_stop.html", "staff_couriers.html", "exclusive_courier.html"
LABELS = {"status_labels": T.LABELS, "kind_labels": T.KIND_LABELS, "reason_labels": T.REASON_LABELS}


def _courier(staff) -> None:
    if staff.role is not Role.COURIER:
        raise errors.forbidden()


def _tasks_page(request: Request, c, staff, err: errors.AppError | None = None):
    stops, me = [], None
    try:
        me = c.couriers.me(staff.actor)
        stops = c.couriers.day(staff.actor)
    except errors.AppError as e:
        err = err or e
    return render_error(request, TASKS, err, staff=staff, stops=stops, me=me, **LABELS)


@router.get("/staff/tasks")
def tasks_page(request: Request, staff: StaffUser, c: ContainerDep):
    """The courier's day: the open stops, masked, pickups by their window first."""
    _courier(staff)
    return _tasks_page(request, c, staff)


@router.post("/staff/tasks/duty", dependencies=[Csrf])
def duty_submit(request: Request, staff: StaffUser, c: ContainerDep, loc: LocaleDep, on_duty: Text(5) = "",
                location: Text(5) = ""):
    _courier(staff)
    try:
        if location in ("on", "off"):
            c.couriers.set_location_consent(staff.actor, location == "on", loc)
        else:
            c.couriers.set_duty(staff.actor, on_duty == "on")
    except errors.AppError as err:
        return _tasks_page(request, c, staff, err)
    return redirect("/staff/tasks")


@router.post("/staff/tasks/scan", dependencies=[Csrf])
def scan_submit(request: Request, staff: StaffUser, c: ContainerDep, waybill_no: Text(40) = ""):
    _courier(staff)
    try:
        st = c.couriers.scan(staff.actor, waybill_no)
    except errors.AppError as err:
        if err.code == "forbidden":
            raise
        return _tasks_page(request, c, staff, err)
    return redirect(f"/staff/tasks/{st.id}")


def _stop_page(request: Request, c, staff, task_id: uuid.UUID, err: errors.AppError | None = None, address: str | None = None):
    st = c.couriers.stop(staff.actor, task_id)
    return render_error(request, STOP, err, staff=staff, stop=st, address=address, fail_reasons=T.FAIL_REASONS,
                        id_types=ID_TYPES, today=dt.date.today(), **LABELS)


@router.get("/staff/tasks/{task_id}")
def stop_page(request: Request, task_id: uuid.UUID, staff: StaffUser, c: ContainerDep):
    _courier(staff)
    return _stop_page(request, c, staff, task_id)


@router.post("/staff/tasks/{task_id}/address", dependencies=[Csrf])
def open_address(request: Request, task_id: uuid.UUID, staff: StaffUser, c: ContainerDep):
    """The full address of this stop, shown on this answer only (never in a URL), the reveal audited."""
    _courier(staff)
    try:
        address = c.couriers.open_address(staff.actor, task_id)
    except errors.AppError as err:
        if err.status in (403, 404):
            raise
        return _stop_page(request, c, staff, task_id, err)
    return _stop_page(request, c, staff, task_id, address=address)


@router.post("/staff/tasks/{task_id}/step", dependencies=[Csrf])
async def step_submit(request: Request, task_id: uuid.UUID, staff: StaffUser, c: ContainerDep, step: Text(20) = "",
                      weight_kg: Text(10) = "", price_yuan: Text(12) = "", id_type: Text(30) = "", id_number: Text(40) = "",
                      real_name: Text(60) = "", code: Text(12) = "", reason: Text(32) = "", next_attempt_on: Text(10) = "",
                      proof_kind: Text(10) = "", proof: Annotated[UploadFile | None, File()] = None):
    _courier(staff)
    actor, couriers = staff.actor, c.couriers
    try:
        if step == "pick_up":
            couriers.pick_up(actor, task_id, weight_g=_grams(weight_kg), price_fen=_fen(price_yuan), id_type=id_type or None,
                             id_number=id_number or None, real_name=real_name or None)
        elif step == "refuse":
            couriers.refuse_pickup(actor, task_id)
        elif step == "start":
            couriers.start(actor, task_id)
        elif step == "deliver":
            image = await proof.read(MAX_PROOF_BYTES + 1) if proof is not None and proof.filename else None
            couriers.deliver(actor, task_id, proof_kind=proof_kind or None, proof=image, code=code or None)
        elif step == "fail":
            day = dt.date.fromisoformat(next_attempt_on) if next_attempt_on else None
            couriers.fail(actor, task_id, reason, day)
        elif step == "refused":
            couriers.recipient_refused(actor, task_id)
        else:
            raise T.unknown_step()
    except ValueError:
        return _stop_page(request, c, staff, task_id, errors.invalid_field(N_("next attempt (within a week)")))
    except errors.AppError as err:
        if err.status in (401, 403, 404):
            raise
        return _stop_page(request, c, staff, task_id, err)
    return redirect(f"/staff/tasks/{task_id}")


def _grams(kg: str) -> int:
    try:
        return round(float(kg) * 1000)
    except ValueError:
        raise errors.invalid_field(N_("weight (1 g to 50 kg)")) from None


def _fen(yuan: str) -> int:
    try:
        return round(float(yuan.replace("¥", "")) * 100)
    except ValueError:
        raise errors.invalid_field(N_("price")) from None


# -- the administrator: onboarding ------------------------------------------------------------------------------------
def _admin(staff) -> None:
    if staff.role is not Role.ADMIN:
        raise errors.forbidden()


def _admin_page(request: Request, c, staff, err: errors.AppError | None = None, made=None, form: dict | None = None):
    return render_error(request, ADMIN, err, staff=staff, workers=c.couriers.workers(staff.actor), made=made, form=form or {},
                        kinds=KINDS, vehicle_classes=VEHICLE_CLASSES, id_types=ID_TYPES)


@router.get("/staff/couriers")
def couriers_page(request: Request, staff: StaffUser, c: ContainerDep):
    _admin(staff)
    return _admin_page(request, c, staff)


@router.post("/staff/couriers", dependencies=[Csrf])
def onboard_submit(request: Request, staff: StaffUser, c: ContainerDep, kind: Text(10) = "courier", employer: Text(100) = "",
                   work_email: Text(254) = "", position: Text(40) = "", legal_name: Text(40) = "", id_type: Text(30) = "",
                   id_number: Text(40) = "", regions: Text(200) = "", licence_file_number: Text(20) = "", vehicle_class: Text(4) = "",
                   work_phone: Text(20) = ""):
    _admin(staff)
    form = {"kind": kind, "employer": employer, "position": position, "regions": regions, "vehicle_class": vehicle_class}
    try:
        made = c.couriers.onboard(WorkerIn(kind, employer, work_email, position, legal_name, id_type, id_number,
                                           [r for r in regions.replace("，", ",").split(",") if r.strip()],
                                           licence_file_number or None, vehicle_class or None, work_phone or None), by=staff.actor)
    except errors.AppError as err:
        return _admin_page(request, c, staff, err, form=form)
    return _admin_page(request, c, staff, made=made)


# -- the customer: exclusive courier ----------------------------------------------------------------------------------
def _exclusive_page(request: Request, c, user, err: errors.AppError | None = None, done: str = ""):
    return render_error(request, EXCLUSIVE, err, user=user, courier=c.couriers.exclusive(user.id), done=done)


@router.get("/exclusive-courier")
def exclusive_page(request: Request, user: PageUser, c: ContainerDep):
    """My exclusive courier: bind by the courier's QR code (the code's text, or a link it opens), unbind."""
    return _exclusive_page(request, c, user)


@router.post("/exclusive-courier", dependencies=[Csrf])
def exclusive_submit(request: Request, user: PageUser, c: ContainerDep, token: Text(500) = "", action: Text(10) = "bind"):
    try:
        if action == "unbind":
            c.couriers.unbind(user.id)
        else:
            c.couriers.bind(user.id, token.strip())
    except errors.AppError as err:
        return _exclusive_page(request, c, user, err)
    return _exclusive_page(request, c, user, done=action)
