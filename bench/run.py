"""`python -m bench`: set up a throwaway PostgreSQL database and two containers, run every benchmark."""
from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

from bench import (
    audit, cod, consent, couriers, events, fields, lookup, marketing, orders, pages, passwords, payments, policy, retention,
    rights, roundtrip, tracking,
)
from bench.harness import Phones, emit, log, make_variant, settings_for, size, throwaway_database
from bench.noop import NoopCipher
from jidi.db import make_engine

BENCHMARKS = ("fields", "consent", "http", "orders", "pages", "passwords", "tracking", "events", "policy", "audit", "lookup", "retention",
              "rights",
              "marketing", "cod", "payments", "couriers")


def _selected() -> list[str]:
    only = os.environ.get("JIDI_BENCH_ONLY", "").strip()
    if not only:
        return list(BENCHMARKS)
    chosen = [b.strip() for b in only.split(",") if b.strip()]
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"JIDI_BENCH_ONLY: unknown benchmark(s) {sorted(unknown)}; choose from {BENCHMARKS}")
    return chosen


def main() -> int:
    started = time.perf_counter()
    load_before = os.getloadavg()
    chosen = _selected()
    logging.getLogger("jidi").setLevel(logging.WARNING)
    log(f"mode={size().mode}, benchmarks={','.join(chosen)}, cpus={os.cpu_count()}, load={load_before[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="jidi-bench-") as tmp, throwaway_database() as url:
        settings = settings_for(url, Path(tmp))
        engine = make_engine(url)
        try:
            on = make_variant("aesgcm", settings, engine)  # the real privacy core
            off = make_variant("noop", settings, engine, cipher=NoopCipher())  # injected here, never a setting
            phones = Phones()
            crypto_us = None
            if "fields" in chosen:
                seal, open_ = fields.run(on, off, phones)
                crypto_us = (seal["crypto_us"], open_["crypto_us"])
            if "consent" in chosen:
                consent.run(on, phones)
            if "http" in chosen:
                roundtrip.run(on, off, phones, crypto_us)
            if "orders" in chosen:
                orders.run(on, off, phones)
            if "pages" in chosen:
                pages.run(on, phones)
            if "passwords" in chosen:
                passwords.run(on, phones)
            if "tracking" in chosen:
                tracking.run(on, phones, Path(tmp))
                tracking.status_event_cost(on, phones, Path(tmp))
            if "events" in chosen:
                events.run(settings)
            if "policy" in chosen:
                policy.run(on)
            if "payments" in chosen:
                payments.run(on, off, phones, Path(tmp))
        finally:
            engine.dispose()
    if "audit" in chosen:
        # Its own database: client processes write into it for a fixed time.
        with tempfile.TemporaryDirectory(prefix="jidi-bench-") as tmp:
            audit.run(Path(tmp))
    if "lookup" in chosen:
        # Its own database: it bulk-loads a million orders with waybill numbers of its own scheme.
        with tempfile.TemporaryDirectory(prefix="jidi-bench-") as tmp, throwaway_database() as url:
            lookup.run(settings_for(url, Path(tmp)), url, Path(tmp))
    if "retention" in chosen:
        # Its own database too: a million finished orders that the sweep anonymises.
        with tempfile.TemporaryDirectory(prefix="jidi-bench-") as tmp:
            retention.run(Path(tmp))
    if "rights" in chosen:
        # Its own database: a million orders, 100,000 users, real subjects; a server and a worker process on Redis.
        with tempfile.TemporaryDirectory(prefix="jidi-bench-") as tmp:
            rights.run(Path(tmp))
    if "marketing" in chosen:
        # Its own database: 100,000 users, five channels of consents in the ledger.
        with tempfile.TemporaryDirectory(prefix="jidi-bench-") as tmp:
            marketing.run(Path(tmp))
    if "cod" in chosen:
        # Its own database: a million collected cash-on-delivery orders and their payouts.
        with tempfile.TemporaryDirectory(prefix="jidi-bench-") as tmp:
            cod.run(Path(tmp))
    if "couriers" in chosen:
        # Its own database: couriers on duty sending pings, and one courier's day of 200 stops.
        with tempfile.TemporaryDirectory(prefix="jidi-bench-") as tmp:
            couriers.run(Path(tmp))
    load_after = os.getloadavg()
    emit("bench.wall_time", time.perf_counter() - started, "s", cpus=os.cpu_count(),
         loadavg_1min_before=round(load_before[0], 2), loadavg_1min_after=round(load_after[0], 2),
         note="the whole run after imports: setup and teardown of the throwaway database included")
    return 0
