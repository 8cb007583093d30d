"""Payments: pay through the Alipay- and WeChat Pay-style simulators (signed requests, signed and encrypted callbacks),
callbacks applied once under duplicates and reordering, forged, replayed and differing callbacks refused, payments
that never call back queried and closed, ship now pay later, recipient pays, refunds, the transaction record, the
share register, and the blockers to closing an account."""
from __future__ import annotations

import json
import random
import re
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from jidi.payments import crypto, gateways as gw
from jidi.payments.models import Payment
from jidi.privacy.models import ShareRecord
from jidi.shipping import states
from jidi.shipping.models import Order
from tests import pii
from tests.pii import ITEMS, NAMES, PHONES, STREETS
from tests.test_accounts_api import auth, register
from tests.test_accounts_web import csrf, web_register
from tests.test_shipping import order_body

ME, FRIEND = PHONES[0], PHONES[1]


def place(client, h, **over) -> str:
    r = client.post("/api/v1/orders", headers=h, json=order_body(**over))
    assert r.status_code == 201, r.text
    return r.json()["waybill_no"]


def order(container, wb) -> Order:
    with container.uow() as s:
        o = s.scalar(select(Order).where(Order.waybill_no == wb))
        s.expunge(o)
        return o


def payments_of(container, wb) -> list[Payment]:
    with container.uow() as s:
        rows = s.scalars(select(Payment).where(Payment.waybill_no == wb).order_by(Payment.created_at, Payment.serial)).all()
        for r in rows:
            s.expunge(r)
        return list(rows)


def move(container, wb, *path):
    """Move an order through shipping's state machine, announcing each status as shipping does."""
    with container.uow() as s:
        o = s.scalar(select(Order).where(Order.waybill_no == wb))
        for st in path:
            container.shipping._move(o, st)


def deliver(container, wb):
    move(container, wb, states.PICKED_UP, states.IN_TRANSIT, states.OUT_FOR_DELIVERY, states.DELIVERED)


def alipay_pay(client, container, h, wb, outcome="pay") -> str:
    """Pay an order with Alipay as a payer would: jidi's signed page-pay request, the cashier page, the confirmation."""
    r = client.post(f"/api/v1/orders/{wb}/payments", headers=h, json={"method": "alipay"})
    assert r.status_code == 201, r.text
    url = r.json()["pay_url"]
    trade = container.payments.sims["alipay"].page(urlsplit(url).query)
    container.payments.sims["alipay"].confirm(trade["serial"], outcome)
    return trade["serial"]


def wechat_pay(client, container, h, wb, outcome="pay") -> str:
    r = client.post(f"/api/v1/orders/{wb}/payments", headers=h, json={"method": "wechat"})
    assert r.status_code == 201, r.text
    serial = r.json()["pay_url"].rsplit("/", 1)[1]
    container.payments.sims["wechat"].confirm(serial, outcome)
    return serial


@pytest.fixture
def me(client, sms):
    return auth(register(client, sms, phone=ME))


@pytest.mark.promise("JD-1.1.2(5)a", "ZK-1.1.3a")
def test_only_the_order_number_and_amount_go_to_the_provider_and_each_payment_is_in_the_share_register(client, container, me):
    sent: list[bytes] = []
    sims = container.payments.sims
    for name in ("alipay", "wechat"):
        g = container.payments.gateways[name]
        inner = g.transport

        def spy(method, url, headers, body, inner=inner):
            sent.append(url.encode() + b"\n" + json.dumps(dict(headers)).encode() + b"\n" + body)
            return inner(method, url, headers, body)

        g.transport = spy
    wb1, wb2 = place(client, me), place(client, me)
    r = client.post(f"/api/v1/orders/{wb1}/payments", headers=me, json={"method": "alipay"})
    page_url = r.json()["pay_url"]
    sent.append(page_url.encode())
    serial = sims["alipay"].page(urlsplit(page_url).query)["serial"]
    sims["alipay"].confirm(serial, "pay")
    wechat_pay(client, container, me, wb2)
    price = order(container, wb1).price_fen
    # What went out: the serial, the order number and the amount — none of the order's personal values.
    assert sent and all(not pii.find_in(req) for req in sent)
    biz = json.loads(dict(parse_qsl(urlsplit(page_url).query))["biz_content"])
    assert set(biz) == {"out_trade_no", "total_amount", "subject", "product_code", "timeout_express"}
    assert biz["total_amount"] == f"{price / 100:.2f}" and biz["subject"] == f"jidi 运费 {wb1}"
    wechat_body = json.loads(next(r for r in sent if b"/v3/pay/transactions/native" in r).split(b"\n", 2)[2])
    assert set(wechat_body) == {"appid", "mchid", "description", "out_trade_no", "notify_url", "amount"}
    # Each payment is a share with its provider, of the request field only.
    with container.uow() as s:
        shares = s.execute(select(ShareRecord.recipient, ShareRecord.fields, ShareRecord.purpose, ShareRecord.reference)
                           .where(ShareRecord.recipient.like("payment%"))).all()
    assert {(r.recipient, r.fields, r.purpose) for r in shares} == {
        ("payment_alipay", "payments.request", "payment"), ("payment_wechat", "payments.request", "payment")}
    assert {r.reference for r in shares} == {p.serial for wb in (wb1, wb2) for p in payments_of(container, wb)}
    assert all(order(container, wb).paid_at is not None for wb in (wb1, wb2))


