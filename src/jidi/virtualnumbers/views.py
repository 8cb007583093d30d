"""The provider's call-record callback, and the order page's courier number (a template global the page includes)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from jidi import errors
from jidi.kit.deps import ContainerDep, templates

router = APIRouter(include_in_schema=False)


def courier_number(request: Request, user, order):
    """For the order page: the courier's virtual number for the viewer's side of the order, or None."""
    if user is None or order is None:
        return None
    return request.app.state.container.virtual_numbers.for_order(user.id, order.waybill_no)


templates.env.globals["courier_number"] = courier_number


@router.post("/callbacks/virtual-numbers/call-records")
async def call_record(request: Request, c: ContainerDep):
    """Signed by the provider (X-Vn-Timestamp, X-Vn-Nonce, X-Vn-Signature); anything else is refused with 401."""
    body = await request.body()
    if len(body) > 8192:
        raise errors.invalid_field("body")
    kept = c.virtual_numbers.record_call(dict(request.headers), body)
    return JSONResponse({"ok": True, "kept": kept})
