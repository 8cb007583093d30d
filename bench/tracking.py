"""Route-event ingestion through the real HTTP API into PostgreSQL: events per second, batches of 1,000.

Setup (not timed): paid orders that a courier has picked up, inserted in bulk through the ORM (every party sealed
under its own subject key, as the shipping service does), a scanner source and its API key. Ingestion cannot take a
parcel into the network: only a courier's real-name pickup (`Shipping.pick_up`, JD-1.1.2(6)b) moves an order out of
"awaiting pickup", and a scanned `picked_up` for it is rejected (`real_name_pickup_required`). So the bulk loader
stands in for the pickups, as they leave the database: status `picked_up` at the pickup time and the route's
`picked_up` event from the courier-app source (what `Tracking.record_courier_event` writes). It writes no
real-name pickup record (sealed ID data): ingestion never reads one. Then a real uvicorn server is started in a
subprocess (`uvicorn --factory jidi.web.app:app_from_env`, uvloop + httptools, its own container built from the
environment, the embedded queue worker off) and the benchmark process posts pre-serialised batches to it with
httpx clients, a few requests in flight at once.

The timed traffic moves every picked-up order through the rest of its route in six waves — arrived_facility,
departed_facility (origin hub), arrived_facility, departed_facility (destination hub), out_for_delivery, delivered
— each batch holding one event for each of 1,000 different orders (a sorting centre's scanner sees many parcels
once each). A batch waits for the previous wave of the same orders, so every event is a valid transition that
moves its order (every wave updates `orders`). On top, like real scanner traffic: 2% of the first departure scans
arrive late, after delivery (accepted into the route, status not moved back), and one batch in ten is sent twice
(a retry: all duplicates). Out-for-delivery and delivery queue route-SMS jobs (ids only) after each commit; the
jobs wait in the queue (no worker runs during the measurement, as in production the worker runs on other
machines), so the number is ingestion alone.

Comparable with the runs before the scanned pickup was refused (when the first wave was a `picked_up` scan of
orders awaiting pickup): the same six timed events per order, each moving its order, the same shares of late scans
and retries. The differences: route_events holds one more row per order (the pickup's, written by the setup: 7
instead of 6), and two waves of six queue route-SMS jobs instead of three (a queue insert per 500 events). Measured
back to back on the 2-core machine (load about 3), the old and the new traffic gave the same rate within noise
(about 22,400 events/s each) and the same CPU per event (server 31.5 µs, PostgreSQL 36 µs, client 5 µs).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench.harness import Phones, Variant, emit, log, median, size, stop_process
from jidi import waybill
from jidi.shipping import states
from jidi.shipping.models import Order, OrderParty
from jidi.shipping.service import pickup_site
from jidi.tracking.models import RouteEvent, TrackingSource
from jidi.tracking.service import COURIER_SOURCE_ID, COURIER_SOURCE_NAME

GOAL, MOONSHOT = 20_000, 45_000
# After the courier's real-name pickup (done by the setup): origin hub, destination hub, delivery.
STEPS = ("arrived_facility", "departed_facility", "arrived_facility", "departed_facility", "out_for_delivery", "delivered")
LATE_WAVE = 1  # 2% of its scans (the origin hub's departures) arrive after delivery
SITES = [("SH-HUB-01", "上海华东转运中心"), ("NJ-HUB-02", "南京分拨中心"), ("BJ-HD-01", "北京海淀分拣中心"), ("GZ-BY-03", "广州白云转运中心")]


def _params() -> dict:
    if size().mode == "smoke":
        return {"orders": 200, "batch": 100, "rounds": 1, "workers": 1, "in_flight": 2}
    # Two uvicorn workers (one per core) with three or four requests in flight measured best on the 2-core machine:
    # one worker leaves a core to PostgreSQL but serialises the Python work (about 24k/s against 28k/s).
    return {"orders": 10_000, "batch": 1000, "rounds": 3,
            "workers": int(os.environ.get("JIDI_BENCH_TRACKING_WORKERS", "2")),
            "in_flight": int(os.environ.get("JIDI_BENCH_TRACKING_IN_FLIGHT", "4"))}


# -- setup ----------------------------------------------------------------------------------------------------
def create_orders(v: Variant, phones: Phones, n: int, picked_up_at: dt.datetime, chunk: int = 2000) -> list[str]:
    """n paid orders that a courier picked up at `picked_up_at` (status picked_up, and the courier app's picked_up
    route event, as `Shipping.pick_up` leaves them), both parties sealed, inserted in chunks; returns their waybills."""
    c = v.container
    numbers: list[str] = []
    now = dt.datetime.now(dt.timezone.utc)  # the server in the subprocess runs on real time, not the injected clock
    placed_at = picked_up_at - dt.timedelta(hours=1)
    site_code, site_name = pickup_site("320106")
    with c.uow() as s:
        if s.get(TrackingSource, COURIER_SOURCE_ID) is None:  # as record_courier_event creates it: no usable key
            s.add(TrackingSource(id=COURIER_SOURCE_ID, name=COURIER_SOURCE_NAME, kind="courier_app", active=False, created_at=now,
                                 api_key_hash=c.secrets.token_hash(c.secrets.new_token())))
    for start in range(0, n, chunk):
        with c.uow() as s:
            rows = []
            for _ in range(min(chunk, n - start)):
                order = Order(
                    id=uuid.uuid4(), waybill_no=waybill.new_waybill_no(), owner_id=None, status=states.PICKED_UP,
                    service_type="standard", payment_mode="pay_now", paid_at=placed_at, item_category="books", quantity=1,
                    weight_g=1200, declared_value_fen=0, price_fen=1200, origin_region="320106", dest_region="310104",
                    created_at=placed_at, updated_at=picked_up_at, status_at=picked_up_at,
                )
                order.item_name = "书"  # sealed at flush, each row under a one-off subject of its own
                rows.append(order)
                rows.append(RouteEvent(
                    source_id=COURIER_SOURCE_ID, event_id=f"{states.PICKED_UP}:{order.id.hex}", order_id=order.id,
                    waybill_no=order.waybill_no, event_time=picked_up_at, received_at=picked_up_at, action=states.PICKED_UP,
                    site_code=site_code, site_name=site_name, operator=None, delivered_as=None, exception=None))
                for role, region in (("sender", "320106"), ("recipient", "310104")):
                    party = OrderParty(id=uuid.uuid4(), order_id=order.id, role=role, region_code=region)
                    party.name, party.phone, party.address = "测试用户", phones(), "测试路1号院2号楼"
                    rows.append(party)
                numbers.append(order.waybill_no)
            s.add_all(rows)
    return numbers


def _batches(waybills: list[str], batch: int, t0: dt.datetime, rng: random.Random):
    """[(wave, group, body bytes, events in it)] in sending order, plus the late and the retried batches; the orders
    were picked up at t0."""
    groups = [waybills[i:i + batch] for i in range(0, len(waybills), batch)]
    late: list[dict] = []
    out = []
    for wave, action in enumerate(STEPS):
        for g, group in enumerate(groups):
            events = []
            for k, wb in enumerate(group):
                code, name = SITES[(k + wave) % len(SITES)]
                e = {"event_id": f"{wb}-{wave}", "waybill_no": wb,
                     "event_time": (t0 + dt.timedelta(minutes=30 * (wave + 1), milliseconds=k)).isoformat(),
                     "action": action, "site_code": code, "site_name": name, "operator": f"C{1000 + k % 500}"}
                if action == "delivered":
                    e["delivered_as"] = ("recipient", "locker", "station", "agent")[k % 4]
                if wave == LATE_WAVE and rng.random() < 0.02:
                    late.append(e)
                else:
                    events.append(e)
            out.append((wave, g, events))
    # The late departure scans, after delivery; then one batch in ten again (retries).
    for start in range(0, len(late), batch):
        out.append((len(STEPS), 0, late[start:start + batch]))
    retries = [b for i, b in enumerate(out[:len(STEPS) * len(groups)]) if i % 10 == 3]
    out += [(len(STEPS) + 1, g, events) for _, g, events in retries]
    return [(wave, g, json.dumps({"events": events}, ensure_ascii=False).encode(), len(events)) for wave, g, events in out]


# -- the server -------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu_seconds(pids) -> float:
    """User + system CPU time of these processes (Linux /proc; 0 where unreadable)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def _server_pids(pid: int) -> list[int]:
    """The uvicorn supervisor and its worker processes."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *map(int, children)]


def _backend_pids(v: Variant) -> list[int]:
    """The PostgreSQL backends serving the benchmark's database (the server's pools and this process)."""
    with v.container.engine.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")]


def app_without_status_events():
    """The app as `jidi.web.app:app_from_env` builds it, but recording no `order.status_changed` event (what the
    merchant webhooks react to): the comparison's other side, to price that event's part of ingestion."""
    from jidi.shipping.service import Shipping  # noqa: PLC0415
    from jidi.web.app import app_from_env  # noqa: PLC0415

    Shipping.announce_status = lambda self, s, changes: None  # type: ignore[method-assign]
    return app_from_env()


@contextlib.contextmanager
def server(v: Variant, workers: int, tmp: Path, factory: str = "jidi.web.app:app_from_env") -> Iterator[tuple[str, int]]:
    settings = v.container.settings
    port = _free_port()
    env = {**os.environ, "JIDI_ENV": "test", "JIDI_DATABASE_URL": settings.database_url, "JIDI_KEY_SOURCE": settings.key_source,
           "JIDI_VAR_DIR": str(tmp), "JIDI_QUEUE_URL": f"sqlite:///{tmp / 'queue.db'}",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]), "JIDI_EMBEDDED_WORKER": "false"}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{url}/api/v1/privacy/policy", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.2)
        yield url, proc.pid
    finally:
        stop_process(proc)


# -- one measured run ---------------------------------------------------------------------------------------
def _send(url: str, key: str, batches: list, in_flight: int) -> tuple[float, dict]:
    """Post every batch with `in_flight` requests at a time; a batch starts only after the previous wave of its
    orders has been answered. Returns (seconds, totals)."""
    done = {(wave, g): threading.Event() for wave, g, _, _ in batches}
    totals = {"accepted": 0, "duplicate": 0, "rejected": 0, "applied": 0, "requests": 0}
    codes: dict[str, int] = {}
    lock = threading.Lock()
    queue = list(reversed(batches))
    errors: list[BaseException] = []
    headers = {"X-Api-Key": key, "Content-Type": "application/json"}

    def worker():
        with httpx.Client(base_url=url, timeout=120) as client:
            while True:
                with lock:
                    if not queue or errors:
                        return
                    wave, g, body, _ = queue.pop()
                try:
                    if wave > 0 and (wave - 1, g) in done and wave <= len(STEPS) - 1:
                        done[(wave - 1, g)].wait()
                    elif wave >= len(STEPS):  # late scans and retries: after every regular wave
                        for (w, _), event in done.items():
                            if w < len(STEPS):
                                event.wait()
                    r = client.post("/api/v1/tracking/events", content=body, headers=headers)
                    if r.status_code != 200:
                        raise AssertionError(f"HTTP {r.status_code}: {r.text[:300]}")
                    result = r.json()
                    with lock:
                        totals["requests"] += 1
                        for k in ("accepted", "duplicate", "rejected"):
                            totals[k] += result[k]
                        for item in result["results"]:
                            totals["applied"] += item["applied"]
                            if item["code"]:
                                codes[item["code"]] = codes.get(item["code"], 0) + 1
                except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                    errors.append(exc)
                    return
                finally:
                    if wave < len(STEPS):
                        done[(wave, g)].set()

    threads = [threading.Thread(target=worker) for _ in range(in_flight)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    totals["codes"] = codes
    return elapsed, totals


def _round(on: Variant, url: str, pid: int, key: str, orders: list[str], batch: int, in_flight: int, t0: dt.datetime,
           rng: random.Random) -> tuple[float, dict, dict[str, float]]:
    """One measured round: every wave of `orders`. Returns (seconds, totals, CPU µs per event of server, PostgreSQL
    and client)."""
    batches = _batches(orders, batch, t0, rng)
    server_pids, backends = _server_pids(pid), _backend_pids(on)
    before = (_cpu_seconds(server_pids), _cpu_seconds(backends), time.process_time())
    seconds, totals = _send(url, key, batches, in_flight)
    after = (_cpu_seconds(server_pids), _cpu_seconds(backends), time.process_time())
    processed = totals["accepted"] + totals["duplicate"] + totals["rejected"]
    assert totals["rejected"] == 0, f"unexpected rejections: {totals['codes']}"
    with on.container.uow() as s:
        delivered = s.scalar(select(func.count()).select_from(Order).where(Order.waybill_no.in_(orders[:1000]),
                                                                          Order.status == states.DELIVERED))
    assert delivered == min(1000, len(orders)), f"only {delivered} orders delivered"
    used = {name: (a - b) / processed * 1e6 for name, b, a in zip(("server", "postgres", "client"), before, after)}
    return seconds, totals, used


def status_event_cost(on: Variant, phones: Phones, tmp: Path) -> dict:
    """What recording `order.status_changed` (shipping's durable event for the merchant webhooks, one event row per
    500 changed orders, in the ingestion's transaction) costs ingestion: the same traffic through two servers side by
    side, one recording the event and one not (`app_without_status_events`), rounds alternating on fresh orders."""
    p = _params()
    rng = random.Random(20261206)
    t0 = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    pairs = [(create_orders(on, phones, p["orders"], t0), create_orders(on, phones, p["orders"], t0)) for _ in range(p["rounds"])]
    _, key = on.container.tracking.create_source("bench scanners (status event)", "scanner")
    rates: dict[str, list[float]] = {"with_event": [], "without_event": []}
    cpu: dict[str, list[float]] = {"with_event": [], "without_event": []}
    (tmp / "with").mkdir(exist_ok=True)
    (tmp / "without").mkdir(exist_ok=True)
    with server(on, p["workers"], tmp / "with") as (url_with, pid_with), \
            server(on, p["workers"], tmp / "without", "bench.tracking:app_without_status_events") as (url_without, pid_without):
        for url in (url_with, url_without):
            warm = create_orders(on, phones, 50, t0)
            _send(url, key, _batches(warm, 50, t0, rng), 1)
        for i, (first, second) in enumerate(pairs):
            # Alternate which side goes first, so that neither always meets a warmer or a busier database.
            sides = [("with_event", url_with, pid_with, first), ("without_event", url_without, pid_without, second)]
            for name, url, pid, orders in (sides if i % 2 == 0 else sides[::-1]):
                seconds, totals, used = _round(on, url, pid, key, orders, p["batch"], p["in_flight"], t0, rng)
                processed = totals["accepted"] + totals["duplicate"]
                rates[name].append(processed / seconds)
                cpu[name].append(used["server"] + used["postgres"])
                log(f"tracking ({name}): {processed} events in {seconds:.2f} s = {processed / seconds:,.0f}/s")
    with_rate, without_rate = median(rates["with_event"]), median(rates["without_event"])
    return emit(
        "tracking.status_event_cost", round(100 * (1 - with_rate / without_rate), 1), "% of ingestion rate",
        with_event_per_s=round(with_rate, 1), without_event_per_s=round(without_rate, 1),
        cpu_us_per_event={name: round(median(values), 1) for name, values in cpu.items()},
        rates={name: [round(r, 1) for r in values] for name, values in rates.items()},
        orders_per_round=p["orders"], batch=p["batch"], pairs=p["rounds"], cpus=os.cpu_count(),
        loadavg_1min=round(os.getloadavg()[0], 2),
        note="value = how much slower ingestion is with the order.status_changed event than without (median rates of "
             "alternating rounds, same traffic as tracking.ingest_events, two uvicorn servers side by side: the app, and the "
             "app with Shipping.announce_status a no-op); cpu_us_per_event = server + PostgreSQL CPU per event; the event's "
             "delivery (the webhooks' handler) runs later in the worker, not measured here",
    )


def run(on: Variant, phones: Phones, tmp: Path) -> dict:
    p = _params()
    c = on.container
    rng = random.Random(20261123)
    log(f"tracking: {p['rounds']} rounds x {p['orders']} orders x {len(STEPS)} events, batches of {p['batch']}, "
        f"{p['workers']} uvicorn worker(s), {p['in_flight']} requests in flight")
    t0 = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)  # when the courier picked the orders up
    t = time.perf_counter()
    rounds_orders = [create_orders(on, phones, p["orders"], t0) for _ in range(p["rounds"])]
    setup_s = time.perf_counter() - t
    log(f"tracking: created {p['rounds'] * p['orders']} paid, picked-up orders in {setup_s:.1f} s")
    _, key = c.tracking.create_source("bench scanners", "scanner")
    rates, accepted_rates, runs = [], [], []
    cpu: dict[str, list[float]] = {"server": [], "postgres": [], "client": []}
    with server(on, p["workers"], tmp) as (url, pid):
        # Warm up: connections, the server's first-use compilation, PostgreSQL's caches (a few orders, not timed).
        warm = create_orders(on, phones, 50, t0)
        _send(url, key, _batches(warm, 50, t0, rng), 1)
        for orders in rounds_orders:
            seconds, totals, used = _round(on, url, pid, key, orders, p["batch"], p["in_flight"], t0, rng)
            processed = totals["accepted"] + totals["duplicate"] + totals["rejected"]
            for name in cpu:
                cpu[name].append(used[name])
            rates.append(processed / seconds)
            accepted_rates.append(totals["accepted"] / seconds)
            runs.append({"seconds": round(seconds, 3), "events": processed, **{k: totals[k] for k in ("accepted", "duplicate", "applied", "requests")}})
            log(f"tracking: {processed} events in {seconds:.2f} s = {processed / seconds:,.0f}/s "
                f"({totals['accepted']} accepted, {totals['duplicate']} duplicates, {totals['applied']} moved a status)")
    with c.uow() as s:
        stored = s.scalar(select(func.count()).select_from(RouteEvent))
    value = median(rates)
    return emit(
        "tracking.ingest_events", value, "events/s", goal=GOAL, moonshot=MOONSHOT, meets_goal=value >= GOAL,
        meets_moonshot=value >= MOONSHOT, accepted_per_s=round(median(accepted_rates), 1), rounds=runs,
        orders_per_round=p["orders"], batch=p["batch"], uvicorn_workers=p["workers"], in_flight=p["in_flight"],
        stored_events=stored, setup_orders_s=round(setup_s, 1), cpus=os.cpu_count(), loadavg_1min=round(os.getloadavg()[0], 2),
        cpu_us_per_event={name: round(median(values), 1) for name, values in cpu.items()},
        note="real uvicorn server in a subprocess (uvloop, httptools) + httpx clients in the benchmark process (threads), "
             "PostgreSQL on the same machine; POST /api/v1/tracking/events with pre-serialised batches; each batch: one "
             f"event for each of {p['batch']} orders, picked up by the setup (real-name pickup; a scanned pickup is refused), "
             "then waves arrived→departed→arrived→departed→out_for_delivery→delivered, "
             "2% of the first departures late (stale), 10% of batches retried (duplicates); value = events answered per second "
             "(accepted + duplicate), median of rounds; route-SMS jobs queued (SQLite queue), not delivered while measuring; "
             "cpu_us_per_event = CPU time per event of the uvicorn processes, of this database's PostgreSQL backends and of "
             "the client (from /proc; other load on the machine is not in it, but slows the wall-clock rate)",
    )
