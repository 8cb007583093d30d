"""The audit log: append-only, chained under a key, written in the caller's transaction, anchored outside the database.

Every reveal of a full value to a person, export, staff change of personal data and disclosure to a third
party is recorded. Subjects and actors are keyed pseudonyms, so the log itself holds no personal data.

Writing takes no lock that writers share: a record gets a random id and its `mac`, the HMAC of its content under
the key ring's chain key, and commits with its transaction. The sealer (`AuditLog.seal`: a job every minute, and
before every `verify`) takes the committed records not yet in the chain, oldest first, checks each one's mac (a
record inserted or edited by hand is never sealed) and gives it its place `seq` and its `hash` = HMAC(previous
hash | seq | mac). A record whose transaction has not committed is not visible yet and is sealed by a later run,
so the chain needs no gap-free numbering from the writers. After each seal commits, a checkpoint (seq, hash, time,
signed with the checkpoint key) is appended to the ledger outside the database (`jidi.privacy.ledger`): whoever
can write the database can move `audit_head` too, but not the checkpoints, so `verify` names the records removed
from the end, a truncated log or a rewritten chain up to the last checkpoint.
"""
from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol, overload

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from jidi.db import is_postgresql, utcnow
from jidi.privacy.catalog import Role
from jidi.privacy.models import AuditHead, AuditRecord

if TYPE_CHECKING:
    from jidi.privacy.keys import KeyRing

log = logging.getLogger(__name__)

GENESIS = "0" * 64
CHINA = dt.timezone(dt.timedelta(hours=8), "CST")  # times in messages to operators (no daylight saving in China)
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("jidi_request_id", default="")


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who acts: a user (customer or staff) or the system itself (user_id None)."""

    user_id: uuid.UUID | None
    role: Role

    @classmethod
    def system(cls) -> "Actor":
        return cls(None, Role.ADMIN)


@overload
def pseudonym(audit_key: bytes, subject_id: uuid.UUID) -> str: ...
@overload
def pseudonym(audit_key: bytes, subject_id: uuid.UUID | None) -> str | None: ...
def pseudonym(audit_key: bytes, subject_id: uuid.UUID | None) -> str | None:
    if subject_id is None:
        return None
    return "p_" + hmac.new(audit_key, subject_id.bytes, hashlib.sha256).hexdigest()[:32]


def _mac(chain_key: bytes, rec: AuditRecord) -> str:
    content: list[str | None] = [
        str(rec.id), rec.at.isoformat(timespec="microseconds"), rec.actor, rec.actor_role, rec.action, rec.subject,
        rec.fields, rec.purpose, rec.request_id, rec.detail,
    ]
    if rec.basis:  # records before 0016 have none, and their mac stays what it was
        content.append(rec.basis)
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(chain_key, body.encode(), hashlib.sha256).hexdigest()


def _link(chain_key: bytes, prev: str, seq: int, mac: str) -> str:
    return hmac.new(chain_key, f"{prev}|{seq}|{mac}".encode(), hashlib.sha256).hexdigest()


def append(
    session: Session,
    keys: KeyRing,
    *,
    actor: Actor,
    action: str,
    subject_id: uuid.UUID | None,
    fields: list[str] | tuple[str, ...] = (),
    purpose: str = "",
    detail: str = "",
    basis: str = "",
) -> AuditRecord:
    audit_key = keys.derived("audit")
    rec = AuditRecord(
        id=uuid.uuid4(),
        at=utcnow(),
        actor=pseudonym(audit_key, actor.user_id) or "system",
        actor_role=actor.role.value,
        action=action,
        subject=pseudonym(audit_key, subject_id),
        fields=",".join(sorted(fields)),
        purpose=purpose,
        request_id=request_id.get(),
        detail=detail,
        basis=basis,
    )
    rec.mac = _mac(keys.derived("audit-chain"), rec)
    session.add(rec)
    return rec


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """The chain's head at a moment, signed: kept outside the database, where a restore or an insider cannot reach."""

    seq: int
    hash: str
    at: dt.datetime
    signature: str

    @staticmethod
    def _signed(key: bytes, seq: int, hash_: str, at: dt.datetime) -> str:
        body = f"jidi/audit-checkpoint|{seq}|{hash_}|{at.isoformat(timespec='microseconds')}"
        return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()

    @classmethod
    def sign(cls, key: bytes, seq: int, hash_: str, at: dt.datetime) -> "Checkpoint":
        return cls(seq, hash_, at, cls._signed(key, seq, hash_, at))

    def valid(self, key: bytes) -> bool:
        return hmac.compare_digest(self.signature, self._signed(key, self.seq, self.hash, self.at))

    def when(self) -> str:
        return self.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S China time")


