"""What the ship page tells before an order is placed: the insurance premium and what it covers, the pickup slots a
courier can still take, and the day a parcel should arrive. Pure functions of the tariff, the clock and counts the
service reads; China time throughout.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from jidi.i18n import CHINA, N_

# Insurance (保价): the declared value is covered against loss and damage in transit, for a premium of 0.5% of it,
# at least ¥1. Not insured: the compensation is capped as the postal rules cap it (three times the freight).
INSURANCE_RATE_PER_MILLE = 5
INSURANCE_MIN_FEN = 100
UNINSURED_CAP_TIMES_FREIGHT = 3
INSURANCE_COVERS = (
    N_("Loss of the parcel, or damage to it, while it is in our hands: compensated up to the declared value."),
    N_("Partial loss or damage: compensated in proportion to the part lost or damaged."),
)
INSURANCE_EXCLUDES = (
    N_("Items that are prohibited, or that the declared category does not describe."),
    N_("Damage caused by the item's own nature or by packing that was not adequate."),
    N_("Delays: a late parcel is not a lost one."),
)

# Pickup slots: two hours each, today and the next two days, China time. A slot is offered until it starts (a courier
# needs the time to get there: not within 30 minutes of its start) and while fewer than SLOT_CAPACITY parcels of its
# district are booked into it.
SLOT_STARTS = (9, 11, 13, 15, 17)
SLOT_HOURS = 2
SLOT_DAYS = 3
SLOT_LEAD = dt.timedelta(minutes=30)
SLOT_CAPACITY = 20

# Days from pickup to delivery by zone (standard service; express is a day faster, never under one day).
TRANSIT_DAYS = {"same_city": 1, "same_province": 2, "same_region": 3, "national": 4}


def insurance_fen(declared_value_fen: int, insured: bool) -> int:
    """The premium for insuring a declared value (0 when not insured or nothing is declared)."""
    if not insured or declared_value_fen <= 0:
        return 0
    return max(INSURANCE_MIN_FEN, -(-declared_value_fen * INSURANCE_RATE_PER_MILLE // 1000))


@dataclasses.dataclass(frozen=True)
class Slot:
    key: str  # "YYYYMMDDHH", China time: what the form sends (nothing personal)
    start: dt.datetime  # aware, China time
    end: dt.datetime

    @property
    def day(self) -> dt.date:
        return self.start.date()


def slot_from_key(key: str) -> Slot | None:
    """The slot a form names, or None for anything that is not one of the slot grid's keys."""
    if len(key) != 10 or not key.isdigit():
        return None
    try:
        start = dt.datetime.strptime(key, "%Y%m%d%H").replace(tzinfo=CHINA)
    except ValueError:
        return None
    if start.hour not in SLOT_STARTS:
        return None
    return Slot(key, start, start + dt.timedelta(hours=SLOT_HOURS))


def candidate_slots(now: dt.datetime) -> list[Slot]:
    """Every slot of today and the next days that has not started yet (less the lead time), before capacity."""
    today = now.astimezone(CHINA).date()
    out = []
    for offset in range(SLOT_DAYS):
        day = today + dt.timedelta(days=offset)
        for hour in SLOT_STARTS:
            start = dt.datetime(day.year, day.month, day.day, hour, tzinfo=CHINA)
            if start - SLOT_LEAD > now:
                out.append(Slot(start.strftime("%Y%m%d%H"), start, start + dt.timedelta(hours=SLOT_HOURS)))
    return out


def transit_days(zone: str, service_type: str) -> int:
    days = TRANSIT_DAYS.get(zone, max(TRANSIT_DAYS.values()))
    return max(1, days - 1) if service_type == "express" else days


def estimated_delivery(zone: str, service_type: str, leaves: dt.datetime) -> dt.date:
    """The day in China a parcel leaving at `leaves` (its pickup, booked or done) should be delivered."""
    return leaves.astimezone(CHINA).date() + dt.timedelta(days=transit_days(zone, service_type))
