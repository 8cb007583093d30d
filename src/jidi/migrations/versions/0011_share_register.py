"""share register: what was handed to which recipient, and the deletion notices sent to them

Revision ID: 0011
Revises: 0008, 0009, 0010
Create Date: 2026-11-23

Also joins the three branches that grew from 0007 (rights, workdays, retention) into one head.
"""
from alembic import op
import sqlalchemy as sa
import jidi.db

revision = "0011"
down_revision = ("0008", "0009", "0010")
branch_labels = None
depends_on = None

PENDING = sa.text("deletion_asked_at IS NOT NULL AND deletion_notified_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "share_register",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("phone_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("basis", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("shared_at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deletion_asked_at", jidi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deletion_notified_at", jidi.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_register")),
    )
    op.create_index(op.f("ix_share_register_subject"), "share_register", ["subject"], unique=False)
    op.create_index(op.f("ix_share_register_phone_bidx"), "share_register", ["phone_bidx"], unique=False)
    op.create_index(op.f("ix_share_register_shared_at"), "share_register", ["shared_at"], unique=False)
    op.create_index("ix_share_register_pending", "share_register", ["recipient", "id"], unique=False,
                    postgresql_where=PENDING, sqlite_where=PENDING)


def downgrade() -> None:
    op.drop_table("share_register")
