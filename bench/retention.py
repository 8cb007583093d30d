"""The retention sweep over a million finished orders: orders anonymised per second, and the whole run's time.

Entry point: `run(tmp_path) -> dict` (makes its own throwaway PostgreSQL database; returns the emitted line).
Standalone: `python -m bench.retention` (JIDI_BENCH_SMOKE=1: 2,000 orders).

Setup (not timed; reported as `fill_s`): `bench.harness.fill_orders` bulk-loads 1,000,000 delivered orders, all past
the waybill period (created over a year, 4–5 years ago), each with its two parties, its real-name pickup record, its 4
route events (picked up, arrived, out for delivery, delivered) and a subject key row for each of its 4 subjects
(order, sender, recipient, pickup), then ANALYZE. Personal columns hold random bytes: the sweep never opens them.
Rows are stored in time order, as a live system appends them (`time_ordered`), so the orders of one batch (the
oldest first) sit on neighbouring pages, as they would in production; with creation times in random physical order
every deleted row is on another page and the sweep is IO-bound (128 MB shared buffers) at about a quarter of the rate
(measured once on the 2-core machine: 1,300 instead of 4,900 orders/s).

Measured: `RetentionSweep.run()` of a container built by `jidi.bootstrap.bootstrap` against that database (env=test),
with the default batch (5,000 orders per transaction, one statement each): every rule runs, the order rules do the
work. Afterwards the benchmark checks that no order, party, pickup record, route event or subject key is left and
that the statistics count every order exactly once.
"""
from __future__ import annotations

import time
from pathlib import Path

import psycopg

from bench.harness import emit, fill_orders, log, settings_for, size, standalone, throwaway_database
from jidi.bootstrap import bootstrap

NOTE = ("RetentionSweep.run() on PostgreSQL (same machine): delivered orders past the waybill period, each with 2 parties, "
        "a pickup record, 4 route events and 4 subject keys, anonymised into delivery_statistics and deleted with "
        "everything that belongs to them; rows stored in time order as a live system appends them; 5,000 orders per "
        "transaction (one statement: FOR UPDATE SKIP LOCKED batch, "
        "INSERT … ON CONFLICT DO UPDATE, DELETE … USING); value = orders / wall time of the whole run")


def _orders() -> int:
    return 2_000 if size().mode == "smoke" else 1_000_000


def run(tmp_path: Path) -> dict:
    n = _orders()
    with throwaway_database() as url:
        log(f"retention: filling {n:,} delivered orders past the waybill period")
        t = time.perf_counter()
        filled = fill_orders(url, n, shares=(("delivered", 100),), created_days_ago=(5 * 365, 365), time_ordered=True,
                             pickup_records=True, subject_keys=True)
        fill_s = time.perf_counter() - t
        log(f"retention: filled in {fill_s:.1f} s: {filled}")
        c = bootstrap(settings_for(url, tmp_path))
        try:
            t = time.perf_counter()
            report = c.retention.run()
            total_s = time.perf_counter() - t
        finally:
            c.engine.dispose()
        with psycopg.connect(url) as conn:
            left = {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                    for name in ("orders", "order_parties", "pickup_records", "route_events", "subject_keys")}
            counted = conn.execute("SELECT coalesce(sum(parcels), 0), count(*) FROM delivery_statistics").fetchone()
    anonymised = report.total("orders")
    assert anonymised == n and not any(left.values()) and counted[0] == n, (anonymised, left, counted)
    log(f"retention: {anonymised:,} orders in {total_s:.1f} s; {counted[1]:,} statistics rows")
    return emit("retention.sweep_orders", anonymised / total_s, "orders/s", total_s=round(total_s, 2), orders=anonymised,
                deleted={t: report.total(t) for t in ("order_parties", "pickup_records", "route_events", "subject_keys")},
                statistics_rows=counted[1], batch=c.retention.batch, fill_s=round(fill_s, 1), note=NOTE)


if __name__ == "__main__":
    raise SystemExit(standalone(run))
