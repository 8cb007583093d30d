"""Sealing by the model: personal columns are sealed at flush and read back as `Personal` values.

A model declares its personal columns (`personal(...)`) and, once, whose data a row is (`__subject__`, the column
holding the subject id; default `subject_id`):
* `"id"`: the row is the subject (an account): its data key is created with the row;
* `"subject_id"`: the row is about a person of its own (a party, an address-book entry, a relative's number): a
  one-off data key is created with the row, and again when the column is emptied (a correction) and a value
  sealed;
* any other column: the subject named there (the owner), whose key already exists.

Assigning a plain `str` to a personal attribute gives a `Personal` at once; at flush the vault (the one listener
the privacy core registers on the session factory, `Vault.attach`) seals every value not yet sealed for this
row, column and subject under the subject's key, and fills the column's blind index. Values copied from another
row, or left on a row whose subject changed, are sealed again. Loaded rows hold `Personal` values that decrypt on
first use; their subjects' keys are fetched together, before the transaction ends.
"""
from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Column, Table, event, inspect
from sqlalchemy.orm import Mapper, QueryContext, Session, UOWTransaction, attributes, object_session, sessionmaker

from jidi.db import Base
from jidi.privacy.values import Personal

if TYPE_CHECKING:
    from jidi.privacy.catalog import FieldSpec
    from jidi.privacy.vault import Vault

Row = Any  # a row of any model with personal columns (the catalog says which)
Columns = tuple[tuple[str, "FieldSpec"], ...]

VAULT = "jidi_vault"          # session.info: the vault sealing this session's rows
_UNKEYED = "jidi_unkeyed"     # session.info: loaded values whose subject key is not fetched yet


class SubjectShredded(Exception):
    """The subject's data key is gone: their data can no longer be read."""


class Seal:
    """A loaded value's ciphertext and what is needed to open it (inside the privacy core only)."""

    __slots__ = ("vault", "session", "blob", "aad", "sid", "holder", "key", "shredded")

    def __init__(self, vault: Vault, session: Session | None, blob: bytes, aad: bytes, sid: uuid.UUID,
                 holder: uuid.UUID | None, key: bytes | None):
        self.vault, self.session, self.blob, self.aad, self.sid, self.holder = vault, session, blob, aad, sid, holder
        self.key, self.shredded = key, False

    def open(self) -> str:
        if self.key is None and not self.shredded:
            if self.session is None or not self.session.in_transaction():
                raise RuntimeError("a personal value is opened outside the unit of work that read it")
            resolve_keys(self.session)
        if self.key is None:
            raise SubjectShredded(str(self.sid))
        return self.vault.cipher.decrypt(self.key, self.blob, self.aad).decode()


@functools.cache
def personal_columns(cls: type) -> Columns:
    """(attribute, FieldSpec) of each personal column of a mapped class."""
    mapper: Mapper[Any] = inspect(cls)
    table = cast(Table, mapper.local_table)  # personal models are mapped to tables, not to selects
    out = []
    for prop in mapper.column_attrs:
        col = prop.columns[0]
        if not isinstance(col, Column):
            continue  # a column_property read from another table (e.g. OrderParty.written_by): not stored here
        spec = col.info.get("personal")
        if spec is not None:
            out.append((prop.key, dataclasses.replace(spec, table=table.name, column=col.name)))
    return tuple(out)


def subject_column(row_or_cls: object) -> str:
    column: str = getattr(row_or_cls, "__subject__", "subject_id")
    return column


def holder_of(row: Row) -> uuid.UUID | None:
    """The account that may open a row about another person for self-service, if any: the account keeping it as its
    own record (`__holder__`, an address-book entry's owner), or the account that wrote it into a record shared with
    the people it names (`__written_by__`, the account that placed an order, of the order's sender and recipient)."""
    column = getattr(row, "__holder__", None) or getattr(row, "__written_by__", None)
    # As loaded, never loaded here: a deferred writer (read only by the query that needs it) is None otherwise, so
    # such a row opens to nobody but its subject.
    holder: uuid.UUID | None = row.__dict__.get(column) if column else None
    return holder


# -- plaintext assigned ---------------------------------------------------------------------------
@event.listens_for(Mapper, "mapper_configured")
def _wrap_assignments(mapper: Mapper[Any], cls: type) -> None:
    for attr, spec in personal_columns(cls):
        def wrap(_target: object, value: object, _old: object, _initiator: object, spec: FieldSpec = spec) -> object:
            if isinstance(value, str):
                return Personal(value, spec)
            if value is None or isinstance(value, (Personal, bytes)):
                return value
            raise TypeError(f"{spec.key} takes text")
        event.listen(getattr(cls, attr), "set", wrap, retval=True)


