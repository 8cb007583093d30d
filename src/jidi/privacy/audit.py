"""The audit log: append-only and hash-chained, written in the caller's transaction.

Every reveal of a full value to a person, export, staff change of personal data and disclosure to a third
party is recorded. Subjects and actors are keyed pseudonyms, so the log itself holds no personal data.
`verify` recomputes the chain and names the first edited, removed or reordered record.
"""
from __future__ import annotations

import contextvars
import dataclasses
import hashlib
import hmac
import json
import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jidi.db import utcnow
from jidi.privacy.catalog import Role
from jidi.privacy.models import AuditHead, AuditRecord

GENESIS = "0" * 64
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("jidi_request_id", default="")


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who acts: a user (customer or staff) or the system itself (user_id None)."""

    user_id: uuid.UUID | None
    role: Role

    @classmethod
    def system(cls) -> "Actor":
        return cls(None, Role.ADMIN)


def pseudonym(audit_key: bytes, subject_id: uuid.UUID | None) -> str | None:
    if subject_id is None:
        return None
    return "p_" + hmac.new(audit_key, subject_id.bytes, hashlib.sha256).hexdigest()[:32]


def _digest(rec: AuditRecord) -> str:
    body = json.dumps(
        [rec.seq, rec.at.isoformat(timespec="microseconds"), rec.actor, rec.actor_role, rec.action, rec.subject,
         rec.fields, rec.purpose, rec.request_id, rec.detail, rec.prev_hash],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def append(
    session: Session,
    audit_key: bytes,
    *,
    actor: Actor,
    action: str,
    subject_id: uuid.UUID | None,
    fields: list[str] | tuple[str, ...] = (),
    purpose: str = "",
    detail: str = "",
) -> AuditRecord:
    # Bumping the head row takes its lock (a row lock on PostgreSQL, the write lock on SQLite), so
    # concurrent appends queue up and each links to the one before it.
    row = session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1).returning(AuditHead.seq, AuditHead.hash)
    ).one_or_none()
    if row is None:
        session.add(AuditHead(id=1, seq=1, hash=GENESIS))
        session.flush()
        seq, prev = 1, GENESIS
    else:
        seq, prev = row
    rec = AuditRecord(
        seq=seq,
        at=utcnow(),
        actor=pseudonym(audit_key, actor.user_id) or "system",
        actor_role=actor.role.value,
        action=action,
        subject=pseudonym(audit_key, subject_id),
        fields=",".join(sorted(fields)),
        purpose=purpose,
        request_id=request_id.get(),
        detail=detail,
        prev_hash=prev,
    )
    rec.hash = _digest(rec)
    session.add(rec)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=rec.hash))
    return rec


@dataclasses.dataclass(frozen=True)
class Problem:
    seq: int
    what: str

    def __str__(self) -> str:
        return f"audit record {self.seq}: {self.what}"


def verify(session: Session, batch: int = 5000) -> list[Problem]:
    problems: list[Problem] = []
    expected_seq, prev = 1, GENESIS
    last_seq = 0
    stmt = select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=batch)
    for rec in session.scalars(stmt):
        if rec.seq != expected_seq:
            problems.append(Problem(expected_seq, f"missing (records {expected_seq}–{rec.seq - 1} were removed)"))
        elif rec.prev_hash != prev:
            problems.append(Problem(rec.seq, "does not link to the record before it (reordered or replaced)"))
        if _digest(rec) != rec.hash:
            problems.append(Problem(rec.seq, "was edited after it was written"))
        expected_seq, prev, last_seq = rec.seq + 1, rec.hash, rec.seq
        session.expunge(rec)
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != last_seq or head.hash != prev):
        problems.append(Problem(head.seq, f"missing (the log ends at {last_seq} but {head.seq} were written)"))
    return problems
