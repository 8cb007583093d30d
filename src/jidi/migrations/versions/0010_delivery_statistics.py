"""retention: anonymous delivery statistics, and the index the sweep finds finished orders by

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-23

`ix_orders_retention` is partial: it holds only orders in a terminal state (delivered, returned, cancelled), so
status updates of in-flight orders never write to it.
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None

TERMINAL = sa.text("status IN ('delivered', 'returned', 'cancelled')")


def upgrade() -> None:
    op.create_table(
        "delivery_statistics",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("origin_city", sa.String(length=6), nullable=False),
        sa.Column("dest_city", sa.String(length=6), nullable=False),
        sa.Column("service_type", sa.String(length=16), nullable=False),
        sa.Column("terminal_state", sa.String(length=24), nullable=False),
        sa.Column("parcels", sa.Integer(), nullable=False),
        sa.Column("weight_g", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "origin_city", "dest_city", "service_type", "terminal_state",
                                name=op.f("pk_delivery_statistics")),
    )
    op.create_index("ix_orders_retention", "orders", ["status", "status_at"], unique=False,
                    postgresql_where=TERMINAL, sqlite_where=TERMINAL)


def downgrade() -> None:
    op.drop_index("ix_orders_retention", table_name="orders")
    op.drop_table("delivery_statistics")
