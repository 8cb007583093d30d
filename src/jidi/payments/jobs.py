"""Payments' jobs: hand refunds and pay-later charges to their provider right after the commit that made them, and
every minute query the payments that never called back (closing those that expired) and resend what was missed."""
from __future__ import annotations

from huey import crontab
from huey.api import Huey


def register(queue: Huey, container) -> dict:
    @queue.task(name="payments_send")
    def payments_send(serials: list[str]) -> int:
        return container.payments.send(serials)

    @queue.periodic_task(crontab(minute="*"), name="payments_sweep")
    @queue.lock_task("payments_sweep")
    def payments_sweep() -> dict:
        return container.payments.sweep()

    return {"payments_send": payments_send, "payments_sweep": payments_sweep}
