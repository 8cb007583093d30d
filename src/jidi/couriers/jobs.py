"""The dispatcher's periodic run: tasks for orders that have none yet (orders placed with pay-later wait for pickup
from the start, with no status change to react to)."""
from __future__ import annotations

from huey import crontab
from huey.api import Huey


def register(queue: Huey, container) -> dict:
    @queue.periodic_task(crontab(minute="*"), name="couriers_dispatch")
    @queue.lock_task("couriers_dispatch")
    def couriers_dispatch() -> int:
        return container.couriers.dispatch()

    return {"couriers_dispatch": couriers_dispatch}
