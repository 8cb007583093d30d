"""payments: payments and refunds, pay-later authorisations, the payment simulator's trades; merchant imports billed
to the merchant (no longer waiting for a payment)

Revision ID: 0027
Revises: 0022
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa
import jidi.db

revision = "0027"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("waybill_no", sa.String(length=24), nullable=False),
        sa.Column("payer_id", sa.Uuid(), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("result_code", sa.String(length=40), nullable=True),
        sa.Column("provider_trade_no", sa.String(length=64), nullable=True),
        sa.Column("request", sa.LargeBinary(), nullable=True),
        sa.Column("card", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", jidi.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["payments.id"], name=op.f("fk_payments_parent_id_payments")),
        sa.ForeignKeyConstraint(["payer_id"], ["users.id"], name=op.f("fk_payments_payer_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("serial", name=op.f("uq_payments_serial")),
    )
    op.create_index(op.f("ix_payments_parent_id"), "payments", ["parent_id"])
    op.create_index(op.f("ix_payments_order_id"), "payments", ["order_id"])
    op.create_index(op.f("ix_payments_payer_id"), "payments", ["payer_id"])
    op.create_index(op.f("ix_payments_subject_id"), "payments", ["subject_id"])
    op.create_index(op.f("ix_payments_created_at"), "payments", ["created_at"])
    op.create_index("ix_payments_pending", "payments", ["status", "created_at"])
    op.create_table(
        "pay_later_authorisations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("checked_at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_pay_later_authorisations_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_later_authorisations")),
        sa.UniqueConstraint("user_id", name=op.f("uq_pay_later_authorisations_user_id")),
        sa.UniqueConstraint("code", name=op.f("uq_pay_later_authorisations_code")),
    )
    op.create_table(
        "payment_sim_trades",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("parent_serial", sa.String(length=64), nullable=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("trade_no", sa.String(length=64), nullable=False),
        sa.Column("notify_url", sa.String(length=300), nullable=False),
        sa.Column("created_at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", jidi.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_sim_trades")),
    )
    op.create_index(op.f("ix_payment_sim_trades_created_at"), "payment_sim_trades", ["created_at"])
    op.create_index("uq_payment_sim_trades_serial", "payment_sim_trades", ["provider", "kind", "serial"], unique=True)
    # A merchant's import is billed to the merchant's account: those left waiting for a payment nobody could make
    # go on to pickup.
    op.execute("UPDATE orders SET status = 'awaiting_pickup' WHERE merchant_id IS NOT NULL AND status = 'awaiting_payment'")


def downgrade() -> None:
    op.drop_table("payment_sim_trades")
    op.drop_table("pay_later_authorisations")
    op.drop_table("payments")
