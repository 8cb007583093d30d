"""The tracking JSON API: batch ingestion of route events (scanners, partner systems) and the public lookup.

POST /api/v1/tracking/events takes up to 1,000 events. How bad input is answered:

* the batch as a whole is refused with 422 (nothing stored) when it is not a JSON object of the documented
  shape: not JSON, more than 1,000 events, an item missing a field, with a field of the wrong type or length,
  an unknown key, a control character or a time without a UTC offset. Such a batch comes from a broken client,
  and refusing it whole means nothing half-understood is stored; the answer names the items and their fields
  (`error.items`), never the values. Resending the fixed batch is safe: ingestion is idempotent;
* everything else is judged per event, and the rest of the batch goes on: an unknown action, a malformed or
  unknown waybill number, a delivery without how it was signed for, an exception without a known code, an
  event time in the future (beyond 5 minutes of clock skew) or before 2000, an event id repeated inside the
  batch, an unpaid or cancelled order, a change of status the order cannot make. Each gets `rejected` with a
  code and a reason; an event id already stored for this source gets `duplicate`; the others `accepted`.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
import pydantic_core
from starlette.exceptions import HTTPException as StarletteHTTPException

from jidi.i18n import N_, gettext_for, join_list
from jidi.kit.api import ErrorDetail, errors_for
from jidi.kit.deps import ContainerDep, LocaleDep, client_address
from jidi.kit.fields import WaybillPath
from jidi.shipping import states
from jidi.tracking import events as ev
from jidi.tracking.service import MAX_BATCH, REASONS, TrackView
from jidi.values import PLAIN_TEXT_PATTERN

router = APIRouter(tags=["tracking"])
MAX_BODY_BYTES = 2 * 1024 * 1024
# Text a person reads (site names): no control, formatting or bidirectional-override characters.
_CODE = r"^[A-Za-z0-9_.:-]+$"


class EventIn(BaseModel):
    """One route event. There is deliberately no free-text field: jidi writes the description people read."""

    model_config = ConfigDict(extra="forbid", strict=True, title="RouteEventIn")

    event_id: str = Field(min_length=1, max_length=64, pattern=_CODE, examples=["scan-2026-000001"],
                          description="The scanner's or partner's own id for this event; unique per source (idempotency key)")
    waybill_no: str = Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9 -]+$", examples=["JD1234567890128"])
    event_time: AwareDatetime = Field(description="When it happened, with a UTC offset (RFC 3339)",
                                      examples=["2026-11-23T09:30:00+08:00"])
    action: str = Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$", examples=["arrived_facility"],
                        description="One of: " + ", ".join(ev.ACTIONS) + ". An unknown action rejects only this event.")
    site_code: str = Field(min_length=1, max_length=32, pattern=_CODE, examples=["BJ-HD-01"],
                           description="The facility, station or locker bank")
    site_name: str = Field(min_length=1, max_length=60, pattern=PLAIN_TEXT_PATTERN, examples=["北京海淀分拣中心"])
    operator: str | None = Field(None, min_length=1, max_length=32, pattern=_CODE, examples=["C10023"],
                                 description="Internal staff or courier code: never a name or a phone number")
    delivered_as: str | None = Field(None, min_length=1, max_length=16, pattern=r"^[a-z_]+$",
                                     description="Delivered events only: " + ", ".join(states.DELIVERED_AS))
    exception: str | None = Field(None, min_length=1, max_length=24, pattern=r"^[a-z_]+$",
                                  description="Exception events only: " + ", ".join(states.EXCEPTIONS))


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


def _batch_schema() -> dict:
    item = EventIn.model_json_schema()
    return {
        "title": "RouteEventBatch", "type": "object", "additionalProperties": False, "required": ["events"],
        "properties": {"events": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": item,
                                  "description": f"1 to {MAX_BATCH} route events"}},
    }


class EventResultOut(BaseModel):
    event_id: str
    result: Literal["accepted", "duplicate", "rejected"]
    code: str | None = Field(description="Why it was rejected, e.g. unknown_waybill, invalid_transition, real_name_pickup_required")
    reason: str | None = Field(description="The same, in the request's language")
    applied: bool = Field(description="Accepted and moved the order's status (or flagged its exception); false for an event "
                                      "older than the order's current status, which only joins the route")
    allowed_actions: list[str] | None = Field(description="For `invalid_transition`: the actions the order accepts now (see "
                                                          "the table of transitions above)")


class BatchOut(BaseModel):
    accepted: int
    duplicate: int
    rejected: int
    results: list[EventResultOut] = Field(description="One per event, in the order sent")


class ItemProblem(BaseModel):
    index: int = Field(description="Position of the event in the batch (from 0)")
    fields: list[str]


class BatchErrorDetail(ErrorDetail):
    items: list[ItemProblem] | None = None


class BatchErrorResponse(BaseModel):
    error: BatchErrorDetail


class PlaceOut(BaseModel):
    province: str | None
    city: str | None


class RouteStopOut(BaseModel):
    time: dt.datetime
    action: str
    site_name: str
    description: str = Field(description="Written by jidi from the action and the site, in the request's language")


class TrackOut(BaseModel):
    waybill_no: str
    status: str
    status_label: str
    exception: str | None
    exception_label: str | None
    delivered_as: str | None
    delivered_as_label: str | None
    service_type: str
    origin: PlaceOut = Field(description="Province and city only")
    destination: PlaceOut = Field(description="Province and city only")
    placed_at: dt.datetime
    events: list[RouteStopOut] = Field(description="The route by event time, oldest first")


def _item_fields(errors: list[dict]) -> tuple[list[str], list[ItemProblem]]:
    """The fields a validation error is about, as the client may be told them (never a value it sent)."""
    declared = set(EventIn.model_fields)
    top: set[str] = set()
    items: dict[int, set[str]] = {}
    for err in errors:
        loc = err.get("loc", ())
        if err.get("type") == "json_invalid" or not loc:
            top.add("body")
        elif loc[0] == "events":
            top.add("events")
            if len(loc) >= 2 and isinstance(loc[1], int):
                name = str(loc[2]) if len(loc) >= 3 else "item"
                items.setdefault(loc[1], set()).add(name if name in declared else "item")
        else:
            top.add("body")  # an unknown top-level key is whatever the client sent: not named
    problems = [ItemProblem(index=i, fields=sorted(f)) for i, f in sorted(items.items())][:100]
    return sorted(top), problems


def _invalid(request: Request, fields: list[str], items: list[ItemProblem] | None = None) -> JSONResponse:
    message = gettext_for(request.state.locale)(N_("Some fields are missing or invalid: {fields}.")).format(
        fields=join_list(fields, request.state.locale))
    error = {"code": "invalid_input", "message": message, "fields": fields}
    if items:
        error["items"] = [p.model_dump() for p in items]
    return JSONResponse({"error": error}, status_code=422)


async def _body(request: Request) -> bytes | None:
    """The raw body, or None when it is too large."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _transitions() -> str:
    """The table of which action an order accepts in which status, for the endpoint's documentation."""
    rows = [f"| `{status}` | {', '.join(f'`{a}`' for a in actions) or 'none'} |" for status, actions in ev.NEXT_ACTIONS.items()]
    targets = ", ".join(f"`{a}` → `{t}`" for a, t in ev.TARGET.items() if t)
    return (
        "\n\n**Transitions.** Each action moves the order to a status (" + targets + "; facility scans of a returning "
        "parcel keep it `returning`; `exception` flags the order without moving it). An event that the order's current "
        "status does not accept is rejected as `invalid_transition`, with the actions it accepts in `allowed_actions`. A "
        "parcel enters the network only through a courier's real-name pickup (`POST /api/v1/courier/pickups`), never "
        "through a scan; a second scan of the step an order is at joins the route without moving it.\n\n"
        "| order status | actions accepted next |\n|---|---|\n" + "\n".join(rows)
    )


