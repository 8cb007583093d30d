"""billing: invoices (legal hold 5 years) and cash on delivery (payout accounts, COD orders, payouts, reconciliation alerts)

Revision ID: 0028
Revises: 0022
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import jidi.db

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cod_alerts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('checked_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('collected_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_out_fen', sa.BigInteger(), nullable=False),
    sa.Column('waiting_fen', sa.BigInteger(), nullable=False),
    sa.Column('mismatched_payouts', sa.Integer(), nullable=False),
    sa.Column('gap_fen', sa.BigInteger(), nullable=False),
    sa.Column('resolved_at', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cod_alerts'))
    )
    op.create_index(op.f('ix_cod_alerts_checked_at'), 'cod_alerts', ['checked_at'], unique=False)
    op.create_table('cod_accounts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('holder_name', sa.LargeBinary(), nullable=False),
    sa.Column('account_type', sa.String(length=10), nullable=False),
    sa.Column('account_number', sa.LargeBinary(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('branch', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_cod_accounts_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cod_accounts')),
    sa.UniqueConstraint('owner_id', name=op.f('uq_cod_accounts_owner_id'))
    )
    op.create_table('cod_payouts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('business_day', sa.Date(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=True),
    sa.Column('failure', sa.String(length=40), nullable=True),
    sa.Column('created_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_cod_payouts_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cod_payouts')),
    sa.UniqueConstraint('owner_id', 'business_day', 'attempt', name='uq_cod_payouts_owner_day')
    )
    op.create_index(op.f('ix_cod_payouts_owner_id'), 'cod_payouts', ['owner_id'], unique=False)
    op.create_index(op.f('ix_cod_payouts_status'), 'cod_payouts', ['status'], unique=False)
    op.create_table('invoices',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('waybill_no', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('medium', sa.String(length=12), nullable=False),
    sa.Column('content', sa.String(length=24), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('title', sa.LargeBinary(), nullable=True),
    sa.Column('taxpayer_id', sa.LargeBinary(), nullable=True),
    sa.Column('bank_name', sa.LargeBinary(), nullable=True),
    sa.Column('bank_account', sa.LargeBinary(), nullable=True),
    sa.Column('reg_phone', sa.LargeBinary(), nullable=True),
    sa.Column('reg_address', sa.LargeBinary(), nullable=True),
    sa.Column('mobile', sa.LargeBinary(), nullable=True),
    sa.Column('email', sa.LargeBinary(), nullable=True),
    sa.Column('mail_name', sa.LargeBinary(), nullable=True),
    sa.Column('mail_phone', sa.LargeBinary(), nullable=True),
    sa.Column('mail_region', sa.String(length=6), nullable=True),
    sa.Column('mail_address', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('link_hash', sa.LargeBinary(length=32), nullable=True),
    sa.Column('link_expires_at', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('issued_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_invoices_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('link_hash', name=op.f('uq_invoices_link_hash')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number')),
    sa.UniqueConstraint('order_id', name=op.f('uq_invoices_order_id'))
    )
    op.create_index(op.f('ix_invoices_owner_id'), 'invoices', ['owner_id'], unique=False)
    op.create_index(op.f('ix_invoices_subject_id'), 'invoices', ['subject_id'], unique=False)
    op.create_table('cod_orders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('waybill_no', sa.String(length=24), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('collected_at', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('payout_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_cod_orders_owner_id_users')),
    sa.ForeignKeyConstraint(['payout_id'], ['cod_payouts.id'], name=op.f('fk_cod_orders_payout_id_cod_payouts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cod_orders')),
    sa.UniqueConstraint('order_id', name=op.f('uq_cod_orders_order_id'))
    )
    op.create_index(op.f('ix_cod_orders_owner_id'), 'cod_orders', ['owner_id'], unique=False)
    op.create_index(op.f('ix_cod_orders_payout_id'), 'cod_orders', ['payout_id'], unique=False)
    op.create_index(op.f('ix_cod_orders_status'), 'cod_orders', ['status'], unique=False)
    op.create_index(op.f('ix_cod_orders_waybill_no'), 'cod_orders', ['waybill_no'], unique=False)


def downgrade() -> None:
    op.drop_table("cod_orders")
    op.drop_table("invoices")
    op.drop_table("cod_payouts")
    op.drop_table("cod_accounts")
    op.drop_table("cod_alerts")
