"""The order page's courier number (a template global the page includes)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from jidi.kit.deps import templates

router = APIRouter(include_in_schema=False)


def courier_number(request: Request, user, order):
    """For the order page: the courier's virtual number for the viewer's side of the order, or None."""
    if user is None or order is None:
        return None
    return request.app.state.container.virtual_numbers.for_order(user.id, order.waybill_no)


templates.env.globals["courier_number"] = courier_number
