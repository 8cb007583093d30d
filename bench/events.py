"""The event relay with a real worker: events delivered per second, and commit-to-handler latency.

A Huey consumer (threads, as `jidi worker` runs them) takes the relay jobs from Redis; a producer commits events,
one per transaction as a feature would, each carrying the time it was recorded. The handler notes how long after
that it ran. Two runs: a burst (as fast as the producer can commit: the relay's throughput) and a steady rate
(latency at a load the relay keeps up with: p50 and p99 from record to handler).
"""
from __future__ import annotations

import threading
import time

import redis

from bench.harness import emit, log, size
from jidi.bootstrap import bootstrap
from jidi.events import handles
from jidi.jobs import EmbeddedWorker

QUEUE_URL = "redis://127.0.0.1:6379/14"

_lock = threading.Lock()
_latencies: list[float] = []
_delivered_at: list[float] = []


@handles("bench.ping", "bench.ping")
def _ping(container, session, event) -> None:
    now = time.perf_counter()
    with _lock:
        _latencies.append(now - event.payload["t"])
        _delivered_at.append(now)


def _wait_for(n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            if len(_latencies) >= n:
                return
        time.sleep(0.01)
    raise RuntimeError(f"only {len(_latencies)} of {n} events were delivered in {timeout:.0f} s")


def _produce(c, n: int, rate: float | None) -> float:
    start = time.perf_counter()
    for i in range(n):
        if rate:
            pause = start + i / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        with c.uow() as s:
            c.events.record(s, "bench.ping", t=time.perf_counter())
    return start


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def run(settings) -> None:
    smoke = size().mode == "smoke"
    burst, steady, rate = (40, 20, 20.0) if smoke else (3000, 1500, 100.0)
    redis.Redis.from_url(QUEUE_URL).flushdb()
    c = bootstrap(settings.model_copy(update={"queue_url": QUEUE_URL}))
    worker = EmbeddedWorker(c.queue, workers=2)
    worker.start()
    try:
        _latencies.clear(), _delivered_at.clear()
        start = _produce(c, burst, None)
        _wait_for(burst, 300)
        seconds = max(_delivered_at) - start
        emit("events.relay_burst", burst / seconds, "events/s", events=burst, workers=2,
             note="one event per transaction committed as fast as one producer can; a Huey consumer on Redis relays")
        log(f"events: burst of {burst} delivered in {seconds:.2f} s")
        _latencies.clear(), _delivered_at.clear()
        _produce(c, steady, rate)
        _wait_for(steady, 300)
        emit("events.commit_to_handler_p50", _pct(_latencies, 0.50) * 1000, "ms", rate_per_s=rate, events=steady)
        emit("events.commit_to_handler_p99", _pct(_latencies, 0.99) * 1000, "ms", rate_per_s=rate, events=steady,
             note="from recording the event (just before its commit) to the handler running, worker on Redis")
    finally:
        worker.stop()
        c.engine.dispose()
        redis.Redis.from_url(QUEUE_URL).flushdb()
