"""Background jobs: queued only after commit, carrying ids not values, on real Huey storages."""
from __future__ import annotations

import uuid

import pytest
import redis
from sqlalchemy import select

from jidi.jobs import make_queue, register_tasks
from jidi.notify.models import SmsMessage
from tests.pii import PHONES

REDIS_URL = "redis://127.0.0.1:6379/15"


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


@pytest.mark.parametrize("storage", ["sqlite", "redis"])
def test_jobs_go_through_real_queue_storage(container, sms, storage, tmp_path):
    if storage == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        queue = make_queue(REDIS_URL, tmp_path)
    else:
        queue = make_queue("sqlite", tmp_path)
    container.queue = queue
    container.tasks = register_tasks(queue, container)
    message_id = _queue_sms(container, uuid.uuid4())
    assert sms.sent == [] and len(queue) == 1
    # The serialized job names the message by id; the number and text are not in the queue.
    raw = b"".join(queue.storage.enqueued_items())
    assert str(message_id).encode() in raw and PHONES[3].encode() not in raw and b"123456" not in raw
    # A worker (here: one step of the consumer loop) picks it up and delivers it.
    task = queue.dequeue()
    queue.execute(task)
    assert [p for p, _ in sms.sent] == [PHONES[3]]
    with container.uow() as s:
        assert s.get(SmsMessage, message_id).status == "sent"
    # Running a job twice (a retry after a lost acknowledgement) does not send twice.
    container.notifier.deliver(str(message_id))
    assert len(sms.sent) == 1
