"""The demo customer's parcel awaiting pickup has a courier task with a virtual number, so that `make run` shows the
courier's virtual number on its order page. (Until the couriers feature provides the courier directory, the demo's
courier has a made-up work number of its own, known to the simulator only.)"""
from __future__ import annotations

import datetime as dt
import uuid

from jidi.shipping import states

DEMO_COURIER_WORK_PHONE = "17099990001"  # made up: not anybody's number


class _DemoDirectory:
    def phone_for_carrier(self, session, courier_id: uuid.UUID, *, reference: str, now: dt.datetime) -> str | None:
        return DEMO_COURIER_WORK_PHONE


def load(c, customer_id: uuid.UUID) -> list[str] | None:
    order = next((o for o in c.shipping.my_orders(customer_id) if o.status == states.AWAITING_PICKUP), None)
    if order is None:
        return None
    courier_id = c.accounts.user_id_for_login("courier") or uuid.uuid5(uuid.NAMESPACE_URL, "jidi-demo-courier")
    task_id = uuid.uuid5(uuid.NAMESPACE_URL, f"jidi-demo-pickup-task/{order.waybill_no}")
    with c.uow() as s:
        facts = c.shipping.parcel_facts(s, [order.waybill_no])[order.waybill_no]
        directory = getattr(c, "courier_directory", None) or _DemoDirectory()
        c.virtual_numbers.bind_for_task(s, task_id, facts.id, courier_id, directory)
    base = c.settings.base_url.rstrip("/")
    return [f"virtual numbers  the courier's virtual number on {base}/orders/{order.waybill_no} (customer)"]