@pytest.mark.promise("JD-1.2.6", "CN-3.1.10b")
def test_pay_now_through_the_simulator_pages_and_see_the_transaction_record(client, sms, container):
    web_register(client, sms, phone=ME)
    with container.uow() as s:
        from jidi.accounts.models import User  # noqa: PLC0415

        owner = s.scalar(select(User.id))
    from jidi.addressbook.service import EntryData  # noqa: PLC0415

    sender = container.addressbook.create(owner, EntryData("sender", NAMES[0], ME, "110105", STREETS[0], True))
    recipient = container.addressbook.create(owner, EntryData("recipient", NAMES[1], FRIEND, "310106", STREETS[1], True))
    token = csrf(client)
    r = client.post("/ship", data={"csrf_token": token, "sender_entry": str(sender), "recipient_entry": str(recipient),
                                   "item_name": ITEMS[0], "item_category": "books", "weight_kg": "1.2", "payment_mode": "pay_now",
                                   "confirm": "yes"}, follow_redirects=False)
    wb = re.search(r"/orders/(JD\d+)", r.headers["location"]).group(1)
    detail = client.get(f"/orders/{wb}")
    assert 'data-testid="pay-order"' in detail.text
    page = client.get(f"/orders/{wb}/payment")
    assert 'data-testid="pay-alipay"' in page.text and 'data-testid="pay-wechat"' in page.text
    r = client.post(f"/orders/{wb}/payment", data={"csrf_token": token, "method": "alipay"}, follow_redirects=False)
    loc = urlsplit(r.headers["location"])
    assert r.status_code == 303 and loc.path == "/sim/alipay/gateway.do"
    cashier = client.get(f"{loc.path}?{loc.query}")
    assert cashier.status_code == 200 and 'data-testid="sim-confirm"' in cashier.text
    serial = re.search(r'data-testid="sim-serial">(\w+)<', cashier.text).group(1)
    back = client.post("/sim/alipay/confirm", data={"csrf_token": token, "serial": serial, "outcome": "pay",
                                                    "return_url": f"https://testserver/orders/{wb}/payment?returned=1"},
                       follow_redirects=False)
    assert back.headers["location"] == f"/orders/{wb}/payment?returned=1"
    paid = client.get(back.headers["location"])
    assert 'data-testid="pay-state">Paid' in paid.text or "已支付" in paid.text
    assert order(container, wb).status == states.AWAITING_PICKUP
    mine = client.get("/payments")
    assert serial in mine.text and wb in mine.text and 'data-testid="nothing-due"' in mine.text
    # The record: order and waybill number, our serial, the provider's, amount, currency, method, result, card (masked).
    (p,) = payments_of(container, wb)
    assert (p.kind, p.status, p.method, p.currency, p.amount_fen) == ("payment", "paid", "alipay", "CNY", order(container, wb).price_fen)
    assert p.provider_trade_no and p.card is not None and "0421" not in p.card.masked
    # A forged page-pay request (its amount changed) is refused by the simulator's gateway.
    tampered = f"{loc.path}?{loc.query}".replace("total_amount%22%3A%22", "total_amount%22%3A%220")
    assert client.get(tampered).status_code == 400


