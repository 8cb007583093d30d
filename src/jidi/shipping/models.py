"""Orders and waybills. Every party of an order (sender, recipient) is sealed under its own one-off data subject:
the recipient's details are the recipient's personal information, even when a sender typed them in."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint, literal, select, text
from sqlalchemy.orm import Mapped, column_property, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import (
    RETAIN_ACCOUNT, Action, Category, LegalBasis, LegalHold, Mask, PartOf, Purpose, Retained, Retention, blind_index,
    personal, setting_days,
)
from jidi.shipping import states

P = Purpose
# Waybill records: kept for the express-delivery record period after delivery (快递暂行条例 / 实名收寄管理办法).
RETAIN_WAYBILL = Retention("delivered", 3 * 365, "签收后 3 年(快递业务法定留存)", "3 years after delivery (legal record-keeping for express services)")


def _finished(state: str) -> dict:
    """What the retention rules of finished orders share: time runs from reaching `state`, then the order is counted
    into anonymous statistics and deleted with its parts, its subjects' keys shredded."""
    return {
        "clock": "status_at", "shreds": "subject_id", "anonymise": "jidi.shipping.statistics:count_finished",
        # The state inline, not a parameter: only then can PostgreSQL prove the partial index ix_orders_retention
        # applies (also in a generic plan of a prepared statement) and walk it in status_at order.
        "where": lambda cutoff: Order.status == literal(state, literal_execute=True),
    }


ORDER_PURPOSES = {P.DELIVERY, P.CUSTOMER_SERVICE, P.SELF_SERVICE, P.RIGHTS_REQUEST, P.NOTIFICATION}


