"""Merchant webhooks (see README.md): endpoints, the event handler that queues deliveries, and the sender.

Order status changes arrive as the durable event `order.status_changed` (jidi.events), recorded by shipping and
tracking in the transaction that changed the order. The handler writes one delivery row per active endpoint of the
order's merchant in the event's own delivery transaction, and asks for the sending job after the commit. Sending
happens outside any transaction; each attempt's outcome is written back, and a failed one is tried again after
30 s, 1, 2, 4 … minutes (at most 6 hours apart), MAX_ATTEMPTS times in all, by the job that runs every minute.
"""
from __future__ import annotations

import base64
import ipaddress
import dataclasses
import datetime as dt
import json
import logging
import secrets as pysecrets
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from jidi import errors
from jidi.db import after_commit_batch
from jidi.events import Event, handles
from jidi.i18n import N_
from jidi.webhooks import signing
from jidi.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger("jidi.webhooks")

EVENT = "order.status_changed"
MAX_ENDPOINTS = 5
MAX_ATTEMPTS = 10
FIRST_RETRY = dt.timedelta(seconds=30)
MAX_RETRY = dt.timedelta(hours=6)
LEASE = dt.timedelta(minutes=2)  # longer than one attempt's timeout: a second worker does not send it meanwhile
TIMEOUT_SECONDS = 10
USER_AGENT = "jidi-webhooks/1"


@dataclasses.dataclass(frozen=True)
class EndpointView:
    id: uuid.UUID
    url: str
    active: bool
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class DeliveryView:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_type: str
    waybill_no: str
    status: str
    attempts: int
    response_code: int | None
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    next_attempt_at: dt.datetime | None


def invalid_url() -> errors.AppError:
    return errors.AppError("webhook_url_invalid", N_("The webhook URL must be an https:// address (http:// only outside "
                                                     "production), up to 500 characters."), 422)


