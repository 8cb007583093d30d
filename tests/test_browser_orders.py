"""Second thoughts in a real browser (issue 9, items 13 and 18), on SQLite and PostgreSQL like tests/test_browser.py:
cancelling an order and deleting an address-book entry ask first, without JavaScript; a cancelled order's page says
what happened to the payment, shows the cancellation in its route and offers no label; and the interactive API docs
work on a machine without internet access."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from jidi.shipping import states
from tests.test_browser_payments import pay_through_simulator
from tests import pii
from tests.test_browser import ZH, _page_has_no, chromium, web  # noqa: F401 - fixtures used by name
from tests.test_browser_shipping import paste_entry, stops

pytestmark = pytest.mark.browser

SENDER_PHONE, RECIPIENT_PHONE = pii.PHONES[4], pii.PHONES[1]
SENDER_LINE = f"{pii.NAMES[3]} {SENDER_PHONE} 北京市海淀区{pii.ADDRESSES[0]}"
RECIPIENT_LINE = f"{pii.NAMES[4]} {RECIPIENT_PHONE} 上海市浦东新区{pii.ADDRESSES[2]}"
PERSONAL = (SENDER_PHONE, RECIPIENT_PHONE, pii.NAMES[3], pii.NAMES[4], pii.ADDRESSES[0], pii.ADDRESSES[2])


@pytest.fixture
def no_javascript(web):
    """The pages under test work without JavaScript (the confirmation is a page and a form, not a dialog): a second
    browser context with JavaScript off, logged in as the first one is at the time it is opened."""
    contexts = []

    def open_page():
        context = web.context.browser.new_context(locale="zh-CN", base_url=web.server.url, java_script_enabled=False)
        contexts.append(context)
        context.set_default_timeout(10_000)
        context.add_cookies(web.context.cookies())
        page = context.new_page()
        page.on("request", lambda r: web.urls.append(r.url))
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_cancel_a_paid_order_after_confirming_it_is_refunded_and_the_route_says_so(web, no_javascript):
    page = web.page
    web.sms_login(SENDER_PHONE)
    paste_entry(web, "sender", SENDER_LINE, "110108")
    paste_entry(web, "recipient", RECIPIENT_LINE, "310115")
    web.goto("/ship")
    page.get_by_test_id("ship-item").fill(pii.ITEMS[0])
    page.get_by_test_id("ship-category").select_option("daily_goods")
    page.get_by_test_id("ship-weight").fill("1.2")
    page.get_by_test_id("ship-submit").click()
    page.get_by_test_id("ship-confirm-submit").click()
    waybill_no = page.get_by_test_id("waybill-no").inner_text().strip()
    price = page.get_by_test_id("order-price").inner_text().strip()
    pay_through_simulator(page, waybill_no)
    expect(page.get_by_test_id("order-status")).to_have_text(ZH(states.LABELS[states.AWAITING_PICKUP]))
    expect(page.get_by_test_id("label-link")).to_be_visible()

    # The button asks first, in a page of its own (no JavaScript), saying what happens to the money.
    page = no_javascript()
    page.goto(f"/orders/{waybill_no}")
    page.get_by_test_id("cancel-order").click()
    expect(page).to_have_url(re.compile(rf"/orders/{waybill_no}/cancel$"))
    expect(page.get_by_test_id("cancel-payment")).to_contain_text(f"您已支付 {price}，将全额退回原支付方式。")
    # Second thoughts: nothing changed.
    page.get_by_test_id("cancel-keep").click()
    expect(page.get_by_test_id("order-status")).to_have_text(ZH(states.LABELS[states.AWAITING_PICKUP]))
    page.get_by_test_id("cancel-order").click()
    page.get_by_test_id("cancel-confirm-submit").click()
    expect(page).to_have_url(re.compile(rf"/orders/{waybill_no}\?cancelled=1$"))
    expect(page.get_by_test_id("cancelled")).to_be_visible()
    expect(page.get_by_test_id("order-status")).to_have_text(ZH(states.LABELS[states.CANCELLED]))
    expect(page.get_by_test_id("order-refund")).to_have_text("已按原支付方式退款")
    assert [el.get_attribute("data-action") for el in page.get_by_test_id("order-stop").all()] == ["cancelled", "placed"]
    expect(page.get_by_test_id("order-route")).to_contain_text("寄件人已取消订单")
    expect(page.get_by_test_id("label-link")).to_have_count(0)
    expect(page.get_by_test_id("cancel-order")).to_have_count(0)
    _page_has_no(page, *PERSONAL)

    # An old link to the label answers a page that says why, not a bare error.
    response = page.goto(f"/orders/{waybill_no}/label.pdf")
    assert response.status == 409
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "order_cancelled")
    expect(page.get_by_test_id("waybill-no")).to_have_text(waybill_no)
    # The public tracking page shows the cancellation too.
    web.goto(f"/track/{waybill_no}")
    expect(web.page.get_by_test_id("track-route")).to_contain_text("寄件人已取消订单")
    web.goto(f"/orders/{waybill_no}")
    assert stops(web) == ["cancelled", "placed"]


def test_delete_an_address_book_entry_after_confirming(web, no_javascript):
    web.sms_login(SENDER_PHONE)
    paste_entry(web, "recipient", RECIPIENT_LINE, "310115")
    page = no_javascript()
    page.goto("/address-book")
    expect(page.get_by_test_id("entry")).to_have_count(1)
    page.get_by_test_id("delete-entry").click()
    expect(page.get_by_test_id("delete-confirm")).to_contain_text("赵*")
    _page_has_no(page, *PERSONAL)
    page.get_by_test_id("delete-keep").click()
    expect(page.get_by_test_id("entry")).to_have_count(1)
    page.get_by_test_id("delete-entry").click()
    page.get_by_test_id("delete-confirm-submit").click()
    expect(page).to_have_url(re.compile(r"/address-book\?saved=deleted$"))
    expect(page.get_by_test_id("entry")).to_have_count(0)


def test_the_api_docs_work_without_internet_access(web):
    """Swagger UI comes from the server itself: every request to another host is refused, and the page still lists
    the operations, with no Content-Security-Policy violation."""
    page, elsewhere, violations = web.page, [], []
    web.context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"),
                      lambda route: (elsewhere.append(route.request.url), route.abort()))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    web.goto("/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/tracking/{waybill_no}").first).to_be_visible()
    assert elsewhere == [] and violations == []


def test_the_ship_page_shows_the_price_live_and_without_javascript(web, no_javascript):
    """With JavaScript the estimate follows the form as it is filled; without it, "calculate" posts the form and the
    page shows the same estimate. Then the confirmation step, and only then the order."""
    page = web.page
    web.sms_login(SENDER_PHONE)
    paste_entry(web, "sender", SENDER_LINE, "110108")
    paste_entry(web, "recipient", RECIPIENT_LINE, "310115")
    web.goto("/ship")
    page.get_by_test_id("ship-item").fill(pii.ITEMS[0])
    page.get_by_test_id("ship-weight").fill("2.3")  # 3 kg across the country: ¥20 + 2 × ¥10
    expect(page.get_by_test_id("estimate-total")).to_have_text("¥40.00")
    page.get_by_test_id("ship-declared").fill("500")
    page.get_by_test_id("ship-insured").check()
    expect(page.get_by_test_id("estimate-insurance")).to_have_text("¥2.50")
    expect(page.get_by_test_id("estimate-total")).to_have_text("¥42.50")
    plain = no_javascript()
    plain.goto("/ship")
    plain.get_by_test_id("ship-item").fill(pii.ITEMS[0])
    plain.get_by_test_id("ship-weight").fill("2.3")
    plain.get_by_test_id("ship-declared").fill("500")
    plain.get_by_test_id("ship-insured").check()
    plain.get_by_test_id("ship-estimate-submit").click()
    expect(plain.get_by_test_id("estimate-total")).to_have_text("¥42.50")
    plain.get_by_test_id("ship-slot").first.check()
    plain.get_by_test_id("ship-submit").click()
    expect(plain.get_by_test_id("confirm-total")).to_contain_text("¥42.50")
    _page_has_no(plain, *PERSONAL)
    plain.get_by_test_id("ship-confirm-submit").click()
    expect(plain.get_by_test_id("placed")).to_be_visible()
    expect(plain.get_by_test_id("order-insurance")).to_contain_text("¥2.50")
    expect(plain.get_by_test_id("order-slot")).to_be_visible()
    _page_has_no(plain, *PERSONAL)
    assert not [u for u in web.urls if any(p in u for p in PERSONAL)]
