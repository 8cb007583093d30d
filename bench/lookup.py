"""Public waybill lookup (GET /api/v1/tracking/{waybill_no}) under open-loop load: p50 and p99 latency at a fixed rate.

Goal (from the issue): p99 ≤ 50 ms at 500 requests/s with 1,000,000 orders in the database.

Entry point: `run(settings, database_url, tmp_path) -> dict` (the settings of an already migrated database, e.g.
`bench.harness.settings_for(url, tmp)`; returns the emitted goal-rate p99 line). Standalone:
`python -m bench.lookup` makes its own throwaway database (JIDI_BENCH_SMOKE=1: 10,000 orders, 50 req/s for 2 s).

Setup (not timed in the result, its duration printed to stderr and reported as `fill_s`):

* 1,000,000 orders inserted set-based (INSERT … SELECT FROM generate_series) with valid waybill numbers
  (JD + 12 digits + a Luhn check digit computed in SQL; the 12 digits are an affine bijection of the row number
  modulo 10^12, so they are unique and scattered), statuses in realistic shares (mostly delivered, some in transit,
  awaiting pickup, cancelled, returned …), real county-level region codes, and for every order past pickup 1–4
  route events (about 3.3 per order over all orders), so lookups return timelines. Two parties per order.
  The personal columns (item name, names, phones, addresses, the phone blind index) hold random bytes and the
  subject ids point at no key: the public lookup never opens them, so no sealing is done.
* ANALYZE afterwards.

Measurement: a real uvicorn server in a subprocess (1 worker, uvloop + httptools, access log off, the container
built by `jidi.bootstrap.bootstrap` against that database with env=test, queue_url=immediate, embedded worker off).
The per-client lookup limit is raised for the benchmark only, in the server script
(`container.tracking.lookups_per_minute`); the per-client counter row is still upserted on every request (all the
load comes from 127.0.0.1, so every request updates the same row). A separate generator process sends GET requests
open-loop on a fixed schedule (asyncio with a minimal HTTP/1.1 keep-alive client, up to 256 connections; httpx's pool
collapsed under a backlog of hundreds of requests) for random
waybill numbers of the inserted set; each latency runs from the scheduled send time to the end of the response, so
queueing in the generator counts (no coordinated omission). A short warm-up at the same rate is not recorded.
Server, generator and PostgreSQL share the machine's cores. When the goal rate misses p99 ≤ 50 ms, lower rates
are measured too and the highest one meeting it is reported (`http.lookup_max_rate_meeting_goal`).
"""
from __future__ import annotations

import asyncio
import collections
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from bench.harness import emit, log, settings_for, size, stop_process, throwaway_database
from bench.tracking import _cpu_seconds, _free_port
from jidi.addressbook import regions
from jidi.config import Settings
from jidi.shipping import waybill

GOAL_P99_MS = 50.0
GOAL_RATE = 500
LOWER_RATES = (400, 300, 250, 200, 150, 100, 50)
SITES = [("SH-HUB-01", "上海华东转运中心"), ("NJ-HUB-02", "南京分拨中心"), ("BJ-HD-01", "北京海淀分拣中心"), ("GZ-BY-03", "广州白云转运中心"),
         ("CD-SL-02", "成都双流分拨中心"), ("WH-DX-01", "武汉东西湖转运中心")]
# Route of an order by its status: the actions of its events, oldest first.
PLAN = {
    "picked_up": ("picked_up",),
    "in_transit": ("picked_up", "arrived_facility", "departed_facility"),
    "out_for_delivery": ("picked_up", "arrived_facility", "out_for_delivery"),
    "delivered": ("picked_up", "arrived_facility", "out_for_delivery", "delivered"),
    "refused": ("picked_up", "arrived_facility", "out_for_delivery", "refused"),
    "returning": ("picked_up", "arrived_facility", "returning"),
    "returned": ("picked_up", "arrived_facility", "returning", "returned"),
}
# Cumulative shares (percent) of the statuses.
SHARES = (("awaiting_payment", 2), ("awaiting_pickup", 8), ("cancelled", 10), ("picked_up", 14), ("in_transit", 28),
          ("out_for_delivery", 33), ("refused", 34), ("returning", 35), ("returned", 36), ("delivered", 100))


