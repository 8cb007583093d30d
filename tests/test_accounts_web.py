"""Account pages over HTTP: cookies, CSRF, the SMS and password forms, staff with a second factor, WeChat."""
from __future__ import annotations

import re
import uuid

import pyotp
import pytest
from sqlalchemy import select

from jidi import privacy
from jidi.accounts.models import User, WechatLink
from jidi.privacy import Role
from jidi.privacy.models import AuditRecord
from tests.pii import NICKNAMES, PHONES

PHONE = PHONES[0]


def csrf(client) -> str:
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def web_register(client, sms, phone=PHONE):
    token = csrf(client)
    r = client.post("/login", data={"csrf_token": token, "action": "send", "phone": phone})
    assert r.status_code == 200 and 'data-testid="code-sent"' in r.text
    r = client.post("/login", data={"csrf_token": token, "action": "login", "phone": phone, "code": sms.last_code(phone),
                                    "accept_policy": "on"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r


@pytest.mark.promise("JD-3.1.1a", "JD-3.1.1b")
def test_session_cookie_is_secure_httponly_samesite(client, sms):
    r = web_register(client, sms)
    assert r.headers["location"] == "/profile?welcome=1"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("jidi_session="))
    for attr in ("HttpOnly", "Secure", "SameSite=lax", "Path=/"):
        assert attr.lower() in cookie.lower()
    assert "Domain" not in cookie  # first-party: only this host reads it
    page = client.get("/profile")
    assert page.status_code == 200 and 'data-testid="welcome"' not in page.text
    assert "139****5678" in page.text and PHONE not in page.text
    assert page.headers["cache-control"] == "no-store"


def test_forms_without_the_csrf_token_are_refused(client, sms, container):
    client.get("/login")
    r = client.post("/login", data={"action": "send", "phone": PHONE})
    assert r.status_code == 403 and "csrf_failed" in r.text
    r = client.post("/login", data={"csrf_token": "forged", "action": "send", "phone": PHONE})
    assert r.status_code == 403
    assert sms.sent == []


def test_pages_need_a_login(client):
    r = client.get("/profile", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fprofile"
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login?next=%2Fstaff"


def test_profile_edit_reveal_and_logout(client, sms, container):
    web_register(client, sms)
    token = csrf(client)
    r = client.post("/profile", data={"csrf_token": token, "nickname": NICKNAMES[1]}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/profile")
    assert "快*" in page.text and NICKNAMES[1] not in page.text
    r = client.post("/profile/reveal", data={"csrf_token": token, "field": "phone"})
    assert PHONE in r.text  # shown to its owner on request …
    with container.uow() as s:  # … and recorded
        rec = s.scalars(select(AuditRecord)).one()
        assert (rec.action, rec.purpose, rec.fields, rec.actor_role) == ("reveal", "self_service", "users.phone", "customer")
    r = client.post("/profile", data={"csrf_token": token, "nickname": "bad\x07"})
    assert r.status_code == 422 and 'data-code="invalid_field"' in r.text
    r = client.post("/profile", data={"csrf_token": token, "clear_nickname": "on"}, follow_redirects=False)
    assert r.status_code == 303 and "快*" not in client.get("/profile").text
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/profile", follow_redirects=False).status_code == 303


def _staff(container, role, name="agent1", password="staff password 1"):
    _, secret, uri = container.accounts.create_staff(role, name, password)
    assert uri.startswith("otpauth://totp/")
    return name, password, secret


@pytest.mark.promise("JD-5.1.2(1)a", "ZK-4.1.1f", "CN-7.1b")
def test_staff_log_in_with_password_and_totp(client, container):
    name, password, secret = _staff(container, Role.SUPPORT_AGENT)
    token = csrf(client)
    wrong = client.post("/staff/login", data={"csrf_token": token, "username": name, "password": password, "totp": "000000"})
    assert wrong.status_code == 401 and "staff_login_failed" in wrong.text
    no_pw = client.post("/staff/login", data={"csrf_token": token, "username": name, "password": "nope", "totp": pyotp.TOTP(secret).now()})
    assert no_pw.status_code == 401
    r = client.post("/staff/login", data={"csrf_token": token, "username": name, "password": password, "totp": pyotp.TOTP(secret).now()},
                    follow_redirects=False)
    assert r.status_code == 303
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("jidi_staff="))
    assert "samesite=strict" in cookie.lower() and "httponly" in cookie.lower()
    assert client.get("/staff").status_code == 200
    # Staff cannot use the customer login, and a customer session is not a staff session.
    assert client.post("/api/v1/auth/password-login", json={"login": name, "password": password}).status_code == 401


@pytest.mark.promise("JD-5.1.2(1)a", "JD-5.1.2(2)", "JD-2.2", "ZK-1.4.3")
def test_support_agent_sees_masked_data_and_reveals_only_for_an_allowed_purpose(client, container, sms):
    web_register(client, sms)
    client.cookies.clear()
    name, password, secret = _staff(container, Role.SUPPORT_AGENT)
    token = csrf(client)
    client.post("/staff/login", data={"csrf_token": token, "username": name, "password": password, "totp": pyotp.TOTP(secret).now()})
    found = client.post("/staff/customers", data={"csrf_token": token, "phone": PHONE})
    assert "139****5678" in found.text and PHONE not in found.text.replace('value="' + PHONE, "")
    customer_id = re.search(r"/staff/customers/([0-9a-f-]+)/reveal", found.text).group(1)
    denied = client.post(f"/staff/customers/{customer_id}/reveal", data={"csrf_token": token, "field": "phone", "purpose": "delivery"})
    assert denied.status_code == 403 and "purpose_not_allowed" in denied.text
    ok = client.post(f"/staff/customers/{customer_id}/reveal", data={"csrf_token": token, "field": "phone", "purpose": "customer_service"})
    assert ok.status_code == 200 and PHONE in ok.text
    with container.uow() as s:
        recs = s.scalars(select(AuditRecord)).all()
        assert [(r.action, r.purpose, r.actor_role) for r in recs] == [("reveal", "customer_service", "support_agent")]
        assert recs[0].subject == container.vault.pseudonym(uuid.UUID(customer_id))


def test_a_courier_can_neither_search_customers_nor_open_their_contact_data(client, container, sms):
    web_register(client, sms)
    client.cookies.clear()
    name, password, secret = _staff(container, Role.COURIER, "courier1")
    token = csrf(client)
    client.post("/staff/login", data={"csrf_token": token, "username": name, "password": password, "totp": pyotp.TOTP(secret).now()})
    found = client.post("/staff/customers", data={"csrf_token": token, "phone": PHONE})
    assert found.status_code == 403 and "139****5678" not in found.text
    with container.uow() as s:
        customer_id = s.scalars(select(User.id).where(User.role == "customer")).one()
    for purpose in ("customer_service", "delivery"):
        r = client.post(f"/staff/customers/{customer_id}/reveal", data={"csrf_token": token, "field": "phone", "purpose": purpose})
        assert r.status_code == 403 and PHONE not in r.text


def _wechat(client, user="wx-alice", share=True, decision="allow"):
    r = client.get("/auth/wechat/start", follow_redirects=False)
    page = client.get(r.headers["location"])
    state = re.search(r'name="state" value="([^"]+)"', page.text).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    data = {"csrf_token": token, "state": state, "redirect_uri": "/auth/wechat/callback", "decision": decision, "wechat_user": user}
    if share:
        data["share_profile"] = "on"
    r = client.post("/dev/wechat/authorize", data=data, follow_redirects=False)
    return client.get(r.headers["location"], follow_redirects=False)


@pytest.mark.promise("JD-1.1.1(4)a", "JD-1.1.1(4)b", "JD-1.3b", "ZK-1.3.1")
def test_wechat_login_binds_after_policy_acceptance_and_keeps_only_authorised_profile(client, container, sms):
    bind_page = _wechat(client, share=True)
    assert bind_page.status_code == 200 and 'data-testid="wechat-new"' in bind_page.text
    with container.uow() as s:
        assert s.scalars(select(WechatLink)).all() == []  # nothing bound before the policy is accepted
    web_register(client, sms)
    with container.uow() as s:
        link = s.scalars(select(WechatLink)).one()
        assert link.profile_authorised and str(link.nickname) == "A*"
        assert privacy.open(link.openid, for_=privacy.Purpose.LOGIN, actor=privacy.Actor.system()).startswith("o")
    assert "data-testid=\"profile-wechat\">已绑定" in client.get("/profile").text or "Linked" in client.get("/profile?lang=en").text
    # Next time WeChat logs straight in; without sharing the profile, nickname and avatar are dropped.
    client.cookies.clear()
    r = _wechat(client, share=False)
    assert r.status_code == 303 and r.headers["location"] == "/profile"
    with container.uow() as s:
        link = s.scalars(select(WechatLink)).one()
        assert not link.profile_authorised and link.nickname is None and link.avatar_url is None


@pytest.mark.promise("JD-1.1.1(4)a")
def test_refusing_wechat_leaves_other_login_methods(client, sms, container):
    r = _wechat(client, decision="deny")
    assert r.status_code == 400 and 'data-testid="wechat-refused"' in r.text and 'data-testid="send-code"' in r.text
    web_register(client, sms)
    with container.uow() as s:
        assert s.scalars(select(WechatLink)).all() == [] and len(s.scalars(select(User)).all()) == 1


def test_binding_wechat_to_an_existing_account_by_password(client, sms, container):
    web_register(client, sms)
    token = csrf(client)
    client.post("/profile/password", data={"csrf_token": token, "new_password": "my password 1"})
    client.post("/logout", data={"csrf_token": token})
    _wechat(client)
    token = csrf(client)
    no_policy = client.post("/login/password", data={"csrf_token": token, "login": PHONE, "password": "my password 1"})
    assert no_policy.status_code == 400
    r = client.post("/login/password", data={"csrf_token": token, "login": PHONE, "password": "my password 1", "accept_policy": "on"},
                    follow_redirects=False)
    assert r.status_code == 303
    with container.uow() as s:
        assert len(s.scalars(select(WechatLink)).all()) == 1


# -- what the request middleware adds to every response (jidi.web.app.RequestContext) ------------------------
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff", "referrer-policy": "same-origin", "x-frame-options": "DENY",
    "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
}


def test_every_answer_carries_a_request_id_and_the_security_headers(client):
    for path in ("/login", "/api/v1/privacy/policy", "/api/v1/no-such-thing", "/no-such-page"):
        r = client.get(path)
        assert {k: r.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS, path
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"]), path
        assert len(r.headers.get_list("x-request-id")) == 1
        assert "strict-transport-security" not in r.headers  # base_url is http:// in the tests
    assert client.get("/login", headers={"X-Request-Id": "abcDEF123"}).headers["x-request-id"] == "abcDEF123"
    for unusable in ("abc-def", "a" * 65, "a b", ""):
        rid = client.get("/login", headers={"X-Request-Id": unusable}).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", rid) and rid != unusable


def test_the_csrf_cookie_is_set_once_and_the_language_comes_from_lang_cookie_or_header(client, app):
    from starlette.responses import Response  # noqa: PLC0415

    first = client.get("/login")
    [cookie] = [h for h in first.headers.get_list("set-cookie") if h.startswith("jidi_csrf=")]
    token = client.cookies["jidi_csrf"]
    expected = Response()
    expected.set_cookie("jidi_csrf", token, httponly=True, secure=True, samesite="lax")
    assert cookie == expected.headers["set-cookie"]  # as Starlette writes it: HttpOnly, Path=/, SameSite=lax, Secure
    again = client.get("/login")
    assert not any(h.startswith("jidi_csrf=") for h in again.headers.get_list("set-cookie"))
    assert f'value="{token}"' in again.text  # the form token is the cookie's
    # Language: ?lang= (remembered in a cookie for a year), then the cookie, then Accept-Language, then zh_CN.
    r = client.get("/login?lang=en")
    [lang] = [h for h in r.headers.get_list("set-cookie") if h.startswith("jidi_lang=")]
    expected = Response()
    expected.set_cookie("jidi_lang", "en", max_age=365 * 86400, secure=True, samesite="lax")
    assert lang == expected.headers["set-cookie"]
    assert client.get("/api/v1/no-such-thing").json()["error"]["message"] == "The page or item was not found."
    client.cookies.clear()
    assert client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en-US,en;q=0.9"}).json()["error"]["message"] \
        == "The page or item was not found."
    assert client.get("/api/v1/no-such-thing").json()["error"]["message"] != "The page or item was not found."
    assert not any(h.startswith("jidi_lang=") for h in client.get("/login?lang=fr").headers.get_list("set-cookie"))
