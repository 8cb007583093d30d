"""Cash-on-delivery reconciliation over a million collected orders: the time of `Cod.reconcile()` and its gap (0).

Entry point: `run(tmp_path) -> list[dict]` (makes its own throwaway PostgreSQL database). Standalone: `python -m bench.cod`
(JIDI_BENCH_SMOKE=1: 2,000 orders).

Setup (not timed; reported as `fill_s`): one INSERT … SELECT over generate_series writes N collected COD orders
(amounts 1–500 yuan); the orders collected before the last day are paid out, 50 to a payout
(N × 0.9 / 50 payouts, each the sum of its orders), the rest wait; then ANALYZE. Measured: `Cod.reconcile()` of a
container built by `jidi.bootstrap.bootstrap` against that database: two aggregate statements (the sums of every
order by state, and every sent payout against the sum and count of its orders).
"""
from __future__ import annotations

import time
from pathlib import Path

import psycopg

from bench.harness import emit, log, settings_for, size, standalone, throwaway_database
from jidi.bootstrap import bootstrap

NOTE = ("Cod.reconcile() on PostgreSQL (same machine) over N collected COD orders, 90% paid out in payouts "
        "of 50 orders, 10% waiting: 2 aggregate statements (sums by state; every sent payout against its orders); "
        "value = seconds of one reconciliation, best of 3")
PER_PAYOUT = 50


def _orders() -> int:
    return 2_000 if size().mode == "smoke" else 1_000_000


def _fill(url: str, n: int) -> dict:
    paid = n * 9 // 10 // PER_PAYOUT * PER_PAYOUT
    with psycopg.connect(url) as conn:
        conn.execute("""
            INSERT INTO cod_payouts (id, owner_id, business_day, attempt, amount_fen, orders, status, serial, created_at, settled_at)
            SELECT md5('p' || g)::uuid, NULL, DATE '2026-01-01' + (g %% 300), 1 + g / 1000000, 0, %(per)s, 'sent', 'PO' || g, now(), now()
            FROM generate_series(0, %(payouts)s - 1) g""", {"per": PER_PAYOUT, "payouts": paid // PER_PAYOUT})
        conn.execute("""
            INSERT INTO cod_orders (id, order_id, waybill_no, owner_id, amount_fen, status, created_at, collected_at, payout_id)
            SELECT md5('o' || g)::uuid, md5('w' || g)::uuid, 'JD' || lpad(g::text, 13, '0'), NULL, 100 + (g::bigint * 7919) %% 50000,
                   CASE WHEN g < %(paid)s THEN 'paid_out' ELSE 'collected' END, now() - interval '3 days', now() - interval '2 days',
                   CASE WHEN g < %(paid)s THEN md5('p' || (g / %(per)s))::uuid END
            FROM generate_series(0, %(n)s - 1) g""", {"paid": paid, "per": PER_PAYOUT, "n": n})
        conn.execute("""
            UPDATE cod_payouts p SET amount_fen = s.fen FROM (
              SELECT payout_id, sum(amount_fen) AS fen FROM cod_orders WHERE payout_id IS NOT NULL GROUP BY payout_id) s
            WHERE s.payout_id = p.id""")
        conn.execute("ANALYZE cod_orders")
        conn.execute("ANALYZE cod_payouts")
        total = conn.execute("SELECT sum(amount_fen) FROM cod_orders").fetchone()[0]
    return {"orders": n, "paid_out_orders": paid, "payouts": paid // PER_PAYOUT, "collected_fen": int(total)}


def run(tmp_path: Path) -> list[dict]:
    n = _orders()
    with throwaway_database() as url:
        t = time.perf_counter()
        filled = _fill(url, n)
        fill_s = time.perf_counter() - t
        log(f"cod: filled in {fill_s:.1f} s: {filled}")
        c = bootstrap(settings_for(url, tmp_path))
        try:
            times, result = [], None
            for _ in range(3):
                t = time.perf_counter()
                result = c.cod.reconcile()
                times.append(time.perf_counter() - t)
        finally:
            c.engine.dispose()
    assert result is not None and result.orders == n and result.collected_fen == filled["collected_fen"], (result, filled)
    log(f"cod: reconciliation of {n:,} orders in {min(times):.2f} s, gap {result.gap_fen}")
    return [
        emit("cod.reconcile_orders", min(times), "s", orders=n, payouts=filled["payouts"], collected_fen=result.collected_fen,
             paid_out_fen=result.paid_out_fen, waiting_fen=result.waiting_fen, runs_s=[round(x, 3) for x in times],
             fill_s=round(fill_s, 1), note=NOTE),
        emit("cod.reconciliation_gap", result.gap_fen + result.mismatched_payouts, "fen", orders=n,
             note="collected − paid out − waiting, plus payouts whose amount is not their orders' sum: must be 0"),
    ]


if __name__ == "__main__":
    raise SystemExit(standalone(run))