# -- loading --------------------------------------------------------------------------------------
def _wrap_loaded(row: Row, session: Session | None, attrs: Collection[str] | None = None) -> None:
    cls: type = type(row)
    columns = personal_columns(cls)
    if not columns or session is None:
        return
    vault: Vault | None = session.info.get(VAULT)
    if vault is None:
        return
    state = row.__dict__
    sid = state.get(subject_column(row))
    key: bytes | None = None
    ids: tuple[str, str] | None = None
    holder: uuid.UUID | None = None
    for attr, spec in columns:
        blob = state.get(attr)
        if not isinstance(blob, bytes) or (attrs is not None and attr not in attrs):
            continue
        if ids is None:  # one subject per row: its key, ids and holder are looked up once, not per personal column
            key, ids, holder = vault.known_key(session, sid), (str(sid), str(row.id)), holder_of(row)
        seal = Seal(vault, session, blob, vault.aad(spec, row.id, sid), sid, holder, key)
        if key is None:
            session.info.setdefault(_UNKEYED, []).append(seal)
        attributes.set_committed_value(row, attr, Personal(None, spec, ids, seal))


def _on_load(row: Row, context: QueryContext) -> None:
    _wrap_loaded(row, context.session)


def _on_refresh(row: Row, context: QueryContext | None, attrs: Collection[str] | None) -> None:
    # No query context when a bulk UPDATE sets the values it wrote on the objects in the session.
    _wrap_loaded(row, context.session if context is not None else object_session(row), attrs)


def resolve_keys(session: Session) -> None:
    """Fetch, in one query, the keys of every loaded value still waiting for one."""
    pending = session.info.pop(_UNKEYED, [])
    if not pending:
        return
    vault: Vault = session.info[VAULT]
    with session.no_autoflush:
        vault.preload(session, {seal.sid for seal in pending})
        for seal in pending:
            seal.key = vault.known_key(session, seal.sid)
            if seal.key is None:
                try:
                    seal.key = vault.subject_key(session, seal.sid)
                except SubjectShredded:
                    seal.shredded = True


# -- flushing -------------------------------------------------------------------------------------
def _seal_changes(session: Session, _context: UOWTransaction, _instances: object) -> None:
    vault: Vault = session.info[VAULT]
    new = set(map(id, session.new))
    for row in [*session.new, *session.dirty]:
        cls: type = type(row)
        columns = personal_columns(cls)
        if columns:
            _seal_row(session, vault, row, columns, id(row) in new)


def _seal_row(session: Session, vault: Vault, row: Row, columns: Columns, is_new: bool) -> None:
    subject = subject_column(row)
    if row.id is None:
        row.id = uuid.uuid4()
    if is_new and subject == "id" and not vault.has_new_subject(session, row.id):
        vault.create_subject(session, row.id)
    if is_new and subject == "subject_id" and row.subject_id is None:
        row.subject_id = vault.create_subject(session)  # the row's own one-off subject
    state = inspect(row)
    for attr, spec in columns:
        if attr not in row.__dict__:
            continue  # not loaded, so not changed
        value = row.__dict__[attr]
        if isinstance(value, Personal):
            sid = getattr(row, subject)
            if sid is None:
                if subject != "subject_id":
                    raise ValueError(f"{spec.table} rows need their {subject} before personal data is stored")
                sid = vault.create_subject(session)  # the row's own one-off subject
                setattr(row, subject, sid)
            if value._row_ref == (str(sid), str(row.id)) and value._seal is not None and value.spec.key == spec.key:
                continue
            plain = value._plain
            setattr(row, attr, vault.seal(session, plain, spec, row.id, sid, holder_of(row)))
            if spec.blind_index:
                setattr(row, attr + "_bidx", vault.blind_index(spec.blind_index, plain))
        elif value is None and spec.blind_index and state.attrs[attr].history.has_changes():
            setattr(row, attr + "_bidx", None)


def _before_commit(session: Session) -> None:
    # Values read in this transaction stay readable (masked in a page) after it ends: fetch their keys now.
    if session.info.get(_UNKEYED):
        resolve_keys(session)


def attach(sessions: sessionmaker[Session], vault: Vault) -> None:
    """Seal and open the personal values of every session this factory makes, with this vault."""
    sessions.configure(info={**sessions.kw.get("info", {}), VAULT: vault})
    event.listen(sessions, "before_flush", _seal_changes)
    event.listen(sessions, "before_commit", _before_commit)


event.listen(Base, "load", _on_load, propagate=True)
event.listen(Base, "refresh", _on_refresh, propagate=True)
