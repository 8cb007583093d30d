"""Couriers (jidi.couriers) on PostgreSQL, through the service (in process, no HTTP):

* location pings ingested per second: couriers on duty with consent, each call a batch of 100 pings (one sealed row
  per batch, as the courier app uploads them), from two threads — goal ≥ 10,000/s;
* a courier's task list of 200 stops (masked like the privacy waybill: two values opened per stop to be masked),
  p50 and p99 of `Couriers.day` — goal p99 ≤ 50 ms.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from bench.harness import Clock, RecordingSms, emit, log, settings_for, size, standalone, throwaway_database
from jidi.bootstrap import bootstrap
from jidi.couriers.service import WorkerIn
from jidi.privacy import Actor, Role
from jidi.shipping.service import OrderIn, PartyIn

DISTRICT = "110105"


def _courier(c, admin: Actor, i: int) -> Actor:
    number = f"11010519800101{i:03d}"
    from stdnum.cn import ric  # noqa: PLC0415

    number = next(number + d for d in "0123456789X" if ric.is_valid(number + d))
    out = c.couriers.onboard(WorkerIn("courier", "基准物流", f"c{i}@example.com", "快递员", f"快递员{i}", "resident_id",
                                      number, [DISTRICT if i == 0 else "310106"]), by=admin)
    return Actor(out.user_id, Role.COURIER)


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def run(tmp: Path) -> None:
    smoke = size().mode == "smoke"
    with throwaway_database() as url:
        c = bootstrap(settings_for(url, tmp), sms=RecordingSms(), clock=Clock())
        try:
            admin_id, _, _ = c.accounts.create_staff(Role.ADMIN, "bench_admin", "bench-admin-pass")
            admin = Actor(admin_id, Role.ADMIN)
            couriers = [_courier(c, admin, i) for i in range(4 if smoke else 20)]
            for a in couriers:
                c.couriers.set_duty(a, True)
                c.couriers.set_location_consent(a, True, "zh_CN", how="api")

            # -- pings --------------------------------------------------------------------------------------------
            now = c.clock()
            batch = [(now, 39.92 + k * 1e-5, 116.44, 10) for k in range(100)]
            seconds = 1.0 if smoke else 8.0
            counts = [0, 0]

            def worker(slot: int) -> None:
                mine = couriers[slot::2]
                deadline = time.perf_counter() + seconds
                k = 0
                while time.perf_counter() < deadline:
                    counts[slot] += c.couriers.record_pings(mine[k % len(mine)], batch)
                    k += 1

            start = time.perf_counter()
            threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - start
            emit("couriers.location_pings", sum(counts) / elapsed, "pings/s", batch=100, threads=2, goal=">= 10000",
                 note="service in process, PostgreSQL; one sealed row per batch of 100")

            # -- the task list of 200 stops -----------------------------------------------------------------------
            stops = 20 if smoke else 200
            sender = PartyIn("王小明", "13912345678", DISTRICT, "阜通东大街6号")
            recipient = PartyIn("李华", "13700001111", "310106", "南京西路1266号")
            log(f"placing {stops} orders")
            for _ in range(stops):
                c.shipping.place(None, OrderIn(sender, recipient, "书", "books", 1, 1000, 0, "standard", "pay_later"))
            made = c.couriers.dispatch()
            me = couriers[0]
            assert len(c.couriers.day(me)) == stops, made
            times = []
            for _ in range(20 if smoke else 100):
                t0 = time.perf_counter()
                c.couriers.day(me)
                times.append((time.perf_counter() - t0) * 1000)
            emit("couriers.task_list_200_p50", _pct(times, 0.5), "ms", stops=stops)
            emit("couriers.task_list_200_p99", _pct(times, 0.99), "ms", stops=stops, goal="<= 50")
        finally:
            c.engine.dispose()


def main() -> int:
    return standalone(run)


if __name__ == "__main__":
    raise SystemExit(main())

