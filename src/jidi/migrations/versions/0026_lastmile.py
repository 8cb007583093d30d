"""lastmile: virtual-number bindings and call records; service stations and lockers, consents and held parcels

Revision ID: 0026
Revises: 0022
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa
import jidi.db

revision = "0026"
down_revision = "0023"
branch_labels = None
depends_on = None

T = jidi.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "virtual_number_bindings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("courier_id", sa.Uuid(), nullable=True),
        sa.Column("party_role", sa.String(length=10), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("subs_id", sa.String(length=64), nullable=True),
        sa.Column("virtual_number", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.Column("expires_at", T, nullable=False),
        sa.Column("closed_at", T, nullable=True),
        sa.Column("unbound_at", T, nullable=True),
        sa.Column("unbind_reason", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_virtual_number_bindings_order_id_orders"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_virtual_number_bindings")),
        sa.UniqueConstraint("task_id", name=op.f("uq_virtual_number_bindings_task_id")),
    )
    op.create_index(op.f("ix_virtual_number_bindings_order_id"), "virtual_number_bindings", ["order_id"])
    op.create_index(op.f("ix_virtual_number_bindings_courier_id"), "virtual_number_bindings", ["courier_id"])
    op.create_index(op.f("ix_virtual_number_bindings_status"), "virtual_number_bindings", ["status"])
    op.create_index("ix_virtual_number_bindings_due", "virtual_number_bindings", ["status", "expires_at"])
    op.create_table(
        "virtual_call_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("binding_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("caller", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("started_at", T, nullable=True),
        sa.Column("released_at", T, nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("received_at", T, nullable=False),
        sa.ForeignKeyConstraint(["binding_id"], ["virtual_number_bindings.id"],
                                name=op.f("fk_virtual_call_records_binding_id_virtual_number_bindings"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_virtual_call_records_order_id_orders"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_virtual_call_records")),
        sa.UniqueConstraint("call_id", name=op.f("uq_virtual_call_records_call_id")),
    )
    op.create_index(op.f("ix_virtual_call_records_binding_id"), "virtual_call_records", ["binding_id"])
    op.create_index(op.f("ix_virtual_call_records_order_id"), "virtual_call_records", ["order_id"])

    op.create_table(
        "service_points",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("operator_name", sa.String(length=60), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("address", sa.String(length=120), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("hours", sa.String(length=60), nullable=False),
        sa.Column("holding_days", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_points")),
        sa.UniqueConstraint("code", name=op.f("uq_service_points_code")),
    )
    op.create_table(
        "delivery_standing_choices",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("allow_locker", sa.Boolean(), nullable=False),
        sa.Column("allow_station", sa.Boolean(), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", T, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_delivery_standing_choices_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["point_id"], ["service_points.id"], name=op.f("fk_delivery_standing_choices_point_id_service_points")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_delivery_standing_choices")),
    )
    op.create_table(
        "delivery_parcel_choices",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("choice", sa.String(length=10), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=True),
        sa.Column("chosen_by", sa.Uuid(), nullable=False),
        sa.Column("chosen_at", T, nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_delivery_parcel_choices_order_id_orders"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["point_id"], ["service_points.id"], name=op.f("fk_delivery_parcel_choices_point_id_service_points")),
        sa.ForeignKeyConstraint(["chosen_by"], ["users.id"], name=op.f("fk_delivery_parcel_choices_chosen_by_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_delivery_parcel_choices")),
    )
    op.create_index(op.f("ix_delivery_parcel_choices_chosen_by"), "delivery_parcel_choices", ["chosen_by"])
    op.create_table(
        "held_parcels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("waybill_no", sa.String(length=24), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=False),
        sa.Column("code_salt", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("held_at", T, nullable=False),
        sa.Column("due_at", T, nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("last_reminded_at", T, nullable=True),
        sa.Column("collected_at", T, nullable=True),
        sa.Column("returned_at", T, nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_held_parcels_order_id_orders"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["point_id"], ["service_points.id"], name=op.f("fk_held_parcels_point_id_service_points")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_parcels")),
        sa.UniqueConstraint("order_id", name=op.f("uq_held_parcels_order_id")),
        sa.UniqueConstraint("waybill_no", name=op.f("uq_held_parcels_waybill_no")),
    )
    op.create_index(op.f("ix_held_parcels_point_id"), "held_parcels", ["point_id"])
    op.create_index("ix_held_parcels_point_status", "held_parcels", ["point_id", "status"])
    op.create_index("ix_held_parcels_status_due", "held_parcels", ["status", "due_at"])


def downgrade() -> None:
    for table in ("held_parcels", "delivery_parcel_choices", "delivery_standing_choices", "service_points",
                  "virtual_call_records", "virtual_number_bindings"):
        op.drop_table(table)
