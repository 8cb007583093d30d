"""The privacy centre's periodic work: cancelled accounts erased when their grace period ends, expired copies removed."""
from __future__ import annotations

from huey import crontab
from huey.api import Huey


def register(queue: Huey, container) -> dict:
    @queue.periodic_task(crontab(minute="*/15"), name="rights_housekeeping")
    def rights_housekeeping() -> None:
        container.rights.purge_due_cancellations()
        container.rights.purge_expired_exports()

    return {"rights_housekeeping": rights_housekeeping}
