"""Shipping pages: send a parcel from the address book, see it in my parcels, pay (simulated), cancel."""
from __future__ import annotations

import re

from jidi.accounts.models import User
from jidi.addressbook.service import EntryData
from sqlalchemy import select
from tests.pii import NAMES, PHONES, STREETS
from tests.test_accounts_web import csrf, web_register


def _entries(container):
    with container.uow() as s:
        owner = s.scalars(select(User.id)).one()
    sender = container.addressbook.create(owner, EntryData("sender", NAMES[0], PHONES[0], "110105", STREETS[0], True))
    recipient = container.addressbook.create(owner, EntryData("recipient", NAMES[1], PHONES[1], "310106", STREETS[1], True))
    return sender, recipient


def test_send_a_parcel_from_the_address_book_then_pay_and_see_it(client, sms, container):
    web_register(client, sms)
    empty = client.get("/ship")
    assert 'data-testid="need-address-book"' in empty.text and 'data-testid="consent-reminder"' in empty.text
    sender, recipient = _entries(container)
    page = client.get("/ship")
    assert "王*" in page.text and NAMES[0] not in page.text and PHONES[0] not in page.text
    token = csrf(client)
    form = {"csrf_token": token, "sender_entry": str(sender), "recipient_entry": str(recipient), "item_name": "书",
            "item_category": "books", "quantity": "1", "weight_kg": "1.2", "declared_value_yuan": "50", "payment_mode": "pay_now"}
    bad = client.post("/ship", data={**form, "item_category": "explosives"})
    assert bad.status_code == 422 and 'data-code="item_prohibited"' in bad.text
    review = client.post("/ship", data=form, follow_redirects=False)
    assert review.status_code == 200 and 'data-testid="ship-confirm"' in review.text and "李*" in review.text
    assert NAMES[1] not in review.text and PHONES[1] not in review.text
    r = client.post("/ship", data={**form, "confirm": "yes"}, follow_redirects=False)
    assert r.status_code == 303
    waybill_no = re.search(r"/orders/(JD\d+)", r.headers["location"]).group(1)
    detail = client.get(r.headers["location"])
    assert 'data-testid="placed"' in detail.text and "李*" in detail.text and PHONES[1] not in detail.text
    assert 'data-testid="pay-order"' in detail.text
    client.post(f"/dev/orders/{waybill_no}/pay", data={"csrf_token": token})
    paid = client.get(f"/orders/{waybill_no}")
    assert 'data-testid="pay-order"' not in paid.text and 'data-testid="cancel-order"' in paid.text
    listing = client.get("/orders")
    assert waybill_no in listing.text
    client.post(f"/orders/{waybill_no}/cancel", data={"csrf_token": token, "confirm": "yes"})
    assert 'data-testid="cancel-order"' not in client.get(f"/orders/{waybill_no}").text


def _paid_order(client, sms, container) -> tuple[str, str]:
    web_register(client, sms)
    sender, recipient = _entries(container)
    token = csrf(client)
    r = client.post("/ship", data={"csrf_token": token, "sender_entry": str(sender), "recipient_entry": str(recipient),
                                   "item_name": "书", "item_category": "books", "weight_kg": "1.2", "payment_mode": "pay_now",
                                   "confirm": "yes"},
                    follow_redirects=False)
    waybill_no = re.search(r"/orders/(JD\d+)", r.headers["location"]).group(1)
    client.post(f"/dev/orders/{waybill_no}/pay", data={"csrf_token": token})
    return waybill_no, token


