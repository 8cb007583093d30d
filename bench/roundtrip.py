"""Register and log in through the HTTP API, privacy core on (AES-GCM) versus the no-op cipher.

One round trip, for a fresh number:
  POST /api/v1/auth/sms-codes → read the code from the fake carrier → POST /api/v1/auth/sms-login
  (accept_policy, creates the account) → GET /api/v1/me →
  POST /api/v1/auth/sms-codes → read the code → POST /api/v1/auth/sms-login (the same account again).
The SMS code limits are raised for the benchmarks (`bench.harness.settings_for`: every request from one client
address, "testclient", two codes a round trip to one number); every request is still counted by the rate limiter.
"""
from __future__ import annotations

import gc
import time

from fastapi.testclient import TestClient

from bench.harness import Phones, Variant, emit, interleave, log, median, paired_ratio, quartiles, size
from jidi.web.app import create_app

GOAL_RATIO = 1.15


def _expect(response, status: int, what: str):
    if response.status_code != status:
        raise AssertionError(f"{what}: HTTP {response.status_code} (expected {status}): {response.text[:300]}")
    return response


def round_trip(client: TestClient, v: Variant, phone: str) -> None:
    _expect(client.post("/api/v1/auth/sms-codes", json={"phone": phone}), 202, "request code")
    login = _expect(client.post("/api/v1/auth/sms-login", json={"phone": phone, "code": v.sms.take_code(phone), "accept_policy": True}),
                    200, "first login").json()
    assert login["account_created"] is True, "the first login did not create the account"
    me = _expect(client.get("/api/v1/me", headers={"Authorization": f"Bearer {login['token']}"}), 200, "GET /me").json()
    assert me["phone"] and me["phone"] != phone and me["phone"][-4:] == phone[-4:], "the phone should come back masked"
    _expect(client.post("/api/v1/auth/sms-codes", json={"phone": phone}), 202, "request second code")
    again = _expect(client.post("/api/v1/auth/sms-login", json={"phone": phone, "code": v.sms.take_code(phone), "accept_policy": True}),
                    200, "second login").json()
    assert again["account_created"] is False, "the second login created another account"


class _CountingCipher:
    """Wraps a container's cipher for one extra, untimed round trip, to count what the privacy core encrypts."""

    def __init__(self, inner):
        self.inner, self.encrypts, self.decrypts = inner, 0, 0

    def encrypt(self, key, plaintext, aad):
        self.encrypts += 1
        return self.inner.encrypt(key, plaintext, aad)

    def decrypt(self, key, blob, aad):
        self.decrypts += 1
        return self.inner.decrypt(key, blob, aad)


def run(on: Variant, off: Variant, phones: Phones, crypto_us: tuple[float, float] | None = None) -> list[dict]:
    """crypto_us: the per-field (seal, open) cost of AES-GCM over the no-op cipher, from the field benchmark."""
    sz = size()
    log(f"http: {sz.http_rounds} rounds x {sz.http_batch} round trips per cipher (+{sz.http_warmup} warm-up each)")
    clients = {}
    stack = []
    cpu: dict[str, list[float]] = {on.label: [], off.label: []}
    try:
        for v in (on, off):
            tc = TestClient(create_app(v.container), base_url="https://testserver")
            tc.__enter__()
            stack.append(tc)
            clients[v.label] = (tc, v)

        def batch(label: str, n: int, record: bool = True) -> float:
            tc, v = clients[label]
            numbers = [phones() for _ in range(n)]
            gc.collect()
            elapsed = cpu_ns = 0
            for phone in numbers:
                c0, t0 = time.process_time_ns(), time.perf_counter_ns()
                round_trip(tc, v, phone)
                elapsed += time.perf_counter_ns() - t0
                cpu_ns += time.process_time_ns() - c0
            if record:
                cpu[label].append(cpu_ns / n / 1e9)
            return elapsed / n / 1e9  # seconds per round trip

        for label in clients:
            batch(label, sz.http_warmup, record=False)
        results = interleave({label: (lambda label=label: batch(label, sz.http_batch)) for label in clients}, sz.http_rounds)

        vault = on.container.vault
        counting = _CountingCipher(vault.cipher)
        vault.cipher = counting
        try:
            batch(on.label, 1, record=False)
        finally:
            vault.cipher = counting.inner
    finally:
        for tc in stack:
            tc.__exit__(None, None, None)

    t_on, t_off = median(results[on.label]), median(results[off.label])
    ratios = [a / b for a, b in zip(results[on.label], results[off.label])]
    ratio = median(ratios)
    q1, q3 = quartiles(ratios)
    extra = {}
    if crypto_us is not None:
        est_ms = (counting.encrypts * crypto_us[0] + counting.decrypts * crypto_us[1]) / 1000
        extra = {"crypto_estimate_ms_per_roundtrip": round(est_ms, 3),
                 "crypto_estimate_ratio": round((t_off * 1000 + est_ms) / (t_off * 1000), 4)}
    return [emit(
        "http.register_login_roundtrip", 1 / t_on, "roundtrips/s", baseline=round(1 / t_off, 3), ratio=round(ratio, 3),
        ratio_is=f"{on.label} time / {off.label} time (median of per-round ratios)", goal_ratio_max=GOAL_RATIO,
        meets_goal=ratio <= GOAL_RATIO, ratio_p25=round(q1, 3), ratio_p75=round(q3, 3),
        ratio_of_medians=round(t_on / t_off, 3), process_cpu_ratio=round(paired_ratio(cpu[on.label], cpu[off.label]), 3),
        ms_per_roundtrip=round(t_on * 1000, 2), baseline_ms_per_roundtrip=round(t_off * 1000, 2),
        cipher_calls_per_roundtrip={"encrypt": counting.encrypts, "decrypt": counting.decrypts}, **extra,
        variant=on.label, baseline_variant=off.label, rounds=sz.http_rounds, roundtrips_per_round=sz.http_batch,
        note="FastAPI TestClient in-process (base_url https://testserver), PostgreSQL; per round trip: sms-codes, "
             "sms-login (new account), GET /me, clock +61 s, sms-codes, sms-login; fresh 139 number each; "
             "the no-op cipher is injected by the benchmark via bootstrap(cipher=...); process_cpu_ratio compares "
             "this process's CPU time only (PostgreSQL's work excluded, so it overstates the ratio); "
             "crypto_estimate_* = counted cipher calls x the per-field AES-GCM cost measured above",
    )]
