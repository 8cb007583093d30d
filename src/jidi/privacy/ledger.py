"""What must survive a database restore, kept where every host sees it and no database backup brings back: the
tombstones of subjects erased on request (`jidi.privacy.tombstones`) and the signed checkpoints of the audit chain
(`jidi.privacy.audit`).

Two stores with one interface:
* a database of its own (`JIDI_LEDGER_URL`, a separate PostgreSQL database every host shares, with its own backups
  that are never restored together with the main database): tables `ledger_tombstones` and `ledger_audit_checkpoints`,
  created on first use;
* append-only files beside the key file (the embedded default, one host): `JIDI_TOMBSTONE_PATH` and
  `audit-checkpoints.log` in the same directory, fsynced.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Uuid, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from jidi.db import UTCDateTime, make_engine
from jidi.privacy.audit import Checkpoint, Checkpoints
from jidi.privacy.tombstones import TombstoneLedger, Tombstones

metadata = MetaData()
tombstones_table = Table(
    "ledger_tombstones", metadata,
    Column("subject_id", Uuid, primary_key=True),
    Column("stamp", String(10), nullable=False),  # the date of the erasure: no personal data
)
checkpoints_table = Table(
    "ledger_audit_checkpoints", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("signature", String(64), nullable=False),
)


class SqlTombstoneLedger:
    """The tombstone ledger in the shared ledger database: an erasure on one host is refused by every other at once."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._known: set[uuid.UUID] = set()  # tombstones never go away: a hit need not be asked again
        self._lock = threading.Lock()

    def contains(self, subject_id: uuid.UUID) -> bool:
        if subject_id in self._known:
            return True
        with self.engine.connect() as conn:
            hit = conn.scalar(select(tombstones_table.c.subject_id).where(tombstones_table.c.subject_id == subject_id))
        if hit is not None:
            with self._lock:
                self._known.add(subject_id)
        return hit is not None

    def all(self) -> set[uuid.UUID]:
        with self.engine.connect() as conn:
            ids = set(conn.scalars(select(tombstones_table.c.subject_id)))
        with self._lock:
            self._known |= ids
        return ids

    def append(self, subject_ids: Iterable[uuid.UUID], stamp: str) -> None:
        ids = list(dict.fromkeys(subject_ids))
        if not ids:
            return
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        with self.engine.begin() as conn:
            conn.execute(insert(tombstones_table).on_conflict_do_nothing(), [{"subject_id": sid, "stamp": stamp} for sid in ids])
        with self._lock:
            self._known.update(ids)


class SqlCheckpoints:
    def __init__(self, engine: Engine):
        self.engine = engine

    def append(self, checkpoint: Checkpoint) -> None:
        with self.engine.begin() as conn:
            conn.execute(checkpoints_table.insert().values(**dataclasses.asdict(checkpoint)))

    def all(self) -> list[Checkpoint]:
        c = checkpoints_table.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(c.seq, c.hash, c.at, c.signature).order_by(c.id)).all()
        return [Checkpoint(*row) for row in rows]


class FileCheckpoints:
    """Checkpoints as JSON lines in an append-only file (mode 0600, fsynced)."""

    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()
        self._memory: list[Checkpoint] = []  # no path: kept for this process only

    def append(self, checkpoint: Checkpoint) -> None:
        if self.path is None:
            self._memory.append(checkpoint)
            return
        line = json.dumps({"seq": checkpoint.seq, "hash": checkpoint.hash, "at": checkpoint.at.isoformat(timespec="microseconds"),
                           "signature": checkpoint.signature}) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
                os.fsync(fd)
            finally:
                os.close(fd)

    def all(self) -> list[Checkpoint]:
        if self.path is None:
            return list(self._memory)
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text().splitlines():
            if line.strip().endswith("}"):  # a line still being written is read next time
                d = json.loads(line)
                out.append(Checkpoint(d["seq"], d["hash"], dt.datetime.fromisoformat(d["at"]), d["signature"]))
        return out


@dataclasses.dataclass
class Ledger:
    tombstones: Tombstones
    checkpoints: Checkpoints


def open_ledger(url: str, tombstone_path: Path | None) -> Ledger:
    """The shared ledger database if `url` is set, else the files (checkpoints beside the tombstone file)."""
    if not url:
        checkpoint_path = tombstone_path.with_name("audit-checkpoints.log") if tombstone_path else None
        return Ledger(TombstoneLedger(tombstone_path), FileCheckpoints(checkpoint_path))
    engine = make_engine(url)
    try:
        metadata.create_all(engine)
    except DBAPIError:  # another host created the tables at the same moment
        metadata.create_all(engine)
    return Ledger(SqlTombstoneLedger(engine), SqlCheckpoints(engine))
