"""Every page in a real browser, in Chinese and English, on a phone (390 px) and a desktop (1280 px): axe-core
(bundled by the axe-playwright-python package, injected into the page: nothing is fetched) finds no serious or
critical WCAG 2.1 A/AA violation; no page is wider than the screen (no horizontal scrolling at 390 px); the English
menu fits on one line; and a full-page screenshot of each goes to the test artefacts for people to look at:
JIDI_SCREENSHOTS_DIR, else a pytest temporary directory (never the repository).

Which pages: every GET page route of the app is either opened here (for a visitor, the demo customer or the staff
member who uses it, `PUBLIC`, `CUSTOMER`, `STAFF`, and the answers of forms: the order page with an address shown in
full, the ship form's confirmation step) or listed in `NOT_PAGES` with the reason; a test without the browser keeps
that true as routes are added.

The pages show the demo data (`jidi demo`: parcels in every state, an address book, a family number, a correction
request) and one published policy version. Rendering does not depend on the database, so this runs on SQLite only.
To keep the run short: one browser per module (tests.test_browser.chromium), axe loaded into every page by an init
script (not sent over the wire per check), and each page loaded once per language: the desktop check resizes it."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python import sync_playwright as axe_module
from playwright.sync_api import expect
from fastapi.routing import APIRoute
from starlette.routing import Route

from jidi import demo
from jidi.features import registered
from jidi.kit.feature import resolve
from tests.test_browser import chromium, web  # noqa: F401 - fixtures used by name

pytestmark = pytest.mark.browser

WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
LANGS = ("zh_CN", "en")
AXE_JS = Path(axe_module.__file__).with_name("axe.min.js")
AXE_RUN = """axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
                         resultTypes: ["violations"]}).then(r => r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
                         .map(v => `${v.impact} ${v.id}: ${v.help} ${JSON.stringify(v.nodes.slice(0, 3).map(n => n.target))}`))"""

PUBLIC = ("/", "/track", "/track/{delivered}", "/lookup", "/login", "/login/password", "/privacy", "/privacy/versions",
          "/privacy/versions/{policy}", "/privacy/changes/{policy}", "/cookies", "/minors", "/api/errors", "/staff/login")
CUSTOMER = ("/", "/me", "/ship", "/ship?again={delivered}", "/orders", "/orders?status=transit", "/orders?box=received",
            "/orders/{out_for_delivery}", "/orders/{awaiting_pickup}", "/orders/{delivered}", "/orders/{cancelled}",
            "/orders/{awaiting_pickup}/cancel", "/track", "/track/{in_transit}", "/lookup",
            "/address-book", "/address-book/new", "/address-book/{entry}/delete", "/family",
            "/profile", "/messages", "/settings/marketing", "/settings/permissions", "/guardian",
            "/privacy/me", "/privacy/consents", "/privacy/requests", "/privacy/requests/{request}", "/privacy/kin",
            "/privacy/confirm/copy", "/privacy/confirm/correction", "/privacy/confirm/explanation",
            "/privacy/confirm/withdrawal", "/privacy/confirm/deletion", "/privacy/confirm/cancellation",
            "/privacy", "/privacy/changes/{policy}", "/cookies", "/minors",
            "/orders/{awaiting_payment}/payment", "/payments", "/invoices", "/cod", "/exclusive-courier", "/service-points",
            "/settings/delivery")
# Staff pages, by the demo staff member who uses them ({officer_request}: the demo's correction request).
STAFF = {"support": ("/staff",),
         "privacy": ("/staff", "/staff/privacy", "/staff/privacy/{officer_request}", "/staff/minors", "/staff/policy",
                     "/staff/consents"),
         "courier": ("/staff", "/staff/pickup", "/staff/pickup?waybill_no={awaiting_pickup}", "/staff/tasks"),
         "admin": ("/staff", "/staff/marketing", "/staff/marketing/opt-out", "/staff/couriers")}
# Pages only a form's answer shows (checked after the browser submits the form), by the route's path.
FORM_ANSWERS = ("/orders/{waybill_no}/reveal", "/ship")
# GET routes that are not pages to look at, and why.
NOT_PAGES = {
    "/orders/{waybill_no}/label.pdf": "a PDF (tests/test_label.py)",
    "/privacy/copies/{export_id}": "a zip download (tests/test_rights.py)",
    "/staff/privacy/{request_id}/proofs/{proof_id}": "a file the requester uploaded, downloaded by the officer",
    "/auth/wechat/start": "a redirect to WeChat", "/auth/wechat/callback": "WeChat's redirect back",
    "/guardian/withdraw": "a redirect to the guardian's SMS-code step (tests/test_browser_guardians.py)",
    "/api/docs": "Swagger UI, a third-party page served from the installed package (tests/test_api_docs.py)",
    "/staff/tasks/{task_id}": "a courier's stop, opened and checked by axe in tests/test_browser_couriers.py",
    "/invoices/download/{token}": "an invoice PDF behind the SMS link (tests/test_invoices.py)",
    "/invoices/{invoice_id}/pdf": "an invoice PDF (tests/test_invoices.py)",
    "/payments/pay-later/done": "the redirect back from the pay-later authorisation (tests/test_payments.py)",
    "/sim/alipay/gateway.do": "the payment simulator's page, standing for Alipay's (tests/test_browser_payments.py)",
    "/sim/wechat/pay/{serial}": "the payment simulator's page, standing for WeChat Pay's (tests/test_browser_payments.py)",
    "/sim/wechat/payscore/{code}": "the payment simulator's page, standing for WeChat Pay Score's (tests/test_payments.py)",
    "/dev/outbox": "development only", "/dev/wechat/authorize": "development only", "/dev/sms-reply": "development only",
}


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    where = os.environ.get("JIDI_SCREENSHOTS_DIR")
    path = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def axe_problems(page, where: str) -> list[str]:
    """The serious and critical axe violations of the page as it is now (axe injected from the installed file if the
    page does not have it yet)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))  # evaluated by the browser's tools: not an inline script, no CSP
    return [f"{where}: axe {v}" for v in page.evaluate(AXE_RUN)]


