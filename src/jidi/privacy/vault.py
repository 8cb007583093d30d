"""The vault: the only code that turns plaintext into stored bytes and back.

Every personal column holds `AES-256-GCM(subject data key, plaintext, aad)` where the associated data binds
the ciphertext to its table, column, row and subject: bytes copied to another row or column fail to open.
Subject data keys are wrapped by the current master key version; `rewrap_batch` moves them to a new one.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Uuid, bindparam, delete, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from jidi.db import after_commit, id_batches, is_postgresql, one_of, utcnow
from jidi.privacy import audit
from jidi.privacy.catalog import ROLE_PURPOSES, Catalog, FieldSpec, Purpose
from jidi.privacy.cipher import AesGcmCipher, DecryptionError, FieldCipher
from jidi.privacy.keys import KEY_BYTES, KeyRing
from jidi.privacy.models import SubjectKey, Tombstone
from jidi.privacy.tombstones import TombstoneLedger, Tombstones
from jidi.privacy.values import Personal

Row = Any  # a row of any model with personal columns (the catalog says which)


# How long a cached subject key is used without asking the tombstone ledger again (`Vault._subject_key`).
LEDGER_RECHECK_SECONDS = 1.0


class PurposeNotAllowed(Exception):
    """Opening this field for this purpose (or by this role) is not allowed by the catalog."""

    def __init__(self, spec: FieldSpec, purpose: Purpose, why: str = "the catalog does not list this purpose"):
        super().__init__(f"{spec.key} may not be opened for '{purpose.value}': {why}")
        self.spec, self.purpose = spec, purpose


class SubjectShredded(Exception):
    """The subject's data key is gone: their data can no longer be read."""


