"""What is left of a person: a scan of every table and column, the outbox, the job queue and the audit log for
their identifiers (`jidi privacy residue`), and the re-application of erasures after a restore.

A scan looks for the subject id in every id-like column, for the keyed hashes of the identifiers given (phone,
e-mail, username) in every blind-index column, for those identifiers in plaintext in every text and binary
column (there should never be any: personal columns hold ciphertext), for the audit pseudonym in the audit
log and the share register, and for the subject id in queued jobs. Each finding says whether it is expected after an erasure, and why.
"""
from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import LargeBinary, String, Text, Uuid, func, select
from sqlalchemy.orm import Session

from jidi.privacy.datamap import DataMap
from jidi.privacy.models import AuditRecord, Restriction, ShareRecord, SubjectKey, Tombstone

# Why a reference may remain after an erasure, per table; anything else found is residue.
KEPT = {
    "users": ("An empty placeholder of the erased account: no personal data, so that records of requests keep their "
              "reference"),
    "rights_requests": "The record of the request and how it was handled (PIPL art. 50), without its text",
    "rights_request_events": "The history of a request",
    "tombstones": "The record that the subject was erased, so a restored backup is erased again (A19)",
    "audit_log": "Audit records are kept at least 3 years (PIPL art. 56); they hold only a keyed pseudonym",
    "share_register": "The record of what was handed to which recipient and that it was told to delete it "
                      "(JD-6.3.1c); a keyed pseudonym only",
}


@dataclasses.dataclass(frozen=True)
class Finding:
    where: str
    count: int
    what: str
    kept: str = ""  # why it may stay; empty means it should not be there


def scan(session: Session, vault, datamap: DataMap, subject_id: uuid.UUID, identifiers: dict[str, str],
         queue=None) -> list[Finding]:
    found: list[Finding] = []
    hashes = {domain: vault.blind_index(domain, value) for domain, value in identifiers.items()}
    plain = [v.encode() for v in identifiers.values() if v]
    restricted = set(session.scalars(select(Restriction.row_id)))
    for t in datamap.metadata.sorted_tables:
        for col in t.columns:
            where = f"{t.name}.{col.name}"
            if isinstance(col.type, Uuid):
                n = session.scalar(select(func.count()).select_from(t).where(col == subject_id))
                if n:
                    found.append(Finding(where, n, "subject id", _kept(t.name, session, t, col, subject_id, restricted)))
            elif "blind_index" in col.info and col.info["blind_index"] in hashes:
                n = session.scalar(select(func.count()).select_from(t).where(col == hashes[col.info["blind_index"]]))
                if n:
                    found.append(Finding(where, n, f"keyed hash of the {col.info['blind_index']}"))
            elif isinstance(col.type, (String, Text, LargeBinary)) and plain:
                n = 0
                for (value,) in session.execute(select(col).where(col.is_not(None))):
                    data = value if isinstance(value, bytes) else str(value).encode()
                    n += any(p in data for p in plain)
                if n:
                    found.append(Finding(where, n, "an identifier in plaintext"))
    pseudonym = vault.pseudonym(subject_id)
    n = session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.subject == pseudonym))
    if n:
        found.append(Finding("audit_log.subject", n, "audit pseudonym", KEPT["audit_log"]))
    if session.get(SubjectKey, subject_id) is not None:
        found.append(Finding("subject_keys", 1, "the subject's data key"))
    shares = session.execute(
        select(ShareRecord.deletion_notified_at.is_not(None), func.count()).where(ShareRecord.subject == pseudonym)
        .group_by(ShareRecord.deletion_notified_at.is_not(None))).all()
    for notified, n in shares:
        if notified:
            found.append(Finding("share_register", n, "shares whose recipients were told to delete", KEPT["share_register"]))
        else:
            found.append(Finding("share_register", n, "shares whose recipients have not been told to delete"))
    held = session.scalar(select(func.count()).select_from(Restriction).where(Restriction.subject == pseudonym))
    if held:
        found.append(Finding("restrictions", held, "records kept by law", "Restricted: kept only because a law requires it"))
    if session.get(Tombstone, subject_id) is not None:
        found = [f for f in found if f.where != "tombstones.subject_id"]
        found.append(Finding("tombstones", 1, "tombstone", KEPT["tombstones"]))
    if queue is not None:
        needle = str(subject_id).encode()
        jobs = sum(needle in repr(task.args).encode() + repr(task.kwargs).encode()
                   for task in list(queue.pending()) + list(queue.scheduled()))
        if jobs:
            found.append(Finding("job queue", jobs, "queued jobs naming the subject"))
    return found


def _kept(table: str, session: Session, t, col, subject_id: uuid.UUID, restricted: set) -> str:
    if table in KEPT:
        return KEPT[table]
    if "id" in t.c:
        ids = set(session.scalars(select(t.c.id).where(col == subject_id)))
        if ids and ids <= restricted:
            return "Restricted: kept only because a law requires it (see the restrictions list)"
    return ""


def restricted_records(session: Session) -> list[Restriction]:
    return list(session.scalars(select(Restriction).order_by(Restriction.until)))


__all__ = ["Finding", "scan", "restricted_records"]
