"""audit log: written without a shared lock, chained under a key by a sealer; TRUNCATE refused

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

Records now have a random id and the HMAC of their content (`mac`); `seq` and `hash` (the keyed chain) are set
once, by the sealer (`jidi.privacy.audit`). The triggers allow exactly that one update and refuse any other
update, every delete and TRUNCATE (PostgreSQL), and fire whatever `session_replication_role` says (ENABLE ALWAYS).
Records written before (unkeyed SHA-256 chain) keep their content, take the ids 1…N as UUIDs in their old order and
are sealed under the key by the first seal (`jidi migrate` runs one).
"""
from alembic import op
import sqlalchemy as sa
import jidi.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CONTENT = ("at", "actor", "actor_role", "action", "subject", "fields", "purpose", "request_id", "detail")
# The content of a record: everything but its place in the chain, which the sealer sets once.
SQLITE_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in ("id", *CONTENT, "mac"))


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    _drop_v1_triggers(pg)
    with op.batch_alter_table("audit_head") as b:
        b.add_column(sa.Column("legacy_through", BIGINT, nullable=False, server_default="0"))
    op.execute(f"UPDATE audit_head SET legacy_through = (SELECT coalesce(max(seq), 0) FROM audit_log), seq = 0, hash = '{GENESIS}'")
    if pg:
        op.execute("ALTER TABLE audit_log ADD COLUMN id uuid, ADD COLUMN mac varchar(64)")
        op.execute("UPDATE audit_log SET id = lpad(to_hex(seq), 32, '0')::uuid")
        op.execute("ALTER TABLE audit_log DROP CONSTRAINT pk_audit_log")
        op.execute("ALTER TABLE audit_log ALTER COLUMN id SET NOT NULL, ADD CONSTRAINT pk_audit_log PRIMARY KEY (id)")
        op.execute("ALTER TABLE audit_log DROP COLUMN prev_hash, ALTER COLUMN seq DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL")
        op.execute("UPDATE audit_log SET seq = NULL, hash = NULL")
        op.execute("ALTER TABLE audit_log ADD CONSTRAINT uq_audit_log_seq UNIQUE (seq)")
    else:
        op.create_table(
            "audit_log_v2",
            sa.Column("id", sa.Uuid(), nullable=False),
            sa.Column("at", jidi.db.UTCDateTime(timezone=True), nullable=False),
            sa.Column("actor", sa.String(length=40), nullable=False),
            sa.Column("actor_role", sa.String(length=32), nullable=False),
            sa.Column("action", sa.String(length=32), nullable=False),
            sa.Column("subject", sa.String(length=40), nullable=True),
            sa.Column("fields", sa.Text(), nullable=False),
            sa.Column("purpose", sa.String(length=32), nullable=False),
            sa.Column("request_id", sa.String(length=64), nullable=False),
            sa.Column("detail", sa.Text(), nullable=False),
            sa.Column("mac", sa.String(length=64), nullable=True),
            sa.Column("seq", BIGINT, nullable=True),
            sa.Column("hash", sa.String(length=64), nullable=True),
            sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
            sa.UniqueConstraint("seq", name="uq_audit_log_seq"),
        )
        cols = ", ".join(CONTENT)
        op.execute(f"INSERT INTO audit_log_v2 (id, {cols}) SELECT printf('%032x', seq), {cols} FROM audit_log")
        op.drop_table("audit_log")
        op.rename_table("audit_log_v2", "audit_log")
        for col in ("action", "at", "subject"):
            op.create_index(f"ix_audit_log_{col}", "audit_log", [col])
    op.create_index("ix_audit_log_unsealed", "audit_log", ["at"], postgresql_where=sa.text("seq IS NULL"),
                    sqlite_where=sa.text("seq IS NULL"))
    _append_only(pg)


def _append_only(pg: bool) -> None:
    if pg:
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_OP = 'UPDATE' THEN "
            "  IF OLD.seq IS NULL AND OLD.hash IS NULL AND to_jsonb(NEW) - 'seq' - 'hash' = to_jsonb(OLD) - 'seq' - 'hash' THEN "
            "    RETURN NEW; "
            "  END IF; "
            "END IF; "
            "RAISE EXCEPTION 'audit_log is append-only'; END $$"
        )
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")
        # Fired in every session, also one that set session_replication_role = replica to skip ordinary triggers.
        op.execute("ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only")
        op.execute("ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate")
    else:
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   f"WHEN OLD.seq IS NOT NULL OR OLD.hash IS NOT NULL OR {SQLITE_CHANGED} "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
        op.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")


def _drop_v1_triggers(pg: bool) -> None:
    if pg:
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")


def downgrade() -> None:
    raise NotImplementedError("the keyed audit chain cannot be turned back into the unkeyed one; restore a backup instead")
