"""Webhook sending: right after the commit that queued a delivery, and every minute whatever is due (retries)."""
from __future__ import annotations

from huey import crontab
from huey.api import Huey


def register(queue: Huey, container) -> dict:
    @queue.task(name="send_webhooks")
    def send_webhooks(delivery_ids: list[str]) -> int:
        return container.webhooks.send(delivery_ids)

    @queue.periodic_task(crontab(minute="*"), name="send_due_webhooks")
    @queue.lock_task("send_due_webhooks")
    def send_due_webhooks() -> int:
        return container.webhooks.send()

    return {"send_webhooks": send_webhooks, "send_due_webhooks": send_due_webhooks}
