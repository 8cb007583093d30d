"""The courier's day in a real browser on a phone (390 px): the demo courier's task list and a stop, in Chinese and
English, accessible by axe-core (no serious or critical violation), nothing wider than the screen; the stop shows the
recipient masked until the courier opens the address of the stop being worked. Also the admin's onboarding page and
the customer's exclusive-courier page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jidi import demo
from tests.test_browser import chromium, web  # noqa: F401 - fixtures used by name
from tests.test_browser_pages import AXE_JS, _check, _demo_places, shots, sqlite_only  # noqa: F401 - fixtures used by name

pytestmark = pytest.mark.browser


def test_the_courier_works_the_task_list_on_a_phone(sqlite_only, web, container, shots):
    web.context.add_init_script(path=str(AXE_JS))
    _demo_places(container)
    problems: list[str] = []
    web.goto("/staff/login")
    web.staff_form("courier", demo.DEMO_STAFF_PASSWORD, container.accounts.current_totp("courier"))
    expect(web.page.get_by_test_id("staff-logout")).to_be_attached()
    _check(web, "/staff/tasks", "courier-tasks", problems, shots, tabbar=False)
    page = web.page
    page.set_viewport_size({"width": 390, "height": 844})
    web.goto("/staff/tasks?lang=zh_CN")
    stops = page.get_by_test_id("stop")
    assert stops.count() >= 2
    assert "*" in stops.first.get_by_test_id("stop-party").inner_text()
    href = stops.first.get_by_test_id("stop-link").get_attribute("href")
    _check(web, href, "courier-stop", problems, shots, tabbar=False)
    web.goto(href + "?lang=zh_CN")
    masked = page.get_by_test_id("stop-address").inner_text()
    page.get_by_test_id("open-address").click()
    opened = page.get_by_test_id("stop-address").inner_text()
    assert opened != masked and "*" not in opened
    page.get_by_test_id("staff-logout").click()
    web.goto("/staff/login")
    web.staff_form("admin", demo.DEMO_STAFF_PASSWORD, container.accounts.current_totp("admin"))
    _check(web, "/staff/couriers", "admin-couriers", problems, shots, tabbar=False)
    page.get_by_test_id("staff-logout").click()
    web.goto("/login/password")
    web.password_login(demo.DEMO_CUSTOMER_PHONE, demo.DEMO_CUSTOMER_PASSWORD)
    _check(web, "/exclusive-courier", "customer-exclusive-courier", problems, shots)
    assert not problems, "\n".join(problems)
