"""Asking for the SMS code on a form keeps what was typed and attached (issue 9, item 17): a correction's text, and a
next-of-kin request with its four documents, survive "send me a code" in a real browser, and the request then goes
through. Debian's chromium driven by Playwright, against uvicorn serving the app (see tests/test_browser.py)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from jidi.i18n import gettext_for
from jidi.rights.views import CODE_SENT
from tests import pii
from tests.test_browser import chromium, web  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

ZH = gettext_for("zh_CN")
PDF = b"%PDF-1.4 proof"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF proof"
CORRECTION = "我的昵称拼错了，应当改为另一个写法。"


def _send_code_in_place(web, clock, phone: str) -> str:
    """Press "send me a code": the answer shows on the page, which is not reloaded; returns the code."""
    clock.advance(seconds=61)
    page = web.page
    page.evaluate("window.notReloaded = true")
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()
    expect(page.get_by_test_id("code-sent")).to_contain_text(ZH(CODE_SENT).split("{")[0])
    assert page.evaluate("window.notReloaded === true"), "the page was reloaded"
    return web.sms_code(phone)


def test_a_correction_keeps_its_text_when_the_code_is_requested(web, clock):
    phone = pii.PHONES[0]
    page = web.page
    web.sms_login(phone)
    web.goto("/privacy/confirm/correction")
    page.get_by_test_id("details").fill(CORRECTION)
    code = _send_code_in_place(web, clock, phone)
    expect(page.get_by_test_id("details")).to_have_value(CORRECTION)

    # Asking again too soon says why, in place, and still keeps the text.
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "code_too_soon")
    expect(page.get_by_test_id("details")).to_have_value(CORRECTION)

    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("confirm").click()
    expect(page).to_have_url(re.compile(r"/privacy/requests/[0-9a-f-]{36}\?saved=1$"))
    expect(page.get_by_test_id("request")).to_have_attribute("data-kind", "correction")


def test_a_next_of_kin_request_keeps_its_fields_and_documents_when_the_code_is_requested(web, clock, tmp_path):
    applicant, deceased = pii.PHONES[0], pii.PHONES[1]
    page = web.page
    web.sms_login(applicant)
    web.goto("/privacy/kin")
    page.get_by_test_id("deceased-phone").fill(deceased)
    page.get_by_test_id("relationship").select_option("child")
    page.get_by_test_id("right").select_option("copy")
    page.get_by_test_id("details").fill("需要查阅父亲账号中的寄件记录。")
    documents = {"deceased_id": ("id.jpg", JPEG), "death_certificate": ("death.pdf", PDF),
                 "applicant_id": ("mine.pdf", PDF), "kinship": ("kinship.pdf", PDF)}
    for key, (name, content) in documents.items():
        path = tmp_path / name
        path.write_bytes(content)
        page.get_by_test_id(f"proof-{key}").set_input_files(path)

    code = _send_code_in_place(web, clock, applicant)

    expect(page.get_by_test_id("deceased-phone")).to_have_value(deceased)
    expect(page.get_by_test_id("relationship")).to_have_value("child")
    expect(page.get_by_test_id("right")).to_have_value("copy")
    expect(page.get_by_test_id("details")).to_have_value("需要查阅父亲账号中的寄件记录。")
    for key, (name, _) in documents.items():
        assert page.get_by_test_id(f"proof-{key}").evaluate("input => [...input.files].map(f => f.name)") == [name], key

    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("kin-submit").click()
    expect(page).to_have_url(re.compile(r"/privacy/requests/[0-9a-f-]{36}\?saved=1$"))
    expect(page.get_by_test_id("request")).to_have_attribute("data-kind", "next_of_kin")
    expect(page.get_by_test_id("request")).to_have_attribute("data-status", "in_review")
