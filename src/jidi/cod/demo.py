"""The demo customer's cash on delivery: a bound payout account (consent recorded as given in the demo) and one of their
parcels awaiting pickup collecting ¥128.00, so /cod shows an account and a statement."""
from __future__ import annotations

import uuid

from jidi.cod.service import BEFORE_PICKUP, CONSENT, AccountIn

DEMO_ACCOUNT = AccountIn("王小明", "personal", "6222021234567890128", "110105", "招商银行北京望京支行")


def load(c, customer_id: uuid.UUID) -> list[str]:
    if c.cod.account(customer_id) is None:
        with c.uow() as s:
            if not c.consents.is_live(s, customer_id, CONSENT):
                c.consents.record_grant(s, customer_id, CONSENT, c.cod.consent_notice("zh_CN"), how="demo", how_ref="jidi demo")
        c.cod.bind(customer_id, DEMO_ACCOUNT)
    if not c.cod.statement(customer_id).orders:
        waiting = [o for o in c.shipping.my_orders(customer_id) if o.mine_as == "sender" and o.status in BEFORE_PICKUP]
        if waiting:
            c.cod.attach(customer_id, waiting[0].waybill_no, 12800)
    return [f"cod        {c.settings.base_url.rstrip('/')}/cod (customer): payout account, statement"]
