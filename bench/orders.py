"""Order creation through the HTTP API, privacy core on (AES-GCM) versus the no-op cipher. Goal: ratio ≤ 1.2.

Each order seals 7 fields under 3 fresh subject keys (the order and both parties) and writes 3 subject-key
rows, 3 data rows; both variants run the same code path, interleaved round by round.
"""
from __future__ import annotations

import time

from fastapi.testclient import TestClient

from bench.harness import Phones, Variant, emit, interleave, log, median, paired_ratio, quartiles, size
from bench.roundtrip import _expect
from jidi.web.app import create_app

GOAL_RATIO = 1.2


def _order(phones: Phones) -> dict:
    party = {"name": "测试用户", "region_code": "110108", "address": "测试路1号院2号楼"}
    return {"sender": {**party, "phone": phones()}, "recipient": {**party, "phone": phones(), "region_code": "310104"},
            "item_name": "书", "item_category": "books", "weight_g": 1200, "payment_mode": "pay_later"}


def _token(client: TestClient, v: Variant, phone: str) -> str:
    _expect(client.post("/api/v1/auth/sms-codes", json={"phone": phone}), 202, "request code")
    body = {"phone": phone, "code": v.sms.take_code(phone), "accept_policy": True}
    return _expect(client.post("/api/v1/auth/sms-login", json=body), 200, "login").json()["token"]


def run(on: Variant, off: Variant, phones: Phones) -> dict:
    sz = size()
    batch = max(5, sz.http_batch * 10)
    clients = {v.label: TestClient(create_app(v.container), base_url="https://testserver") for v in (on, off)}
    headers = {v.label: {"Authorization": f"Bearer {_token(clients[v.label], v, phones())}"} for v in (on, off)}

    def timed(v: Variant):
        def go() -> float:
            client, h = clients[v.label], headers[v.label]
            bodies = [_order(phones) for _ in range(batch)]
            t0 = time.perf_counter()
            for body in bodies:
                _expect(client.post("/api/v1/orders", json=body, headers=h), 201, "place order")
            return (time.perf_counter() - t0) / batch
        return go

    for v in (on, off):
        timed(v)()  # warm up: connections, caches, first-use compilation
    log(f"orders: {sz.http_rounds} rounds x {batch} orders per variant")
    results = interleave({"aesgcm": timed(on), "noop": timed(off)}, sz.http_rounds)
    ratios = [a / b for a, b in zip(results["aesgcm"], results["noop"])]
    p25, p75 = quartiles(ratios)
    ratio = paired_ratio(results["aesgcm"], results["noop"])
    return emit("http.order_create", 1 / median(results["aesgcm"]), "orders/s", baseline=round(1 / median(results["noop"]), 3),
                ratio=round(ratio, 3), ratio_is="aesgcm time / noop time (median of per-round ratios)", goal_ratio_max=GOAL_RATIO,
                meets_goal=ratio <= GOAL_RATIO, ratio_p25=round(p25, 3), ratio_p75=round(p75, 3),
                ms_per_order=round(median(results["aesgcm"]) * 1000, 2), rounds=sz.http_rounds, orders_per_round=batch,
                note="POST /api/v1/orders through FastAPI's TestClient in-process, PostgreSQL; 7 sealed fields and 3 new subject "
                     "keys per order; no-op cipher injected by the benchmark only")
