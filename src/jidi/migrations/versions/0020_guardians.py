"""minors: age statements, guardians' consents, reports about minors' data

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import jidi.db


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('age_statements',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('birth_date', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_age_statements_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_age_statements')),
    sa.UniqueConstraint('user_id', name=op.f('uq_age_statements_user_id'))
    )
    op.create_index(op.f('ix_age_statements_status'), 'age_statements', ['status'], unique=False)
    op.create_index(op.f('ix_age_statements_created_at'), 'age_statements', ['created_at'], unique=False)
    op.create_table('guardian_consents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('minor_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('phone', sa.LargeBinary(), nullable=True),
    sa.Column('phone_bidx', sa.LargeBinary(length=32), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.Column('relationship', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('created_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('granted_at', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['minor_id'], ['users.id'], name=op.f('fk_guardian_consents_minor_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guardian_consents')),
    sa.UniqueConstraint('minor_id', name=op.f('uq_guardian_consents_minor_id')),
    sa.UniqueConstraint('subject_id', name=op.f('uq_guardian_consents_subject_id'))
    )
    op.create_index(op.f('ix_guardian_consents_phone_bidx'), 'guardian_consents', ['phone_bidx'], unique=False)
    op.create_table('minor_reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('reporter_id', sa.Uuid(), nullable=True),
    sa.Column('account_phone', sa.LargeBinary(), nullable=True),
    sa.Column('details', sa.LargeBinary(), nullable=True),
    sa.Column('contact', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('received_at', jidi.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', jidi.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_minor_reports_reporter_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minor_reports')),
    sa.UniqueConstraint('subject_id', name=op.f('uq_minor_reports_subject_id'))
    )
    op.create_index(op.f('ix_minor_reports_reporter_id'), 'minor_reports', ['reporter_id'], unique=False)
    op.create_index(op.f('ix_minor_reports_status'), 'minor_reports', ['status'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_minor_reports_status'), table_name='minor_reports')
    op.drop_index(op.f('ix_minor_reports_reporter_id'), table_name='minor_reports')
    op.drop_table('minor_reports')
    op.drop_index(op.f('ix_guardian_consents_phone_bidx'), table_name='guardian_consents')
    op.drop_table('guardian_consents')
    op.drop_index(op.f('ix_age_statements_created_at'), table_name='age_statements')
    op.drop_index(op.f('ix_age_statements_status'), table_name='age_statements')
    op.drop_table('age_statements')
