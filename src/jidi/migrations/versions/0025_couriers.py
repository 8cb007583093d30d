"""couriers

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-06 05:38:44.846681
"""
from alembic import op
import sqlalchemy as sa
import jidi.db


revision = '0025'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('courier_partners',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('api_key_hash', sa.LargeBinary(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courier_partners')),
    sa.UniqueConstraint('api_key_hash', name=op.f('uq_courier_partners_api_key_hash'))
    )
    op.create_table('courier_tasks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('waybill_no', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('courier_id', sa.Uuid(), nullable=True),
    sa.Column('subject_id', sa.Uuid(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('window_from', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('window_until', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('next_attempt_on', sa.Date(), nullable=True),
    sa.Column('proof_kind', sa.String(length=10), nullable=True),
    sa.Column('proof', sa.LargeBinary(), nullable=True),
    sa.Column('measured_weight_g', sa.Integer(), nullable=True),
    sa.Column('confirmed_price_fen', sa.Integer(), nullable=True),
    sa.Column('created_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('assigned_at', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courier_tasks')),
    sa.UniqueConstraint('order_id', 'kind', name='uq_courier_tasks_order_kind')
    )
    with op.batch_alter_table('courier_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_courier_tasks_courier', ['courier_id', 'status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_courier_tasks_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courier_tasks_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courier_tasks_waybill_no'), ['waybill_no'], unique=False)

    op.create_table('courier_exclusive',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('courier_id', sa.Uuid(), nullable=False),
    sa.Column('bound_by', sa.String(length=10), nullable=False),
    sa.Column('created_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['courier_id'], ['users.id'], name=op.f('fk_courier_exclusive_courier_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['users.id'], name=op.f('fk_courier_exclusive_customer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courier_exclusive')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_courier_exclusive_customer_id'))
    )
    with op.batch_alter_table('courier_exclusive', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courier_exclusive_courier_id'), ['courier_id'], unique=False)

    op.create_table('courier_location_tracks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('courier_id', sa.Uuid(), nullable=False),
    sa.Column('first_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('track', sa.LargeBinary(), nullable=True),
    sa.Column('evidence', sa.Boolean(), nullable=False),
    sa.Column('received_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['courier_id'], ['users.id'], name=op.f('fk_courier_location_tracks_courier_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courier_location_tracks'))
    )
    with op.batch_alter_table('courier_location_tracks', schema=None) as batch_op:
        batch_op.create_index('ix_courier_location_tracks_courier', ['courier_id', 'first_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_courier_location_tracks_last_at'), ['last_at'], unique=False)

    op.create_table('courier_workers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('partner_id', sa.Uuid(), nullable=True),
    sa.Column('employer', sa.LargeBinary(), nullable=True),
    sa.Column('work_email', sa.LargeBinary(), nullable=True),
    sa.Column('position', sa.LargeBinary(), nullable=True),
    sa.Column('legal_name', sa.LargeBinary(), nullable=True),
    sa.Column('id_type', sa.String(length=24), nullable=False),
    sa.Column('id_number', sa.LargeBinary(), nullable=True),
    sa.Column('licence_file_number', sa.LargeBinary(), nullable=True),
    sa.Column('vehicle_class', sa.LargeBinary(), nullable=True),
    sa.Column('regions', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('duty_since', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('current_task_id', sa.Uuid(), nullable=True),
    sa.Column('qr_version', sa.Integer(), nullable=False),
    sa.Column('created_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['courier_partners.id'], name=op.f('fk_courier_workers_partner_id_courier_partners')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_courier_workers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courier_workers')),
    sa.UniqueConstraint('user_id', name=op.f('uq_courier_workers_user_id'))
    )
    with op.batch_alter_table('courier_workers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courier_workers_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courier_workers_status'), ['status'], unique=False)

    op.create_table('courier_background_checks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('worker_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('provider_ref', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requested_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['worker_id'], ['courier_workers.id'], name=op.f('fk_courier_background_checks_worker_id_courier_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courier_background_checks'))
    )
    with op.batch_alter_table('courier_background_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courier_background_checks_worker_id'), ['worker_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('courier_background_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courier_background_checks_worker_id'))

    op.drop_table('courier_background_checks')
    with op.batch_alter_table('courier_workers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courier_workers_status'))
        batch_op.drop_index(batch_op.f('ix_courier_workers_partner_id'))

    op.drop_table('courier_workers')
    with op.batch_alter_table('courier_location_tracks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courier_location_tracks_last_at'))
        batch_op.drop_index('ix_courier_location_tracks_courier')

    op.drop_table('courier_location_tracks')
    with op.batch_alter_table('courier_exclusive', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courier_exclusive_courier_id'))

    op.drop_table('courier_exclusive')
    with op.batch_alter_table('courier_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courier_tasks_waybill_no'))
        batch_op.drop_index(batch_op.f('ix_courier_tasks_subject_id'))
        batch_op.drop_index(batch_op.f('ix_courier_tasks_order_id'))
        batch_op.drop_index('ix_courier_tasks_courier')

    op.drop_table('courier_tasks')
    op.drop_table('courier_partners')

