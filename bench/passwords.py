"""Password login, which argon2id bounds: one hash's time, then logins/s on one thread and on two at once.

Two levels: the bare argon2 verify (jidi.privacy.verify_password: the ceiling) and the whole use case
(Accounts.login_with_password against PostgreSQL: blind-index lookup, open the hash, verify, new session).
argon2-cffi releases the GIL while hashing, so two threads can use both cores of a 2-core machine.
"""
from __future__ import annotations

import threading
import time

from bench.harness import Phones, Variant, emit, interleave, log, median, size
from jidi.privacy import credentials, hash_password, verify_password

PASSWORD = "bench-Passw0rd-2026"


def _params() -> str:
    h = credentials._hasher
    return f"argon2id time_cost={h.time_cost}, memory_cost={h.memory_cost // 1024} MiB, parallelism={h.parallelism}"


def _rate(work, threads: int, per_thread: int) -> float:
    """Operations per second with `threads` threads each doing `per_thread` operations, started together."""
    start = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def worker(i: int):
        start.wait()
        try:
            for _ in range(per_thread):
                work(i)
        except BaseException as exc:  # noqa: BLE001 - re-raised below in the main thread
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return threads * per_thread / elapsed


def _account(v: Variant, phones: Phones):
    """A customer registered by SMS who then set a password; returns the phone number to log in with."""
    accounts = v.container.accounts
    phone = phones()
    accounts.request_code(phone, "login", "bench-setup", "en")
    result = accounts.login_with_code(phone, v.sms.take_code(phone), True, "api", kind="api")
    accounts.set_password(result.user_id, PASSWORD)
    v.clock.advance(days=1)
    return phone


def run(on: Variant, phones: Phones) -> list[dict]:
    sz = size()
    log(f"passwords: {sz.hash_count} hashes, {sz.login_rounds} rounds x {sz.login_batch} logins per thread")
    lines = []

    hash_ms = []
    for _ in range(sz.hash_count):
        t0 = time.perf_counter()
        hash_password(PASSWORD)
        hash_ms.append((time.perf_counter() - t0) * 1000)
    lines.append(emit("argon2.hash", median(hash_ms), "ms/hash", samples=len(hash_ms), min_ms=round(min(hash_ms), 2),
                      max_ms=round(max(hash_ms), 2), note=f"one hash_password(), single thread; {_params()}"))

    stored = hash_password(PASSWORD)

    def verify(_i: int):
        assert verify_password(stored, PASSWORD)

    logins = [_account(on, phones) for _ in range(2)]
    accounts = on.container.accounts

    def login(i: int):
        accounts.login_with_password(logins[i], PASSWORD, kind="api")

    login(0), login(1)  # warm up both accounts' paths (subject keys are cached from registration)
    per = sz.login_batch
    for name, work, what in (
        ("password_login.argon2_verify", verify, "verify_password() alone: the argon2 ceiling"),
        ("password_login.service", login, "Accounts.login_with_password(phone, password) on PostgreSQL: lookup by blind "
                                          "index, open the stored hash (AES-GCM), argon2 verify, new session row"),
    ):
        results = interleave({
            "1": lambda work=work: _rate(work, 1, 2 * per),
            "2": lambda work=work: _rate(work, 2, per),
        }, sz.login_rounds)
        one, two = median(results["1"]), median(results["2"])
        lines.append(emit(f"{name}.threads1", one, "logins/s", rounds=sz.login_rounds, logins_per_round=2 * per,
                          note=f"{what}; 1 thread; {_params()}"))
        lines.append(emit(f"{name}.threads2", two, "logins/s", baseline=round(one, 3),
                          ratio=round(median([b / a for a, b in zip(results["1"], results["2"])]), 3),
                          ratio_is="2-thread logins/s / 1-thread logins/s (speed-up; 2.0 = both cores)",
                          rounds=sz.login_rounds, logins_per_round=2 * per, note=f"{what}; 2 threads at once; {_params()}"))
    return lines
