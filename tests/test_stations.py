"""Service stations and parcel lockers: delivery into them only with the recipient's consent (standing or per parcel),
the pickup code by SMS to the recipient and to the family numbers they authorised, collection with the code (wrong codes
rate-limited), reminders and the return to the sender after the holding period, through the tracking ingestion; and the
service-point map (ZK-1.2.2). Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from jidi.shipping.models import Order
from jidi.stations import service as st
from jidi.stations.models import HeldParcel
from jidi.tracking.models import RouteEvent
from tests.pii import NAMES, PHONES, STREETS
from tests.test_accounts_api import auth, register
from tests.test_shipping import order_body

SENDER, RECIPIENT, BINDER = PHONES[0], PHONES[1], PHONES[2]


@pytest.fixture
def people(client, sms, clock):
    out = {}
    for who, phone in (("sender", SENDER), ("recipient", RECIPIENT)):
        out[who] = auth(register(client, sms, phone=phone))
    clock.advance(seconds=61)
    return out


@pytest.fixture
def points(container):
    locker, locker_key = container.stations.create_point("locker", "SH-ZJ-L01", "张江路88弄智能快递柜", "丰巢网络技术有限公司", "310106",
                                                         "张江路88弄小区东门", 31.2061, 121.5889, "00:00-24:00")
    station, station_key = container.stations.create_point("station", "SH-ZJ-S01", "张江路菜鸟驿站", "上海张江便民服务有限公司", "310106",
                                                           "张江路90号", 31.2047, 121.5904)
    return {"locker": (locker, {"X-Api-Key": locker_key}), "station": (station, {"X-Api-Key": station_key})}


def out_for_delivery(client, container, headers) -> str:
    r = client.post("/api/v1/orders", json=order_body(), headers=headers)
    assert r.status_code == 201, r.text
    wb = r.json()["waybill_no"]
    with container.uow() as s:
        order = s.scalar(select(Order).where(Order.waybill_no == wb))
        order.status = "out_for_delivery"
    return wb


def deposit(client, key, wb):
    return client.post("/api/v1/service-points/parcels", json={"waybill_no": wb}, headers=key)


def collect(client, key, code):
    return client.post("/api/v1/service-points/collect", json={"code": code}, headers=key)


def order_state(container, wb) -> tuple[str, str | None]:
    with container.uow() as s:
        o = s.scalar(select(Order).where(Order.waybill_no == wb))
        return o.status, o.delivered_as


def held_count(container) -> int:
    with container.uow() as s:
        return s.scalar(select(func.count()).select_from(HeldParcel))


def codes_sent(sms, phone) -> list[str]:
    return [m.group(1) for to, body in sms.sent if to == phone and (m := re.search(r"\b(\d{6})\b", body))]


def test_no_locker_or_station_delivery_without_the_recipients_consent(client, container, people, points):
    wb = out_for_delivery(client, container, people["sender"])
    _, key = points["locker"]
    r = deposit(client, key, wb)
    assert r.status_code == 409 and r.json()["error"]["code"] == "point_consent_missing"
    assert order_state(container, wb) == ("out_for_delivery", None) and held_count(container) == 0
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(RouteEvent).where(RouteEvent.waybill_no == wb)) == 0
    # A "door" choice for the parcel refuses it as well, whatever the standing choice says.
    assert client.put("/api/v1/delivery-preferences", json={"allow_locker": True, "allow_station": True},
                      headers=people["recipient"]).status_code == 200
    assert client.put(f"/api/v1/orders/{wb}/delivery-choice", json={"choice": "door"}, headers=people["recipient"]).status_code == 200
    assert deposit(client, key, wb).json()["error"]["code"] == "point_consent_missing"
    # Only the recipient chooses; the sender cannot consent for them.
    r = client.put(f"/api/v1/orders/{wb}/delivery-choice", json={"choice": "locker"}, headers=people["sender"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_recipient"
    assert deposit(client, {"X-Api-Key": "tk_wrong"}, wb).status_code == 401


def test_a_parcel_choice_lets_the_locker_take_it_and_the_pickup_code_goes_out(client, container, sms, people, points, clock):
    # A relative made the recipient a family number before the parcel was sent: they get the code too.
    binder = auth(register(client, sms, phone=BINDER))
    clock.advance(seconds=61)
    r = client.post("/api/v1/family", json={"role": "child", "phone": RECIPIENT}, headers=binder)
    assert r.status_code == 202, r.text
    assert client.post(f"/api/v1/family/{r.json()['binding']['id']}/activate", json={"code": sms.last_code(RECIPIENT)},
                       headers=binder).status_code == 200
    clock.advance(seconds=5)
    wb = out_for_delivery(client, container, people["sender"])
    point, key = points["locker"]
    r = client.put(f"/api/v1/orders/{wb}/delivery-choice", json={"choice": "locker", "point_code": point.code}, headers=people["recipient"])
    assert r.status_code == 200
    assert deposit(client, points["station"][1], wb).json()["error"]["code"] == "point_consent_missing"  # another kind
    r = deposit(client, key, wb)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "held" and r.json()["point"]["code"] == point.code
    assert deposit(client, key, wb).status_code == 201  # reported twice: the same parcel, one code
    assert order_state(container, wb) == ("delivered", "locker")  # through the ingestion: route, SMS, webhooks follow
    code = client.get(f"/api/v1/orders/{wb}/pickup", headers=people["recipient"]).json()["code"]
    assert codes_sent(sms, RECIPIENT)[-1] == code and codes_sent(sms, BINDER)[-1] == code
    assert client.get(f"/api/v1/orders/{wb}/pickup", headers=people["sender"]).json() == {"held": None, "code": None}
    # The recipient's order page shows it too.
    r = collect(client, key, code)
    assert r.status_code == 200 and r.json()["status"] == "collected"
    assert collect(client, key, code).json()["error"]["code"] == "pickup_code_wrong"  # used
    assert client.get(f"/api/v1/orders/{wb}/pickup", headers=people["recipient"]).json()["code"] is None


def test_a_standing_choice_allows_only_the_kinds_and_point_it_names(client, container, people, points):
    r = client.put("/api/v1/delivery-preferences", json={"allow_locker": False, "allow_station": True}, headers=people["recipient"])
    assert r.status_code == 200 and r.json()["allow_station"] is True
    wb = out_for_delivery(client, container, people["sender"])
    assert deposit(client, points["locker"][1], wb).json()["error"]["code"] == "point_consent_missing"
    assert deposit(client, points["station"][1], wb).status_code == 201
    assert order_state(container, wb) == ("delivered", "station")
    bad = client.put("/api/v1/delivery-preferences", json={"allow_locker": False, "allow_station": False, "point_code": "SH-ZJ-L01"},
                     headers=people["recipient"])
    assert bad.status_code == 409 and bad.json()["error"]["code"] == "point_invalid"


def test_a_parcel_not_out_for_delivery_is_refused(client, container, people, points):
    r = client.post("/api/v1/orders", json=order_body(), headers=people["sender"])
    wb = r.json()["waybill_no"]
    client.put("/api/v1/delivery-preferences", json={"allow_locker": True, "allow_station": True}, headers=people["recipient"])
    r = deposit(client, points["locker"][1], wb)
    assert r.status_code == 409 and r.json()["error"]["code"] == "point_refused"
    assert deposit(client, points["locker"][1], "JD123").status_code == 422


def test_wrong_pickup_codes_are_rate_limited(client, container, people, points, clock):
    client.put("/api/v1/delivery-preferences", json={"allow_locker": True, "allow_station": False}, headers=people["recipient"])
    wb = out_for_delivery(client, container, people["sender"])
    _, key = points["locker"]
    assert deposit(client, key, wb).status_code == 201
    code = client.get(f"/api/v1/orders/{wb}/pickup", headers=people["recipient"]).json()["code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(10):
        r = collect(client, key, wrong)
        assert r.status_code == 400 and r.json()["error"]["code"] == "pickup_code_wrong"
    r = collect(client, key, code)  # brute force stopped: even the right code waits
    assert r.status_code == 429 and r.json()["error"]["code"] == "pickup_too_many" and int(r.headers["Retry-After"]) > 0
    with container.uow() as s:
        assert s.scalar(select(HeldParcel.status)) == "held"
    clock.advance(minutes=16)
    assert collect(client, key, code).status_code == 200
    assert collect(client, key, "12ab56").status_code == 422  # not digits: refused before anything


def test_reminders_then_the_return_to_the_sender_after_the_holding_period(client, container, sms, people, points, clock):
    client.put("/api/v1/delivery-preferences", json={"allow_locker": True, "allow_station": True}, headers=people["recipient"])
    wb = out_for_delivery(client, container, people["sender"])
    point, key = points["locker"]  # two days
    assert deposit(client, key, wb).status_code == 201
    code = codes_sent(sms, RECIPIENT)[-1]
    assert container.stations.remind_due() == 0
    clock.advance(hours=24, minutes=1)
    assert container.stations.remind_due() == 1 and container.stations.remind_due() == 0
    assert codes_sent(sms, RECIPIENT)[-1] == code  # the same code
    assert container.stations.return_due() == 0
    clock.advance(hours=24)
    assert container.stations.return_due() == 1
    assert order_state(container, wb)[0] == "returning"
    with container.uow() as s:
        assert s.scalar(select(HeldParcel.status)) == "returned"
        actions = list(s.scalars(select(RouteEvent.action).where(RouteEvent.waybill_no == wb).order_by(RouteEvent.event_time)))
    assert actions == ["delivered", "returning"]
    assert "going back to the sender" in sms.sent[-1][1] or "退回" in sms.sent[-1][1]
    assert collect(client, key, code).json()["error"]["code"] == "pickup_code_wrong"


def test_the_standing_choice_and_the_parcels_part_of_the_order_page(client, container, sms, people, points):
    from tests.test_accounts_web import csrf, web_register  # noqa: PLC0415

    web_register(client, sms, phone=RECIPIENT)
    page = client.get("/settings/delivery")
    assert page.status_code == 200 and 'data-testid="standing-form"' in page.text
    r = client.post("/settings/delivery", data={"csrf_token": csrf(client), "allow_station": "on"}, follow_redirects=False)
    assert r.status_code == 303
    assert container.stations.standing(container.accounts.user_id_for_phone(RECIPIENT)).allow_station is True
    wb = out_for_delivery(client, container, people["sender"])
    page = client.get(f"/orders/{wb}")
    assert 'data-testid="delivery-choice"' in page.text
    assert deposit(client, points["station"][1], wb).status_code == 201
    page = client.get(f"/orders/{wb}")
    assert 'data-testid="pickup-code"' in page.text and NAMES[0] not in page.text and STREETS[1] not in page.text


# -- the map (ZK-1.2.2) ------------------------------------------------------------------------------------------
@pytest.mark.promise("ZK-1.2.2")
def test_the_service_point_map_is_drawn_here_with_navigation_links_and_no_fetch(client, points):
    r = client.get("/service-points")
    assert r.status_code == 200
    html = r.text
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert svg.count('data-testid="map-point"') == 2 and "张江路菜鸟驿站" in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing loaded from elsewhere
    assert not re.search(r'<(img|iframe|link)[^>]+(src|href)="https?://', html) and not re.search(r'<script[^>]+src="https?://', html)
    assert "https://uri.amap.com/navigation?to=121.588900%2C31.206100%2C" in html
    assert "https://api.map.baidu.com/direction?destination=latlng%3A31.206100%2C121.588900%7Cname%3A" in html
    assert "https://apis.map.qq.com/uri/v1/routeplan?type=walk" in html
    # Location is asked for only on this page, by its script, after the person asks for it.
    assert '<script src="/static/service-map.js" defer></script>' in html and 'data-testid="locate" hidden' in html


def test_the_map_page_offers_no_location_when_the_customer_turned_it_off(client, container, sms, points):
    from tests.test_accounts_web import web_register  # noqa: PLC0415

    web_register(client, sms, phone=RECIPIENT)
    container.devices.set_allowed(container.accounts.user_id_for_phone(RECIPIENT), "geolocation", False)
    html = client.get("/service-points").text
    assert "service-map.js" not in html and 'data-testid="map-point"' in html


def test_the_map_projection_keeps_points_inside_and_ordered():
    from jidi.stations.maps import MapPoint, OfflineMap  # noqa: PLC0415

    m = OfflineMap()
    pts = [MapPoint("A", "station", "west", 31.0, 121.0), MapPoint("B", "locker", "east", 31.0, 121.2),
           MapPoint("C", "station", "north", 31.1, 121.1)]
    b = m.bounds(pts)
    xy = {p.code: m.project(b, p.latitude, p.longitude) for p in pts}
    assert all(0 <= x <= m.WIDTH and 0 <= y <= m.HEIGHT for x, y in xy.values())
    assert xy["A"][0] < xy["C"][0] < xy["B"][0] and xy["C"][1] < xy["A"][1]
    assert "<svg" in m.render([], "empty")  # no points: still a map


def test_points_are_checked_when_made(container):
    bad = [("kiosk", "X1", "n", "o", "310106", "a", 31.0, 121.0), ("locker", "X1", "n", "o", "999999", "a", 31.0, 121.0),
           ("locker", "X1", "n", "o", "310106", "a", 10.0, 10.0), ("locker", "", "n", "o", "310106", "a", 31.0, 121.0)]
    for args in bad:
        with pytest.raises(Exception) as err:
            container.stations.create_point(*args)
        assert getattr(err.value, "status", None) == 422 or getattr(err.value, "code", "") in ("invalid_input", "invalid_region")
    assert st.HOLDING_DAYS == {"station": 3, "locker": 2}
