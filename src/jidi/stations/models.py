"""Service stations (驿站) and smart parcel lockers (智能快件箱): places with operators, the recipients' consent to have
parcels left there, and the parcels held there until collected or returned.

A point is business data (its operator's shop or locker, its public address and position), nothing personal. A
customer's standing choice and a per-parcel choice are about that customer: they go with the account or the order.
A held parcel keeps no code: its pickup code is derived from the server's key and the row's salt each time it is needed
(sent, reminded, checked), so neither the database nor a backup holds one.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import Action, PartOf, Retained

HELD, COLLECTED, RETURNED = "held", "collected", "returned"


class ServicePoint(Base):
    """A service station or a parcel locker, run by an operator (a partner shop, a property company, a locker firm)."""

    __tablename__ = "service_points"
    __retention__ = Retained("service_points", "relationship ended", Action.KEEP, "服务站点和快递柜(企业信息,非个人信息),停用不删除",
                             "Service stations and parcel lockers (business data, not personal): deactivated, not deleted",
                             by="jidi.stations")
    __nonpersonal__ = ("id", "code", "kind", "name", "operator_name", "region_code", "address", "latitude", "longitude",
                       "hours", "holding_days", "source_id", "active", "created_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(24), unique=True)  # the site code on route events
    kind: Mapped[str] = mapped_column(String(10))  # station | locker
    name: Mapped[str] = mapped_column(String(60))  # e.g. 张江路菜鸟驿站, 丰巢快递柜(张江路88弄)
    operator_name: Mapped[str] = mapped_column(String(60))  # the business that runs it
    region_code: Mapped[str] = mapped_column(String(6))
    address: Mapped[str] = mapped_column(String(120))  # a shop's or locker's public address
    latitude: Mapped[float] = mapped_column(Float)  # GCJ-02, as Chinese maps use
    longitude: Mapped[float] = mapped_column(Float)
    hours: Mapped[str] = mapped_column(String(60))
    holding_days: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[uuid.UUID] = mapped_column()  # its tracking source: its route events and its device's API key
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StandingChoice(Base):
    """A customer's standing consent to have parcels addressed to their number left in a locker or station."""

    __tablename__ = "delivery_standing_choices"
    __label__ = ("代收点投递授权(常用设置)", "Consent to delivery into lockers and stations (standing)")
    __erase__ = "delete"
    __retention__ = PartOf("users", {"user_id": "id"})
    __nonpersonal__ = ("user_id", "allow_locker", "allow_station", "point_id", "updated_at")

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    allow_locker: Mapped[bool] = mapped_column(default=False)
    allow_station: Mapped[bool] = mapped_column(default=False)
    point_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_points.id"), nullable=True)  # only this one
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ParcelChoice(Base):
    """The recipient's choice for one parcel: to the door, or into a locker or station (optionally a given one)."""

    __tablename__ = "delivery_parcel_choices"
    __label__ = ("代收点投递授权(单个包裹)", "Consent to delivery into a locker or station (one parcel)")
    __erase__ = "delete"
    __retention__ = PartOf("orders", {"order_id": "id"})
    __nonpersonal__ = ("order_id", "choice", "point_id", "chosen_by", "chosen_at")

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    choice: Mapped[str] = mapped_column(String(10))  # door | locker | station
    point_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_points.id"), nullable=True)
    chosen_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    chosen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class HeldParcel(Base):
    """A parcel left at a point: until collected with its pickup code, or returned after the holding period."""

    __tablename__ = "held_parcels"
    __label__ = ("代收点存放记录", "Parcels held at lockers and stations")
    __erase__ = "delete"
    __retention__ = PartOf("orders", {"order_id": "id"})
    __nonpersonal__ = ("id", "order_id", "waybill_no", "point_id", "code_salt", "status", "held_at", "due_at", "reminders",
                       "last_reminded_at", "collected_at", "returned_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    waybill_no: Mapped[str] = mapped_column(String(24), unique=True)
    point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("service_points.id"), index=True)
    code_salt: Mapped[str] = mapped_column(String(32))  # with the server's key, gives the pickup code (never stored)
    status: Mapped[str] = mapped_column(String(10))  # held | collected | returned
    held_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # the end of the holding period
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    last_reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    collected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


Index("ix_held_parcels_point_status", HeldParcel.point_id, HeldParcel.status)
Index("ix_held_parcels_status_due", HeldParcel.status, HeldParcel.due_at)
