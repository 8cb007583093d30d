"""Database plumbing: the declarative base, engines for SQLite and PostgreSQL, and units of work.

One transaction per use case: services receive a Session, write their rows and audit records in it, and
register work (jobs) to run only after the commit through `after_commit`.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # Columns of a table that hold no personal data, named explicitly (see jidi.privacy.catalog).
    __nonpersonal__: tuple[str, ...] = ()


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime")
            value = value.astimezone(dt.timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)
    _configure_postgresql(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite starts transactions lazily and never with IMMEDIATE; a read followed by a write could then
    # fail against a concurrent writer. Take the write lock at BEGIN so transactions serialise cleanly.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_postgresql(engine: Engine) -> None:
    # Lists (the ids of `one_of`) are sent as binary arrays: the text format quotes element by element, which takes
    # five times as long for the thousands of ids of an erasure.
    from psycopg.types.array import ListBinaryDumper  # noqa: PLC0415

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.adapters.register_dumper(list, ListBinaryDumper)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run fn once the session's transaction has committed; dropped if it (or the savepoint it was asked in) rolls
    back."""
    _pending(session).append((_innermost(session), fn, None))


def after_commit_batch(session: Session, fn: Callable[[list], None], item) -> None:
    """Collect `item` for one call of fn(items) once the transaction has committed (one call per fn, however many
    items the transaction collected); an item asked for in a savepoint that rolls back is dropped."""
    _pending(session).append((_innermost(session), fn, item))


def _pending(session: Session) -> list:
    return session.info.setdefault("after_commit", [])


def _innermost(session: Session):
    return session.get_nested_transaction() or session.get_transaction()


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: its work waits for the real commit
    batches: dict[Callable, list] = {}
    for _txn, fn, item in session.info.pop("after_commit", []):
        if item is None:
            fn()
        else:
            batches.setdefault(fn, []).append(item)
    for fn, items in batches.items():
        fn(items)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop("after_commit", None)
        return
    # A savepoint rolled back: drop what was asked inside it (or inside savepoints within it).
    def inside(txn) -> bool:
        while txn is not None:
            if txn is previous_transaction:
                return True
            txn = txn.parent
        return False

    session.info["after_commit"] = [entry for entry in session.info.get("after_commit", []) if not inside(entry[0])]


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


T = TypeVar("T")


def id_batches(ids: list[T], postgresql: bool, size: int = 500) -> Iterator[list[T]]:
    """Ids to match in one statement each: all at once on PostgreSQL (one array parameter), else 500 at a time."""
    if postgresql:
        if ids:
            yield list(ids)
        return
    for i in range(0, len(ids), size):
        yield list(ids[i:i + size])


def one_of(column: Any, ids: list[Any], postgresql: bool) -> ColumnElement[bool]:
    """column IN ids. On PostgreSQL `= ANY(array)`: one parameter, so the statement is cached and never re-parsed."""
    if postgresql:
        from sqlalchemy import any_, bindparam  # noqa: PLC0415
        from sqlalchemy.dialects.postgresql import ARRAY  # noqa: PLC0415

        return column == any_(bindparam(None, list(ids), type_=ARRAY(column.type)))
    return column.in_(list(ids))


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction for one use case: commits on success, rolls back on any exception."""
    with factory() as session:
        with session.begin():
            yield session