class Checkpoints(Protocol):
    def append(self, checkpoint: Checkpoint) -> None: ...
    def all(self) -> list[Checkpoint]: ...


@dataclasses.dataclass(frozen=True)
class Problem:
    seq: int | None
    what: str
    record: uuid.UUID | None = None  # for a record not sealed yet, which has no place in the chain

    def __str__(self) -> str:
        if self.seq is None:
            return f"unsealed audit record {self.record}: {self.what}"
        return f"audit record {self.seq}: {self.what}"


def _head(session: Session) -> AuditHead:
    """The head row, locked: one sealer at a time (created here if a wiped database has none)."""
    stmt = select(AuditHead).where(AuditHead.id == 1).with_for_update()
    head = session.scalars(stmt).one_or_none()
    if head is None:
        insert = pg_insert if is_postgresql(session) else sqlite_insert
        session.execute(insert(AuditHead).values(id=1, seq=0, hash=GENESIS, legacy_through=0).on_conflict_do_nothing())
        head = session.scalars(stmt).one()
    return head


def _legacy(rec: AuditRecord, head: AuditHead | None) -> bool:
    return rec.mac is None and head is not None and rec.id.int <= head.legacy_through


def seal(session: Session, keys: KeyRing, *, batch: int = 5000) -> tuple[int, Checkpoint | None]:
    """Chain up to `batch` committed records not sealed yet; returns how many and the checkpoint to keep once committed."""
    chain_key = keys.derived("audit-chain")
    head = _head(session)
    # Go on from the chain's end as the log has it; a head moved by hand must not make the sealer fail. A tail removed
    # by hand is then sealed over, which the checkpoints show.
    end = session.execute(select(AuditRecord.seq, AuditRecord.hash).where(AuditRecord.seq.is_not(None))
                          .order_by(AuditRecord.seq.desc()).limit(1)).one_or_none()
    start, prev = (end.seq or 0, end.hash or "") if end is not None else (0, GENESIS)  # a sealed record has both
    seq = start
    refused = 0
    stmt = select(AuditRecord).where(AuditRecord.seq.is_(None)).order_by(AuditRecord.at, AuditRecord.id).limit(batch)
    for rec in session.scalars(stmt):
        mac = _mac(chain_key, rec)
        if not (_legacy(rec, head) or hmac.compare_digest(rec.mac or "", mac)):
            refused += 1  # inserted or edited by hand: left out of the chain, and named by verify
            continue
        seq += 1
        rec.seq, rec.hash = seq, _link(chain_key, prev, seq, mac)
        prev = rec.hash
    if refused:
        log.warning("audit: %d records were not sealed: their mac does not match (run `jidi audit verify`)", refused)
    sealed = seq - start
    if not sealed:
        return 0, None
    head.seq, head.hash = seq, prev
    return sealed, Checkpoint.sign(keys.derived("audit-checkpoint"), seq, prev, utcnow())


