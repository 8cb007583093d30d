"""Webhook endpoints of merchants and the log of deliveries to them. Business data, nothing personal: a delivery's
body names the merchant's own order reference, the waybill number and the new status, never a person."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import Action, Retained

DELIVERY_LOG_DAYS = 30


class WebhookEndpoint(Base):
    """Where a merchant wants its orders' status changes. The signing secret is not stored: it is derived from the
    server's key and `secret_salt` (jidi.webhooks.signing), shown once at registration."""

    __tablename__ = "webhook_endpoints"
    __retention__ = Retained("webhook_endpoints", "relationship ended", Action.KEEP, "商户的回调地址(企业信息,非个人信息),停用不删除",
                             "Merchants' webhook endpoints (business data, not personal): disabled, not deleted", by="jidi.webhooks")
    __nonpersonal__ = ("id", "merchant_id", "url", "secret_salt", "active", "created_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # No foreign key: the merchants table is shipping's; the id is checked through its service.
    merchant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    url: Mapped[str] = mapped_column(String(500))  # a business's server address
    secret_salt: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint: its body as sent, how many attempts, the last answer, and when to try again."""

    __tablename__ = "webhook_deliveries"
    __retention__ = Retained("webhook_deliveries", "created", Action.DELETE, f"回调投递记录:{DELIVERY_LOG_DAYS} 天后删除",
                             f"Webhook delivery log: deleted after {DELIVERY_LOG_DAYS} days", clock="created_at",
                             period=dt.timedelta(days=DELIVERY_LOG_DAYS))
    __nonpersonal__ = ("id", "endpoint_id", "merchant_id", "event_id", "event_type", "waybill_no", "body", "status", "attempts",
                       "response_code", "last_error", "next_attempt_at", "created_at", "delivered_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    merchant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    event_id: Mapped[uuid.UUID] = mapped_column()
    event_type: Mapped[str] = mapped_column(String(40))
    waybill_no: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, byte for byte (ids, codes, times: see README.md)
    status: Mapped[str] = mapped_column(String(12))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(120), nullable=True)  # an exception's type or an HTTP status
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


Index("ix_webhook_deliveries_due", WebhookDelivery.next_attempt_at)
Index("uq_webhook_deliveries_event", WebhookDelivery.endpoint_id, WebhookDelivery.event_id, WebhookDelivery.waybill_no, unique=True)
