"""The shipping journey end to end in a real browser (issue 3): Debian's chromium, driven by Playwright, against
uvicorn serving the app, on SQLite and on PostgreSQL (through the `container` fixture), like tests/test_browser.py
whose fixtures and helpers it reuses.

A family member binds the recipient's number (the recipient authorises with the SMS code); a new user registers,
fills the address book by smart paste, ships a parcel, pays, and prints the privacy label; a courier picks it up
with a real-name check; route events arrive through the ingestion API; the sender watches the timeline; the
recipient finds the parcel under "my parcels", and so does the family member. The family binding comes first on
purpose: a family number shows only the parcels created after it was authorised (JD-1.1.2(2)c–e).

The server's logs and every URL any of the four browsers requested are checked for the personal data of
tests/pii.py; conftest then scans the database (the ID number is stored only encrypted).
"""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from jidi.features import registered
from jidi.notify.service import templates
from jidi.privacy import Role
from jidi.shipping import states
from tests.test_browser_payments import pay_through_simulator
from tests import pii
from tests.browser_support import masked_phone
from tests.test_browser import ZH, Web, _page_has_no, chromium, web  # noqa: F401 - fixtures used by name

TEMPLATES = templates(registered())

pytestmark = pytest.mark.browser

SENDER_PHONE, RECIPIENT_PHONE, FAMILY_PHONE = pii.PHONES[4], pii.PHONES[1], pii.PHONES[2]
SENDER_NAME, RECIPIENT_NAME = pii.NAMES[3], pii.NAMES[4]  # 张三, 赵六六
SENDER_LINE = f"{SENDER_NAME} {SENDER_PHONE} 北京市海淀区{pii.ADDRESSES[0]}"
RECIPIENT_LINE = f"{RECIPIENT_NAME} {RECIPIENT_PHONE} 上海市浦东新区{pii.ADDRESSES[2]}"
ID_NUMBER = pii.ID_NUMBERS[0]
COURIER_PASSWORD = "Courier-pass-2026"
PERSONAL = (SENDER_PHONE, RECIPIENT_PHONE, FAMILY_PHONE, SENDER_NAME, RECIPIENT_NAME, pii.ADDRESSES[0], pii.ADDRESSES[2], ID_NUMBER)


@pytest.fixture
def browsers(web, chromium):
    """More people on the same live server, each in a browser of their own; checked like `web` at the end."""
    opened: list[Web] = []

    def open_one() -> Web:
        context = chromium.new_context(locale="zh-CN", base_url=web.server.url)
        context.set_default_timeout(10_000)
        other = Web(web.server, context, web.logs, web.c)
        opened.append(other)
        return other

    yield open_one
    for other in opened:
        other.context.close()
    for other in opened:
        other.assert_no_personal_data_leaked()


def paste_entry(w: Web, kind: str, line: str, region: str) -> None:
    """Add an address-book entry by smart paste: fill in, check the recognised fields, then save."""
    page = w.page
    w.goto(f"/address-book/new?kind={kind}")
    page.get_by_test_id("paste").fill(line)
    page.get_by_test_id("fill-from-paste").click()
    expect(page.get_by_test_id("pasted")).to_be_visible()  # nothing saved yet: the user confirms
    name, phone = line.split()[:2]
    expect(page.get_by_test_id("name")).to_have_value(name)
    expect(page.get_by_test_id("phone")).to_have_value(phone)
    expect(page.get_by_test_id("district")).to_have_value(region)
    expect(page.get_by_test_id(f"kind-{kind}")).to_be_checked()
    page.get_by_test_id("save-entry").click()
    expect(page).to_have_url(re.compile(r"/address-book\?saved=1$"))
    _page_has_no(page, *PERSONAL)


def masked_label_phone(phone: str) -> str:
    return phone[:3] + "******" + phone[-2:]


def stops(w: Web) -> list[str]:
    return [el.get_attribute("data-action") for el in w.page.get_by_test_id("order-stop").all()]


