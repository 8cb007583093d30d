"""one rate limiter: login failures, lookup attempts, lookup windows and the SMS codes' client index go

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

Every rate limit is now counted by jidi.ratelimit (Redis, or memory in the embedded default), not in tables.
"""
from alembic import op
import sqlalchemy as sa
import jidi.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("lookup_attempts")
    op.drop_table("tracking_lookup_windows")
    with op.batch_alter_table("sms_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_codes_client_bidx"))
        batch_op.drop_column("client_bidx")


def downgrade() -> None:
    with op.batch_alter_table("sms_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_bidx", sa.LargeBinary(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_sms_codes_client_bidx"), ["client_bidx"], unique=False)
    op.create_table(
        "tracking_lookup_windows",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("window_start", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_lookup_windows")),
        sa.UniqueConstraint("window_start", "client_bidx", name="uq_tracking_lookup_windows_client"),
    )
    op.create_index(op.f("ix_tracking_lookup_windows_client_bidx"), "tracking_lookup_windows", ["client_bidx"], unique=False)
    op.create_table(
        "lookup_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("waybill_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("step", sa.String(length=8), nullable=False),
        sa.Column("at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lookup_attempts")),
    )
    for column in ("at", "client_bidx", "waybill_bidx"):
        op.create_index(op.f(f"ix_lookup_attempts_{column}"), "lookup_attempts", [column], unique=False)
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("login_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    for column in ("at", "login_bidx"):
        op.create_index(op.f(f"ix_login_failures_{column}"), "login_failures", [column], unique=False)
