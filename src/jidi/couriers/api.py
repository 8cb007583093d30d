"""The couriers' JSON API: the courier app (a courier's staff session from POST /api/v1/courier/sessions, as a bearer
token), logistics partners onboarding their couriers (X-Partner-Key), the background-check provider's signed callback,
and customers' exclusive courier.

A stop is shown masked as the privacy waybill shows it; the full address of the stop being worked is opened on its
own request, audited. Another courier's task is a 403 (audited); an unknown one a 404.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, Field

from jidi import errors
from jidi.couriers import tasks as T
from jidi.couriers.service import KINDS, VEHICLE_CLASSES, Stop, WorkerIn, decode_proof
from jidi.i18n import N_, gettext_for
from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ApiUser, ContainerDep, LocaleDep
from jidi.kit.fields import Email, IdNumber, LegalName, Phone, RegionCode, Waybill, WaybillPath, plain_text
from jidi.privacy import Actor, Role
from jidi.values import ID_TYPES

router = APIRouter(tags=["courier"])

_courier_bearer = HTTPBearer(auto_error=False, scheme_name="CourierSession",
                             description="A courier's staff session token from POST /api/v1/courier/sessions")
CourierCreds = Annotated[HTTPAuthorizationCredentials | None, Depends(_courier_bearer)]
TaskId = Annotated[uuid.UUID, Path(description="The task's id")]


def _courier(c, creds: HTTPAuthorizationCredentials | None) -> Actor:
    found = c.accounts.authenticate(creds.credentials if creds else None, ("staff",))
    if found is None:
        raise errors.not_authenticated()
    if found[1] is not Role.COURIER:
        raise errors.forbidden()
    return Actor(*found)


# -- bodies ---------------------------------------------------------------------------------------------------------
class StopOut(BaseModel):
    """A stop as its courier sees it: masked like the privacy waybill."""

    id: uuid.UUID
    kind: Literal["pickup", "delivery"]
    status: str
    status_label: str
    waybill_no: str
    name: str = Field(description="At least one character hidden")
    phone: str = Field(description="Hidden: call through the virtual number")
    region: str = Field(description="Province, city and district")
    address: str = Field(description="To the road or community; the rest hidden until the stop is opened")
    window_from: dt.datetime | None = Field(description="The booked pickup window")
    window_until: dt.datetime | None
    weight_g: int
    price_fen: int
    item_category: str
    attempts: int
    reason: str | None = Field(description="Why the last delivery attempt failed")
    next_attempt_on: dt.date | None
    steps: list[str] = Field(description="The steps the task accepts now")


def stop_out(st: Stop, locale: str) -> StopOut:
    from jidi import regions  # noqa: PLC0415

    _ = gettext_for(locale)
    return StopOut(id=st.id, kind=st.kind, status=st.status, status_label=_(T.LABELS[st.status]), waybill_no=st.waybill_no,
                   name=st.name, phone=st.phone, region=regions.full_name(st.region_code, locale), address=st.address,
                   window_from=st.window_from, window_until=st.window_until, weight_g=st.weight_g, price_fen=st.price_fen,
                   item_category=st.item_category, attempts=st.attempts, reason=st.reason, next_attempt_on=st.next_attempt_on,
                   steps=list(st.steps))


class AddressOut(BaseModel):
    address: str = Field(description="The full street address of this stop (the reveal is audited)")


class ScanIn(Strict):
    waybill_no: Waybill


class PickupIn(Strict):
    """Scan to pick up: the measured weight, the price for it (confirmed), and the sender's ID unless the account's
    identity is verified."""

    weight_g: int = Field(ge=1, le=50_000)
    price_fen: int = Field(ge=0, le=100_000_000, description="The price for the measured weight (409 price_mismatch gives it)")
    id_type: Literal[ID_TYPES] | None = None  # type: ignore[valid-type]
    id_number: IdNumber | None = None
    real_name: LegalName | None = None


class StepIn(Strict):
    step: Literal["start", "refuse", "refused"] = Field(description="start: out for delivery (again); refuse: the sender showed "
                                                                     "no ID; refused: the recipient refused the parcel")


class DeliverIn(Strict):
    proof_kind: Literal[T.PROOF_KINDS] = Field(description="signature or photo (proof_image), or code")  # type: ignore[valid-type]
    proof_image: str | None = Field(None, max_length=420_000, description="PNG or JPEG, base64, up to 300 kB")
    code: str | None = Field(None, max_length=12, json_schema_extra={"pattern": "^[0-9]{6}$"}, description="The recipient's delivery code")
    delivered_as: Literal["recipient", "agent"] = "recipient"


class FailIn(Strict):
    reason: Literal[T.FAIL_REASONS]  # type: ignore[valid-type]
    next_attempt_on: dt.date | None = Field(None, strict=False, description="China date, within a week; default: tomorrow")


class DutyIn(Strict):
    on_duty: bool


class DutyOut(BaseModel):
    on_duty: bool
    location_consent: bool


class ConsentIn(Strict):
    give: bool


class Ping(Strict):
    at: AwareDatetime = Field(strict=False, description="With a UTC offset (RFC 3339)", examples=["2026-11-23T09:30:00+08:00"])
    latitude: float = Field(ge=3.0, le=54.0)
    longitude: float = Field(ge=73.0, le=136.0)
    accuracy_m: int = Field(0, ge=0, le=10_000)


class PingsIn(Strict):
    pings: list[Ping] = Field(min_length=1, max_length=500)


class PingsOut(BaseModel):
    stored: int


class QrOut(BaseModel):
    token: str = Field(description="Encode in the courier's QR code; a customer binds with it (no location needed)")


class WorkerBody(Strict):
    kind: Literal[KINDS]  # type: ignore[valid-type]
    employer: plain_text(100)  # type: ignore[valid-type]
    work_email: Email
    position: plain_text(40)  # type: ignore[valid-type]
    legal_name: LegalName
    id_type: Literal[ID_TYPES]  # type: ignore[valid-type]
    id_number: IdNumber
    regions: list[RegionCode] = Field(default_factory=list, max_length=20, description="Districts served (couriers)")
    licence_file_number: str | None = Field(None, max_length=12, json_schema_extra={"pattern": "^[0-9]{12}$"},
                                            description="Drivers: the driving licence's file number")
    vehicle_class: Literal[VEHICLE_CLASSES] | None = None  # type: ignore[valid-type]
    work_phone: Phone | None = Field(None, description="The work mobile number: a task's virtual number connects the customer "
                                                       "to it (the customer never sees it). Without it no virtual number is bound")


class OnboardedOut(BaseModel):
    worker_id: uuid.UUID
    username: str
    password: str = Field(description="Shown once: hand it to the courier, who changes it")
    totp_secret: str = Field(description="Shown once: the courier's authenticator")
    status: Literal["pending_check", "cleared", "rejected"]


class BindIn(Strict):
    token: plain_text(500)  # type: ignore[valid-type]


class NearbyIn(Strict):
    latitude: float = Field(ge=3.0, le=54.0)
    longitude: float = Field(ge=73.0, le=136.0)


class NearbyOut(BaseModel):
    token: str
    name: str


class ExclusiveOut(BaseModel):
    courier: str | None = Field(description="The exclusive courier's masked name; null: none bound")


class CodeOut(BaseModel):
    code: str | None = Field(description="Give it to the courier at the door; null: no delivery under way")


# -- the courier app ------------------------------------------------------------------------------------------------
@router.get("/courier/tasks", response_model=list[StopOut], responses=errors_for(401, 403))
def courier_tasks(c: ContainerDep, creds: CourierCreds, locale: LocaleDep) -> list[StopOut]:
    """The courier's open stops: pickups by their window, then deliveries."""
    return [stop_out(st, locale) for st in c.couriers.day(_courier(c, creds))]


