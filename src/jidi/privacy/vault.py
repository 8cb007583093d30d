"""The vault: the only code that turns plaintext into stored bytes and back, and the one way to open a value.

Every personal column holds `AES-256-GCM(subject data key, plaintext, aad)` where the associated data binds
the ciphertext to its table, column, row and subject: bytes copied to another row or column fail to open.
Subject data keys are wrapped by the current master key version; `rewrap_batch` moves them to a new one.
Sealing happens at flush (jidi.privacy.sealing); opening only through `open` / `open_all`.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any, overload

from sqlalchemy import Uuid, bindparam, delete, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from jidi.db import after_commit, id_batches, is_postgresql, one_of, utcnow
from jidi.privacy import audit, consent
from jidi.privacy.catalog import ROLE_PURPOSES, Catalog, FieldSpec, LegalBasis, Purpose
from jidi.privacy.cipher import AesGcmCipher, DecryptionError, FieldCipher
from jidi.privacy.keys import KEY_BYTES, KeyRing
from jidi.privacy import sealing
from jidi.privacy.models import SubjectKey, Tombstone
from jidi.privacy.sealing import SubjectShredded
from jidi.privacy.tombstones import TombstoneLedger, Tombstones
from jidi.privacy.values import Personal

Row = Any  # a row of any model with personal columns (the catalog says which)


# How long a cached subject key is used without asking the tombstone ledger again (`Vault.subject_key`).
LEDGER_RECHECK_SECONDS = 1.0


class PurposeNotAllowed(Exception):
    """Opening this field for this purpose (or by this role) is not allowed by the catalog."""

    def __init__(self, spec: FieldSpec, purpose: Purpose, why: str = "the catalog does not list this purpose"):
        super().__init__(f"{spec.key} may not be opened for '{purpose.value}': {why}")
        self.spec, self.purpose = spec, purpose


class ConsentRequired(PurposeNotAllowed):
    """The use rests on consent (the catalog's basis for this field and purpose) and the subject's consent to the
    purpose is not live: never given, or withdrawn (jidi.privacy.consent)."""

    def __init__(self, spec: FieldSpec, purpose: Purpose):
        super().__init__(spec, purpose, "it rests on consent, and the subject's consent is not live")


class _KeyCache:
    """A small LRU of unwrapped subject keys; entries expire so other processes' shredding takes effect. Each entry
    also remembers when the tombstone ledger last said its subject was not erased (see `Vault.subject_key`)."""

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

    def attach(self, sessions: Any) -> None:
        """Seal at flush, and read back as `Personal`, the personal columns of every session of this factory."""
        sealing.attach(sessions, self)

    def has_new_subject(self, session: Session, sid: uuid.UUID) -> bool:
        return sid in session.info.get("jidi_new_subject_keys", {})

    def known_key(self, session: Session, sid: uuid.UUID) -> bytes | None:
        """The subject's key if this transaction created it, or if it is cached and the ledger said the subject was not
        erased less than LEDGER_RECHECK_SECONDS ago; None if it must be fetched (`subject_key`)."""
        dek: bytes | None = session.info.get("jidi_new_subject_keys", {}).get(sid)
        if dek is not None:
            return dek
        cached = self._cache.entry(sid)
        if cached is not None and time.monotonic() - cached[1] < LEDGER_RECHECK_SECONDS:
            return cached[0]
        return None

    def subject_key(self, session: Session, sid: uuid.UUID) -> bytes:
        dek = self.known_key(session, sid)
        if dek is not None:
            return dek
        if cached := self._cache.entry(sid):
            # The ledger is shared, this cache is not: once another host (or process) has erased the subject, a key
            # kept here must not open what a restored backup brings back. Asked again after a second at most.
            if not self.ledger.contains(sid):
                self._cache.confirm(sid)
                return cached[0]
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
    def aad(spec: FieldSpec, row_id: uuid.UUID, sid: uuid.UUID) -> bytes:
        return b"jidi/field|" + spec.key.encode() + b"|" + row_id.bytes + sid.bytes

    def seal(self, session: Session, plain: str, spec: FieldSpec, row_id: uuid.UUID, sid: uuid.UUID,
             holder: uuid.UUID | None = None) -> Personal:
        """`plain` sealed for this row, column and subject (called at flush)."""
        key = self.subject_key(session, sid)
        aad = self.aad(spec, row_id, sid)
        blob = self.cipher.encrypt(key, plain.encode(), aad)
        return Personal(plain, spec, (str(sid), str(row_id)), sealing.Seal(self, session, blob, aad, sid, holder, key))

    def blind_index(self, domain: str, value: str) -> bytes:
        return hmac.new(self._index_key, domain.encode() + b"\x00" + value.encode(), hashlib.sha256).digest()

    def matches(self, row: Row, column: str, value: str) -> bool:
        """Whether row.column holds `value`, compared in constant time and without showing the stored value: by its
        keyed blind index when the field has one, else opened inside the vault."""
        spec = self.catalog.spec(row.__tablename__, column)
        if spec.blind_index:
            stored = getattr(row, column + "_bidx")
            return stored is not None and hmac.compare_digest(stored, self.blind_index(spec.blind_index, value))
        held = getattr(row, column)
        return held is not None and hmac.compare_digest(held._plain.encode(), value.encode())

    def pseudonym(self, subject_id: uuid.UUID) -> str:
        return audit.pseudonym(self.keys.derived("audit"), subject_id)


@overload
def open(value: Personal, *, for_: Purpose, actor: audit.Actor) -> str: ...
@overload
def open(value: None, *, for_: Purpose, actor: audit.Actor) -> None: ...
@overload
def open(value: Personal | None, *, for_: Purpose, actor: audit.Actor) -> str | None: ...
def open(value: Personal | None, *, for_: Purpose, actor: audit.Actor) -> str | None:
    """The one way to a value's plaintext (None stays None); see `open_all`."""
    return open_all([value], for_=for_, actor=actor)[0]


def open_all(values: Sequence[Personal | None], *, for_: Purpose, actor: audit.Actor) -> list[str | None]:
    """The plaintexts of `values` (None stays None), opened for `for_` by `actor`.

    The catalog must list the purpose for every field. The system itself (`Actor.system()`) opens a value to
    process it (match, send, print) and nothing more is asked. A person is shown the value: their role must allow
    the purpose, a customer may open only their own data (or a row their account holds about someone, such as an
    address-book entry, or wrote about someone into a record they share, such as the parties of an order it placed), and one audit record per subject, written in the transaction that read the values,
    lists the fields opened.
    """
    present = [v for v in values if v is not None]
    on_consent = []
    for value in present:
        if not value.spec.allows(for_):
            raise PurposeNotAllowed(value.spec, for_)
        if value.spec.basis_for(for_) is LegalBasis.CONSENT:
            on_consent.append(value)
    if on_consent:
        _check_consent(on_consent, for_)
    if actor.user_id is not None:
        _audit_opening(present, for_, actor)
    return [v._plain if v is not None else None for v in values]


def _check_consent(values: list[Personal], purpose: Purpose) -> None:
    """Every value's subject has a live consent to `purpose`, asked in the transaction that read the values (one
    query for all of them); a value not read from a row (no transaction to ask in) is refused."""
    seal = next((v._seal for v in values if v._seal is not None and v._seal.session is not None), None)
    subjects = [v.subject_id for v in values]  # parsed once each
    if seal is None or seal.session is None or None in subjects:
        raise ConsentRequired(values[0].spec, purpose)
    live = consent.live_among(seal.session, seal.vault.keys, subjects, purpose)  # type: ignore[arg-type]  # no None
    for value, subject in zip(values, subjects):
        if subject not in live:
            raise ConsentRequired(value.spec, purpose)


def _audit_opening(values: list[Personal], purpose: Purpose, actor: audit.Actor) -> None:
    by_subject: dict[uuid.UUID | None, list[Personal]] = {}
    for value in values:
        if purpose not in ROLE_PURPOSES[actor.role]:
            raise PurposeNotAllowed(value.spec, purpose, f"the role '{actor.role.value}' may not use it")
        by_subject.setdefault(value.subject_id, []).append(value)
    for subject, group in by_subject.items():
        seal = next((v._seal for v in group if v._seal is not None), None)
        if seal is None or seal.session is None or not seal.session.in_transaction():
            raise RuntimeError("a value is shown to a person only inside the unit of work that read it")
        held = False
        if purpose is Purpose.SELF_SERVICE and subject != actor.user_id:
            # A row the account keeps about another person (an address-book entry) opens to that account only.
            held = all(v._seal is not None and v._seal.holder == actor.user_id for v in group)
            if not held:
                why = "only the data subject may open their own data"
                raise PurposeNotAllowed(group[0].spec, purpose, why)
        # The basis this use rests on (JD-1.5, ZK-1.5.1): one per record, so fields on different bases get one each.
        by_basis: dict[str, list[str]] = {}
        for v in group:
            basis = v.spec.basis_for(purpose)
            by_basis.setdefault(basis.value if basis else "", []).append(v.spec.key)
        for basis_name, keys in by_basis.items():
            audit.append(
                seal.session, seal.vault.keys, actor=actor, action="reveal", subject_id=subject,
                fields=keys, purpose=purpose.value, detail="held by the account holder" if held else "", basis=basis_name,
            )


__all__ = ["Vault", "open", "open_all", "ConsentRequired", "PurposeNotAllowed", "SubjectShredded", "DecryptionError"]