def _reason(gettext, r) -> str | None:
    if not r.code:
        return None
    if r.allowed is None:
        return gettext(REASONS[r.code])
    return gettext(REASONS[r.code]).format(actions=", ".join(r.allowed) or gettext(N_("none")))


# Examples in the OpenAPI (and so in /api/docs): a batch, and what each kind of result looks like.
_BATCH_EXAMPLE = {"events": [
    {"event_id": "scan-2026-000001", "waybill_no": "JD1234567890128", "event_time": "2026-11-23T09:30:00+08:00",
     "action": "arrived_facility", "site_code": "BJ-HD-01", "site_name": "北京海淀分拣中心", "operator": "C10023"},
    {"event_id": "scan-2026-000002", "waybill_no": "JD1234567890128", "event_time": "2026-11-24T15:02:00+08:00",
     "action": "delivered", "site_code": "SH-PD-03", "site_name": "上海浦东张江营业部", "delivered_as": "locker"},
]}
_BATCH_OUT_EXAMPLE = {"accepted": 1, "duplicate": 0, "rejected": 1, "results": [
    {"event_id": "scan-2026-000001", "result": "accepted", "code": None, "reason": None, "applied": True, "allowed_actions": None},
    {"event_id": "scan-2026-000002", "result": "rejected", "code": "invalid_transition",
     "reason": "This event does not fit the parcel's status. Actions it accepts now: departed_facility, in_transit, out_for_delivery, exception",
     "applied": False, "allowed_actions": ["departed_facility", "in_transit", "out_for_delivery", "exception"]},
]}
_TRACK_EXAMPLE = {
    "waybill_no": "JD1234567890128", "status": "in_transit", "status_label": "运输中", "exception": None, "exception_label": None,
    "delivered_as": None, "delivered_as_label": None, "service_type": "standard",
    "origin": {"province": "北京市", "city": "北京市"}, "destination": {"province": "上海市", "city": "上海市"},
    "placed_at": "2026-11-23T01:10:00Z",
    "events": [{"time": "2026-11-23T01:30:00Z", "action": "arrived_facility", "site_name": "北京海淀分拣中心",
                "description": "已到达 北京海淀分拣中心"}],
}


