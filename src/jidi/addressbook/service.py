"""Address-book use cases. Each public method is one transaction (`self.c.uow()`).

An entry belongs to one customer (its holder, `owner_id`) and is sealed under its own one-off data subject:
it is usually about another person. Only the holder sees it: anyone else's entry id is "not found". Lists
and single entries come masked; the holder opens one in full for editing through `privacy.open_all`,
which is audited. Deleting an entry shreds its subject key.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from jidi import errors, privacy, regions, values
from jidi.addressbook import paste
from jidi.addressbook.models import AddressEntry
from jidi.i18n import N_
from jidi.privacy import Actor, Personal, Purpose

KINDS = ("sender", "recipient")
MAX_ENTRIES = 200
MAX_NAME = 30
MAX_DETAIL = 120
# Shown wherever the user enters or pastes someone else's details (JD-1.1, JD-1.1.2(1)b, CN-3.3.3).
CONSENT_NOTICE = N_(
    "If these are another person's details, make sure that person agrees before you give us their name, "
    "mobile number and address. We use them only to send and deliver your parcels."
)


@dataclasses.dataclass(frozen=True)
class EntryData:
    """A validated entry, ready to be sealed."""

    kind: str
    name: str
    phone: str
    region_code: str
    detail: str
    is_default: bool = False


@dataclasses.dataclass
class EntryView:
    """An entry as lists show it: personal values masked (they mask themselves), the region by name."""

    id: uuid.UUID
    kind: str
    name: Personal
    phone: Personal
    region_code: str
    region: regions.RegionNames
    is_default: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def address(self) -> str:
        """Masked down to the district (A11): the region's names, then ****."""
        return self.region.full + "****"


@dataclasses.dataclass
class EntryFull:
    """An entry opened in full for its holder (audited)."""

    id: uuid.UUID
    kind: str
    name: str
    phone: str
    region_code: str
    region: regions.RegionNames
    detail: str
    is_default: bool


def region(code: str | None, within: str | None = None) -> str:
    """A GB/T 2260 code precise enough for an address (a district, or a city without districts).

    `within`, when given, is the province (or city) the user chose first: the code must lie under it.
    """
    code = (code or "").strip()
    if not regions.is_leaf(code):
        raise errors.invalid_region()
    if within and not regions.within(code, within):
        raise errors.region_mismatch()
    return code


def validate(kind: str, name: str | None, phone: str | None, region_code: str | None, detail: str | None,
             is_default: bool = False, within: str | None = None) -> EntryData:
    if kind not in KINDS:
        raise errors.invalid_field(N_("sender or recipient"))
    return EntryData(
        kind=kind,
        name=values.text(name, MAX_NAME, N_("name (1–30 characters, no control characters)")),
        phone=values.phone(phone),
        region_code=region(region_code, within),
        detail=values.text(detail, MAX_DETAIL, N_("detailed address (1–120 characters, no control characters)")),
        is_default=bool(is_default),
    )



