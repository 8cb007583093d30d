"""Marketing's tables. A campaign and its deliveries hold no personal value: a delivery names the account it is for,
the channel and what happened; the number, address or device token is opened from where it lives only when the
message is handed over, and only while the person's consent to that channel is live (checked in the sending job)."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import (
    Action, Category, LegalBasis, Mask, PartOf, Purpose, Retained, Retention, personal,
)

RETAIN_DELIVERIES = dt.timedelta(days=180)


class Campaign(Base):
    """An operator's campaign: its text per language, the segment (non-personal attributes only) and channels."""

    __tablename__ = "marketing_campaigns"
    __datamap__ = False  # a text written by staff and a segment rule: no data about anyone
    __retention__ = Retained("marketing_campaigns", "created", Action.KEEP, "营销活动(文案与人群规则,不含个人信息)",
                             "Marketing campaigns (texts and segment rules, no personal data)")
    __nonpersonal__ = ("id", "name", "text_zh", "text_en", "channels", "province", "shipped_within_days", "status",
                       "audience", "created_by", "created_at", "queued_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(80))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    channels: Mapped[str] = mapped_column(String(60))  # comma-separated Channel values
    province: Mapped[str | None] = mapped_column(String(2), nullable=True)  # GB/T 2260 province prefix
    shipped_within_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | queued
    audience: Mapped[int] = mapped_column(Integer, default=0)  # deliveries queued
    created_by: Mapped[uuid.UUID] = mapped_column()  # the staff member's user id
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Delivery(Base):
    """One message of a campaign to one account on one channel. Queued in batches; the job of its batch checks the
    consent again and the quiet hours, then hands it over (sent), holds it (deferred) or drops it (no_consent, gone)."""

    __tablename__ = "marketing_deliveries"
    __label__ = ("收到的营销消息记录", "Marketing messages sent to you")
    __erase__ = "delete"
    __retention__ = Retained(
        "marketing_deliveries", "queued", Action.DELETE, "营销消息发送记录:180 天后删除", "Records of marketing messages: deleted after 180 days",
        clock="created_at", period=RETAIN_DELIVERIES,
    )
    __table_args__ = (Index("ix_marketing_deliveries_batch", "campaign_id", "batch"),
                      Index("ix_marketing_deliveries_due", "status", "not_before"))
    __nonpersonal__ = ("id", "campaign_id", "user_id", "channel", "batch", "status", "not_before", "created_at", "sent_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("marketing_campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    batch: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued | deferred | sent | no_consent | gone
    not_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class QuietHours(Base):
    """A person's own do-not-disturb hours for marketing (China time, whole hours), on top of the night."""

    __tablename__ = "marketing_quiet_hours"
    __label__ = ("免打扰时段", "Do-not-disturb hours")
    __erase__ = "delete"
    __retention__ = PartOf("users", {"user_id": "id"})
    __nonpersonal__ = ("user_id", "start_hour", "end_hour", "updated_at")

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    start_hour: Mapped[int] = mapped_column(Integer)
    end_hour: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboxMessage(Base):
    """A marketing in-app message (站内信): which campaign, for whom; its text is the campaign's."""

    __tablename__ = "marketing_inbox"
    __label__ = ("营销站内信", "Marketing in-app messages")
    __erase__ = "delete"
    __retention__ = Retained("marketing_inbox", "delivered", Action.DELETE, "营销站内信:180 天后删除",
                             "Marketing in-app messages: deleted after 180 days", clock="created_at", period=RETAIN_DELIVERIES)
    __nonpersonal__ = ("id", "user_id", "campaign_id", "created_at", "read")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("marketing_campaigns.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read: Mapped[bool] = mapped_column(Boolean, default=False)


RETAIN_PUSH = Retention("account_closed", 31, "设备推送标识:您移除该设备或撤回营销推送同意时立即删除,最迟随账号注销",
                        "Device push token: deleted when you remove the device or withdraw consent to marketing push, at the latest with the account")


class PushDevice(Base):
    """A device registered for push (simulated tokens in this build): the token is the device's, under the account's key."""

    __tablename__ = "marketing_push_devices"
    __label__ = ("推送设备", "Devices registered for push")
    __erase__ = "delete"
    __subject__ = "user_id"
    __retention__ = PartOf("users", {"user_id": "id"})
    __nonpersonal__ = ("id", "user_id", "created_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token = personal("设备推送标识", "Device push token", Category.DEVICE, purposes={Purpose.MARKETING_PUSH, Purpose.RIGHTS_REQUEST},
                     basis=LegalBasis.CONSENT, retention=RETAIN_PUSH, mask=Mask.HIDDEN)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SmsReply(Base):
    """An inbound SMS handled once (the gateway's message id), and what it did; never the number or the text."""

    __tablename__ = "marketing_sms_replies"
    __datamap__ = False  # a gateway's message id and an outcome: nothing links it to a person
    __retention__ = Retained("marketing_sms_replies", "received", Action.DELETE, "短信回复处理记录(不含号码与内容):31 天后删除",
                             "Records of SMS replies handled (no number, no text): deleted after 31 days",
                             clock="received_at", period=dt.timedelta(days=31))
    __nonpersonal__ = ("message_id", "outcome", "received_at")

    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16))  # opted_out | not_live | unknown_sender | not_opt_out
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
