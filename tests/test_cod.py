"""Cash on delivery: binding a payout account (Luhn-checked, sealed, masked, with the separate consent), COD orders
(placed with the amount in one transaction, or added before pickup), collection at delivery through the durable
event, the statement, daily payouts through the declared payout channel, and the reconciliation that alerts on a gap."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select, update

from jidi.cod.models import CodAccount, CodAlert, CodOrder, CodPayout
from jidi.privacy.models import ShareRecord
from jidi.shipping.models import Order
from tests.pii import BANK_CARDS, PHONES
from tests.test_accounts_api import auth, register
from tests.test_shipping import order_body

ME = PHONES[0]


def account(**over) -> dict:
    return {"holder_name": "王小明", "account_type": "personal", "account_number": BANK_CARDS[0], "region_code": "110105",
            "branch": "招商银行北京望京支行", **over}


@pytest.fixture
def me(client, sms, clock):
    h = auth(register(client, sms, phone=ME))
    clock.advance(seconds=61)
    return h


def bind(client, h, **over):
    body = account(**over)
    if "consent_token" not in body:
        offer = client.get("/api/v1/cod/account/consent", headers=h).json()
        body["consent_token"] = offer["token"] or ""
    return client.put("/api/v1/cod/account", json=body, headers=h)


def deliver(container, wb, status="delivered"):
    with container.uow() as s:
        order = s.scalar(select(Order).where(Order.waybill_no == wb))
        order.status = status
        container.shipping.announce_status(s, [(order.id, wb, status, None, container.clock())])


@pytest.mark.promise("JD-1.1.2(1)g", "JD-6.1.1(3)–(5)")
def test_binding_a_payout_account_checks_the_card_needs_the_consent_and_shows_it_masked(client, container, me):
    r = client.put("/api/v1/cod/account", json=account(), headers=me)
    assert r.status_code == 409 and r.json()["error"]["code"] == "cod_consent_required"
    bad = BANK_CARDS[0][:-1] + str((int(BANK_CARDS[0][-1]) + 1) % 10)
    r = bind(client, me, account_number=bad)
    assert r.status_code == 422 and r.json()["error"]["code"] == "cod_card_invalid" and bad not in r.text
    assert bind(client, me, account_number="1234").json()["error"]["code"] == "cod_card_invalid"
    assert bind(client, me, account_type="joint").status_code == 422
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(CodAccount)) == 0  # nothing half-written
    r = bind(client, me)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["account_number"] == "**** **** **** " + BANK_CARDS[0][-4:] and got["holder_name"] == "王*"
    assert client.get("/api/v1/cod/account/consent", headers=me).json()["live"] is True
    # Binding again replaces it; the consent is live, so no token is needed.
    r = client.put("/api/v1/cod/account", json=account(account_number=BANK_CARDS[1], account_type="company"), headers=me)
    assert r.json()["account_number"].endswith(BANK_CARDS[1][-4:]) and r.json()["account_type"] == "company"
    assert client.get("/api/v1/cod/account", headers=me).json()["account_number"].endswith(BANK_CARDS[1][-4:])
    # Withdrawing the separate consent deletes the account.
    r = client.post("/api/v1/me/consents/sensitive_bank_card/withdraw", headers=me)
    assert r.status_code in (200, 204), r.text
    assert client.get("/api/v1/cod/account", headers=me).status_code == 404


@pytest.mark.promise("JD-1.1.2(1)g", "JD-6.1.1(3)–(5)")
def test_cod_orders_are_collected_at_delivery_paid_out_daily_and_reconciled(client, sms, clock, container, me):
    r = client.post("/api/v1/cod/orders", json={"order": order_body(), "amount_fen": 12800}, headers=me)
    assert r.status_code == 409 and r.json()["error"]["code"] == "cod_account_required"
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 0
    assert bind(client, me).status_code == 200
    assert client.post("/api/v1/cod/orders", json={"order": order_body(), "amount_fen": 0}, headers=me).status_code == 422
    r = client.post("/api/v1/cod/orders", json={"order": order_body(), "amount_fen": 12800}, headers=me)
    assert r.status_code == 201, r.text
    wb1 = r.json()["waybill_no"]
    assert r.json()["status"] == "pending"
    wb2 = client.post("/api/v1/orders", json=order_body(), headers=me).json()["waybill_no"]
    r = client.post("/api/v1/cod/attach", json={"waybill_no": wb2, "amount_fen": 5050}, headers=me)
    assert r.status_code == 201, r.text
    assert client.post("/api/v1/cod/attach", json={"waybill_no": wb2, "amount_fen": 1}, headers=me).json()["error"]["code"] == "cod_exists"
    wb3 = client.post("/api/v1/orders", json=order_body(), headers=me).json()["waybill_no"]
    deliver(container, wb3, "picked_up")
    assert client.post("/api/v1/cod/attach", json={"waybill_no": wb3, "amount_fen": 1}, headers=me).json()["error"]["code"] == \
        "cod_not_attachable"
    # Delivered: collected (the event again changes nothing); the other one cancelled: nothing to collect.
    deliver(container, wb1)
    deliver(container, wb1)
    deliver(container, wb2, "cancelled")
    st = client.get("/api/v1/cod/statement", headers=me).json()
    assert st["totals_fen"] == {"pending": 0, "collected": 12800, "paid_out": 0, "cancelled": 5050}
    # Paid out only the next China day, through the declared payout channel (the share register records it).
    assert container.cod.settle() == 0
    clock.advance(days=1)
    assert container.cod.settle() == 1 and container.cod.settle() == 0
    st = client.get("/api/v1/cod/statement", headers=me).json()
    assert st["totals_fen"]["paid_out"] == 12800 and st["payouts"][0]["amount_fen"] == 12800 and st["payouts"][0]["status"] == "sent"
    transfer = next(iter(container.cod.channel.transfers.values()))
    assert transfer.amount_fen == 12800 and container.cod.channel.verify(transfer)
    with container.uow() as s:
        share = s.scalar(select(ShareRecord).where(ShareRecord.recipient == "cod_payout_bank"))
        assert "cod_accounts.account_number" in share.fields
    r = container.cod.reconcile()
    assert r.balanced and r.collected_fen == 12800 and r.paid_out_fen == 12800 and r.waiting_fen == 0
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(CodAlert)) == 0


@pytest.mark.promise("JD-1.1.2(1)g")
def test_a_gap_in_the_books_raises_an_alert(client, clock, container, me, caplog):
    assert bind(client, me).status_code == 200
    with container.uow() as s:
        for amount in (1000, 2000, 3000):
            s.add(CodOrder(id=uuid.uuid4(), order_id=uuid.uuid4(), waybill_no="JD0000000000000", owner_id=None, amount_fen=amount,
                           status="collected", collected_at=container.clock() - dt.timedelta(days=2)))
    assert container.cod.reconcile().balanced
    with container.uow() as s:
        payout = CodPayout(id=uuid.uuid4(), owner_id=None, business_day=dt.date(2026, 1, 1), amount_fen=3000, orders=2,
                           status="sent", created_at=container.clock())
        s.add(payout)
        s.flush()
        ids = list(s.scalars(select(CodOrder.id).where(CodOrder.amount_fen.in_((1000, 2000)))))
        s.execute(update(CodOrder).where(CodOrder.id.in_(ids)).values(status="paid_out", payout_id=payout.id))
    r = container.cod.reconcile()
    assert r.balanced and (r.collected_fen, r.paid_out_fen, r.waiting_fen) == (6000, 3000, 3000)
    # A payout recorded for more than its orders: a gap, an error in the log, an alert record.
    with container.uow() as s:
        s.get(CodPayout, payout.id).amount_fen = 3500
    r = container.cod.reconcile()
    assert not r.balanced and r.gap_fen == 500 and r.mismatched_payouts == 1
    assert "cod reconciliation gap" in caplog.text
    with container.uow() as s:
        alert = s.scalar(select(CodAlert))
        assert alert.gap_fen == 500 and alert.mismatched_payouts == 1


def test_the_cod_page_binds_adds_and_shows_the_statement(client, sms, clock, container):
    from tests.test_accounts_web import web_register  # noqa: PLC0415
    from tests.test_rights import _csrf  # noqa: PLC0415

    web_register(client, sms, phone=ME)
    page = client.get("/cod")
    assert page.status_code == 200 and 'data-testid="cod-bind-form"' in page.text and 'data-testid="cod-consent-text"' in page.text
    token = page.text.split('name="consent_token" value="')[1].split('"')[0]
    form = {"csrf_token": _csrf(client), "holder_name": "王小明", "account_type": "personal", "region_code": "110105",
            "branch": "招商银行北京望京支行", "consent_token": token}
    r = client.post("/cod/account", data={**form, "account_number": BANK_CARDS[0][:-1] + "0", "consent": "yes"})
    assert r.status_code == 422 and 'data-testid="error"' in r.text and BANK_CARDS[0][:-1] not in r.text
    r = client.post("/cod/account", data={**form, "account_number": BANK_CARDS[0]})
    assert r.status_code == 409  # the consent box not ticked
    r = client.post("/cod/account", data={**form, "account_number": BANK_CARDS[0], "consent": "yes"}, follow_redirects=True)
    assert r.status_code == 200 and 'data-testid="cod-account-number"' in r.text and BANK_CARDS[0][-4:] in r.text
    assert BANK_CARDS[0] not in r.text
    assert 'data-testid="cod-no-orders"' in r.text
