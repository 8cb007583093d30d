"""The JSON API for waybill lookup by phone proof and for family numbers (JD-1.1.2(2)).

Lookup needs no login: ask for a code with the waybill number and the sender's or recipient's full mobile
number (always the same 202 answer), then look the parcel up with the code (one error, `lookup_failed`,
whatever was wrong). Family numbers need a bearer token; the relative's number is always shown masked.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from jidi.family import service
from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ApiUser, ContainerDep, LocaleDep, client_address
from jidi.kit.fields import PHONE_EXAMPLE, WAYBILL_EXAMPLE, Phone, SmsCode, Waybill, WaybillPath, plain_text
from jidi.shipping.api import OrderOut, order_out

router = APIRouter(tags=["lookup and family numbers"])

BindingId = Annotated[str, Path(max_length=36, description="The binding's id (a UUID)", examples=["3f0c6f5e-2f4b-4d7e-9a59-0d3f2f1b9c11"])]
RelativeRole = Literal["parent", "spouse", "child", "sibling", "grandparent", "other"]


# -- lookup ----------------------------------------------------------------------------------------------
AnyWaybill = plain_text(30, examples=[WAYBILL_EXAMPLE], description="The waybill number")
AnyPhone = plain_text(20, examples=[PHONE_EXAMPLE], description="The sender's or the recipient's full mobile number")


class LookupCodeRequest(Strict):
    # Whatever is sent, the answer is the same 202 (a malformed number included): nothing about a waybill or a number
    # is told, so the fields are documented as the plain text they are taken as.
    waybill_no: AnyWaybill
    phone: AnyPhone


class LookupCodeAnswer(BaseModel):
    detail: str = Field(description="Always the same: whether a code was sent is not told")
    expires_in_seconds: int


class LookupRequest(Strict):
    waybill_no: Waybill
    phone: Phone
    code: SmsCode = Field(description="The 6-digit code sent to that number")


LOOKUP_CODE_DETAIL = "If the number is the sender's or the recipient's on this waybill, a code was sent to it."


@router.post("/lookup/codes", status_code=202, response_model=LookupCodeAnswer, responses=errors_for(429))
def request_lookup_code(body: LookupCodeRequest, request: Request, c: ContainerDep, loc: LocaleDep) -> LookupCodeAnswer:
    """Ask for a lookup code (JD-1.1.2(2)b). The answer never tells whether the waybill exists or the number is on it."""
    c.lookup.request_code(body.waybill_no, body.phone, client_address(request), loc)
    return LookupCodeAnswer(detail=LOOKUP_CODE_DETAIL, expires_in_seconds=c.settings.sms_code_ttl_seconds)


@router.post("/lookup", response_model=OrderOut, responses=errors_for(400, 429))
def lookup(body: LookupRequest, request: Request, c: ContainerDep) -> OrderOut:
    """A parcel's details, masked, to whoever proves its sender's or recipient's number (`lookup_failed` otherwise)."""
    return order_out(c.lookup.lookup(body.waybill_no, body.phone, body.code, client_address(request)))


# -- family numbers --------------------------------------------------------------------------------------
class BindingIn(Strict):
    role: RelativeRole = Field(description="Who the relative is to you")
    phone: Phone = Field(description="The relative's mobile number: the code is sent there")


class CodeIn(Strict):
    code: SmsCode = Field(description="The code your relative received")


class BindingOut(BaseModel):
    id: str
    role: RelativeRole
    phone: str | None = Field(description="The relative's number, masked: 138****5678")
    status: Literal["pending", "active"]
    created_at: dt.datetime
    activated_at: dt.datetime | None


class BindingCodeSent(BaseModel):
    binding: BindingOut
    resend_after_seconds: int
    expires_in_seconds: int


class CodeResent(BaseModel):
    resend_after_seconds: int
    expires_in_seconds: int


class FamilyParcelOut(BaseModel):
    order: OrderOut
    can_collect: bool = Field(description="Out for delivery or waiting in a locker or station, and not collected yet")
    proxy_collected_at: dt.datetime | None = Field(description="When you collected it on your relative's behalf")


class FamilyGroupOut(BaseModel):
    binding: BindingOut
    parcels: list[FamilyParcelOut]


