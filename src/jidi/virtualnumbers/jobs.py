"""Every minute: release the virtual-number bindings whose time has come (no binding outlives its task)."""
from __future__ import annotations

from huey import crontab
from huey.api import Huey


def register(queue: Huey, container) -> dict:
    @queue.periodic_task(crontab(minute="*"), name="unbind_virtual_numbers")
    @queue.lock_task("unbind_virtual_numbers")
    def unbind_virtual_numbers() -> int:
        return container.virtual_numbers.unbind_due()

    return {"unbind_virtual_numbers": unbind_virtual_numbers}
