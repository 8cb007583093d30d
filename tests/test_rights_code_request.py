"""Asking for the SMS code on the privacy forms keeps what was typed (issue 9, item 17), without a browser: in place
(Accept: application/json, as static/code-request.js asks), the answer is only the message; as a plain form post
(no JavaScript), the page comes back with the typed text. The browser test is tests/test_browser_code_request.py."""
from __future__ import annotations

import re

from markupsafe import escape

from jidi.i18n import gettext_for
from jidi.rights.views import CODE_SENT
from tests.pii import PHONES
from tests.test_accounts_api import register
from tests.test_rights_pages import tok, web_login

ZH, EN = gettext_for("zh_CN"), gettext_for("en")
JSON = {"Accept": "application/json"}
CORRECTION = "我的昵称拼错了，应当改为另一个写法。"


def logged_in(client, sms, clock) -> None:
    register(client, sms, phone=PHONES[0])
    web_login(client, sms, clock, PHONES[0])
    clock.advance(seconds=61)


def test_in_place_the_code_request_answers_with_the_message_only(client, sms, clock):
    logged_in(client, sms, clock)
    r = client.post("/privacy/confirm/correction/code", data={"csrf_token": tok(client)}, headers=JSON)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["message"] == ZH(CODE_SENT).format(seconds=body["wait"]) and sms.last_code(PHONES[0])
    # Too soon: why, in the user's language, with its status.
    r = client.post("/privacy/kin/code", data={"csrf_token": tok(client)}, headers={**JSON, "Accept-Language": "en"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "code_too_soon"
    assert re.fullmatch(r"Please wait \d+ seconds before requesting another code\.", r.json()["error"]["message"])
    # Without the CSRF token, nothing is sent.
    assert client.post("/privacy/me/code", data={}, headers=JSON).status_code == 403


def test_without_javascript_the_page_comes_back_with_what_was_typed(client, sms, clock):
    logged_in(client, sms, clock)
    r = client.post("/privacy/confirm/correction/code", data={"csrf_token": tok(client), "details": CORRECTION})
    assert r.status_code == 200 and 'data-testid="code-sent"' in r.text
    assert f'data-testid="details">{escape(CORRECTION)}</textarea>' in r.text

    clock.advance(seconds=61)
    r = client.post("/privacy/kin/code", data={"csrf_token": tok(client), "deceased_phone": PHONES[1], "relationship": "child",
                                                "right": "copy", "details": CORRECTION})
    assert r.status_code == 200 and 'data-testid="code-sent"' in r.text
    assert f'value="{PHONES[1]}"' in r.text and '<option value="child" selected>' in r.text
    assert '<option value="copy" selected>' in r.text and f"{escape(CORRECTION)}</textarea>" in r.text