class WatcherOut(BaseModel):
    id: str
    role: RelativeRole = Field(description="Who you are to them, as they said")
    binder_phone: str | None = Field(description="Their number, masked")
    status: Literal["pending", "active"]
    created_at: dt.datetime
    activated_at: dt.datetime | None


def _binding(b: service.BindingView) -> BindingOut:
    return BindingOut(id=str(b.id), role=b.role, phone=b.phone and b.phone.masked, status=b.status, created_at=b.created_at,
                      activated_at=b.activated_at)


def _parcel(p: service.FamilyParcel) -> FamilyParcelOut:
    return FamilyParcelOut(order=order_out(p.order), can_collect=p.can_collect, proxy_collected_at=p.proxy_collected_at)


@router.get("/family", response_model=list[BindingOut], responses=errors_for(401))
def list_bindings(user: ApiUser, c: ContainerDep) -> list[BindingOut]:
    """My family numbers, pending and active."""
    return [_binding(b) for b in c.family.bindings(user.id)]


@router.post("/family", status_code=202, response_model=BindingCodeSent, responses=errors_for(401, 409, 429))
def bind(body: BindingIn, request: Request, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> BindingCodeSent:
    """Bind a relative's number (JD-1.1.2(2)c): a code goes to it; the binding is pending until you enter the code."""
    b, wait = c.family.bind(user.id, body.role, body.phone, client_address(request), loc)
    return BindingCodeSent(binding=_binding(b), resend_after_seconds=wait, expires_in_seconds=c.settings.sms_code_ttl_seconds)


@router.post("/family/{binding_id}/code", status_code=202, response_model=CodeResent, responses=errors_for(401, 404, 429))
def resend_code(binding_id: BindingId, request: Request, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> CodeResent:
    wait = c.family.resend(user.id, binding_id, client_address(request), loc)
    return CodeResent(resend_after_seconds=wait, expires_in_seconds=c.settings.sms_code_ttl_seconds)


@router.post("/family/{binding_id}/activate", response_model=BindingOut, responses=errors_for(400, 401, 404, 409))
def activate(binding_id: BindingId, body: CodeIn, user: ApiUser, c: ContainerDep) -> BindingOut:
    """Enter the code your relative received: that is their authorisation (JD-1.1.2(2)d)."""
    return _binding(c.family.activate(user.id, binding_id, body.code))


@router.post("/family/{binding_id}/end", status_code=204, responses=errors_for(401, 404))
def end(binding_id: BindingId, user: ApiUser, c: ContainerDep) -> Response:
    """End (or cancel) a family number now: their parcels disappear from your view at once."""
    c.family.end(user.id, binding_id)
    return Response(status_code=204)


@router.get("/family/parcels", response_model=list[FamilyGroupOut], responses=errors_for(401))
def family_parcels(user: ApiUser, c: ContainerDep) -> list[FamilyGroupOut]:
    """My relatives' incoming parcels (JD-1.1.2(2)e), per active family number, created after its activation, masked."""
    return [FamilyGroupOut(binding=_binding(g.binding), parcels=[_parcel(p) for p in g.parcels]) for g in c.family.parcels(user.id)]


@router.post("/family/parcels/{waybill_no}/collect", response_model=FamilyParcelOut, responses=errors_for(401, 404, 409))
def collect(waybill_no: WaybillPath, user: ApiUser, c: ContainerDep) -> FamilyParcelOut:
    """Mark a relative's parcel as collected on their behalf (代取)."""
    return _parcel(c.family.collect(user.id, waybill_no))


@router.get("/family/watchers", response_model=list[WatcherOut], responses=errors_for(401))
def watchers(user: ApiUser, c: ContainerDep) -> list[WatcherOut]:
    """People who can see my parcels through a family number on my verified mobile number (or are waiting for my code)."""
    return [WatcherOut(id=str(w.id), role=w.role, binder_phone=w.binder_phone and w.binder_phone.masked, status=w.status,
                       created_at=w.created_at, activated_at=w.activated_at) for w in c.family.watchers(user.id)]


@router.post("/family/watchers/{binding_id}/end", status_code=204, responses=errors_for(401, 404))
def end_watcher(binding_id: BindingId, user: ApiUser, c: ContainerDep) -> Response:
    """As the relative: stop someone seeing my parcels, with immediate effect."""
    c.family.end_as_relative(user.id, binding_id)
    return Response(status_code=204)
