"""couriers: the courier's (or driver's) work mobile number, sealed; none for couriers onboarded before it was asked

Revision ID: 0029
Revises: 0026
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = "0029"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("courier_workers") as batch:
        batch.add_column(sa.Column("work_phone", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("courier_workers") as batch:
        batch.drop_column("work_phone")
