"""The ship journey: an estimate before ordering (with and without JavaScript), pickup slots, insurance, the
confirmation step, ship again, and the order page's estimated delivery."""
from __future__ import annotations

import datetime as dt
import re


from jidi.i18n import CHINA
from jidi.shipping import journey
from tests.pii import NAMES, PHONES, STREETS
from tests.test_accounts_web import csrf, web_register
from tests.test_shipping_pages import _entries, _owner


def _form(token, sender, recipient, **extra):
    return {"csrf_token": token, "sender_entry": str(sender), "recipient_entry": str(recipient), "item_name": "书",
            "item_category": "books", "quantity": "1", "weight_kg": "2.3", "declared_value_yuan": "500", "payment_mode": "pay_later",
            **extra}


def test_premium_is_half_a_percent_at_least_one_yuan_and_only_when_insured():
    assert journey.insurance_fen(50_000, True) == 250
    assert journey.insurance_fen(1_000, True) == journey.INSURANCE_MIN_FEN
    assert journey.insurance_fen(50_001, True) == 251  # rounded up to the fen
    assert journey.insurance_fen(50_000, False) == 0 and journey.insurance_fen(0, True) == 0


def test_slots_in_china_time_skip_the_past_and_the_lead_time():
    now = dt.datetime(2026, 12, 6, 10, 45, tzinfo=CHINA)  # 11:00 starts within 30 minutes: not offered
    slots = journey.candidate_slots(now.astimezone(dt.UTC))
    assert slots[0].key == "2026120613" and slots[0].start.tzinfo is CHINA
    assert len(slots) == 3 + 2 * len(journey.SLOT_STARTS)
    assert journey.slot_from_key("2026120612") is None and journey.slot_from_key("../etc") is None


def test_estimate_without_javascript_then_confirm_then_place(client, sms, container):
    web_register(client, sms)
    sender, recipient = _entries(container)  # Beijing -> Shanghai: national
    token = csrf(client)
    est = client.post("/ship", data=_form(token, sender, recipient, insured="yes", action="estimate"))
    assert est.status_code == 200
    # 2.3 kg -> 3 kg national: 2000 + 2 * 1000 fen; insurance 0.5% of ¥500 = ¥2.50.
    assert 'data-testid="estimate-freight">¥40.00<' in est.text and 'data-testid="estimate-insurance">¥2.50<' in est.text
    assert 'data-testid="estimate-total"><strong>¥42.50<' in est.text
    live = client.post("/ship/estimate", data=_form(token, sender, recipient, insured="yes"))
    assert live.json()["total"] == "¥42.50" and live.json()["total_fen"] == 4250
    bad = client.post("/ship/estimate", data=_form(token, sender, recipient, weight_kg="abc"))
    assert bad.status_code == 422 and "error" in bad.json()
    slot = re.search(r'name="slot" value="(\d{10})"', est.text).group(1)
    review = client.post("/ship", data=_form(token, sender, recipient, insured="yes", slot=slot))
    assert 'data-testid="ship-confirm"' in review.text and "¥42.50" in review.text
    assert NAMES[1] not in review.text and PHONES[1] not in review.text and STREETS[1] not in review.text
    assert container.shipping.my_orders(_owner(container)) == []  # nothing placed before the confirmation
    placed = client.post("/ship", data=_form(token, sender, recipient, insured="yes", slot=slot, confirm="yes"), follow_redirects=False)
    waybill_no = re.search(r"/orders/(JD\d+)", placed.headers["location"]).group(1)
    order = container.shipping.order_for(_owner(container), waybill_no)
    assert order.price_fen == 4250 and order.insurance_fen == 250
    assert order.pickup_from.astimezone(CHINA).strftime("%Y%m%d%H") == slot
    page = client.get(f"/orders/{waybill_no}").text
    assert 'data-testid="order-eta"' in page and 'data-testid="order-insurance"' in page
    assert STREETS[1] not in page  # the street addresses stay hidden


def test_ship_again_selects_the_same_entries_by_id_and_a_full_slot_is_not_offered(client, sms, container):
    web_register(client, sms)
    sender, recipient = _entries(container)
    extra = container.addressbook.list(_owner(container), "recipient")  # one recipient; ship-again must pick it, not a default
    token = csrf(client)
    r = client.post("/ship", data=_form(token, sender, recipient, confirm="yes", weight_kg="4"), follow_redirects=False)
    waybill_no = re.search(r"/orders/(JD\d+)", r.headers["location"]).group(1)
    order_page = client.get(f"/orders/{waybill_no}").text
    assert f'href="/ship?again={waybill_no}" data-testid="ship-again"' in order_page
    again = client.get(f"/ship?again={waybill_no}").text
    assert 'data-testid="ship-again-notice"' in again and 'value="4"' in again
    assert f'<option value="{recipient}" selected' in again and f'<option value="{sender}" selected' in again
    assert NAMES[1] not in again and extra
    # Another person's order cannot be copied.
    assert client.get("/ship?again=JD0000000000001").status_code in (404, 422)
    # Fill the first open slot of the sender's district: it is no longer offered.
    first = container.shipping.pickup_slots("110105")[0]
    for _ in range(journey.SLOT_CAPACITY):
        client.post("/ship", data=_form(token, sender, recipient, confirm="yes", slot=first.key))
    assert first.key not in [s.key for s in container.shipping.pickup_slots("110105")]
    refused = client.post("/ship", data=_form(token, sender, recipient, confirm="yes", slot=first.key))
    assert refused.status_code == 409 and 'data-code="slot_unavailable"' in refused.text
