"""Demo data for `make run`: a customer with an address book, a family number, a rights request in the privacy
officer's queue and parcels in every state, and one account per staff role.

Everything is made through the services, as the pages and the courier app would make it, and only what is missing:
running `jidi demo` again adds nothing.
"""
from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from jidi import errors
from jidi.addressbook.service import validate
from jidi.features import registered
from jidi.kit.feature import resolve
from jidi.privacy import Actor, Role
from jidi.rights import kinds
from jidi.shipping.service import OrderIn
from jidi.tracking import events as ev

DEMO_CUSTOMER_PHONE = "13800138000"
DEMO_CUSTOMER_PASSWORD = "jidi-demo-2026"
DEMO_STAFF_PASSWORD = "jidi-staff-2026"
DEMO_STAFF = {"support": Role.SUPPORT_AGENT, "privacy": Role.PRIVACY_OFFICER, "admin": Role.ADMIN, "courier": Role.COURIER}
DEMO_CLIENT = "127.0.0.1"  # the client address SMS-code limits count the demo's codes under

# The demo customer's address book: (kind, name, phone, region, street address, default).
ADDRESSES = (
    ("sender", "王小明", DEMO_CUSTOMER_PHONE, "110108", "中关村大街27号院3号楼502室", True),
    ("recipient", "李华", "13912345678", "310115", "张江路88弄6号1201室", True),
    ("recipient", "陈静", "13687654321", "440106", "天河路385号太古汇写字楼12层", False),
    ("recipient", "王秀英", "13711223344", "510107", "武侯祠大街231号2栋3单元401", False),
)
# The demo customer's mother (in the address book too): she authorised the family number with her SMS code, so the
# parcels sent to her after that show under the customer's family parcels.
FAMILY_PHONE = ADDRESSES[3][2]
DEMO_ID = ("resident_id", "110108199003076514", "王小明")  # made up, with a valid check digit: shown at the first pickup
CORRECTION_TEXT = "我的收件地址门牌号写错了：张江路88弄6号应为张江路88弄8号，请帮忙更正。"

# The demo's parcels, one per state: (recipient entry, item, category, weight in g, payment mode, what happens).
PARCELS = (
    (1, "换季衣物", "clothing", 1800, "pay_now", "awaiting_payment"),
    (2, "合同文件", "documents", 300, "pay_now", "awaiting_pickup"),
    (3, "茶叶礼盒", "food", 1500, "pay_later", "not_accepted"),
    (1, "蓝牙耳机", "electronics", 400, "pay_now", "picked_up"),
    (2, "儿童绘本", "books", 2200, "pay_later", "in_transit"),
    (3, "护肤品套装", "cosmetics", 900, "pay_now", "out_for_delivery"),
    (1, "保温杯", "daily_goods", 600, "pay_now", "delivered"),
    (2, "相框摆件", "fragile", 1200, "pay_now", "cancelled"),
)
# The route of a parcel after pickup, as the sorting centres' scanners report it.
ROUTE = (
    ("arrived_facility", "BJ-HUB-01", "北京分拨中心"),
    ("departed_facility", "BJ-HUB-01", "北京分拨中心"),
    ("arrived_facility", "{hub}", "{hub_name}"),
    ("out_for_delivery", "{station}", "{station_name}"),
    ("delivered", "{station}", "{station_name}"),
)
HUBS = {"310115": ("SH-HUB-02", "上海浦东分拨中心", "SH-PD-07", "上海张江营业部"),
        "440106": ("GZ-HUB-01", "广州分拨中心", "GZ-TH-03", "广州天河营业部"),
        "510107": ("CD-HUB-01", "成都分拨中心", "CD-WH-05", "成都武侯营业部")}
STEPS = {"picked_up": 0, "in_transit": 3, "out_for_delivery": 4, "delivered": 5}
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def load(c) -> list[str]:
    """Create what is missing and return the demo logins to print."""
    accounts = c.accounts
    customer_id = accounts.user_id_for_phone(DEMO_CUSTOMER_PHONE)
    if customer_id is None:
        customer_id = accounts.demo_customer(DEMO_CUSTOMER_PHONE, DEMO_CUSTOMER_PASSWORD, nickname="演示用户")
    for username, role in DEMO_STAFF.items():
        try:
            accounts.create_staff(role, username, DEMO_STAFF_PASSWORD)
        except errors.AppError as err:
            if err.code != "username_taken":
                raise
    entries = _address_book(c, customer_id)
    _family_number(c, customer_id)
    if not c.shipping.my_orders(customer_id, limit=1):
        _parcels(c, customer_id, entries)
    _rights_request(c, customer_id)
    # Features added later bring their part of the story themselves (their declaration's `demo`).
    extra: list[str] = []
    for feature in registered():
        if feature.demo:
            extra += resolve(feature.demo)(c, customer_id) or []

    base = c.settings.base_url.rstrip("/")
    lines = [
        f"customer  {base}/login  phone {DEMO_CUSTOMER_PHONE}, code from {base}/dev/outbox "
        f"(or {base}/login/password with password {DEMO_CUSTOMER_PASSWORD})",
    ]
    lines += [f"{role.value:<16} {base}/staff/login  user {username}, password {DEMO_STAFF_PASSWORD}, "
              f"code: `make totp WHO={username}`" for username, role in DEMO_STAFF.items()]
    lines += extra
    lines += [f"SMS codes arrive at {base}/dev/outbox; the API and its interactive docs: {base}/api/docs"]
    return lines


