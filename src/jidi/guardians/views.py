"""Pages: stating one's age, the guardian's consent, the guardian's withdrawal, reports about minors' data and the
privacy officer's list of them. Plain forms, no JavaScript."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request

from jidi import errors
from jidi.guardians.service import RELATIONS
from jidi.kit.deps import (
    ContainerDep, Csrf, LocaleDep, OptionalPageUser, PageUser, StaffUser, client_address, redirect, render, render_error,
)

router = APIRouter(include_in_schema=False)

Text = lambda n: Annotated[str, Form(max_length=n)]  # noqa: E731
GUARDIAN = "guardian.html"


def _guardian(request: Request, c, user, loc: str, *, err: errors.AppError | None = None, **extra):
    status = c.guardians.status(user.id)
    context = {"user": user, "status": status, "relations": RELATIONS, **extra}
    if status.step == "confirm":
        context["notice"], context["token"] = c.guardians.offer(user.id, loc)
    return render_error(request, GUARDIAN, err, **context)


@router.get("/guardian")
def guardian_page(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep,
                  saved: Annotated[str, Query(max_length=20)] = ""):
    return _guardian(request, c, user, loc, saved=saved)


@router.post("/guardian/age", dependencies=[Csrf])
def state_age(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, birth_date: Text(20) = ""):
    try:
        c.guardians.state_birth_date(user.id, birth_date)
    except errors.AppError as err:
        return _guardian(request, c, user, loc, err=err)
    return redirect("/guardian?saved=age")


@router.post("/guardian/ask", dependencies=[Csrf])
def ask_guardian(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, relation: Text(16) = "",
                 phone: Text(20) = ""):
    try:
        wait = c.guardians.ask_guardian(user.id, relation, phone, client_address(request), loc)
    except errors.AppError as err:
        return _guardian(request, c, user, loc, err=err, form_relation=relation, form_phone=phone)
    return _guardian(request, c, user, loc, wait=wait)


@router.post("/guardian/confirm", dependencies=[Csrf])
def confirm(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, code: Text(10) = "", token: Text(1000) = "",
            agree: Text(5) = "", signature: Text(40) = ""):
    try:
        c.guardians.confirm(user.id, code, token, agree=agree == "on", signature=signature or None)
    except errors.AppError as err:
        return _guardian(request, c, user, loc, err=err)
    return redirect("/guardian?saved=consented")


# -- the guardian withdraws ------------------------------------------------------------------------------------------
WITHDRAW = "guardian_withdraw.html"


@router.get("/guardian/withdraw")
def withdraw_page(request: Request, user: OptionalPageUser):
    return render(request, WITHDRAW, user=user, phone="", sent=False)


@router.post("/guardian/withdraw/code", dependencies=[Csrf])
def withdraw_code(request: Request, user: OptionalPageUser, c: ContainerDep, loc: LocaleDep, phone: Text(20) = ""):
    try:
        c.guardians.request_withdrawal_code(phone, client_address(request), loc)
    except errors.AppError as err:
        return render_error(request, WITHDRAW, err, user=user, phone=phone, sent=False)
    return render(request, WITHDRAW, user=user, phone=phone, sent=True)


@router.post("/guardian/withdraw", dependencies=[Csrf])
def withdraw_submit(request: Request, user: OptionalPageUser, c: ContainerDep, phone: Text(20) = "", code: Text(10) = ""):
    try:
        count = c.guardians.withdraw(phone, code)
    except errors.AppError as err:
        return render_error(request, WITHDRAW, err, user=user, phone=phone, sent=True)
    return render(request, WITHDRAW, user=user, phone="", sent=False, withdrawn=count, done=True)


# -- reports -----------------------------------------------------------------------------------------------------------
MINORS = "minors.html"


@router.get("/minors")
def minors_page(request: Request, user: OptionalPageUser, c: ContainerDep):
    return render(request, MINORS, user=user, minors_age=c.settings.minors_age, written=c.settings.minors_written_consent)


@router.post("/minors/report", dependencies=[Csrf])
def report_submit(request: Request, user: OptionalPageUser, c: ContainerDep, details: Text(2000) = "",
                  account_phone: Text(20) = "", contact: Text(100) = ""):
    try:
        c.guardians.report(user.id if user else None, details=details, account_phone=account_phone or None, contact=contact or None)
    except errors.AppError as err:
        return render_error(request, MINORS, err, user=user, minors_age=c.settings.minors_age,
                            written=c.settings.minors_written_consent, form_details=details)
    return render(request, MINORS, user=user, minors_age=c.settings.minors_age, written=c.settings.minors_written_consent,
                  reported=True)


@router.get("/staff/minors")
def staff_reports(request: Request, staff: StaffUser, c: ContainerDep):
    return render(request, "staff_minors.html", staff=staff, reports=c.guardians.reports(staff.actor))


@router.post("/staff/minors/{report_id}/close", dependencies=[Csrf])
def staff_close(request: Request, report_id: str, staff: StaffUser, c: ContainerDep, outcome: Text(20) = ""):
    try:
        c.guardians.close_report(staff.actor, report_id, erase=outcome == "erase")
    except errors.AppError as err:
        return render_error(request, "staff_minors.html", err, staff=staff, reports=c.guardians.reports(staff.actor))
    return redirect("/staff/minors")