def _params() -> dict:
    if size().mode == "smoke":
        return {"orders": 10_000, "rate": 50, "warmup_s": 0.5, "duration_s": 2.0, "sample": 2_000, "ladder": False}
    return {"orders": 1_000_000, "rate": GOAL_RATE, "warmup_s": 3.0, "duration_s": 20.0, "sample": 50_000, "ladder": True}


# -- the fill ---------------------------------------------------------------------------------------------------
def _luhn_sql(body: str, digits: int = 12) -> str:
    """The Luhn check digit of a `digits`-long digit string expression, in SQL (stdnum.luhn.calc_check_digit)."""
    terms = []
    for i in range(1, digits + 1):
        d = f"substr({body}, {i}, 1)::int"
        # Counted from the right of body + check digit, the body's last digit is doubled, then every second one.
        terms.append(f"(2 * {d} - 9 * ({d} / 5))" if (digits - i) % 2 == 0 else d)
    return f"((10 - ({' + '.join(terms)}) %% 10) %% 10)"  # %% : psycopg's escape


def _status_sql() -> str:
    cases = [f"WHEN s.r < {high / 100} THEN '{status}'" for status, high in SHARES]
    return "CASE " + " ".join(cases) + " END"


def fill(database_url: str, n: int, seed: int = 20261123) -> dict:
    """n orders (two parties each) and the route events of those past pickup, set-based; returns counts and seconds."""
    rng = random.Random(seed)
    codes = [r.code for p in regions.provinces() for _, leaves in regions.leaves_under(p.code) for r in leaves]
    mult = rng.randrange(10**11, 10**12) | 1
    while mult % 5 == 0:
        mult += 2
    offset = rng.randrange(10**12)
    timings = {}
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        t = time.perf_counter()
        source_id = conn.execute(
            "INSERT INTO tracking_sources (id, name, kind, api_key_hash, active, created_at) "
            "VALUES (gen_random_uuid(), 'bench scanners', 'scanner', sha256(uuid_send(gen_random_uuid())), true, now()) RETURNING id"
        ).fetchone()[0]
        b = f"lpad(((g::numeric * {mult} + {offset}) %% 1000000000000)::bigint::text, 12, '0')"
        conn.execute(f"""
            INSERT INTO orders (id, waybill_no, owner_id, subject_id, status, exception, service_type, payment_mode, paid_at,
                                item_category, item_name, quantity, weight_g, declared_value_fen, price_fen, origin_region,
                                dest_region, delivered_as, created_at, updated_at, status_at)
            SELECT gen_random_uuid(), 'JD' || s.b || {_luhn_sql('s.b')}, NULL, gen_random_uuid(), st.status,
                   CASE WHEN st.status = 'in_transit' AND s.r3 < 0.03 THEN 'recipient_unreachable' END,
                   CASE WHEN s.r2 < 0.8 THEN 'standard' ELSE 'express' END,
                   CASE WHEN s.r2 < 0.7 THEN 'pay_now' ELSE 'pay_later' END,
                   CASE WHEN st.status <> 'awaiting_payment' THEN s.created END,
                   (ARRAY['books','clothing','electronics','food','documents','daily'])[1 + floor(s.r3 * 6)::int],
                   uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 1, 100 + floor(s.r2 * 20000)::int, 0,
                   800 + floor(s.r3 * 4000)::int,
                   (%(codes)s::text[])[1 + floor(random() * %(ncodes)s)::int],
                   (%(codes)s::text[])[1 + floor(random() * %(ncodes)s)::int],
                   CASE WHEN st.status = 'delivered' THEN (ARRAY['recipient','agent','locker','station'])[1 + floor(s.r3 * 4)::int] END,
                   s.created, s.created + st.steps * interval '6 hours', s.created + st.steps * interval '6 hours'
            FROM (SELECT g, {b} AS b, random() AS r, random() AS r2, random() AS r3,
                         now() - interval '40 days' + random() * interval '38 days' AS created
                  FROM generate_series(1, %(n)s) AS g) AS s
            CROSS JOIN LATERAL (SELECT {_status_sql()} AS status) AS st0
            CROSS JOIN LATERAL (SELECT st0.status AS status,
                                       COALESCE(jsonb_array_length(%(plan)s::jsonb -> st0.status), 0) AS steps) AS st
        """, {"codes": codes, "ncodes": len(codes), "n": n, "plan": json.dumps(PLAN)})
        timings["orders_s"] = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("""
            INSERT INTO order_parties (id, order_id, role, subject_id, name, phone, phone_bidx, region_code, address)
            SELECT gen_random_uuid(), o.id, r.role, gen_random_uuid(), uuid_send(gen_random_uuid()),
                   uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), sha256(uuid_send(gen_random_uuid())),
                   CASE WHEN r.role = 'sender' THEN o.origin_region ELSE o.dest_region END,
                   uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
            FROM orders o CROSS JOIN (VALUES ('sender'), ('recipient')) AS r (role)
        """)
        timings["parties_s"] = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("""
            INSERT INTO route_events (source_id, event_id, order_id, waybill_no, event_time, received_at, action, site_code,
                                      site_name, operator, delivered_as, exception)
            SELECT %(source)s, o.waybill_no || '-' || p.k, o.id, o.waybill_no, o.created_at + p.k * interval '6 hours',
                   o.created_at + p.k * interval '6 hours' + interval '40 seconds', p.action,
                   (%(site_codes)s::text[])[1 + (abs(hashtext(o.waybill_no)) + p.k) %% %(nsites)s],
                   (%(site_names)s::text[])[1 + (abs(hashtext(o.waybill_no)) + p.k) %% %(nsites)s],
                   'C' || (1000 + abs(hashtext(o.waybill_no)) %% 500),
                   CASE WHEN p.action = 'delivered' THEN o.delivered_as END, NULL
            FROM orders o
            JOIN (SELECT e.key AS status, a.k::int AS k, a.action
                  FROM jsonb_each(%(plan)s::jsonb) AS e, jsonb_array_elements_text(e.value) WITH ORDINALITY AS a (action, k)) AS p
              ON p.status = o.status
        """, {"source": source_id, "site_codes": [c for c, _ in SITES], "site_names": [nm for _, nm in SITES],
              "nsites": len(SITES), "plan": json.dumps(PLAN)})
        timings["events_s"] = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("ANALYZE")
        timings["analyze_s"] = time.perf_counter() - t
        counts = {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                  for name in ("orders", "order_parties", "route_events")}
    return {**counts, **{k: round(v, 1) for k, v in timings.items()}}


