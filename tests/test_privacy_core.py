"""The privacy core: catalog completeness, encryption bound to row and column, blind indexes, masking,
purpose-checked and audited reveal, crypto-shredding and key rotation."""
from __future__ import annotations

import hashlib
import json
import logging
import pickle
import uuid

import jinja2
import pytest
from pydantic import BaseModel, ConfigDict
from sqlalchemy import LargeBinary, func, select

from jidi import models, privacy
from jidi.accounts.models import User
from jidi.privacy import Actor, Catalog, Personal, Purpose, PurposeNotAllowed, Role, SubjectShredded, mask, Mask
from jidi.privacy.cipher import DecryptionError
from jidi.privacy.models import AuditRecord, SubjectKey
from jidi.privacy.rotation import pending, rotate
from jidi.privacy.values import Sealed
from tests import pii
from tests.pii import EMAILS, NAMES, PHONES

PHONE, OTHER_PHONE = PHONES[0], PHONES[1]


def _user(c, s, phone=PHONE, **fields):
    user = User(id=uuid.uuid4(), role="customer", status="active")
    user.phone = phone
    for k, v in fields.items():
        setattr(user, k, v)
    s.add(user)
    s.flush()
    return user


@pytest.mark.promise("JD-5.1.2a")
def test_every_column_is_declared_personal_or_non_personal():
    catalog = Catalog.from_base(models.Base)
    assert catalog.undeclared_columns == []
    # Personal columns hold ciphertext only: their type is binary, never text.
    for spec in catalog.fields.values():
        column = models.metadata.tables[spec.table].columns[spec.column]
        assert isinstance(column.type, Sealed) and isinstance(column.type.impl, LargeBinary), spec.key
        assert spec.label_zh and spec.label_en and spec.purposes and spec.retention


def test_an_undeclared_column_is_reported():
    from sqlalchemy import Column, MetaData, String, Table  # noqa: PLC0415

    md = MetaData()
    Table("parcels", md, Column("id", String, primary_key=True), Column("recipient_name", String))
    catalog = Catalog.from_metadata(md, {"parcels": ("id",)})
    assert catalog.undeclared_columns == ["parcels.recipient_name"]


@pytest.mark.promise("JD-5.1.1(1)", "ZK-4.1.1c")
def test_fields_are_encrypted_and_bound_to_their_row_and_column(container):
    c = container
    with c.uow() as s:
        a = _user(c, s, nickname=NAMES[0])
        b = _user(c, s, phone=OTHER_PHONE)
        assert PHONE.encode() not in pii.stored(s, a, "phone") and NAMES[0].encode() not in pii.stored(s, a, "nickname")
        assert a.phone.masked == "139****5678"
        # Copy a's ciphertext into b's row: it must not open there, nor in another column of a.
        users = User.__table__
        s.execute(users.update().where(users.c.id == b.id).values(phone=pii.stored(s, a, "phone")))
        s.execute(users.update().where(users.c.id == a.id).values(username=pii.stored(s, a, "nickname")))
        s.expire_all()
        with pytest.raises(DecryptionError):
            b.phone.masked  # noqa: B018  (reading it is the test)
        with pytest.raises(DecryptionError):
            a.username.masked  # noqa: B018  (reading it is the test)
        s.rollback()


@pytest.mark.promise("JD-5.1.1(4)b")
def test_blind_index_is_keyed_not_a_plain_hash(container):
    idx = container.vault.blind_index("phone", PHONE)
    assert len(idx) == 32
    assert idx == container.vault.blind_index("phone", PHONE)
    assert idx != hashlib.sha256(PHONE.encode()).digest()
    assert idx != container.vault.blind_index("email", PHONE)  # domains are separated
    with container.uow() as s:
        user = _user(container, s)
        assert user.phone_bidx == idx
        assert s.scalar(select(User).where(User.phone_bidx == idx)).id == user.id


