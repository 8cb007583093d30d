"""The event outbox: an event is a row written in the transaction of the change it announces."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, utcnow
from jidi.retained import Action, PartOf, Retained


class EventRecord(Base):
    """One event. Its payload holds ids and codes only, never a personal value (`record` refuses anything else)."""

    __tablename__ = "events"
    # A week for an operator to trace what a delivered event caused; undelivered ones are retried, never deleted.
    __retention__ = Retained("events", "delivered", Action.DELETE, "功能之间的事件(仅含编号)送达所有处理方 7 天后删除;未送达的一直重试,不删除",
                             "Events between features (ids only) deleted 7 days after every handler took them; undelivered "
                             "ones are retried, never deleted", clock="delivered_at", period=dt.timedelta(days=7))
    __nonpersonal__ = ("id", "name", "payload", "created_at", "attempts", "next_attempt_at", "lease_until",
                       "delivered_at", "last_error")
    __table_args__ = (
        Index("ix_events_pending", "next_attempt_at", postgresql_where=text("delivered_at IS NULL"),
              sqlite_where=text("delivered_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # A relay that took the event holds it until then; a relay that died lets it go when the lease runs out.
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    last_error: Mapped[str | None] = mapped_column(String(120), nullable=True)  # an exception's class name only


class EventDelivery(Base):
    """That a handler has taken an event: written in the handler's own transaction, so its effect happens once."""

    __tablename__ = "event_deliveries"
    __retention__ = PartOf("events", {"event_id": "id"})
    __nonpersonal__ = ("event_id", "handler", "delivered_at")

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    handler: Mapped[str] = mapped_column(String(80), primary_key=True)
    delivered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
