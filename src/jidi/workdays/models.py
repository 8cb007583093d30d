"""The operator-loaded official holiday schedule (放假安排), one year at a time.

The State Council publishes each November which days of the next year are statutory holidays and which weekend
days are make-up working days (调休上班). The `chinese-calendar` library ships the years up to its release; for a
later year the operator loads the notice with `jidi holidays load FILE`. A loaded year replaces the library's
data for that year entirely (see `jidi.workdays.calendar`).

Nothing here is personal data: dates, holiday names, where the schedule came from, and when it was loaded.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, utcnow
from jidi.privacy import Action, PartOf, Retained


class CalendarYear(Base):
    """A year whose official schedule the operator has loaded; its days are in `calendar_days`."""

    __tablename__ = "calendar_years"
    __retention__ = Retained("calendar", "loaded", Action.KEEP, "法定节假日安排(非个人信息)", "The official holiday schedule (not personal)",
                             by="jidi.workdays")
    __nonpersonal__ = ("year", "source", "loaded_at")

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # Where the schedule came from, e.g. the notice's number (国办发明电〔…〕…号) or the loaded file's name.
    source: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarDay(Base):
    """One day that differs from the Monday–Friday rule: a holiday (放假) or a make-up working day (调休上班)."""

    __tablename__ = "calendar_days"
    __retention__ = PartOf("calendar_years", {"year": "year"})
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)
    __nonpersonal__ = ("day", "year", "kind", "name")

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_years.year", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # holiday | workday
    name: Mapped[str] = mapped_column(String(40), default="")  # the holiday it belongs to, e.g. 春节, 国庆节