def _storm(client, container, me, n=12):
    """n orders, each paid through one provider, their callbacks captured instead of delivered."""
    captured: list[tuple[str, dict, bytes]] = []
    for sim in container.payments.sims.values():
        sim.deliver = lambda provider, headers, body: captured.append((provider, headers, body))
    wbs = [place(client, me) for _ in range(n)]
    for i, wb in enumerate(wbs):
        (alipay_pay if i % 2 else wechat_pay)(client, container, me, wb)
    return wbs, captured


def post_callback(client, provider, headers, body):
    return client.post(f"/api/v1/payments/notify/{provider}", content=body, headers=headers)


def test_a_storm_of_duplicate_and_reordered_callbacks_credits_each_order_once(client, container, me):
    wbs, captured = _storm(client, container, me)
    assert all(order(container, wb).paid_at is None for wb in wbs)  # nothing delivered yet
    storm = captured * 3 + captured[:5]
    random.Random(7).shuffle(storm)
    for provider, headers, body in storm:
        r = post_callback(client, provider, headers, body)
        assert r.status_code == 200, r.text
        assert r.text == "success" if provider == "alipay" else r.json()["code"] == "SUCCESS"
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.status == "paid")) == len(wbs)
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.kind == "refund")) == 0
    for wb in wbs:
        assert order(container, wb).status == states.AWAITING_PICKUP and order(container, wb).paid_at is not None
    # Two payments of one order both succeed: the order is credited once, the second payment refunded in full.
    for sim in container.payments.sims.values():
        sim.deliver = container.payments._deliver_in_process
    wb = place(client, me)
    first = client.post(f"/api/v1/orders/{wb}/payments", headers=me, json={"method": "wechat"}).json()["pay_url"].rsplit("/", 1)[1]
    second = client.post(f"/api/v1/orders/{wb}/payments", headers=me, json={"method": "wechat"}).json()["pay_url"].rsplit("/", 1)[1]
    container.payments.sims["wechat"].confirm(first, "pay")
    container.payments.sims["wechat"].confirm(second, "twice")
    rows = {p.serial: p for p in payments_of(container, wb)}
    assert rows[first].status == "paid" and rows[second].status == "paid"
    (refund,) = [p for p in rows.values() if p.kind == "refund"]
    assert refund.parent_id == rows[second].id and refund.amount_fen == rows[second].amount_fen and refund.status == "refunded"