def verify(session: Session, keys: KeyRing, checkpoints: list[Checkpoint], batch: int = 5000) -> list[Problem]:
    """Every record's mac, the chain's links and numbering, the head, and the chain against every checkpoint."""
    chain_key, checkpoint_key = keys.derived("audit-chain"), keys.derived("audit-checkpoint")
    problems: list[Problem] = []
    head = session.get(AuditHead, 1)
    signed = []
    for cp in checkpoints:
        if cp.valid(checkpoint_key):
            signed.append(cp)
        else:
            problems.append(Problem(cp.seq, f"the checkpoint of {cp.when()} is not signed with this key ring (forged)"))
    wanted = {cp.seq for cp in signed}
    found: dict[int, str] = {}
    expected_seq, prev, last_seq = 1, GENESIS, 0
    sealed = select(AuditRecord).where(AuditRecord.seq.is_not(None)).order_by(AuditRecord.seq).execution_options(yield_per=batch)
    for rec in session.scalars(sealed):
        seq, link = rec.seq or 0, rec.hash or ""  # a sealed record has both (an emptied hash fails to link below)
        if seq != expected_seq:
            problems.append(Problem(expected_seq, f"missing (records {expected_seq}–{seq - 1} were removed)"))
        mac = _mac(chain_key, rec)
        if not (_legacy(rec, head) or hmac.compare_digest(rec.mac or "", mac)):
            problems.append(Problem(seq, "was edited after it was written (or inserted by hand)"))
        elif link != _link(chain_key, prev, seq, mac):
            problems.append(Problem(seq, "does not link to the record before it (reordered, replaced or re-chained)"))
        if seq in wanted:
            found[seq] = link
        expected_seq, prev, last_seq = seq + 1, link, seq
        session.expunge(rec)
    unsealed = select(AuditRecord).where(AuditRecord.seq.is_(None)).execution_options(yield_per=batch)
    for rec in session.scalars(unsealed):
        if not (_legacy(rec, head) or hmac.compare_digest(rec.mac or "", _mac(chain_key, rec))):
            problems.append(Problem(None, "was edited after it was written (or inserted by hand)", rec.id))
        session.expunge(rec)
    if head is not None and (head.seq != last_seq or head.hash != prev):
        problems.append(Problem(head.seq, f"the head says {head.seq} records were sealed, the chain ends at {last_seq}"))
    problems += _against_checkpoints(signed, found, last_seq)
    return problems


def _against_checkpoints(checkpoints: list[Checkpoint], found: dict[int, str], last_seq: int) -> list[Problem]:
    """Rollback and truncation: what the newest checkpoint vouches for must be there, unchanged since."""
    problems = []
    good: Checkpoint | None = None
    for cp in sorted(checkpoints, key=lambda c: (c.seq, c.at)):
        if cp.seq > last_seq:
            upto = f"it matches the checkpoint at {good.seq} of {good.when()}" if good else "no earlier checkpoint"
            problems.append(Problem(last_seq + 1, f"missing: records {last_seq + 1}–{cp.seq} were removed (the checkpoint of "
                                                  f"{cp.when()} vouches for {cp.seq}; {upto})"))
            break
        if found.get(cp.seq) != cp.hash:
            since = f"after record {good.seq} (checkpoint of {good.when()})" if good else "from the start"
            problems.append(Problem(cp.seq, f"differs from the checkpoint of {cp.when()}: the chain was rewritten {since}"))
            break
        good = cp
    return problems


class AuditLog:
    """Sealing and verifying the log, with the key ring's chain keys and the checkpoints kept outside the database."""

    def __init__(self, keys: KeyRing, checkpoints: Checkpoints):
        self.keys = keys
        self.checkpoints = checkpoints

    def record(self, session: Session, *, actor: Actor, action: str, subject_id: uuid.UUID | None,
               fields: list[str] | tuple[str, ...] = (), purpose: str = "", detail: str = "", basis: str = "") -> None:
        """Write an audit record of an action (export, staff change, erasure…) in the caller's transaction; `basis`:
        the legal basis the processing rests on (a LegalBasis value), where it is not consent."""
        append(session, self.keys, actor=actor, action=action, subject_id=subject_id, fields=fields, purpose=purpose,
               detail=detail, basis=basis)

    def seal(self, uow: Callable[[], AbstractContextManager[Session]], batch: int = 5000) -> int:
        """Seal every committed record not sealed yet (a transaction per batch, each followed by its checkpoint)."""
        total = 0
        while True:
            with uow() as s:
                sealed, checkpoint = seal(s, self.keys, batch=batch)
            if checkpoint is not None:
                self.checkpoints.append(checkpoint)  # only once the chain it vouches for has committed
            total += sealed
            if sealed < batch:
                return total

    def verify(self, uow: Callable[[], AbstractContextManager[Session]]) -> list[Problem]:
        self.seal(uow)
        with uow() as s:
            return verify(s, self.keys, self.checkpoints.all())