@pytest.mark.promise("JD-2.2", "JD-5.1.1(4)a", "ZK-4.1.1d")
def test_personal_values_are_masked_wherever_they_are_printed(container, caplog):
    with container.uow() as s:
        user = _user(container, s, email=EMAILS[0], nickname=NAMES[0])
        phone, email, name = (getattr(user, f) for f in ("phone", "email", "nickname"))
    assert str(phone) == repr(phone).split()[-1].rstrip(">") == "139****5678"
    assert f"{phone}" == "139****5678" and "%s" % phone == "139****5678"
    assert str(name) == "王*" and str(email) == "x***@example.com"
    logging.getLogger("test").warning("calling %s about %s", phone, name)
    assert PHONE not in caplog.text and "139****5678" in caplog.text
    html = jinja2.Environment(autoescape=True).from_string("{{ p }} {{ n }}").render(p=phone, n=name)
    assert html == "139****5678 王*"

    class Out(BaseModel):
        model_config = ConfigDict(arbitrary_types_allowed=True)
        phone: Personal

    assert json.loads(Out(phone=phone).model_dump_json()) == {"phone": "139****5678"}
    with pytest.raises(TypeError):
        pickle.dumps(phone)
    with pytest.raises(TypeError):
        phone == PHONE  # noqa: B015


def test_masking_rules():
    assert mask(Mask.PHONE, "13812345678") == "138****5678"
    assert mask(Mask.NAME, "张三") == "张*" and mask(Mask.NAME, "欧阳娜娜") == "欧*"  # the length is not shown
    assert mask(Mask.ID_NUMBER, "11010519491231002X") == "1****************X"
    assert mask(Mask.EMAIL, "zhang@example.com") == "z***@example.com"
    assert mask(Mask.HIDDEN, "secret") == "******"


def test_opening_checks_the_purpose_against_the_catalog(container):
    with container.uow() as s:
        user = _user(container, s)
        phone = user.phone
        assert privacy.open(phone, for_=Purpose.NOTIFICATION, actor=privacy.Actor.system()) == PHONE
        with pytest.raises(PurposeNotAllowed, match="users.phone may not be opened for 'delivery'"):
            privacy.open(phone, for_=Purpose.DELIVERY, actor=privacy.Actor.system())


def test_a_model_seals_what_is_assigned_at_flush_and_a_copied_value_is_sealed_again(container):
    c = container
    with c.uow() as s:
        user = _user(c, s, email=EMAILS[0], nickname=NAMES[0])
        assert isinstance(user.email, Personal) and user.email.masked == mask(Mask.EMAIL, EMAILS[0])
        assert user.email_bidx == c.vault.blind_index("email", EMAILS[0])  # the blind index follows the value
        other = _user(c, s, phone=OTHER_PHONE)
        other.nickname = user.nickname  # another subject's row: sealed again under that row and subject
        s.flush()
        assert pii.stored(s, other, "nickname") != pii.stored(s, user, "nickname")
        assert other.nickname.subject_id == other.id
        user.email = None
        s.flush()
        assert user.email_bidx is None and pii.stored(s, user, "email") is None
    with c.uow() as s:  # read back: opened on first use, through the one API only
        assert privacy.open(s.get(User, other.id).nickname, for_=Purpose.SELF_SERVICE, actor=Actor.system()) == NAMES[0]


def test_opening_by_the_system_is_not_audited_and_showing_to_a_person_is(container):
    c = container
    with c.uow() as s:
        uid = _user(c, s).id
    with c.uow() as s:
        phone = s.get(User, uid).phone
        privacy.open(phone, for_=Purpose.NOTIFICATION, actor=Actor.system())
        assert s.scalars(select(AuditRecord)).all() == []
        assert privacy.open(phone, for_=Purpose.SELF_SERVICE, actor=Actor(uid, Role.CUSTOMER)) == PHONE
        assert [r.action for r in s.scalars(select(AuditRecord))] == ["reveal"]


@pytest.mark.promise("JD-5.1.2(1)a", "CN-7.1b", "JD-5.1.2(2)", "ZK-4.1.1h")
def test_reveal_needs_an_allowed_role_and_is_audited_in_the_same_transaction(container):
    c = container
    with c.uow() as s:
        user = _user(c, s)
        uid = user.id
    agent = Actor(uuid.uuid4(), Role.SUPPORT_AGENT)
    courier = Actor(uuid.uuid4(), Role.COURIER)
    with c.uow() as s:
        phone = s.get(User, uid).phone
        with pytest.raises(PurposeNotAllowed):  # couriers may not open for customer service
            privacy.open(phone, for_=Purpose.CUSTOMER_SERVICE, actor=courier)
        with pytest.raises(PurposeNotAllowed):  # another customer may not open it as self-service
            privacy.open(phone, for_=Purpose.SELF_SERVICE, actor=Actor(uuid.uuid4(), Role.CUSTOMER))
        assert privacy.open(phone, for_=Purpose.CUSTOMER_SERVICE, actor=agent) == PHONE
    # A reveal inside a transaction that rolls back leaves no record, and no record without a reveal.
    with pytest.raises(RuntimeError):
        with c.uow() as s:
            privacy.open(s.get(User, uid).phone, for_=Purpose.CUSTOMER_SERVICE, actor=agent)
            raise RuntimeError("abort")
    with c.uow() as s:
        records = s.scalars(select(AuditRecord)).all()
        assert len(records) == 1
        rec = records[0]
        assert (rec.action, rec.fields, rec.purpose, rec.actor_role) == ("reveal", "users.phone", "customer_service", "support_agent")
        assert rec.subject == c.vault.pseudonym(uid) and str(uid) not in rec.subject
    assert c.audit.verify(c.uow) == []


