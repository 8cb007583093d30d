"""The courier's virtual number in the API: the customer's side of an order gets the number to call the courier on."""
from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from jidi import errors
from jidi.kit.api import errors_for
from jidi.kit.deps import ApiUser, ContainerDep
from jidi.kit.fields import WaybillPath

router = APIRouter(tags=["virtual numbers"])


class CourierNumberOut(BaseModel):
    virtual_number: str | None = Field(description="Call the courier on this number (a virtual number: neither side sees "
                                                   "the other's own number); none while no courier task is open")
    expires_at: dt.datetime | None = Field(description="When the number stops connecting you to the courier")
    task_open: bool = Field(description="The courier's task is still open (after it closes the number works a while longer)")


@router.get("/orders/{waybill_no}/courier-number", response_model=CourierNumberOut, responses=errors_for(401, 404))
def courier_number(waybill_no: WaybillPath, user: ApiUser, c: ContainerDep) -> CourierNumberOut:
    """The courier's virtual number for my side of the order (CN-3.4.7): the sender's before pickup, the recipient's
    for the delivery."""
    found = c.virtual_numbers.for_order(user.id, waybill_no)
    if found is None:
        return CourierNumberOut(virtual_number=None, expires_at=None, task_open=False)
    return CourierNumberOut(virtual_number=found.virtual_number, expires_at=found.expires_at, task_open=found.task_open)


class CallRecordKept(BaseModel):
    ok: bool
    kept: bool = Field(description="False for a replay (the same call id) or a binding no longer here")


_CALLBACK_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "The provider's call record: call_id, sub_id, out_id (our reference), caller_side (A or B), "
    "start_time, release_time (Unix seconds), release_cause (answered | no_answer | busy | failed); any numbers it carries "
    "are not read"}}}}}


@router.post("/callbacks/virtual-numbers/call-records", response_model=CallRecordKept, responses=errors_for(401),
             openapi_extra=_CALLBACK_BODY)
async def call_record(request: Request, c: ContainerDep) -> CallRecordKept:
    """The virtual-number provider's call-record callback, signed with the secret we share (headers `X-Vn-Timestamp`,
    `X-Vn-Nonce`, `X-Vn-Signature` = hex HMAC-SHA256 over "timestamp\\nnonce\\nbody", within 5 minutes): anything else
    is refused with 401 `callback_invalid` and nothing is written."""
    body = await request.body()
    if len(body) > 8192:
        raise errors.invalid_field("body")
    return CallRecordKept(ok=True, kept=c.virtual_numbers.record_call(dict(request.headers), body))
