"""sms_outbox.phone_bidx: the keyed hash of the recipient number, so erasure and "my data" find every message

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

Messages sent to a number before its account existed are sealed under a one-off subject: only the number ties
them to the person. Rows queued before this revision keep no hash; the outbox is emptied within a day
(RETAIN_SMS), so they leave by retention.
"""
from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_outbox") as batch:
        batch.add_column(sa.Column("phone_bidx", sa.LargeBinary(length=32), nullable=True))
        batch.create_index(batch.f("ix_sms_outbox_phone_bidx"), ["phone_bidx"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_outbox") as batch:
        batch.drop_index(batch.f("ix_sms_outbox_phone_bidx"))
        batch.drop_column("phone_bidx")