def test_rows_are_found_by_a_personal_value_through_the_models_column(container):
    """Features look a value up by the column that holds it (the domain is the model's), never by naming a domain;
    someone erased on request whose row a restored backup brought back is found only when asked for."""
    from jidi.accounts.models import SmsCode  # noqa: PLC0415

    c, finder = container, container.finder
    idx = c.vault.blind_index("phone", PHONE)
    assert finder.index(User.phone, PHONE) == finder.index(SmsCode.phone_bidx, PHONE) == idx
    assert finder.index(User.email, PHONE) != idx  # the email column's domain
    with pytest.raises(TypeError):
        finder.index(User.nickname, NAMES[0])  # no blind index: not searchable by value
    with c.uow() as s:
        uid = _user(c, s).id
    with c.uow() as s:
        assert s.scalar(select(User.id).where(finder.where(User.phone, PHONE))) == uid
        assert finder.one(s, User.phone, PHONE).id == uid and finder.one(s, User.phone, OTHER_PHONE) is None
    c.vault.ledger.append([uid], "2026-01-01")  # erased (the ledger says so), the row "restored"
    with c.uow() as s:
        assert finder.one(s, User.phone, PHONE) is None
        assert finder.one(s, User.phone, PHONE, include_erased=True).id == uid
        s.delete(s.get(User, uid))


def test_crypto_shredding_makes_a_subject_unreadable(container):
    c = container
    with c.uow() as s:
        user = _user(c, s)
        uid, blob = user.id, pii.stored(s, user, "phone")
    with c.uow() as s:
        c.vault.shred_subject(s, uid)
    with c.uow() as s:
        user = s.get(User, uid)
        assert pii.stored(s, user, "phone") == blob  # the bytes are still there (as in any backup) …
        with pytest.raises(SubjectShredded):  # … but nothing can open them any more
            user.phone.masked  # noqa: B018  (reading it is the test)
        s.delete(user)


@pytest.mark.promise("JD-6.3.2")
def test_a_cached_key_does_not_open_a_subject_another_host_erased(container, monkeypatch):
    """Another host erases the subject (its ledger entry is all this process sees) and a restored backup brings the
    rows and key back: the key this process still has in memory opens nothing once it asks the shared ledger again."""
    from jidi.privacy import vault as vault_module  # noqa: PLC0415

    c = container
    with c.uow() as s:
        uid = _user(c, s).id
    with c.uow() as s:
        assert privacy.open(s.get(User, uid).phone, for_=Purpose.LOGIN, actor=Actor.system()) == PHONE  # the key is cached now
    c.vault.ledger.append([uid], "2026-01-01")  # as the erasing host did; this database is "restored": rows all there
    with c.uow() as s:
        assert s.get(User, uid).phone.readable  # within the recheck interval the cached key is trusted
        s.expire_all()
        monkeypatch.setattr(vault_module, "LEDGER_RECHECK_SECONDS", 0.0)
        with pytest.raises(SubjectShredded):
            s.get(User, uid).phone.masked  # noqa: B018  (reading it is the test)
        s.delete(s.get(User, uid))


def test_keys_init_makes_the_key_ring_every_host_shares(tmp_path, monkeypatch):
    import os  # noqa: PLC0415
    import stat  # noqa: PLC0415

    from click.testing import CliRunner  # noqa: PLC0415

    from jidi.cli import main as cli  # noqa: PLC0415
    from jidi.privacy import load_key_ring  # noqa: PLC0415

    monkeypatch.setenv("JIDI_KEY_SOURCE", "env")
    printed = CliRunner().invoke(cli, ["keys", "init"])
    assert printed.exit_code == 0, printed.output
    monkeypatch.setenv("JIDI_KEYS", printed.output)
    assert load_key_ring("env", development=False).current == 1
    path = tmp_path / "keys.json"
    monkeypatch.setenv("JIDI_KEY_SOURCE", str(path))
    assert CliRunner().invoke(cli, ["keys", "init"]).exit_code == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and load_key_ring(str(path), development=True).current == 1
    before = path.read_text()
    again = CliRunner().invoke(cli, ["keys", "init"])  # never over a key ring in use: its data would be lost
    assert again.exit_code == 1 and "exists already" in again.output and path.read_text() == before


