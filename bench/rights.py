"""The rights centre end to end (issue 4), anchored on Fides 2.86 measured on this machine with the same data shape.

Measured through the HTTP API of a real server process, from request to completion, on PostgreSQL holding
1,000,000 orders and 100,000 users:

* access: POST /api/v1/privacy/my-data/full {code} for a subject with 10 orders and one with 1,010 (the complete,
  unmasked document; the time runs until the whole response has arrived);
* erasure: POST /api/v1/privacy/requests {kind: "deletion", code}, then GET /api/v1/privacy/requests/{id} until the
  request is done (pausing POLL_S, or 2% of the time waited so far, between polls), for a subject with 10 orders and
  one with 1,010 (Fides: 1,010 orders). The
  erasure deletes the account's sessions in its own transaction, so the poll that first finds it done is answered
  401 (the request's own page is gone with the account): the benchmark then checks in the database that the
  request is `fulfilled` and the account `erased` (outside the timing) and fails otherwise. `server_side_s` is the
  request's own record of it: closed_at - received_at;
* a backlog: 100 subjects with 10 orders each file a deletion (4 clients at once), then the database is polled until
  all 100 requests are fulfilled; value = 100 / (end - first POST);
* the peak RSS (VmHWM) of the server and the worker processes over the whole run, and their largest simultaneous
  total sampled every 20 ms during the measurements.

Each single-subject figure is the median over REPEATS fresh subjects (spread: min, max, samples), after one
unrecorded warm-up of each kind. Anchors (Fides 2.86 here): 0.31 s access (10 orders), 0.50 s erasure (10 orders),
3.3 s erasure (1,010 orders), 2.7 erasures/s for a backlog, about 0.9 GiB; goal: 10x better, the service under
300 MiB.

Processes: the server is `uvicorn --factory bench.rights:server_app` (1 worker process as `jidi serve` runs by
default, JIDI_BENCH_RIGHTS_WORKERS overrides; uvloop, httptools, no access log), its container built by
`jidi.bootstrap.bootstrap` from the same settings as production would pass (env=test, the run's key file, the
throwaway database, JIDI_QUEUE_URL a Redis URL, embedded worker off); the jobs (`erase_for_request`) run in a
separate consumer process, what `jidi worker` runs (`bench.rights:worker_main`: the same container, Huey thread
consumer with 2 workers as `jidi worker`'s default, JIDI_BENCH_RIGHTS_JOB_THREADS overrides; periodic tasks off so
the nightly retention sweep or the housekeeping cannot land in a measurement). Both use a Huey queue named for
this run (`jidi-bench-<random>`) on JIDI_BENCH_REDIS_URL (default redis://127.0.0.1:6379/0), flushed at the end.
JIDI_BENCH_RIGHTS_CONSUMER=embedded runs the jobs in the server's embedded worker instead (one process).

Data (setup, not timed; reported as setup_s):
* background: `fill` (bench.harness, or bench.lookup before it moved) bulk-loads 1,000,000 orders with two parties
  and their route events; 100,000 users are inserted set-based (random bytes in personal columns, random 32-byte
  blind indexes, status active) and 70% of the background orders are given one of them as owner; VACUUM ANALYZE.
  Nothing opens these rows.
* measured subjects are real, made through the services of a container built by `jidi.bootstrap.bootstrap` on the
  same database, key file and settings as the server, with a recording SMS provider: registered by SMS login (kind
  "api": their bearer token), two address-book entries each, their orders placed with `Shipping.place` (sender:
  the subject's phone; recipient: another person), plus parcels addressed to them that another real account placed
  (recipient: the subject's phone). "10 orders" = 8 sent + 2 received; "1,000 orders" = 1,000 sent + 10 received
  (1,010, as Fides's subject). Their orders are then marked delivered and paid with four route events each
  (picked up, arrived, out for delivery, delivered) in one set-based statement, so nothing blocks a deletion
  (no real-name pickup records: those are kept by law and would be restricted, not erased). Setup runs on a clock
  three days back (the SMS code limits are raised, `bench.harness.settings_for`); codes for the measured requests are
  asked for in-process with the real clock just before each measurement (untimed) and read from the recording
  provider; the server checks them against the same database.

Each erasure is also split into its parts (`breakdown_median_s`: the POST, the wait in the queue, the job, the time
until a poll noticed), from the times the consumer records for each job through Huey's signals (jobs.txt).

JIDI_BENCH_SMOKE=1: 2,000 orders, 200 users, 2 subjects per figure (8+2 and 20+2 orders), a backlog of 4.
JIDI_BENCH_RIGHTS_PROFILE=<dir>: py-spy (if installed) samples the server and the worker during each measured phase
into <dir>/<phase>-<process>.txt (collapsed stacks); the lines then say "profiled": the figures are not clean.
Standalone: `python -m bench.rights`.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from bench.harness import Phones, RecordingSms, emit, log, quartiles, settings_for, size, standalone, stop_process, throwaway_database
from bench.tracking import _free_port, _server_pids
from jidi.config import Settings

SERVER_ENV = "JIDI_BENCH_RIGHTS_SERVER"
POLL_S = 0.005   # the shortest pause between polls of a single request (each poll itself takes a few ms) …
POLL_SHARE = 0.02  # … growing with the time waited so far (2%, at most 0.1 s), so long erasures are not slowed by polls
BACKLOG_POLL_S = 0.02
TIMEOUT_S = 300.0
# Fides 2.86 on this machine, same data shape (the issue); the goal is 10x better.
ANCHORS = {"access_10": 0.31, "erasure_10": 0.50, "erasure_1000": 3.3, "backlog": 2.7, "rss_mib": 0.9 * 1024}
GOAL_RSS_MIB = 300.0
REGIONS = ("110108", "310104", "320106", "440106", "330106", "510107")


def _params() -> dict:
    if size().mode == "smoke":
        return {"orders": 2_000, "users": 200, "repeats": 2, "small": (8, 2), "big": (20, 2), "backlog": 4}
    return {"orders": 1_000_000, "users": 100_000, "repeats": int(os.environ.get("JIDI_BENCH_RIGHTS_REPEATS", "5")),
            "small": (8, 2), "big": (1_000, 10), "backlog": 100}


def _fill():
    """The bulk order loader, wherever it lives at the moment (it is moving from bench.lookup to bench.harness)."""
    try:
        from bench.harness import fill  # noqa: PLC0415
    except ImportError:
        from bench.lookup import fill  # noqa: PLC0415
    return fill


# -- the server and the worker (subprocesses) --------------------------------------------------------------
def _container_from_env():
    """The container of a server or worker process: `bootstrap` from the run's settings, with the run's own Huey
    queue (a name of this run on the shared Redis, so nothing collides) and its tasks registered on it."""
    from huey import RedisHuey  # noqa: PLC0415

    from jidi.bootstrap import bootstrap  # noqa: PLC0415
    from jidi.jobs import register_tasks  # noqa: PLC0415

    cfg = json.loads(os.environ[SERVER_ENV])
    c = bootstrap(Settings(**cfg["settings"]))
    c.queue = RedisHuey(cfg["huey_name"], url=c.settings.queue_url)
    c.tasks = register_tasks(c.queue, c)
    _record_signals(c.queue, cfg["signals_path"])
    return c, cfg


def _record_signals(queue, path: str) -> None:
    """Whoever consumes the queue writes when each job starts and ends (wall clock, ids only) to `path`: the
    benchmark splits each erasure into filing, waiting in the queue, running and being noticed."""
    from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR, SIGNAL_EXECUTING  # noqa: PLC0415

    lock = threading.Lock()

    @queue.signal(SIGNAL_EXECUTING, SIGNAL_COMPLETE, SIGNAL_ERROR)
    def _record(signal, task, exc=None) -> None:
        line = f"{time.time():.6f} {signal} {task.name} {task.args[0] if task.args else '-'}\n"
        with lock, open(path, "a") as fh:
            fh.write(line)


def _job_times(path: Path) -> dict[str, dict[str, float]]:
    """request id -> {"executing": t, "complete": t} (wall clock) from the consumer's record."""
    out: dict[str, dict[str, float]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            at, signal, _name, arg = line.split()
            out.setdefault(arg, {})[signal] = float(at)
    return out


def server_app():
    """`uvicorn --factory bench.rights:server_app`: what `jidi.web.app.app_from_env` does, on the run's queue."""
    import gc  # noqa: PLC0415

    from jidi.web.app import create_app  # noqa: PLC0415

    c, _ = _container_from_env()
    app = create_app(c)
    gc.freeze()
    return app


def worker_main() -> None:
    """What `jidi worker` runs (a Huey thread consumer of the container's queue), on the run's queue, without the
    periodic tasks."""
    c, cfg = _container_from_env()
    c.queue.create_consumer(workers=cfg["job_threads"], worker_type="thread", periodic=False).run()


def _wait_http(proc: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/v1/privacy/policy", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.2)


@dataclasses.dataclass
class Processes:
    server: subprocess.Popen
    worker: subprocess.Popen | None  # None: the server's embedded worker runs the jobs
    url: str
    logs: Path

    def pids(self) -> dict[str, list[int]]:
        out = {"server": _server_pids(self.server.pid)}
        if self.worker is not None:
            out["worker"] = [self.worker.pid]
        return out

    def check_alive(self) -> None:
        for name, proc in (("server", self.server), ("worker", self.worker)):
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"the {name} exited: {(self.logs / f'{name}.log').read_text()[-3000:]}")

    def stop(self) -> None:
        stop_process(self.server)
        if self.worker is not None:
            stop_process(self.worker)


def _start(settings: Settings, cfg: dict, logs: Path) -> Processes:
    env = {**os.environ, SERVER_ENV: json.dumps(cfg)}
    port = _free_port()
    workers = int(os.environ.get("JIDI_BENCH_RIGHTS_WORKERS", "1"))
    server_log, worker_log = logs / "server.log", logs / "worker.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "bench.rights:server_app", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=server_log.open("wb"))
    worker = None
    if not cfg["settings"]["embedded_worker"]:
        worker = subprocess.Popen([sys.executable, "-c", "from bench.rights import worker_main; worker_main()"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=worker_log.open("wb"))
    procs = Processes(server, worker, f"http://127.0.0.1:{port}", logs)
    try:
        _wait_http(server, procs.url, server_log)
    except BaseException:
        procs.stop()
        raise
    return procs


def _vm_hwm_mib(pid: int) -> float:
    """The peak resident set size of a live process (VmHWM, Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _vm_rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class _RssSampler(threading.Thread):
    """Samples the resident set of the server and worker processes every 20 ms while the measurements run: the
    largest simultaneous total, and each process's largest (VmHWM also counts start-up)."""

    def __init__(self, procs: Processes):
        super().__init__(daemon=True)
        self.pids = procs.pids()
        self.stopped = threading.Event()
        self.max_total = 0.0
        self.max_each: dict[int, float] = {}

    def run(self) -> None:
        while not self.stopped.wait(0.02):
            total = 0.0
            for pids in self.pids.values():
                for pid in pids:
                    rss = _vm_rss_mib(pid)
                    total += rss
                    self.max_each[pid] = max(self.max_each.get(pid, 0.0), rss)
            self.max_total = max(self.max_total, total)

    def stop(self) -> None:
        self.stopped.set()
        self.join()


class _Profiler:
    """py-spy on the server and the worker during one phase (JIDI_BENCH_RIGHTS_PROFILE=<dir>), else nothing."""

    def __init__(self, procs: Processes):
        self.dir = os.environ.get("JIDI_BENCH_RIGHTS_PROFILE", "").strip()
        self.exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        self.procs = procs
        self.on = bool(self.dir) and Path(self.exe).exists()

    def phase(self, name: str):
        profiler = self

        class _Phase:
            def __enter__(self):
                self.running = []
                if not profiler.on:
                    return self
                Path(profiler.dir).mkdir(parents=True, exist_ok=True)
                for role, pids in profiler.procs.pids().items():
                    for pid in pids:
                        out = Path(profiler.dir) / f"{name}-{role}-{pid}.txt"
                        self.running.append(subprocess.Popen(
                            [profiler.exe, "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "--threads",
                             "--nonblocking", "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                time.sleep(1.0)  # py-spy attaches
                return self

            def __exit__(self, *exc):
                for p in self.running:
                    p.send_signal(signal.SIGINT)
                for p in self.running:
                    try:
                        p.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        p.kill()
                return False

        return _Phase()


# -- background data (set-based) --------------------------------------------------------------------------
def fill_users(database_url: str, n: int, owned_share: float = 0.7) -> dict:
    """n active background users (random bytes in their personal columns, random 32-byte blind indexes); then a
    share of the bulk-loaded orders gets one of them as owner (foreign-key triggers off for the bulk update).
    VACUUM ANALYZE afterwards."""
    t = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("""
            INSERT INTO users (id, role, status, phone, phone_bidx, nickname, created_at, updated_at)
            SELECT gen_random_uuid(), 'customer', 'active', uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()),
                   sha256(uuid_send(gen_random_uuid())), uuid_send(gen_random_uuid()),
                   now() - random() * interval '700 days', now() - random() * interval '30 days'
            FROM generate_series(1, %(n)s)
        """, {"n": n})
        users_s = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("SET session_replication_role = replica")  # the owners exist: skip 700,000 foreign-key checks
        owned = conn.execute("""
            WITH u AS (SELECT array_agg(id) AS ids FROM users WHERE role = 'customer')
            UPDATE orders SET owner_id = u.ids[1 + floor(random() * cardinality(u.ids))::int]
            FROM u WHERE orders.owner_id IS NULL AND random() < %(share)s
        """, {"share": owned_share}).rowcount
        conn.execute("SET session_replication_role = origin")
        owners_s = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        vacuum_s = time.perf_counter() - t
        users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
    return {"users": users, "orders_owned": owned, "users_s": round(users_s, 1), "owners_s": round(owners_s, 1),
            "vacuum_analyze_s": round(vacuum_s, 1)}


# -- real subjects ----------------------------------------------------------------------------------------
class ShiftedClock:
    """The bench container's clock: real time plus an offset (setup runs three days back)."""

    def __init__(self):
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) + self.offset


@dataclasses.dataclass
class Subject:
    user_id: uuid.UUID
    token: str
    phone: str
    client: str
    sent: int
    received: int

    @property
    def orders(self) -> int:
        return self.sent + self.received

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


class Subjects:
    """Makes real subjects through the services of the bench's own container."""

    def __init__(self, c, sms: RecordingSms, clock: ShiftedClock, phones: Phones):
        self.c, self.sms, self.clock, self.phones = c, sms, clock, phones
        self._clients = 0
        self.other = self._register()  # another customer, who sends parcels to the subjects

    def _client(self) -> str:
        self._clients += 1
        return f"198.18.{(self._clients >> 8) & 255}.{self._clients & 255}"

    def _register(self) -> Subject:
        from jidi.addressbook.service import validate  # noqa: PLC0415

        phone, client = self.phones(), self._client()
        self.c.accounts.request_code(phone, "login", client, "zh_CN")
        login = self.c.accounts.login_with_code(phone, self.sms.take_code(phone), True, "api", kind="api")
        for kind, name, number, region in (("sender", "本人", phone, REGIONS[0]), ("recipient", "李四", self.phones(), REGIONS[1])):
            self.c.addressbook.create(login.user_id, validate(kind, name, number, region, "测试路1号院2号楼"))
        return Subject(login.user_id, login.token, phone, client, 0, 0)

    def _order(self, sender_phone: str, recipient_phone: str, k: int):
        from jidi.shipping.service import OrderIn, PartyIn  # noqa: PLC0415

        return OrderIn(
            sender=PartyIn("张三", sender_phone, REGIONS[k % len(REGIONS)], f"测试路{k % 97 + 1}号院2号楼"),
            recipient=PartyIn("李四", recipient_phone, REGIONS[(k + 1) % len(REGIONS)], f"样例街{k % 89 + 1}号"),
            item_name="书", item_category="books", quantity=1, weight_g=1200, declared_value_fen=0, payment_mode="pay_later")

    def make(self, sent: int, received: int) -> Subject:
        s = self._register()
        for k in range(sent):
            self.c.shipping.place(s.user_id, self._order(s.phone, self.phones(), k))
        for k in range(received):
            self.c.shipping.place(self.other.user_id, self._order(self.other.phone, s.phone, k))
        s.sent, s.received = sent, received
        return s

    def code(self, s: Subject) -> str:
        """A rights code, asked for in-process on the real clock and read from the recording provider."""
        saved, self.clock.offset = self.clock.offset, dt.timedelta()
        try:
            self.c.rights.request_code(s.user_id, s.client, "zh_CN")
        finally:
            self.clock.offset = saved
        return self.sms.take_code(s.phone)


def _deliver_all(database_url: str, source_id: uuid.UUID) -> int:
    """Every order a real account placed: paid and delivered, with its four route events (set-based)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        ids = [r[0] for r in conn.execute("""
            UPDATE orders SET status = 'delivered', paid_at = created_at, delivered_as = 'recipient',
                              status_at = created_at + interval '24 hours', updated_at = created_at + interval '24 hours'
            WHERE owner_id IN (SELECT user_id FROM auth_sessions) AND status <> 'delivered' RETURNING id""")]
        conn.execute("""
            INSERT INTO route_events (source_id, event_id, order_id, waybill_no, event_time, received_at, action, site_code,
                                      site_name, operator, delivered_as, exception)
            SELECT %(source)s, o.waybill_no || '-' || a.k, o.id, o.waybill_no, o.created_at + a.k * interval '6 hours',
                   o.created_at + a.k * interval '6 hours' + interval '40 seconds', a.action, 'SH-HUB-01', '上海华东转运中心',
                   'C1001', CASE WHEN a.action = 'delivered' THEN 'recipient' END, NULL
            FROM orders o,
                 (VALUES (1, 'picked_up'), (2, 'arrived_facility'), (3, 'out_for_delivery'), (4, 'delivered')) AS a (k, action)
            WHERE o.id = ANY(%(ids)s)
        """, {"source": source_id, "ids": ids})
        conn.execute("ANALYZE")
    return len(ids)


# -- measurements -------------------------------------------------------------------------------------------
def _expect(r: httpx.Response, status: int, what: str) -> httpx.Response:
    if r.status_code != status:
        raise AssertionError(f"{what}: HTTP {r.status_code} (expected {status}): {r.text[:300]}")
    return r


def measure_access(client: httpx.Client, subjects: Subjects, s: Subject) -> dict:
    code = subjects.code(s)
    t0 = time.perf_counter()
    r = client.post("/api/v1/privacy/my-data/full", json={"code": code}, headers=s.headers)
    elapsed = time.perf_counter() - t0
    doc = _expect(r, 200, "my-data/full").json()
    counts = {}
    for sec in doc["sections"]:
        counts[sec["table"]] = counts.get(sec["table"], 0) + sec["count"]
    assert counts.get("orders") == s.sent, f"the access showed {counts.get('orders')} orders, expected {s.sent}"
    assert counts.get("order_parties", 0) >= s.sent + s.received, counts
    return {"s": elapsed, "records": sum(counts.values()), "bytes": len(r.content)}


def _request_state(c, request_id: uuid.UUID, user_id: uuid.UUID) -> tuple[str, float, str]:
    from jidi.accounts.models import User  # noqa: PLC0415
    from jidi.rights.models import RightsRequest  # noqa: PLC0415

    with c.uow() as s:
        req = s.get(RightsRequest, request_id)
        user = s.get(User, user_id)
        return req.status, (req.closed_at - req.received_at).total_seconds() if req.closed_at else float("nan"), user.status


def measure_erasure(client: httpx.Client, subjects: Subjects, s: Subject, procs: Processes) -> dict:
    code = subjects.code(s)
    polls = 0
    wall0, t0 = time.time(), time.perf_counter()
    r = _expect(client.post("/api/v1/privacy/requests", json={"kind": "deletion", "code": code}, headers=s.headers), 201,
                "file deletion")
    filed = time.perf_counter() - t0
    rid = r.json()["id"]
    while True:
        g = client.get(f"/api/v1/privacy/requests/{rid}", headers=s.headers)
        polls += 1
        if g.status_code == 401 or (g.status_code == 200 and g.json()["status"] == "fulfilled"):
            break
        _expect(g, 200, "poll request")
        if time.perf_counter() - t0 > TIMEOUT_S:
            procs.check_alive()
            raise AssertionError(f"deletion not done after {TIMEOUT_S} s: {g.json()['status']}")
        time.sleep(min(0.1, max(POLL_S, POLL_SHARE * (time.perf_counter() - t0))))
    elapsed = time.perf_counter() - t0
    status, server_s, user_status = _request_state(subjects.c, uuid.UUID(rid), s.user_id)
    assert status == "fulfilled" and user_status == "erased", (status, user_status)
    job = _job_times(procs.logs / "jobs.txt").get(rid, {})
    parts = {"file_s": filed}
    if "executing" in job and "complete" in job:
        parts.update(queue_wait_s=job["executing"] - (wall0 + filed), job_s=job["complete"] - job["executing"],
                     noticed_after_s=(wall0 + elapsed) - job["complete"])
    return {"s": elapsed, "server_side_s": server_s, "polls": polls, "parts": parts}


def measure_backlog(base_url: str, subjects: Subjects, batch: list[Subject], database_url: str, procs: Processes) -> dict:
    codes = [subjects.code(s) for s in batch]
    with httpx.Client(base_url=base_url, timeout=120, limits=httpx.Limits(max_connections=8)) as client:
        def file(i: int) -> str:
            s = batch[i]
            r = client.post("/api/v1/privacy/requests", json={"kind": "deletion", "code": codes[i]}, headers=s.headers)
            return _expect(r, 201, "file deletion").json()["id"]

        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            ids = list(ex.map(file, range(len(batch))))
        filed = time.perf_counter() - t0
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            done = conn.execute("SELECT count(*) FROM rights_requests WHERE id = ANY(%s::uuid[]) AND status = 'fulfilled'",
                                (ids,)).fetchone()[0]
            if done == len(ids):
                break
            if time.perf_counter() - t0 > TIMEOUT_S:
                procs.check_alive()
                raise AssertionError(f"only {done} of {len(ids)} deletions done after {TIMEOUT_S} s")
            time.sleep(BACKLOG_POLL_S)
        elapsed = time.perf_counter() - t0
        span = conn.execute("SELECT extract(epoch FROM max(closed_at) - min(received_at)) FROM rights_requests "
                            "WHERE id = ANY(%s::uuid[])", (ids,)).fetchone()[0]
        erased = conn.execute("SELECT count(*) FROM users WHERE id = ANY(%s::uuid[]) AND status = 'erased'",
                              ([s.user_id for s in batch],)).fetchone()[0]
    assert erased == len(batch), f"{erased} of {len(batch)} accounts erased"
    jobs = _job_times(procs.logs / "jobs.txt")
    runs = [jobs[i]["complete"] - jobs[i]["executing"] for i in ids if "executing" in jobs.get(i, {}) and "complete" in jobs[i]]
    return {"s": elapsed, "filed_s": filed, "server_span_s": float(span),
            "job_s_median": statistics.median(runs) if runs else float("nan")}


# -- the benchmark --------------------------------------------------------------------------------------------
def _spread(xs: list[float]) -> dict:
    q1, q3 = quartiles(xs)
    return {"min": round(min(xs), 4), "max": round(max(xs), 4), "p25": round(q1, 4), "p75": round(q3, 4),
            "samples": [round(x, 4) for x in xs]}


NOTE = ("through the HTTP API of a real uvicorn server process ({workers} worker process, uvloop, httptools) on "
        "PostgreSQL (same machine) with {orders:,} bulk-loaded orders and {users:,} users; jobs on Redis (a Huey queue "
        "named for this run) run by {consumer}; subjects real, made through the services in-process (SMS login, 2 "
        "address-book entries, orders placed with Shipping.place: N sent + M addressed to them by another account, then "
        "marked delivered with 4 route events); SMS codes asked for in-process before the timing; median over fresh "
        "subjects after an unrecorded warm-up")


def _consumer() -> str:
    """Who runs the jobs: `process` (default: a separate consumer process, as `jidi worker`) or `embedded` (the
    server's embedded worker: 2 consumer threads in the server process, periodic tasks on), JIDI_BENCH_RIGHTS_CONSUMER."""
    consumer = os.environ.get("JIDI_BENCH_RIGHTS_CONSUMER", "process").strip()
    if consumer not in ("process", "embedded"):
        raise SystemExit("JIDI_BENCH_RIGHTS_CONSUMER must be 'process' or 'embedded'")
    return consumer


def make_subjects(c, sms: RecordingSms, clock: ShiftedClock, database_url: str, p: dict) -> tuple[Subjects, dict, int]:
    """The real subjects of every measurement (warm-ups included), their orders delivered; returns them by use."""
    subjects = Subjects(c, sms, clock, Phones())
    source_id, _ = c.tracking.create_source(f"rights bench scanners {uuid.uuid4().hex[:6]}", "scanner")
    small, big, n = p["small"], p["big"], p["repeats"]
    made = {"warm_access": [subjects.make(*small)], "warm_erasure": [subjects.make(*small)],
            "access_small": [], "access_big": [], "erasure_small": [], "erasure_big": []}
    for _ in range(n):
        for key, shape in (("access_small", small), ("access_big", big), ("erasure_small", small), ("erasure_big", big)):
            made[key].append(subjects.make(*shape))
    made["backlog"] = [subjects.make(*small) for _ in range(p["backlog"])]
    return subjects, made, _deliver_all(database_url, source_id)


def measure_all(settings: Settings, database_url: str, subjects: Subjects, made: dict, tmp_path: Path) -> dict:
    """Start the server (and the worker), run every measurement, stop them; the raw results."""
    redis_url = os.environ.get("JIDI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    consumer = _consumer()
    huey_name = f"jidi-bench-{uuid.uuid4().hex[:12]}"
    cfg = {"huey_name": huey_name, "job_threads": int(os.environ.get("JIDI_BENCH_RIGHTS_JOB_THREADS", "2")),
           "signals_path": str(tmp_path / "jobs.txt"),
           "settings": {"env": "test", "var_dir": str(settings.var_dir), "key_source": settings.key_source,
                        "database_url": database_url, "queue_url": redis_url, "redis_url": redis_url,
                        "embedded_worker": consumer == "embedded", "cookie_secure": settings.cookie_secure}}
    procs = _start(settings, cfg, tmp_path)
    profiler = _Profiler(procs)
    results: dict[str, list[dict]] = {k: [] for k in ("access_small", "access_big", "erasure_small", "erasure_big")}
    sampler = _RssSampler(procs)
    try:
        with httpx.Client(base_url=procs.url, timeout=120) as client:
            measure_access(client, subjects, made["warm_access"][0])
            measure_erasure(client, subjects, made["warm_erasure"][0], procs)
            sampler.start()
            for key in ("access_small", "access_big"):
                with profiler.phase(key):
                    for s in made[key]:
                        results[key].append(measure_access(client, subjects, s))
            for key in ("erasure_small", "erasure_big"):
                with profiler.phase(key):
                    for s in made[key]:
                        results[key].append(measure_erasure(client, subjects, s, procs))
        with profiler.phase("backlog"):
            backlog = measure_backlog(procs.url, subjects, made["backlog"], database_url, procs)
        sampler.stop()
        procs.check_alive()
        hwm = {role: {pid: round(_vm_hwm_mib(pid), 1) for pid in pids} for role, pids in procs.pids().items()}
    finally:
        if sampler.is_alive():
            sampler.stop()
        procs.stop()
        try:
            from huey import RedisHuey  # noqa: PLC0415

            RedisHuey(huey_name, url=redis_url).flush()
        except Exception as exc:  # noqa: BLE001 - cleanup only
            log(f"rights: could not flush the queue {huey_name}: {exc}")
    sampled = {role: {pid: round(sampler.max_each.get(pid, 0.0), 1) for pid in pids} for role, pids in hwm.items()}
    return {"results": results, "backlog": backlog, "hwm": hwm, "sampled": sampled, "sampled_total": sampler.max_total,
            "profiled": profiler.on, "consumer": consumer, "job_threads": cfg["job_threads"]}


NOTES = {"process": "a separate consumer process as `jidi worker` ({threads} threads, periodic tasks off)",
         "embedded": "the server's embedded worker ({threads} consumer threads in the server process)"}


def report(m: dict, p: dict, made: dict, filled: dict, setup_s: float) -> list[dict]:
    """One JSON line per figure."""
    results, backlog, small, big = m["results"], m["backlog"], p["small"], p["big"]
    common = {"note": NOTE.format(workers=os.environ.get("JIDI_BENCH_RIGHTS_WORKERS", "1"), orders=filled["orders"],
                                  users=filled["users"], consumer=NOTES[m["consumer"]].format(threads=m["job_threads"])),
              "consumer": m["consumer"], "profiled": m["profiled"], "cpus": os.cpu_count(),
              "loadavg_1min": round(os.getloadavg()[0], 2)}
    lines = []

    def single(name: str, key: str, shape: tuple[int, int], anchor: float | None, what: str, **extra) -> dict:
        xs = [r["s"] for r in results[key]]
        value = statistics.median(xs)
        goals = {} if anchor is None else {"anchor_fides": anchor, "goal": round(anchor / 10, 4), "met": value <= anchor / 10}
        return emit(name, value, "s", **goals, subjects=len(xs), orders=sum(shape), orders_sent=shape[0],
                    orders_received=shape[1], **_spread(xs), **extra, what=what, **common)

    access_what = "POST /privacy/my-data/full {code}: the complete unmasked document, until the whole response has arrived"
    lines.append(single("rights.access_10_orders", "access_small", small, ANCHORS["access_10"], access_what,
                        records=results["access_small"][0]["records"], response_bytes=results["access_small"][0]["bytes"]))
    lines.append(single("rights.access_1000_orders", "access_big", big, None, access_what + " (no Fides anchor given)",
                        records=results["access_big"][0]["records"], response_bytes=results["access_big"][0]["bytes"]))
    erasure_what = (f"POST /privacy/requests {{kind: deletion, code}}, then GET /privacy/requests/{{id}} until done, pausing "
                    f"{POLL_S * 1000:g} ms or {POLL_SHARE:.0%} of the time waited so far between polls (the poll that finds it "
                    "done is answered 401: the erasure removed the account's sessions; fulfilled and erased checked in the "
                    "database afterwards); server_side_s = the request's closed_at - received_at; breakdown_median_s: "
                    "file_s = the POST, queue_wait_s = POST answered -> the consumer starts the job (negative: the job, queued at "
                    "the commit, started before the answer was back), job_s = the job, "
                    "noticed_after_s = job done -> the poll that saw it (slightly negative when a poll saw the commit before Huey "
                    "signalled the end; wall clocks of the processes, from Huey's signals)")
    for name, key, shape, anchor in (("rights.erasure_10_orders", "erasure_small", small, ANCHORS["erasure_10"]),
                                     ("rights.erasure_1000_orders", "erasure_big", big, ANCHORS["erasure_1000"])):
        server_side = [r["server_side_s"] for r in results[key]]
        parts = {k: round(statistics.median([r["parts"][k] for r in results[key] if k in r["parts"]]), 4)
                 for k in ("file_s", "queue_wait_s", "job_s", "noticed_after_s") if any(k in r["parts"] for r in results[key])}
        lines.append(single(name, key, shape, anchor, erasure_what, server_side_s=round(statistics.median(server_side), 4),
                            server_side_samples=[round(x, 4) for x in server_side], breakdown_median_s=parts,
                            polls=[r["polls"] for r in results[key]]))
    rate = len(made["backlog"]) / backlog["s"]
    goal = ANCHORS["backlog"] * 10
    lines.append(emit("rights.erasure_backlog", rate, "deletions/s", anchor_fides=ANCHORS["backlog"], goal=goal, met=rate >= goal,
                      requests=len(made["backlog"]), orders_per_subject=sum(small), seconds=round(backlog["s"], 3),
                      filing_s=round(backlog["filed_s"], 3),
                      server_side_per_s=round(len(made["backlog"]) / backlog["server_span_s"], 2),
                      job_s_median=round(backlog["job_s_median"], 4), job_threads=m["job_threads"],
                      what=f"{len(made['backlog'])} deletions filed by 4 clients at once (POST /privacy/requests), then the "
                           f"database polled every {BACKLOG_POLL_S * 1000:g} ms until all are fulfilled; value = requests / "
                           "(last fulfilled - first POST); server_side_per_s from the requests' own received_at/closed_at",
                      **common))
    total = sum(v for pids in m["hwm"].values() for v in pids.values())
    lines.append(emit("rights.peak_rss", total, "MiB", anchor_fides=ANCHORS["rss_mib"], goal=GOAL_RSS_MIB, met=total <= GOAL_RSS_MIB,
                      processes={role: {str(pid): v for pid, v in pids.items()} for role, pids in m["hwm"].items()},
                      sampled_max_total_mib=round(m["sampled_total"], 1),
                      sampled_max_mib={role: {str(pid): v for pid, v in pids.items()} for role, pids in m["sampled"].items()},
                      what="sum over the server and worker processes of each one's peak RSS (VmHWM from /proc: start-up "
                           "included) over the whole run; sampled_max_total_mib = the largest simultaneous total of their "
                           "RSS sampled every 20 ms during the measurements (PostgreSQL and Redis not included)",
                      setup_s=round(setup_s, 1), fill=filled, **common))
    return lines


def run(tmp_path: Path) -> list[dict]:
    from jidi.bootstrap import bootstrap  # noqa: PLC0415

    p = _params()
    started = time.perf_counter()
    with throwaway_database() as url:
        settings = settings_for(url, tmp_path)
        log(f"rights: filling {p['orders']:,} orders and {p['users']:,} users")
        t = time.perf_counter()
        filled = _fill()(url, p["orders"])
        filled.update(fill_users(url, p["users"]))
        fill_s = time.perf_counter() - t
        log(f"rights: filled in {fill_s:.1f} s: {filled}")
        sms, clock = RecordingSms(), ShiftedClock()
        clock.offset = -dt.timedelta(days=3)
        c = bootstrap(settings, sms=sms, clock=clock)  # queue "immediate": the SMS codes reach the recording provider
        try:
            t = time.perf_counter()
            subjects, made, delivered = make_subjects(c, sms, clock, url, p)
            subjects_s = time.perf_counter() - t
            log(f"rights: {sum(map(len, made.values()))} subjects with {delivered:,} orders made in {subjects_s:.1f} s")
            m = measure_all(settings, url, subjects, made, tmp_path)
        finally:
            c.engine.dispose()
    lines = report(m, p, made, filled, fill_s + subjects_s)
    log(f"rights: done in {time.perf_counter() - started:.1f} s")
    return lines


if __name__ == "__main__":
    raise SystemExit(standalone(run))
