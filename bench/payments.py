"""Payments: (1) provider callbacks verified and applied per second through the HTTP API (a uvicorn server, two
workers), 25% of the callbacks duplicates and 10% moved out of order; every order must be credited exactly once
(double credits 0). (2) Order creation with its payment opened (POST /orders then POST /orders/{no}/payments), privacy
core on versus the no-op cipher: goal ratio ≤ 1.2.
"""
from __future__ import annotations

import datetime as dt
import random
import shutil
import threading
import time
import uuid
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bench.harness import Phones, Variant, emit, interleave, log, median, paired_ratio, quartiles, size
from bench.orders import _order, _token
from bench.roundtrip import _expect
from bench.tracking import server
from jidi import waybill
from jidi.payments.models import Payment
from jidi.shipping import states
from jidi.shipping.models import Order
from jidi.web.app import create_app

GOAL_PER_S = 1000
GOAL_RATIO = 1.2


def _params() -> dict:
    if size().mode == "smoke":
        return {"payments": 60, "workers": 1, "in_flight": 2}
    return {"payments": 3000, "workers": 2, "in_flight": 4}


def _unpaid_orders(c, n: int) -> list[tuple[uuid.UUID, str, int]]:
    now = dt.datetime.now(dt.UTC)
    out = []
    with c.uow() as s:
        for _ in range(n):
            o = Order(id=uuid.uuid4(), waybill_no=waybill.new_waybill_no(), owner_id=None, status=states.AWAITING_PAYMENT,
                      service_type="standard", payment_mode="pay_now", item_category="books", quantity=1, weight_g=1200,
                      declared_value_fen=0, price_fen=1200 + len(out) % 7, origin_region="320106", dest_region="310104",
                      created_at=now, updated_at=now, status_at=now)
            s.add(o)
            out.append((o.id, o.waybill_no, o.price_fen))
    return out


def _callbacks(v: Variant, n: int) -> list[tuple[str, dict, bytes]]:
    """n payments opened at the providers and paid by their payers; the providers' signed callbacks, captured."""
    c = v.container
    v.clock.now = dt.datetime.now(dt.UTC)  # the server checks WeChat's timestamps against real time
    captured: list[tuple[str, dict, bytes]] = []
    for sim in c.payments.sims.values():
        sim.deliver = lambda provider, headers, body: captured.append((provider, headers, body))
    for i, (order_id, wb, price) in enumerate(_unpaid_orders(c, n)):
        method = "alipay" if i % 2 else "wechat"
        with c.uow() as s:
            p = c.payments._new_payment(s, order_id, wb, None, method, price, "order", c.clock())
            req = c.payments._disclose(s, p, method, c.clock())
        url = c.payments.gateways[method].start(req, c.payments.notify_url(method), "/")
        if method == "alipay":
            c.payments.sims["alipay"].page(url.split("?", 1)[1])
        c.payments.sims[method].confirm(req.serial, "pay")
    for sim in c.payments.sims.values():
        sim.deliver = c.payments._deliver_in_process
    return captured


