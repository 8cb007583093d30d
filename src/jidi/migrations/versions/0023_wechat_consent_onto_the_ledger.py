"""consents onto the consent ledger: the accounts' old `consents` table (WeChat-profile authorisations, and policy
acceptances not moved yet) is carried onto `consent_ledger` and dropped

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06

A ledger record names its subject by the keyed pseudonym, which needs the key ring: `jidi migrate` hands the consent
ledger's carrier (`Consents.carry_legacy`) to this migration, which calls it with the rows in the migration's own
transaction, so either everything is carried over and the table dropped, or nothing changes. Run without the carrier
(plain `alembic upgrade`), it refuses a table that still holds consents, and drops an empty one.
Downgrade recreates the empty table (the consents stay on the ledger).
"""
from alembic import op
import sqlalchemy as sa
import jidi.db

revision = "0023"
down_revision = "0025"
branch_labels = None
depends_on = None

COLUMNS = (sa.column("subject_id", sa.Uuid()), sa.column("kind", sa.String()), sa.column("version", sa.String()),
           sa.column("channel", sa.String()), sa.column("granted_at", jidi.db.UTCDateTime(timezone=True)),
           sa.column("withdrawn_at", jidi.db.UTCDateTime(timezone=True)))


def upgrade() -> None:
    conn = op.get_bind()
    table = sa.table("consents", *COLUMNS)
    rows = [dict(r._mapping) for r in conn.execute(sa.select(table))]
    if rows:
        config = op.get_context().config
        carry = config.attributes.get("carry_consents") if config is not None else None
        if carry is None:
            raise RuntimeError(f"the consents table holds {len(rows)} consents: run `jidi migrate`, which carries them onto "
                               "the consent ledger with the key ring")
        carry(conn, rows)
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_subject_id"))
    op.drop_table("consents")


def downgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("granted_at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", jidi.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consents_subject_id"), ["subject_id"], unique=False)
