"""Minors' tables.

What a database reader learns, and what not: an account's date of birth is sealed under the account's own key (gone
with it when the account is erased); no column says "minor". `age_statements.status` says only whether the account may be
used ("open": an adult, or a minor whose guardian consented) or is waiting. A guardian's consent is a row of its own,
sealed under a one-off subject (the guardian's number and signature are the guardian's data, not the child's), and the
consent itself — topic `sensitive_minor`, the policy version and the exact text the guardian was shown — is in the
consent ledger under the child's keyed pseudonym. Reports about minors' data are sealed under a one-off subject each.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import (
    RETAIN_ACCOUNT, Action, Category, LegalBasis, Mask, PartOf, Purpose, Retained, Retention, blind_index, personal,
)

P = Purpose
OPEN, WAITING = "open", "waiting"
PENDING, ACTIVE, WITHDRAWN = "pending", "active", "withdrawn"
RETAIN_REPORT = Retention("report closed", 3 * 365, "举报处理完毕 3 年后删除", "Deleted 3 years after the report was closed")


class AgeStatement(Base):
    """The date of birth an account holder stated, and whether the account may be used."""

    __tablename__ = "age_statements"
    __label__ = ("出生日期声明", "Date of birth")
    __erase__ = "delete"
    __subject__ = "user_id"
    __retention__ = PartOf("users", {"user_id": "id"})
    __nonpersonal__ = ("id", "user_id", "status", "created_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    # Needed by law to protect minors (PIPL art. 31); a child's data is sensitive (JD-11.3b), so is the date that says so.
    birth_date = personal(
        "出生日期", "Date of birth", Category.PROFILE, purposes={P.SELF_SERVICE, P.RIGHTS_REQUEST},
        basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_ACCOUNT, mask=Mask.HIDDEN, sensitive=True,
    )
    status: Mapped[str] = mapped_column(String(10), index=True)  # open | waiting
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class GuardianConsent(Base):
    """A parent's or guardian's consent to a minor's account: pending until the code sent to their phone is entered."""

    __tablename__ = "guardian_consents"
    __label__ = ("监护人同意", "Guardian's consent")
    __erase__ = "delete"
    __subject__ = "subject_id"  # a one-off subject: the guardian's own data
    __retention__ = PartOf("users", {"minor_id": "id"}, shreds="subject_id")
    __nonpersonal__ = ("id", "minor_id", "subject_id", "relationship", "status", "version", "created_at", "granted_at",
                       "withdrawn_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    minor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    phone = personal(
        "监护人手机号", "Parent's or guardian's mobile number", Category.CONTACT,
        purposes={P.NOTIFICATION, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST},
        basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_ACCOUNT, mask=Mask.PHONE, blind_index="phone",
    )
    phone_bidx = blind_index("phone")
    signature = personal(
        "监护人书面同意签名(姓名)", "Parent's or guardian's written consent (their name)", Category.IDENTITY,
        purposes={P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST},
        basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_ACCOUNT, mask=Mask.NAME,
    )
    relationship: Mapped[str] = mapped_column(String(16))  # parent | guardian
    status: Mapped[str] = mapped_column(String(10))  # pending | active | withdrawn
    version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MinorReport(Base):
    """A report that jidi holds a minor's data improperly (CN-10.1c, CN-12.1d): for the privacy officer."""

    __tablename__ = "minor_reports"
    __label__ = ("未成年人信息举报", "Reports about minors' data")
    __erase__ = "delete"
    __subject__ = "subject_id"
    __retention__ = Retained("minor_reports", "report closed", Action.DELETE, RETAIN_REPORT.zh, RETAIN_REPORT.en,
                             clock="closed_at", period=dt.timedelta(days=RETAIN_REPORT.days), shreds="subject_id",
                             catalog_after=(RETAIN_REPORT.after,))
    __nonpersonal__ = ("id", "subject_id", "reporter_id", "status", "received_at", "closed_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subject_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    reporter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True, nullable=True)
    account_phone = personal(
        "被举报账号的手机号", "Mobile number of the account reported", Category.CONTACT, purposes={P.RIGHTS_REQUEST},
        basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_REPORT, mask=Mask.PHONE,
    )  # no blind index: the report is the reporter's record, and stays when the account it names is erased
    details = personal(
        "举报内容", "What the report says", Category.PROFILE, purposes={P.RIGHTS_REQUEST},
        basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_REPORT, mask=Mask.HIDDEN,
    )
    contact = personal(
        "举报人联系方式", "How to reach the reporter", Category.CONTACT, purposes={P.RIGHTS_REQUEST},
        basis=LegalBasis.CONSENT, retention=RETAIN_REPORT, mask=Mask.HIDDEN,
    )
    status: Mapped[str] = mapped_column(String(10), index=True)  # open | upheld (the account erased) | no_finding
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
