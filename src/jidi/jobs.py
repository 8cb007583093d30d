"""Background work through Huey: SQLite storage on the embedded default, Redis when scaled out.

Jobs carry ids, never personal values (a `Personal` refuses to be pickled), and are queued only after the
transaction that asked for them commits (`jidi.db.after_commit`). Work one feature asks of another goes through
events (jidi.events), which survive a queue outage; the queue only runs their relay.
"""
from __future__ import annotations

import threading
import types
from pathlib import Path

from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import Consumer

from jidi.features import registered
from jidi.kit.feature import resolve


def make_queue(queue_url: str, var_dir: Path) -> Huey:
    if queue_url == "immediate":
        return MemoryHuey("jidi", immediate=True)
    if queue_url == "sqlite":
        var_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("jidi", filename=str(var_dir / "queue.db"))
    if queue_url.startswith("sqlite:///"):
        return SqliteHuey("jidi", filename=queue_url.removeprefix("sqlite:///"))
    if queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("jidi", url=queue_url)
    raise ValueError("JIDI_QUEUE_URL must be 'sqlite', 'sqlite:///path', 'redis://…' or 'immediate'")


def register_tasks(queue: Huey, container) -> types.SimpleNamespace:
    """Every job: the platform's own, then each feature's (its declaration's `jobs`), bound to the container."""
    # Events (jidi.events): relayed right after the commit that recorded them, and every minute whatever is left.
    @queue.task(name="relay_events")
    def relay_events(event_ids: list[str]) -> int:
        return container.events.relay(event_ids)

    @queue.periodic_task(crontab(minute="*"), name="relay_pending_events")
    @queue.lock_task("relay_pending_events")
    def relay_pending_events() -> int:
        return container.events.relay()

    @queue.task(name="rewrap_subject_keys")
    def rewrap_subject_keys(batch: int = 500) -> int:
        from jidi.privacy.rotation import rewrap_all  # noqa: PLC0415  (privacy core owns key handling)

        return rewrap_all(container, batch)

    # The audit chain: records written since the last run are sealed and a signed checkpoint is kept in the ledger.
    @queue.periodic_task(crontab(minute="*"), name="seal_audit_log")
    @queue.lock_task("seal_audit_log")
    def seal_audit_log() -> int:
        return container.audit.seal(container.uow)

    tasks = {"relay_events": relay_events, "relay_pending_events": relay_pending_events,
             "rewrap_subject_keys": rewrap_subject_keys, "seal_audit_log": seal_audit_log}
    for feature in registered():
        if feature.jobs:
            tasks.update(resolve(feature.jobs)(queue, container))
    return types.SimpleNamespace(**tasks)


class _QuietConsumer(Consumer):
    # The web server owns the process's signals; an embedded consumer must not take them over.
    def _set_signal_handlers(self) -> None:
        return None


class EmbeddedWorker:
    """A consumer running in threads inside the web process: the embedded default's worker."""

    def __init__(self, queue: Huey, workers: int = 2):
        self.consumer = _QuietConsumer(queue, workers=workers, worker_type="thread", periodic=True, initial_delay=0.05, max_delay=1.0)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.consumer.start()

    def stop(self) -> None:
        self.consumer.stop(graceful=True)


def run_worker(queue: Huey, workers: int = 2) -> None:
    """`jidi worker`: a standalone consumer for production (any number of machines against one Redis)."""
    queue.create_consumer(workers=workers, worker_type="thread").run()
