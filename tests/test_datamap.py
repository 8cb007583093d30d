"""The data map finds a person's rows in any table from its columns alone: a table added later needs no new code."""
from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, MetaData, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from jidi.privacy import RETAIN_ACCOUNT, Catalog, Category, DataMap, LegalBasis, Mask, Purpose, blind_index, personal


class Base(DeclarativeBase):
    metadata = MetaData()
    __nonpersonal__: tuple[str, ...] = ()


def _field(label):
    return personal(label, label, Category.PROFILE, purposes={Purpose.SELF_SERVICE}, basis=LegalBasis.CONTRACT,
                    retention=RETAIN_ACCOUNT, mask=Mask.HIDDEN)


class User(Base):
    __tablename__ = "users"
    __subject__ = "id"
    __nonpersonal__ = ("id",)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    phone = _field("phone")
    phone_bidx = blind_index("phone", unique=True)


class Gadget(Base):
    """A feature added later: a device the account registered."""

    __tablename__ = "gadgets"
    __nonpersonal__ = ("id", "owner_id", "subject_id")
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    serial = _field("serial")


class GadgetNote(Base):
    __tablename__ = "gadget_notes"
    __nonpersonal__ = ("id", "gadget_id", "subject_id")
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    gadget_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gadgets.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    text = _field("note")


class Delivery(Base):
    """Someone else's record naming the person by phone."""

    __tablename__ = "deliveries"
    __nonpersonal__ = ("id", "subject_id")
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subject_id: Mapped[uuid.UUID] = mapped_column()  # deliberately unindexed
    phone = _field("phone")
    phone_bidx = blind_index("phone")


def test_a_new_table_is_found_through_its_foreign_keys_and_blind_indexes_without_new_code():
    dm = DataMap(Base, Catalog.from_base(Base))
    assert dm.unindexed_links() == ["deliveries.subject_id"]  # the guard names what would be scanned
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    me, other = uuid.uuid4(), uuid.uuid4()
    mine = b"\x01" * 32
    with Session(engine) as s, s.begin():
        s.add_all([User(id=me, phone=b"x", phone_bidx=mine), User(id=other, phone=b"y", phone_bidx=b"\x02" * 32)])
        g, g2 = uuid.uuid4(), uuid.uuid4()
        s.add_all([Gadget(id=g, owner_id=me, subject_id=uuid.uuid4(), serial=b"s"),
                   Gadget(id=g2, owner_id=other, subject_id=uuid.uuid4(), serial=b"t")])
        s.flush()
        s.add_all([GadgetNote(id=uuid.uuid4(), gadget_id=g, subject_id=uuid.uuid4(), text=b"n"),
                   GadgetNote(id=uuid.uuid4(), gadget_id=g2, subject_id=uuid.uuid4(), text=b"m"),
                   Delivery(id=uuid.uuid4(), subject_id=uuid.uuid4(), phone=b"p", phone_bidx=mine),
                   Delivery(id=uuid.uuid4(), subject_id=uuid.uuid4(), phone=b"q", phone_bidx=b"\x03" * 32)])
    with Session(engine) as s:
        data = dm.find(s, me)
        got = {name: sorted(fr.relation.value for fr in rows) for name, rows in data.tables.items()}
    assert got == {"users": ["subject"], "gadgets": ["account"], "gadget_notes": ["part"], "deliveries": ["identifier"]}
