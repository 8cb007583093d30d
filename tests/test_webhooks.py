"""Merchant webhooks against a real local HTTP receiver: registration (secret shown once), signed deliveries of
order status changes through the durable events and the job queue, retries with backoff, the delivery log."""
from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import uuid

import pytest
from sqlalchemy import select

from jidi.errors import AppError
from jidi.privacy import Actor, Role
from jidi.webhooks import service as webhooks, signing
from jidi.webhooks.models import WebhookEndpoint
from tests.pii import NAMES, PHONES, STREETS


class Receiver:
    """An HTTP server on a free local port that records each POST and answers with the next queued status."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.answers: list[int] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(outer.answers.pop(0) if outer.answers else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _order(name, phone, street, region):
    return {"name": name, "phone": phone, "region_code": region, "address": street}


def test_status_changes_are_signed_retried_and_logged(client, container, clock, receiver):
    _, key = container.shipping.create_merchant("示例商店")
    headers = {"X-Api-Key": key}
    assert client.post("/api/v1/merchant/webhooks", json={"url": receiver.url}).status_code == 401
    assert client.post("/api/v1/merchant/webhooks", json={"url": "ftp://x.example"}, headers=headers).status_code == 422
    r = client.post("/api/v1/merchant/webhooks", json={"url": receiver.url}, headers=headers)
    assert r.status_code == 201
    secret = r.json()["secret"]
    assert secret.startswith("whsec_")
    # The secret is shown once: neither the list nor the database holds it.
    listed = client.get("/api/v1/merchant/webhooks", headers=headers).json()
    assert [e["url"] for e in listed] == [receiver.url] and secret not in json.dumps(listed)
    with container.uow() as s:
        assert secret not in repr([vars(e) for e in s.scalars(select(WebhookEndpoint))])

    order = {"merchant_order_id": "shop-1", "sender": _order(NAMES[0], PHONES[0], STREETS[0], "110105"),
             "recipient": _order(NAMES[1], PHONES[1], STREETS[1], "310106"), "item_name": "书", "item_category": "books",
             "weight_g": 800, "payment_mode": "pay_later"}
    waybill_no = client.post("/api/v1/merchant/orders", json=order, headers=headers).json()["waybill_no"]
    # A courier finds no ID at the door: not accepted. The change reaches the receiver, signed.
    container.shipping.refuse_pickup(Actor(uuid.uuid4(), Role.COURIER), waybill_no)
    assert len(receiver.received) == 1
    got, body = receiver.received[0]
    now = clock().timestamp()
    assert signing.verify(secret, got["jidi-signature"], body, now)
    assert not signing.verify(secret, got["jidi-signature"], body + b" ", now)  # tampered
    assert not signing.verify(secret, got["jidi-signature"], body, now + signing.TOLERANCE + 1)  # replayed later
    assert not signing.verify("whsec_other", got["jidi-signature"], body, now)
    payload = json.loads(body)
    assert payload["type"] == "order.status_changed" and got["jidi-webhook-id"] == payload["id"]
    assert payload["data"] == {"waybill_no": waybill_no, "merchant_order_id": "shop-1", "status": "not_accepted",
                               "exception": "id_not_shown", "status_at": payload["data"]["status_at"]}
    for value in (NAMES[0], NAMES[1], PHONES[0], PHONES[1], STREETS[0], STREETS[1]):
        assert value not in body.decode()

    # The endpoint fails once: that delivery waits 30 s, then succeeds on the retry. (Picking up a parcel that was not
    # accepted moves it twice, to awaiting pickup and to picked up: two deliveries.)
    receiver.answers = [500]
    courier = Actor(uuid.uuid4(), Role.COURIER)
    container.shipping.pick_up(courier, waybill_no, "resident_id", "11010519491231002X", NAMES[0])
    sent = [json.loads(b)["data"]["status"] for _, b in receiver.received]
    # Deliveries of one commit go out in no set order (as webhooks generally do; each carries its status_at).
    assert sent[0] == "not_accepted" and sorted(sent[1:]) == ["awaiting_pickup", "picked_up"]
    log = client.get("/api/v1/merchant/webhook-deliveries", headers=headers).json()
    assert sorted((d["status"], d["attempts"], d["response_code"]) for d in log) == [
        ("delivered", 1, 200), ("delivered", 1, 200), ("pending", 1, 500)]
    assert container.webhooks.send() == 0  # not due yet
    clock.advance(seconds=31)
    assert container.webhooks.send() == 1
    assert len(receiver.received) == 4 and receiver.received[3][1] == receiver.received[1][1]  # the same body, signed again
    assert receiver.received[3][0]["jidi-signature"] != receiver.received[1][0]["jidi-signature"]  # at its own time
    log = client.get("/api/v1/merchant/webhook-deliveries", headers=headers).json()
    assert sorted((d["status"], d["attempts"], d["response_code"]) for d in log) == [
        ("delivered", 1, 200), ("delivered", 1, 200), ("delivered", 2, 200)]
    # Another merchant sees none of it.
    _, other = container.shipping.create_merchant("另一家")
    assert client.get("/api/v1/merchant/webhook-deliveries", headers={"X-Api-Key": other}).json() == []
    assert client.delete(f"/api/v1/merchant/webhooks/{listed[0]['id']}", headers={"X-Api-Key": other}).status_code == 404


def test_an_unreachable_endpoint_is_retried_with_backoff_then_given_up(client, container, clock, receiver):
    _, key = container.shipping.create_merchant("示例商店")
    headers = {"X-Api-Key": key}
    receiver.close()  # nothing listens there any more
    client.post("/api/v1/merchant/webhooks", json={"url": receiver.url}, headers=headers)
    order = {"merchant_order_id": "shop-2", "sender": _order(NAMES[0], PHONES[0], STREETS[0], "110105"),
             "recipient": _order(NAMES[1], PHONES[1], STREETS[1], "310106"), "item_name": "书", "item_category": "books",
             "weight_g": 800, "payment_mode": "pay_later"}
    waybill_no = client.post("/api/v1/merchant/orders", json=order, headers=headers).json()["waybill_no"]
    container.shipping.refuse_pickup(Actor(uuid.uuid4(), Role.COURIER), waybill_no)
    waits = []
    for _ in range(webhooks.MAX_ATTEMPTS - 1):
        d = client.get("/api/v1/merchant/webhook-deliveries", headers=headers).json()[0]
        assert d["status"] == "pending" and d["response_code"] is None and d["last_error"]
        due = dt.datetime.fromisoformat(d["next_attempt_at"].replace("Z", "+00:00"))
        waits.append(round((due - clock()).total_seconds()))
        clock.now = due
        container.webhooks.send()
    assert waits[:4] == [30, 60, 120, 240] and max(waits) <= webhooks.MAX_RETRY.total_seconds()
    final = client.get("/api/v1/merchant/webhook-deliveries", headers=headers).json()[0]
    assert final["status"] == "failed" and final["attempts"] == webhooks.MAX_ATTEMPTS and final["next_attempt_at"] is None


def test_in_production_only_public_https_endpoints(container, monkeypatch):
    monkeypatch.setattr(container.settings, "env", "production")
    merchant_id, _ = container.shipping.create_merchant("示例商店")
    for url in ("http://shop.example.cn/hooks", "https://127.0.0.1/hooks", "https://10.1.2.3/hooks", "https://[::1]/hooks",
                "https://169.254.169.254/latest", "https://localhost/hooks", "https://user:pw@shop.example.cn/hooks"):
        with pytest.raises(AppError) as err:
            container.webhooks.register(merchant_id, url)
        assert err.value.code == "webhook_url_invalid", url
    endpoint, secret = container.webhooks.register(merchant_id, "https://shop.example.cn/hooks")
    assert endpoint.active and secret.startswith("whsec_")
