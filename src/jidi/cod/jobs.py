"""Cash on delivery's jobs: the daily payout (02:05 China time: 18:05 UTC, the queue's clock) and the reconciliation,
every hour and right after the payout."""
from __future__ import annotations

from huey import crontab
from huey.api import Huey


def register(queue: Huey, container) -> dict:
    @queue.periodic_task(crontab(minute="5", hour="18"), name="cod_daily_payouts")
    @queue.lock_task("cod_daily_payouts")
    def cod_daily_payouts() -> int:
        sent = container.cod.settle()
        container.cod.reconcile()
        return sent

    @queue.periodic_task(crontab(minute="41"), name="cod_reconcile")
    @queue.lock_task("cod_reconcile")
    def cod_reconcile() -> int:
        return container.cod.reconcile().gap_fen

    return {"cod_daily_payouts": cod_daily_payouts, "cod_reconcile": cod_reconcile}
