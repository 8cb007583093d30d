"""The ship journey: insurance premium, the address-book entries an order was filled from, the holder of its parties

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

orders.insurance_fen: the premium charged for insurance (0: not insured); price_fen stays everything charged.
orders.sender_entry_id / recipient_entry_id: ids of the address-book entries used ("ship again"), no personal value.
order_parties.holder_id: the account that placed the order, which may open its parties' details in full (audited);
filled for existing orders from orders.owner_id.
"""
from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("insurance_fen", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("sender_entry_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("recipient_entry_id", sa.Uuid(), nullable=True))
    with op.batch_alter_table("order_parties") as batch:
        batch.add_column(sa.Column("holder_id", sa.Uuid(), nullable=True))
        batch.create_index(batch.f("ix_order_parties_holder_id"), ["holder_id"], unique=False)
        batch.create_foreign_key(batch.f("fk_order_parties_holder_id_users"), "users", ["holder_id"], ["id"], ondelete="SET NULL")
    op.execute("UPDATE order_parties SET holder_id = (SELECT owner_id FROM orders WHERE orders.id = order_parties.order_id)")


def downgrade() -> None:
    with op.batch_alter_table("order_parties") as batch:
        batch.drop_constraint(batch.f("fk_order_parties_holder_id_users"), type_="foreignkey")
        batch.drop_index(batch.f("ix_order_parties_holder_id"))
        batch.drop_column("holder_id")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("recipient_entry_id")
        batch.drop_column("sender_entry_id")
        batch.drop_column("insurance_fen")
