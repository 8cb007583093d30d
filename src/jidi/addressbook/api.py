"""The address-book JSON API (JD-1.1.2(4)). Lists and entries are masked; opening one in full is audited.

Every answer about entering or keeping another person's details carries `consent_notice`: the user must
have that person's agreement (JD-1.1, JD-1.1.2(1)b, CN-3.3.3).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field, StrictBool
from starlette.exceptions import HTTPException as StarletteHTTPException

from jidi import errors, regions
from jidi.addressbook import service
from jidi.i18n import gettext_for
from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ApiUser, ContainerDep, LocaleDep
from jidi.kit.fields import PersonName, Phone, RegionCode, StreetAddress, plain_text

router = APIRouter(tags=["address book"])

EntryId = Annotated[str, Path(max_length=36, description="The entry's id (a UUID)", examples=["3f0c6f5e-2f4b-4d7e-9a59-0d3f2f1b9c11"])]
Kind = Literal["sender", "recipient"]
REGION_EXAMPLE = "110108"


class RegionOut(BaseModel):
    code: str = Field(description="GB/T 2260 code", examples=[REGION_EXAMPLE])
    province: str
    city: str | None = Field(description="None for a district of a municipality or a county-level city under a province")
    district: str | None = Field(description="None for a city without districts (e.g. 东莞市)")


class EntryIn(Strict):
    kind: Kind
    name: PersonName
    phone: Phone
    region_code: RegionCode
    detail: StreetAddress
    is_default: StrictBool = Field(False, description="Make this the default sender (or recipient); the previous default stops being one")


class EntryOut(BaseModel):
    id: str
    kind: Kind
    name: str = Field(description="Masked, e.g. 张*")
    phone: str = Field(description="Masked, e.g. 138****5678")
    region: RegionOut
    address: str = Field(description="Masked down to the district, e.g. 北京市海淀区****")
    is_default: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class EntryDetailOut(EntryOut):
    consent_notice: str


class EntryList(BaseModel):
    entries: list[EntryOut]
    consent_notice: str


class EntryFullOut(BaseModel):
    id: str
    kind: Kind
    name: str
    phone: str
    region: RegionOut
    detail: str
    is_default: bool
    consent_notice: str


PastedContact = plain_text(500, description="A pasted contact: name, mobile number and address in any order",
                           examples=["王先生 13800000000 北京市海淀区苏州街3号"])


class PasteIn(Strict):
    text: PastedContact


class PasteOut(BaseModel):
    name: str | None
    phone: str | None
    region: RegionOut | None = Field(description="The most precise region recognised; it may be only a province or a city")
    detail: str | None
    complete: bool = Field(description="Every field was found and the region is precise enough: review and save")
    consent_notice: str


class RegionItem(BaseModel):
    code: str
    name: str
    leaf: bool = Field(description="Precise enough for an address (nothing under it)")


class RegionList(BaseModel):
    parent: RegionOut | None
    regions: list[RegionItem]


def _region(code: str | None) -> RegionOut | None:
    names = regions.lookup(code) if code else None
    if names is None:
        return None
    return RegionOut(code=code, province=names.province, city=names.city, district=names.district)


def _out(v: service.EntryView) -> dict:
    return dict(id=str(v.id), kind=v.kind, name=v.name.masked, phone=v.phone.masked, region=_region(v.region_code),
                address=v.address, is_default=v.is_default, created_at=v.created_at, updated_at=v.updated_at)


def _notice(loc: str) -> str:
    return gettext_for(loc)(service.CONSENT_NOTICE)


def _data(body: EntryIn) -> service.EntryData:
    return service.validate(body.kind, body.name, body.phone, body.region_code, body.detail, body.is_default)


@router.get("/address-book", response_model=EntryList, responses=errors_for(401))
def list_entries(user: ApiUser, c: ContainerDep, loc: LocaleDep) -> EntryList:
    """Your saved senders and recipients, masked: recipients then senders, defaults first."""
    entries = sorted(c.addressbook.list(user.id), key=lambda v: v.kind != "recipient")
    return EntryList(entries=[EntryOut(**_out(v)) for v in entries], consent_notice=_notice(loc))


@router.post("/address-book", status_code=201, response_model=EntryDetailOut, responses=errors_for(401, 409))
def create_entry(body: EntryIn, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> EntryDetailOut:
    """Save a sender or recipient. Name, phone and address are required and typed by hand (JD-1.1.2(4)a)."""
    entry_id = c.addressbook.create(user.id, _data(body))
    return EntryDetailOut(**_out(c.addressbook.get(user.id, entry_id)), consent_notice=_notice(loc))


@router.post("/address-book/parse", response_model=PasteOut, responses=errors_for(401))
def parse_paste(body: PasteIn, user: ApiUser, loc: LocaleDep) -> PasteOut:
    """Split a pasted contact into fields for you to review. Nothing is stored or logged."""
    p = service.AddressBook.parse(body.text)
    complete = bool(p.name and p.phone and p.detail and p.region_code and regions.is_leaf(p.region_code))
    return PasteOut(name=p.name, phone=p.phone, region=_region(p.region_code), detail=p.detail, complete=complete,
                    consent_notice=_notice(loc))


@router.api_route("/address-book/parse", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def parse_wrong_method() -> None:
    # Without this, GET /address-book/parse would reach GET /address-book/{entry_id} and answer 404, not 405.
    raise StarletteHTTPException(405)


@router.get("/address-book/{entry_id}", response_model=EntryDetailOut, responses=errors_for(401, 404))
def get_entry(entry_id: EntryId, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> EntryDetailOut:
    return EntryDetailOut(**_out(c.addressbook.get(user.id, entry_id)), consent_notice=_notice(loc))


@router.post("/address-book/{entry_id}/reveal", response_model=EntryFullOut, responses=errors_for(401, 403, 404))
def reveal_entry(entry_id: EntryId, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> EntryFullOut:
    """One of your entries in full, e.g. to edit it. Recorded in the access log."""
    e = c.addressbook.open(user.actor, entry_id)
    return EntryFullOut(id=str(e.id), kind=e.kind, name=e.name, phone=e.phone, region=_region(e.region_code), detail=e.detail,
                        is_default=e.is_default, consent_notice=_notice(loc))


@router.put("/address-book/{entry_id}", response_model=EntryDetailOut, responses=errors_for(401, 404))
def update_entry(entry_id: EntryId, body: EntryIn, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> EntryDetailOut:
    """Replace an entry (every field, like creating it)."""
    c.addressbook.update(user.id, entry_id, _data(body))
    return EntryDetailOut(**_out(c.addressbook.get(user.id, entry_id)), consent_notice=_notice(loc))


@router.put("/address-book/{entry_id}/default", response_model=EntryDetailOut, responses=errors_for(401, 404))
def set_default(entry_id: EntryId, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> EntryDetailOut:
    """Make this entry your default sender (or recipient)."""
    c.addressbook.set_default(user.id, entry_id)
    return EntryDetailOut(**_out(c.addressbook.get(user.id, entry_id)), consent_notice=_notice(loc))


@router.delete("/address-book/{entry_id}", status_code=204, responses=errors_for(401, 404))
def delete_entry(entry_id: EntryId, user: ApiUser, c: ContainerDep) -> Response:
    """Delete an entry; its data becomes unreadable everywhere, backups included."""
    c.addressbook.delete(user.id, entry_id)
    return Response(status_code=204)


def _children(code: str | None) -> list[RegionItem]:
    return [RegionItem(code=r.code, name=r.name, leaf=regions.is_leaf(r.code)) for r in regions.children(code)]


@router.get("/regions", response_model=RegionList)
def list_provinces() -> RegionList:
    """The provinces (GB/T 2260); open one with GET /regions/{code} for its cities, then districts."""
    return RegionList(parent=None, regions=_children(None))


@router.get("/regions/{code}", response_model=RegionList, responses=errors_for(404))
def list_region(code: Annotated[str, Path(max_length=12, examples=["110000"])]) -> RegionList:
    """A division and the divisions directly under it; `leaf` ones are precise enough for an address."""
    if regions.get(code) is None:
        raise errors.not_found()
    return RegionList(parent=_region(code), regions=_children(code))
