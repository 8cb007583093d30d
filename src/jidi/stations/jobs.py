"""Hourly: reminders for parcels waiting at lockers and stations, and the return of those not collected in time."""
from __future__ import annotations

from huey import crontab
from huey.api import Huey


def register(queue: Huey, container) -> dict:
    @queue.periodic_task(crontab(minute="7"), name="pickup_reminders")
    @queue.lock_task("pickup_reminders")
    def pickup_reminders() -> int:
        return container.stations.remind_due()

    @queue.periodic_task(crontab(minute="17"), name="return_uncollected")
    @queue.lock_task("return_uncollected")
    def return_uncollected() -> int:
        return container.stations.return_due()

    return {"pickup_reminders": pickup_reminders, "return_uncollected": return_uncollected}
