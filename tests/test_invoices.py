"""Invoices for paid orders: the form's fields per type and delivery, the taxpayer ID's check character, the refusal of
an unpaid order, the PDF with its embedded Chinese font, the SMS link, and the legal hold that keeps an invoice (listed
with its basis and end date) through the account's erasure."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from jidi.invoices.models import Invoice
from jidi.privacy.models import Restriction
from jidi.shipping.models import Order
from tests.pii import PHONES, TAX_IDS, TITLES
from tests.test_accounts_api import auth, register
from tests.test_rights import code
from tests.test_shipping import order_body

ME, FRIEND = PHONES[0], PHONES[1]


@pytest.fixture
def me(client, sms, clock):
    h = auth(register(client, sms, phone=ME))
    clock.advance(seconds=61)
    return h


def place(client, h, **over) -> str:
    r = client.post("/api/v1/orders", json=order_body(sender={"name": "王小明", "phone": ME, "region_code": "110105",
                                                             "address": "望京街道阜通东大街6号"}, **over), headers=h)
    assert r.status_code == 201, r.text
    return r.json()["waybill_no"]


def e_invoice(wb, **over) -> dict:
    return {"waybill_no": wb, "title": TITLES[0], "taxpayer_id": TAX_IDS[0], "mobile": ME, **over}


@pytest.mark.promise("JD-1.1.2(5)c", "JD-6.1.1(3)–(5)")
def test_an_e_invoice_for_a_paid_order_is_a_pdf_sent_by_sms_link(client, sms, clock, container, me):
    wb = place(client, me)
    # Not paid yet: refused, with a clear message in the user's language, and nothing written.
    r = client.post("/api/v1/invoices", json=e_invoice(wb), headers=me)
    assert r.status_code == 409 and r.json()["error"]["code"] == "invoice_order_unpaid"
    assert "未付款" in r.json()["error"]["message"] or "支付" in r.json()["error"]["message"]
    r = client.post("/api/v1/invoices", json=e_invoice(wb), headers={**me, "Accept-Language": "en"})
    assert "not been paid" in r.json()["error"]["message"]
    container.shipping.mark_paid(wb)
    r = client.post("/api/v1/invoices", json=e_invoice(wb, email="xiaoming@example.com"), headers=me)
    assert r.status_code == 201, r.text
    inv = r.json()
    assert inv["kind"] == "ordinary" and inv["medium"] == "electronic" and len(inv["number"]) == 20
    assert inv["title"] != TITLES[0] and inv["taxpayer_id"] == TAX_IDS[0][0] + "*" * 16 + TAX_IDS[0][-1]
    assert inv["mobile"] == ME[:3] + "****" + ME[-4:]
    issued = container.clock()
    assert inv["kept_until"] == (issued + dt.timedelta(days=5 * 365 + 2)).astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    assert "发票管理办法" in inv["kept_because"]
    # One invoice per order.
    assert client.post("/api/v1/invoices", json=e_invoice(wb), headers=me).json()["error"]["code"] == "invoice_exists"
    # The SMS carries the link (a bearer token, nothing personal); it downloads the PDF without a login.
    to, text = sms.sent[-1]
    assert to == ME and inv["number"] in text and wb in text
    link = re.search(r"https?://\S+/invoices/download/(\S+)", text)
    assert link is not None
    pdf = client.get(f"/invoices/download/{link.group(1)}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert b"FontFile2" in pdf.content  # the Chinese TrueType font is embedded
    assert client.get("/invoices/download/not-a-real-token").status_code == 404
    listed = client.get("/api/v1/invoices", headers=me).json()
    assert [i["number"] for i in listed] == [inv["number"]]
    r = client.get(f"/api/v1/invoices/{inv['id']}/pdf", headers=me)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    # Someone else's account finds neither the order nor the invoice.
    other = auth(register(client, sms, phone=PHONES[2]))
    assert client.get(f"/api/v1/invoices/{inv['id']}/pdf", headers=other).status_code == 404
    assert client.post("/api/v1/invoices", json=e_invoice(wb, mobile=PHONES[2]), headers=other).status_code == 404
    # The recipient did not pay (the sender did): refused.
    recipient = auth(register(client, sms, phone=FRIEND))
    assert client.post("/api/v1/invoices", json=e_invoice(wb, mobile=FRIEND), headers=recipient).status_code == 403
    clock.advance(days=31)
    assert client.get(f"/invoices/download/{link.group(1)}").status_code == 404  # the link expires (the account still downloads)


@pytest.mark.promise("JD-1.1.2(5)c")
def test_each_type_and_delivery_requires_its_fields_and_the_taxpayer_id_check_character(client, container, me):
    wb = place(client, me)
    container.shipping.mark_paid(wb)

    def ask(**over):
        return client.post("/api/v1/invoices", json=e_invoice(wb, **over), headers=me)

    bad = TAX_IDS[0][:-1] + ("A" if TAX_IDS[0][-1] != "A" else "B")
    r = ask(taxpayer_id=bad)
    assert r.status_code == 422 and r.json()["error"]["code"] == "taxpayer_id_invalid" and bad not in r.text
    assert ask(taxpayer_id="12345").json()["error"]["code"] == "taxpayer_id_invalid"
    # What the chosen type and delivery need, missing: a 400 naming it (the request itself is well formed).
    missing = ask(mobile="")  # an e-invoice needs the mobile
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "invoice_detail_missing"
    assert ask(kind="vat_special").status_code == 400  # a VAT special invoice needs bank, account, registered phone and address
    assert ask(medium="paper", mobile="").status_code == 400  # paper needs the mailing name, phone and address
    assert ask(mobile="1380013800").status_code == 422  # present but malformed
    with container.uow() as s:
        assert s.scalar(select(Invoice.id)) is None  # nothing half-written
    r = ask(kind="vat_special", medium="paper", mobile="", bank_name="招商银行北京分行", bank_account="110902345610201",
            reg_phone="010-12345678", reg_address="北京市朝阳区望京街道", mail_name="李华", mail_phone=PHONES[1], mail_region="110105",
            mail_address="阜通东大街6号", taxpayer_id=TAX_IDS[1].lower())
    assert r.status_code == 201, r.text
    with container.uow() as s:
        inv = s.scalar(select(Invoice))
        # Only what a paper VAT special invoice needs is kept: no e-invoice mobile or e-mail.
        assert inv.mobile is None and inv.email is None and inv.mail_region == "110105" and inv.bank_account is not None
        assert inv.subject_id != inv.owner_id  # sealed under the invoice's own subject
    assert client.get(f"/api/v1/invoices/{r.json()['id']}/pdf", headers=me).content.startswith(b"%PDF")


@pytest.mark.promise("JD-1.1.2(5)c")
def test_the_payer_asks_and_a_cancelled_order_is_not_invoiced(client, sms, clock, container, me):
    wb = place(client, me)
    container.shipping.mark_paid(wb)
    assert client.post(f"/api/v1/orders/{wb}/cancel", headers=me).status_code == 204
    r = client.post("/api/v1/invoices", json=e_invoice(wb), headers=me)
    assert r.json()["error"]["code"] == "invoice_order_unpaid"  # refunded
    # Recipient pays: the recipient asks, not the sender.
    wb = place(client, me, recipient={"name": "李华", "phone": FRIEND, "region_code": "310106", "address": "南京西路1266号恒隆广场"},
               payment_mode="recipient_pays")
    with container.uow() as s:
        s.scalar(select(Order).where(Order.waybill_no == wb)).paid_at = container.clock()
    assert client.post("/api/v1/invoices", json=e_invoice(wb), headers=me).json()["error"]["code"] == "invoice_not_payer"
    friend = auth(register(client, sms, phone=FRIEND))
    assert client.post("/api/v1/invoices", json=e_invoice(wb, mobile=FRIEND), headers=friend).status_code == 201


@pytest.mark.promise("JD-1.1.2(5)c", "JD-6.3.1b")
def test_an_invoice_is_kept_under_a_legal_hold_through_erasure(client, sms, clock, container, me):
    wb = place(client, me)
    container.shipping.mark_paid(wb)
    assert client.post("/api/v1/invoices", json=e_invoice(wb), headers=me).status_code == 201
    with container.uow() as s:
        s.scalar(select(Order).where(Order.waybill_no == wb)).status = "delivered"
    preview = client.get("/api/v1/privacy/preview/deletion", headers=me).json()
    kept = [k for k in preview["will_keep"] if k["what"] == "发票"]
    assert len(kept) == 1 and "发票管理办法" in kept[0]["legal_basis"]
    r = client.post("/api/v1/privacy/requests", json={"kind": "deletion", "code": code(client, sms, clock, me, ME)}, headers=me)
    assert r.status_code == 201 and r.json()["status"] == "fulfilled", r.text
    with container.uow() as s:
        inv = s.scalar(select(Invoice))
        assert inv is not None and inv.title is not None  # kept, restricted, still readable for the tax record
        held = s.scalar(select(Restriction).where(Restriction.table_name == "invoices"))
        assert held.row_id == inv.id and held.until.date() >= (inv.issued_at + dt.timedelta(days=5 * 365)).date()
    # When the hold ends, the retention sweep deletes it.
    clock.advance(days=5 * 365 + 3)
    container.retention.run()
    with container.uow() as s:
        assert s.scalar(select(Invoice)) is None


def test_the_invoices_page_lists_and_issues(client, sms, clock, container):
    from tests.test_accounts_web import web_register  # noqa: PLC0415
    from tests.test_rights import _csrf  # noqa: PLC0415

    web_register(client, sms, phone=ME)
    page = client.get("/invoices")
    assert page.status_code == 200 and 'data-testid="nothing-to-invoice"' in page.text
    token = _csrf(client)
    r = client.post("/invoices", data={"csrf_token": token, "waybill_no": "JD1234567890128", "kind": "ordinary", "medium": "electronic",
                                       "title": TITLES[0], "taxpayer_id": TAX_IDS[0], "content": "express_fee", "mobile": ME})
    assert r.status_code == 404  # not my parcel
    r = client.post("/invoices", data={"csrf_token": token, "waybill_no": "JD1234567890128", "kind": "ordinary", "medium": "electronic",
                                       "title": TITLES[0], "taxpayer_id": "91110000600037341A", "content": "express_fee", "mobile": ME})
    assert r.status_code == 422 and 'data-testid="error"' in r.text and "91110000600037341A" in r.text  # shown back to correct it