@router.get("/courier/tasks/{task_id}", response_model=StopOut, responses=errors_for(401, 403, 404))
def courier_task(task_id: TaskId, c: ContainerDep, creds: CourierCreds, locale: LocaleDep) -> StopOut:
    return stop_out(c.couriers.stop(_courier(c, creds), task_id), locale)


@router.post("/courier/scans", response_model=StopOut, responses=errors_for(401, 403, 404))
def courier_scan(body: ScanIn, c: ContainerDep, creds: CourierCreds, locale: LocaleDep) -> StopOut:
    """A scanned waybill: this courier's task for it. Another courier's parcel: 403, audited."""
    return stop_out(c.couriers.scan(_courier(c, creds), body.waybill_no), locale)


@router.post("/courier/tasks/{task_id}/address", response_model=AddressOut, responses=errors_for(401, 403, 404, 409))
def courier_open_address(task_id: TaskId, c: ContainerDep, creds: CourierCreds) -> AddressOut:
    """The full address of the stop being worked (the reveal is audited)."""
    return AddressOut(address=c.couriers.open_address(_courier(c, creds), task_id))


@router.post("/courier/tasks/{task_id}/pickup", response_model=StopOut, responses=errors_for(401, 403, 404, 409, 422))
def courier_pick_up(task_id: TaskId, body: PickupIn, c: ContainerDep, creds: CourierCreds, locale: LocaleDep) -> StopOut:
    return stop_out(c.couriers.pick_up(_courier(c, creds), task_id, weight_g=body.weight_g, price_fen=body.price_fen,
                                       id_type=body.id_type, id_number=body.id_number, real_name=body.real_name), locale)


