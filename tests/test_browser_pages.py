"""Every customer page in a real browser, in Chinese and English, on a phone (390 px) and a desktop (1280 px):
axe-core (bundled by the axe-playwright-python package, injected into the page: nothing is fetched) finds no serious
or critical WCAG 2.1 A/AA violation; no page is wider than the screen; the English menu fits on one line; and a
full-page screenshot of each goes to the test artefacts (JIDI_SCREENSHOTS, default test-artifacts/screenshots; not
committed) for people to look at.

The pages show the demo data (`jidi demo`: parcels in every state, an address book, a family number). Rendering does
not depend on the database, so this runs on SQLite only."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from jidi import demo
from tests.test_browser import chromium, web  # noqa: F401 - fixtures used by name

pytestmark = pytest.mark.browser

WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
LANGS = ("zh_CN", "en")
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               "resultTypes": ["violations"]}
SHOTS = Path(os.environ.get("JIDI_SCREENSHOTS", Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"))
AXE = Axe()

PUBLIC = ("/", "/track", "/track/{delivered}", "/lookup", "/login", "/login/password", "/privacy", "/cookies", "/api/errors", "/staff/login")
CUSTOMER = ("/", "/me", "/ship", "/orders", "/orders?status=transit", "/orders/{out_for_delivery}", "/orders/{awaiting_pickup}",
            "/orders/{awaiting_pickup}/cancel", "/address-book", "/address-book/new", "/address-book/{entry}/delete",
            "/family", "/profile", "/privacy/me", "/privacy/requests", "/privacy/kin", "/privacy/confirm/copy",
            "/settings/permissions", "/cookies",
            "/ship?again={delivered}")
# Staff pages, by the demo staff member who uses them ({request}: the demo's correction request).
STAFF = {"support": ("/staff",), "privacy": ("/staff", "/staff/privacy", "/staff/privacy/{request}"),
         "courier": ("/staff", "/staff/pickup", "/staff/pickup?waybill_no={awaiting_pickup}"), "admin": ("/staff",)}


def _check(web, path: str, shot: str, problems: list[str], tabbar: bool = True) -> None:
    page = web.page
    for lang in LANGS:
        for device, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            sep = "&" if "?" in path else "?"
            response = web.goto(f"{path}{sep}lang={lang}")
            where = f"{path} [{lang}, {width}px]"
            if response is None or response.status >= 400:
                problems.append(f"{where}: HTTP {response.status if response else '?'}")
                continue
            expected = "zh-CN" if lang == "zh_CN" else "en"
            if page.locator("html").get_attribute("lang") != expected:
                problems.append(f"{where}: html lang is not {expected}")
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                problems.append(f"{where}: the page is {scroll}px wide")
            if device == "desktop":
                menu = page.locator("header .menu")
                if menu.count() and menu.bounding_box()["height"] > 48:
                    problems.append(f"{where}: the menu wraps ({menu.bounding_box()['height']}px high)")
            elif tabbar:
                expect(page.locator("nav.tabbar")).to_be_visible()
            results = AXE.run(page, options=AXE_OPTIONS)
            for v in results.response["violations"]:
                if v["impact"] in ("serious", "critical"):
                    targets = [n["target"] for n in v["nodes"]][:3]
                    problems.append(f"{where}: axe {v['impact']} {v['id']}: {v['help']} {targets}")
            page.screenshot(path=str(SHOTS / f"{shot}.{lang}.{width}.png"), full_page=True)


def _shot(who: str, path: str) -> str:
    """A screenshot's file name: who looks at which page (the path's pattern: no waybill number or id in it)."""
    return who + "-" + (re.sub(r"[^a-z0-9_]+", "-", path.lower()).strip("-") or "home")


def _demo_places(container) -> dict[str, str]:
    demo.load(container)
    customer = container.accounts.user_id_for_phone(demo.DEMO_CUSTOMER_PHONE)
    places = {o.status: o.waybill_no for o in container.shipping.my_orders(customer)}
    places["entry"] = str(container.addressbook.list(customer, "recipient")[-1].id)
    return places


@pytest.fixture
def sqlite_only(backend):
    """Skipped before the browser and the server start (their teardown checks the server's log of requests)."""
    if backend[0] != "sqlite":
        pytest.skip("the pages render the same on every database")


def test_every_customer_page_is_accessible_fits_a_phone_and_speaks_both_languages(sqlite_only, web, container):
    SHOTS.mkdir(parents=True, exist_ok=True)
    places = _demo_places(container)
    problems: list[str] = []
    for path in PUBLIC:
        _check(web, path.format(**places), _shot("visitor", path), problems)
    web.goto("/login/password")
    web.password_login(demo.DEMO_CUSTOMER_PHONE, demo.DEMO_CUSTOMER_PASSWORD)
    expect(web.page.get_by_test_id("logout")).to_be_attached()
    for path in CUSTOMER:
        _check(web, path.format(**places), _shot("customer", path), problems)
    assert not problems, "\n".join(problems)


def test_every_staff_page_is_accessible_and_speaks_both_languages(sqlite_only, web, container):
    SHOTS.mkdir(parents=True, exist_ok=True)
    places = _demo_places(container)
    problems: list[str] = []
    for who, paths in STAFF.items():
        web.goto("/staff/login")
        web.staff_form(who, demo.DEMO_STAFF_PASSWORD, container.accounts.current_totp(who))
        expect(web.page.get_by_test_id("staff-logout")).to_be_attached()
        if who == "privacy":
            web.goto("/staff/privacy")
            places["request"] = web.page.locator("a[href^='/staff/privacy/']").first.get_attribute("href").rsplit("/", 1)[1]
        for path in paths:
            _check(web, path.format(**places), _shot(who, path), problems, tabbar=False)
        web.page.get_by_test_id("staff-logout").click()
    assert not problems, "\n".join(problems)
