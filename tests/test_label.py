"""The privacy waybill label (隐私面单): a 100 mm × 150 mm PDF for the order's sender, with the waybill number, the
route and the parties masked by the label rules of the privacy core — the first character of the name, at least
six digits of each phone hidden, the address without house number, building, unit and room — and no ID number, item
or value at all.

The PDF's text is read back with pypdf; the barcodes are not decoded. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import io
import re
import uuid

import pytest
from pypdf import PdfReader

from jidi.i18n import china_date
from jidi.privacy import Actor, Mask, Personal, Role, mask
from jidi.shipping import label
from tests.pii import ADDRESSES, ID_NUMBERS, ITEMS, NAMES, PHONES
from tests.test_accounts_api import auth, register
from tests.test_accounts_web import web_register
from tests.test_shipping import RECIPIENT_PHONE, SENDER_PHONE, order_body

MASKING = ("JD-2.2", "JD-5.1.1(4)a", "ZK-1.4.3", "ZK-4.1.1d")

# Addresses with a building, unit and room below the street part that the label may show.
SENDER_ADDRESS = ADDRESSES[1] + "1502室"  # 科技园路1号A座1502室, 深圳市南山区
RECIPIENT_ADDRESS = ADDRESSES[0] + "3单元401室"  # 苏州街20号院2号楼3单元401室, 北京市海淀区


def label_order(**over) -> dict:
    body = order_body(**over)
    body["sender"] = {**body["sender"], "region_code": "440305", "address": SENDER_ADDRESS}
    body["recipient"] = {**body["recipient"], "region_code": "110108", "address": RECIPIENT_ADDRESS}
    return body


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# -- the mask rules --------------------------------------------------------------------------------------------
@pytest.mark.promise(*MASKING)
@pytest.mark.parametrize("phone, shown", [
    ("13912345678", "139******78"),
    ("+8613800138000", "138******00"),
    ("0101234567", "01******67"),  # shorter numbers still lose six digits
    ("12345678", "******78"),
    ("1234567", "*******"),
    ("", ""),
])
def test_label_phone_mask_hides_at_least_six_digits(phone, shown):
    got = mask(Mask.PHONE_LABEL, phone)
    assert got == shown
    assert got.count("*") >= min(6, len(phone.removeprefix("+86")))


@pytest.mark.promise(*MASKING)
@pytest.mark.parametrize("address, shown", [
    ("北京市海淀区苏州街20号院2号楼3单元401室", "北京市海淀区苏州街****"),
    ("苏州街20号院2号楼", "苏州街****"),
    ("科技园路1号A座1502室", "科技园路****"),
    ("华山路18弄5号", "华山路****"),  # an address that ends at the house number
    ("西城区西直门内大街2号", "西城区西直门内大街****"),
    ("上海市浦东新区张江镇祖冲之路887弄84号202室", "上海市浦东新区张江镇祖冲之路****"),
    ("浙江省杭州市西湖区文三路90号东部软件园1号楼5层", "浙江省杭州市西湖区文三路****"),
    ("重庆市渝中区解放碑邹容路68号大都会商厦A座3201", "重庆市渝中区解放碑邹容路****"),
    ("广东省深圳市南山区粤海街道科技南十二路２号５F", "广东省深圳市南山区粤海街道科技南十二路****"),  # full-width
    ("幸福路十八号", "幸福路****"),  # Chinese numerals
    ("北新桥三条甲5号", "北新桥三条****"),
    ("阳光小区3-2-401", "阳光小区****"),  # the estate kept, the building-unit-room numbers not
    ("SOHO现代城A座", "SOHO现代城****"),
    ("南京西路1266号恒隆广场", "南京西路****"),
    ("湖北省仙桃市沔城回族镇新建村3组15号", "湖北省仙桃市沔城回族镇新建村****"),
    ("新建村三组", "新建村****"),
    ("阳光小区张三家", "阳光小区****"),  # no number: only up to the estate
    ("三门峡市湖滨区崤山路", "三门峡市湖滨区崤山路****"),  # a numeral in a place name is not a house number
    ("2号楼3单元401室", "****"),  # no road or estate before the number: nothing kept
    ("北京市海淀区2号楼401室", "****"),
    ("东门", "****"),
])
def test_label_address_mask_keeps_the_road_and_hides_the_house_number_and_all_below(address, shown):
    assert mask(Mask.ADDRESS_LABEL, address) == shown
    assert not re.search(r"\d|号|弄|单元|室|层|座|组", shown)


def test_a_label_is_drawn_from_masked_strings_only(container):
    personal = Personal(NAMES[0], container.vault.catalog.spec("order_parties", "name"))
    masked = label.LabelParty("王*", "139******78", "110108", "苏州街****")
    for party in (label.LabelParty(personal, "139******78", "110108", "苏州街****"),  # type: ignore[arg-type]
                  label.LabelParty("王*", "139******78", "110108", personal)):  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            label.LabelData("JD1234567890128", "/track/JD1234567890128", "standard", 1000, "110108", "110108", None, party, masked)


def test_route_names_are_at_city_and_district_level():
    assert label.route_name("110108") == "北京市海淀区"
    assert label.route_name("440305") == "深圳市南山区"
    assert label.route_name("441900") == "东莞市"  # a city without districts


# -- the API ---------------------------------------------------------------------------------------------------
@pytest.mark.promise(*MASKING, "JD-1.1.2(1)a")
def test_the_sender_prints_a_privacy_label_with_nothing_in_full(client, sms, container, clock):
    token = register(client, sms, phone=SENDER_PHONE)
    wb = client.post("/api/v1/orders", json=label_order(payment_mode="pay_later"), headers=auth(token)).json()["waybill_no"]
    # Picked up with a real-name check: the ID number is on record, and must still not reach the label.
    container.shipping.pick_up(Actor(uuid.uuid4(), Role.COURIER), wb, "resident_id", ID_NUMBERS[0], NAMES[0])

    r = client.get(f"/api/v1/orders/{wb}/label.pdf", headers=auth(token))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="{wb}.pdf"'
    assert r.headers["cache-control"] == "no-store"
    assert r.content.startswith(b"%PDF-")
    page = PdfReader(io.BytesIO(r.content)).pages[0]
    assert (round(float(page.mediabox.width) / 72 * 25.4), round(float(page.mediabox.height) / 72 * 25.4)) == (100, 150)
    text = pdf_text(r.content)

    # What the label shows.
    assert wb in text
    assert re.search(r"王\*(?!\*)", text) and re.search(r"李\*(?!\*)", text)  # the first character only, not the length
    assert "139******78" in text and "137******11" in text
    assert "深圳市南山区 → 北京市海淀区" in text  # the route at city and district level
    assert "广东省深圳市南山区科技园路****" in text and "北京市海淀区苏州街****" in text
    assert china_date(clock.now) in text  # the pickup date, in China
    assert "1.5 kg" in text

    # What it must not show.
    for name in NAMES[:2]:
        assert name not in text
    for phone in (SENDER_PHONE, RECIPIENT_PHONE):
        assert phone not in text
        shown = [t for t in re.findall(r"[\d*]{8,}", text) if t[:1] == phone[0] and t[-2:] == phone[-2:] and "*" in t]
        assert shown and all(t.count("*") >= 6 and sum(ch.isdigit() for ch in t) <= 5 for t in shown)
    for detail in (SENDER_ADDRESS, RECIPIENT_ADDRESS, *ADDRESSES[:2], "20号", "1号", "2号楼", "3单元", "401室", "A座", "1502室"):
        assert detail not in text
    assert ID_NUMBERS[0] not in text and ID_NUMBERS[0][-6:] not in text and "1****************X" not in text
    assert ITEMS[0] not in text and "祖" not in text  # no item (not even masked)
    assert "500" not in text.replace(wb, "") and "¥" not in text and "元" not in text  # no declared value


@pytest.mark.promise(*MASKING)
@pytest.mark.parametrize("region, address, printed, hidden", [
    ("310104", "华山路18弄5号", "上海市徐汇区华山路****", ("18弄", "5号", "弄")),  # ends at the house number
    ("110102", "西直门内大街2号", "北京市西城区西直门内大街****", ("2号",)),
    ("110108", "北京市海淀区幸福路十八号三单元", "北京市海淀区幸福路****", ("十八", "三单元")),
    ("440305", "２号楼３单元", "广东省深圳市南山区****", ("2号楼", "２号楼", "3单元", "３单元")),
])
def test_the_label_prints_no_house_number_for_any_shape_of_address(client, sms, region, address, printed, hidden):
    token = register(client, sms, phone=SENDER_PHONE)
    body = label_order()
    body["recipient"] = {**body["recipient"], "region_code": region, "address": address}
    wb = client.post("/api/v1/orders", json=body, headers=auth(token)).json()["waybill_no"]
    text = pdf_text(client.get(f"/api/v1/orders/{wb}/label.pdf", headers=auth(token)).content)
    assert printed in text.replace("\n", "")
    for part in (address, *hidden):
        assert part not in text


def test_the_label_speaks_the_users_language(client, sms):
    token = register(client, sms, phone=SENDER_PHONE)
    wb = client.post("/api/v1/orders", json=label_order(), headers=auth(token)).json()["waybill_no"]
    zh = pdf_text(client.get(f"/api/v1/orders/{wb}/label.pdf", headers=auth(token)).content)
    en = pdf_text(client.get(f"/api/v1/orders/{wb}/label.pdf?lang=en", headers=auth(token)).content)
    assert "收件人" in zh and "寄件人" in zh
    assert "Recipient" in en and "Sender" in en and "Scan to track" in en
    assert "王*" in en and "北京市海淀区苏州街****" in en  # the data itself is not translated


@pytest.mark.promise("JD-1.1.2(2)a")
def test_only_the_sender_gets_the_label(client, sms, container):
    sender = register(client, sms, phone=SENDER_PHONE)
    wb = client.post("/api/v1/orders", json=label_order(), headers=auth(sender)).json()["waybill_no"]
    recipient = register(client, sms, phone=RECIPIENT_PHONE)
    stranger = register(client, sms, phone=PHONES[2])
    for other in (recipient, stranger):
        r = client.get(f"/api/v1/orders/{wb}/label.pdf", headers=auth(other))
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        assert r.headers["content-type"] == "application/json"
    assert client.get(f"/api/v1/orders/{wb}/label.pdf").status_code == 401
    assert client.get("/api/v1/orders/JD0000000000001/label.pdf", headers=auth(sender)).json()["error"]["code"] == "invalid_waybill"
    # A merchant's imported order has no account as its sender: nobody prints it here.
    _, key = container.shipping.create_merchant("示例商城")
    imported = client.post("/api/v1/merchant/orders", json={**label_order(), "merchant_order_id": "shop-1"}, headers={"X-Api-Key": key})
    assert client.get(f"/api/v1/orders/{imported.json()['waybill_no']}/label.pdf", headers=auth(sender)).status_code == 404


def test_a_cancelled_order_has_no_label(client, sms):
    token = register(client, sms, phone=SENDER_PHONE)
    wb = client.post("/api/v1/orders", json=label_order(), headers=auth(token)).json()["waybill_no"]
    assert client.post(f"/api/v1/orders/{wb}/cancel", headers=auth(token)).status_code == 204
    r = client.get(f"/api/v1/orders/{wb}/label.pdf", headers=auth(token))
    assert r.status_code == 409 and r.json()["error"]["code"] == "order_cancelled"


def test_the_label_is_documented_as_a_pdf(app):
    op = app.openapi()["paths"]["/api/v1/orders/{waybill_no}/label.pdf"]["get"]
    assert set(op["responses"]) == {"200", "401", "404", "409", "422"}
    assert list(op["responses"]["200"]["content"]) == ["application/pdf"]
    assert op["security"]


# -- the page link ---------------------------------------------------------------------------------------------
def test_the_order_page_link_serves_the_label_to_the_logged_in_sender(client, sms, clock):
    token = register(client, sms, phone=SENDER_PHONE)
    wb = client.post("/api/v1/orders", json=label_order(), headers=auth(token)).json()["waybill_no"]
    anonymous = client.get(f"/orders/{wb}/label.pdf", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == f"/login?next=%2Forders%2F{wb}%2Flabel.pdf"
    clock.advance(minutes=2)  # past the resend wait for another login code
    web_register(client, sms, phone=SENDER_PHONE)
    r = client.get(f"/orders/{wb}/label.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="{wb}.pdf"' and r.headers["cache-control"] == "no-store"
    text = pdf_text(r.content)
    assert wb in text and "王*" in text and NAMES[0] not in text and SENDER_PHONE not in text
    client.cookies.clear()
    clock.advance(minutes=2)
    web_register(client, sms, phone=RECIPIENT_PHONE)
    assert client.get(f"/orders/{wb}/label.pdf").status_code == 404


def test_the_label_embeds_its_chinese_font(client, sms):
    """A label prints the same everywhere: every font but Helvetica (which every PDF reader has) is embedded, so a
    machine or printer without a Chinese font of its own does not show empty boxes."""
    token = register(client, sms, phone=SENDER_PHONE)
    wb = client.post("/api/v1/orders", json=label_order(), headers=auth(token)).json()["waybill_no"]
    page = PdfReader(io.BytesIO(client.get(f"/api/v1/orders/{wb}/label.pdf", headers=auth(token)).content)).pages[0]
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    not_embedded = []
    for font in fonts:
        if font["/BaseFont"].startswith("/Helvetica"):
            continue
        described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = described["/FontDescriptor"].get_object()
        if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            not_embedded.append(font["/BaseFont"])
    assert fonts and not not_embedded, f"fonts the reader must supply itself: {not_embedded}"
    assert "收件人" in page.extract_text()
