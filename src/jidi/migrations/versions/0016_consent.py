"""consent ledger: consents given and withdrawn, the texts shown; the legal basis in audit records

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

`consent_ledger` and `consent_texts` are append-only: on PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE
(ENABLE ALWAYS, like the audit log); on SQLite the session refuses them (jidi.privacy.consent). `audit_log` gains
`basis`, the legal basis an audited processing rested on; SQLite's trigger is recreated so that it covers it.
The privacy-policy consents of the accounts' `consents` table are moved onto the ledger by `jidi migrate` once this
has run (their subjects become keyed pseudonyms, which needs the key ring: `Accounts.move_policy_consents`).
"""
from alembic import op
import sqlalchemy as sa
import jidi.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LEDGER = ("consent_ledger", "consent_texts")
AUDIT_CONTENT = ("id", "at", "actor", "actor_role", "action", "subject", "fields", "purpose", "request_id", "detail", "mac",
                 "basis")


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "consent_texts",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_consent_texts")),
    )
    op.create_table(
        "consent_ledger",
        sa.Column("id", BIGINT, autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=True),
        sa.Column("how", sa.String(length=20), nullable=False),
        sa.Column("how_ref", sa.String(length=80), nullable=False),
        sa.Column("at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=True),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_ledger")),
        sa.UniqueConstraint("nonce", name=op.f("uq_consent_ledger_nonce")),
    )
    op.create_index("ix_consent_ledger_subject_topic", "consent_ledger", ["subject", "topic", "id"], unique=False)
    with op.batch_alter_table("audit_log") as b:
        b.add_column(sa.Column("basis", sa.String(length=20), nullable=False, server_default=""))
    if pg:
        op.execute("CREATE FUNCTION consent_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$")
        for table in LEDGER:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION consent_ledger_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION consent_ledger_append_only()")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_append_only")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
    else:
        # The audit log's content now includes `basis`: the one update the sealer makes must leave it alone too.
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in AUDIT_CONTENT)
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   f"WHEN OLD.seq IS NOT NULL OR OLD.hash IS NOT NULL OR {changed} "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")


def downgrade() -> None:
    raise NotImplementedError("the consent ledger is the proof of consent: restore a backup instead of dropping it")