def _stream(callbacks: list, rng: random.Random) -> list:
    """Each callback once, plus duplicates making 25% of the stream; then 10% of the stream moved out of order."""
    stream = list(callbacks) + [rng.choice(callbacks) for _ in range(len(callbacks) // 3)]
    for _ in range(len(stream) // 10):
        i, j = rng.randrange(len(stream)), rng.randrange(len(stream))
        stream[i], stream[j] = stream[j], stream[i]
    return stream


def _send(url: str, stream: list, in_flight: int) -> tuple[float, dict[int, int]]:
    queue, lock, codes = list(reversed(stream)), threading.Lock(), {}

    def worker():
        with httpx.Client(base_url=url, timeout=60) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    provider, headers, body = queue.pop()
                r = client.post(f"/api/v1/payments/notify/{provider}", content=body, headers=headers)
                with lock:
                    codes[r.status_code] = codes.get(r.status_code, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(in_flight)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, codes


def callbacks(on: Variant, tmp: Path) -> dict:
    p = _params()
    c = on.container
    t = time.perf_counter()
    captured = _callbacks(on, p["payments"])
    stream = _stream(captured, random.Random(20261207))
    log(f"payments: {len(captured)} payments paid at the simulators in {time.perf_counter() - t:.1f} s; "
        f"{len(stream)} callbacks to send, {p['workers']} uvicorn worker(s), {p['in_flight']} in flight")
    shutil.copy(c.settings.var_dir / "payment-simulator.json", tmp / "payment-simulator.json")  # the server's var/
    with server(on, p["workers"], tmp) as (url, _pid):
        _send(url, _stream(captured[:20], random.Random(1)), 2)  # warm up (those are then duplicates)
        seconds, codes = _send(url, stream, p["in_flight"])
    t = time.perf_counter()
    from jidi.events.models import EventRecord  # noqa: PLC0415

    with c.uow() as s:  # the credits: the server queued their relay to a queue no worker reads here
        pending = [str(i) for i in s.scalars(select(EventRecord.id).where(EventRecord.delivered_at.is_(None)))]
    for start in range(0, len(pending), 100):
        c.events.relay(pending[start:start + 100])
    relay_s = time.perf_counter() - t
    with c.uow() as s:
        paid = s.scalar(select(func.count()).select_from(Payment).where(Payment.status == "paid")) or 0
        refunds = s.scalar(select(func.count()).select_from(Payment).where(Payment.kind == "refund")) or 0
        credited = s.scalar(select(func.count()).select_from(Order).where(Order.paid_at.is_not(None),
                                                                          Order.waybill_no.in_(select(Payment.waybill_no)))) or 0
    double = max(0, credited - p["payments"]) + refunds
    rate = len(stream) / seconds
    return emit("payments.callbacks", rate, "callbacks/s", goal_min=GOAL_PER_S, meets_goal=rate >= GOAL_PER_S,
                callbacks=len(stream), payments=len(captured), duplicates_pct=round(100 * (len(stream) - len(captured)) / len(stream), 1),
                reordered_pct=10, http_codes={str(k): v for k, v in sorted(codes.items())}, payments_paid=paid,
                orders_credited=credited, double_credits=double, credit_relay_s=round(relay_s, 2),
                note="POST /api/v1/payments/notify/{alipay|wechat} to uvicorn (JIDI_BENCH workers) over PostgreSQL, client "
                     "threads on the same machine; each callback's RSA signature verified (WeChat's resource AES-GCM "
                     "decrypted), the payment row locked and moved, the paid event recorded; orders credited by the "
                     "event relay afterwards (credit_relay_s, in-process)")


def order_with_payment(on: Variant, off: Variant, phones: Phones) -> dict:
    sz = size()
    batch = max(5, sz.http_batch * 10)
    clients = {v.label: TestClient(create_app(v.container), base_url="https://testserver") for v in (on, off)}
    headers = {v.label: {"Authorization": f"Bearer {_token(clients[v.label], v, phones())}"} for v in (on, off)}

    def timed(v: Variant):
        def go() -> float:
            client, h = clients[v.label], headers[v.label]
            bodies = [{**_order(phones), "payment_mode": "pay_now"} for _ in range(batch)]
            t0 = time.perf_counter()
            for body in bodies:
                wb = _expect(client.post("/api/v1/orders", json=body, headers=h), 201, "place order").json()["waybill_no"]
                _expect(client.post(f"/api/v1/orders/{wb}/payments", json={"method": "alipay"}, headers=h), 201, "open payment")
            return (time.perf_counter() - t0) / batch
        return go

    for v in (on, off):
        timed(v)()
    results = interleave({"aesgcm": timed(on), "noop": timed(off)}, sz.http_rounds)
    ratios = [a / b for a, b in zip(results["aesgcm"], results["noop"])]
    p25, p75 = quartiles(ratios)
    ratio = paired_ratio(results["aesgcm"], results["noop"])
    return emit("http.order_create_with_payment", 1 / median(results["aesgcm"]), "orders/s",
                baseline=round(1 / median(results["noop"]), 3), ratio=round(ratio, 3), goal_ratio_max=GOAL_RATIO,
                meets_goal=ratio <= GOAL_RATIO, ratio_p25=round(p25, 3), ratio_p75=round(p75, 3),
                ms_per_order=round(median(results["aesgcm"]) * 1000, 2), rounds=sz.http_rounds, orders_per_round=batch,
                note="POST /api/v1/orders then POST /api/v1/orders/{no}/payments (Alipay page-pay request signed, the request "
                     "sealed and recorded in the share register) through TestClient in-process, PostgreSQL")


def run(on: Variant, off: Variant, phones: Phones, tmp: Path) -> None:
    order_with_payment(on, off, phones)
    callbacks(on, tmp)