def _address_book(c, customer_id) -> list:
    """The entries in ADDRESSES order (sender first), added if the book is empty."""
    book = c.addressbook
    if not book.list(customer_id):
        for kind, name, phone, region, detail, default in ADDRESSES:
            book.create(customer_id, validate(kind, name, phone, region, detail, default))
    entries = book.list(customer_id)
    return [e for e in entries if e.kind == "sender"][:1] + [e for e in entries if e.kind == "recipient"]


def _last_code(c) -> str:
    """The code in the newest SMS of the outbox: the one just sent (the demo reads it off the phone, like a person)."""
    with c.uow() as s:
        newest = c.notifier.outbox(s, limit=1)
    if not (code := _CODE.search(newest[0]["text"])):
        raise RuntimeError("the newest SMS carries no code")
    return code.group(0)


def _family_number(c, customer_id) -> None:
    if c.family.bindings(customer_id):
        return
    binding, _ = c.family.bind(customer_id, "parent", FAMILY_PHONE, DEMO_CLIENT, c.settings.default_locale)
    c.family.activate(customer_id, binding.id, _last_code(c))


def _rights_request(c, customer_id) -> None:
    """A correction request, waiting in the privacy officer's queue (once: not again after the officer answered it)."""
    if c.rights.my_requests(customer_id):
        return
    c.rights.request_code(customer_id, DEMO_CLIENT, c.settings.default_locale)
    c.rights.submit(customer_id, kinds.CORRECTION, _last_code(c), details=CORRECTION_TEXT)


def _parcels(c, customer_id, entries) -> None:
    shipping = c.shipping
    sender = shipping.party_from_address_book(customer_id, entries[0].id)
    courier = c.accounts.staff_login("courier", DEMO_STAFF_PASSWORD, c.accounts.current_totp("courier"))
    courier_actor = Actor(courier.user_id, Role.COURIER)
    source_id, _ = c.tracking.create_source("演示分拣中心扫描枪", "scanner")
    events, first_pickup = [], True
    for to, item, category, weight_g, payment, outcome in PARCELS:
        recipient = shipping.party_from_address_book(customer_id, entries[to].id)
        waybill_no, _ = shipping.place(customer_id, OrderIn(sender, recipient, item, category, 1, weight_g, 0, "standard", payment))
        if payment == "pay_now" and outcome != "awaiting_payment":
            shipping.mark_paid(waybill_no)  # the simulated payment
        if outcome == "cancelled":
            shipping.cancel(customer_id, waybill_no)
        elif outcome == "not_accepted":
            shipping.refuse_pickup(courier_actor, waybill_no)
        elif outcome in STEPS:
            # The first pickup records the sender's ID (real-name pickup); later ones reuse the verified identity.
            shipping.pick_up(courier_actor, waybill_no, *(DEMO_ID if first_pickup else (None, None, None)))
            first_pickup = False
            hub, hub_name, station, station_name = HUBS[recipient.region_code]
            for step, (action, code, name) in enumerate(ROUTE[:STEPS[outcome]]):
                events.append(SimpleNamespace(
                    event_id=f"demo-{waybill_no}-{step}", waybill_no=waybill_no, action=action, step=step,
                    site_code=code.format(hub=hub, station=station),
                    site_name=name.format(hub_name=hub_name, station_name=station_name),
                    operator="C1001", delivered_as="recipient" if action == ev.DELIVERED else None, exception=None))
    c.accounts.logout(courier.token)
    # The scans follow the pickups a second apart (ingestion refuses times more than 5 minutes ahead).
    start = c.clock()
    for e in events:
        e.event_time = start + dt.timedelta(seconds=e.step + 1)
    c.tracking.ingest(source_id, events)
