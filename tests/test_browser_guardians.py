"""A minor's registration in a real browser, in Chinese and in English: the date of birth, the account waiting for the
guardian (every other page sends them back to the guardian page), the guardian's code and consent, then the account
in use. The `web` fixture checks the server logs and the URLs for personal data; conftest scans the database."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from jidi.i18n import gettext_for
from tests import pii
from tests.browser_support import masked_phone
from tests.test_browser import chromium, web  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

CHILD, GUARDIAN = pii.PHONES[0], pii.PHONES[1]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_minors_registration_waits_for_the_guardian(web, container, clock, lang):
    _ = gettext_for(lang)
    page = web.page
    web.sms_login(CHILD)
    if lang == "en":
        page.get_by_test_id("lang-en").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")

    web.goto("/guardian")
    expect(page.locator("h1")).to_have_text(_("Guardian consent"))
    today = clock.now.date()
    page.get_by_test_id("birth-date").fill(today.replace(year=today.year - 10).isoformat())
    page.get_by_test_id("state-age").click()
    expect(page.get_by_test_id("waiting")).to_have_text(
        _("Your account is waiting for the consent of your parent or guardian. Until they consent, you cannot use it."))

    # Every other page of the account leads back here until the guardian consents.
    page.get_by_test_id("nav-orders").click()
    expect(page).to_have_url(web.url("/guardian"))

    page.get_by_test_id("guardian-relation").select_option("parent")
    page.get_by_test_id("guardian-phone").fill(GUARDIAN)
    clock.advance(seconds=61)
    page.get_by_test_id("ask-guardian").click()
    expect(page.get_by_test_id("guardian-code-sent")).to_contain_text(masked_phone(GUARDIAN))
    text = page.get_by_test_id("consent-text")
    expect(text).to_contain_text(container.settings.policy_version)
    expect(text).to_contain_text(_("Parent") if lang == "zh_CN" else "parent")
    expect(page.get_by_test_id("policy-link")).to_be_visible()

    # Without ticking "I agree", nothing is recorded and the page says why.
    page.get_by_test_id("guardian-code").fill(web.sms_code(GUARDIAN))
    page.get_by_test_id("guardian-confirm").click()
    expect(page.get_by_test_id("error")).to_have_text(_("Your parent or guardian must read the text and tick “I agree”."))

    page.get_by_test_id("guardian-agree").check()
    page.get_by_test_id("guardian-code").fill(web.sms_code(GUARDIAN))
    page.get_by_test_id("guardian-confirm").click()
    expect(page).to_have_url(re.compile(r"/guardian\?saved=consented$"))
    expect(page.get_by_test_id("saved")).to_have_text(
        _("Thank you. Your parent or guardian has consented: you can use your account now."))
    day = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    expect(page.get_by_test_id("ready")).to_contain_text(str(day.year))

    page.get_by_test_id("nav-orders").click()
    expect(page).to_have_url(web.url("/orders"))