def _internal(host: str) -> bool:
    """A host name that is an address of this machine or a private network (not resolved: names are the merchant's)."""
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the attempts made so far failed: 30 s, 1 min, 2 min, … at most 6 hours."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), MAX_RETRY)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx one: not followed (to wherever it points), but retried."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class Webhooks:
    def __init__(self, container):
        self.c = container

    # -- endpoints --------------------------------------------------------------------------------------
    def _secret(self, endpoint: WebhookEndpoint) -> str:
        """The endpoint's signing secret: derived from the server's key and the endpoint's salt, never stored."""
        digest = self.c.secrets.token_hash(f"webhook-signing:{endpoint.id}:{endpoint.secret_salt}")
        return "whsec_" + base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _check_url(self, url: str) -> str:
        url = (url or "").strip()
        parts = urlsplit(url) if len(url) <= 500 else None
        allowed = ("https",) if self.c.settings.env == "production" else ("https", "http")
        if parts is None or parts.scheme not in allowed or not parts.hostname or parts.username or parts.password:
            raise invalid_url()
        if self.c.settings.env == "production" and _internal(parts.hostname):
            raise invalid_url()  # jidi's own network is no merchant's endpoint
        return url

    def register(self, merchant_id: uuid.UUID, url: str) -> tuple[EndpointView, str]:
        """A new endpoint and its signing secret, which is returned this once only."""
        url = self._check_url(url)
        with self.c.uow() as s:
            count = len(s.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.merchant_id == merchant_id,
                                                                   WebhookEndpoint.active.is_(True))).all())
            if count >= MAX_ENDPOINTS:
                raise errors.AppError("webhook_limit", N_("A merchant may have up to {limit} webhook endpoints."), 409,
                                      limit=MAX_ENDPOINTS)
            endpoint = WebhookEndpoint(id=uuid.uuid4(), merchant_id=merchant_id, url=url, secret_salt=pysecrets.token_hex(16),
                                       active=True, created_at=self.c.clock())
            s.add(endpoint)
            return self._endpoint_view(endpoint), self._secret(endpoint)

    @staticmethod
    def _endpoint_view(e: WebhookEndpoint) -> EndpointView:
        return EndpointView(e.id, e.url, e.active, e.created_at)

    def endpoints(self, merchant_id: uuid.UUID) -> list[EndpointView]:
        with self.c.uow() as s:
            rows = s.scalars(select(WebhookEndpoint).where(WebhookEndpoint.merchant_id == merchant_id)
                             .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)).all()
            return [self._endpoint_view(e) for e in rows]

    def disable(self, merchant_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
        """Stop sending to an endpoint (its deliveries not yet made are dropped as failed)."""
        with self.c.uow() as s:
            endpoint = s.get(WebhookEndpoint, endpoint_id)
            if endpoint is None or endpoint.merchant_id != merchant_id:
                raise errors.not_found()
            endpoint.active = False
            s.execute(update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
                      .values(status="failed", last_error="endpoint disabled", next_attempt_at=None))

    def deliveries(self, merchant_id: uuid.UUID, limit: int = 50) -> list[DeliveryView]:
        """The merchant's delivery log, newest first."""
        W = WebhookDelivery
        with self.c.uow() as s:
            rows = s.scalars(select(W).where(W.merchant_id == merchant_id).order_by(W.created_at.desc(), W.id).limit(limit)).all()
            return [DeliveryView(r.id, r.endpoint_id, r.event_type, r.waybill_no, r.status, r.attempts, r.response_code,
                                 r.last_error, r.created_at, r.delivered_at, r.next_attempt_at) for r in rows]

    # -- from the event to the delivery rows -------------------------------------------------------------
    def queue_for(self, s: Session, event: Event) -> int:
        """One delivery per active endpoint of each changed order's merchant, in the event's delivery transaction."""
        changes = event.payload["changes"]
        merchants = self.c.shipping.merchant_orders(s, {uuid.UUID(change[0]) for change in changes})
        if not merchants:
            return 0
        endpoints: dict[uuid.UUID, list[uuid.UUID]] = {}
        for e in s.execute(select(WebhookEndpoint.id, WebhookEndpoint.merchant_id).where(
                WebhookEndpoint.merchant_id.in_({m for m, _ in merchants.values()}), WebhookEndpoint.active.is_(True))):
            endpoints.setdefault(e.merchant_id, []).append(e.id)
        now = self.c.clock()
        made = 0
        for order_id, waybill_no, status, exception, status_at in changes:
            merchant = merchants.get(uuid.UUID(order_id))
            if merchant is None:
                continue
            merchant_id, merchant_order_ref = merchant
            for endpoint_id in endpoints.get(merchant_id, []):
                delivery_id = uuid.uuid4()
                body = json.dumps({
                    "id": str(delivery_id), "type": EVENT, "created_at": _utc(now),
                    "data": {"waybill_no": waybill_no, "merchant_order_id": merchant_order_ref, "status": status,
                             "exception": exception, "status_at": status_at},
                }, ensure_ascii=False, separators=(",", ":"))
                s.add(WebhookDelivery(id=delivery_id, endpoint_id=endpoint_id, merchant_id=merchant_id, event_id=event.id,
                                      event_type=EVENT, waybill_no=waybill_no, body=body, status="pending", attempts=0,
                                      next_attempt_at=now, created_at=now))
                after_commit_batch(s, self._ask_send, str(delivery_id))
                made += 1
        return made

    def _ask_send(self, delivery_ids: list[str]) -> None:
        try:
            self.c.tasks.send_webhooks(delivery_ids)
        except Exception as exc:  # noqa: BLE001  (the periodic job sends them)
            log.warning("%d webhook deliveries not queued (%s): the periodic job will send them", len(delivery_ids),
                        type(exc).__name__)

    # -- sending ----------------------------------------------------------------------------------------------
    def send(self, delivery_ids: list[str] | None = None, batch: int = 50) -> int:
        """Send the given deliveries, or every one due; returns how many were delivered now."""
        now = self.c.clock()
        W = WebhookDelivery
        with self.c.uow() as s:
            q = select(W, WebhookEndpoint).join(WebhookEndpoint, WebhookEndpoint.id == W.endpoint_id).where(
                W.status == "pending", or_(W.next_attempt_at.is_(None), W.next_attempt_at <= now))
            if delivery_ids is not None:
                q = q.where(W.id.in_([uuid.UUID(d) for d in delivery_ids]))
            rows = s.execute(q.order_by(W.next_attempt_at).limit(batch).with_for_update(skip_locked=True, of=W)).all()
            claimed = []
            for delivery, endpoint in rows:
                delivery.next_attempt_at = now + LEASE  # leased: no other worker sends it meanwhile
                claimed.append((delivery.id, endpoint.url, self._secret(endpoint), delivery.body))
        delivered = 0
        for delivery_id, url, secret, body in claimed:
            code, error = self._post(url, secret, delivery_id, body.encode())
            delivered += self._record(delivery_id, code, error)
        return delivered

    def _post(self, url: str, secret: str, delivery_id: uuid.UUID, body: bytes) -> tuple[int | None, str | None]:
        timestamp = int(self.c.clock().timestamp())
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
            signing.HEADER: signing.sign(secret, timestamp, body), "Jidi-Webhook-Id": str(delivery_id), "Jidi-Event": EVENT})
        try:
            with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
                return response.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, f"HTTP {exc.code}"
        except Exception as exc:  # noqa: BLE001  (any failure to reach the endpoint: tried again later)
            return None, type(exc).__name__[:120]

    def _record(self, delivery_id: uuid.UUID, code: int | None, error: str | None) -> int:
        now = self.c.clock()
        with self.c.uow() as s:
            d = s.get(WebhookDelivery, delivery_id)
            if d is None:  # removed meanwhile (retention)
                return 0
            d.attempts += 1
            d.response_code = code
            if code is not None and 200 <= code < 300:
                d.status, d.delivered_at, d.next_attempt_at, d.last_error = "delivered", now, None, None
                return 1
            d.last_error = error or f"HTTP {code}"
            if d.attempts >= MAX_ATTEMPTS:
                d.status, d.next_attempt_at = "failed", None
            else:
                d.next_attempt_at = now + backoff(d.attempts)
            return 0


@handles(EVENT, "webhooks.queue_deliveries")
def _queue_deliveries(container, session: Session, event: Event) -> None:
    container.webhooks.queue_for(session, event)