def _inspect(web, where: str, device: str, width: int, problems: list[str], shot: Path, tabbar: bool) -> None:
    """The page as it is now: its width, its menu or tab bar, axe, and its screenshot."""
    page = web.page
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        wide = page.evaluate(f"""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > {width})
                                 .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""")
        problems.append(f"{where}: the page is {scroll}px wide ({', '.join(wide)})")
    if device == "desktop":
        menu = page.locator("header .menu")
        if menu.count() and menu.bounding_box()["height"] > 48:
            problems.append(f"{where}: the menu wraps ({menu.bounding_box()['height']}px high)")
    elif tabbar:
        expect(page.locator("nav.tabbar")).to_be_visible()
    problems += axe_problems(page, where)
    page.screenshot(path=str(shot), full_page=True, type="jpeg", quality=70)


def _check(web, path: str, name: str, problems: list[str], shots: Path, tabbar: bool = True) -> None:
    """A page in both languages, on a phone and on a desktop: loaded once per language, resized for the desktop."""
    page = web.page
    for lang in LANGS:
        page.set_viewport_size(dict(zip(("width", "height"), WIDTHS["phone"], strict=True)))
        sep = "&" if "?" in path else "?"
        response = web.goto(f"{path}{sep}lang={lang}")
        if response is None or response.status >= 400:
            problems.append(f"{path} [{lang}]: HTTP {response.status if response else '?'}")
            continue
        expected = "zh-CN" if lang == "zh_CN" else "en"
        if page.locator("html").get_attribute("lang") != expected:
            problems.append(f"{path} [{lang}]: html lang is not {expected}")
        _answer_checked(web, path, name, lang, problems, shots, tabbar)


def _answer_checked(web, path: str, name: str, lang: str, problems: list[str], shots: Path, tabbar: bool = True) -> None:
    page = web.page
    for device, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        _inspect(web, f"{path} [{lang}, {width}px]", device, width, problems, shots / f"{name}.{lang}.{width}.jpg", tabbar)


def _shot(who: str, path: str) -> str:
    """A screenshot's file name: who looks at which page (the path's pattern: no waybill number or id in it)."""
    return who + "-" + (re.sub(r"[^a-z0-9_]+", "-", path.lower()).strip("-") or "home")


def _demo_places(container) -> dict[str, str]:
    demo.load(container)
    customer = container.accounts.user_id_for_phone(demo.DEMO_CUSTOMER_PHONE)
    places = {o.status: o.waybill_no for o in container.shipping.my_orders(customer)}
    places["entry"] = str(container.addressbook.list(customer, "recipient")[-1].id)
    places["policy"] = container.policy.publish(container.policy.today(), "页面检查版本", "Version for the page check").version
    return places


