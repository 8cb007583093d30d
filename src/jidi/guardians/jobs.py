"""Minors' accounts still waiting for a guardian's consent past the period are erased (JD-7.2, ZK-6.3)."""
from __future__ import annotations

from huey import crontab
from huey.api import Huey


def register(queue: Huey, container) -> dict:
    @queue.periodic_task(crontab(minute="7"), name="guardians_erase_unconsented")
    def guardians_erase_unconsented() -> None:
        container.guardians.erase_unconsented()

    return {"guardians_erase_unconsented": guardians_erase_unconsented}
