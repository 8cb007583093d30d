"""Quotes from a configurable tariff: zones by province, a first-weight price and a price per additional kilogram.

The default tariff ships as tariff.json beside this file; an operator may point JIDI_TARIFF_FILE at another.
Prices are in fen (1/100 yuan); weight rounds up to the next whole kilogram, as couriers charge.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import math
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("tariff.json")


@dataclasses.dataclass(frozen=True)
class Quote:
    zone: str
    chargeable_kg: int
    price_fen: int


@dataclasses.dataclass(frozen=True)
class Tariff:
    groups: dict[str, str]  # 2-digit province code -> group name
    zones: dict[str, dict[str, int]]  # zone -> {"first_fen", "additional_fen"}
    service_factor: dict[str, float]
    prohibited: frozenset[str]
    categories: tuple[str, ...]
    # Kept from a paid order's refund when its sender cancels it before pickup (jidi.payments); 0: refunded in full.
    cancellation_fee_fen: int = 0

    def zone(self, origin: str, dest: str) -> str:
        if origin[:4] == dest[:4]:
            return "same_city"
        if origin[:2] == dest[:2]:
            return "same_province"
        if self.groups.get(origin[:2]) == self.groups.get(dest[:2]):
            return "same_region"
        return "national"

    def quote(self, origin: str, dest: str, weight_g: int, service_type: str) -> Quote:
        zone = self.zone(origin, dest)
        kg = max(1, math.ceil(weight_g / 1000))
        prices = self.zones[zone]
        base = prices["first_fen"] + (kg - 1) * prices["additional_fen"]
        return Quote(zone, kg, int(round(base * self.service_factor[service_type])))


@functools.cache
def load(path: str | None = None) -> Tariff:
    data = json.loads(Path(path or DEFAULT_FILE).read_text(encoding="utf-8"))
    groups = {code: group for group, codes in data["region_groups"].items() for code in codes}
    return Tariff(groups, data["zones"], data["service_factor"], frozenset(data["prohibited_categories"]),
                  tuple(data["item_categories"]), int(data.get("cancellation_fee_fen", 0)))