class _KeyCache:
    """A small LRU of unwrapped subject keys; entries expire so other processes' shredding takes effect. Each entry
    also remembers when the tombstone ledger last said its subject was not erased (see `Vault._subject_key`)."""

    def __init__(self, size: int = 20000, ttl: float = 300.0):
        self._data: OrderedDict[uuid.UUID, tuple[float, float, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.size, self.ttl = size, ttl

    def entry(self, sid: uuid.UUID) -> tuple[bytes, float] | None:
        """The key and when its subject was last found not erased, or None."""
        with self._lock:
            hit = self._data.get(sid)
            if hit is None or hit[0] < time.monotonic():
                return None
            self._data.move_to_end(sid)
            return hit[2], hit[1]

    def get(self, sid: uuid.UUID) -> bytes | None:
        hit = self.entry(sid)
        return hit[0] if hit else None

    def put(self, sid: uuid.UUID, key: bytes) -> None:
        """Keep a key whose subject was just found not erased."""
        with self._lock:
            now = time.monotonic()
            self._data[sid] = (now + self.ttl, now, key)
            self._data.move_to_end(sid)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def confirm(self, sid: uuid.UUID) -> None:
        with self._lock:
            hit = self._data.get(sid)
            if hit is not None:
                self._data[sid] = (hit[0], time.monotonic(), hit[2])

    def drop(self, sid: uuid.UUID) -> None:
        with self._lock:
            self._data.pop(sid, None)


class Vault:
    def __init__(self, keys: KeyRing, catalog: Catalog, cipher: FieldCipher | None = None,
                 ledger: Tombstones | None = None):
        self.ledger: Tombstones
        self.keys = keys
        self.ledger = ledger or TombstoneLedger(None)
        self.catalog = catalog
        self.cipher = cipher or AesGcmCipher()
        self._cache = _KeyCache()
        self._index_key = keys.derived("blind-index")

    # -- subject keys -------------------------------------------------------------------------------
    def _wrap_aad(self, sid: uuid.UUID) -> bytes:
        return b"jidi/subject-key|" + sid.bytes

    def create_subject(self, session: Session, subject_id: uuid.UUID | None = None) -> uuid.UUID:
        sid = subject_id or uuid.uuid4()
        dek = os.urandom(KEY_BYTES)
        self.keys.maybe_reload()
        version = self.keys.current
        wrapped = self.cipher.encrypt(self.keys.master(version), dek, self._wrap_aad(sid))
        session.add(SubjectKey(subject_id=sid, master_version=version, wrapped_key=wrapped))
        pending = session.info.setdefault("jidi_new_subject_keys", {})
        pending[sid] = dek
        after_commit(session, lambda: self._cache.put(sid, dek))
        return sid

    def _subject_key(self, session: Session, sid: uuid.UUID) -> bytes:
        dek = session.info.get("jidi_new_subject_keys", {}).get(sid)
        if dek is not None:
            return dek
        if cached := self._cache.entry(sid):
            # The ledger is shared, this cache is not: once another host (or process) has erased the subject, a key
            # kept here must not open what a restored backup brings back. Asked again after a second at most.
            dek, checked_at = cached
            if time.monotonic() - checked_at < LEDGER_RECHECK_SECONDS:
                return dek
            if not self.ledger.contains(sid):
                self._cache.confirm(sid)
                return dek
            self._cache.drop(sid)
            raise SubjectShredded(str(sid))
        row = session.get(SubjectKey, sid)
        if row is None or self.ledger.contains(sid):
            raise SubjectShredded(str(sid))
        dek = self.cipher.decrypt(self.keys.master(row.master_version), row.wrapped_key, self._wrap_aad(sid))
        self._cache.put(sid, dek)
        return dek

    def is_erased(self, subject_id: uuid.UUID) -> bool:
        """Erased on request (tombstoned), even if a restored backup still holds the subject's rows and key."""
        return self.ledger.contains(subject_id)

    def preload(self, session: Session, subject_ids: Iterable[uuid.UUID]) -> None:
        """Unwrap many subjects' keys with one query (before opening rows of many subjects, e.g. an export)."""
        wanted = [sid for sid in dict.fromkeys(subject_ids) if self._cache.get(sid) is None]
        pg = is_postgresql(session)
        erased = self.ledger.all()  # read once, not once per key
        for batch in id_batches(wanted, pg):
            for row in session.scalars(select(SubjectKey).where(one_of(SubjectKey.subject_id, batch, pg))):
                if row.subject_id not in erased:
                    key = self.cipher.decrypt(self.keys.master(row.master_version), row.wrapped_key, self._wrap_aad(row.subject_id))
                    self._cache.put(row.subject_id, key)

    def shred_subject(self, session: Session, subject_id: uuid.UUID, *, reason: str = "deleted") -> None:
        self.shred_subjects(session, [subject_id], reason=reason)

    def shred_subjects(self, session: Session, subject_ids: Iterable[uuid.UUID], *, reason: str, tombstone: bool = True) -> None:
        """Delete these subjects' data keys: their fields become unreadable everywhere, backups included.

        Deletions on request are tombstoned (here and, after the commit, in the ledger outside the database),
        so a restored backup is erased again; routine retention, which reruns by itself, passes tombstone=False.
        """
        ids = list(dict.fromkeys(subject_ids))
        pg = is_postgresql(session)
        for batch in id_batches(ids, pg):
            session.execute(delete(SubjectKey).where(one_of(SubjectKey.subject_id, batch, pg)))
            if tombstone and pg:
                # One statement for any number: the ids travel as one array parameter.
                session.execute(text(
                    "INSERT INTO tombstones (subject_id, reason, created_at) SELECT unnest(:ids), :reason, :at "
                    "ON CONFLICT (subject_id) DO NOTHING"
                ).bindparams(bindparam("ids", type_=ARRAY(Uuid))), {"ids": batch, "reason": reason, "at": utcnow()})
            elif tombstone:
                known = set(session.scalars(select(Tombstone.subject_id).where(one_of(Tombstone.subject_id, batch, pg))))
                fresh = [sid for sid in batch if sid not in known]
                if fresh:
                    session.execute(insert(Tombstone), [{"subject_id": sid, "reason": reason, "created_at": utcnow()} for sid in fresh])
        self.forget(session, ids, tombstone=tombstone)

    def forget(self, session: Session, subject_ids: Iterable[uuid.UUID], *, tombstone: bool) -> None:
        """After their keys were deleted: drop them from the cache and, if erased on request, tombstone them."""
        subject_ids = list(subject_ids)
        for sid in subject_ids:
            self._cache.drop(sid)

        def _after() -> None:
            for sid in subject_ids:
                self._cache.drop(sid)
            if tombstone:
                self.ledger.append(subject_ids, utcnow().date().isoformat())
        after_commit(session, _after)

    def rewrap_batch(self, session: Session, batch: int = 500) -> int:
        """Re-wrap up to `batch` subject keys still under an older master version; returns how many."""
        rows = session.scalars(
            select(SubjectKey).where(SubjectKey.master_version != self.keys.current).limit(batch).with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            dek = self.cipher.decrypt(self.keys.master(row.master_version), row.wrapped_key, self._wrap_aad(row.subject_id))
            row.wrapped_key = self.cipher.encrypt(self.keys.master(self.keys.current), dek, self._wrap_aad(row.subject_id))
            row.master_version = self.keys.current
        return len(rows)

    # -- fields -------------------------------------------------------------------------------------
    @staticmethod
    def _aad(spec: FieldSpec, row_id: uuid.UUID, sid: uuid.UUID) -> bytes:
        return b"jidi/field|" + spec.key.encode() + b"|" + row_id.bytes + sid.bytes

    @staticmethod
    def _subject_of(row: Row) -> uuid.UUID:
        subject_id: uuid.UUID = getattr(row, getattr(row, "__subject__", "subject_id"))
        return subject_id

    def spec_of(self, row: Row, column: str) -> FieldSpec:
        return self.catalog.spec(row.__tablename__, column)

    def set(self, session: Session, row: Row, column: str, value: str | None) -> None:
        """Seal `value` into row.column (and its blind index, if the field has one). None clears both."""
        spec = self.spec_of(row, column)
        if value is None:
            setattr(row, column, None)
        else:
            sid = self._subject_of(row)
            key = self._subject_key(session, sid)
            setattr(row, column, self.cipher.encrypt(key, value.encode(), self._aad(spec, row.id, sid)))
        if spec.blind_index:
            setattr(row, column + "_bidx", None if value is None else self.blind_index(spec.blind_index, value))

    def get(self, session: Session, row: Row, column: str) -> Personal | None:
        spec = self.spec_of(row, column)
        blob = getattr(row, column)
        if blob is None:
            return None
        sid = self._subject_of(row)
        plain = self.cipher.decrypt(self._subject_key(session, sid), blob, self._aad(spec, row.id, sid))
        return Personal(plain.decode(), spec, (str(sid), str(row.id)))

    def blind_index(self, domain: str, value: str) -> bytes:
        return hmac.new(self._index_key, domain.encode() + b"\x00" + value.encode(), hashlib.sha256).digest()

    def matches(self, session: Session, row: Row, column: str, value: str) -> bool:
        """Whether row.column holds `value`, compared in constant time and without showing the stored value: by its
        keyed blind index when the field has one, else opened inside the vault."""
        spec = self.spec_of(row, column)
        if spec.blind_index:
            stored = getattr(row, column + "_bidx")
            return stored is not None and hmac.compare_digest(stored, self.blind_index(spec.blind_index, value))
        held = self.get(session, row, column)
        return held is not None and hmac.compare_digest(held._plain.encode(), value.encode())

    # -- opening ------------------------------------------------------------------------------------
    @staticmethod
    def use(value: Personal, purpose: Purpose) -> str:
        """The plaintext for processing by the system (matching, sending a message); not shown to anyone."""
        if not value.spec.allows(purpose):
            raise PurposeNotAllowed(value.spec, purpose)
        return value._plain

    def reveal(self, session: Session, value: Personal, purpose: Purpose, actor: audit.Actor) -> str:
        """The plaintext for showing to a person: purpose and role checked, audited in this transaction."""
        if not value.spec.allows(purpose):
            raise PurposeNotAllowed(value.spec, purpose)
        if purpose not in ROLE_PURPOSES[actor.role]:
            raise PurposeNotAllowed(value.spec, purpose, f"the role '{actor.role.value}' may not use it")
        subject = uuid.UUID(value._row_ref[0]) if value._row_ref else None
        if purpose is Purpose.SELF_SERVICE and subject != actor.user_id:
            raise PurposeNotAllowed(value.spec, purpose, "only the data subject may open their own data")
        audit.append(
            session, self.keys, actor=actor, action="reveal", subject_id=subject,
            fields=[value.spec.key], purpose=purpose.value,
        )
        return value._plain

    def reveal_held(self, session: Session, row: Row, columns: list[str] | tuple[str, ...], actor: audit.Actor) -> dict[str, str | None]:
        """Show an account holder the full values of a row they keep about another person (SELF_SERVICE).

        Such a row (an address-book entry) is sealed under that person's own one-off subject, so `reveal`'s
        "only the data subject" rule cannot apply; instead the row names its holder in `__holder__` (the
        column with the holder's user id), and only that holder, in a role allowed SELF_SERVICE, may open it.
        One audit record, about the row's subject, lists the fields opened.
        """
        purpose = Purpose.SELF_SERVICE
        specs = [self.spec_of(row, column) for column in columns]
        for spec in specs:
            if not spec.allows(purpose):
                raise PurposeNotAllowed(spec, purpose)
            if purpose not in ROLE_PURPOSES[actor.role]:
                raise PurposeNotAllowed(spec, purpose, f"the role '{actor.role.value}' may not use it")
            holder = getattr(row, getattr(row, "__holder__", ""), None)
            if actor.user_id is None or holder != actor.user_id:
                raise PurposeNotAllowed(spec, purpose, "only the account holding this row may open it")
        values = {column: self.get(session, row, column) for column in columns}
        audit.append(
            session, self.keys, actor=actor, action="reveal", subject_id=self._subject_of(row),
            fields=[spec.key for spec in specs], purpose=purpose.value, detail="held by the account holder",
        )
        return {column: (value._plain if value is not None else None) for column, value in values.items()}

    def record(self, session: Session, *, actor: audit.Actor, action: str, subject_id: uuid.UUID | None,
               fields: list[str] | tuple[str, ...] = (), purpose: str = "", detail: str = "") -> None:
        """Write an audit record (export, staff change, disclosure…) in this transaction."""
        audit.append(session, self.keys, actor=actor, action=action, subject_id=subject_id,
                     fields=fields, purpose=purpose, detail=detail)

    def pseudonym(self, subject_id: uuid.UUID) -> str:
        return audit.pseudonym(self.keys.derived("audit"), subject_id)


__all__ = ["Vault", "PurposeNotAllowed", "SubjectShredded", "DecryptionError"]