def sample_waybills(database_url: str, k: int) -> list[str]:
    with psycopg.connect(database_url) as conn:
        return [r[0] for r in conn.execute("SELECT waybill_no FROM orders TABLESAMPLE BERNOULLI (%s) LIMIT %s",
                                           (min(100.0, 100.0 * 2 * k / max(1, conn.execute("SELECT count(*) FROM orders").fetchone()[0])), k))]


# -- the server -------------------------------------------------------------------------------------------------
_SERVER = """
import gc, json, os, sys, uvicorn
from jidi.bootstrap import bootstrap
from jidi.config import Settings
from jidi.shipping import waybill
from jidi.web.app import create_app
cfg = json.loads(os.environ["JIDI_BENCH_LOOKUP_SERVER"])
c = bootstrap(Settings(**cfg["settings"]))
c.tracking.lookups_per_minute = 10**12  # the benchmark only: the counter row is still upserted on every lookup
app = create_app(c)
gc.freeze()
uvicorn.run(app, host="127.0.0.1", port=cfg["port"], workers=1, loop="uvloop", http="httptools", log_level="warning",
            access_log=False)
"""


def _start_server(settings: Settings, database_url: str, port: int) -> subprocess.Popen:
    cfg = {"port": port, "settings": {"env": "test", "var_dir": str(settings.var_dir), "key_source": settings.key_source,
                                      "database_url": database_url, "queue_url": "immediate", "embedded_worker": False,
                                      "cookie_secure": settings.cookie_secure}}
    env = {**os.environ, "JIDI_BENCH_LOOKUP_SERVER": json.dumps(cfg)}
    proc = subprocess.Popen([sys.executable, "-c", _SERVER], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/v1/privacy/policy", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("server did not start")
        time.sleep(0.2)


def _backend_pids(database_url: str) -> list[int]:
    with psycopg.connect(database_url) as conn:
        return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                           "AND pid <> pg_backend_pid()")]


