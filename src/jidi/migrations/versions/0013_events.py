"""events: the transactional outbox of events between features, and each handler's deliveries

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa
import jidi.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PENDING = sa.text("delivered_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", jidi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", jidi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_pending", "events", ["next_attempt_at"], postgresql_where=PENDING, sqlite_where=PENDING)
    op.create_index(op.f("ix_events_delivered_at"), "events", ["delivered_at"])
    op.create_table(
        "event_deliveries",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("handler", sa.String(length=80), nullable=False),
        sa.Column("delivered_at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_deliveries_event_id_events"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "handler", name=op.f("pk_event_deliveries")),
    )


def downgrade() -> None:
    op.drop_table("event_deliveries")
    op.drop_index(op.f("ix_events_delivered_at"), table_name="events")
    op.drop_index("ix_events_pending", table_name="events")
    op.drop_table("events")
