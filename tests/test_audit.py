"""The audit log: append-only, chained under a key, anchored by checkpoints outside the database; `jidi audit verify`
names any tampered record, and what an insider with the database removed from the end or truncated."""
from __future__ import annotations

import hashlib
import json
import threading
import uuid

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import select, text, update

from jidi.bootstrap import bootstrap
from jidi.cli import main as cli
from jidi.db import make_engine
from jidi.migrate import alembic_config, upgrade
from jidi.privacy import Actor, Role
from jidi.privacy.audit import GENESIS, Checkpoint
from jidi.privacy.models import AuditHead, AuditRecord
from tests.conftest import _drop_pg_database, _pg_database
from tests.test_rights import _backup


def _write(container, n=5):
    agent = Actor(uuid.uuid4(), Role.SUPPORT_AGENT)
    for i in range(n):
        with container.uow() as s:
            container.audit.record(s, actor=agent, action="reveal", subject_id=uuid.uuid4(), fields=["users.phone"],
                                   purpose="customer_service", detail=f"case {i}")


def _tamper(container, *statements):
    """As an insider with the database: PostgreSQL with session_replication_role = replica and the triggers, which
    fire even then, disabled by the table's owner; SQLite with the triggers dropped. All put back afterwards."""
    engine = container.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            names = conn.scalars(text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal")).all()
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            for stmt in statements:
                conn.execute(text(stmt) if isinstance(stmt, str) else stmt)
            for name in names:
                conn.execute(text(f"ALTER TABLE audit_log ENABLE ALWAYS TRIGGER {name}"))
        else:
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")).all()
            for name, _ in triggers:
                conn.execute(text(f"DROP TRIGGER {name}"))
            for stmt in statements:
                conn.execute(text(stmt) if isinstance(stmt, str) else stmt)
            for _, sql in triggers:
                conn.execute(text(sql))


def _verify(container):
    return [(p.seq, p.what.split(" ")[0]) for p in container.audit.verify(container.uow)]


def _records(container):
    with container.uow() as s:
        return s.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()


@pytest.mark.promise("JD-5.1.2(2)", "ZK-4.1.1h")
def test_intact_log_verifies(container):
    _write(container)
    assert _verify(container) == []
    recs = _records(container)
    assert [r.seq for r in recs] == [1, 2, 3, 4, 5]
    assert [(c.seq, c.hash) for c in container.audit.checkpoints.all()] == [(5, recs[-1].hash)]


def test_writers_share_no_lock_and_the_sealer_chains_what_has_committed(container):
    """A transaction that wrote a record and is still open blocks no other writer; its record, committed after a later
    one, is sealed by the next run."""
    agent = Actor(uuid.uuid4(), Role.SUPPORT_AGENT)
    if container.engine.dialect.name == "postgresql":
        slow = container.sessions()
        slow.begin()
        container.audit.record(slow, actor=agent, action="reveal", subject_id=uuid.uuid4(), detail="slow")
        slow.flush()
        done = threading.Event()

        def fast():
            with container.uow() as s:
                s.execute(text("SET LOCAL lock_timeout = '2s'"))
                container.audit.record(s, actor=agent, action="reveal", subject_id=uuid.uuid4(), detail="fast")
            done.set()
        t = threading.Thread(target=fast)
        t.start()
        t.join(10)
        assert done.is_set()
        assert container.audit.seal(container.uow) == 1  # only what has committed
        slow.commit()
        slow.close()
    else:  # SQLite: one writer at a time anyway
        _write(container, 1)
        assert container.audit.seal(container.uow) == 1
        _write(container, 1)
    assert container.audit.seal(container.uow) == 1
    assert [r.seq for r in _records(container)] == [1, 2]
    assert _verify(container) == [] and len(container.audit.checkpoints.all()) == 2


def test_the_periodic_job_seals_and_keeps_a_checkpoint(container):
    _write(container, 3)
    assert all(r.seq is None for r in _records(container))
    assert container.tasks.seal_audit_log.call_local() == 3
    assert [r.seq for r in _records(container)] == [1, 2, 3]
    assert [c.seq for c in container.audit.checkpoints.all()] == [3]
    assert container.tasks.seal_audit_log.call_local() == 0 and len(container.audit.checkpoints.all()) == 1


def test_the_database_refuses_updates_deletes_and_truncation_even_in_replica_mode(container):
    _write(container, 2)
    container.audit.seal(container.uow)
    pg = container.engine.dialect.name == "postgresql"
    attempts = [update(AuditRecord).values(purpose="other"), text("DELETE FROM audit_log"),
                update(AuditRecord).where(AuditRecord.seq == 1).values(seq=None, hash=None)]
    if pg:
        attempts.append(text("TRUNCATE audit_log"))
    for stmt in attempts:
        with pytest.raises(Exception, match="append-only"):
            with container.engine.begin() as conn:
                if pg:
                    conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(stmt)
    assert [r.seq for r in _records(container)] == [1, 2]


def test_an_edited_record_is_named(container):
    _write(container)
    container.audit.seal(container.uow)
    _tamper(container, update(AuditRecord).where(AuditRecord.seq == 3).values(purpose="marketing"))
    assert _verify(container) == [(3, "was")]


def test_an_edited_record_with_the_rest_of_the_chain_recomputed_is_named(container):
    """The insider edits record 2 and recomputes every mac and link after it, and the head, with the public
    digest (SHA-256, as the chain was before it was keyed): without the key ring the result is still caught."""
    _write(container)
    container.audit.seal(container.uow)
    recs = _records(container)
    stmts, prev = [], recs[0].hash
    for rec in recs[1:]:
        purpose = "marketing" if rec.seq == 2 else rec.purpose
        body = json.dumps([str(rec.id), rec.at.isoformat(timespec="microseconds"), rec.actor, rec.actor_role, rec.action,
                           rec.subject, rec.fields, purpose, rec.request_id, rec.detail], ensure_ascii=False, separators=(",", ":"))
        mac = hashlib.sha256(body.encode()).hexdigest()
        prev = hashlib.sha256(f"{prev}|{rec.seq}|{mac}".encode()).hexdigest()
        stmts.append(update(AuditRecord).where(AuditRecord.id == rec.id).values(purpose=purpose, mac=mac, hash=prev))
    stmts.append(update(AuditHead).where(AuditHead.id == 1).values(hash=prev))
    _tamper(container, *stmts)
    problems = _verify(container)
    assert problems[:4] == [(2, "was"), (3, "was"), (4, "was"), (5, "was")]
    assert (5, "differs") in problems  # …and the chain no longer ends where the checkpoint says


def test_removing_the_newest_records_and_moving_the_head_back_is_named(container):
    _write(container)
    container.audit.seal(container.uow)
    three = _records(container)[2]
    _tamper(container, "DELETE FROM audit_log WHERE seq > 3",
            update(AuditHead).where(AuditHead.id == 1).values(seq=3, hash=three.hash))
    problems = container.audit.verify(container.uow)
    assert [(p.seq, p.what.split(" ")[0]) for p in problems] == [(4, "missing:")]
    assert "records 4–5 were removed" in str(problems[0])
    # Later records sealed onto the rolled-back head do not hide it: the chain differs from the checkpoint.
    _write(container, 3)
    assert _verify(container) == [(5, "differs")]


def test_a_head_moved_by_hand_does_not_stop_the_sealer(container):
    _write(container)
    container.audit.seal(container.uow)
    _tamper(container, update(AuditHead).where(AuditHead.id == 1).values(seq=3))
    _write(container, 1)
    assert _verify(container) == [] and [r.seq for r in _records(container)] == [1, 2, 3, 4, 5, 6]


def test_a_truncated_log_with_its_head_cleared_is_named(container):
    _write(container)
    container.audit.seal(container.uow)
    if container.engine.dialect.name == "postgresql":
        _tamper(container, "TRUNCATE audit_log, audit_head")
    else:
        _tamper(container, "DELETE FROM audit_log", "DELETE FROM audit_head")
    problems = container.audit.verify(container.uow)
    assert [p.seq for p in problems] == [1] and "records 1–5 were removed" in str(problems[0])


def test_a_removed_record_is_named(container):
    _write(container)
    container.audit.seal(container.uow)
    _tamper(container, "DELETE FROM audit_log WHERE seq = 4")
    assert _verify(container)[0] == (4, "missing")


def test_reordered_records_are_named(container):
    _write(container)
    container.audit.seal(container.uow)
    two, three = _records(container)[1:3]
    cols = ["at", "actor", "actor_role", "action", "subject", "fields", "purpose", "request_id", "detail", "mac", "hash"]
    a, b = ({c: getattr(r, c) for c in cols} for r in (two, three))
    _tamper(container, update(AuditRecord).where(AuditRecord.seq == 2).values(**b),
            update(AuditRecord).where(AuditRecord.seq == 3).values(**a))
    problems = _verify(container)
    assert problems and problems[0][0] == 2


def test_a_record_inserted_or_edited_before_it_was_sealed_is_never_sealed_and_is_named(container):
    _write(container, 2)
    forged = uuid.uuid4()
    with container.uow() as s:
        real = s.scalars(select(AuditRecord)).first()
    _tamper(container, update(AuditRecord).where(AuditRecord.id == real.id).values(detail="changed"),
            AuditRecord.__table__.insert().values(id=forged, at=real.at, actor="system", actor_role="admin", action="retention",
                                                  subject=None, fields="", purpose="", request_id="", detail="", mac="0" * 64))
    problems = container.audit.verify(container.uow)
    assert sorted(str(p.record) for p in problems) == sorted([str(real.id), str(forged)])
    assert all(p.seq is None and "unsealed audit record" in str(p) for p in problems)
    assert [r.seq for r in _records(container) if r.seq] == [1]


def test_a_forged_checkpoint_is_named(container):
    _write(container, 2)
    container.audit.seal(container.uow)
    container.audit.checkpoints.append(Checkpoint.sign(b"\x00" * 32, 9, "f" * 64, container.clock()))
    problems = container.audit.verify(container.uow)
    assert [p.seq for p in problems] == [9] and "forged" in str(problems[0])


def test_cli_verify_exits_non_zero_and_names_the_record(container, monkeypatch):
    _write(container)
    monkeypatch.setenv("JIDI_DATABASE_URL", container.settings.database_url)
    monkeypatch.setenv("JIDI_KEY_SOURCE", container.settings.key_source)
    monkeypatch.setenv("JIDI_QUEUE_URL", "immediate")
    monkeypatch.setenv("JIDI_VAR_DIR", str(container.settings.var_dir))
    monkeypatch.setenv("JIDI_ENV", "test")
    ok = CliRunner().invoke(cli, ["audit", "verify"])  # seals first
    assert ok.exit_code == 0 and "intact" in ok.output
    _tamper(container, "DELETE FROM audit_log WHERE seq = 5", update(AuditHead).where(AuditHead.id == 1).values(seq=4))
    bad = CliRunner().invoke(cli, ["audit", "verify"])
    assert bad.exit_code == 1 and "audit record 5" in bad.output and "China time" in bad.output


def test_audit_records_hold_no_plaintext_identifiers(container):
    subject = uuid.uuid4()
    with container.uow() as s:
        container.audit.record(s, actor=Actor(uuid.uuid4(), Role.PRIVACY_OFFICER), action="export", subject_id=subject, fields=["users.phone"])
    with container.uow() as s:
        rec = s.scalars(select(AuditRecord)).one()
        assert str(subject) not in rec.subject and subject.hex not in rec.subject and rec.subject.startswith("p_")


@pytest.fixture
def scratch_url(backend, tmp_path):
    """An empty database of the test's kind, for a migration or a ledger of its own."""
    if backend[0] == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name, url = _pg_database()
    yield url
    _drop_pg_database(name)


def test_records_from_before_the_keyed_chain_are_adopted_by_the_first_seal(settings, scratch_url, clock):
    """Migration 0015 on a log written by the unkeyed chain: its records are sealed under the key, in their old order."""
    engine = make_engine(scratch_url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0011")
            prev = GENESIS
            for seq in (1, 2, 3):
                digest = hashlib.sha256(f"old {seq} {prev}".encode()).hexdigest()
                conn.execute(text("INSERT INTO audit_log (seq, at, actor, actor_role, action, subject, fields, purpose, request_id, "
                                  "detail, prev_hash, hash) VALUES (:seq, :at, 'system', 'admin', 'retention', NULL, '', '', '', "
                                  ":detail, :prev, :hash)"),
                             {"seq": seq, "at": clock().replace(tzinfo=None) if engine.dialect.name == "sqlite" else clock(),
                              "detail": f"run {seq}", "prev": prev, "hash": digest})
                prev = digest
            conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 3, :h)"), {"h": prev})
        upgrade(engine)
        c = bootstrap(settings.model_copy(update={"database_url": scratch_url}), engine=engine, clock=clock)
        _write(c, 1)
        assert _verify(c) == []
        assert [(r.seq, r.detail) for r in _records(c)] == [(1, "run 1"), (2, "run 2"), (3, "run 3"), (4, "case 0")]
    finally:
        engine.dispose()


def test_two_hosts_share_the_ledger_tombstones_and_checkpoints(container, settings, backend, scratch_url, clock, tmp_path):
    """JIDI_LEDGER_URL: a subject erased through one host is refused by another at once, and both keep their
    checkpoints where a restore of the main database cannot reach."""
    one = bootstrap(settings.model_copy(update={"ledger_url": scratch_url, "var_dir": tmp_path / "one"}), engine=backend[2], clock=clock)
    two = bootstrap(settings.model_copy(update={"ledger_url": scratch_url, "var_dir": tmp_path / "two"}), engine=backend[2], clock=clock)
    try:
        with one.uow() as s:
            subject = one.vault.create_subject(s)
        with two.uow() as s:
            two.vault.subject_key(s, subject)  # known and cached on host two
            two.vault._cache.drop(subject)
        with one.uow() as s:
            one.vault.shred_subjects(s, [subject], reason="deleted")
        assert two.vault.ledger.contains(subject) and subject in two.vault.ledger.all()
        assert not (tmp_path / "one" / "tombstones.log").exists()
        _write(one, 2)
        one.audit.seal(one.uow)
        assert [c.seq for c in two.audit.checkpoints.all()] == [2]
        first = _records(two)[0]
        _tamper(two, "DELETE FROM audit_log WHERE seq = 2", update(AuditHead).where(AuditHead.id == 1).values(seq=1, hash=first.hash))
        assert _verify(two) == [(2, "missing:")]
    finally:
        for c in (one, two):
            c.vault.ledger.engine.dispose()


def test_a_restored_backup_is_reported_with_the_records_it_lost(container, clock, tmp_path):
    """The checkpoints are not restored with the database: after a restore verify names what the backup did not hold."""
    _write(container, 3)
    container.audit.seal(container.uow)
    restored_url = _backup(container, tmp_path)
    _write(container, 2)
    container.audit.seal(container.uow)
    engine = make_engine(restored_url)
    try:
        restored = bootstrap(container.settings, engine=engine, clock=clock)
        problems = restored.audit.verify(restored.uow)
        assert [p.seq for p in problems] == [4] and "records 4–5 were removed" in str(problems[0]), [str(p) for p in problems]
    finally:
        engine.dispose()
        if not restored_url.startswith("sqlite"):
            _drop_pg_database(restored_url.rsplit("/", 1)[1])
