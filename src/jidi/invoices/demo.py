"""The demo customer's invoice: an ordinary e-invoice for one of their paid parcels (its link is in /dev/outbox)."""
from __future__ import annotations

import uuid

from jidi.invoices.service import InvoiceIn

DEMO_TITLE, DEMO_TAX_ID, DEMO_MOBILE = "北京示例科技有限公司", "91110000600037341L", "13800138000"


def load(c, customer_id: uuid.UUID) -> list[str]:
    base = c.settings.base_url.rstrip("/")
    if not c.invoices.mine(customer_id):
        invoiced = c.invoices.invoiced(customer_id)
        paid = [o for o in c.shipping.my_orders(customer_id) if o.paid and not o.refunded_fen and o.mine_as == "sender"
                and o.payment_mode != "recipient_pays" and o.waybill_no not in invoiced]
        if paid:
            c.invoices.request(customer_id, InvoiceIn(paid[-1].waybill_no, title=DEMO_TITLE, taxpayer_id=DEMO_TAX_ID, mobile=DEMO_MOBILE),
                               "zh_CN")
    return [f"invoices   {base}/invoices (customer): an e-invoice, its SMS link in {base}/dev/outbox"]
