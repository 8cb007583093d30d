"""Marketing choices in a real browser, in Chinese and in English: a customer turns marketing channels on and off one by
one on the settings page (the consent text in their language, each change in the consent ledger), a campaign reaches
them in that language with the opt-out instruction, and replying "N" (or "TD") from their phone stops marketing SMS and
nothing else. axe finds no serious or critical violation on the settings page. The `web` fixture checks the server
logs and the URLs for personal data; conftest scans the database."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from jidi.i18n import gettext_for
from jidi.marketing.channels import CHINA, Channel
from jidi.privacy import Actor, Purpose, Role
from tests import pii
from tests.test_browser import chromium, web  # noqa: F401  (fixtures)
from tests.test_browser_pages import axe_problems

pytestmark = pytest.mark.browser

CUSTOMER = pii.PHONES[3]
CASES = {"zh_CN": ("N", "双十二寄件八折", "双十二寄件八折 回复N退订"),
         "en": ("TD", "20% off parcels this week", "20% off parcels this week Reply N to opt out")}


def _daytime_in_china(clock) -> None:
    """Tomorrow 10:00 China time: marketing is never sent at night (and cookies set now expire later, not earlier)."""
    tomorrow = clock.now.astimezone(CHINA).date() + dt.timedelta(days=1)
    clock.now = dt.datetime.combine(tomorrow, dt.time(10), CHINA).astimezone(dt.timezone.utc)


def _ledger(container, user_id, purpose):
    with container.uow() as s:
        return [(e.action, e.how) for e in container.consents.history(s, user_id, purpose)]


@pytest.mark.promise("JD-1.1.3a", "JD-6.4.2(1)")
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_customer_chooses_marketing_per_channel_and_stops_sms_by_replying(web, container, clock, sms, lang):
    _ = gettext_for(lang)
    reply_word, campaign_text, expected_sms = CASES[lang]
    _daytime_in_china(clock)
    page = web.page
    web.sms_login(CUSTOMER)
    if lang == "en":
        page.get_by_test_id("lang-en").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    user_id = container.accounts.user_id_for_phone(CUSTOMER)

    web.goto("/settings/marketing")
    expect(page.locator("h1")).to_have_text(_("Marketing messages"))
    for ch in Channel:  # nothing is on until the customer turns it on
        expect(page.get_by_test_id(f"channel-{ch.value}")).to_have_attribute("data-live", "off")
    expect(page.get_by_test_id("notice-sms")).to_contain_text("短信" if lang == "zh_CN" else "by SMS")
    problems = axe_problems(page, f"/settings/marketing [{lang}]")

    for ch in ("sms", "in_app"):
        page.get_by_test_id(f"on-{ch}").click()
        expect(page.get_by_test_id("saved")).to_have_text(_("Turned on. You can turn it off here at any time."))
        expect(page.get_by_test_id(f"channel-{ch}")).to_have_attribute("data-live", "on")
    page.get_by_test_id("off-in_app").click()
    expect(page.get_by_test_id("saved")).to_have_text(
        _("Turned off. No more marketing reaches you on that channel; messages already sent stay as they were."))
    expect(page.get_by_test_id("channel-in_app")).to_have_attribute("data-live", "off")
    expect(page.get_by_test_id("channel-sms")).to_have_attribute("data-live", "on")  # one channel, not the others
    problems += axe_problems(page, f"/settings/marketing, SMS on [{lang}]")
    assert not problems, "\n".join(problems)
    assert _ledger(container, user_id, Purpose.MARKETING_IN_APP) == [("grant", "page"), ("withdraw", "page")]

    # A campaign on every channel reaches the customer by SMS only, in their language, with the opt-out instruction.
    admin = Actor(container.accounts.create_staff(Role.ADMIN, "admin1", "Admin-pass-2026")[0], Role.ADMIN)
    cid = container.marketing.create(admin, "双十二", container.marketing.segment(None, None), [c.value for c in Channel],
                                     CASES["zh_CN"][1], CASES["en"][1])
    assert container.marketing.queue(admin, cid) == 1
    assert [text for to, text in sms.sent if to == CUSTOMER and campaign_text in text] == [expected_sms]

    # The customer replies from their phone (the carrier simulator delivers it as the gateway's signed callback).
    web.goto("/dev/sms-reply")
    page.get_by_test_id("reply-phone").fill(CUSTOMER)
    page.get_by_test_id("reply-text").fill(reply_word)
    page.get_by_test_id("reply-send").click()
    expect(page.get_by_test_id("reply-outcome")).to_have_attribute("data-outcome", "opted_out")
    # Confirmed by a service SMS in the language they agreed in.
    assert web.sms_texts(CUSTOMER)[0] == _("[jidi] You will no longer receive marketing SMS. Service messages about your "
                                           "parcels are not affected.")
    web.goto("/settings/marketing")
    expect(page.get_by_test_id("channel-sms")).to_have_attribute("data-live", "off")
    assert _ledger(container, user_id, Purpose.MARKETING_SMS) == [("grant", "page"), ("withdraw", "sms_reply")]

    # The next campaign sends nothing to them; turned on again, SMS marketing reaches them again.
    cid = container.marketing.create(admin, "元旦", container.marketing.segment(None, None), ["sms"], "元旦快乐", "Happy New Year")
    assert container.marketing.queue(admin, cid) == 0
    page.get_by_test_id("on-sms").click()
    expect(page.get_by_test_id("channel-sms")).to_have_attribute("data-live", "on")
