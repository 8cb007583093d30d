"""Pages: waybill lookup (by account or by SMS code) and family numbers. Plain forms, no JavaScript."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request

from jidi import errors
from jidi.family import service
from jidi.kit.deps import ContainerDep, Csrf, LocaleDep, OptionalPageUser, PageUser, client_address, redirect, render, render_error
from jidi.shipping import states

router = APIRouter(include_in_schema=False)

Text = lambda n: Annotated[str, Form(max_length=n)]  # noqa: E731


# -- waybill lookup ------------------------------------------------------------------------------------
LOOKUP = "lookup.html"


@router.get("/lookup")
def lookup_page(request: Request, user: OptionalPageUser):
    return render(request, LOOKUP, user=user, waybill_no="", phone="", sent=False)


@router.post("/lookup/code", dependencies=[Csrf])
def lookup_code(request: Request, user: OptionalPageUser, c: ContainerDep, loc: LocaleDep, waybill_no: Text(30) = "",
                phone: Text(20) = ""):
    form = {"user": user, "waybill_no": waybill_no, "phone": phone}
    try:
        c.lookup.request_code(waybill_no, phone, client_address(request), loc)
    except errors.AppError as err:
        return render_error(request, LOOKUP, err, sent=False, **form)
    return render(request, LOOKUP, sent=True, **form)


@router.post("/lookup", dependencies=[Csrf])
def lookup_submit(request: Request, user: OptionalPageUser, c: ContainerDep, waybill_no: Text(30) = "", phone: Text(20) = "",
                  code: Text(10) = ""):
    try:
        order = c.lookup.lookup(waybill_no, phone, code, client_address(request))
    except errors.AppError as err:
        return render_error(request, LOOKUP, err, user=user, waybill_no=waybill_no, phone=phone, sent=True)
    return render(request, "lookup_result.html", user=user, order=order, status_labels=states.LABELS)


@router.post("/lookup/account", dependencies=[Csrf])
def lookup_account(request: Request, user: PageUser, c: ContainerDep, waybill_no: Text(30) = ""):
    try:
        order = c.lookup.for_account(user.id, waybill_no, client_address(request))
    except errors.AppError as err:
        return render_error(request, LOOKUP, err, user=user, waybill_no=waybill_no, phone="", sent=False)
    return render(request, "lookup_result.html", user=user, order=order, status_labels=states.LABELS)


# -- family numbers ------------------------------------------------------------------------------------
FAMILY = "family.html"


def _family(request: Request, c, user, *, err: errors.AppError | None = None, **extra):
    context = {
        "user": user,
        "bindings": c.family.bindings(user.id),
        "groups": c.family.parcels(user.id),
        "watchers": c.family.watchers(user.id),
        "roles": service.ROLES,
        "status_labels": states.LABELS,
        **extra,
    }
    return render_error(request, FAMILY, err, **context)


@router.get("/family")
def family_page(request: Request, user: PageUser, c: ContainerDep, saved: Annotated[str, Query(max_length=20)] = ""):
    return _family(request, c, user, saved=saved)


@router.post("/family/bind", dependencies=[Csrf])
def bind_submit(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, role: Text(16) = "", phone: Text(20) = ""):
    try:
        binding, wait = c.family.bind(user.id, role, phone, client_address(request), loc)
    except errors.AppError as err:
        return _family(request, c, user, err=err, form_role=role, form_phone=phone)
    return _family(request, c, user, sent_to=str(binding.id), wait=wait)


@router.post("/family/{binding_id}/code", dependencies=[Csrf])
def resend_submit(request: Request, binding_id: str, user: PageUser, c: ContainerDep, loc: LocaleDep):
    try:
        wait = c.family.resend(user.id, binding_id, client_address(request), loc)
    except errors.AppError as err:
        if err.code == "not_found":
            raise
        return _family(request, c, user, err=err)
    return _family(request, c, user, sent_to=binding_id, wait=wait)


@router.post("/family/{binding_id}/activate", dependencies=[Csrf])
def activate_submit(request: Request, binding_id: str, user: PageUser, c: ContainerDep, code: Text(10) = ""):
    try:
        c.family.activate(user.id, binding_id, code)
    except errors.AppError as err:
        if err.code == "not_found":
            raise
        return _family(request, c, user, err=err)
    return redirect("/family?saved=activated")


@router.post("/family/{binding_id}/end", dependencies=[Csrf])
def end_submit(binding_id: str, user: PageUser, c: ContainerDep):
    c.family.end(user.id, binding_id)
    return redirect("/family?saved=ended")


@router.post("/family/watchers/{binding_id}/end", dependencies=[Csrf])
def end_watcher_submit(binding_id: str, user: PageUser, c: ContainerDep):
    c.family.end_as_relative(user.id, binding_id)
    return redirect("/family?saved=ended")


@router.post("/family/parcels/{waybill_no}/collect", dependencies=[Csrf])
def collect_submit(request: Request, waybill_no: str, user: PageUser, c: ContainerDep):
    try:
        c.family.collect(user.id, waybill_no)
    except errors.AppError as err:
        if err.code == "not_found":
            raise
        return _family(request, c, user, err=err)
    return redirect("/family?saved=collected")