def test_cancelling_asks_first_says_the_payment_is_refunded_and_shows_in_the_route(client, sms, container):
    waybill_no, token = _paid_order(client, sms, container)
    price = container.shipping.order_for(_owner(container), waybill_no).price_fen
    # The order page only links to the question; a POST that did not come from it asks first and changes nothing.
    page = client.get(f"/orders/{waybill_no}").text
    assert f'href="/orders/{waybill_no}/cancel" data-testid="cancel-order"' in page
    r = client.post(f"/orders/{waybill_no}/cancel", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/orders/{waybill_no}/cancel"
    ask = client.get(f"/orders/{waybill_no}/cancel")
    assert ask.status_code == 200 and 'data-testid="cancel-confirm"' in ask.text
    assert f"您已支付 ¥{price / 100:.2f}" in ask.text and "全额退回" in ask.text
    assert client.get(f"/orders/{waybill_no}").text.count('data-testid="order-status"') == 1
    assert "待揽收" in client.get(f"/orders/{waybill_no}").text  # not cancelled yet
    done = client.post(f"/orders/{waybill_no}/cancel", data={"csrf_token": token, "confirm": "yes"})
    assert 'data-testid="cancelled"' in done.text and "已按原支付方式退款" in done.text
    # The route says so, on the order page and on the public tracking page; the label is gone.
    assert 'data-action="cancelled"' in done.text and "寄件人已取消订单" in done.text
    assert "寄件人已取消订单" in client.get(f"/track/{waybill_no}").text
    assert 'data-testid="label-link"' not in done.text and 'data-testid="cancel-order"' not in done.text
    label = client.get(f"/orders/{waybill_no}/label.pdf")
    assert label.status_code == 409 and label.headers["content-type"].startswith("text/html")
    assert 'data-code="order_cancelled"' in label.text and f'data-testid="waybill-no">{waybill_no}<' in label.text
    # Asking again once cancelled: the order page says it can no longer be cancelled.
    again = client.get(f"/orders/{waybill_no}/cancel")
    assert again.status_code == 409 and 'data-code="order_not_cancellable"' in again.text


def test_cancelling_an_unpaid_order_says_nothing_is_charged(client, sms, container):
    web_register(client, sms)
    sender, recipient = _entries(container)
    token = csrf(client)
    r = client.post("/ship", data={"csrf_token": token, "sender_entry": str(sender), "recipient_entry": str(recipient),
                                   "item_name": "书", "item_category": "books", "weight_kg": "1", "payment_mode": "pay_later",
                                   "confirm": "yes"},
                    follow_redirects=False)
    waybill_no = re.search(r"/orders/(JD\d+)", r.headers["location"]).group(1)
    assert "不会收取任何费用" in client.get(f"/orders/{waybill_no}/cancel").text
    done = client.post(f"/orders/{waybill_no}/cancel", data={"csrf_token": token, "confirm": "yes"})
    assert "未收取费用" in done.text and "已按原支付方式退款" not in done.text


def test_deleting_an_address_book_entry_asks_first(client, sms, container):
    web_register(client, sms)
    sender, recipient = _entries(container)
    token = csrf(client)
    listing = client.get("/address-book").text
    assert f'href="/address-book/{recipient}/delete" data-testid="delete-entry"' in listing
    r = client.post(f"/address-book/{recipient}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/address-book/{recipient}/delete"
    ask = client.get(f"/address-book/{recipient}/delete")
    assert 'data-testid="delete-confirm"' in ask.text and "李*" in ask.text and NAMES[1] not in ask.text
    assert len(container.addressbook.list(_owner(container))) == 2  # nothing deleted yet
    r = client.post(f"/address-book/{recipient}/delete", data={"csrf_token": token, "confirm": "yes"}, follow_redirects=False)
    assert r.headers["location"] == "/address-book?saved=deleted"
    assert [e.id for e in container.addressbook.list(_owner(container))] == [sender]
    assert client.get(f"/address-book/{recipient}/delete").status_code == 404


def _owner(container):
    with container.uow() as s:
        return s.scalars(select(User.id)).one()


def test_someone_elses_entries_and_parcels_are_not_reachable(client, sms, container):
    web_register(client, sms)
    sender, recipient = _entries(container)
    client.cookies.clear()
    web_register(client, sms, phone=PHONES[2])
    token = csrf(client)
    r = client.post("/ship", data={"csrf_token": token, "sender_entry": str(sender), "recipient_entry": str(recipient), "item_name": "书",
                                   "item_category": "books", "weight_kg": "1"})
    assert r.status_code == 404
    assert client.get("/orders/JD0000000000001").status_code == 422