@router.post("/courier/tasks/{task_id}/steps", response_model=StopOut, responses=errors_for(401, 403, 404, 409, 422))
def courier_step(task_id: TaskId, body: StepIn, c: ContainerDep, creds: CourierCreds, locale: LocaleDep) -> StopOut:
    actor = _courier(c, creds)
    do = {"start": c.couriers.start, "refuse": c.couriers.refuse_pickup, "refused": c.couriers.recipient_refused}[body.step]
    return stop_out(do(actor, task_id), locale)


@router.post("/courier/tasks/{task_id}/delivery", response_model=StopOut, responses=errors_for(401, 403, 404, 409, 422))
def courier_deliver(task_id: TaskId, body: DeliverIn, c: ContainerDep, creds: CourierCreds, locale: LocaleDep) -> StopOut:
    actor = _courier(c, creds)
    return stop_out(c.couriers.deliver(actor, task_id, proof_kind=body.proof_kind, proof=decode_proof(body.proof_image),
                                       code=body.code, delivered_as=body.delivered_as), locale)


@router.post("/courier/tasks/{task_id}/failure", response_model=StopOut, responses=errors_for(401, 403, 404, 409, 422))
def courier_fail(task_id: TaskId, body: FailIn, c: ContainerDep, creds: CourierCreds, locale: LocaleDep) -> StopOut:
    return stop_out(c.couriers.fail(_courier(c, creds), task_id, body.reason, body.next_attempt_on), locale)


@router.put("/courier/duty", response_model=DutyOut, responses=errors_for(401, 403))
def courier_duty(body: DutyIn, c: ContainerDep, creds: CourierCreds) -> DutyOut:
    actor = _courier(c, creds)
    c.couriers.set_duty(actor, body.on_duty)
    me = c.couriers.me(actor)
    return DutyOut(on_duty=me.on_duty, location_consent=me.location_consent)


@router.put("/courier/location-consent", response_model=DutyOut, responses=errors_for(401, 403))
def courier_location_consent(body: ConsentIn, c: ContainerDep, creds: CourierCreds, locale: LocaleDep) -> DutyOut:
    """Give or withdraw the separate consent to on-duty location."""
    actor = _courier(c, creds)
    c.couriers.set_location_consent(actor, body.give, locale, how="api")
    me = c.couriers.me(actor)
    return DutyOut(on_duty=me.on_duty, location_consent=me.location_consent)


@router.post("/courier/pings", status_code=201, response_model=PingsOut, responses=errors_for(401, 403, 409, 422))
def courier_pings(body: PingsIn, c: ContainerDep, creds: CourierCreds) -> PingsOut:
    """Location pings while on duty, with consent (409 off_duty, 403 location_consent_required otherwise)."""
    actor = _courier(c, creds)
    return PingsOut(stored=c.couriers.record_pings(actor, [(p.at, p.latitude, p.longitude, p.accuracy_m) for p in body.pings]))


