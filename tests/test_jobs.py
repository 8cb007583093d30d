"""Background jobs: queued only after commit, carrying ids not values, on real Huey storages."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid

import pytest
import redis
from sqlalchemy import select

from jidi.db import after_commit, after_commit_batch
from jidi.events.models import EventRecord
from jidi.jobs import make_queue, register_tasks
from jidi.notify.models import SmsMessage
from tests.pii import PHONES

def _queue_sms(container, subject):
    with container.uow() as s:
        container.vault.create_subject(s, subject)
        return container.notifier.queue_sms(s, subject_id=subject, phone=PHONES[3], template="login_code", locale="zh_CN", code="123456")


def test_a_job_is_queued_only_after_its_transaction_commits(container, sms):
    subject = uuid.uuid4()
    with pytest.raises(RuntimeError):
        with container.uow() as s:
            container.vault.create_subject(s, subject)
            container.notifier.queue_sms(s, subject_id=subject, phone=PHONES[3], template="login_code", locale="zh_CN", code="123456")
            assert sms.sent == []  # not even queued yet inside the transaction
            raise RuntimeError("roll back")
    assert sms.sent == []
    with container.uow() as s:
        assert s.scalars(select(SmsMessage)).all() == []
    _queue_sms(container, subject)
    assert sms.sent == [(PHONES[3], sms.sent[0][1])] and "123456" in sms.sent[0][1]


def _event_of(container, message_id) -> str:
    with container.uow() as s:
        return str(s.scalar(select(EventRecord.id).where(EventRecord.payload.contains(str(message_id)))))


@pytest.fixture
def queue_url(storage):
    """The queue's storage; Redis: a redis-server of this test's own, whose jobs are nobody else's, also while other
    test workers run the same test."""
    if storage == "sqlite":
        yield "sqlite"
        return
    port = _free_port()
    server = _redis_server(port)
    yield f"redis://127.0.0.1:{port}/0"
    server.kill()
    server.wait()


@pytest.mark.parametrize("storage", ["sqlite", "redis"])
def test_jobs_go_through_real_queue_storage(container, sms, queue_url, tmp_path):
    queue = make_queue(queue_url, tmp_path)
    container.queue = queue
    container.tasks = register_tasks(queue, container)
    message_id = _queue_sms(container, uuid.uuid4())
    assert sms.sent == [] and len(queue) == 1
    # The serialized job names the event by id; the number and text are not in the queue.
    raw = b"".join(queue.storage.enqueued_items())
    event_id = _event_of(container, message_id)
    assert event_id.encode() in raw and PHONES[3].encode() not in raw and b"123456" not in raw
    # A worker (here: one step of the consumer loop) picks it up and delivers it.
    task = queue.dequeue()
    queue.execute(task)
    assert [p for p, _ in sms.sent] == [PHONES[3]]
    with container.uow() as s:
        assert s.get(SmsMessage, message_id).status == "sent"
    # Delivering the event twice (a retry after a lost acknowledgement) does not send twice.
    container.events.relay([event_id])
    with container.uow() as s:
        container.notifier.deliver(s, str(message_id))
    assert len(sms.sent) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return server
        except redis.ConnectionError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("redis-server did not start")


def test_events_committed_while_the_queue_is_down_are_each_delivered_once(container, sms, clock, caplog):
    """A burst of messages; the queue's Redis dies in the middle (taking every job it held) and comes back empty.
    Every message committed is delivered once: the relay jobs that were lost, and those that could not be queued,
    are made up by the periodic relay from the event outbox."""
    port = _free_port()
    server = _redis_server(port)
    try:
        queue = make_queue(f"redis://127.0.0.1:{port}/0", container.settings.var_dir)
        container.queue, container.tasks = queue, register_tasks(queue, container)
        sent_ids = [_queue_sms(container, uuid.uuid4()) for _ in range(10)]
        server.kill()
        server.wait()
        sent_ids += [_queue_sms(container, uuid.uuid4()) for _ in range(10)]  # committed; their relay cannot be queued
        assert caplog.text.count("the periodic relay will deliver them") == 10
        server = _redis_server(port)  # back, with nothing in it
        assert len(queue) == 0 and sms.sent == [] and container.events.pending() == 20
        clock.advance(minutes=1)
        queue.execute(queue.dequeue() or container.tasks.relay_pending_events.s())  # the periodic relay, by a worker
        assert len(sms.sent) == 20 and container.events.pending() == 0
        container.tasks.relay_pending_events.call_local()  # again: nothing is sent twice
        assert len(sms.sent) == 20
        with container.uow() as s:
            assert set(s.scalars(select(SmsMessage.status).where(SmsMessage.id.in_(sent_ids)))) == {"sent"}
    finally:
        server.kill()
        server.wait()


def test_work_after_commit_waits_for_the_real_commit_and_leaves_with_its_savepoint(container):
    ran: list = []
    with container.uow() as s:
        after_commit(s, lambda: ran.append("outer"))
        with s.begin_nested():
            after_commit_batch(s, ran.append, "kept")
        assert ran == []  # releasing a savepoint is no commit
        try:
            with s.begin_nested():
                after_commit(s, lambda: ran.append("rolled back"))
                after_commit_batch(s, ran.append, "rolled back too")
                raise RuntimeError
        except RuntimeError:
            pass
        after_commit_batch(s, ran.append, "second")
    assert ran == ["outer", ["kept", "second"]]
    with pytest.raises(RuntimeError), container.uow() as s:
        after_commit(s, lambda: ran.append("never"))
        raise RuntimeError
    assert ran == ["outer", ["kept", "second"]]
