"""What the benchmarks share: run size, JSON output, interleaved rounds, the throwaway database, fakes."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import subprocess
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg

from jidi import regions, values
from jidi.bootstrap import Container, bootstrap
from jidi.config import Settings
from jidi.db import make_engine
from jidi.errors import AppError
from jidi.migrate import upgrade

PG_ADMIN_URL = os.environ.get("JIDI_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclasses.dataclass(frozen=True)
class Size:
    """How much work each benchmark does: full by default, a few iterations with JIDI_BENCH_SMOKE=1."""

    mode: str
    field_rounds: int
    field_ops: int          # seals (or opens) per variant per round
    field_subjects: int
    http_warmup: int        # round trips per variant before measuring
    http_rounds: int
    http_batch: int         # round trips per variant per round
    hash_count: int         # single hashes timed for the hash time
    login_rounds: int
    login_batch: int        # logins per thread per round


FULL = Size("full", field_rounds=21, field_ops=2000, field_subjects=200, http_warmup=3, http_rounds=30, http_batch=2,
            hash_count=15, login_rounds=7, login_batch=4)
SMOKE = Size("smoke", field_rounds=2, field_ops=50, field_subjects=10, http_warmup=1, http_rounds=2, http_batch=1,
             hash_count=2, login_rounds=1, login_batch=1)


def size() -> Size:
    return SMOKE if os.environ.get("JIDI_BENCH_SMOKE", "").strip() not in ("", "0") else FULL


def standalone(run: Callable[[Path], object]) -> int:
    """`python -m bench.<name>`: one benchmark on its own, in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="jidi-bench-") as tmp:
        run(Path(tmp))
    return 0


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def emit(name: str, value: float, unit: str, **extra) -> dict:
    line = {"name": name, "value": round(value, 3), "unit": unit, "mode": size().mode, **extra}
    print(json.dumps(line, ensure_ascii=False), flush=True)
    return line


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def interleave(variants: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run each variant once per round, alternating the order (A B, B A, …); return each one's results."""
    names = list(variants)
    out: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for n in names if r % 2 == 0 else reversed(names):
            out[n].append(variants[n]())
    return out


def paired_ratio(num: list[float], den: list[float]) -> float:
    """The median of per-round ratios: both sides of a round ran back to back, under the same load."""
    return median([a / b for a, b in zip(num, den)])


def quartiles(xs: list[float]) -> tuple[float, float]:
    """The 25th and 75th percentiles (the spread a noisy machine leaves), or (min, max) for tiny samples."""
    if len(xs) < 4:
        return min(xs), max(xs)
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


# -- the throwaway database -------------------------------------------------------------------------------
@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database `jidi_bench_<random>`; dropped on the way out, whatever happens."""
    name = f"jidi_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"created database {name}")
    try:
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"dropped database {name}")


# -- fakes injected into the container ------------------------------------------------------------------
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


class RecordingSms:
    """The fake carrier: keeps the newest code sent to each number until the benchmark reads it."""

    name = "bench"

    def __init__(self):
        self._codes: dict[str, str] = {}
        self._lock = threading.Lock()

    def deliver(self, phone: str, text: str, reference: str) -> None:
        m = _CODE.search(text)
        if m:
            with self._lock:
                self._codes[phone] = m.group(1)

    def request_deletion(self, references: list[str]) -> None:
        return None

    def take_code(self, phone: str) -> str:
        with self._lock:
            code = self._codes.pop(phone, None)
        if code is None:
            raise AssertionError("no code was delivered to that number")
        return code


class Clock:
    """The injected clock: moved forward past the resend limit and to a new day between round trips."""

    def __init__(self):
        self.now = dt.datetime.now(dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += dt.timedelta(**kw)


class Phones:
    """Fresh, valid mainland mobile numbers (139xxxxxxxx), never the same twice in one run."""

    def __init__(self, prefix: str = "139"):
        self.prefix = prefix
        self._rng = random.Random()
        self._used: set[str] = set()

    def __call__(self) -> str:
        while True:
            raw = self.prefix + f"{self._rng.randrange(10**8):08d}"
            if raw in self._used:
                continue
            try:
                number = values.phone(raw)
            except AppError:
                continue
            self._used.add(number)
            return number


@dataclasses.dataclass
class Variant:
    label: str
    container: Container
    sms: RecordingSms
    clock: Clock


def settings_for(database_url: str, tmp: Path) -> Settings:
    # The benchmarks ask for many SMS codes from one address, in quick succession: the code limits are raised (every
    # request is still counted by the rate limiter).
    return Settings(env="test", var_dir=tmp / "var", key_source=str(tmp / "keys.json"), database_url=database_url,
                    queue_url="immediate", embedded_worker=False, cookie_secure=True, sms_code_limits="1000000/minute",
                    sms_daily_cap_per_client=10**9, sms_daily_cap_per_phone=10**9)


def make_variant(label: str, settings: Settings, engine, cipher=None) -> Variant:
    sms, clock = RecordingSms(), Clock()
    c = bootstrap(settings, engine=engine, cipher=cipher, sms=sms, clock=clock)
    return Variant(label, c, sms, clock)


def stop_process(proc) -> None:
    """Stop a benchmark's server subprocess: politely, then for sure."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- bulk-loaded orders (set-based, PostgreSQL) -------------------------------------------------------------------
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
# Cumulative shares (percent) of the statuses: mostly delivered, some on the way, awaiting pickup, cancelled …
SHARES = (("awaiting_payment", 2), ("awaiting_pickup", 8), ("cancelled", 10), ("picked_up", 14), ("in_transit", 28),
          ("out_for_delivery", 33), ("refused", 34), ("returning", 35), ("returned", 36), ("delivered", 100))


def _luhn_sql(body: str, digits: int = 12) -> str:
    """The Luhn check digit of a `digits`-long digit string expression, in SQL (stdnum.luhn.calc_check_digit)."""
    terms = []
    for i in range(1, digits + 1):
        d = f"substr({body}, {i}, 1)::int"
        # Counted from the right of body + check digit, the body's last digit is doubled, then every second one.
        terms.append(f"(2 * {d} - 9 * ({d} / 5))" if (digits - i) % 2 == 0 else d)
    return f"((10 - ({' + '.join(terms)}) %% 10) %% 10)"  # %% : psycopg's escape


def _status_sql(shares) -> str:
    cases = [f"WHEN s.r < {high / 100} THEN '{status}'" for status, high in shares]
    return "CASE " + " ".join(cases) + " END"


def fill_orders(database_url: str, n: int, seed: int = 20261123, *, shares=SHARES, created_days_ago: tuple[int, int] = (40, 38),
                time_ordered: bool = False, pickup_records: bool = False, subject_keys: bool = False) -> dict:
    """n orders (two parties each) and the route events of those past pickup, set-based; returns counts and seconds.

    Valid waybill numbers (JD + 12 digits + a Luhn check digit computed in SQL; the 12 digits are an affine bijection
    of the row number modulo 10^12, so unique and scattered), statuses drawn by `shares`, real county-level region
    codes, creation times spread over `created_days_ago` = (oldest, span) days ago — in random order, or with
    `time_ordered` rising with the row number (give or take an hour) as a live system appends them — each status
    change 6 hours after the one before. Personal columns hold random bytes (nothing is sealed: nothing here opens them). Optionally a
    real-name pickup record for every order past pickup and a subject key row for every subject (order, parties,
    pickup records), as the sweep that shreds them meets them. ANALYZE afterwards.
    """
    rng = random.Random(seed)
    codes = [r.code for p in regions.provinces() for _, leaves in regions.leaves_under(p.code) for r in leaves]
    mult = rng.randrange(10**11, 10**12) | 1
    while mult % 5 == 0:
        mult += 2
    offset = rng.randrange(10**12)
    oldest, span = created_days_ago
    if time_ordered:
        created_at = "(g::float8 / %(n)s * %(span)s) * interval '1 day' + random() * interval '1 hour'"
    else:
        created_at = "random() * %(span)s * interval '1 day'"
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
                         now() - %(oldest)s * interval '1 day' + {created_at} AS created
                  FROM generate_series(1, %(n)s) AS g) AS s
            CROSS JOIN LATERAL (SELECT {_status_sql(shares)} AS status) AS st0
            CROSS JOIN LATERAL (SELECT st0.status AS status,
                                       COALESCE(jsonb_array_length(%(plan)s::jsonb -> st0.status), 0) AS steps) AS st
        """, {"codes": codes, "ncodes": len(codes), "n": n, "plan": json.dumps(PLAN), "oldest": oldest, "span": span})
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
        tables = ["orders", "order_parties", "route_events"]
        if pickup_records:
            t = time.perf_counter()
            conn.execute("""
                INSERT INTO pickup_records (id, order_id, subject_id, id_type, id_number, id_number_bidx, real_name, courier_id,
                                            reused_identity, picked_up_at)
                SELECT gen_random_uuid(), o.id, gen_random_uuid(), 'resident_id', uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()),
                       sha256(uuid_send(gen_random_uuid())), uuid_send(gen_random_uuid()), gen_random_uuid(), false,
                       o.created_at + interval '6 hours'
                FROM orders o WHERE o.status = ANY(%(picked)s)
            """, {"picked": list(PLAN)})
            timings["pickups_s"] = time.perf_counter() - t
            tables.append("pickup_records")
        if subject_keys:
            t = time.perf_counter()
            subjects = "SELECT subject_id FROM orders UNION ALL SELECT subject_id FROM order_parties"
            if pickup_records:
                subjects += " UNION ALL SELECT subject_id FROM pickup_records"
            conn.execute(f"""
                INSERT INTO subject_keys (subject_id, master_version, wrapped_key, created_at)
                SELECT s.subject_id, 1, uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()),
                       now()
                FROM ({subjects}) AS s
            """)
            timings["subject_keys_s"] = time.perf_counter() - t
            tables.append("subject_keys")
        t = time.perf_counter()
        conn.execute("ANALYZE")
        timings["analyze_s"] = time.perf_counter() - t
        counts = {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in tables}
    return {**counts, **{k: round(v, 1) for k, v in timings.items()}}
