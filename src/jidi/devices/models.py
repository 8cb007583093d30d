"""A customer's device-permission switches in jidi: one row per permission they turned off (or back on)."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime
from jidi.privacy import PartOf


class PermissionSwitch(Base):
    """Whether jidi may ask this customer's browser for a permission kind: `allowed` false means the page never
    offers the feature that needs it (no prompt), until the customer turns it on again. No row: ask when needed."""

    __tablename__ = "device_permission_switches"
    __label__ = ("设备权限设置", "Device permission settings")
    __erase__ = "delete"
    __retention__ = PartOf("users", {"user_id": "id"})
    __nonpersonal__ = ("user_id", "kind", "allowed", "changed_at")

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    allowed: Mapped[bool]
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(timezone=True))
