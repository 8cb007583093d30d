"""The data map: every row jidi holds about one person, found from the schema and the catalog, not from a
hand-written list per feature, and the erasure of those rows.

How a table's rows are tied to a person (an account holder, by user id) follows from its columns:

* subject — the table's subject column (`__subject__`, default `subject_id`) is the user id: the account
  itself, its verified identity, its consents, messages sent to it;
* account — a foreign key to `users.id` is the user id: rows the account keeps (orders it placed, its
  address book, its sessions, the family numbers it bound);
* identifier — a blind-index column holds the keyed hash of one of the person's own identifiers (their
  phone number on parcels others sent them, as someone's family number). In a table whose rows another
  account holds (`__holder__`), such a row is that account's record about the person: `HELD_BY_OTHERS`. A row
  another account only wrote into a record the person shares (`__written_by__`: a waybill's recipient, typed by the
  sender) stays a record naming them: its writer may open it (jidi.privacy.sealing.holder_of), the person still sees it;
* part — a foreign key to a row already found (the parties and the pickup record of an order placed).

A table added later is covered without new code; `DataMap.unindexed_links` names any link column without an
index (a test keeps it empty, so finding a person never scans a table).

Erasure follows each model's `__erase__`: "delete" removes the rows; otherwise personal columns and their blind
indexes are cleared, account links that may be NULL are cut, and the listed columns set (a value may be a
callable taking the time of erasure). The data keys of every erased row's subject are shredded, so copies of
the ciphertext elsewhere (replicas, backups) cannot be opened either, and each shredded subject is tombstoned.
Rows a law requires to keep (`__legal_hold__`) are not erased but restricted: kept, listed to the person with
their legal basis and end date, and no longer shown. A model whose erased rows must keep their link to the person
says why in `__kept_after_erasure__` (the erased account's placeholder, the record of a request); the residue scan
reports every other row still linked.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import LargeBinary, Table, Uuid, case, delete, literal, or_, select, union_all, update
from sqlalchemy.orm import DeclarativeBase, Session

from jidi.db import id_batches, is_postgresql, one_of
from jidi.privacy import audit
from jidi.privacy.catalog import Catalog, FieldSpec, Purpose
from jidi.privacy.models import ConsentRecord, Restriction
from jidi.privacy.sharing import ShareRegister
from jidi.privacy.values import Personal
from jidi.privacy.vault import Vault

ACCOUNT_TABLE = "users"
CONSENT_LABEL = ("同意记录", "Consents")


class Relation(enum.Enum):
    SUBJECT = "subject"                 # about the person, sealed under their own key
    ACCOUNT = "account"                 # kept by the person's account
    PART = "part"                       # part of a row found for the person
    IDENTIFIER = "identifier"           # names the person by one of their identifiers
    HELD_BY_OTHERS = "held_by_others"   # another account's record naming the person
    OTHER_ACCOUNT = "other_account"     # another account's own data that points at the person's account


RELATION_LABELS = {
    Relation.SUBJECT: ("您本人的信息", "About you"),
    Relation.ACCOUNT: ("您的账号保存的信息", "Kept by your account"),
    Relation.PART: ("所属记录的组成部分", "Part of one of your records"),
    Relation.IDENTIFIER: ("他人寄给您或与您相关的记录", "Records that name you (e.g. parcels sent to you)"),
    Relation.HELD_BY_OTHERS: ("其他用户保存的您的联系方式", "Your contact details kept by other users"),
    Relation.OTHER_ACCOUNT: ("其他用户与您相关的记录", "Other users' records that refer to you"),
}


@dataclasses.dataclass(frozen=True)
class LegalHold:
    """A law requires the rows to be kept `days` after the time in column `after`, even if the person asks for
    deletion; until then they are restricted (PIPL art. 47)."""

    law_zh: str
    law_en: str
    after: str
    days: int

    def until(self, row: Any) -> dt.datetime:
        start: dt.datetime = getattr(row, self.after)
        return start + dt.timedelta(days=self.days)


@dataclasses.dataclass
class TableMap:
    table: Table
    model: type
    label: tuple[str, str]
    subject_column: str | None
    account_columns: tuple[str, ...]
    identifier_columns: dict[str, str]  # blind-index column -> domain
    parent_columns: dict[str, str]      # foreign-key column -> parent table
    personal_columns: tuple[str, ...]
    erase: str | dict[str, Any]          # "delete" | dict[str, value or callable(now)]
    legal_hold: LegalHold | None
    holder_column: str | None

    @property
    def name(self) -> str:
        return self.table.name

    def link_columns(self) -> list[str]:
        cols = list(self.account_columns) + list(self.identifier_columns) + list(self.parent_columns)
        if self.subject_column:
            cols.append(self.subject_column)
        return cols

    def key_columns(self) -> list[str]:
        """What planning or erasing a row needs: its id, what ties it to the person, when its legal hold began."""
        cols = ["id", self.subject_column, *self.account_columns, *self.parent_columns, self.holder_column,
                self.legal_hold.after if self.legal_hold else None]
        return [c for c in dict.fromkeys(cols) if c and c in self.table.c]


@dataclasses.dataclass
class FoundRow:
    row: Any  # a model instance (find(whole=True)) or a row of its key columns
    relation: Relation


@dataclasses.dataclass
class SubjectData:
    """What the data map found for one person. Only `DataMap.find` makes one."""

    user_id: uuid.UUID
    tables: dict[str, list[FoundRow]]  # rows: whole (ORM objects), or only their key columns
    _token: object = dataclasses.field(repr=False, default=None)
    identifiers: dict[str, set[bytes]] = dataclasses.field(repr=False, default_factory=dict)  # keyed hashes, by domain
    whole: bool = True  # the rows are ORM objects, not only their key columns (`find(whole=False)`)

    def count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


@dataclasses.dataclass(frozen=True)
class FieldValue:
    spec: FieldSpec
    value: Personal | str | None  # masked Personal, plaintext (disclosed), or None (empty)
    withheld: bool = False        # a credential or secret: its existence is listed, never its value


@dataclasses.dataclass(frozen=True)
class RowView:
    table: str
    label: tuple[str, str]
    relation: Relation
    row_id: str
    fields: tuple[FieldValue, ...]
    details: dict[str, object]   # non-personal columns (status, times, region codes…), as stored


@dataclasses.dataclass(frozen=True)
class Restricted:
    table: str
    label: tuple[str, str]
    row_id: str
    law_zh: str
    law_en: str
    until: dt.datetime


@dataclasses.dataclass(frozen=True)
class ErasureReport:
    erased: dict[str, int]
    restricted: tuple[Restricted, ...]
    shredded_subjects: int
    recipients_told: dict[str, int] = dataclasses.field(default_factory=dict)  # recipient key -> shared records


def kept_reason(model: type) -> str:
    """Why the model's rows keep their link to a person after the person's erasure; empty: they must not."""
    return getattr(model, "__kept_after_erasure__", "")


_TOKEN = object()
# Columns never shown in "my data": internal ids and keyed hashes.
_HIDDEN_DETAIL_TYPES = (LargeBinary, Uuid)


class DataMap:
    def __init__(self, base: type[DeclarativeBase], catalog: Catalog, shares: ShareRegister | None = None):
        self.catalog = catalog
        self.shares = shares  # whom to tell when data is erased
        self.metadata = base.metadata
        self.maps: dict[str, TableMap] = {}
        models = {m.class_.__tablename__: m.class_ for m in base.registry.mappers}
        for table in base.metadata.sorted_tables:
            model = models.get(table.name)
            if model is None or not getattr(model, "__datamap__", True):
                continue
            self.maps[table.name] = self._table_map(table, model)
        self._drop_links_to_tables_without_people()

    def _drop_links_to_tables_without_people(self) -> None:
        """A foreign key to a table that no person's data can be found in (a service point, a partner company) leads
        to nobody: it is no path of finding or erasing, so it needs no index for it."""
        reach = {tm.name for tm in self.maps.values() if tm.subject_column or tm.account_columns or tm.identifier_columns}
        while grown := {tm.name for tm in self.maps.values() if tm.name not in reach and set(tm.parent_columns.values()) & reach}:
            reach |= grown
        for tm in self.maps.values():
            tm.parent_columns = {col: parent for col, parent in tm.parent_columns.items() if parent in reach}

    def _table_map(self, table: Table, model: type) -> TableMap:
        subject = getattr(model, "__subject__", "subject_id")
        subject = subject if subject in table.c else None
        account, parents = [], {}
        for col in table.columns:
            for fk in col.foreign_keys:
                target = fk.column.table.name
                if target == ACCOUNT_TABLE and fk.column.name == "id":
                    if col.name != subject:
                        account.append(col.name)
                elif target != table.name:
                    parents[col.name] = target
        identifiers = {c.name: c.info["blind_index"] for c in table.columns if "blind_index" in c.info}
        personal_cols = tuple(c.name for c in table.columns if "personal" in c.info)
        return TableMap(
            table=table, model=model, label=getattr(model, "__label__", (table.name, table.name)),
            subject_column=subject, account_columns=tuple(account), identifier_columns=identifiers,
            parent_columns=parents, personal_columns=personal_cols, erase=getattr(model, "__erase__", {}),
            legal_hold=getattr(model, "__legal_hold__", None), holder_column=getattr(model, "__holder__", None),
        )

    # -- checks kept by tests ---------------------------------------------------------------------------
    def unindexed_links(self) -> list[str]:
        """Link columns without an index of their own (or leading a composite one): finding would scan."""
        missing = []
        for tm in self.maps.values():
            if not (tm.account_columns or tm.identifier_columns or tm.parent_columns or tm.subject_column):
                continue
            pk = list(tm.table.primary_key.columns)
            indexed = {pk[0].name} if pk else set()  # the primary key's index leads with its first column
            for ix in tm.table.indexes:
                indexed.add(list(ix.columns)[0].name)
            for uc in tm.table.constraints:
                cols = list(getattr(uc, "columns", []))
                if cols and uc.__class__.__name__ == "UniqueConstraint":
                    indexed.add(cols[0].name)
            for col in tm.table.columns:
                if col.unique or col.index:
                    indexed.add(col.name)
            missing += [f"{tm.name}.{c}" for c in tm.link_columns() if c not in indexed]
        return missing

    def erase_problems(self) -> list[str]:
        """Erase rules that could not work: clearing a NOT NULL personal column, or keeping a row whose link to the
        erased account cannot be cut (a NOT NULL foreign key to `users`), unless the model declares why it keeps it."""
        out = []
        for tm in self.maps.values():
            if tm.erase == "delete":
                continue
            out += [f"{tm.name}.{c} is NOT NULL: the table's __erase__ must be 'delete'" for c in tm.personal_columns
                    if not tm.table.c[c].nullable]
            if not kept_reason(tm.model):
                out += [f"{tm.name}.{c} links to the account and is NOT NULL: erasure could not cut it; make it "
                        "nullable or the table's __erase__ 'delete'" for c in tm.account_columns
                        if not tm.table.c[c].nullable]
        return out

    # -- finding ----------------------------------------------------------------------------------------
    def identifiers(self, session: Session, user_id: uuid.UUID) -> dict[str, set[bytes]]:
        """The keyed hashes of the person's own identifiers (phone, username, e-mail, WeChat id), by domain."""
        found: dict[str, set[bytes]] = defaultdict(set)
        parts = [select(literal(domain), tm.table.c[col]).where(tm.table.c[tm.subject_column] == user_id)
                 for tm in self.maps.values() if tm.subject_column and not tm.holder_column
                 for col, domain in tm.identifier_columns.items()]
        if parts:  # one statement for all of them
            for domain, value in session.execute(union_all(*parts)):
                if value is not None:
                    found[domain].add(value)
        return found

    def find(self, session: Session, user_id: uuid.UUID, *, whole: bool = True,
             identifiers: dict[str, set[bytes]] | None = None) -> SubjectData:
        """Every row held about the person. `whole=False` reads only each row's key columns: enough for `plan` and
        `erase` (not for `rows`), and much less to read for someone with a thousand orders. `identifiers` adds keyed
        hashes the account no longer holds (the residue scan after an erasure)."""
        pg = is_postgresql(session)
        idents = self.identifiers(session, user_id)
        for domain, hashes in (identifiers or {}).items():
            idents.setdefault(domain, set()).update(hashes)
        tables: dict[str, list[FoundRow]] = {}
        found_ids: dict[str, list[uuid.UUID]] = {}
        found_sets: dict[str, set[uuid.UUID]] = {}
        for name, tm in self.maps.items():
            t = tm.table
            conds = []
            if tm.subject_column:
                conds.append(t.c[tm.subject_column] == user_id)
            conds += [t.c[c] == user_id for c in tm.account_columns]
            for col, domain in tm.identifier_columns.items():
                if idents.get(domain):
                    conds.append(t.c[col].in_(list(idents[domain])))
            for col, parent in tm.parent_columns.items():
                for batch in id_batches(found_ids.get(parent) or [], pg):
                    conds.append(one_of(t.c[col], batch, pg))
            if not conds:
                continue
            rows: Sequence[Any]
            if whole:
                rows = session.scalars(select(tm.model).where(or_(*conds))).all()
            else:
                rows = session.execute(select(*[t.c[c] for c in tm.key_columns()]).where(or_(*conds))).all()
            if not rows:
                continue
            parents = {col: found_sets.get(parent, set()) for col, parent in tm.parent_columns.items()}
            tables[name] = [FoundRow(r, self._relation(tm, r, user_id, parents)) for r in rows]
            if "id" in t.c:
                found_ids[name] = [r.id for r in rows]
                found_sets[name] = set(found_ids[name])
        self._mark_other_accounts(session, user_id, tables, pg)
        return SubjectData(user_id, tables, _TOKEN, idents, whole)

    def _mark_other_accounts(self, session: Session, user_id: uuid.UUID, tables: dict[str, list[FoundRow]], pg: bool) -> None:
        """Rows sealed under another account's own key are that person's data, not this one's: they are only
        counted, and erasure only cuts their link to this account (it never shreds another account's key)."""
        subjects = self._subjects_in(tables) - {user_id}
        if not subjects:
            return
        users = self.maps[ACCOUNT_TABLE].table
        accounts: set[uuid.UUID] = set()
        for batch in id_batches(list(subjects), pg):
            accounts.update(session.scalars(select(users.c.id).where(one_of(users.c.id, batch, pg))))
        for name, found in tables.items():
            col = self.maps[name].subject_column
            if col:
                for fr in found:
                    if getattr(fr.row, col) in accounts:
                        fr.relation = Relation.OTHER_ACCOUNT

    @staticmethod
    def _relation(tm: TableMap, row: Any, user_id: uuid.UUID, parents: dict[str, set[uuid.UUID]]) -> Relation:
        if tm.subject_column and getattr(row, tm.subject_column) == user_id:
            return Relation.SUBJECT
        if any(getattr(row, c) == user_id for c in tm.account_columns):
            return Relation.ACCOUNT
        if any(getattr(row, col) in ids for col, ids in parents.items()):
            return Relation.PART
        if tm.holder_column and getattr(row, tm.holder_column) != user_id:
            return Relation.HELD_BY_OTHERS
        return Relation.IDENTIFIER

    def _on_hold(self, tm: TableMap, row: Any, now: dt.datetime) -> bool:
        return tm.legal_hold is not None and tm.legal_hold.until(row) > now

    # -- showing --------------------------------------------------------------------------------------
    def rows(self, session: Session, vault: Vault, data: SubjectData, *, actor: audit.Actor | None = None,
             now: dt.datetime, disclose: bool = False, staff: bool = False) -> tuple[list[RowView], list[Restricted]]:
        """The person's data as rows of labelled fields: masked, or in full when `disclose` (for the person
        themself after re-verification, or the privacy officer answering a request). A disclosure is audited
        once, listing every field opened. Values another account holds are counted, never shown. Only fields that
        can hold the person's data are listed: staff-only ones only for a staff member (`staff`), a credential
        only when one is stored."""
        _check(data)
        if not data.whole:
            raise TypeError("showing rows needs them whole: find(whole=True)")
        views: list[RowView] = []
        restricted: list[Restricted] = []
        opened: set[str] = set()
        for name, found in data.tables.items():
            tm = self.maps[name]
            held = self._restricted_ids(session, tm, found)
            for fr in found:
                if fr.row.id in held:
                    restricted.append(self._restricted(tm, fr.row))
                    continue
                if fr.relation in (Relation.HELD_BY_OTHERS, Relation.OTHER_ACCOUNT):
                    views.append(RowView(name, tm.label, fr.relation, "", (), {}))
                    continue
                fields: list[FieldValue] = []
                for col in tm.personal_columns:
                    spec = self.catalog.spec(name, col)
                    if spec.staff_only and not staff:
                        continue
                    if not (spec.allows(Purpose.RIGHTS_REQUEST) or spec.allows(Purpose.SELF_SERVICE)):
                        if getattr(fr.row, col) is not None:
                            fields.append(FieldValue(spec, None, withheld=True))
                        continue
                    value = getattr(fr.row, col)
                    if disclose and value is not None:
                        opened.add(spec.key)
                        fields.append(FieldValue(spec, value._plain))
                    else:
                        fields.append(FieldValue(spec, value))
                views.append(RowView(name, tm.label, fr.relation, str(getattr(fr.row, "id", "")), tuple(fields),
                                     self._details(tm, fr.row)))
        views += self._consents(session, vault, data.user_id)
        if disclose and opened:
            if actor is None:
                raise ValueError("a disclosure needs an actor for the audit record")
            audit.append(session, vault.keys, actor=actor, action="disclose", subject_id=data.user_id, fields=sorted(opened),
                         purpose=Purpose.RIGHTS_REQUEST.value, detail=f"{len(views)} records")
        return views, restricted

    @staticmethod
    def _consents(session: Session, vault: Vault, user_id: uuid.UUID) -> list[RowView]:
        """The person's consent events (the consent ledger knows them by their keyed pseudonym only)."""
        rows = session.scalars(select(ConsentRecord).where(ConsentRecord.subject == vault.pseudonym(user_id))
                               .order_by(ConsentRecord.id))
        return [RowView(ConsentRecord.__tablename__, CONSENT_LABEL, Relation.SUBJECT, str(r.id), (),
                        {"topic": r.topic, "action": r.action, "version": r.version, "how": r.how, "at": r.at}) for r in rows]

    @staticmethod
    def _restricted_ids(session: Session, tm: TableMap, found: list[FoundRow]) -> set[uuid.UUID]:
        if tm.legal_hold is None:
            return set()
        ids, pg = [fr.row.id for fr in found], is_postgresql(session)
        return {rid for batch in id_batches(ids, pg)
                for rid in session.scalars(select(Restriction.row_id).where(one_of(Restriction.row_id, batch, pg)))}

    def _split(self, tm: TableMap, found: list[FoundRow], now: dt.datetime) -> tuple[list[Any], list[Any], list[Any]]:
        """Rows an erasure now would (kept by law, erased, only unlinked: another account's own records)."""
        held: list[Any] = []
        erased: list[Any] = []
        unlinked: list[Any] = []
        for fr in found:
            if self._on_hold(tm, fr.row, now):
                held.append(fr.row)
            elif fr.relation is Relation.OTHER_ACCOUNT:
                unlinked.append(fr.row)
            else:
                erased.append(fr.row)
        return held, erased, unlinked

    def plan(self, data: SubjectData, now: dt.datetime) -> tuple[dict[tuple[str, str], int], list[Restricted]]:
        """What an erasure now would do, without opening anything: records erased per table label, and what a law
        requires to keep."""
        _check(data)
        counts: dict[tuple[str, str], int] = {}
        kept: list[Restricted] = []
        for name, found in data.tables.items():
            tm = self.maps[name]
            held, erased, _unlinked = self._split(tm, found, now)
            kept += [self._restricted(tm, row) for row in held]
            if erased:
                counts[tm.label] = counts.get(tm.label, 0) + len(erased)
        return counts, kept

    @staticmethod
    def detail_columns(tm: TableMap) -> list[str]:
        """The non-personal columns shown with a row (status, times, region codes…): not its keys, links, keyed
        hashes or internal ids."""
        skip = set(tm.personal_columns) | set(tm.identifier_columns) | set(tm.account_columns) | {"id"}
        if tm.subject_column:
            skip.add(tm.subject_column)
        return [col.name for col in tm.table.columns if col.name not in skip and not col.foreign_keys
                and not isinstance(col.type, _HIDDEN_DETAIL_TYPES)]

    def _details(self, tm: TableMap, row: Any) -> dict[str, object]:
        return {col: value for col in self.detail_columns(tm) if (value := getattr(row, col)) is not None}

    @staticmethod
    def _detach(session: Session, data: SubjectData) -> None:
        """Erasing changes the rows by statements, past the session: objects it holds for them would be stale."""
        found = {(name, fr.row.id) for name, rows in data.tables.items() for fr in rows}
        for identity in list(session.identity_map.keys()):
            cls, key, _token = identity
            if (cls.__tablename__, key[0]) in found and (obj := session.identity_map.get(identity)) is not None:
                session.expunge(obj)

    @staticmethod
    def _restricted(tm: TableMap, row: Any) -> Restricted:
        hold = tm.legal_hold
        if hold is None:
            raise ValueError(f"{tm.name} has no legal hold")
        return Restricted(tm.name, tm.label, str(row.id), hold.law_zh, hold.law_en, hold.until(row))

    def subjects(self, data: SubjectData) -> set[uuid.UUID]:
        """The subject ids of everything found: whose keys an erasure shreds, whose shares were made."""
        _check(data)
        return self._subjects_in(data.tables)

    def _subjects_in(self, tables: dict[str, list[FoundRow]]) -> set[uuid.UUID]:
        return {getattr(fr.row, tm.subject_column) for name, found in tables.items()
                if (tm := self.maps[name]).subject_column for fr in found}

    # -- erasing --------------------------------------------------------------------------------------
    def erase(self, session: Session, vault: Vault, data: SubjectData, *, actor: audit.Actor, now: dt.datetime,
              reason: str) -> ErasureReport:
        """Erase everything found for the person in this transaction (all or nothing). The session no longer holds
        any of the rows afterwards: a caller reads again what it still needs."""
        _check(data)
        pg = is_postgresql(session)
        self._detach(session, data)
        erased: dict[str, int] = {}
        restricted: list[Restricted] = []
        shred: set[uuid.UUID] = set()
        keep_subjects: set[uuid.UUID] = set()
        # Children before parents, so deleting a parent never trips over a child still pointing at it.
        for name in reversed(list(self.maps)):
            found = data.tables.get(name)
            if not found:
                continue
            tm = self.maps[name]
            pk = tm.table.c.id
            held, erased_rows, unlinked = self._split(tm, found, now)
            for row in held:
                kept = self._restricted(tm, row)
                restricted.append(kept)
                session.add(Restriction(table_name=name, row_id=row.id, law=kept.law_en,
                                        subject=vault.pseudonym(data.user_id), until=kept.until, created_at=now))
                if tm.subject_column:
                    keep_subjects.add(getattr(row, tm.subject_column))
            ids, others = [row.id for row in erased_rows], [row.id for row in unlinked]
            if tm.subject_column:
                shred.update(getattr(row, tm.subject_column) for row in erased_rows)
            # Account links that may be NULL are cut in the same statement: CASE keeps other accounts' links.
            cut = {col: case((tm.table.c[col] == data.user_id, None), else_=tm.table.c[col])
                   for col in tm.account_columns if tm.table.c[col].nullable}
            values = {c: None for c in tm.personal_columns}
            values.update({c: None for c in tm.identifier_columns})
            if isinstance(tm.erase, dict):
                for col, value in tm.erase.items():
                    values[col] = value(now) if callable(value) else value
            for batch in id_batches(ids, pg):
                if tm.erase == "delete":
                    session.execute(delete(tm.table).where(one_of(pk, batch, pg)))
                elif values or cut:
                    session.execute(update(tm.table).where(one_of(pk, batch, pg)).values(**values, **cut))
            for batch in id_batches(others, pg):
                if cut:
                    session.execute(update(tm.table).where(one_of(pk, batch, pg)).values(**cut))
            if ids:
                erased[name] = len(ids)
        # Every recipient of the data is told to delete it, the legally kept records' subjects included (JD-6.3.1c).
        told = self.shares.ask_deletion(session, shred | keep_subjects, data.identifiers, now) if self.shares else {}
        shred -= keep_subjects
        vault.shred_subjects(session, shred, reason=reason)
        audit.append(session, vault.keys, actor=actor, action="erase", subject_id=data.user_id,
                     detail=f"{reason}: " + ", ".join(f"{k}={v}" for k, v in sorted(erased.items())))
        return ErasureReport(erased, tuple(restricted), len(shred), told)


def _check(data: SubjectData) -> None:
    if data._token is not _TOKEN:
        raise TypeError("SubjectData comes only from DataMap.find")


__all__ = ["DataMap", "ErasureReport", "FieldValue", "LegalHold", "Relation", "RELATION_LABELS", "Restricted",
           "RowView", "SubjectData", "kept_reason"]
