"""Family numbers (亲情号, JD-1.1.2(2)c–e, A9): a relative's role and number, their SMS code as authorisation,
their incoming parcels (created after activation, masked) and collection on their behalf; either side ends it."""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from jidi.family.models import FamilyBinding, ProxyCollection
from jidi.notify.models import SmsMessage
from jidi.privacy.models import AuditRecord, SubjectKey
from jidi.shipping import states
from jidi.shipping.models import Order
from tests.pii import NAMES, PHONES, STREETS
from tests.test_accounts_api import auth, register
from tests.test_accounts_web import web_register
from tests.test_shipping import order_body

BINDER, RELATIVE, STRANGER, SHOP = PHONES[0], PHONES[1], PHONES[2], PHONES[3]


@pytest.fixture
def people(client, sms, clock):
    """Tokens of the binder and of a shop (the sender of the relative's parcels)."""
    binder = register(client, sms, phone=BINDER)
    shop = register(client, sms, phone=SHOP)
    clock.advance(seconds=61)
    return {"binder": auth(binder), "shop": auth(shop)}


def send_to(client, headers, clock, phone=RELATIVE) -> str:
    clock.advance(seconds=1)
    body = order_body(sender={"name": NAMES[3], "phone": SHOP, "region_code": "110105", "address": STREETS[0]},
                      recipient={"name": NAMES[1], "phone": phone, "region_code": "310106", "address": STREETS[1]})
    r = client.post("/api/v1/orders", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["waybill_no"]


def bind(client, headers, role="parent", phone=RELATIVE):
    return client.post("/api/v1/family", json={"role": role, "phone": phone}, headers=headers)


def activate(client, headers, binding_id, code):
    return client.post(f"/api/v1/family/{binding_id}/activate", json={"code": code}, headers=headers)


def bound(client, sms, clock, h) -> str:
    """An active binding of the binder to the relative's number; returns its id."""
    r = bind(client, h)
    assert r.status_code == 202, r.text
    binding_id = r.json()["binding"]["id"]
    assert activate(client, h, binding_id, sms.last_code(RELATIVE)).status_code == 200
    clock.advance(seconds=61)
    return binding_id


def family_waybills(client, h) -> list[str]:
    r = client.get("/api/v1/family/parcels", headers=h)
    assert r.status_code == 200, r.text
    return [p["order"]["waybill_no"] for g in r.json() for p in g["parcels"]]


def set_status(container, wb, status, delivered_as=None):
    with container.uow() as s:
        order = s.scalar(select(Order).where(Order.waybill_no == wb))
        order.status, order.delivered_as = status, delivered_as


@pytest.mark.promise("JD-1.1.2(2)c", "JD-1.1.2(2)d")
def test_a_binding_names_the_role_and_number_and_is_active_only_with_the_relatives_code(client, sms, clock, container, people):
    h = people["binder"]
    assert bind(client, h, role="boss").status_code == 422  # the relative's role is one of the listed ones
    assert bind(client, h, phone="12345").status_code == 422
    r = bind(client, h, phone=BINDER)
    assert r.status_code == 409 and r.json()["error"]["code"] == "family_own_number"
    r = bind(client, h, role="parent")
    assert r.status_code == 202, r.text
    binding = r.json()["binding"]
    assert binding["status"] == "pending" and binding["role"] == "parent" and binding["phone"] == "137****1111"
    assert RELATIVE not in r.text
    # The code goes to the relative's phone, saying what it authorises.
    to, text = sms.sent[-1]
    assert to == RELATIVE and ("family" in text or "亲情号" in text)
    code = sms.last_code(RELATIVE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = activate(client, h, binding["id"], wrong)
    assert r.status_code == 400 and r.json()["error"]["code"] == "code_invalid"
    assert client.get("/api/v1/family", headers=h).json()[0]["status"] == "pending"
    assert client.get("/api/v1/family/parcels", headers=h).json() == []  # nothing while pending
    r = activate(client, h, binding["id"], code)
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["activated_at"]
    assert activate(client, h, binding["id"], code).json()["error"]["code"] == "family_not_pending"
    clock.advance(seconds=61)
    r = bind(client, h, role="spouse")
    assert r.status_code == 409 and r.json()["error"]["code"] == "family_already_bound"
    binder_id = uuid.UUID(client.get("/api/v1/me", headers=h).json()["id"])
    with container.uow() as s:
        row = s.scalars(select(FamilyBinding)).one()
        # The number is the relative's data: sealed under the binding's own subject, found by its blind index.
        assert row.binder_id == binder_id and row.subject_id != binder_id
        assert row.phone_bidx == container.vault.blind_index("phone", RELATIVE)
        assert s.get(SubjectKey, row.subject_id) is not None
        assert all(m.subject_id != binder_id for m in s.scalars(select(SmsMessage).where(SmsMessage.template == "family_code")))
        assert s.scalar(select(AuditRecord).where(AuditRecord.action == "family_activated")) is not None


@pytest.mark.promise("JD-1.1.2(2)d")
def test_a_pending_binding_can_get_a_new_code_and_the_old_one_stops_working(client, sms, clock, people):
    h = people["binder"]
    binding_id = bind(client, h).json()["binding"]["id"]
    first = sms.last_code(RELATIVE)
    r = client.post(f"/api/v1/family/{binding_id}/code", headers=h)
    assert r.status_code == 429 and r.json()["error"]["code"] == "code_too_soon"
    clock.advance(seconds=61)
    assert client.post(f"/api/v1/family/{binding_id}/code", headers=h).status_code == 202
    second = sms.last_code(RELATIVE)
    if first != second:
        assert activate(client, h, binding_id, first).status_code == 400
    assert activate(client, h, binding_id, second).status_code == 200
    assert client.post(f"/api/v1/family/{binding_id}/code", headers=h).status_code == 404  # active: no more codes


@pytest.mark.promise("JD-1.1.2(2)e")
def test_the_binder_sees_only_the_relatives_parcels_created_after_activation_masked(client, sms, clock, container, people):
    h, shop = people["binder"], people["shop"]
    before = send_to(client, shop, clock)
    r = bind(client, h)
    binding_id = r.json()["binding"]["id"]
    while_pending = send_to(client, shop, clock)
    assert family_waybills(client, h) == []
    assert activate(client, h, binding_id, sms.last_code(RELATIVE)).status_code == 200
    clock.advance(seconds=61)
    after = send_to(client, shop, clock)
    to_someone_else = send_to(client, shop, clock, phone=STRANGER)
    groups = client.get("/api/v1/family/parcels", headers=h).json()
    assert len(groups) == 1 and groups[0]["binding"]["id"] == binding_id and groups[0]["binding"]["role"] == "parent"
    parcels = groups[0]["parcels"]
    assert [p["order"]["waybill_no"] for p in parcels] == [after]
    assert before not in str(groups) and while_pending not in str(groups) and to_someone_else not in str(groups)
    order = parcels[0]["order"]
    assert order["my_role"] == "family"
    assert order["recipient"] == {"name": "李*", "phone": "137****1111", "region_code": "310106", "address": "******"}
    assert order["sender"]["phone"] == "186****3333" and order["item_name"] == "祖***"
    assert parcels[0]["can_collect"] is False and parcels[0]["proxy_collected_at"] is None
    # A separate group: the binder's own parcels are unchanged, and the parcel pages stay the parties' own.
    assert client.get("/api/v1/orders", headers=h).json() == []
    assert client.get(f"/api/v1/orders/{after}", headers=h).status_code == 404


@pytest.mark.promise("JD-1.1.2(2)e")
def test_collecting_on_the_relatives_behalf_records_who_collected(client, sms, clock, container, people):
    h, shop = people["binder"], people["shop"]
    bound(client, sms, clock, h)
    out, locker, unpaid, doorstep = (send_to(client, shop, clock) for _ in range(4))
    set_status(container, out, states.OUT_FOR_DELIVERY)
    set_status(container, locker, states.DELIVERED, "locker")
    set_status(container, doorstep, states.DELIVERED, "recipient")
    parcels = {p["order"]["waybill_no"]: p for g in client.get("/api/v1/family/parcels", headers=h).json() for p in g["parcels"]}
    assert {wb for wb, p in parcels.items() if p["can_collect"]} == {out, locker}
    for wb in (out, locker):
        r = client.post(f"/api/v1/family/parcels/{wb}/collect", headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["proxy_collected_at"] and r.json()["can_collect"] is False
    r = client.post(f"/api/v1/family/parcels/{out}/collect", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_collected"
    for wb in (unpaid, doorstep):
        r = client.post(f"/api/v1/family/parcels/{wb}/collect", headers=h)
        assert r.status_code == 409 and r.json()["error"]["code"] == "not_collectable"
    binder_id = uuid.UUID(client.get("/api/v1/me", headers=h).json()["id"])
    with container.uow() as s:
        rows = s.scalars(select(ProxyCollection)).all()
        assert len(rows) == 2 and {r.proxy_collected_by for r in rows} == {binder_id}
    # Not the binder's relative: not found, whoever asks.
    clock.advance(seconds=61)
    stranger = auth(register(client, sms, phone=STRANGER))
    assert client.post(f"/api/v1/family/parcels/{unpaid}/collect", headers=stranger).status_code == 404
    assert client.post("/api/v1/family/parcels/JD123/collect", headers=h).status_code == 404


@pytest.mark.promise("JD-1.1.2(2)e")
def test_the_binder_ends_it_and_the_parcels_disappear_at_once(client, sms, clock, container, people):
    h, shop = people["binder"], people["shop"]
    binding_id = bound(client, sms, clock, h)
    wb = send_to(client, shop, clock)
    set_status(container, wb, states.OUT_FOR_DELIVERY)
    assert family_waybills(client, h) == [wb]
    assert client.post(f"/api/v1/family/{binding_id}/end", headers=h).status_code == 204
    assert client.get("/api/v1/family/parcels", headers=h).json() == []
    assert client.get("/api/v1/family", headers=h).json() == []
    assert client.post(f"/api/v1/family/parcels/{wb}/collect", headers=h).status_code == 404
    assert client.post(f"/api/v1/family/{binding_id}/end", headers=h).status_code == 404
    with container.uow() as s:
        row = s.get(FamilyBinding, uuid.UUID(binding_id))
        # The relative's number is gone: cleared, its index cleared and its subject key shredded.
        assert row.status == "ended" and row.ended_by == "binder" and row.ended_at is not None
        assert row.phone is None and row.phone_bidx is None and s.get(SubjectKey, row.subject_id) is None
    # Binding again starts from scratch: a new code, and only parcels created after the new activation.
    assert bind(client, h).status_code == 202
    assert family_waybills(client, h) == []


@pytest.mark.promise("JD-1.1.2(2)e")
def test_the_relative_sees_who_can_see_their_parcels_and_ends_it_at_once(client, sms, clock, container, people):
    h, shop = people["binder"], people["shop"]
    binding_id = bound(client, sms, clock, h)
    wb = send_to(client, shop, clock)
    relative = auth(register(client, sms, phone=RELATIVE))
    clock.advance(seconds=61)
    stranger = auth(register(client, sms, phone=STRANGER))
    watchers = client.get("/api/v1/family/watchers", headers=relative).json()
    assert len(watchers) == 1
    assert watchers[0]["id"] == binding_id and watchers[0]["binder_phone"] == "139****5678" and watchers[0]["status"] == "active"
    assert BINDER not in str(watchers)
    # A third user sees nothing and ends nothing.
    assert client.get("/api/v1/family/watchers", headers=stranger).json() == []
    assert client.get("/api/v1/family", headers=stranger).json() == []
    assert client.get("/api/v1/family/parcels", headers=stranger).json() == []
    assert client.post(f"/api/v1/family/watchers/{binding_id}/end", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/family/{binding_id}/end", headers=stranger).status_code == 404
    assert activate(client, stranger, binding_id, "123456").status_code == 404
    assert client.post(f"/api/v1/family/parcels/{wb}/collect", headers=stranger).status_code == 404
    # The binder's own end route is not the relative's, and vice versa.
    assert client.post(f"/api/v1/family/{binding_id}/end", headers=relative).status_code == 404
    assert client.post(f"/api/v1/family/watchers/{binding_id}/end", headers=h).status_code == 404
    assert family_waybills(client, h) == [wb]
    assert client.post(f"/api/v1/family/watchers/{binding_id}/end", headers=relative).status_code == 204
    assert client.get("/api/v1/family/parcels", headers=h).json() == []
    assert client.get("/api/v1/family/watchers", headers=relative).json() == []
    with container.uow() as s:
        assert s.get(FamilyBinding, uuid.UUID(binding_id)).ended_by == "relative"
    # The relative's own parcels list is theirs as ever.
    assert [o["waybill_no"] for o in client.get("/api/v1/orders", headers=relative).json()] == [wb]


@pytest.mark.promise("JD-1.1.2(2)c", "JD-1.1.2(2)d", "JD-1.1.2(2)e")
def test_family_pages_bind_activate_show_collect_and_end(client, sms, clock, container, people):
    shop = people["shop"]
    web_register(client, sms, phone=BINDER)
    page = client.get("/family")
    assert page.status_code == 200 and 'data-testid="no-bindings"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/family/bind", data={"csrf_token": token, "role": "child", "phone": RELATIVE})
    assert r.status_code == 200 and 'data-testid="family-code-sent"' in r.text and "137****1111" in r.text
    assert RELATIVE not in r.text.replace(f'value="{RELATIVE}"', "")  # only the form echoes what was typed
    binding_id = re.search(r'action="/family/([0-9a-f-]{36})/activate"', r.text).group(1)
    r = client.post(f"/family/{binding_id}/activate", data={"csrf_token": token, "code": "000000"})
    assert r.status_code == 400 and 'data-code="code_invalid"' in r.text
    r = client.post(f"/family/{binding_id}/activate", data={"csrf_token": token, "code": sms.last_code(RELATIVE)},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/family?saved=activated"
    wb = send_to(client, shop, clock)
    set_status(container, wb, states.OUT_FOR_DELIVERY)
    page = client.get("/family")
    assert f'data-waybill="{wb}"' in page.text and 'data-testid="collect"' in page.text and NAMES[1] not in page.text
    mine = client.get("/orders")  # "my parcels" shows the family group separately
    assert mine.status_code == 200 and 'data-testid="family-group"' in mine.text and f'data-waybill="{wb}"' in mine.text
    r = client.post(f"/family/parcels/{wb}/collect", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert 'data-testid="collected"' in client.get("/family").text
    r = client.post(f"/family/{binding_id}/end", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/family?saved=ended"
    page = client.get("/family")
    assert wb not in page.text and 'data-testid="no-family-parcels"' in page.text
    assert 'data-testid="family-group"' not in client.get("/orders").text
    assert client.post(f"/family/{binding_id}/end", data={"csrf_token": token}).status_code == 404
    assert client.post("/family/bind", data={"role": "child", "phone": RELATIVE}).status_code == 403  # CSRF


@pytest.mark.promise("JD-1.1.2(2)e")
def test_the_relative_ends_it_on_their_family_page(client, sms, clock, people):
    binding_id = bound(client, sms, clock, people["binder"])
    web_register(client, sms, phone=RELATIVE)
    page = client.get("/family")
    assert 'data-testid="watcher"' in page.text and "139****5678" in page.text and BINDER not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(f"/family/watchers/{binding_id}/end", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert 'data-testid="no-watchers"' in client.get("/family").text
    assert client.get("/api/v1/family/parcels", headers=people["binder"]).json() == []


def test_every_answer_of_the_family_and_lookup_api_is_documented(app):
    """The statuses these services raise (409 conflicts, 400 codes, 429 limits) are all in the OpenAPI document."""
    paths = app.openapi()["paths"]
    expected = {
        ("/api/v1/family", "post"): {"202", "401", "409", "422", "429"},
        ("/api/v1/family/{binding_id}/code", "post"): {"202", "401", "404", "422", "429"},
        ("/api/v1/family/{binding_id}/activate", "post"): {"200", "400", "401", "404", "409", "422"},
        ("/api/v1/family/{binding_id}/end", "post"): {"204", "401", "404", "422"},
        ("/api/v1/family/parcels", "get"): {"200", "401"},
        ("/api/v1/family/parcels/{waybill_no}/collect", "post"): {"200", "401", "404", "409", "422"},
        ("/api/v1/family/watchers", "get"): {"200", "401"},
        ("/api/v1/family/watchers/{binding_id}/end", "post"): {"204", "401", "404", "422"},
        ("/api/v1/lookup/codes", "post"): {"202", "422", "429"},
        ("/api/v1/lookup", "post"): {"200", "400", "422", "429"},
    }
    for (path, method), statuses in expected.items():
        assert statuses <= set(paths[path][method]["responses"]), (path, method)
    assert "security" not in paths["/api/v1/lookup"]["post"]  # no login needed: the SMS code is the proof
