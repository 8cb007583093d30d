"""Virtual-number bindings and their call records. Neither holds a real number: the provider got both when the binding
was made (a share recorded in the register), and our rows keep only the provider's ids, the pool number X (the
provider's, reassigned to others once released) and times. Both go with their order (retention) and an unbound
binding's X is cleared."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import PartOf

ACTIVE, CLOSING, UNBOUND, FAILED = "active", "closing", "unbound", "failed"


class VirtualNumberBinding(Base):
    """An AXB binding for one courier task: the courier (A) and the task's consumer (B) reach each other through X."""

    __tablename__ = "virtual_number_bindings"
    __label__ = ("隐私号绑定", "Virtual-number bindings")
    __erase__ = "delete"
    __retention__ = PartOf("orders", {"order_id": "id"})
    __nonpersonal__ = ("id", "task_id", "order_id", "courier_id", "party_role", "provider", "subs_id", "virtual_number",
                       "status", "created_at", "expires_at", "closed_at", "unbound_at", "unbind_reason")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    task_id: Mapped[uuid.UUID] = mapped_column(unique=True)  # the couriers feature's task (no link: its table)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    courier_id: Mapped[uuid.UUID | None] = mapped_column(index=True, nullable=True)
    party_role: Mapped[str] = mapped_column(String(10))  # whose number is B: sender (pickup) | recipient (delivery) | none
    provider: Mapped[str] = mapped_column(String(20))
    subs_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    virtual_number: Mapped[str | None] = mapped_column(String(20), nullable=True)  # X: the provider's pool number
    status: Mapped[str] = mapped_column(String(10), index=True)  # active | closing | unbound | failed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)  # the task closed or was cancelled
    unbound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    unbind_reason: Mapped[str | None] = mapped_column(String(24), nullable=True)  # expired | erased | provider_error code


Index("ix_virtual_number_bindings_due", VirtualNumberBinding.status, VirtualNumberBinding.expires_at)


class VirtualCallRecord(Base):
    """A call through a binding's X, from the provider's signed callback: who called (the courier's side or the
    consumer's), when, how long, and whether it was answered (CN-3.4.1: call outcomes, declared here). No number."""

    __tablename__ = "virtual_call_records"
    __label__ = ("隐私号通话记录", "Calls through virtual numbers")
    __erase__ = "delete"
    __retention__ = PartOf("orders", {"order_id": "id"})
    __nonpersonal__ = ("id", "binding_id", "order_id", "call_id", "caller", "outcome", "started_at", "released_at",
                       "duration_seconds", "received_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    binding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("virtual_number_bindings.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)  # the provider's: a replayed callback is kept once
    caller: Mapped[str] = mapped_column(String(10))  # courier | consumer
    outcome: Mapped[str] = mapped_column(String(12))  # answered | no_answer | busy | failed
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    released_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