def test_forged_replayed_and_differing_callbacks_are_refused_and_change_nothing(client, container, me, clock):
    wbs, captured = _storm(client, container, me, n=2)
    (ali_provider, ali_headers, ali_body), = [c for c in captured if c[0] == "alipay"]
    (_, wx_headers, wx_body), = [c for c in captured if c[0] == "wechat"]
    # Alipay: a changed amount breaks the signature.
    params = dict(parse_qsl(ali_body.decode()))
    forged = urlencode({**params, "total_amount": "0.01"}).encode()
    r = post_callback(client, "alipay", ali_headers, forged)
    assert r.status_code == 400 and r.json()["error"]["code"] == "payment_callback_invalid"
    # Signed with another key (a forger's): refused.
    other = crypto.Signer(crypto.new_private_key_pem())
    resigned = {**params, "sign": other.sign(gw.alipay_content(params, notify=True))}
    assert post_callback(client, "alipay", ali_headers, urlencode(resigned).encode()).status_code == 400
    # Correctly signed by the provider, but for a different amount: refused with 409, not applied.
    sim = container.payments.sims["alipay"]
    wrong = {k: v for k, v in params.items() if k not in ("sign", "sign_type")}
    headers, body = sim._notify({**{k: wrong[k] for k in ("out_trade_no", "trade_no", "trade_status")}, "total_amount": "0.01"})
    r = post_callback(client, "alipay", headers, body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "payment_amount_mismatch"
    # WeChat: a tampered envelope, a different currency in the encrypted resource, an old callback replayed.
    tampered = wx_body.replace(b'"event_type":"TRANSACTION.SUCCESS"', b'"event_type":"TRANSACTION.SUCCES5"')
    assert post_callback(client, "wechat", wx_headers, tampered).status_code == 400
    wsim = container.payments.sims["wechat"]
    wx_serial = [p for wb in wbs for p in payments_of(container, wb) if p.method == "wechat"][0]
    from jidi.payments.models import SimTrade  # noqa: PLC0415

    with container.uow() as s:
        t = s.scalar(select(SimTrade).where(SimTrade.serial == wx_serial.serial))
        resource = wsim._transaction(t)
    resource["amount"]["currency"] = "USD"
    h, b = wsim.callback("TRANSACTION.SUCCESS", resource)
    assert post_callback(client, "wechat", h, b).status_code == 409
    assert post_callback(client, "wechat", {**wx_headers, "Wechatpay-Serial": "OTHER"}, wx_body).status_code == 400
    assert all(order(container, wb).paid_at is None for wb in wbs)
    assert post_callback(client, "nobody", {}, b"x").status_code == 422
    assert post_callback(client, "wechat", {}, b"\xff" * 10).status_code == 400
    # The genuine callbacks still apply, within their window; replayed ten minutes later, refused.
    assert post_callback(client, "alipay", ali_headers, ali_body).status_code == 200
    assert post_callback(client, "wechat", wx_headers, wx_body).status_code == 200
    assert all(order(container, wb).paid_at is not None for wb in wbs)
    clock.advance(minutes=10)
    assert post_callback(client, "wechat", wx_headers, wx_body).status_code == 400


def test_a_payment_that_never_calls_back_is_queried_and_one_never_paid_is_closed(client, container, me, clock):
    lost_wb, left_wb = place(client, me), place(client, me)
    lost = alipay_pay(client, container, me, lost_wb, outcome="lost")
    left = wechat_pay(client, container, me, left_wb, outcome="leave")
    assert order(container, lost_wb).paid_at is None
    clock.advance(minutes=3)
    out = container.payments.sweep()
    assert out["applied"] == 1 and order(container, lost_wb).status == states.AWAITING_PICKUP
    assert [p.status for p in payments_of(container, left_wb)] == ["pending"]
    clock.advance(minutes=30)
    assert container.payments.sweep()["closed"] == 1
    (p,) = payments_of(container, left_wb)
    assert p.status == "closed" and p.serial == left
    assert container.payments.sims["wechat"].trade_view(left)["state"] == "CLOSED"
    # A late success after closing is not possible at the provider; the order can still be paid anew.
    wechat_pay(client, container, me, left_wb)
    assert order(container, left_wb).paid_at is not None and lost


@pytest.mark.promise("JD-1.1.2(5)b")
def test_ship_now_pay_later_is_charged_after_delivery_and_a_failed_charge_is_a_debt_paid_from_the_order_page(client, container, me):
    user_id = _user(container, ME)
    # Authorised at Pay Score: only pass/fail and the authorisation state are kept.
    code = container.payments.begin_pay_later(user_id).rsplit("/", 1)[1]
    container.payments.sims["wechat"].authorise(code, "grant")
    a = container.payments.check_pay_later(user_id)
    assert (a.passed, a.state) == (True, "AVAILABLE")
    from jidi.payments.models import PayLaterAuthorisation  # noqa: PLC0415

    assert set(PayLaterAuthorisation.__table__.columns.keys()) == {"id", "user_id", "code", "passed", "state", "checked_at"}
    wb = place(client, me, payment_mode="pay_later")
    assert order(container, wb).status == states.AWAITING_PICKUP and order(container, wb).paid_at is None
    deliver(container, wb)
    (charge,) = payments_of(container, wb)
    assert (charge.method, charge.purpose, charge.status) == ("wechat_score", "pay_later", "paid")
    assert order(container, wb).paid_at is not None
    # Charges now fail: the delivered order becomes a debt, payable from its page; paying it clears the blocker.
    container.payments.sims["wechat"].authorise(code, "fails")
    wb2 = place(client, me, payment_mode="pay_later")
    deliver(container, wb2)
    assert [p.status for p in payments_of(container, wb2)] == ["failed"]
    owed = client.get(f"/api/v1/orders/{wb2}/payments", headers=me).json()
    assert owed["payable"] and not owed["paid"]
    preview = client.get("/api/v1/privacy/preview/cancellation", headers=me).json()
    assert [(b["code"], b["action"]) for b in preview["blocked_by"]] == [("unpaid_bills", "/payments#due")]
    alipay_pay(client, container, me, wb2)
    assert order(container, wb2).paid_at is not None
    assert sorted(p.purpose for p in payments_of(container, wb2)) == ["debt", "pay_later"]
    assert client.get("/api/v1/privacy/preview/cancellation", headers=me).json()["blocked_by"] == []


def test_a_pay_later_order_delivered_without_an_authorisation_can_be_paid_and_no_longer_blocks(client, container, me):
    wb = place(client, me, payment_mode="pay_later")
    deliver(container, wb)
    assert payments_of(container, wb) == []
    blocked = client.get("/api/v1/privacy/preview/deletion", headers=me).json()["blocked_by"]
    assert [b["code"] for b in blocked] == ["unpaid_bills"] and blocked[0]["message"]
    assert [f.waybill_no for f in container.payments.due(_user(container, ME))] == [wb]
    wechat_pay(client, container, me, wb)
    assert client.get("/api/v1/privacy/preview/deletion", headers=me).json()["blocked_by"] == []
    assert container.payments.due(_user(container, ME)) == []


def test_recipient_pays_on_the_recipients_order_page(client, sms, container, me, clock):
    wb = place(client, me, payment_mode="recipient_pays")
    # The sender cannot pay it; the recipient can.
    assert client.post(f"/api/v1/orders/{wb}/payments", headers=me, json={"method": "alipay"}).status_code == 409
    clock.advance(seconds=61)
    friend = auth(register(client, sms, phone=FRIEND))
    assert client.get(f"/api/v1/orders/{wb}/payments", headers=friend).json()["payable"]
    alipay_pay(client, container, friend, wb)
    (p,) = payments_of(container, wb)
    assert p.purpose == "recipient" and p.payer_id == _user(container, FRIEND) and order(container, wb).paid_at is not None
    assert [x["serial"] for x in client.get("/api/v1/payments", headers=friend).json()] == [p.serial]
    assert client.get("/api/v1/payments", headers=me).json() == []


def test_cancelling_a_paid_order_refunds_it_through_the_provider_and_a_refund_larger_than_the_payment_is_refused(client, container, me):
    wb = place(client, me)
    serial = wechat_pay(client, container, me, wb)
    price = order(container, wb).price_fen
    assert client.post(f"/api/v1/orders/{wb}/cancel", headers=me).status_code in (200, 204)
    rows = payments_of(container, wb)
    (refund,) = [p for p in rows if p.kind == "refund"]
    assert (refund.amount_fen, refund.status, refund.purpose) == (price, "refunded", "cancel")
    info = client.get(f"/api/v1/orders/{wb}/payments", headers=me).json()
    assert info["refunded_fen"] == price and not info["payable"]
    from jidi.errors import AppError  # noqa: PLC0415

    with pytest.raises(AppError) as err:
        container.payments.refund(serial, 1)
    assert err.value.code == "refund_too_large"
    wb2 = place(client, me)
    serial2 = alipay_pay(client, container, me, wb2)
    with pytest.raises(AppError):
        container.payments.refund(serial2, order(container, wb2).price_fen + 1)
    part = container.payments.refund(serial2, 100)
    assert [p.status for p in payments_of(container, wb2) if p.serial == part] == ["refunded"]
    with pytest.raises(AppError):
        container.payments.refund(serial2, order(container, wb2).price_fen - 99)


def test_the_order_page_shows_the_refund(client, sms, container):
    web_register(client, sms, phone=ME)
    token = csrf(client)
    user_id = _user(container, ME)
    from jidi.shipping.service import OrderIn, PartyIn  # noqa: PLC0415

    wb, _ = container.shipping.place(user_id, OrderIn(PartyIn(NAMES[0], ME, "110105", STREETS[0]),
                                                      PartyIn(NAMES[1], FRIEND, "310106", STREETS[1]), "书", "books", 1, 1000, 0))
    r = client.post(f"/orders/{wb}/payment", data={"csrf_token": token, "method": "wechat"}, follow_redirects=False)
    client.post(urlsplit(r.headers["location"]).path, data={"csrf_token": token, "outcome": "pay"})
    client.post(f"/orders/{wb}/cancel", data={"csrf_token": token, "confirm": "yes"})
    page = client.get(f"/orders/{wb}/payment")
    assert 'data-kind="refund" data-status="refunded"' in page.text


def test_merchant_imports_are_billed_to_the_merchant_not_left_waiting_for_payment(client, container):
    _, key = container.shipping.create_merchant("示例商店")
    body = {"merchant_order_id": "m-1", **order_body(payment_mode="pay_now")}
    wb = client.post("/api/v1/merchant/orders", json=body, headers={"X-Api-Key": key}).json()["waybill_no"]
    assert order(container, wb).status == states.AWAITING_PICKUP


def _user(container, phone) -> uuid.UUID:
    from jidi.accounts.models import User  # noqa: PLC0415

    with container.uow() as s:
        return s.scalar(select(User.id).where(User.phone_bidx == container.finder.index(User.phone, phone)))
