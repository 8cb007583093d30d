"""The demo courier ("courier", made by jidi.demo) gets a courier profile serving the demo's districts and a work mobile
number (so the demo's tasks bind virtual numbers), passes the simulated background check, and has a few tasks: the demo
parcels waiting for pickup and those on their way."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from jidi.couriers.models import Worker
from jidi.couriers.service import WorkerIn
from jidi.privacy import Actor, Role

DEMO_REGIONS = ["110108", "310115", "440106", "510107"]
DEMO_WORK_PHONE = "17612345678"  # the demo courier's work number: the demo's virtual numbers connect to it


def load(c, customer_id: uuid.UUID) -> list[str]:
    courier_id = c.accounts.user_id_for_login("courier")
    if courier_id is None:
        return []
    with c.uow() as s:
        known = s.scalar(select(Worker.id).where(Worker.user_id == courier_id)) is not None
    if not known:
        c.couriers.adopt(courier_id, WorkerIn("courier", "jidi 演示快递", "courier@example.com", "快递员", "王小明", "resident_id",
                                              "110108198805121239", DEMO_REGIONS, work_phone=DEMO_WORK_PHONE))
    c.couriers.dispatch()
    c.couriers.claim_open(Actor(courier_id, Role.COURIER))
    base = c.settings.base_url.rstrip("/")
    return [f"courier tasks  {base}/staff/tasks (courier, on a phone), {base}/staff/couriers (admin), "
            f"{base}/exclusive-courier (customer)"]
