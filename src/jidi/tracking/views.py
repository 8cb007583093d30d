"""The public tracking page: enter a waybill number, see the status at a glance and the route as a timeline.

Server-rendered, no JavaScript. Masked like the API: no names, phone numbers or street addresses; places at
province and city level, facilities by name.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from jidi import errors
from jidi.kit.deps import ContainerDep, OptionalPageUser, client_address, render, render_error
from jidi.shipping import states
from jidi.tracking import events as ev

router = APIRouter(include_in_schema=False)
PAGE = "tracking.html"

def _show(request: Request, c, user, number: str):
    try:
        view = c.tracking.lookup(number, client_address(request))
    except errors.AppError as err:
        if err.code not in ("invalid_waybill", "not_found", "too_many_lookups"):
            raise
        return render_error(request, PAGE, err, user=user, number=number[:30])
    return render(request, PAGE, user=user, number=view.waybill_no, view=view, steps=states.steps(view.status), ev=ev,
                  LABELS=states.LABELS, route=list(reversed(view.route)))


@router.get("/track")
def track_form(request: Request, c: ContainerDep, user: OptionalPageUser,
               no: Annotated[str, Query(max_length=40)] = ""):
    """The form; with ?no= (the form's GET submit) it shows that parcel."""
    if no.strip():
        return _show(request, c, user, no)
    return render(request, PAGE, user=user, number="", view=None)


@router.get("/track/{waybill_no}")
def track_page(waybill_no: str, request: Request, c: ContainerDep, user: OptionalPageUser):
    if len(waybill_no) > 40:
        return render_error(request, PAGE, errors.invalid_waybill(), user=user, number="")
    return _show(request, c, user, waybill_no)

