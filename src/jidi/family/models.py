"""Family numbers (亲情号).

A family binding holds a relative's mobile number: the relative's personal data, not the binder's. Each
binding is sealed under its own one-off data subject, and ending a binding shreds that subject and clears
the number and its index: an ended binding keeps only its binder, role, times and who ended it. Erasing the binder
or the relative deletes the binding: a kept row would still link to the binder's account.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint, exists
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import (
    BY_ACCOUNT_PURGE, Action, Category, LegalBasis, Mask, PartOf, Purpose, Retained, Retention, blind_index, personal,
)

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
    __retention__ = (
        Retained("family_pending", "binding requested", Action.DELETE, "亲友 7 天内未同意的亲情号申请:删除,号码密钥销毁",
                 "A family number the relative has not agreed to within 7 days: deleted, its key shredded",
                 clock="created_at", period=dt.timedelta(days=7), shreds="subject_id",
                 where=lambda cutoff: FamilyBinding.status == "pending"),
        # Ending a binding already shredded its subject; a proxy collection that refers to it keeps it until its
        # waybill goes.
        Retained("family_ended", "binding ended", Action.DELETE,
                 "已解除的亲情号(号码已删除)31 天后删除;有代取记录引用的,随该运单一起到期",
                 "An ended family binding (its number already deleted) is deleted after 31 days, or with the waybill whose "
                 "proxy collection refers to it", clock="ended_at", period=dt.timedelta(days=31),
                 where=lambda cutoff: (FamilyBinding.status == "ended")
                 & ~exists().where(ProxyCollection.binding_id == FamilyBinding.id)),
        Retained("family_active", "binding ended", Action.ACCOUNT, "绑定有效期间;解除时立即删除号码",
                 "While the binding is active; the number is deleted the moment it ends",
                 by="jidi.family (ending a binding), " + BY_ACCOUNT_PURGE, catalog_after=("ended",)),
    )

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
    __retention__ = PartOf("orders", {"order_id": "id"})
    __nonpersonal__ = ("id", "order_id", "binding_id", "proxy_collected_by", "collected_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    binding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("family_bindings.id", ondelete="CASCADE"), index=True)
    proxy_collected_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    collected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
