"""The demo customer's marketing: SMS and in-app messages turned on (the rest off), so that `make run` shows a
campaign reaching them and an opt-out by replying N at /dev/sms-reply."""
from __future__ import annotations

import uuid

from jidi.marketing.channels import Channel
from jidi.marketing.service import notice


def load(c, customer_id: uuid.UUID) -> list[str]:
    with c.uow() as s:
        for ch in (Channel.SMS, Channel.IN_APP):
            if not c.consents.is_live(s, customer_id, ch.purpose):
                c.consents.record_grant(s, customer_id, ch.purpose, notice(ch, "zh_CN"), how="demo", how_ref="jidi demo")
    base = c.settings.base_url.rstrip("/")
    return [f"marketing  {base}/settings/marketing (customer), {base}/staff/marketing (admin), "
            f"{base}/staff/marketing/opt-out (support), replies to a marketing SMS: {base}/dev/sms-reply"]
