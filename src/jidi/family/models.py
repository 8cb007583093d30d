"""Family numbers (亲情号).

A family binding holds a relative's mobile number: the relative's personal data, not the binder's. Each
binding is sealed under its own one-off data subject, and ending a binding shreds that subject and clears
the number and its index: an ended binding keeps only its binder, role, times and who ended it. Erasing the binder
or the relative deletes the binding: a kept row would still link to the binder's account.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import Category, LegalBasis, Mask, Purpose, Retention, blind_index, personal

P = Purpose
# The relative's number is kept only while the binding is pending or active; ending it deletes the number.
RETAIN_FAMILY = Retention("ended", 0, "亲情号解除绑定时立即删除", "Deleted as soon as the family binding ends")


class FamilyBinding(Base):
    """A customer (the binder) may see a relative's incoming parcels once the relative authorised it by SMS code."""

    __tablename__ = "family_bindings"
    __label__ = ("亲情号", "Family numbers")
    __erase__ = "delete"
    __table_args__ = (UniqueConstraint("binder_id", "phone_bidx", name="uq_family_bindings_binder_phone"),)
    __subject__ = "subject_id"  # a one-off subject per binding: the relative the number belongs to
    __nonpersonal__ = ("id", "binder_id", "subject_id", "role", "status", "created_at", "activated_at", "ended_at", "ended_by")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    binder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    phone = personal(
        "亲情号(亲友手机号)", "Family number (a relative's mobile number)", Category.CONTACT,
        purposes={P.NOTIFICATION, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST},
        basis=LegalBasis.CONSENT, retention=RETAIN_FAMILY, mask=Mask.PHONE, blind_index="phone",
    )
    # NULL once ended (NULLs never collide), so one live binding per binder and number.
    phone_bidx = blind_index("phone")
    role: Mapped[str] = mapped_column(String(16))  # parent | spouse | child | sibling | grandparent | other
    status: Mapped[str] = mapped_column(String(10), index=True)  # pending | active | ended
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(10), nullable=True)  # binder | relative


class ProxyCollection(Base):
    """A parcel collected on the recipient's behalf (代取) by a family-number binder."""

    __tablename__ = "proxy_collections"
    __label__ = ("代取记录", "Parcels collected on someone's behalf")
    __erase__ = "delete"
    __nonpersonal__ = ("id", "order_id", "binding_id", "proxy_collected_by", "collected_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    binding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("family_bindings.id", ondelete="CASCADE"), index=True)
    proxy_collected_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    collected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
