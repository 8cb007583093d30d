"""Data-subject requests (access, copy, correction, deletion, withdrawal, cancellation, explanation, next of kin),
their history, the download files they produce and the proof documents of next-of-kin requests."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import Action, Category, LegalBasis, Mask, PartOf, Purpose, Retained, Retention, personal

P = Purpose
# Requests and their answers are kept to show that each one was handled lawfully and in time.
RETAIN_REQUEST = Retention("closed", 3 * 365, "处理完毕后 3 年", "3 years after the request was closed")
RETAIN_EXPORT = Retention("collected", 7, "生成后 7 天内可下载,之后删除", "Downloadable for 7 days, then deleted")
RETAIN_PROOF = Retention("closed", 180, "审核完毕后 180 天", "180 days after the review")


class RightsRequest(Base):
    __tablename__ = "rights_requests"
    __label__ = ("个人信息权利请求", "Data-rights requests")
    __subject__ = "requester_id"
    __kept_after_erasure__ = "The record of the request and how it was handled (PIPL art. 50), without its text"
    # Its copy and proofs have rules of their own (the proofs' runs first: their keys are shredded).
    __retention__ = Retained("rights_requests", "request closed", Action.DELETE, RETAIN_REQUEST.zh + ":请求及其处理记录删除",
                             RETAIN_REQUEST.en + ": the request and its history are deleted", clock="closed_at",
                             period=dt.timedelta(days=RETAIN_REQUEST.days), catalog_after=("closed",))
    __nonpersonal__ = (
        "id", "kind", "scope", "status", "requester_id", "subject_user_id", "relationship", "received_at",
        "verified_at", "due_on", "due_provisional", "fee_fen", "fee_accepted_at", "decided_at", "closed_at",
        "refusal_ground", "erase_after", "updated_at",
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20), index=True)   # see jidi.rights.kinds.KINDS
    scope: Mapped[str] = mapped_column(String(40), default="")  # consent withdrawn; next-of-kin: the right asked for
    status: Mapped[str] = mapped_column(String(20), index=True)  # see jidi.rights.kinds.STATUSES
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    # Whose data: the requester, or for a next-of-kin request the deceased account holder.
    subject_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True, nullable=True)
    relationship: Mapped[str | None] = mapped_column(String(16), nullable=True)  # next of kin: spouse, parent…
    details = personal(
        "请求内容(您填写的说明)", "What you asked (your own words)", Category.PROFILE,
        purposes={P.SELF_SERVICE, P.RIGHTS_REQUEST}, basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_REQUEST,
        mask=Mask.HIDDEN,
    )
    answer = personal(
        "答复", "Our answer", Category.PROFILE, purposes={P.SELF_SERVICE, P.RIGHTS_REQUEST},
        basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_REQUEST, mask=Mask.HIDDEN,
    )
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    fee_accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refusal_ground: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Account cancellation: the data is erased one calendar month after the cancellation (JD-5.2.1b).
    erase_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RequestEvent(Base):
    """One step in a request's history, shown to the requester and the privacy officer."""

    __tablename__ = "rights_request_events"
    __label__ = ("权利请求处理记录", "Data-rights request history")
    __kept_after_erasure__ = "The history of a request"
    __retention__ = PartOf("rights_requests", {"request_id": "id"})
    __nonpersonal__ = ("id", "request_id", "seq", "at", "action", "actor_role")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rights_requests.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # order within the request (several steps can share a timestamp)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(24))
    actor_role: Mapped[str] = mapped_column(String(32))


class DataExport(Base):
    """A copy of someone's data (zip of JSON + HTML), sealed under its owner's key, downloadable for a while."""

    __tablename__ = "data_exports"
    __label__ = ("个人信息副本", "Copies of your data")
    __subject__ = "owner_id"
    __erase__ = "delete"
    __retention__ = Retained("rights_exports", "expired", Action.OWNER, "个人信息副本:下载期满即删除",
                             "Copies of one's data: deleted when the download period ends",
                             by="jidi.rights (housekeeping job, every 15 minutes)", catalog_after=("collected",))
    __nonpersonal__ = ("id", "request_id", "owner_id", "created_at", "expires_at", "size_bytes", "downloads")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rights_requests.id", ondelete="CASCADE"), unique=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    archive = personal(
        "个人信息副本文件", "Copy of your data (file)", Category.PROFILE, purposes={P.SELF_SERVICE, P.RIGHTS_REQUEST},
        basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_EXPORT, mask=Mask.HIDDEN,
    )
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class KinProof(Base):
    """A document proving a next-of-kin request (JD-6.8.2b), sealed under the request's own one-off subject."""

    __tablename__ = "rights_kin_proofs"
    __label__ = ("近亲属申请证明材料", "Next-of-kin proof documents")
    __erase__ = "delete"
    __retention__ = Retained(
        "rights_kin_proofs", "request closed", Action.DELETE, "近亲属申请证明材料:" + RETAIN_PROOF.zh + "删除,密钥销毁",
        "Next-of-kin proof documents: deleted " + RETAIN_PROOF.en.lower() + ", their key shredded",
        period=dt.timedelta(days=RETAIN_PROOF.days), shreds="subject_id", catalog_after=("closed",),
        where=lambda cutoff: KinProof.request_id.in_(select(RightsRequest.id).where(RightsRequest.closed_at < cutoff)),
    )
    __nonpersonal__ = ("id", "request_id", "subject_id", "kind", "content_type", "size_bytes", "uploaded_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rights_requests.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(24))  # deceased_id | death_certificate | applicant_id | kinship
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    content = personal(
        "证明材料", "Proof document", Category.IDENTITY, purposes={P.RIGHTS_REQUEST},
        basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_PROOF, mask=Mask.HIDDEN, sensitive=True,
    )
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
