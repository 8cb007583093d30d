"""Lockers and stations in the API. Points' devices (a locker's controller, a station's scanner) authenticate with the
point's API key (X-Api-Key): leave a parcel, hand one over against its pickup code. Customers: the list of points,
their standing choice, a choice per parcel, and the pickup code of a parcel waiting for them."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field

from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ApiUser, ContainerDep, client_address
from jidi.kit.fields import WAYBILL_EXAMPLE, Waybill, WaybillPath
from jidi.stations import service

router = APIRouter(tags=["lockers and stations"])
ApiKey = Annotated[str | None, Header(max_length=200, description="The service point's API key")]
PointCode = Annotated[str, Field(min_length=1, max_length=24, pattern=r"^[A-Za-z0-9-]+$", examples=["SH-ZJ-L01"])]


class PointOut(BaseModel):
    code: str
    kind: Literal["station", "locker"]
    name: str
    operator_name: str
    region_code: str
    address: str
    latitude: float = Field(description="GCJ-02")
    longitude: float = Field(description="GCJ-02")
    hours: str
    holding_days: int


def _point(p: service.PointView) -> PointOut:
    return PointOut(code=p.code, kind=p.kind, name=p.name, operator_name=p.operator_name, region_code=p.region_code,  # type: ignore[arg-type]
                    address=p.address, latitude=p.latitude, longitude=p.longitude, hours=p.hours, holding_days=p.holding_days)


class StandingIn(Strict):
    allow_locker: bool = Field(description="Parcels to my number may be left in a parcel locker")
    allow_station: bool = Field(description="… or at a service station")
    point_code: PointCode | None = Field(None, description="Only at this point (of an allowed kind)")


class StandingOut(BaseModel):
    allow_locker: bool
    allow_station: bool
    point: PointOut | None


class ChoiceIn(Strict):
    choice: Literal["door", "locker", "station"]
    point_code: PointCode | None = Field(None, description="For locker or station: only this point")


class ChoiceOut(BaseModel):
    choice: Literal["door", "locker", "station"]


class DepositIn(Strict):
    waybill_no: Waybill = Field(examples=[WAYBILL_EXAMPLE])


class CollectIn(Strict):
    code: str = Field(min_length=1, max_length=10, pattern=r"^[0-9]+$", description="The 6-digit pickup code", examples=["123456"])


class HeldOut(BaseModel):
    waybill_no: str
    point: PointOut
    status: Literal["held", "collected", "returned"]
    held_at: dt.datetime
    due_at: dt.datetime = Field(description="The end of the holding period: after it the parcel goes back to the sender")
    collected_at: dt.datetime | None


class PickupOut(BaseModel):
    held: HeldOut | None
    code: str | None = Field(description="The pickup code while the parcel waits")


def _held(h: service.HeldView) -> HeldOut:
    return HeldOut(waybill_no=h.waybill_no, point=_point(h.point), status=h.status, held_at=h.held_at, due_at=h.due_at,  # type: ignore[arg-type]
                   collected_at=h.collected_at)


def _standing(v: service.StandingView) -> StandingOut:
    return StandingOut(allow_locker=v.allow_locker, allow_station=v.allow_station, point=_point(v.point) if v.point else None)


@router.get("/service-points", response_model=list[PointOut])
def points(c: ContainerDep) -> list[PointOut]:
    """Service stations and parcel lockers (public business data)."""
    return [_point(p) for p in c.stations.points()]


@router.get("/delivery-preferences", response_model=StandingOut, responses=errors_for(401))
def get_standing(user: ApiUser, c: ContainerDep) -> StandingOut:
    """My standing choice: may parcels to my number be left in a locker or station (off unless I say so)."""
    return _standing(c.stations.standing(user.id))


@router.put("/delivery-preferences", response_model=StandingOut, responses=errors_for(401, 409))
def put_standing(body: StandingIn, user: ApiUser, c: ContainerDep) -> StandingOut:
    return _standing(c.stations.set_standing(user.id, body.allow_locker, body.allow_station, body.point_code))


@router.put("/orders/{waybill_no}/delivery-choice", response_model=ChoiceOut, responses=errors_for(401, 403, 404, 409))
def choose(waybill_no: WaybillPath, body: ChoiceIn, user: ApiUser, c: ContainerDep) -> ChoiceOut:
    """As the recipient: deliver this parcel to the door, or into a locker or station (overrides the standing choice)."""
    return ChoiceOut(choice=c.stations.choose(user.id, waybill_no, body.choice, body.point_code))  # type: ignore[arg-type]


@router.get("/orders/{waybill_no}/pickup", response_model=PickupOut, responses=errors_for(401, 404))
def pickup(waybill_no: WaybillPath, user: ApiUser, c: ContainerDep) -> PickupOut:
    """As the recipient: where my parcel waits and its pickup code (none when it is not at a locker or station)."""
    found = c.stations.pickup_for(user.id, waybill_no)
    return PickupOut(held=_held(found.held) if found else None, code=found.code if found else None)


@router.post("/service-points/parcels", status_code=201, response_model=HeldOut, responses=errors_for(401, 404, 409))
def deposit(body: DepositIn, c: ContainerDep, x_api_key: ApiKey = None) -> HeldOut:
    """The point's device: a parcel was left here. Refused (`point_consent_missing`) unless its recipient agreed to
    delivery into a locker or station; then the route records it and the pickup code goes out by SMS."""
    point = c.stations.point_for_key(x_api_key)
    return _held(c.stations.deposit(point, body.waybill_no))


@router.post("/service-points/collect", response_model=HeldOut, responses=errors_for(400, 401, 429))
def collect(body: CollectIn, request: Request, c: ContainerDep, x_api_key: ApiKey = None) -> HeldOut:
    """The point's device: the parcel with this pickup code is handed over. Wrong codes are limited (429)."""
    point = c.stations.point_for_key(x_api_key)
    return _held(c.stations.collect(point, body.code, client_address(request)))