class Merchant(Base):
    """An outside channel (a shop's system) that imports orders with its own API key."""

    __tablename__ = "merchants"
    __retention__ = Retained("merchants", "relationship ended", Action.KEEP, "商户渠道(企业信息,非个人信息),停用不删除",
                             "Merchant channels (business data, not personal): deactivated, not deleted", by="jidi.shipping")
    __nonpersonal__ = ("id", "name", "api_key_hash", "created_at", "active")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))  # a business name, not a person
    api_key_hash: Mapped[bytes] = mapped_column(unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __label__ = ("寄件订单", "Shipping orders")
    __table_args__ = (UniqueConstraint("merchant_id", "merchant_order_ref", name="uq_orders_merchant_ref"),)
    __subject__ = "subject_id"
    __retention__ = (
        Retained(f"orders_{states.DELIVERED}", "delivered", Action.ANONYMISE,
                 "签收后满运单保存期:计入匿名统计,运单、收寄双方、实名收寄记录、代取记录、路由删除,密钥销毁",
                 "When the waybill period after delivery ends: counted into anonymous statistics; the order, its parties, "
                 "real-name pickup record, proxy collection and route deleted; its keys shredded",
                 period=setting_days("retention_waybill_days"), catalog_after=("delivered",),
                 # However old, an order in flight is never touched: reported for a person to look into.
                 overdue=("orders_in_flight_past_period",
                          lambda cutoff: Order.status.not_in(states.TERMINAL) & (Order.created_at < cutoff)),
                 **_finished(states.DELIVERED)),
        Retained(f"orders_{states.RETURNED}", "returned to the sender", Action.ANONYMISE, "退回寄件人后满运单保存期:同上",
                 "When the waybill period after the return ends: as for delivered orders",
                 period=setting_days("retention_waybill_days"), **_finished(states.RETURNED)),
        Retained(f"orders_{states.CANCELLED}", "cancelled", Action.ANONYMISE, "取消后满保存期(未揽收,无实名收寄记录):同上",
                 "When the period after cancellation ends (never picked up): as for delivered orders",
                 period=setting_days("retention_cancelled_days"), **_finished(states.CANCELLED)),
    )
    __nonpersonal__ = (
        "id", "waybill_no", "owner_id", "subject_id", "merchant_id", "merchant_order_ref", "status", "exception",
        "service_type", "payment_mode", "paid_at", "item_category", "quantity", "weight_g", "declared_value_fen",
        "price_fen", "origin_region", "dest_region", "pickup_from", "pickup_until", "delivered_as", "created_at",
        "updated_at", "status_at", "insurance_fen", "sender_entry_id", "recipient_entry_id",
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    waybill_no: Mapped[str] = mapped_column(String(24), unique=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True, nullable=True)
    # The order's own subject: the item description is the sender's data about their shipment.
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    merchant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("merchants.id"), nullable=True)
    merchant_order_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    exception: Mapped[str | None] = mapped_column(String(24), nullable=True)
    service_type: Mapped[str] = mapped_column(String(16))
    payment_mode: Mapped[str] = mapped_column(String(16))
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    item_category: Mapped[str] = mapped_column(String(24))
    item_name = personal(
        "寄件物品名称", "Item description", Category.PROFILE, purposes=ORDER_PURPOSES, basis=LegalBasis.CONTRACT,
        retention=RETAIN_WAYBILL, mask=Mask.HANDLE,
    )
    quantity: Mapped[int] = mapped_column(Integer)
    weight_g: Mapped[int] = mapped_column(Integer)
    declared_value_fen: Mapped[int] = mapped_column(Integer)
    price_fen: Mapped[int] = mapped_column(Integer)  # everything charged: the freight plus insurance_fen
    insurance_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the premium, 0: not insured
    # The address-book entries the order was filled from (ids only, no link: an entry may be deleted since), so that
    # "ship again" selects them again without putting anything personal in a URL.
    sender_entry_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    recipient_entry_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    origin_region: Mapped[str] = mapped_column(String(6))
    dest_region: Mapped[str] = mapped_column(String(6))
    pickup_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pickup_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_as: Mapped[str | None] = mapped_column(String(16), nullable=True)  # recipient | agent | locker | station
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderParty(Base):
    """The sender or the recipient of an order, as written on the waybill."""

    __tablename__ = "order_parties"
    __label__ = ("运单上的寄件人/收件人", "Senders and recipients on waybills")
    __table_args__ = (UniqueConstraint("order_id", "role", name="uq_order_parties_role"),)
    __retention__ = PartOf("orders", {"order_id": "id"}, shreds="subject_id")
    __nonpersonal__ = ("id", "order_id", "role", "subject_id", "region_code")
    # The account that placed the order wrote both parties' details: it may open them (privacy.open for self-service,
    # audited as held by the account holder). Read from the order (not stored: no second link to the account to cut
    # at erasure), and only by a query that asks for it (undefer): other reads pay nothing and open to no one else.
    # Unlike an address book's `__holder__`, a recipient still finds the row in their data as a record naming them.
    __written_by__ = "written_by"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # sender | recipient
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name = personal("姓名", "Name", Category.IDENTITY, purposes=ORDER_PURPOSES, basis=LegalBasis.CONTRACT,
                    retention=RETAIN_WAYBILL, mask=Mask.NAME)
    phone = personal("联系电话", "Phone", Category.CONTACT, purposes=ORDER_PURPOSES | {P.LOGIN}, basis=LegalBasis.CONTRACT,
                     retention=RETAIN_WAYBILL, mask=Mask.PHONE, blind_index="phone")
    phone_bidx = blind_index("phone")
    region_code: Mapped[str] = mapped_column(String(6))
    address = personal("详细地址", "Street address", Category.ADDRESS, purposes=ORDER_PURPOSES, basis=LegalBasis.CONTRACT,
                       retention=RETAIN_WAYBILL, mask=Mask.HIDDEN)
    written_by: Mapped[uuid.UUID | None] = column_property(
        select(Order.owner_id).where(Order.id == order_id).correlate_except(Order).scalar_subquery(), deferred=True)


class VerifiedIdentity(Base):
    """An account's real-name identity, verified once at a pickup and reused for the next ones (JD-1.1.2(6)b)."""

    __tablename__ = "verified_identities"
    __label__ = ("实名认证信息", "Verified identity")
    __erase__ = "delete"
    __subject__ = "user_id"
    __retention__ = PartOf("users", {"user_id": "id"})
    __nonpersonal__ = ("id", "user_id", "id_type", "verified_at", "verified_by")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    id_type: Mapped[str] = mapped_column(String(24))
    id_number = personal("证件号码", "ID number", Category.IDENTITY, purposes={P.DELIVERY, P.RIGHTS_REQUEST},
                         basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_ACCOUNT, mask=Mask.ID_NUMBER, sensitive=True)
    real_name = personal("真实姓名", "Legal name", Category.IDENTITY, purposes={P.DELIVERY, P.RIGHTS_REQUEST},
                         basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_ACCOUNT, mask=Mask.NAME, sensitive=True)
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_by: Mapped[uuid.UUID] = mapped_column()  # the courier's user id


class PickupRecord(Base):
    """The real-name pickup record of one parcel (快递暂行条例 art. 22): who sent it, checked by which courier."""

    __tablename__ = "pickup_records"
    __label__ = ("实名收寄记录", "Real-name pickup records")
    __legal_hold__ = LegalHold(
        "《快递暂行条例》第二十二条及《邮件快件实名收寄管理办法》:实名收寄信息须依法留存", "Real-name pickup records must be kept"
        " by law (Interim Regulations on Express Delivery art. 22; Measures on Real-Name Mailing)", "picked_up_at", RETAIN_WAYBILL.days,
    )
    __retention__ = PartOf("orders", {"order_id": "id"}, shreds="subject_id")
    __nonpersonal__ = ("id", "order_id", "subject_id", "id_type", "courier_id", "reused_identity", "picked_up_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    id_type: Mapped[str] = mapped_column(String(24))
    id_number = personal("寄件人证件号码(实名收寄)", "Sender's ID number (real-name pickup)", Category.IDENTITY,
                         purposes={P.RIGHTS_REQUEST}, basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_WAYBILL,
                         mask=Mask.ID_NUMBER, sensitive=True, blind_index="id_number")
    id_number_bidx = blind_index("id_number")
    real_name = personal("寄件人真实姓名(实名收寄)", "Sender's legal name (real-name pickup)", Category.IDENTITY,
                         purposes={P.RIGHTS_REQUEST}, basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_WAYBILL,
                         mask=Mask.NAME, sensitive=True)
    courier_id: Mapped[uuid.UUID] = mapped_column()
    reused_identity: Mapped[bool] = mapped_column(default=False)
    picked_up_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# The retention sweep finds finished orders by it; partial, so it holds only orders in a terminal state and an
# in-flight order's status updates never touch it.
_TERMINAL_SQL = text("status IN (" + ", ".join(f"'{s}'" for s in states.TERMINAL) + ")")
Index("ix_orders_retention", Order.status, Order.status_at, postgresql_where=_TERMINAL_SQL, sqlite_where=_TERMINAL_SQL)


# What retention keeps of an order after the personal data is gone (counted in by jidi.shipping.statistics): a row
# counts the parcels that reached one terminal state on one China day between two cities (GB/T 2260 PPCC00), by
# service type, with their total weight; nothing in it names, points at or can be joined back to an order or a person.
class DeliveryStatistic(Base):
    """Parcels per day, city pair, service type and terminal state: anonymous (JD-2.1.8, JD-2.1.9, CN-4.3)."""

    __tablename__ = "delivery_statistics"
    __datamap__ = False  # anonymous: not data about anyone
    __nonpersonal__ = ("day", "origin_city", "dest_city", "service_type", "terminal_state", "parcels", "weight_g")
    __retention__ = Retained("delivery_statistics", "counted", Action.KEEP, "匿名统计,不含个人信息",
                             "Anonymous statistics, no personal data")

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # the day (China time) the parcel reached its state
    origin_city: Mapped[str] = mapped_column(String(6), primary_key=True)  # GB/T 2260, city level: PPCC00
    dest_city: Mapped[str] = mapped_column(String(6), primary_key=True)
    service_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    terminal_state: Mapped[str] = mapped_column(String(24), primary_key=True)  # delivered | returned | cancelled
    parcels: Mapped[int] = mapped_column(Integer)
    weight_g: Mapped[int] = mapped_column(BigInteger)  # total weight of those parcels