class AddressBook:
    def __init__(self, container):
        self.c = container

    @property
    def vault(self):
        return self.c.vault

    # -- reading -------------------------------------------------------------------------------------------
    def _own(self, s: Session, owner_id: uuid.UUID, entry_id: uuid.UUID | str, *, lock: bool = False) -> AddressEntry:
        stmt = select(AddressEntry).where(AddressEntry.id == errors.id_or_not_found(entry_id), AddressEntry.owner_id == owner_id)
        row = s.scalar(stmt.with_for_update() if lock else stmt)
        if row is None:
            raise errors.not_found()  # someone else's entry is indistinguishable from none
        return row

    def _view(self, s: Session, row: AddressEntry) -> EntryView:
        return EntryView(
            id=row.id, kind=row.kind, name=row.name, phone=row.phone,
            region_code=row.region_code, region=regions.lookup(row.region_code), is_default=row.is_default,
            created_at=row.created_at, updated_at=row.updated_at,
        )

    def list(self, owner_id: uuid.UUID, kind: str | None = None) -> list[EntryView]:
        if kind is not None and kind not in KINDS:
            raise errors.invalid_field(N_("sender or recipient"))
        with self.c.uow() as s:
            stmt = select(AddressEntry).where(AddressEntry.owner_id == owner_id)
            if kind:
                stmt = stmt.where(AddressEntry.kind == kind)
            rows = s.scalars(stmt.order_by(AddressEntry.kind, AddressEntry.is_default.desc(), AddressEntry.created_at.desc(),
                                           AddressEntry.id)).all()
            return [self._view(s, row) for row in rows]

    def get(self, owner_id: uuid.UUID, entry_id: uuid.UUID | str) -> EntryView:
        with self.c.uow() as s:
            return self._view(s, self._own(s, owner_id, entry_id))

    def open(self, actor: Actor, entry_id: uuid.UUID | str) -> EntryFull:
        """The holder's entry in full, to edit it: a reveal, audited about the entry's own subject."""
        with self.c.uow() as s:
            row = self._own(s, actor.user_id, entry_id)
            name, phone, detail = privacy.open_all((row.name, row.phone, row.detail), for_=Purpose.SELF_SERVICE, actor=actor)
            return EntryFull(id=row.id, kind=row.kind, name=name, phone=phone, region_code=row.region_code,
                             region=regions.lookup(row.region_code), detail=detail, is_default=row.is_default)

    def for_delivery(self, owner_id: uuid.UUID, entry_id: uuid.UUID | str) -> tuple[str, str, str, str]:
        """A saved sender or recipient of this owner, opened for delivery to fill an order: (name, phone, region code,
        street address)."""
        with self.c.uow() as s:
            row = self._own(s, owner_id, entry_id)
            name, phone, detail = privacy.open_all((row.name, row.phone, row.detail), for_=Purpose.DELIVERY, actor=Actor.system())
            return name, phone, row.region_code, detail

    # -- writing -------------------------------------------------------------------------------------------
    def owners_with_default_in(self, s: Session, province: str) -> set[uuid.UUID]:
        """Accounts whose default sender address lies in a province (the first two digits of its GB/T 2260 code): a
        non-personal attribute, for segmenting; no address is read."""
        return set(s.scalars(select(AddressEntry.owner_id).where(
            AddressEntry.is_default.is_(True), AddressEntry.kind == "sender", AddressEntry.region_code.startswith(province[:2]))))

    def _clear_default(self, s: Session, owner_id: uuid.UUID, kind: str, keep: uuid.UUID | None = None) -> None:
        stmt = update(AddressEntry).where(AddressEntry.owner_id == owner_id, AddressEntry.kind == kind, AddressEntry.is_default.is_(True))
        if keep is not None:
            stmt = stmt.where(AddressEntry.id != keep)
        s.execute(stmt.values(is_default=False).execution_options(synchronize_session="fetch"))

    @staticmethod
    def _fill(row: AddressEntry, data: EntryData) -> None:
        row.name, row.phone, row.detail = data.name, data.phone, data.detail

    def create(self, owner_id: uuid.UUID, data: EntryData) -> uuid.UUID:
        with self.c.uow() as s:
            count = s.scalar(select(func.count()).select_from(AddressEntry).where(AddressEntry.owner_id == owner_id))
            if count >= MAX_ENTRIES:
                raise errors.address_book_full(MAX_ENTRIES)
            if data.is_default:
                self._clear_default(s, owner_id, data.kind)
            now = self.c.clock()
            row = AddressEntry(id=uuid.uuid4(), owner_id=owner_id, kind=data.kind, region_code=data.region_code,
                               is_default=data.is_default, created_at=now, updated_at=now)
            self._fill(row, data)
            s.add(row)
        return row.id

    def update(self, owner_id: uuid.UUID, entry_id: uuid.UUID | str, data: EntryData) -> None:
        with self.c.uow() as s:
            row = self._own(s, owner_id, entry_id, lock=True)
            if data.is_default:
                self._clear_default(s, owner_id, data.kind, keep=row.id)
            row.kind, row.region_code, row.is_default = data.kind, data.region_code, data.is_default
            row.updated_at = self.c.clock()
            self._fill(row, data)

    def set_default(self, owner_id: uuid.UUID, entry_id: uuid.UUID | str) -> None:
        with self.c.uow() as s:
            row = self._own(s, owner_id, entry_id, lock=True)
            self._clear_default(s, owner_id, row.kind, keep=row.id)
            row.is_default = True
            row.updated_at = self.c.clock()

    def delete(self, owner_id: uuid.UUID, entry_id: uuid.UUID | str) -> None:
        with self.c.uow() as s:
            row = self._own(s, owner_id, entry_id, lock=True)
            self._erase(s, row)

    def _erase(self, s: Session, row: AddressEntry) -> None:
        subject = row.subject_id
        s.delete(row)
        s.flush()
        self.vault.shred_subject(s, subject)  # backups of the row can no longer be read either

    # -- smart paste ---------------------------------------------------------------------------------------
    @staticmethod
    def parse(text: str) -> paste.Parsed:
        """Split pasted text into fields for the user to review: stores nothing, logs nothing."""
        if len(text or "") > paste.MAX_PASTE:
            raise errors.invalid_field(N_("pasted text (up to 500 characters)"))
        return paste.parse(text)


def entry_count(container, user_id: uuid.UUID) -> int:
    """How many entries the customer's address book holds (shown under its link on 我的)."""
    return len(container.addressbook.list(user_id))