@router.get("/courier/qr", response_model=QrOut, responses=errors_for(401, 403))
def courier_qr(c: ContainerDep, creds: CourierCreds) -> QrOut:
    return QrOut(token=c.couriers.qr_token(_courier(c, creds)))


# -- partners and the background-check provider ---------------------------------------------------------------------
@router.post("/partners/couriers", status_code=201, response_model=OnboardedOut, tags=["partners"], responses=errors_for(401, 422))
def partner_onboard(body: WorkerBody, c: ContainerDep, x_partner_key: Annotated[str | None, Header(max_length=200)] = None) -> OnboardedOut:
    """A logistics partner creates one of its couriers or drivers (CN-3.3.2); order-taking waits for the background check."""
    partner_id = c.couriers.partner_for_key(x_partner_key)
    out = c.couriers.onboard(WorkerIn(**body.model_dump()), partner_id=partner_id)
    return OnboardedOut(worker_id=out.worker_id, username=out.username, password=out.password, totp_secret=out.totp_secret,
                        status=c.couriers.status_of(out.worker_id))


@router.delete("/partners/couriers/{worker_id}", status_code=204, tags=["partners"], responses=errors_for(401, 404))
def partner_end(worker_id: Annotated[uuid.UUID, Path()], c: ContainerDep,
                x_partner_key: Annotated[str | None, Header(max_length=200)] = None) -> Response:
    c.couriers.end_employment(None, worker_id, partner_id=c.couriers.partner_for_key(x_partner_key))
    return Response(status_code=204)


@router.post("/couriers/background-checks/callback", status_code=204, tags=["partners"], responses=errors_for(401, 404, 422))
async def background_check_callback(request: Request, c: ContainerDep,
                                    jidi_signature: Annotated[str | None, Header(max_length=200)] = None) -> Response:
    """The background-check provider's signed answer (see jidi.couriers.checks)."""
    body = await request.body()
    if len(body) > 4096:
        raise errors.invalid_field(N_("callback body"))
    c.couriers.check_callback(body, jidi_signature)
    return Response(status_code=204)


# -- customers: exclusive courier (JD-1.1.2(3)) and the delivery code ---------------------------------------------------
@router.get("/me/exclusive-courier", response_model=ExclusiveOut, tags=["exclusive courier"], responses=errors_for(401))
def my_exclusive(user: ApiUser, c: ContainerDep) -> ExclusiveOut:
    return ExclusiveOut(courier=c.couriers.exclusive(user.id))


@router.put("/me/exclusive-courier", response_model=ExclusiveOut, tags=["exclusive courier"], responses=errors_for(401, 404, 422))
def bind_exclusive(body: BindIn, user: ApiUser, c: ContainerDep) -> ExclusiveOut:
    """Bind by the courier's QR code token (or a token from /nearby)."""
    c.couriers.bind(user.id, body.token)
    return ExclusiveOut(courier=c.couriers.exclusive(user.id))


@router.delete("/me/exclusive-courier", status_code=204, tags=["exclusive courier"], responses=errors_for(401))
def unbind_exclusive(user: ApiUser, c: ContainerDep) -> Response:
    c.couriers.unbind(user.id)
    return Response(status_code=204)


@router.post("/me/exclusive-courier/nearby", response_model=list[NearbyOut], tags=["exclusive courier"], responses=errors_for(401, 403))
def nearby_couriers(body: NearbyIn, user: ApiUser, c: ContainerDep) -> list[NearbyOut]:
    """Couriers serving the district you are in (location used once, not stored; refused if location is off)."""
    return [NearbyOut(token=n.token, name=n.name) for n in c.couriers.nearby(user.id, body.latitude, body.longitude)]


@router.get("/me/deliveries/{waybill_no}/code", response_model=CodeOut, tags=["exclusive courier"], responses=errors_for(401, 404))
def delivery_code(waybill_no: WaybillPath, user: ApiUser, c: ContainerDep) -> CodeOut:
    """The recipient's delivery code for a parcel on its way to them."""
    return CodeOut(code=c.couriers.recipient_code(user.id, waybill_no))
