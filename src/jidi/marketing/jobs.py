"""Marketing's jobs: a campaign's batches (queued after the campaign's transaction commits) and, every five minutes,
the deliveries held back by quiet hours or a gateway failure whose time has come."""
from __future__ import annotations

from huey import crontab
from huey.api import Huey


def register(queue: Huey, container) -> dict:
    @queue.task(name="marketing_send_batch", retries=3, retry_delay=60)
    def marketing_send_batch(campaign_id: str, batch: int) -> None:
        container.marketing.send_batch(campaign_id, batch)

    @queue.periodic_task(crontab(minute="*/5"), name="marketing_send_due")
    @queue.lock_task("marketing_send_due")
    def marketing_send_due() -> int:
        return container.marketing.send_due()

    return {"marketing_send_batch": marketing_send_batch, "marketing_send_due": marketing_send_due}
