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
    r = client.post("/ship", data=form, follow_redirects=False)
    assert r.status_code == 303
    waybill_no = re.search(r"/orders/(JD\d+)", r.headers["location"]).group(1)
    detail = client.get(r.headers["location"])
    assert 'data-testid="placed"' in detail.text and "李*" in detail.text and PHONES[1] not in detail.text
    assert 'data-testid="simulated-pay"' in detail.text
    client.post(f"/dev/orders/{waybill_no}/pay", data={"csrf_token": token})
    paid = client.get(f"/orders/{waybill_no}")
    assert 'data-testid="simulated-pay"' not in paid.text and 'data-testid="cancel-order"' in paid.text
    listing = client.get("/orders")
    assert waybill_no in listing.text
    client.post(f"/orders/{waybill_no}/cancel", data={"csrf_token": token})
    assert 'data-testid="cancel-order"' not in client.get(f"/orders/{waybill_no}").text


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