def _link(web, page_path: str, prefix: str) -> str:
    """The id at the end of the first link to `prefix…` on a page."""
    web.goto(page_path)
    return web.page.locator(f"a[href^='{prefix}']").first.get_attribute("href").rsplit("/", 1)[1]


@pytest.fixture
def sqlite_only(backend):
    """Skipped before the browser and the server start (their teardown checks the server's log of requests)."""
    if backend[0] != "sqlite":
        pytest.skip("the pages render the same on every database")


def test_every_visitor_and_customer_page_is_accessible_fits_a_phone_and_speaks_both_languages(sqlite_only, web, container, shots):
    web.context.add_init_script(path=str(AXE_JS))
    places = _demo_places(container)
    problems: list[str] = []
    for path in PUBLIC:
        _check(web, path.format(**places), _shot("visitor", path), problems, shots)
    web.goto("/login/password")
    web.password_login(demo.DEMO_CUSTOMER_PHONE, demo.DEMO_CUSTOMER_PASSWORD)
    expect(web.page.get_by_test_id("logout")).to_be_attached()
    places["request"] = _link(web, "/privacy/requests", "/privacy/requests/")
    for path in CUSTOMER:
        _check(web, path.format(**places), _shot("customer", path), problems, shots)
    # The answers of forms: an address of my order shown in full (POST, the page is not stored), the ship form's
    # confirmation step (the demo address book's default sender and recipient are chosen).
    for lang in LANGS:
        web.page.set_viewport_size({"width": 390, "height": 844})
        web.goto(f"/orders/{places['awaiting_pickup']}?lang={lang}")
        web.page.get_by_test_id("reveal-recipient").click()
        expect(web.page.get_by_test_id("revealed-recipient")).to_be_visible()
        _answer_checked(web, "POST /orders/{waybill}/reveal", "customer-order-revealed", lang, problems, shots)
        web.goto(f"/ship?again={places['delivered']}&lang={lang}")
        web.page.locator("#ship-form [name=item_name]").fill("书")
        web.page.get_by_test_id("ship-submit").click()
        expect(web.page.get_by_test_id("ship-confirm")).to_be_visible()
        _answer_checked(web, "POST /ship", "customer-ship-confirm", lang, problems, shots)
    assert not problems, "\n".join(problems)
    assert len(list(shots.glob("customer-*.jpg"))) >= 4 * len(CUSTOMER)


def test_every_staff_page_is_accessible_and_speaks_both_languages(sqlite_only, web, container, shots):
    web.context.add_init_script(path=str(AXE_JS))
    places = _demo_places(container)
    problems: list[str] = []
    for who, paths in STAFF.items():
        web.goto("/staff/login")
        web.staff_form(who, demo.DEMO_STAFF_PASSWORD, container.accounts.current_totp(who))
        expect(web.page.get_by_test_id("staff-logout")).to_be_attached()
        if who == "privacy":
            places["officer_request"] = _link(web, "/staff/privacy", "/staff/privacy/")
        for path in paths:
            _check(web, path.format(**places), _shot(who, path), problems, shots, tabbar=False)
        web.page.get_by_test_id("staff-logout").click()
    assert not problems, "\n".join(problems)


def _page_routes(app) -> set[str]:
    """The paths of every GET route that answers a page: not the features' JSON API, not in the OpenAPI schema."""
    def walk(routes):
        for route in routes:
            if isinstance(route, Route):
                yield route
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)

    api = {id(r) for feature in registered() for ref in feature.api for r in walk(resolve(ref).routes)}
    return {r.path for r in walk(app.routes) if isinstance(r, APIRoute) and id(r) not in api and not r.include_in_schema
            and "GET" in r.methods}


def _covers(route: str, paths) -> bool:
    pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/?]+", re.escape(route)) + r"(\?.*)?$")
    return any(pattern.match(re.sub(r"\{\w+\}", "x", p)) for p in paths)


def test_every_page_route_is_opened_in_the_browser_or_said_why_not(app):
    """Every GET page of the app (a route added later included) is checked above, or listed with the reason it is not."""
    opened = [*PUBLIC, *CUSTOMER, *(p for paths in STAFF.values() for p in paths)]
    routes = _page_routes(app)
    missing = sorted(r for r in routes if r not in NOT_PAGES and r not in FORM_ANSWERS and not _covers(r, opened))
    assert not missing, f"pages no browser test opens: {missing}"
    assert not set(NOT_PAGES) - routes, "NOT_PAGES names routes that no longer exist"