# -- the load generator (a separate process) ----------------------------------------------------------------------
class _Pool:
    """A minimal HTTP/1.1 keep-alive client for GET requests (the generator's CPU per request stays small, and a
    growing backlog does not slow it down as httpx's pool does with hundreds of requests waiting)."""

    def __init__(self, host: str, port: int, max_connections: int):
        self.host, self.port, self.max = host, port, max_connections
        self.free: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0
        self.waiters: collections.deque[asyncio.Future] = collections.deque()

    async def _acquire(self):
        if self.free:
            return self.free.pop()
        if self.opened < self.max:
            self.opened += 1
            try:
                return await asyncio.open_connection(self.host, self.port)
            except BaseException:
                self.opened -= 1
                raise
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append(fut)
        return await fut

    def _release(self, conn) -> None:
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(conn)
                return
        self.free.append(conn)

    def _drop(self, conn) -> None:
        conn[1].close()
        self.opened -= 1
        if self.waiters and self.opened < self.max:  # let a waiter open a fresh connection
            fut = self.waiters.popleft()
            self.opened += 1
            task = asyncio.ensure_future(asyncio.open_connection(self.host, self.port))
            task.add_done_callback(lambda t: fut.set_result(t.result()) if not t.exception() else fut.set_exception(t.exception()))

    async def get(self, path: str) -> tuple[int, bytes]:
        conn = await self._acquire()
        reader, writer = conn
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAccept: application/json\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            status = int(lines[0].split(b" ", 2)[1])
            length, close = None, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if length is None:
                raise ValueError("response without Content-Length")
            body = await reader.readexactly(length)
        except BaseException:
            self._drop(conn)
            raise
        if close:
            self._drop(conn)
        else:
            self._release(conn)
        return status, body

    def close(self) -> None:
        for _, writer in self.free:
            writer.close()


