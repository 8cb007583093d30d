"""marketing: campaigns, their deliveries, in-app messages, push devices, do-not-disturb hours, SMS replies handled

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

Consent to marketing per channel is in the consent ledger (0016); these tables hold no personal value but the
push devices' sealed tokens.
"""
from alembic import op
import sqlalchemy as sa
import jidi.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

T = jidi.db.UTCDateTime(timezone=True)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "marketing_campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("channels", sa.String(length=60), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=True),
        sa.Column("shipped_within_days", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("audience", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.Column("queued_at", T, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_campaigns")),
    )
    op.create_table(
        "marketing_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("not_before", T, nullable=True),
        sa.Column("created_at", T, nullable=False),
        sa.Column("sent_at", T, nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["marketing_campaigns.id"],
                                name=op.f("fk_marketing_deliveries_campaign_id_marketing_campaigns"), ondelete="CASCADE"),
        _user_fk("marketing_deliveries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_deliveries")),
    )
    op.create_index("ix_marketing_deliveries_batch", "marketing_deliveries", ["campaign_id", "batch"])
    op.create_index("ix_marketing_deliveries_due", "marketing_deliveries", ["status", "not_before"])
    op.create_index(op.f("ix_marketing_deliveries_user_id"), "marketing_deliveries", ["user_id"])
    op.create_table(
        "marketing_quiet_hours",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("start_hour", sa.Integer(), nullable=False),
        sa.Column("end_hour", sa.Integer(), nullable=False),
        sa.Column("updated_at", T, nullable=False),
        _user_fk("marketing_quiet_hours"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_marketing_quiet_hours")),
    )
    op.create_table(
        "marketing_inbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["marketing_campaigns.id"],
                                name=op.f("fk_marketing_inbox_campaign_id_marketing_campaigns"), ondelete="CASCADE"),
        _user_fk("marketing_inbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_inbox")),
    )
    op.create_index(op.f("ix_marketing_inbox_user_id"), "marketing_inbox", ["user_id"])
    op.create_index(op.f("ix_marketing_inbox_campaign_id"), "marketing_inbox", ["campaign_id"])
    op.create_table(
        "marketing_push_devices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", T, nullable=False),
        _user_fk("marketing_push_devices"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_push_devices")),
    )
    op.create_index(op.f("ix_marketing_push_devices_user_id"), "marketing_push_devices", ["user_id"])
    op.create_table(
        "marketing_sms_replies",
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("received_at", T, nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_marketing_sms_replies")),
    )


def downgrade() -> None:
    for table in ("marketing_sms_replies", "marketing_push_devices", "marketing_inbox", "marketing_quiet_hours",
                  "marketing_deliveries", "marketing_campaigns"):
        op.drop_table(table)
