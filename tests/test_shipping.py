"""Shipping: quotes, orders with their waybill numbers and states, merchant imports, my parcels, real-name pickup."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from stdnum import luhn

from jidi import privacy, waybill
from jidi.errors import AppError
from jidi.i18n import gettext_for
from jidi.privacy import Actor, Purpose, PurposeNotAllowed, Role
from jidi.shipping import states
from jidi.shipping.models import Order, OrderParty, PickupRecord, VerifiedIdentity
from jidi.shipping.service import CONSENT_REMINDER
from jidi.tracking import events as ev
from tests.pii import ID_NUMBERS, ITEMS, NAMES, PHONES, STREETS
from tests.test_accounts_api import auth, register

SENDER_PHONE, RECIPIENT_PHONE, OTHER = PHONES[0], PHONES[1], PHONES[2]


def order_body(**over):
    body = {
        "sender": {"name": NAMES[0], "phone": SENDER_PHONE, "region_code": "110105", "address": STREETS[0]},
        "recipient": {"name": NAMES[1], "phone": RECIPIENT_PHONE, "region_code": "310106", "address": STREETS[1]},
        "item_name": ITEMS[0], "item_category": "daily_goods", "quantity": 1, "weight_g": 1500, "declared_value_fen": 50000,
        "service_type": "standard", "payment_mode": "pay_now",
    }
    body.update(over)
    return body


def count(container, model):
    with container.uow() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_waybill_numbers_have_prefix_fixed_length_and_check_digit():
    numbers = {waybill.new_waybill_no() for _ in range(200)}
    assert len(numbers) == 200
    for n in numbers:
        assert n.startswith("JD") and len(n) == 15 and luhn.is_valid(n[2:])
        assert waybill.is_valid(n) and waybill.is_valid(n[:2] + " " + n[2:8] + "-" + n[8:])
        wrong = n[:-1] + str((int(n[-1]) + 1) % 10)
        assert not waybill.is_valid(wrong)
    assert not waybill.is_valid("JD123") and not waybill.is_valid("SF" + next(iter(numbers))[2:])


def test_quotes_follow_zones_and_weight(client):
    def price(o, d, g, svc="standard"):
        return client.post("/api/v1/quotes", json={"origin_region": o, "dest_region": d, "weight_g": g, "service_type": svc}).json()

    assert price("110105", "110108", 900) == {"zone": "same_city", "chargeable_kg": 1, "price_fen": 1000}
    assert price("320102", "320583", 2100)["zone"] == "same_province" and price("320102", "320583", 2100)["chargeable_kg"] == 3
    assert price("110105", "130102", 1000)["zone"] == "same_region"
    assert price("110105", "440305", 1000) == {"zone": "national", "chargeable_kg": 1, "price_fen": 2000}
    assert price("110105", "440305", 1000, "express")["price_fen"] == 3000
    for bad in ({"origin_region": "999999"}, {"dest_region": "110000"}, {"weight_g": 0}, {"weight_g": 50001}):
        r = client.post("/api/v1/quotes", json={"origin_region": "110105", "dest_region": "310106", "weight_g": 500, **bad})
        assert r.status_code == 422, bad


@pytest.mark.promise("JD-1.1.2(1)a", "CN-3.1.7", "JD-1.1", "JD-1.1.2(1)b", "CN-3.3.3")
def test_placing_an_order_stores_every_party_encrypted_under_its_own_key(client, sms, container):
    token = register(client, sms, phone=SENDER_PHONE)
    r = client.post("/api/v1/orders", json=order_body(), headers=auth(token))
    assert r.status_code == 201, r.text
    assert r.json()["reminder"] == gettext_for("zh_CN")(CONSENT_REMINDER) != CONSENT_REMINDER  # in the user's language
    wb = r.json()["waybill_no"]
    assert waybill.is_valid(wb)
    got = client.get(f"/api/v1/orders/{wb}", headers=auth(token)).json()
    assert got["status"] == "awaiting_payment" and got["price_fen"] == 2000 + 1000  # east-north national, 2 kg
    assert got["recipient"] == {"name": "李*", "phone": "137****1111", "region_code": "310106", "address": "******"}
    assert got["my_role"] == "sender" and got["item_name"] == "祖***"
    with container.uow() as s:
        parties = s.scalars(select(OrderParty)).all()
        order = s.scalars(select(Order)).one()
        subjects = {p.subject_id for p in parties} | {order.subject_id}
        assert len(subjects) == 3  # sender, recipient and the order each under their own key


def test_prohibited_items_are_refused_with_a_reason(client, sms, container):
    token = register(client, sms)
    r = client.post("/api/v1/orders", json=order_body(item_category="explosives"), headers=auth(token))
    assert r.status_code == 422 and r.json()["error"]["code"] == "item_prohibited"
    assert count(container, Order) == 0 and count(container, OrderParty) == 0


@pytest.mark.parametrize("change", [
    {"recipient": {"name": NAMES[1], "phone": "12345", "region_code": "310106", "address": STREETS[1]}},
    {"recipient": {"name": NAMES[1], "phone": RECIPIENT_PHONE, "region_code": "990101", "address": STREETS[1]}},
    {"recipient": {"name": "\u0007", "phone": RECIPIENT_PHONE, "region_code": "310106", "address": STREETS[1]}},
    {"weight_g": 0}, {"weight_g": 60000}, {"declared_value_fen": -1}, {"quantity": 0}, {"item_category": "spaceships"},
    {"pickup_from": "2020-01-01T08:00:00+08:00", "pickup_until": "2020-01-01T10:00:00+08:00"},
])
def test_bad_orders_are_refused_and_nothing_is_half_written(client, sms, container, change):
    token = register(client, sms)
    r = client.post("/api/v1/orders", json=order_body(**change), headers=auth(token))
    assert r.status_code == 422, r.text
    assert count(container, Order) == 0 and count(container, OrderParty) == 0
    assert RECIPIENT_PHONE not in r.text and NAMES[1] not in r.text


@pytest.mark.promise("JD-1.1.2(6)a")
def test_fulfilment_starts_only_after_payment_or_accepted_pay_later(client, sms, container):
    token = register(client, sms)
    courier = Actor(uuid.uuid4(), Role.COURIER)
    unpaid = client.post("/api/v1/orders", json=order_body(), headers=auth(token)).json()["waybill_no"]
    with pytest.raises(Exception) as exc:
        container.shipping.pick_up(courier, unpaid, "resident_id", ID_NUMBERS[0], NAMES[0])
    assert getattr(exc.value, "code", "") == "pickup_not_allowed"
    container.shipping.mark_paid(unpaid)
    assert container.shipping.pick_up(courier, unpaid, "resident_id", ID_NUMBERS[0], NAMES[0]).reused_identity is False
    later = client.post("/api/v1/orders", json=order_body(payment_mode="pay_later"), headers=auth(token)).json()["waybill_no"]
    assert client.get(f"/api/v1/orders/{later}", headers=auth(token)).json()["status"] == "awaiting_pickup"


@pytest.mark.promise("JD-1.1.2(6)b")
def test_real_name_pickup_records_the_id_and_reuses_a_verified_identity(client, sms, container):
    token = register(client, sms)
    courier = Actor(uuid.uuid4(), Role.COURIER)
    first, second = (client.post("/api/v1/orders", json=order_body(payment_mode="pay_later"), headers=auth(token)).json()["waybill_no"]
                     for _ in range(2))
    for bad in (("resident_id", "110105194912310021", NAMES[0]), ("resident_id", "", NAMES[0]), ("passport", "E1", NAMES[0])):
        with pytest.raises(Exception) as exc:
            container.shipping.pick_up(courier, first, *bad)
        assert getattr(exc.value, "status", 0) == 422
    with pytest.raises(Exception) as exc:  # refusing the ID check means the parcel is not accepted
        container.shipping.pick_up(courier, first)
    assert exc.value.code == "identity_required"
    assert container.shipping.pick_up(courier, first, "resident_id", ID_NUMBERS[0].lower(), NAMES[0]).reused_identity is False
    assert container.shipping.pick_up(courier, second).reused_identity is True  # the account is verified now
    with pytest.raises(AppError, match="^forbidden$"):  # only couriers pick up
        container.shipping.pick_up(Actor(uuid.uuid4(), Role.SUPPORT_AGENT), second)
    with container.uow() as s:
        records = s.scalars(select(PickupRecord)).all()
        assert len(records) == 2 and all(r.id_number_bidx == container.vault.blind_index("id_number", ID_NUMBERS[0]) for r in records)
        ident = s.scalars(select(VerifiedIdentity)).one()
        assert str(ident.id_number) == "1****************X"
        assert ident.id_number.spec.sensitive
        with pytest.raises(PurposeNotAllowed):  # the legal record is not for delivery use
            privacy.open(records[0].id_number, for_=Purpose.DELIVERY, actor=privacy.Actor.system())
    # Only name, address and phone are on the order a waybill is printed from: no ID number.
    got = client.get(f"/api/v1/orders/{first}", headers=auth(token)).json()
    assert got["status"] == "picked_up" and "id" not in str(got["sender"]).lower().replace("region", "")


def test_cancel_before_pickup_only(client, sms, container):
    token = register(client, sms)
    wb = client.post("/api/v1/orders", json=order_body(payment_mode="pay_later"), headers=auth(token)).json()["waybill_no"]
    assert client.post(f"/api/v1/orders/{wb}/cancel", headers=auth(token)).status_code == 204
    assert client.get(f"/api/v1/orders/{wb}", headers=auth(token)).json()["status"] == "cancelled"
    wb2 = client.post("/api/v1/orders", json=order_body(payment_mode="pay_later"), headers=auth(token)).json()["waybill_no"]
    container.shipping.pick_up(Actor(uuid.uuid4(), Role.COURIER), wb2, "passport", ID_NUMBERS[1], NAMES[0])
    r = client.post(f"/api/v1/orders/{wb2}/cancel", headers=auth(token))
    assert r.status_code == 409 and r.json()["error"]["code"] == "order_not_cancellable"


def test_a_cancellation_refunds_a_paid_order_and_joins_the_route(client, sms, container):
    token = register(client, sms)
    owner = container.accounts.user_id_for_phone(PHONES[0])
    paid = client.post("/api/v1/orders", json=order_body(), headers=auth(token)).json()["waybill_no"]
    container.shipping.mark_paid(paid)
    unpaid = client.post("/api/v1/orders", json=order_body(payment_mode="pay_later"), headers=auth(token)).json()["waybill_no"]
    price = container.shipping.order_for(owner, paid).price_fen
    assert container.shipping.cancel(owner, paid) == price > 0
    assert container.shipping.cancel(owner, unpaid) == 0
    assert container.shipping.order_for(owner, paid).refunded_fen == price
    assert container.shipping.order_for(owner, unpaid).refunded_fen == 0
    # The route says so, on the public tracking API too; jidi wrote it, so a scanner cannot send it.
    for wb in (paid, unpaid):
        route = client.get(f"/api/v1/tracking/{wb}").json()["events"]
        assert [(e["action"], e["description"]) for e in route] == [("cancelled", "寄件人已取消订单")]
    assert "cancelled" not in ev.ACTIONS


@pytest.mark.promise("JD-1.1.2(2)a")
def test_my_parcels_lists_sent_and_received_and_hides_others(client, sms, container, clock):
    sender = register(client, sms, phone=SENDER_PHONE)
    wb = client.post("/api/v1/orders", json=order_body(), headers=auth(sender)).json()["waybill_no"]
    _, key = container.shipping.create_merchant("示例商城")
    imported = client.post("/api/v1/merchant/orders", json={**order_body(), "merchant_order_id": "shop-1"}, headers={"X-Api-Key": key})
    assert imported.status_code == 201
    # The consent reminder, in the merchant's language, citing no internal promise id.
    again = client.post("/api/v1/merchant/orders", json={**order_body(), "merchant_order_id": "shop-1"},
                        headers={"X-Api-Key": key, "Accept-Language": "en"})
    assert again.status_code == 200 and again.json()["reminder"] == CONSENT_REMINDER
    assert imported.json()["reminder"] == gettext_for("zh_CN")(CONSENT_REMINDER) and "JD-" not in imported.text
    recipient = register(client, sms, phone=RECIPIENT_PHONE)
    mine = client.get("/api/v1/orders", headers=auth(recipient)).json()
    assert {o["waybill_no"] for o in mine} == {wb, imported.json()["waybill_no"]} and {o["my_role"] for o in mine} == {"recipient"}
    stranger = register(client, sms, phone=OTHER)
    assert client.get("/api/v1/orders", headers=auth(stranger)).json() == []
    r = client.get(f"/api/v1/orders/{wb}", headers=auth(stranger))
    assert r.status_code == 404
    assert client.get("/api/v1/orders/JD0000000000001", headers=auth(stranger)).json()["error"]["code"] == "invalid_waybill"
    assert client.post(f"/api/v1/orders/{wb}/cancel", headers=auth(recipient)).status_code == 404  # only the sender cancels


@pytest.mark.promise("JD-1.3a", "ZK-1.3.2", "CN-3.3.1")
def test_merchant_imports_are_authenticated_and_idempotent(client, container):
    _, key = container.shipping.create_merchant("示例商城")
    body = {**order_body(), "merchant_order_id": "shop-2026-0001"}
    assert client.post("/api/v1/merchant/orders", json=body).status_code == 401
    assert client.post("/api/v1/merchant/orders", json=body, headers={"X-Api-Key": "mk_wrong"}).status_code == 401
    first = client.post("/api/v1/merchant/orders", json=body, headers={"X-Api-Key": key})
    again = client.post("/api/v1/merchant/orders", json=body, headers={"X-Api-Key": key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["waybill_no"] == again.json()["waybill_no"] and again.json()["created"] is False
    assert count(container, Order) == 1
    _, other_key = container.shipping.create_merchant("另一家店")
    assert client.post("/api/v1/merchant/orders", json=body, headers={"X-Api-Key": other_key}).status_code == 201
    bad = client.post("/api/v1/merchant/orders", json={**body, "merchant_order_id": "shop-2", "item_category": "narcotics"},
                      headers={"X-Api-Key": key})
    assert bad.status_code == 422 and count(container, Order) == 2


def test_state_machine():
    assert states.can_move(states.AWAITING_PICKUP, states.PICKED_UP)
    assert not states.can_move(states.AWAITING_PAYMENT, states.PICKED_UP)
    assert not states.can_move(states.DELIVERED, states.IN_TRANSIT)
    assert states.can_move(states.OUT_FOR_DELIVERY, states.REFUSED) and states.can_move(states.REFUSED, states.RETURNING)


def test_cli_creates_a_merchant_whose_key_imports_orders(client, container, monkeypatch):
    from click.testing import CliRunner  # noqa: PLC0415

    from jidi.cli import main as cli  # noqa: PLC0415

    for k, v in {"JIDI_DATABASE_URL": container.settings.database_url, "JIDI_KEY_SOURCE": container.settings.key_source,
                 "JIDI_QUEUE_URL": "immediate", "JIDI_VAR_DIR": str(container.settings.var_dir), "JIDI_ENV": "test"}.items():
        monkeypatch.setenv(k, v)
    out = CliRunner().invoke(cli, ["merchant", "create", "示例商城"])
    assert out.exit_code == 0, out.output
    key = out.output.strip().splitlines()[-1]
    r = client.post("/api/v1/merchant/orders", json={**order_body(), "merchant_order_id": "cli-1"}, headers={"X-Api-Key": key})
    assert r.status_code == 201
