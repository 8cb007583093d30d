"""The retention sweep, nightly."""
from __future__ import annotations

from huey import crontab
from huey.api import Huey


def register(queue: Huey, container) -> dict:
    # Nightly at 03:30 China time (19:30 UTC; Huey's crontab runs in UTC). The lock keeps two consumers' schedulers
    # from running it side by side (a second run would only find less to do).
    @queue.periodic_task(crontab(minute="30", hour="19"), name="retention_sweep")
    @queue.lock_task("retention_sweep")
    def retention_sweep() -> dict:
        return container.retention.run().as_dict()

    return {"retention_sweep": retention_sweep}