@pytest.mark.promise("JD-1.1.2(6)b", "JD-1.1.2(6)a", "JD-1.1.2(2)a")
def test_ship_pay_pick_up_track_and_find_the_parcel_as_recipient_and_family(web, browsers, container, clock):
    sender, recipient, family, courier = web, browsers(), browsers(), browsers()

    # -- a family member binds the recipient's number; the recipient authorises with the SMS code ----------
    recipient.sms_login(RECIPIENT_PHONE)
    family.sms_login(FAMILY_PHONE)
    clock.advance(seconds=61)  # past the resend wait of the recipient's login code
    family.goto("/family")
    family.page.get_by_test_id("family-phone").fill(RECIPIENT_PHONE)
    family.page.get_by_test_id("bind").click()
    expect(family.page.get_by_test_id("family-code-sent")).to_be_visible()
    code = recipient.sms_code(RECIPIENT_PHONE)  # the recipient reads it off their phone and tells their relative
    family.page.get_by_test_id("family-code").fill(code)
    family.page.get_by_test_id("activate").click()
    expect(family.page).to_have_url(re.compile(r"/family\?saved=activated$"))
    expect(family.page.get_by_test_id("binding")).to_have_attribute("data-status", "active")
    clock.advance(seconds=1)

    # -- the sender registers and fills the address book by smart paste -------------------------------------
    page = sender.page
    sender.sms_login(SENDER_PHONE)
    sender.goto("/ship")
    expect(page.get_by_test_id("need-address-book")).to_be_visible()
    paste_entry(sender, "sender", SENDER_LINE, "110108")
    paste_entry(sender, "recipient", RECIPIENT_LINE, "310115")
    expect(page.get_by_test_id("entry-name")).to_have_count(2)
    # In English, the regions are named in English.
    sender.goto("/address-book?lang=en")
    expect(page.get_by_test_id("entry-address")).to_have_text(["Pudong New Area, Shanghai****", "Haidian District, Beijing****"])
    sender.goto("/address-book?lang=zh_CN")

    # -- ships a parcel and pays ----------------------------------------------------------------------------------
    sender.goto("/ship")
    expect(page.get_by_test_id("need-address-book")).to_have_count(0)
    page.get_by_test_id("ship-item").fill(pii.ITEMS[0])
    page.get_by_test_id("ship-category").select_option("daily_goods")
    page.get_by_test_id("ship-weight").fill("1.2")
    page.get_by_test_id("ship-submit").click()
    page.get_by_test_id("ship-confirm-submit").click()
    expect(page.get_by_test_id("placed")).to_be_visible()
    waybill_no = page.get_by_test_id("waybill-no").inner_text().strip()
    assert re.fullmatch(r"JD\d{13}", waybill_no)
    expect(page).to_have_url(sender.url(f"/orders/{waybill_no}?placed=1"))
    expect(page.get_by_test_id("order-status")).to_have_text(ZH(states.LABELS[states.AWAITING_PAYMENT]))
    expect(page.get_by_test_id("order-recipient")).to_have_text(f"赵* {masked_phone(RECIPIENT_PHONE)}")
    _page_has_no(page, *PERSONAL)
    pay_through_simulator(page, waybill_no)
    expect(page.get_by_test_id("order-status")).to_have_text(ZH(states.LABELS[states.AWAITING_PICKUP]))
    assert stops(sender) == ["placed"]

    # -- the privacy label: a PDF without any full phone number, name or street address ---------------------------
    with page.expect_download() as download:
        page.get_by_test_id("label-link").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert waybill_no in text
    # No full phone number or name (masked by the label rules: at least six digits hidden, the first character only),
    # no ID number, and no house number, building or room (the sender's "20号院2号楼", the recipient's "100号").
    shown = [v for v in (*pii.PHONES, *pii.NAMES, *pii.ID_NUMBERS, pii.ADDRESSES[0], "20号", "100号") if v in text or v.encode() in pdf]
    assert not shown, f"the label shows in full: {shown}"
    assert "苏州街****" in text and "世纪大道****" in text
    assert "赵*" in text and masked_label_phone(RECIPIENT_PHONE) in text
    assert download.value.suggested_filename == f"{waybill_no}.pdf"

    # -- a courier picks it up, checking the sender's ID in person ------------------------------------------------
    _, secret, _ = container.accounts.create_staff(Role.COURIER, "courier1", COURIER_PASSWORD)
    cpage = courier.page
    courier.staff_login("courier1", COURIER_PASSWORD, secret)
    cpage.get_by_test_id("staff-pickup").click()
    cpage.get_by_test_id("pickup-waybill").fill(waybill_no)
    cpage.get_by_test_id("pickup-lookup").click()
    expect(cpage.get_by_test_id("pickup-order")).to_have_attribute("data-status", states.AWAITING_PICKUP)
    expect(cpage.get_by_test_id("pickup-sender")).to_have_text(f"张* {masked_phone(SENDER_PHONE)}")
    expect(cpage.get_by_test_id("pickup-origin")).to_have_text("北京市海淀区")
    _page_has_no(cpage, *PERSONAL)
    # A number with a wrong check digit is refused, and not put back in the form.
    cpage.get_by_test_id("pickup-id-number").fill(ID_NUMBER[:-1] + "5")
    cpage.get_by_test_id("pickup-real-name").fill(SENDER_NAME)
    cpage.get_by_test_id("pickup-confirm").click()
    expect(cpage.get_by_test_id("error")).to_have_attribute("data-code", "invalid_id_number")
    expect(cpage.get_by_test_id("pickup-id-number")).to_have_value("")
    _page_has_no(cpage, *PERSONAL, ID_NUMBER[:-1] + "5")
    cpage.get_by_test_id("pickup-id-type").select_option("resident_id")
    cpage.get_by_test_id("pickup-id-number").fill(ID_NUMBER)
    cpage.get_by_test_id("pickup-real-name").fill(SENDER_NAME)
    cpage.get_by_test_id("pickup-confirm").click()
    expect(cpage.get_by_test_id("pickup-done")).to_have_attribute("data-outcome", "recorded")
    expect(cpage.get_by_test_id("pickup-order")).to_have_attribute("data-status", states.PICKED_UP)
    _page_has_no(cpage, *PERSONAL)
    picked_up_at = clock.now

    # The route SMS reached the sender and the recipient.
    picked_up_sms = ZH(TEMPLATES["route_picked_up"]).format(waybill_no=waybill_no)
    assert picked_up_sms in sender.sms_texts(SENDER_PHONE) and picked_up_sms in sender.sms_texts(RECIPIENT_PHONE)

    # -- route events arrive from a scanner fleet, through the ingestion API -------------------------------------
    _, key = container.tracking.create_source("测试分拣中心扫描枪", "scanner")
    clock.advance(hours=3)
    events = [
        ("arrived_facility", 30, "BJ-HUB-01", "北京分拨中心"),
        ("departed_facility", 60, "BJ-HUB-01", "北京分拨中心"),
        ("arrived_facility", 150, "SH-HUB-02", "上海浦东分拨中心"),
        ("out_for_delivery", 170, "SH-PD-07", "上海浦东张江营业部"),
    ]
    body = {"events": [
        {"event_id": f"scan-{i}", "waybill_no": waybill_no, "event_time": (picked_up_at + dt.timedelta(minutes=m)).isoformat(),
         "action": action, "site_code": code, "site_name": name, "operator": "C1001"}
        for i, (action, m, code, name) in enumerate(events)
    ]}
    r = httpx.post(sender.url("/api/v1/tracking/events"), json=body, headers={"X-Api-Key": key}, timeout=10)
    assert r.status_code == 200 and r.json()["accepted"] == len(events), r.text

    # -- the sender watches it move ---------------------------------------------------------------------------------
    sender.goto(f"/orders/{waybill_no}")
    expect(page.get_by_test_id("order-status")).to_have_text(ZH(states.LABELS[states.OUT_FOR_DELIVERY]))
    assert stops(sender) == ["out_for_delivery", "arrived_facility", "departed_facility", "arrived_facility", "picked_up", "placed"]
    expect(page.get_by_test_id("order-route")).to_contain_text("上海浦东张江营业部")
    expect(page.get_by_test_id("order-route")).to_contain_text("北京市海淀区营业部")  # the courier's pickup station
    expect(page.get_by_test_id("cancel-order")).to_have_count(0)
    _page_has_no(page, *PERSONAL)

    # -- the recipient finds it under "my parcels" ------------------------------------------------------------------
    recipient.goto("/orders?box=received")
    received = recipient.page.get_by_test_id("orders-received")
    expect(received.get_by_text(waybill_no)).to_be_visible()
    received.get_by_text(waybill_no).click()
    expect(recipient.page.get_by_test_id("order-status")).to_have_text(ZH(states.LABELS[states.OUT_FOR_DELIVERY]))
    expect(recipient.page.get_by_test_id("label-link")).to_have_count(0)  # the label is the sender's
    assert stops(recipient)[0] == "out_for_delivery"
    _page_has_no(recipient.page, *PERSONAL)

    # -- and so does the family member --------------------------------------------------------------------------
    family.goto("/family")
    parcel = family.page.locator(f'[data-testid="family-parcel"][data-waybill="{waybill_no}"]')
    expect(parcel).to_be_visible()
    expect(parcel).to_contain_text(ZH(states.LABELS[states.OUT_FOR_DELIVERY]))
    expect(parcel).to_contain_text(masked_phone(RECIPIENT_PHONE))
    _page_has_no(family.page, *PERSONAL)
    family.goto("/orders")
    expect(family.page.locator(f'[data-testid="family-parcel"][data-waybill="{waybill_no}"]')).to_be_visible()
