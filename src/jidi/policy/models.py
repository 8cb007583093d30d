"""Published versions of the privacy policy (CN-11.1c, ZK-7.3): every one kept, with its text in both languages,
its structured content, its effective date, what changed and how the change was classified. Nothing here is
personal: the policy is the same for everyone."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import Action, Retained


class PolicyVersion(Base):
    __tablename__ = "policy_versions"
    __label__ = ("隐私政策版本", "Privacy policy versions")
    __retention__ = Retained("policy_versions", "published", Action.KEEP, "隐私政策各版本永久存档(非个人信息)",
                             "Every published version of the privacy policy is archived for good (not personal)",
                             by="jidi.policy")
    __nonpersonal__ = ("id", "version", "operator", "effective_on", "published_at", "content", "text_zh", "text_en",
                       "text_hash", "material", "fresh_consent", "changes", "summary_zh", "summary_en")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    version: Mapped[str] = mapped_column(String(40), unique=True)  # the effective date, e.g. 2026-12-20 (then .2, .3)
    operator: Mapped[str] = mapped_column(String(20))
    effective_on: Mapped[dt.date] = mapped_column(Date, index=True)  # China date from which it applies
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    content: Mapped[str] = mapped_column(Text)  # the structured content, JSON
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the two texts: what a person accepted
    material: Mapped[bool] = mapped_column(Boolean)
    fresh_consent: Mapped[bool] = mapped_column(Boolean)  # adds a consent-based purpose or reduces rights
    changes: Mapped[str] = mapped_column(Text)  # the classifier's findings, JSON
    summary_zh: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
