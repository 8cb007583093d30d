"""The customer pages (issue 15): server render time of "My parcels" for a customer with 200 orders (goal p95 ≤ 50 ms),
and the largest page weight, HTML + the CSS and JavaScript it links, each gzip-compressed (goal ≤ 100 KB).

Requests go through FastAPI's TestClient in-process against PostgreSQL with the real privacy core, so the time is
the server's whole answer: routing, the session check, the database queries, opening the masked values and Jinja.
"""
from __future__ import annotations

import gzip
import re
import statistics
import time

from fastapi.testclient import TestClient

from bench.harness import Phones, Variant, emit, log, size
from jidi.addressbook.service import validate
from jidi.shipping.service import OrderIn
from jidi.web.app import create_app

ORDERS = 200
GOAL_P95_MS = 50
GOAL_WEIGHT_KB = 100
PASSWORD = "bench-pages-2026"
ASSETS = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="(/[^"]+)"')


def _customer(v: Variant, phones: Phones) -> tuple[object, list[str]]:
    c = v.container
    phone = phones()
    user_id = c.accounts.demo_customer(phone, PASSWORD, nickname="压测用户")
    c.addressbook.create(user_id, validate("sender", "测试寄件人", phone, "110108", "测试路1号院2号楼", True))
    c.addressbook.create(user_id, validate("recipient", "测试收件人", phones(), "310115", "测试路8弄6号", True))
    entries = c.addressbook.list(user_id)
    sender = c.shipping.party_from_address_book(user_id, next(e.id for e in entries if e.kind == "sender"))
    recipient = c.shipping.party_from_address_book(user_id, next(e.id for e in entries if e.kind == "recipient"))
    waybills = []
    for i in range(ORDERS):
        waybill_no, _ = c.shipping.place(user_id, OrderIn(sender, recipient, "书", "books", 1, 500 + i, 0, "standard", "pay_later"))
        waybills.append(waybill_no)
    return phone, waybills


def _login(client: TestClient, phone: str) -> None:
    client.get("/login/password")
    r = client.post("/login/password", data={"csrf_token": client.cookies.get("jidi_csrf"), "login": phone, "password": PASSWORD},
                    follow_redirects=False)
    assert r.status_code == 303, r.status_code


def _weight(client: TestClient, path: str) -> tuple[int, int]:
    """(gzip bytes of the page and every stylesheet and script it links, raw bytes of the same)."""
    html = client.get(path).content
    parts = [html] + [client.get(src).content for src in sorted(set(ASSETS.findall(html.decode())))]
    return sum(len(gzip.compress(p, 9)) for p in parts), sum(len(p) for p in parts)


def run(on: Variant, phones: Phones) -> None:
    rounds = 20 if size().mode == "smoke" else 200
    t0 = time.perf_counter()
    phone, waybills = _customer(on, phones)
    log(f"pages: {ORDERS} orders placed in {time.perf_counter() - t0:.1f} s; {rounds} renders of each list")
    client = TestClient(create_app(on.container), base_url="https://testserver")
    _login(client, phone)
    for path in ("/orders", "/orders?status=pickup&box=sent", f"/orders?q={waybills[7][-6:]}", "/orders?page=10"):
        assert client.get(path).status_code == 200  # warm up: templates compiled, connections open
    for path, name in (("/orders", "http.orders_page"), ("/orders?status=pickup&box=sent&page=5", "http.orders_page_filtered")):
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            r = client.get(path)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        p95 = statistics.quantiles(times, n=20)[-1]
        emit(name + "_p95", p95, "ms", goal_max=GOAL_P95_MS, meets_goal=p95 <= GOAL_P95_MS, p50=round(statistics.median(times), 2),
             orders=ORDERS, per_page=20, renders=rounds,
             note=f"GET {path.split('?')[0]} of a customer with {ORDERS} orders (20 a page, filtered and counted in the database), "
                  "TestClient in-process, PostgreSQL, real privacy core")
    pages = ["/", "/me", "/ship", "/orders", f"/orders/{waybills[0]}", f"/track/{waybills[0]}", "/address-book", "/family",
             "/profile", "/privacy/me", "/privacy", "/login"]
    weights = {p: _weight(client, p) for p in pages}
    worst = max(weights, key=lambda p: weights[p][0])
    emit("web.page_weight_max", weights[worst][0] / 1024, "KB", goal_max=GOAL_WEIGHT_KB, meets_goal=weights[worst][0] / 1024 <= GOAL_WEIGHT_KB,
         page=re.sub(r"JD\d+", "{waybill}", worst), raw_kb=round(weights[worst][1] / 1024, 1),
         note="HTML + linked CSS and JS, each gzip -9, the heaviest of the customer pages (logged in with 200 orders)")
