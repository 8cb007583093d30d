"""Two hosts and a worker, configured as in production: two `jidi serve` processes and one `jidi worker`, each in
its own working directory (its own var dir), on one PostgreSQL database, one Redis (queue and rate limits), one
ledger database and one key ring from JIDI_KEYS. What one host does, the other honours at once: an erasure (also
after a database restore), a rate limit, data sealed under the shared keys; and the worker runs the jobs either host
queues. Every process's log, the databases and Redis are scanned for the test's personal data at the end."""
from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from sqlalchemy import select

from jidi.accounts.models import User
from jidi.bootstrap import bootstrap
from jidi.config import Settings
from jidi.notify.models import SmsMessage
from jidi import privacy
from jidi.privacy import Actor, Purpose, SubjectShredded, residue
from jidi.privacy.ledger import open_ledger
from jidi.privacy.models import SubjectKey
from tests import pii
from tests.conftest import PG_ADMIN_URL, scan_database
from tests.pii import ADDRESSES, NAMES, NICKNAMES, PHONES, USERNAMES
from tests.test_jobs import _free_port, _redis_server

JIDI = Path(sys.executable).with_name("jidi")
PG_BIN = Path(shutil.which("pg_dump") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))))).parent
PASSWORD = "a long enough password 2026"


def wait_for(check: Callable[[], object], what: str, timeout: float = 20.0):
    """Poll until `check` returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


class Process:
    """One `jidi` process in its own working directory; stdout and stderr go to a log file there."""

    def __init__(self, name: str, workdir: Path, env: dict[str, str], args: list[str], port: int | None = None):
        self.name, self.workdir, self.env, self.args, self.port = name, workdir, env, args, port
        self.proc: subprocess.Popen | None = None
        self.logs: list[Path] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.workdir / f"{self.name}-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.proc = subprocess.Popen([str(JIDI), *self.args], cwd=self.workdir, env=self.env,
                                         stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30.0) -> None:
        def answers() -> bool:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
            try:
                return httpx.get(f"{self.url}/api/v1/privacy/policy", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(answers, f"{self.name} to answer", timeout)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def log_text(self) -> str:
        return "".join(log.read_text(errors="replace") for log in self.logs if log.exists())


class Hosts:
    def __init__(self, a: Process, b: Process, worker: Process, reader, database_name: str, ledger_url: str):
        self.a, self.b, self.worker, self.reader = a, b, worker, reader
        self.database_name, self.database_url, self.ledger_url = database_name, reader.settings.database_url, ledger_url
        self.api_a = httpx.Client(base_url=f"{a.url}/api/v1", timeout=30)
        self.api_b = httpx.Client(base_url=f"{b.url}/api/v1", timeout=30)

    def messages_to(self, phone: str) -> list[tuple[uuid.UUID, str, str]]:
        """(id, text, status) of the SMS to `phone`, newest first, read from the outbox as the phone would show them."""
        vault = self.reader.vault
        with self.reader.uow() as s:
            rows = s.scalars(select(SmsMessage).where(SmsMessage.phone_bidx == vault.blind_index("phone", phone))
                             .order_by(SmsMessage.created_at.desc())).all()
            return [(m.id, privacy.open(m.body, for_=Purpose.NOTIFICATION, actor=Actor.system()), m.status) for m in rows]

    def last_code(self, phone: str) -> str:
        for _, text, _ in self.messages_to(phone):
            if m := re.search(r"\b(\d{6})\b", text):
                return m.group(1)
        raise AssertionError("no code was sent to that number")

    def register(self, api: httpx.Client, phone: str) -> dict[str, str]:
        assert api.post("/auth/sms-codes", json={"phone": phone}).status_code == 202
        r = api.post("/auth/sms-login", json={"phone": phone, "code": self.last_code(phone), "accept_policy": True})
        assert r.status_code == 200 and r.json()["account_created"], r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def privacy_code(self, api: httpx.Client, headers: dict, phone: str) -> str:
        before = {m[0] for m in self.messages_to(phone)}
        assert api.post("/privacy/codes", headers=headers).status_code == 202
        wait_for(lambda: {m[0] for m in self.messages_to(phone)} - before, "the privacy code's SMS")
        return self.last_code(phone)

    def delivered(self, phone: str) -> bool:
        return all(status == "sent" for _, _, status in self.messages_to(phone))


def _create_database(name: str) -> str:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_databases(*names: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    root = tmp_path_factory.mktemp("two-hosts")
    base = f"jidi_hosts_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    main, ledger = base, f"{base}_ledger"
    redis_port = _free_port()
    redis_server = _redis_server(redis_port)
    processes: list[Process] = []
    try:
        database_url, ledger_url = _create_database(main), _create_database(ledger)
        # The key ring as production gets it: made once with `jidi keys init`, handed to every process in JIDI_KEYS.
        clean = {k: v for k, v in os.environ.items() if not k.startswith("JIDI_")}
        keys = subprocess.run([str(JIDI), "keys", "init"], env={**clean, "JIDI_KEY_SOURCE": "env"}, cwd=root,
                              capture_output=True, text=True, check=True).stdout
        env = {**clean, "PYTHONUNBUFFERED": "1", "JIDI_ENV": "production", "JIDI_DATABASE_URL": database_url,
               "JIDI_LEDGER_URL": ledger_url, "JIDI_QUEUE_URL": f"redis://127.0.0.1:{redis_port}/0",
               "JIDI_KEY_SOURCE": "env", "JIDI_KEYS": keys, "JIDI_EMBEDDED_WORKER": "false"}
        for name in ("a", "b", "worker"):
            (root / name).mkdir()
        migrated = subprocess.run([str(JIDI), "migrate"], env=env, cwd=root / "a", capture_output=True, text=True, timeout=60)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        a, b = (Process(n, root / n, env, ["serve", "--port", str(port)], port)
                for n, port in (("a", _free_port()), ("b", _free_port())))
        worker = Process("worker", root / "worker", env, ["worker"])
        processes += [a, b, worker]
        for p in processes:
            p.start()
        a.wait_ready()
        b.wait_ready()
        # The test reads the outbox, the databases and the queue with the same keys, from a key file of its own.
        key_file = root / "reader-keys.json"
        key_file.write_text(keys)
        reader = bootstrap(Settings(env="test", var_dir=root / "reader", database_url=database_url, key_source=str(key_file),
                                    ledger_url=ledger_url, queue_url=env["JIDI_QUEUE_URL"]))
        h = Hosts(a, b, worker, reader, main, ledger_url)
        yield h
        h.api_a.close()
        h.api_b.close()
        for p in processes:
            p.stop()
        assert all("Application startup complete" in p.log_text() for p in (a, b))  # the logs were captured
        logged = {p.name: pii.find_in(p.log_text()) for p in processes}
        assert not any(logged.values()), f"personal data in the logs: {logged}"
        crashes = {p.name: p.log_text().count("unhandled") + p.log_text().count("Traceback") for p in processes}
        assert not any(crashes.values()), "a process logged a crash:\n" + "\n".join(p.log_text()[-3000:] for p in processes)
        assert scan_database(reader.engine) == []
        queue_redis = redis.Redis(port=redis_port)
        stored = b"".join(k + (queue_redis.dump(k) or b"") for k in queue_redis.scan_iter())
        assert stored and pii.find_in(stored) == []  # jobs and limits: ids and keyed hashes only
        # Nothing that must be shared was kept in a host's own var dir.
        assert not [p for p in root.glob("*/var/*") if p.name in ("tombstones.log", "audit-checkpoints.log", "keys.json")]
        reader.engine.dispose()
    finally:
        for p in processes:
            p.stop()
        redis_server.kill()
        redis_server.wait()
        _drop_databases(main, ledger)



def test_data_sealed_through_one_host_is_read_through_the_other_and_the_worker_runs_what_either_queues(hosts):
    phone = PHONES[1]
    me = hosts.register(hosts.api_a, phone)
    # The login code's SMS was queued by host A and delivered by the worker (no server runs a consumer).
    wait_for(lambda: hosts.delivered(phone), "the worker to deliver the login code")
    r = hosts.api_a.post("/address-book", headers=me, json={
        "kind": "recipient", "name": NAMES[1], "phone": PHONES[2], "region_code": "310106", "detail": ADDRESSES[0]})
    assert r.status_code == 201, r.text
    entry = r.json()["id"]
    # Sealed by A under the shared key ring, opened by B.
    r = hosts.api_b.post(f"/address-book/{entry}/reveal", headers=me)
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["phone"], r.json()["detail"]) == (NAMES[1], PHONES[2], ADDRESSES[0])
    # A copy asked for through B is built by the worker and downloaded through A.
    r = hosts.api_b.post("/privacy/requests", headers=me, json={"kind": "copy", "code": hosts.privacy_code(hosts.api_b, me, phone)})
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]

    def copy_url():
        return hosts.api_a.get(f"/privacy/requests/{request_id}", headers=me).json().get("copy_url")

    url = wait_for(copy_url, "the worker to build the copy")
    blob = hosts.api_a.get(url.removeprefix("/api/v1"), headers=me)
    assert blob.status_code == 200, blob.text
    with zipfile.ZipFile(io.BytesIO(blob.content)) as zf:
        assert ADDRESSES[0] in zf.read("my-data.html").decode()


def test_a_limit_reached_through_one_host_holds_on_the_other(hosts):
    phone = PHONES[3]
    assert hosts.api_a.post("/auth/sms-codes", json={"phone": phone}).status_code == 202
    r = hosts.api_b.post("/auth/sms-codes", json={"phone": phone})
    assert r.status_code == 429, r.text
    assert 1 <= int(r.headers["Retry-After"]) <= 61
    for _ in range(10):
        r = hosts.api_a.post("/auth/password-login", json={"login": "nobody_here", "password": "not the password"})
        assert r.status_code == 401, r.text
    r = hosts.api_b.post("/auth/password-login", json={"login": "nobody_here", "password": "not the password"})
    assert r.status_code == 429, r.text
    assert 1 <= int(r.headers["Retry-After"]) <= 15 * 60


@pytest.mark.promise("JD-6.3.2", "CN-8.2.3")
def test_an_erasure_through_one_host_holds_on_the_other_at_once_and_after_a_restore(hosts, tmp_path):
    phone = PHONES[0]
    me = hosts.register(hosts.api_a, phone)
    r = hosts.api_a.patch("/me", headers=me, json={"nickname": NICKNAMES[0], "username": USERNAMES[0]})
    assert r.status_code == 200, r.text
    assert hosts.api_a.put("/me/password", headers=me, json={"new_password": PASSWORD}).status_code == 204
    r = hosts.api_a.post("/address-book", headers=me, json={
        "kind": "sender", "name": NAMES[0], "phone": phone, "region_code": "110105", "detail": ADDRESSES[1]})
    assert r.status_code == 201, r.text
    entry = r.json()["id"]
    assert hosts.api_b.post(f"/address-book/{entry}/reveal", headers=me).json()["detail"] == ADDRESSES[1]
    r = hosts.api_b.post("/auth/password-login", json={"login": USERNAMES[0], "password": PASSWORD})
    assert r.status_code == 200, r.text
    user_id = hosts.api_b.get("/me", headers=me).json()["id"]
    code = hosts.privacy_code(hosts.api_a, me, phone)
    wait_for(lambda: hosts.delivered(phone), "the worker to deliver every SMS")
    dump = tmp_path / "before-erasure.dump"  # the backup a restore will bring back
    subprocess.run([str(PG_BIN / "pg_dump"), "-Fc", "-f", str(dump), hosts.database_url], check=True, capture_output=True)

    r = hosts.api_a.post("/privacy/requests", headers=me, json={"kind": "deletion", "code": code})
    assert r.status_code == 201, r.text
    # The worker erases; host B answers as for a deleted account as soon as it has.
    wait_for(lambda: hosts.api_b.get("/me", headers=me).status_code == 401, "host B to refuse the erased account's token")
    refused = hosts.api_b.post("/auth/password-login", json={"login": USERNAMES[0], "password": PASSWORD})
    unknown = hosts.api_b.post("/auth/password-login", json={"login": "never_registered", "password": PASSWORD})
    assert (refused.status_code, refused.json()) == (unknown.status_code, unknown.json()) == (401, unknown.json())
    assert hosts.api_b.post(f"/address-book/{entry}/reveal", headers=me).status_code == 401
    ledger = open_ledger(hosts.ledger_url, None)
    assert ledger.tombstones.contains(uuid.UUID(user_id))

    # A restore: every process stops and the database is copied back from the backup taken before the erasure.
    for p in (hosts.a, hosts.b, hosts.worker):
        p.stop()
    _drop_databases(hosts.database_name)
    _create_database(hosts.database_name)
    subprocess.run([str(PG_BIN / "pg_restore"), "--no-owner", "-d", hosts.database_url, str(dump)], check=True, capture_output=True)
    reader = hosts.reader  # a process that opened this person's data before the erasure: it has their key in memory
    with reader.uow() as s:
        user = s.get(User, uuid.UUID(user_id))
        assert user.phone is not None and s.get(SubjectKey, user.id) is not None  # the old bytes are back…
        with pytest.raises(SubjectShredded):
            user.phone.masked  # noqa: B018  …but no process opens them: the shared ledger lists the person
    # Host B's start-up re-applies the erasure before it answers anything.
    hosts.b.start()
    hosts.b.wait_ready()
    with reader.uow() as s:
        user = s.get(User, uuid.UUID(user_id))
        assert user.status == "erased" and user.phone is None and s.get(SubjectKey, user.id) is None
    assert hosts.api_b.get("/me", headers=me).status_code == 401
    again = hosts.api_b.post("/auth/password-login", json={"login": USERNAMES[0], "password": PASSWORD})
    assert (again.status_code, again.json()) == (401, unknown.json())
    hosts.a.start()
    hosts.worker.start()
    hosts.a.wait_ready()

    def residue_left():
        with reader.uow() as s:
            return [f for f in residue.scan(s, reader.vault, reader.datamap, uuid.UUID(user_id),
                                            {"phone": phone, "username": USERNAMES[0]}, queue=reader.queue) if not f.kept]

    # What the restore brought back of the shares is asked again to be deleted: the worker sends the notices.
    wait_for(lambda: residue_left() == [], "nothing of the person to be left but what is kept by law or design")
    ledger.tombstones.engine.dispose()
