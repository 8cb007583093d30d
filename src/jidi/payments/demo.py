"""The demo customer's payments: Pay Score authorised for ship now, pay later (through the simulator, as a person
would), so a pay-later parcel delivered from now on is charged after delivery; parcels delivered before it are
listed under "To pay" at /payments."""
from __future__ import annotations

import uuid


def load(c, customer_id: uuid.UUID) -> list[str]:
    state = c.payments.pay_later_state(customer_id)
    if state is None or state.state != "AVAILABLE":
        code = c.payments.begin_pay_later(customer_id).rsplit("/", 1)[1]
        c.payments.sims["wechat"].authorise(code, "grant")
        c.payments.check_pay_later(customer_id)
    base = c.settings.base_url.rstrip("/")
    return [f"payments   {base}/payments (what you owe, your payments and refunds); pay an order from its page: "
            f"{base}/orders/<waybill>/payment (the payment simulator's page confirms)"]