@pytest.mark.promise("JD-5.1.1(1)")
def test_key_rotation_rewraps_in_resumable_batches_and_data_stays_readable(container):
    c = container
    with c.uow() as s:
        ids = [_user(c, s, phone=p).id for p in PHONES[:5]]
    old = c.vault.keys.current
    # Simulate an interrupted run: a new version, then only one batch of two.
    from jidi.privacy.keys import add_master_version  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    add_master_version(Path(c.vault.keys.source))
    c.vault.keys.maybe_reload(every=0)
    with c.uow() as s:
        assert c.vault.rewrap_batch(s, 2) == 2
    assert pending(c) == 3
    version, done = rotate(c, new_version=False, batch=2)
    assert (version, done) == (old + 1, 3) and pending(c) == 0
    c.vault._cache = type(c.vault._cache)()  # forget unwrapped keys: read through the new wrapping
    with c.uow() as s:
        assert s.scalar(select(func.count()).select_from(SubjectKey).where(SubjectKey.master_version == old)) == 0
        assert [privacy.open(s.get(User, i).phone, for_=Purpose.LOGIN, actor=privacy.Actor.system()) for i in ids] == PHONES[:5]


def test_the_key_file_is_private_and_file_keys_outside_development_warn(tmp_path, caplog, monkeypatch):
    import os  # noqa: PLC0415
    import stat  # noqa: PLC0415

    from jidi.privacy import load_key_ring  # noqa: PLC0415
    from jidi.privacy.keys import KeyRingError  # noqa: PLC0415

    path = tmp_path / "var" / "keys.json"
    ring = load_key_ring(str(path), development=True)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and ring.current == 1
    assert "FILE KEYS" not in caplog.text
    load_key_ring(str(path), development=False)
    assert "FILE KEYS outside development" in caplog.text
    with pytest.raises(KeyRingError):  # production never invents a key file
        load_key_ring(str(tmp_path / "missing.json"), development=False)
    # Keys from the environment: the same ring, no file.
    monkeypatch.setenv("JIDI_KEYS", path.read_text())
    from_env = load_key_ring("env", development=False)
    assert from_env.derived("blind-index") == ring.derived("blind-index") and from_env.source == "env"


@pytest.mark.promise("JD-6.3.2", "CN-8.2.3")
def test_retiring_the_old_master_key_makes_backups_from_before_the_rotation_unreadable(container):
    from jidi.privacy.rotation import KeyRingError, retire  # noqa: PLC0415

    c = container
    with c.uow() as s:
        uid = _user(c, s).id
        backup = {(r.subject_id, r.master_version, r.wrapped_key) for r in s.scalars(select(SubjectKey))}
    old = c.vault.keys.current
    from jidi.privacy.keys import add_master_version  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    add_master_version(Path(c.vault.keys.source))
    c.vault.keys.maybe_reload(every=0)
    with pytest.raises(KeyRingError):  # keys are still wrapped by the old version
        retire(c, old)
    rotate(c, new_version=False)
    retire(c, old)
    with pytest.raises(KeyRingError):
        retire(c, c.vault.keys.current)  # never the current one
    # Restore the backup's subject keys: nothing can unwrap them any more.
    with c.uow() as s:
        for sid, version, wrapped in backup:
            row = s.get(SubjectKey, sid)
            row.master_version, row.wrapped_key = version, wrapped
    c.vault._cache = type(c.vault._cache)()
    with c.uow() as s:
        with pytest.raises(KeyRingError):
            s.get(User, uid).phone.masked  # noqa: B018  (reading it is the test)


def test_features_seal_by_assignment_and_open_only_through_the_one_api():
    from tools import vault_calls  # noqa: PLC0415

    found = vault_calls.count()
    assert not vault_calls.RETIRED & set(found), found  # no hand sealing or opening outside the privacy core
    # 123 before values were sealed by the model and opened by privacy.open, 24 before lookups went through the model's
    # columns (privacy.Finder) and the rate limiter hashed identifiers itself; what is left shreds, creates subjects,
    # compares a value, asks once whether an account is erased, and the composition root's wiring
    assert sum(found.values()) <= 12, found
