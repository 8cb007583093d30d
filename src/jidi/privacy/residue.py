"""What is left of a person: a scan of every table and column, the outbox, the job queue and the audit log for
their identifiers (`jidi privacy residue`), and the re-application of erasures after a restore.

A scan asks the data map for every row still linked to the person — by their subject id, a foreign key to their
account, a blind index of an identifier given (phone, e-mail, username; their account no longer holds them after an
erasure), or as part of such a row — so a table added later is covered without new code. Such a row is residue
unless it is restricted by a legal hold, or its model declares why it keeps the link (`__kept_after_erasure__`) and
it holds no personal data any more. Beyond the data map it looks for the subject id in every other id-like column,
for the keyed hashes in the privacy core's own tables, for the identifiers in plaintext in every text and binary
column (there should never be any: personal columns hold ciphertext), for the data keys of the person and of every
row still linked, for the audit pseudonym in the audit log and the share register, and for the subject id in queued
jobs. Each finding says whether it is expected after an erasure, and why.
"""
from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from typing import Any  # the job queue (huey), whose types it does not need

from sqlalchemy import Column, LargeBinary, String, Table, Text, Uuid, func, select
from sqlalchemy.orm import Session

from jidi.privacy.datamap import DataMap, Relation, kept_reason
from jidi.privacy.models import AuditRecord, ConsentRecord, Restriction, ShareRecord, SubjectKey, Tombstone
from jidi.privacy.vault import Vault

# Why the privacy core's own records of a person remain after an erasure.
KEPT = {
    "tombstones": "The record that the subject was erased, so a restored backup is erased again (A19)",
    "audit_log": "Audit records are kept at least 3 years (PIPL art. 56); they hold only a keyed pseudonym",
    "consent_ledger": "The proof of consents given and withdrawn (JD-4.2d), kept like the audit log; a keyed pseudonym "
                      "and the hash of the text shown only",
    "share_register": "The record of what was handed to which recipient and that it was told to delete it "
                      "(JD-6.3.1c); a keyed pseudonym only",
}
RESTRICTED = "Restricted: kept only because a law requires it (see the restrictions list)"


@dataclasses.dataclass(frozen=True)
class Finding:
    where: str
    count: int
    what: str
    kept: str = ""  # why it may stay; empty means it should not be there


def scan(session: Session, vault: Vault, datamap: DataMap, subject_id: uuid.UUID, identifiers: dict[str, str],
         queue: Any = None) -> list[Finding]:
    hashes = {domain: vault.blind_index(domain, value) for domain, value in identifiers.items()}
    restricted = set(session.scalars(select(Restriction.row_id)))
    found, subjects = _linked_rows(session, datamap, subject_id, hashes, restricted)
    found += _columns(session, datamap, subject_id, hashes, [v.encode() for v in identifiers.values() if v], restricted)
    pseudonym = vault.pseudonym(subject_id)
    n = session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.subject == pseudonym))
    if n:
        found.append(Finding("audit_log.subject", n, "audit pseudonym", KEPT["audit_log"]))
    keys = session.scalar(select(func.count()).select_from(SubjectKey).where(SubjectKey.subject_id.in_(subjects)))
    if keys:
        found.append(Finding("subject_keys", keys, "data keys of the person or of rows still linked to them"))
    shares = session.execute(
        select(ShareRecord.deletion_notified_at.is_not(None), func.count()).where(ShareRecord.subject == pseudonym)
        .group_by(ShareRecord.deletion_notified_at.is_not(None))).all()
    for notified, n in shares:
        if notified:
            found.append(Finding("share_register", n, "shares whose recipients were told to delete", KEPT["share_register"]))
        else:
            found.append(Finding("share_register", n, "shares whose recipients have not been told to delete"))
    consents = session.scalar(select(func.count()).select_from(ConsentRecord).where(ConsentRecord.subject == pseudonym))
    if consents:
        found.append(Finding("consent_ledger.subject", consents, "consent records under the audit pseudonym", KEPT["consent_ledger"]))
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


def _linked_rows(session: Session, datamap: DataMap, subject_id: uuid.UUID, hashes: dict[str, bytes],
                 restricted: set[uuid.UUID]) -> tuple[list[Finding], set[uuid.UUID]]:
    """Rows the data map still finds for the person, and the subjects whose keys would open them."""
    data = datamap.find(session, subject_id, identifiers={domain: {h} for domain, h in hashes.items()})
    found: list[Finding] = []
    subjects = {subject_id}
    for name, rows in data.tables.items():
        tm = datamap.maps[name]
        kept = kept_reason(tm.model)
        held = 0
        linked: Counter[Relation] = Counter()
        personal: Counter[Relation] = Counter()
        for fr in rows:
            if fr.row.id in restricted:
                held += 1
                continue
            holds_data = any(getattr(fr.row, c) is not None for c in (*tm.personal_columns, *tm.identifier_columns))
            (personal if holds_data or not kept else linked)[fr.relation] += 1
            if tm.subject_column and fr.relation is not Relation.OTHER_ACCOUNT and (holds_data or not kept):
                subjects.add(getattr(fr.row, tm.subject_column))
        if held:
            found.append(Finding(name, held, "rows linked to the person", RESTRICTED))
        found += [Finding(name, n, f"rows linked to the person ({relation.value})", kept) for relation, n in linked.items()]
        found += [Finding(name, n, f"rows linked to the person ({relation.value})"
                                   + (" still holding personal data" if kept else "")) for relation, n in personal.items()]
    return found, subjects


def _columns(session: Session, datamap: DataMap, subject_id: uuid.UUID, hashes: dict[str, bytes], plain: list[bytes],
             restricted: set[uuid.UUID]) -> list[Finding]:
    """What the data map does not follow: the subject id in other id-like columns, the keyed hashes in the privacy
    core's own tables, the identifiers in plaintext anywhere."""
    found = []
    for t in datamap.metadata.sorted_tables:
        tm = datamap.maps.get(t.name)
        followed = set(tm.link_columns()) if tm else set()
        for col in t.columns:
            where = f"{t.name}.{col.name}"
            if isinstance(col.type, Uuid):
                if col.name in followed:
                    continue
                n = session.scalar(select(func.count()).select_from(t).where(col == subject_id))
                if n:
                    found.append(Finding(where, n, "subject id", _kept(t.name, session, t, col, subject_id, restricted)))
            elif "blind_index" in col.info:
                if col.name in followed or col.info["blind_index"] not in hashes:
                    continue
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
    return found


def _kept(table: str, session: Session, t: Table, col: Column[Any], subject_id: uuid.UUID, restricted: set[uuid.UUID]) -> str:
    if table in KEPT:
        return KEPT[table]
    if "id" in t.c:
        ids = set(session.scalars(select(t.c.id).where(col == subject_id)))
        if ids and ids <= restricted:
            return RESTRICTED
    return ""


def restricted_records(session: Session) -> list[Restriction]:
    return list(session.scalars(select(Restriction).order_by(Restriction.until)))


__all__ = ["Finding", "scan", "restricted_records"]
