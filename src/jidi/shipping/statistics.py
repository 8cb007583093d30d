"""How a finished order is counted into anonymous statistics before retention deletes it: the shipping feature's
anonymisation hook, named in `Order.__retention__` and called by the retention sweep for each batch."""
from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Date, String, Table, cast, func, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from jidi.shipping.models import DeliveryStatistic

CHINA_TZ = "Asia/Shanghai"  # statistics days are China days (UTC+8 all year)


def count_finished(batch, dialect: str):
    """INSERT … SELECT the orders of `batch` (a selectable with the columns of `orders`) grouped into statistics rows:
    parcels and total weight per China day, origin and destination city, service type and terminal state. A row
    that exists is added to."""
    stats = typing.cast(Table, DeliveryStatistic.__table__)
    insert: Callable[[Table], postgresql.Insert | sqlite.Insert]
    day: ColumnElement[Any]
    if dialect == "postgresql":
        insert, day = pg_insert, cast(func.timezone(CHINA_TZ, batch.c.status_at), Date)
    else:
        insert, day = sqlite_insert, func.date(batch.c.status_at, "+8 hours")
    origin = func.substr(batch.c.origin_region, 1, 4, type_=String) + "00"  # GB/T 2260 city level: PPCC00
    dest = func.substr(batch.c.dest_region, 1, 4, type_=String) + "00"
    keys = (day, origin, dest, batch.c.service_type, batch.c.status)
    # SQLite: the SELECT of an upsert needs a WHERE clause to parse.
    grouped = select(*keys, func.count(), func.coalesce(func.sum(batch.c.weight_g), 0)).where(true()).group_by(*keys)
    ins = insert(stats).from_select(
        ["day", "origin_city", "dest_city", "service_type", "terminal_state", "parcels", "weight_g"], grouped)
    return ins.on_conflict_do_update(
        index_elements=[c.name for c in stats.primary_key.columns],
        set_={"parcels": stats.c.parcels + ins.excluded.parcels, "weight_g": stats.c.weight_g + ins.excluded.weight_g},
    )
