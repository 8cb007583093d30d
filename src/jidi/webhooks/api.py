"""Merchant webhooks in the API: register an endpoint (the signing secret is in this answer only), list and disable
endpoints, and read the delivery log. A merchant authenticates with its API key (X-Api-Key), as for order imports."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, Field

from jidi import errors
from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ContainerDep

router = APIRouter(tags=["merchant webhooks"])
ApiKey = Annotated[str | None, Header(max_length=200, description="The merchant's API key")]


class EndpointIn(Strict):
    url: str = Field(min_length=8, max_length=500, pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[!-~]*)?$", examples=["https://shop.example.cn/jidi/webhooks"],
                     description="Where to POST the events: https:// (http:// is accepted outside production only)")


class EndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    active: bool
    created_at: dt.datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The signing secret, shown this once: keep it to verify the Jidi-Signature header")


class DeliveryOut(BaseModel):
    id: uuid.UUID = Field(description="Also the body's id and the Jidi-Webhook-Id header: deduplicate by it")
    endpoint_id: uuid.UUID
    event_type: Literal["order.status_changed"]
    waybill_no: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    response_code: int | None = Field(description="Your endpoint's last HTTP status (none: it could not be reached)")
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    next_attempt_at: dt.datetime | None


@router.post("/merchant/webhooks", status_code=201, response_model=EndpointCreated, responses=errors_for(401, 409))
def register_endpoint(body: EndpointIn, c: ContainerDep, x_api_key: ApiKey = None) -> EndpointCreated:
    """Register an endpoint for your orders' status changes. Each change is POSTed as JSON, signed with the secret in
    this answer (`Jidi-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>`); refuse a signature older than
    5 minutes. Any 2xx answer counts as delivered; anything else is retried with exponential backoff (30 s, 1 min,
    2 min … up to 6 hours apart, 10 attempts). The body holds the waybill number, your merchant_order_id, the new
    status and exception code and their time: never a name, phone number or address."""
    merchant_id = c.shipping.merchant_for_key(x_api_key)
    endpoint, secret = c.webhooks.register(merchant_id, body.url)
    return EndpointCreated(id=endpoint.id, url=endpoint.url, active=endpoint.active, created_at=endpoint.created_at, secret=secret)


@router.get("/merchant/webhooks", response_model=list[EndpointOut], responses=errors_for(401))
def list_endpoints(c: ContainerDep, x_api_key: ApiKey = None) -> list[EndpointOut]:
    merchant_id = c.shipping.merchant_for_key(x_api_key)
    return [EndpointOut(id=e.id, url=e.url, active=e.active, created_at=e.created_at) for e in c.webhooks.endpoints(merchant_id)]


@router.delete("/merchant/webhooks/{endpoint_id}", status_code=204, responses=errors_for(401, 404))
def disable_endpoint(endpoint_id: Annotated[str, Path(max_length=36, description="The endpoint's id (a UUID)")], c: ContainerDep,
                     x_api_key: ApiKey = None) -> Response:
    """Stop sending to this endpoint; deliveries not yet made to it are marked failed."""
    merchant_id = c.shipping.merchant_for_key(x_api_key)
    c.webhooks.disable(merchant_id, errors.id_or_not_found(endpoint_id))
    return Response(status_code=204)


@router.get("/merchant/webhook-deliveries", response_model=list[DeliveryOut], responses=errors_for(401))
def delivery_log(c: ContainerDep, x_api_key: ApiKey = None,
                 limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[DeliveryOut]:
    """Your delivery log, newest first (kept 30 days): each event, its status, attempts and your endpoint's answer."""
    merchant_id = c.shipping.merchant_for_key(x_api_key)
    return [DeliveryOut(**vars(d)) for d in c.webhooks.deliveries(merchant_id, limit)]
