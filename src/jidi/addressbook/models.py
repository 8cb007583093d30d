"""Address-book entries: a saved sender or recipient of one customer.

An entry is usually about another person (the recipient), so it is that person's data (JD-1.1.2(1)b):
each entry is sealed under its own one-off data subject, not under the owner's key. Deleting the entry
shreds that subject key. The 6-digit region code (GB/T 2260, district level) is not personal: it is what
the masked display shows anyway.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import RETAIN_ACCOUNT, Category, LegalBasis, Mask, PartOf, Purpose, blind_index, personal

P = Purpose
_PURPOSES = {P.SELF_SERVICE, P.DELIVERY, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST}


class AddressEntry(Base):
    __tablename__ = "address_entries"
    __label__ = ("地址簿", "Address book")
    __erase__ = "delete"
    __subject__ = "subject_id"  # a one-off subject per entry: the person the entry is about
    __holder__ = "owner_id"  # the account keeping it, the only one who may open it (privacy.open)
    __retention__ = PartOf("users", {"owner_id": "id"})
    __nonpersonal__ = ("id", "owner_id", "subject_id", "kind", "region_code", "is_default", "created_at", "updated_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # sender | recipient
    name = personal(
        "地址簿联系人姓名", "Address book: contact name", Category.IDENTITY, purposes=_PURPOSES,
        basis=LegalBasis.CONTRACT, retention=RETAIN_ACCOUNT, mask=Mask.NAME, nullable=False,
    )
    phone = personal(
        "地址簿联系人手机号", "Address book: contact mobile number", Category.CONTACT, purposes=_PURPOSES,
        basis=LegalBasis.CONTRACT, retention=RETAIN_ACCOUNT, mask=Mask.PHONE, blind_index="phone", nullable=False,
    )
    phone_bidx = blind_index("phone")
    region_code: Mapped[str] = mapped_column(String(6))  # GB/T 2260: a district, or a city without districts
    detail = personal(
        "地址簿详细地址", "Address book: street address", Category.ADDRESS, purposes=_PURPOSES,
        # HIDDEN, not ADDRESS: this is only the part below the district, so none of it may show. The masked
        # address shown in lists (北京市海淀区****) is built from the non-personal region code instead.
        basis=LegalBasis.CONTRACT, retention=RETAIN_ACCOUNT, mask=Mask.HIDDEN, nullable=False,
    )
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


Index(
    "uq_address_entries_default", AddressEntry.owner_id, AddressEntry.kind, unique=True,
    sqlite_where=text("is_default"), postgresql_where=text("is_default"),
)
