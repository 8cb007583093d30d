"""Background work through Huey: SQLite storage on the embedded default, Redis when scaled out.

Jobs carry ids, never personal values (a `Personal` refuses to be pickled), and are queued only after the
transaction that asked for them commits (`jidi.db.after_commit`).
"""
from __future__ import annotations

import threading
import types
import uuid
from pathlib import Path

from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import Consumer


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
    """Every job of every feature, bound to the container that runs it."""

    @queue.task(retries=5, retry_delay=10, name="deliver_sms")
    def deliver_sms(message_id: str) -> None:
        container.notifier.deliver(message_id)

    @queue.task(name="rewrap_subject_keys")
    def rewrap_subject_keys(batch: int = 500) -> int:
        from jidi.privacy.rotation import rewrap_all  # noqa: PLC0415  (privacy core owns key handling)

        return rewrap_all(container, batch)

    @queue.task(retries=5, retry_delay=30, name="build_export")
    def build_export(request_id: str) -> None:
        container.rights.build_export(uuid.UUID(request_id))

    # A deletion either completes in one transaction or is retried until it does.
    @queue.task(retries=10, retry_delay=60, name="erase_for_request")
    def erase_for_request(request_id: str) -> None:
        container.rights.erase_for_request(uuid.UUID(request_id))

    # Deletion notices to the recipients of erased subjects' data; retried until each recipient has taken them.
    @queue.task(retries=10, retry_delay=60, name="send_share_deletion_notices")
    @queue.lock_task("send_share_deletion_notices")
    def send_share_deletion_notices() -> int:
        return container.shares.send_deletion_notices(container.uow, container.clock())

    @queue.periodic_task(crontab(minute="*/15"), name="rights_housekeeping")
    def rights_housekeeping() -> None:
        container.rights.purge_due_cancellations()
        container.rights.purge_expired_exports()
        container.shares.send_deletion_notices(container.uow, container.clock())  # any a failed job left behind

    # The audit chain: records written since the last run are sealed and a signed checkpoint is kept in the ledger.
    @queue.periodic_task(crontab(minute="*"), name="seal_audit_log")
    @queue.lock_task("seal_audit_log")
    def seal_audit_log() -> int:
        return container.audit.seal(container.uow)

    # Retention (jidi.retention): nightly at 03:30 China time (19:30 UTC; Huey's crontab runs in UTC). The lock
    # keeps two consumers' schedulers from running it side by side (a second run would only find less to do).
    @queue.periodic_task(crontab(minute="30", hour="19"), name="retention_sweep")
    @queue.lock_task("retention_sweep")
    def retention_sweep() -> dict:
        return container.retention.run().as_dict()

    return types.SimpleNamespace(deliver_sms=deliver_sms, rewrap_subject_keys=rewrap_subject_keys, build_export=build_export,
                                 erase_for_request=erase_for_request, send_share_deletion_notices=send_share_deletion_notices,
                                 rights_housekeeping=rights_housekeeping, seal_audit_log=seal_audit_log,
                                 retention_sweep=retention_sweep)


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
