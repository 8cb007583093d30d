"""Audited writes per second with 1, 4 and 16 concurrent clients on PostgreSQL. Goal: 16 clients ≥ 6× one client.

An audited write is one transaction as a feature writes it: a new data subject (its key row) and an audit record
about it (`Vault.record`), committed. Each client is a process of its own (as web workers are; forked), with its
own container built by `jidi.bootstrap.bootstrap` on the same throwaway database and key file; all clients start
together and write as fast as they can for DURATION_S. While they write, one more process seals the log every
second, as the periodic job does (`AuditLog.seal`), and the run ends with a seal and a `verify` of the whole log
(`verify_s`, both included), which must find nothing.

Each level runs ROUNDS times, levels interleaved (1, 4, 16, 16, 4, 1, …); value = the median writes/s over the
rounds.

A second measure (`audit.writes_in_transactions`) holds each transaction open HOLD_MS longer after the audit
record, as a feature's transaction does while it does its own work or waits on a database across the network.
On two cores the first measure is bound by the CPU the clients and the server share (one client already keeps
more than half a core busy), so it cannot show 6×; the second shows what the design is for: a design that
serialised audited transactions on one row (the former `audit_head`) would keep 16 clients at one client's rate,
this one lets them overlap. Entry point: `run(tmp_path) -> dict`; standalone: `python -m bench.audit` (JIDI_BENCH_SMOKE=1: 1 s, 1 round).
"""
from __future__ import annotations

import multiprocessing as mp
import time
import uuid
from pathlib import Path

from bench.harness import emit, log, median, settings_for, size, standalone, throwaway_database
from jidi.bootstrap import bootstrap
from jidi.privacy import Actor, Role

CLIENTS = (1, 4, 16)
GOAL = 6.0
HOLD_MS = 5.0  # the second measure: other work in the same transaction after the audit record


def _timing() -> tuple[float, int]:
    return (1.0, 1) if size().mode == "smoke" else (5.0, 3)


def _client(url: str, tmp: str, start, stop_at, out, hold_s: float) -> None:
    c = bootstrap(settings_for(url, Path(tmp)))
    actor = Actor(uuid.uuid4(), Role.SUPPORT_AGENT)

    def write() -> None:
        with c.uow() as s:
            subject = c.vault.create_subject(s)
            c.audit.record(s, actor=actor, action="staff_change", subject_id=subject, fields=["users.email"],
                           purpose="customer_service", detail="bench")
            if hold_s:
                time.sleep(hold_s)  # the rest of the feature's transaction: the audit record is already written

    write()  # warm up before the start: connection, compiled statements
    start.wait()
    n = 0
    while time.time() < stop_at.value:
        write()
        n += 1
    c.engine.dispose()
    out.put(n)


def _sealer(url: str, tmp: str, start, stop_at, out) -> None:
    c = bootstrap(settings_for(url, Path(tmp)))
    sealed = 0
    start.wait()
    while time.time() < stop_at.value:
        time.sleep(1.0)
        sealed += c.audit.seal(c.uow)
    c.engine.dispose()
    out.put(sealed)


def _level(ctx, url: str, tmp: str, clients: int, duration: float, hold_s: float = 0.0) -> tuple[float, int]:
    start, out, sealed = ctx.Barrier(clients + 2), ctx.Queue(), ctx.Queue()
    stop_at = ctx.Value("d", float("inf"))
    procs = [ctx.Process(target=_client, args=(url, tmp, start, stop_at, out, hold_s)) for _ in range(clients)]
    sealer = ctx.Process(target=_sealer, args=(url, tmp, start, stop_at, sealed))
    for p in procs + [sealer]:
        p.start()
    start.wait()
    t0 = time.time()
    stop_at.value = t0 + duration
    total = sum(out.get() for _ in procs)
    elapsed = time.time() - t0
    for p in procs + [sealer]:
        p.join()
    return total / elapsed, sealed.get()


def run(tmp_path: Path) -> dict:
    duration, rounds = _timing()
    ctx = mp.get_context("fork")  # the clients start with jidi imported: only their own container is built
    with throwaway_database() as url:
        c = bootstrap(settings_for(url, tmp_path))  # creates the run's key file before the clients read it
        results: dict[int, list[float]] = {n: [] for n in CLIENTS}
        held: dict[int, list[float]] = {n: [] for n in CLIENTS}
        for r in range(rounds):
            for n in CLIENTS if r % 2 == 0 else reversed(CLIENTS):
                rate, sealed = _level(ctx, url, str(tmp_path), n, duration)
                log(f"audit: {n} clients: {rate:.0f} audited writes/s (sealed while writing: {sealed})")
                results[n].append(rate)
                rate, sealed = _level(ctx, url, str(tmp_path), n, duration, HOLD_MS / 1000)
                log(f"audit: {n} clients, {HOLD_MS:g} ms more per transaction: {rate:.0f} audited writes/s")
                held[n].append(rate)
        t = time.perf_counter()
        problems = c.audit.verify(c.uow)
        verify_s = time.perf_counter() - t
        if problems:
            raise AssertionError(f"the benchmark's audit log does not verify: {[str(p) for p in problems[:5]]}")
        c.engine.dispose()
    rates = {n: median(xs) for n, xs in results.items()}
    scaling = rates[16] / rates[1]
    in_tx = {n: median(xs) for n, xs in held.items()}
    in_tx_scaling = in_tx[16] / in_tx[1]
    emit("audit.writes_in_transactions", in_tx[16], "writes/s", clients_1=round(in_tx[1], 1),
         clients_4=round(in_tx[4], 1), clients_16=round(in_tx[16], 1), scaling_16_over_1=round(in_tx_scaling, 2),
         goal_scaling_min=GOAL, meets_goal=in_tx_scaling >= GOAL, hold_ms=HOLD_MS, seconds_per_level=duration,
         rounds=rounds, note=f"as audit.writes, each transaction held open {HOLD_MS:g} ms after its audit record "
                             "(a feature's own work); one global row lock would keep 16 clients at one client's rate")
    return emit("audit.writes", rates[16], "writes/s", clients_1=round(rates[1], 1), clients_4=round(rates[4], 1),
                clients_16=round(rates[16], 1), scaling_16_over_1=round(scaling, 2), goal_scaling_min=GOAL,
                meets_goal=scaling >= GOAL, verify_s=round(verify_s, 2), seconds_per_level=duration, rounds=rounds,
                note="each write: a new subject key and an audit record in one transaction; one process per client on "
                     "PostgreSQL (same machine); a sealer process seals every second while they write; value = 16 clients")


if __name__ == "__main__":
    raise SystemExit(standalone(run))
