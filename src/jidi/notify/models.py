"""Outgoing service messages."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import RETAIN_SMS, Action, Category, LegalBasis, Mask, Purpose, Retained, blind_index, personal

P = Purpose


class SmsMessage(Base):
    """An SMS to send. The embedded provider keeps it here as the outbox shown at /dev/outbox."""

    __tablename__ = "sms_outbox"
    __label__ = ("发给您的短信", "Text messages sent to you")
    __erase__ = "delete"
    # A code sent to a number without an account was sealed under a one-off subject made for that message
    # (accounts.request_code): it is shredded with the message. Subjects still in use elsewhere (account holders,
    # parties, relatives, another message waiting) keep their keys.
    __retention__ = Retained(
        "sms_outbox", "sent", Action.DELETE, RETAIN_SMS.zh + "(未发出的:排队后 1 天);无账号号码的一次性密钥随之销毁",
        RETAIN_SMS.en + " (never sent: 1 day after queueing); the one-off key of a number without an account is shredded",
        clock="created_at", period=dt.timedelta(days=RETAIN_SMS.days), shreds="subject_id", catalog_after=("collected",),
        where=lambda cutoff: (SmsMessage.sent_at.is_(None)) | (SmsMessage.sent_at < cutoff),
    )
    __nonpersonal__ = ("id", "subject_id", "template", "status", "created_at", "sent_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # The recipient's subject: the account holder, or a one-off subject for a phone with no account.
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    phone = personal(
        "短信接收号码", "SMS recipient number", Category.CONTACT, purposes={P.NOTIFICATION, P.RIGHTS_REQUEST},
        basis=LegalBasis.CONTRACT, retention=RETAIN_SMS, mask=Mask.PHONE, blind_index="phone",
    )
    # How the data map finds a person's messages: those sent before their account existed have a one-off subject.
    phone_bidx = blind_index("phone")
    body = personal(
        "短信内容", "SMS text", Category.CONTACT, purposes={P.NOTIFICATION, P.RIGHTS_REQUEST},
        basis=LegalBasis.CONTRACT, retention=RETAIN_SMS, mask=Mask.HIDDEN,
    )
    template: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | sent | failed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