async def _generate(url: str, waybills: list[str], rate: float, warmup_s: float, duration_s: float, seed: int) -> dict:
    rng = random.Random(seed)
    n_warm, n = int(rate * warmup_s), int(rate * duration_s)
    paths = [f"/api/v1/tracking/{rng.choice(waybills)}" for _ in range(n_warm + n)]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    with_route = 0
    host, port = url.removeprefix("http://").rsplit(":", 1)
    pool = _Pool(host, int(port), max_connections=256)
    # Open a few connections before the clock starts.
    await asyncio.gather(*(pool.get("/api/v1/privacy/policy") for _ in range(8)))
    clock = time.perf_counter  # uvloop's loop.time() has millisecond resolution only
    cpu0 = time.process_time()
    pending: set[asyncio.Task] = set()
    start = clock() + 0.05
    interval = 1.0 / rate

    async def one(i: int, due: float) -> None:
        nonlocal with_route
        try:
            status, body = await asyncio.wait_for(pool.get(paths[i]), 30)
            key = None if status == 200 and body[:1] == b"{" else f"http_{status}"
            routed = key is None and b'"events":[]' not in body
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
            key, routed = type(exc).__name__, False
        done = clock()
        if i >= n_warm:
            latencies.append(done - due)
            with_route += routed
            if key:
                errors[key] = errors.get(key, 0) + 1

    for i in range(n_warm + n):
        due = start + i * interval
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(i, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    sent_end = clock()
    max_pending = len(pending)
    await asyncio.gather(*pending)
    pool.close()
    measured_start = start + n_warm * interval
    return {"latencies": latencies, "errors": errors, "sent": n, "with_route": with_route, "connections": pool.opened,
            "send_span_s": sent_end - measured_start, "cpu_s": time.process_time() - cpu0, "pending_at_end": max_pending}


def _generator_main(params_path: str) -> None:
    params = json.loads(Path(params_path).read_text())
    try:
        import uvloop  # noqa: PLC0415
        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(_generate(**params))
    print(json.dumps(result), flush=True)


def _percentile(sorted_xs: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    return sorted_xs[max(0, math.ceil(q * len(sorted_xs)) - 1)]


def _drain(server_pid: int, limit_s: float = 120.0) -> float:
    """Wait until the server has worked off any backlog of an overloaded run (its threads finish requests whose
    clients gave up); returns the seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        c0 = _cpu_seconds([server_pid])
        time.sleep(0.5)
        if _cpu_seconds([server_pid]) - c0 < 0.05:
            break
    return time.perf_counter() - t0


def measure(url: str, server_pid: int, database_url: str, waybills: list[str], rate: float, warmup_s: float,
            duration_s: float, tmp: Path) -> dict:
    params = tmp / f"lookup-gen-{int(rate)}.json"
    params.write_text(json.dumps({"url": url, "waybills": waybills, "rate": rate, "warmup_s": warmup_s,
                                  "duration_s": duration_s, "seed": int(rate)}))
    waited = _drain(server_pid)
    if waited > 1:
        log(f"lookup: waited {waited:.1f} s for the server to work off the previous backlog")
    pg_before = {pid: _cpu_seconds([pid]) for pid in _backend_pids(database_url)}
    server_before = _cpu_seconds([server_pid])
    out = subprocess.run([sys.executable, "-c", f"from bench.lookup import _generator_main; _generator_main({str(params)!r})"],
                         capture_output=True, text=True, timeout=warmup_s + duration_s + 300)
    if out.returncode != 0:
        raise RuntimeError(f"generator failed: {out.stderr[-2000:]}")
    server_cpu = _cpu_seconds([server_pid]) - server_before
    # The backends alive before and after (a backend opened or closed in between is missed: approximate).
    pg_cpu = sum(_cpu_seconds([pid]) - pg_before[pid] for pid in set(pg_before) & set(_backend_pids(database_url)))
    res = json.loads(out.stdout.strip().splitlines()[-1])
    lat = sorted(x * 1000 for x in res["latencies"])
    total = warmup_s + duration_s  # CPU was measured over warm-up and measurement together
    requests_total = rate * total
    r = {
        "rate": rate, "duration_s": duration_s, "requests": len(lat), "errors": sum(res["errors"].values()),
        "error_kinds": res["errors"], "p50_ms": round(_percentile(lat, 0.50), 2), "p90_ms": round(_percentile(lat, 0.90), 2),
        "p99_ms": round(_percentile(lat, 0.99), 2), "max_ms": round(lat[-1], 2),
        "achieved_rate": round(len(lat) / max(res["send_span_s"], duration_s), 1),
        "with_route": res["with_route"], "connections": res["connections"],
        "cpu_ms_per_request": {"server": round(server_cpu / requests_total * 1000, 3),
                               "postgres": round(pg_cpu / requests_total * 1000, 3),
                               "generator": round(res["cpu_s"] / requests_total * 1000, 3)},
    }
    r["meets_goal"] = r["p99_ms"] <= GOAL_P99_MS and r["errors"] == 0
    log(f"lookup: {rate:g} req/s for {duration_s:g} s: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms, "
        f"errors {r['errors']} {r['error_kinds']}, {r['with_route']} with a route, {r['connections']} connections, cpu ms/req {r['cpu_ms_per_request']}")
    return r


# -- the benchmark --------------------------------------------------------------------------------------------------
NOTE = ("GET /api/v1/tracking/{waybill_no} against a real uvicorn server in a subprocess (1 worker, uvloop, httptools), "
        "PostgreSQL on the same machine; open-loop load from a separate process (asyncio, a minimal HTTP/1.1 keep-alive client, up to 256 connections) at a fixed "
        "rate, random waybills of the inserted set (~90% with a route of 1-4 events, 3.3 events per order on average; the rest awaiting pickup or payment, or cancelled), latency from "
        "the scheduled send time to the end of the response (queueing counted, no coordinated omission), warm-up not "
        "recorded; orders filled set-based in SQL with valid Luhn waybills, personal columns random bytes (the public "
        "lookup never opens them); per-client lookup limit raised in the server script for the benchmark only, the "
        "per-client counter row still upserted on every request (one client address: the same row every time); "
        "server, generator and PostgreSQL share the machine's cores")


def run(settings: Settings, database_url: str, tmp_path: Path) -> dict:
    p = _params()
    log(f"lookup: filling {p['orders']:,} orders")
    t = time.perf_counter()
    filled = fill(database_url, p["orders"])
    fill_s = time.perf_counter() - t
    log(f"lookup: filled in {fill_s:.1f} s: {filled}")
    waybills = sample_waybills(database_url, p["sample"])
    assert all(waybill.is_valid(w) for w in waybills), "a filled waybill number fails the Luhn check"
    port = _free_port()
    proc = _start_server(settings, database_url, port)
    url = f"http://127.0.0.1:{port}"
    results = []
    try:
        results.append(measure(url, proc.pid, database_url, waybills, p["rate"], p["warmup_s"], p["duration_s"], tmp_path))
        if p["ladder"] and not results[0]["meets_goal"]:
            for rate in LOWER_RATES:
                results.append(measure(url, proc.pid, database_url, waybills, rate, p["warmup_s"], p["duration_s"], tmp_path))
                if results[-1]["meets_goal"]:
                    break
    finally:
        stop_process(proc)
    goal = results[0]
    common = {"rate": goal["rate"], "duration_s": goal["duration_s"], "orders": filled["orders"],
              "route_events": filled["route_events"], "requests": goal["requests"], "errors": goal["errors"],
              "achieved_rate": goal["achieved_rate"], "goal_rate": GOAL_RATE, "goal_p99_ms": GOAL_P99_MS,
              "meets_goal": goal["meets_goal"] and goal["rate"] >= GOAL_RATE, "cpus": os.cpu_count()}
    emit("http.lookup_latency_p50", goal["p50_ms"], "ms", **common, note=NOTE)
    line = emit("http.lookup_latency_p99", goal["p99_ms"], "ms", **common, p90_ms=goal["p90_ms"], max_ms=goal["max_ms"],
                cpu_ms_per_request=goal["cpu_ms_per_request"], fill_s=round(fill_s, 1), fill=filled, note=NOTE)
    if len(results) > 1:
        best = next((r for r in results if r["meets_goal"]), None)
        emit("http.lookup_max_rate_meeting_goal", best["rate"] if best else 0, "req/s", goal_p99_ms=GOAL_P99_MS,
             orders=filled["orders"], tried=[{k: r[k] for k in ("rate", "p50_ms", "p99_ms", "max_ms", "errors", "achieved_rate",
                                                                   "meets_goal")} for r in results],
             note="the highest rate tried (500, then 400, 300, 250, 200, 150, 100, 50 until one met it) with p99 ≤ 50 ms "
                  "and no errors, each measured like the goal rate; " + NOTE)
    return line


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="jidi-bench-") as tmp, throwaway_database() as url:
        run(settings_for(url, Path(tmp)), url, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
