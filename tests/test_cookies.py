"""Cookies and tracking (promises area 12): every cookie set is declared, the notice is generated from the
declaration, the site works without cookies except login, the remembered login name is a keyed hash, and Do Not
Track / Global Privacy Control are honoured."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from http.cookies import SimpleCookie

from jidi.kit import cookies
from tests.pii import PHONES
from tests.test_accounts_web import _wechat, csrf, web_register
from tests.test_caching import _routes

PHONE = PHONES[0]
PASSWORD = "a long demo password"


def _set_cookies(response) -> list[str]:
    return response.headers.get_list("set-cookie")


def _names(headers: list[str]) -> set[str]:
    return {h.split("=", 1)[0].strip() for h in headers}


def _plain_get_pages(app) -> list[str]:
    """Every page route without a path parameter (the API and dev pages aside)."""
    return sorted({r.path for r in _routes(app.routes) if "GET" in (r.methods or ()) and "{" not in r.path
                   and not r.path.startswith(("/api/", "/dev/", "/openapi"))})


@pytest.mark.promise("JD-3.1.3a", "ZK-2.1b", "JD-3.1.1b")
def test_every_cookie_the_pages_and_the_api_set_is_declared(app, client, container, sms):
    seen: list[str] = []
    client.event_hooks["response"].append(lambda r: seen.extend(_set_cookies(r)))
    pages = _plain_get_pages(app)
    assert "/cookies" in pages and "/login/password" in pages
    for path in pages:  # anonymous
        client.get(path)
    client.get("/login?lang=en")
    _wechat(client)  # the WeChat login's state and pending cookies
    client.cookies.clear()
    web_register(client, sms)
    for path in pages:  # logged in
        client.get(path)
    container.accounts.set_password(container.accounts.user_id_for_phone(PHONE), PASSWORD)
    client.post("/logout", data={"csrf_token": csrf(client)})
    client.post("/login/password", data={"csrf_token": csrf(client), "login": PHONE, "password": PASSWORD, "remember": "on"})
    client.post("/cookies/clear", data={"csrf_token": csrf(client)})
    # The API: token logins set no cookie but the trusted device one.
    client.post("/api/v1/auth/sms-codes", json={"phone": PHONES[1]})
    client.post("/api/v1/auth/sms-login", json={"phone": PHONES[1], "code": sms.last_code(PHONES[1]), "accept_policy": True})
    client.get("/api/v1/me")
    names = _names(seen)
    undeclared = {n for n in names if cookies.declared(n) is None}
    assert not undeclared, f"cookies set but not declared in jidi.kit.cookies: {undeclared}"
    assert {cookies.SESSION, cookies.CSRF, cookies.LANG, cookies.DEVICE, cookies.LOGIN_NAME, cookies.WECHAT_STATE} <= names
    for header in seen:  # first-party (JD-3.1.1b): no Domain, so only this host reads it; HttpOnly as declared
        morsel = next(iter(SimpleCookie(header).values()))
        spec = cookies.declared(morsel.key)
        assert not morsel["domain"], header
        if morsel.value:  # a deletion carries no value
            assert bool(morsel["httponly"]) == spec.http_only, header
            assert morsel["secure"], header


def test_the_cookie_notice_lists_every_declared_cookie_in_both_languages(client):
    for lang, heading, purpose in (("zh_CN", "Cookie 说明", "记住您通过语言链接选择的语言"), ("en", "Cookie notice", "Remembers the language")):
        page = client.get(f"/cookies?lang={lang}")
        assert page.status_code == 200 and heading in page.text and purpose in page.text
        listed = set(re.findall(r'data-testid="cookie-row" data-name="([^"]+)"', page.text))
        assert listed == {c.name for c in cookies.COOKIES}
        assert "aboutcookies.org" in page.text.lower()  # CN-9.1.2b, ZK-2.1d
    home = client.get("/")
    assert 'href="/cookies"' in home.text and 'href="/privacy"' in home.text  # linked from every page's footer


@pytest.mark.promise("JD-3.1.3b", "CN-9.1.2a", "ZK-2.1c")
def test_everything_but_login_works_without_cookies(app, container, sms):
    """A browser that keeps no cookie: every public page answers, and a public form (the waybill lookup's code request)
    works with the browser's Origin header in place of the form token; a cross-site post is still refused."""
    with TestClient(app, base_url="https://testserver", cookies=None) as bare:
        for path in _plain_get_pages(app):
            r = bare.get(path, follow_redirects=False)
            assert r.status_code < 500 and r.status_code != 403 and "csrf_failed" not in r.text, path
            bare.cookies.clear()  # the browser refuses every cookie it is offered
        page = bare.get("/lookup")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        bare.cookies.clear()
        form = {"csrf_token": token, "waybill_no": "JD0000000000", "phone": PHONE}
        assert bare.post("/lookup/code", data=form, headers={"origin": "https://evil.example"}).status_code == 403
        bare.cookies.clear()
        assert bare.post("/lookup/code", data=form).status_code == 403  # says nothing about where it comes from
        bare.cookies.clear()
        r = bare.post("/lookup/code", data=form, headers={"origin": "https://testserver"})
        assert r.status_code != 403 and "csrf_failed" not in r.text
        bare.cookies.clear()
        r = bare.post("/lookup/code", data=form, headers={"sec-fetch-site": "same-origin"})
        assert "csrf_failed" not in r.text
        bare.cookies.clear()
        # The language is chosen again on each page: ?lang= works without the cookie.
        assert 'lang="en"' in bare.get("/track?lang=en").text


def test_a_form_token_that_does_not_match_the_cookie_is_refused_whatever_the_origin(client):
    client.get("/login")
    r = client.post("/login", data={"csrf_token": "forged", "action": "send", "phone": PHONE}, headers={"origin": "https://testserver"})
    assert r.status_code == 403


@pytest.mark.promise("JD-3.1.2(1)")
def test_the_remembered_login_name_is_a_keyed_hash_and_shown_masked(client, container, sms):
    user_id = container.accounts.demo_customer(PHONE, PASSWORD, "")
    r = client.post("/login/password", data={"csrf_token": csrf(client), "login": PHONE, "password": PASSWORD, "remember": "on"},
                    follow_redirects=False)
    assert r.status_code == 303
    [header] = [h for h in _set_cookies(r) if h.startswith(cookies.LOGIN_NAME + "=")]
    value = client.cookies.get(cookies.LOGIN_NAME)
    assert PHONE not in header and PHONE[-4:] not in value and value.startswith("phone.")
    assert "httponly" in header.lower() and "max-age=31536000" in header.lower()
    client.post("/logout", data={"csrf_token": csrf(client)})
    page = client.get("/login/password")
    shown = re.search(r'data-testid="remembered-login">.*?<strong>(.*?)</strong>', page.text, re.S).group(1)
    assert shown == PHONE[:3] + "****" + PHONE[-4:] and PHONE not in page.text
    # Log in again with the remembered name: only the password is typed.
    r = client.post("/login/password", data={"csrf_token": csrf(client), "use_remembered": "on", "password": PASSWORD},
                    follow_redirects=False)
    assert r.status_code == 303
    assert container.accounts.authenticate(client.cookies.get(cookies.SESSION), ("web",))[0] == user_id
    client.post("/logout", data={"csrf_token": csrf(client)})
    bad = client.post("/login/password", data={"csrf_token": csrf(client), "use_remembered": "on", "password": "wrong"})
    assert bad.status_code == 401 and 'data-testid="remembered-login"' in bad.text
    # A forged or unknown cookie value finds nobody and is not shown.
    client.cookies.clear()
    client.cookies.set(cookies.LOGIN_NAME, "phone." + "A" * 43)
    assert 'data-testid="remembered-login"' not in client.get("/login/password").text
    # Without ticking the box, nothing is remembered.
    client.cookies.clear()
    r = client.post("/login/password", data={"csrf_token": csrf(client), "login": PHONE, "password": PASSWORD}, follow_redirects=False)
    assert cookies.LOGIN_NAME not in _names(_set_cookies(r))


def test_refusing_preference_cookies_deletes_them_and_stores_nothing(client):
    client.get("/cookies?lang=en")
    assert client.cookies.get(cookies.LANG) == "en"
    page = client.get("/cookies")
    assert 'data-testid="present-cookie">jidi_lang<' in page.text
    r = client.post("/cookies/clear", data={"csrf_token": csrf(client)}, follow_redirects=False)
    [deleted] = [h for h in _set_cookies(r) if h.startswith(cookies.LANG + "=")]
    assert "max-age=0" in deleted.lower() and "secure" in deleted.lower()
    assert _names(_set_cookies(r)) <= {cookies.LANG, cookies.LOGIN_NAME}  # nothing new to remember the refusal by
    assert client.cookies.get(cookies.LANG) is None
    assert 'data-testid="no-preference-cookies"' in client.get("/cookies").text


@pytest.mark.promise("ZK-2.3")
@pytest.mark.parametrize("signal", [{"DNT": "1"}, {"Sec-GPC": "1"}])
def test_do_not_track_and_gpc_drop_any_tracking_cookie_and_are_acknowledged(app, client, signal):
    """jidi sets no analytics or marketing cookie at all; should a change ever set one, the middleware drops it for a
    visitor who sends DNT or GPC (here a test route sets one)."""
    from fastapi.responses import PlainTextResponse  # noqa: PLC0415

    def beacon():
        response = PlainTextResponse("ok")
        response.set_cookie("jidi_stats", "x")  # neither declared nor wanted
        response.set_cookie(cookies.LANG, "en")
        return response

    app.add_api_route("/test-beacon", beacon)
    assert "jidi_stats" in _names(_set_cookies(client.get("/test-beacon")))
    names = _names(_set_cookies(client.get("/test-beacon", headers=signal)))
    assert "jidi_stats" not in names and cookies.LANG in names
    page = client.get("/cookies?lang=en", headers=signal)
    expected = "gpc" if "Sec-GPC" in signal else "dnt"
    assert f'data-signal="{expected}"' in page.text and "honoured" in page.text
    assert 'data-signal=""' in client.get("/cookies").text
    assert {c.kind for c in cookies.COOKIES}.isdisjoint(cookies.TRACKING)  # no analytics or marketing cookie exists


def test_a_logged_in_customers_tracking_signal_reaches_the_ledger_hook(client, container, sms):
    """The hook the consent ledger plugs into (container.tracking_signals): called with the customer and the signal on
    each page they see while their browser sends one; never for a visitor who is not logged in or sends none."""
    recorded: list[tuple[object, str]] = []
    container.tracking_signals = type("Recorder", (), {"record": lambda self, user_id, signal: recorded.append((user_id, signal))})()
    try:
        client.get("/cookies", headers={"Sec-GPC": "1"})
        assert recorded == []
        web_register(client, sms)
        client.get("/profile")
        assert recorded == []
        client.get("/profile", headers={"DNT": "1"})
        client.get("/cookies", headers={"Sec-GPC": "1", "DNT": "1"})
        user_id = container.accounts.user_id_for_phone(PHONE)
        assert recorded == [(user_id, "dnt"), (user_id, "gpc")]
    finally:
        del container.tracking_signals


@pytest.mark.promise("ZK-2.3")
def test_a_logged_in_customers_tracking_signal_is_a_refusal_in_the_consent_ledger_once(client, container, sms):
    from jidi.privacy import Agreement  # noqa: PLC0415

    web_register(client, sms)
    user_id = container.accounts.user_id_for_phone(PHONE)
    for _ in range(3):
        client.get("/profile", headers={"Sec-GPC": "1"})
    client.get("/profile", headers={"DNT": "1"})
    with container.uow() as s:
        history = container.consents.history(s, user_id, Agreement.TRACKING)
        assert [(e.action, e.how, e.how_ref) for e in history] == [("refuse", "signal", "gpc"), ("refuse", "signal", "dnt")]
        assert all(e.valid for e in history) and not container.consents.is_live(s, user_id, Agreement.TRACKING)
