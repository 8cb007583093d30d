"""The order page and the lists of parcels (issue 15): the owner reveals an address of their order (a POST with CSRF,
nothing personal in the URL, audited), no one else can; the step bar; the home page's parcels on the way; the list
of my parcels reads one personal value a row and a constant number of statements, however many orders."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from jidi.privacy.datamap import Relation
from jidi.privacy.models import AuditRecord
from jidi.shipping import states
from jidi.shipping.models import Order
from tests.pii import PHONES, STREETS
from tests.test_accounts_web import csrf, web_register
from tests.test_shipping_pages import _entries, _owner


def _place(client, container, token, sender, recipient, n: int = 1) -> list[str]:
    form = {"csrf_token": token, "sender_entry": str(sender), "recipient_entry": str(recipient), "item_name": "书",
            "item_category": "books", "quantity": "1", "weight_kg": "1.2", "declared_value_yuan": "0", "payment_mode": "pay_later",
            "confirm": "yes"}
    out = []
    for _ in range(n):
        r = client.post("/ship", data=form, follow_redirects=False)
        out.append(re.search(r"/orders/(JD\d+)", r.headers["location"]).group(1))
    return out


def _reveals(container) -> list[AuditRecord]:
    with container.uow() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.action == "reveal")))


@pytest.mark.promise("JD-2.2", "JD-5.1.1(4)a", "JD-5.1.2(2)")
def test_the_owner_reveals_one_address_of_their_order_by_post_and_it_is_audited(client, sms, container):
    web_register(client, sms)
    sender, recipient = _entries(container)
    token = csrf(client)
    (waybill_no,) = _place(client, container, token, sender, recipient)
    page = client.get(f"/orders/{waybill_no}").text
    assert STREETS[0] not in page and STREETS[1] not in page
    assert 'data-testid="reveal-sender"' in page and 'data-testid="reveal-recipient"' in page
    assert f'action="/orders/{waybill_no}/reveal"' in page and 'name="field" value="recipient"' in page
    assert not _reveals(container)  # showing the page masked opens nothing for a person
    # Without the CSRF token: refused, nothing opened.
    assert client.post(f"/orders/{waybill_no}/reveal", data={"field": "recipient"}).status_code == 403
    shown = client.post(f"/orders/{waybill_no}/reveal", data={"csrf_token": token, "field": "recipient"}, follow_redirects=False)
    assert shown.status_code == 200 and "no-store" in shown.headers["cache-control"]
    assert f'data-testid="revealed-recipient">{STREETS[1]}<' in shown.text
    assert STREETS[0] not in shown.text  # only the address asked for
    (record,) = _reveals(container)
    assert record.fields == "order_parties.address" and record.purpose == "self_service" and record.basis == "contract"
    assert record.detail == "held by the account holder" and record.actor_role == "customer"
    # A field that is neither party: not found, nothing opened.
    assert client.post(f"/orders/{waybill_no}/reveal", data={"csrf_token": token, "field": "item"}).status_code == 404
    assert len(_reveals(container)) == 1


@pytest.mark.promise("JD-2.2", "JD-5.1.1(4)a", "JD-1.1.2(2)a")
def test_no_one_but_the_owner_can_reveal_not_even_the_recipient(app, client, sms, container):
    web_register(client, sms)
    sender, recipient = _entries(container)
    (waybill_no,) = _place(client, container, csrf(client), sender, recipient)
    with TestClient(app, base_url="https://testserver") as other:
        web_register(other, sms, PHONES[1])  # the recipient's own account: the parcel is addressed to them
        page = other.get(f"/orders/{waybill_no}")
        assert page.status_code == 200 and 'data-testid="reveal-recipient"' not in page.text and STREETS[1] not in page.text
        token = csrf(other)
        for field in ("sender", "recipient"):
            r = other.post(f"/orders/{waybill_no}/reveal", data={"csrf_token": token, "field": field})
            assert r.status_code == 404 and STREETS[0] not in r.text and STREETS[1] not in r.text
        # The recipient's data still lists the waybill's recipient row as a record naming them (shown masked to them),
        # not as another account's private record: the sender may open it, the recipient still sees it.
        me = container.accounts.user_id_for_phone(PHONES[1])
        with container.uow() as s:
            found = container.datamap.find(s, me)
            relations = {fr.relation for fr in found.tables["order_parties"]}
        assert relations == {Relation.IDENTIFIER}
    with TestClient(app, base_url="https://testserver") as stranger:
        web_register(stranger, sms, PHONES[2])
        r = stranger.post(f"/orders/{waybill_no}/reveal", data={"csrf_token": csrf(stranger), "field": "recipient"})
        assert r.status_code == 404 and STREETS[1] not in r.text
    assert not _reveals(container)


def test_order_page_step_bar_and_actions_without_a_fake_complaint_page(client, sms, container):
    web_register(client, sms)
    sender, recipient = _entries(container)
    token = csrf(client)
    (waybill_no,) = _place(client, container, token, sender, recipient)
    page = client.get(f"/orders/{waybill_no}").text
    bar = re.search(r'<ol class="track-steps"[^>]*data-testid="order-steps">(.*?)</ol>', page, re.S).group(1)
    assert bar.count("<li") == len(states.FORWARD_STEPS) and bar.count('aria-current="step"') == 1
    assert '<li class="current" aria-current="step">待揽收</li>' in bar
    for testid in ("label-link", "cancel-order", "ship-again"):
        assert f'data-testid="{testid}"' in page
    assert 'data-testid="complain"' not in page and client.get("/help/complaint").status_code == 404
    assert "invoice" not in page.lower()  # no invoice page exists: no link to one


def test_step_bar_follows_the_parcel():
    assert states.steps(states.AWAITING_PAYMENT) == [] and states.steps(states.CANCELLED) == []
    assert states.steps(states.NOT_ACCEPTED)[0] == (states.AWAITING_PICKUP, "current")
    assert [st for _, st in states.steps(states.IN_TRANSIT)] == ["done", "done", "current", "todo", "todo"]
    assert states.steps(states.RETURNED)[-1] == (states.RETURNED, "current")


def test_home_shows_my_parcels_on_the_way_and_not_finished_ones(client, sms, container):
    web_register(client, sms)
    sender, recipient = _entries(container)
    token = csrf(client)
    moving, cancelled = _place(client, container, token, sender, recipient, 2)
    client.post(f"/orders/{cancelled}/cancel", data={"csrf_token": token, "confirm": "yes"})
    home = client.get("/").text
    assert 'data-testid="home-moving"' in home and moving in home and cancelled not in home
    assert "李*" in home or "To" in home or "收件人" in home  # the other party, masked
    assert STREETS[1] not in home and PHONES[1] not in home


def test_my_parcels_costs_the_same_statements_for_many_orders_and_opens_no_phone_or_address(client, sms, container, backend):
    web_register(client, sms)
    sender, recipient = _entries(container)
    token = csrf(client)
    _place(client, container, token, sender, recipient, 2)
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    engine = backend[2]

    def listed() -> tuple[int, str]:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            text = client.get("/orders").text
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements), text

    few, _ = listed()
    _place(client, container, token, sender, recipient, 23)
    many, text = listed()
    assert many == few, statements
    assert text.count('data-testid="order-link"') == 20 and 'data-testid="pagination"' in text
    assert "李*" in text and PHONES[1] not in text and STREETS[1] not in text
    rows = container.shipping.my_orders_page(_owner(container)).orders
    assert all(r.mine_as == "sender" and r.other_name is not None for r in rows)
    with container.uow() as s:
        assert s.query(Order).count() == 25