def _examples(status: str, **named: tuple[str, object]) -> dict:
    return {status: {"content": {"application/json": {"examples": {
        key: {"summary": summary, "value": value} for key, (summary, value) in named.items()}}}}}


@router.post(
    "/tracking/events", response_model=BatchOut,
    responses={**errors_for(401), 422: {"model": BatchErrorResponse}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": _batch_schema(),
        "examples": {"batch": {"summary": "Two scans of one parcel", "value": _BATCH_EXAMPLE}}}}},
        "responses": {**_examples("200", results=("One accepted, one out of order", _BATCH_OUT_EXAMPLE)),
                      **_examples("401", bad_key=("No or a wrong X-Api-Key", {"error": {
                          "code": "source_key_invalid", "message": "The tracking API key is missing or invalid."}}))}},
    description="""Route events from a scanner or partner system (API key in X-Api-Key), up to 1,000 per batch.

Idempotent by event id: a retried batch stores nothing twice and reports those events as `duplicate`. Events may arrive
out of order; the route is kept by event time, and an event older than the order's current status joins the route
without moving the status back. Each accepted event commits together with its order's change of status. A malformed
batch is refused whole with 422.""" + _transitions(),
)
async def ingest_events(request: Request, c: ContainerDep, loc: LocaleDep,
                        x_api_key: Annotated[str | None, Header(max_length=200)] = None) -> Response:
    source_id = await run_in_threadpool(c.tracking.source_for_key, x_api_key)
    if "json" not in request.headers.get("content-type", "").lower():
        return _invalid(request, ["body"])
    raw = await _body(request)
    if raw is None:
        return _invalid(request, ["events"])
    try:
        batch = EventBatch.model_validate_json(raw)
    except ValidationError as exc:
        fields, items = _item_fields(exc.errors(include_input=False, include_url=False))
        return _invalid(request, fields, items)
    results = await run_in_threadpool(c.tracking.ingest, source_id, batch.events)
    gettext = gettext_for(loc)
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    out = []
    for r in results:
        counts[r.result] += 1
        out.append({"event_id": r.event_id, "result": r.result, "code": r.code, "reason": _reason(gettext, r), "applied": r.applied,
                    "allowed_actions": None if r.allowed is None else list(r.allowed)})
    body = json.dumps({**counts, "results": out}, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content=body, media_type="application/json")


@router.api_route("/tracking/events", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def events_wrong_method() -> None:
    # Without this, GET /tracking/events would reach GET /tracking/{waybill_no} and answer 422 (not a waybill), not 405.
    raise StarletteHTTPException(405)


def track_out(view: TrackView, locale: str) -> dict:
    """The lookup's answer (TrackOut's fields, in its order), as plain data: serialised by pydantic-core in one pass,
    with TrackOut's JSON formats (e.g. times as RFC 3339 UTC with Z)."""
    gettext = gettext_for(locale)
    exception, delivered_as = view.exception, view.delivered_as
    return {
        "waybill_no": view.waybill_no, "status": view.status, "status_label": gettext(states.LABELS.get(view.status, view.status)),
        "exception": exception,
        "exception_label": gettext(ev.EXCEPTION_LABELS[exception]) if exception in ev.EXCEPTION_LABELS else None,
        "delivered_as": delivered_as,
        "delivered_as_label": gettext(ev.DELIVERED_AS_LABELS[delivered_as]) if delivered_as in ev.DELIVERED_AS_LABELS else None,
        "service_type": view.service_type,
        "origin": {"province": view.origin.province, "city": view.origin.city},
        "destination": {"province": view.destination.province, "city": view.destination.city},
        "placed_at": view.placed_at,
        "events": [{"time": s.time, "action": s.action, "site_name": s.site_name,
                    "description": ev.describe(gettext, s.action, s.site_name, s.delivered_as, s.exception)} for s in view.route],
    }


@router.get("/tracking/{waybill_no}", response_model=TrackOut, responses=errors_for(404, 429),
            openapi_extra={"responses": {
                **_examples("200", in_transit=("A parcel on its way (Accept-Language: zh-CN)", _TRACK_EXAMPLE)),
                **_examples("404", unknown=("No parcel has this number", {"error": {
                    "code": "parcel_not_found", "message": "No parcel was found with this waybill number."}}))}})
def track(waybill_no: WaybillPath, request: Request) -> Response:
    """Anyone may look a waybill number up: status and route, with no names, phone numbers or street addresses
    (places at province and city level, facilities by name). Limited to 30 lookups a minute per client address;
    an unknown number and a refused lookup say nothing about other numbers."""
    # The hot path of the public API: no dependencies (FastAPI runs each sync one in the thread pool) and no second
    # validation of the answer; TrackOut documents it, and tests check the answer against the OpenAPI schema.
    view = request.app.state.container.tracking.lookup(waybill_no, client_address(request))
    body = pydantic_core.to_json(track_out(view, request.state.locale))
    return Response(content=body, media_type="application/json")
