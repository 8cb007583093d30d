"""The tombstone ledger: the subjects erased on request, kept outside the database.

A database backup taken before an erasure still holds the erased subject's wrapped data key. The ledger is
never part of a database backup (Ambiguity A19): a database of its own that every host shares (`JIDI_LEDGER_URL`,
`jidi.privacy.ledger`), or, on the embedded default, the append-only file kept here beside the key file. The
vault refuses to open any subject it lists, so a restored backup cannot reveal an erased person even before
`reapply` runs, and `reapply` (run by `jidi migrate`, by every server process and worker at start-up, and by
`jidi privacy reapply-tombstones`) shreds their keys
and erases their rows again. Each line is a random subject id and a date: no personal data.

Tombstones are also written to the `tombstones` table in the erasing transaction; the ledger is appended after
the commit, and `reapply` copies any row the ledger missed (a crash between the two) into it.
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from jidi.db import is_postgresql
from jidi.privacy.audit import Actor
from jidi.privacy.models import SubjectKey, Tombstone

if TYPE_CHECKING:  # both import this module
    from jidi.privacy.datamap import DataMap
    from jidi.privacy.vault import Vault
    from jidi.events import EventBus


class Tombstones(Protocol):
    """The ledger of erased subjects: the file store below, or the shared database's (`jidi.privacy.ledger`)."""

    def contains(self, subject_id: uuid.UUID) -> bool: ...

    def all(self) -> set[uuid.UUID]: ...

    def append(self, subject_ids: Iterable[uuid.UUID], stamp: str) -> None: ...


class TombstoneLedger:
    """The file store of the ledger (one host); `jidi.privacy.ledger.SqlTombstoneLedger` has the same interface."""

    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()
        self._known: set[uuid.UUID] = set()
        self._offset = 0

    def _refresh(self) -> None:
        if self.path is None or not self.path.exists():
            return
        size = self.path.stat().st_size
        if size == self._offset:
            return
        with self.path.open("rb") as fh:
            fh.seek(self._offset)
            chunk = fh.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written is read next time
        for line in complete.decode().splitlines():
            if line.strip():
                self._known.add(uuid.UUID(line.split()[0]))
        self._offset += len(complete)

    def contains(self, subject_id: uuid.UUID) -> bool:
        with self._lock:
            if subject_id in self._known:
                return True
            self._refresh()
            return subject_id in self._known

    def all(self) -> set[uuid.UUID]:
        with self._lock:
            self._refresh()
            return set(self._known)

    def append(self, subject_ids: Iterable[uuid.UUID], stamp: str) -> None:
        ids = [sid for sid in subject_ids]
        if self.path is None or not ids:
            with self._lock:
                self._known.update(ids)
            return
        data = "".join(f"{sid} {stamp}\n" for sid in ids).encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            self._known.update(ids)


def reapply(uow: Callable[[], AbstractContextManager[Session]], vault: Vault, datamap: DataMap, now: dt.datetime, *,
            events: EventBus | None = None, batch: int = 500) -> tuple[int, int]:
    """Make the database agree with the ledger after a restore (and the ledger with the database after a crash).

    Returns (subjects whose keys were shredded again, accounts erased again). Safe to run at any time, also by
    several processes starting at once (each server process and worker runs it before its first request or job).
    What the backup brings back of the share register is marked for deletion again, and `events` (the event bus)
    has the notices sent to its recipients, as the erasure did.
    """
    ledger = vault.ledger
    with uow() as s:
        in_db = set(s.scalars(select(Tombstone.subject_id)))
    missing_in_file = in_db - ledger.all()
    if missing_in_file:
        ledger.append(sorted(missing_in_file, key=str), now.date().isoformat())
    missing_in_db = sorted(ledger.all() - in_db, key=str)
    shredded = erased = 0
    users = datamap.maps["users"].table
    for i in range(0, len(missing_in_db), batch):
        chunk = missing_in_db[i:i + batch]
        with uow() as s:
            shredded += cast(CursorResult[Any], s.execute(delete(SubjectKey).where(SubjectKey.subject_id.in_(chunk)))).rowcount or 0
            insert = (pg_insert if is_postgresql(s) else sqlite_insert)(Tombstone).on_conflict_do_nothing()
            s.execute(insert, [{"subject_id": sid, "reason": "reapplied", "created_at": now} for sid in chunk])
            # Locked: a process starting beside this one waits, then finds the account erased.
            accounts = list(s.scalars(select(users.c.id).where(users.c.id.in_(chunk), users.c.status != "erased")
                                      .with_for_update()))
            told = False
            for account in accounts:
                report = datamap.erase(s, vault, datamap.find(s, account, whole=False), actor=Actor.system(), now=now,
                                       reason="reapplied after restore")
                told = told or bool(report.recipients_told)
            if told and events is not None:
                events.record(s, "shares.deletion_asked")
            erased += len(accounts)
    return shredded, erased
