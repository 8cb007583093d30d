"""What retention keeps after the personal data is gone: anonymous delivery statistics.

A row counts the parcels that reached one terminal state on one day (China time) between two cities, by service
type, with their total weight. Regions are cut to the city (GB/T 2260: the first four digits + "00"); nothing in
a row names, points at or can be joined back to an order, a waybill or a person.

Finished orders are counted in by the shipping feature's hook (`jidi.shipping.statistics`).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base
from jidi.privacy import Action, Retained


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

