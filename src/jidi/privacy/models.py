"""Tables owned by the privacy core: subject data keys, the keyed, chained audit log, tombstones, restrictions, shares."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, utcnow
from jidi.privacy.catalog import blind_index
from jidi.retained import BY_ACCOUNT_PURGE, Action, PartOf, Retained, setting_days


_UNSEALED = text("seq IS NULL")


class SubjectKey(Base):
    """A data subject's own data key, wrapped by a master key version. Deleting the row shreds the subject."""

    __tablename__ = "subject_keys"
    __datamap__ = False  # the privacy core's own bookkeeping, not data about anyone
    __retention__ = Retained("subject_keys", "data deleted", Action.ACCOUNT, "随所保护的数据一并销毁",
                             "Shredded with the data it protects (the rules above, and account cancellation)",
                             by="the rules above, " + BY_ACCOUNT_PURGE)
    __nonpersonal__ = ("subject_id", "master_version", "wrapped_key", "created_at")

    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    master_version: Mapped[int] = mapped_column(Integer, index=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditRecord(Base):
    """Append-only and chained. Subjects and actors appear only as keyed pseudonyms; no plaintext.

    A record is written with a random id and its `mac` (HMAC of its content under the key ring's chain key), so
    writers take no shared lock; the sealer (`jidi.privacy.audit.seal`) later gives it its place in the chain, `seq`,
    and `hash`, the HMAC of the previous record's hash, `seq` and `mac`. The database allows only that one update.
    """

    __tablename__ = "audit_log"
    __datamap__ = False  # the privacy core's own bookkeeping, not data about anyone
    __retention__ = Retained(
        "audit_log", "recorded", Action.KEEP, "至少保存 3 年(个人信息保护法第五十六条);只追加、哈希链,不删除;仅含化名",
        "Kept at least 3 years (PIPL art. 56); append-only and hash-chained, never deleted; pseudonyms only",
        clock="at", period=setting_days("retention_audit_days"),
        by="jidi.privacy.audit (never deleted; the sweep reports how many are past the period)",
        overdue=("audit_log_past_retention", lambda cutoff: AuditRecord.at < cutoff),
    )
    # The records still to seal: a handful among millions, found without scanning them.
    __table_args__ = (Index("ix_audit_log_unsealed", "at", postgresql_where=_UNSEALED, sqlite_where=_UNSEALED),)
    __nonpersonal__ = (
        "id", "at", "actor", "actor_role", "action", "subject", "fields", "purpose", "request_id", "detail", "mac",
        "seq", "hash", "basis",
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(40))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str | None] = mapped_column(String(40), index=True)
    fields: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(String(32), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    # The legal basis the recorded processing rested on (JD-1.5, ZK-1.5.1); "" for records that name none (before 0016).
    basis: Mapped[str] = mapped_column(String(20), default="", server_default="")
    mac: Mapped[str | None] = mapped_column(String(64))  # None only for records adopted from before the key (0015)
    seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), unique=True)
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the newest sealed record's place and hash. Only the sealer takes its lock, one sealer at a time.

    Records written before the chain was keyed (migration 0015) carry no mac and the ids 1…`legacy_through` (as
    UUIDs, in their old order), which no random id takes; the first seal adopts them."""

    __tablename__ = "audit_head"
    __datamap__ = False  # the privacy core's own bookkeeping, not data about anyone
    __retention__ = PartOf("audit_log")
    __nonpersonal__ = ("id", "seq", "hash", "legacy_through")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
    legacy_through: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


class Tombstone(Base):
    """A subject whose data key was shredded on request (not by routine retention). The same list is kept in the
    ledger outside the database (`jidi.privacy.ledger`), so a restored backup is erased again."""

    __tablename__ = "tombstones"
    __datamap__ = False  # the privacy core's own bookkeeping, not data about anyone
    __retention__ = Retained("tombstones", "erased on request", Action.KEEP, "应请求删除的主体清单:用于从备份恢复后再次删除",
                             "Subjects erased on request: re-applied after any restore from backup", by="jidi.privacy")
    __nonpersonal__ = ("subject_id", "reason", "created_at")

    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Restriction(Base):
    """A record kept only because a law requires it after its subject asked for deletion (PIPL art. 47):
    no longer processed or shown, deleted when `until` passes."""

    __tablename__ = "restrictions"
    __datamap__ = False  # the privacy core's own bookkeeping, not data about anyone
    # The held record itself goes by its own rule.
    __retention__ = Retained("restrictions", "legal hold ends", Action.DELETE,
                             "因法定留存而限制处理的记录:留存期满后删除限制记录(所限制的记录按其自身规则删除)",
                             "Records kept only under a legal hold after a deletion request: the restriction is deleted when "
                             "the hold ends (the held record goes by its own rule)", clock="until", period=dt.timedelta(0))
    __nonpersonal__ = ("id", "table_name", "row_id", "subject", "law", "until", "created_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID] = mapped_column(index=True)
    subject: Mapped[str] = mapped_column(String(40), index=True)  # the audit pseudonym of whoever asked for the deletion
    law: Mapped[str] = mapped_column(String(200))
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


_PENDING = text("deletion_asked_at IS NOT NULL AND deletion_notified_at IS NULL")


class ShareRecord(Base):
    """One handing-over of a subject's personal data to a declared recipient (`jidi.privacy.sharing`), and the
    deletion notice sent to that recipient when the subject was erased."""

    __tablename__ = "share_register"
    __datamap__ = False  # the privacy core's own bookkeeping: pseudonyms and catalog keys, no personal data
    # A record whose recipient has yet to be told of a deletion is the notice itself: it waits for it.
    __retention__ = Retained(
        "share_register", "shared", Action.DELETE, "对外提供个人信息的记录(仅含化名):保存 3 年;尚未通知接收方删除的,通知后再删",
        "Records of personal data handed to others (pseudonyms only): kept 3 years; one whose deletion notice has not "
        "gone out yet stays until it has", clock="shared_at", period=setting_days("retention_audit_days"),
        where=lambda cutoff: ShareRecord.deletion_asked_at.is_(None) | ShareRecord.deletion_notified_at.is_not(None),
    )
    # The notices still to send: a handful among millions of shares, found without scanning them.
    __table_args__ = (Index("ix_share_register_pending", "recipient", "id", postgresql_where=_PENDING, sqlite_where=_PENDING),)
    __nonpersonal__ = ("id", "recipient", "subject", "fields", "purpose", "basis", "reference", "shared_at",
                       "deletion_asked_at", "deletion_notified_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    recipient: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(40), index=True)  # the audit pseudonym of the data's subject
    # The keyed hash of the phone number handed over, so that an erasure of whoever holds that number later finds the
    # share too (a code sent before the account existed has a subject of its own); cleared once deletion is asked.
    phone_bidx = blind_index("phone")
    fields: Mapped[str] = mapped_column(Text)                     # catalog keys, comma-separated
    purpose: Mapped[str] = mapped_column(String(32))
    basis: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(80))           # what the recipient knows the data by
    shared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    deletion_asked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deletion_notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConsentText(Base):
    """The exact text a person was shown when asked for consent, stored once under its SHA-256 (content-addressed),
    so a consent's proof replays it. A notice, not personal data. Append-only."""

    __tablename__ = "consent_texts"
    __datamap__ = False  # notices shown to everyone: no data about anyone
    __retention__ = PartOf("consent_ledger")
    __nonpersonal__ = ("sha256", "body", "created_at")

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentRecord(Base):
    """One consent event (JD-4.2d): a grant or a withdrawal of one topic (a purpose on consent, a separate consent or
    the privacy policy) by one subject, who appears only as the audit's keyed pseudonym. Each record carries the
    HMAC of its content (`mac`) under the key ring; records are appended, never changed (jidi.privacy.consent)."""

    __tablename__ = "consent_ledger"
    __datamap__ = False  # the privacy core's own proof of consent: keyed pseudonyms and notices, no personal data
    __retention__ = Retained(
        "consent_ledger", "recorded", Action.KEEP,
        "同意与撤回同意的记录（仅含化名及所展示文本的摘要）：只追加，至少保存 3 年，作为取得同意的证明",
        "Records of consents given and withdrawn (pseudonyms and the hash of the text shown only): append-only, kept at "
        "least 3 years as proof of consent", clock="at", period=setting_days("retention_audit_days"),
        by="jidi.privacy.consent (never deleted)",
    )
    __table_args__ = (Index("ix_consent_ledger_subject_topic", "subject", "topic", "id"),)
    __nonpersonal__ = ("id", "subject", "topic", "action", "version", "text_sha256", "how", "how_ref", "at", "nonce", "mac")

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(40))            # the audit pseudonym of whose consent it is
    topic: Mapped[str] = mapped_column(String(40))              # Purpose / Separate / Agreement value
    action: Mapped[str] = mapped_column(String(10))             # grant | withdraw | refuse
    version: Mapped[str] = mapped_column(String(40), default="")  # the policy or notice version shown
    text_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the text shown (consent_texts)
    how: Mapped[str] = mapped_column(String(20))                # page | api | sms_reply | agent | guardian | imported …
    how_ref: Mapped[str] = mapped_column(String(80), default="")  # the page id, the agent's pseudonym…
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The single-use nonce of the offer a posted consent answers: a replayed post finds it taken.
    nonce: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    mac: Mapped[str] = mapped_column(String(64))
