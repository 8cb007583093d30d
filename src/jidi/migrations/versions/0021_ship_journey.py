"""The ship journey: insurance premium and the address-book entries an order was filled from

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

orders.insurance_fen: the premium charged for insurance (0: not insured); price_fen stays everything charged.
orders.sender_entry_id / recipient_entry_id: ids of the address-book entries used ("ship again"), no personal value.
"""
from alembic import op
import sqlalchemy as sa

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("insurance_fen", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("sender_entry_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("recipient_entry_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("recipient_entry_id")
        batch.drop_column("sender_entry_id")
        batch.drop_column("insurance_fen")
