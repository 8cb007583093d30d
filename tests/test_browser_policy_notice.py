"""A material change of the privacy policy in a real browser, in Chinese and in English: the privacy officer publishes
it, the logged-in customer is stopped by the notice on their next page (a change that cuts a right needs a fresh
acceptance), reads what changed, accepts, and carries on; the acceptance is in the consent ledger with the exact text
of the language they read it in. An editorial change publishes without a prompt. axe finds no serious or critical
violation on the pages with the notice. The `web` fixture checks the server logs and the URLs for personal data."""
from __future__ import annotations

import dataclasses
import re

import pytest
from playwright.sync_api import expect

from jidi.i18n import china_day, gettext_for
from jidi.policy import operators
from jidi.privacy import Agreement
from tests import pii
from tests.test_browser import chromium, web  # noqa: F401  (fixtures)
from tests.test_browser_pages import axe_problems

pytestmark = pytest.mark.browser

CUSTOMER = pii.PHONES[2]


@pytest.mark.promise("JD-9.2", "CN-11.1b", "ZK-7.2a", "JD-9.1a", "ZK-7.1a")
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_material_change_stops_the_customer_until_they_accept_it_and_the_ledger_keeps_the_text(
        web, container, clock, monkeypatch, lang):
    _ = gettext_for(lang)
    page = web.page
    policy = container.policy
    policy.publish(china_day(clock()))  # the first published version, which the customer accepts at login
    clock.advance(minutes=1)
    web.sms_login(CUSTOMER)
    if lang == "en":
        page.get_by_test_id("lang-en").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    user_id = container.accounts.user_id_for_phone(CUSTOMER)

    # An editorial change (the operator's postal address): published without a prompt.
    clock.advance(minutes=1)
    moved = dataclasses.replace(operators.PROFILES["jidi"], address=("新地址一号", "No. 1 New Address"))
    monkeypatch.setitem(operators.PROFILES, "jidi", moved)
    assert policy.publish(china_day(clock())).kind == "editorial"
    web.goto("/orders")
    expect(page.locator("h1")).to_have_text(_("My parcels"))
    expect(page.get_by_test_id("policy-notice")).to_have_count(0)

    # A material change that cuts a right (a later deadline for rights requests): a fresh acceptance first.
    clock.advance(minutes=1)
    container.settings.rights_deadline_days = 20
    v = policy.publish(china_day(clock()), "答复期限延长至 20 个工作日", "Requests are answered within 20 working days")
    assert v.kind == "material" and v.fresh_consent
    web.goto("/orders")
    notice = page.get_by_test_id("policy-notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("data-version", v.version)
    expect(notice).to_have_attribute("data-blocking", "true")
    expect(notice.locator("h2")).to_have_text(_("Our privacy policy has changed"))
    expect(notice).to_contain_text(v.summary_in(lang))
    expect(page.get_by_test_id("policy-notice-blocking")).to_be_visible()
    expect(page.locator("h1")).to_have_count(0)  # the orders page waits for the acceptance
    problems = axe_problems(page, f"/orders with the notice [{lang}]")

    # What changed, item by item, on a page of its own (the jidi profile spells it out).
    page.get_by_test_id("policy-notice-changes").click()
    expect(page).to_have_url(web.url(f"/privacy/changes/{v.version}"))
    for item in v.change_texts(lang):
        expect(page.locator("main")).to_contain_text(item)
    problems += axe_problems(page, f"/privacy/changes [{lang}]")
    assert not problems, "\n".join(problems)

    web.goto("/orders")
    page.get_by_test_id("policy-notice").get_by_test_id("accept-policy").click()
    expect(page).to_have_url(web.url("/orders"))
    expect(page.locator("h1")).to_have_text(_("My parcels"))
    expect(page.get_by_test_id("policy-notice")).to_have_count(0)
    web.goto("/profile")
    expect(page.get_by_test_id("policy-notice")).to_have_count(0)

    # The ledger: the acceptance of that version, from the notice's page, and the proof replays the exact text read.
    with container.uow() as s:
        proof = container.consents.proof(s, user_id, Agreement.PRIVACY_POLICY)
    assert proof.granted.version == v.version and (proof.granted.how, proof.granted.how_ref) == ("page", "policy-notice")
    assert proof.text == v.text(lang) and proof.text_matches
    # Everyone was also told by SMS (JD-9.2), with the link to what changed.
    assert any(f"/privacy/changes/{v.version}" in text for text in web.sms_texts(CUSTOMER))


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_change_that_needs_no_fresh_acceptance_is_shown_but_does_not_stop_the_customer(web, container, clock, monkeypatch,
                                                                                        lang):
    _ = gettext_for(lang)
    page = web.page
    container.policy.publish(china_day(clock()))
    clock.advance(minutes=1)
    web.sms_login(CUSTOMER)
    clock.advance(minutes=1)
    contact = dataclasses.replace(operators.PROFILES["jidi"],
                                  contacts=(operators.Contact("email", "dpo@jidi.example.cn", ("邮箱", "E-mail")),))
    monkeypatch.setitem(operators.PROFILES, "jidi", contact)
    v = container.policy.publish(china_day(clock()))
    assert v.kind == "material" and not v.fresh_consent
    web.goto(f"/orders?lang={lang}")
    expect(page.get_by_test_id("policy-notice")).to_have_attribute("data-blocking", "false")
    expect(page.locator("h1")).to_have_text(_("My parcels"))  # the page itself is there under the notice
    problems = axe_problems(page, f"/orders with a non-blocking notice [{lang}]")
    assert not problems, "\n".join(problems)
    page.get_by_test_id("accept-policy").click()
    expect(page).to_have_url(re.compile(r"/orders"))
    expect(page.get_by_test_id("policy-notice")).to_have_count(0)
    with container.uow() as s:
        proof = container.consents.proof(s, container.accounts.user_id_for_phone(CUSTOMER), Agreement.PRIVACY_POLICY)
    assert proof.granted.version == v.version and proof.text == v.text(lang)
