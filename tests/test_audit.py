"""The audit log: append-only, hash-chained, and `jidi audit verify` names any tampered record."""
from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update

from jidi.cli import main as cli
from jidi.privacy import Actor, Role
from jidi.privacy.audit import verify
from jidi.privacy.models import AuditRecord


def _write(container, n=5):
    agent = Actor(uuid.uuid4(), Role.SUPPORT_AGENT)
    for i in range(n):
        with container.uow() as s:
            container.vault.record(s, actor=agent, action="reveal", subject_id=uuid.uuid4(), fields=["users.phone"],
                                   purpose="customer_service", detail=f"case {i}")


def _unprotected(container, sql_or_stmt):
    """Tamper as a database administrator would: with the append-only trigger switched off."""
    engine = container.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
            conn.execute(sql_or_stmt)
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
            conn.execute(sql_or_stmt)
            for event in ("UPDATE", "DELETE"):
                conn.execute(text(f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                                  "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"))


def _verify(container):
    with container.uow() as s:
        return [(p.seq, p.what.split(" ")[0]) for p in verify(s)]


@pytest.mark.promise("JD-5.1.2(2)", "ZK-4.1.1h")
def test_intact_log_verifies(container):
    _write(container)
    assert _verify(container) == []
    with container.uow() as s:
        recs = s.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
        assert [r.seq for r in recs] == [1, 2, 3, 4, 5]
        assert all(b.prev_hash == a.hash for a, b in zip(recs, recs[1:]))


def test_the_database_refuses_updates_and_deletes(container):
    _write(container, 1)
    with pytest.raises(Exception, match="append-only"):
        with container.engine.begin() as conn:
            conn.execute(update(AuditRecord).values(purpose="other"))
    with pytest.raises(Exception, match="append-only"):
        with container.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))


def test_an_edited_record_is_named(container):
    _write(container)
    _unprotected(container, update(AuditRecord).where(AuditRecord.seq == 3).values(purpose="marketing"))
    assert _verify(container) == [(3, "was")]


def test_an_edited_record_with_a_recomputed_hash_breaks_the_next_link(container):
    _write(container)
    _unprotected(container, update(AuditRecord).where(AuditRecord.seq == 2).values(hash="f" * 64))
    assert (2, "was") in _verify(container) and (3, "does") in _verify(container)


def test_a_removed_record_is_named(container):
    _write(container)
    _unprotected(container, text("DELETE FROM audit_log WHERE seq = 4"))
    assert _verify(container)[0] == (4, "missing")


def test_removing_the_newest_record_is_noticed(container):
    _write(container)
    _unprotected(container, text("DELETE FROM audit_log WHERE seq = 5"))
    assert _verify(container) == [(5, "missing")]


def test_reordered_records_are_named(container):
    _write(container)
    # Swap the contents of records 2 and 3 (keeping their sequence numbers).
    with container.uow() as s:
        two, three = (s.get(AuditRecord, n) for n in (2, 3))
        cols = ["at", "actor", "actor_role", "action", "subject", "fields", "purpose", "request_id", "detail", "prev_hash", "hash"]
        a, b = ({c: getattr(r, c) for c in cols} for r in (two, three))
    _unprotected(container, update(AuditRecord).where(AuditRecord.seq == 2).values(**b))
    _unprotected(container, update(AuditRecord).where(AuditRecord.seq == 3).values(**a))
    problems = _verify(container)
    assert problems and problems[0][0] == 2


def test_cli_verify_exits_non_zero_and_names_the_record(container, monkeypatch):
    _write(container)
    monkeypatch.setenv("JIDI_DATABASE_URL", container.settings.database_url)
    monkeypatch.setenv("JIDI_KEY_SOURCE", container.settings.key_source)
    monkeypatch.setenv("JIDI_QUEUE_URL", "immediate")
    monkeypatch.setenv("JIDI_VAR_DIR", str(container.settings.var_dir))
    monkeypatch.setenv("JIDI_ENV", "test")
    ok = CliRunner().invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    _unprotected(container, update(AuditRecord).where(AuditRecord.seq == 2).values(detail="changed"))
    bad = CliRunner().invoke(cli, ["audit", "verify"])
    assert bad.exit_code == 1 and "audit record 2" in bad.output


def test_audit_records_hold_no_plaintext_identifiers(container):
    subject = uuid.uuid4()
    with container.uow() as s:
        container.vault.record(s, actor=Actor(uuid.uuid4(), Role.PRIVACY_OFFICER), action="export", subject_id=subject, fields=["users.phone"])
    with container.uow() as s:
        rec = s.scalars(select(AuditRecord)).one()
        assert str(subject) not in rec.subject and subject.hex not in rec.subject and rec.subject.startswith("p_")
