"""End-to-end journeys in a real browser: Debian's chromium, driven by Playwright, against uvicorn serving the app.

Each test runs on SQLite and on PostgreSQL (through the `container` fixture). The server's logs and every URL
the browser requested are checked for the personal data of tests/pii.py; conftest then scans the database.
SMS codes are read the way a developer reads them: from the /dev/outbox page.
"""
from __future__ import annotations

import os
import re
import time
import uuid

import pyotp
import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select

from jidi.accounts.models import User, WechatLink
from jidi.i18n import gettext_for
from jidi.features import registered
from jidi.notify.service import templates
from jidi.privacy import Role
from jidi.privacy.models import AuditRecord
from tests import pii
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, CODE_RE, LiveServer, LogCapture, masked_phone

TEMPLATES = templates(registered())

pytestmark = pytest.mark.browser

ZH = gettext_for("zh_CN")
EN = gettext_for("en")
CJK = re.compile(r"[\u4e00-\u9fff]")
PASSWORD = "Kuaidi-2026-secret"
POLICY_MESSAGE = "Please read and accept the privacy policy to continue."


@pytest.fixture(scope="module")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make chromium`); Playwright's browsers are not used")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Web:
    """One browser context on the live server, with what it requested and what the server logged."""

    def __init__(self, server: LiveServer, context, logs: LogCapture, container):
        self.server = server
        self.context = context
        self.logs = logs
        self.c = container
        self.urls: list[str] = []
        context.on("request", lambda r: self.urls.append(r.url))
        self.page: Page = context.new_page()

    def url(self, path: str) -> str:
        return self.server.url + path

    def goto(self, path: str):
        return self.page.goto(self.url(path))

    def sms_texts(self, phone: str) -> list[str]:
        """The texts the outbox page shows for this number (masked there), newest first, read in a second tab."""
        outbox = self.context.new_page()
        try:
            outbox.goto(self.url("/dev/outbox"))
            texts = []
            for row in outbox.get_by_test_id("sms").all():
                if row.get_by_test_id("sms-to").inner_text().strip() == masked_phone(phone):
                    texts.append(row.get_by_test_id("sms-text").inner_text().strip())
            assert phone not in outbox.content(), "the outbox shows a full phone number"
            return texts
        finally:
            outbox.close()

    def sms_code(self, phone: str) -> str:
        for text in self.sms_texts(phone):
            if m := CODE_RE.search(text):
                return m.group(1)
        raise AssertionError(f"no code in the outbox for {masked_phone(phone)}")

    def cookie(self, name: str) -> dict | None:
        return next((ck for ck in self.context.cookies() if ck["name"] == name), None)

    def sms_login(self, phone: str, *, welcome: bool = True) -> None:
        """Log in (registering a new number) with an SMS code, from the login page."""
        page = self.page
        if not page.url.startswith(self.url("/login")):
            self.goto("/login")
        page.get_by_test_id("phone").fill(phone)
        page.get_by_test_id("send-code").click()
        expect(page.get_by_test_id("code-sent")).to_be_visible()
        code = self.sms_code(phone)
        page.get_by_test_id("phone").fill(phone)
        page.get_by_test_id("code").fill(code)
        page.get_by_test_id("accept-policy").check()
        page.get_by_test_id("login").click()
        expect(page).to_have_url(re.compile(r"/profile\?welcome=1$" if welcome else r"/profile$"))
        expect(page.get_by_test_id("profile-phone")).to_have_text(masked_phone(phone))

    def staff_form(self, username: str, password: str, totp: str) -> None:
        """Fill and submit the staff login form (on the page already open)."""
        page = self.page
        page.get_by_test_id("staff-username").fill(username)
        page.get_by_test_id("staff-password").fill(password)
        page.get_by_test_id("staff-totp").fill(totp)
        page.get_by_test_id("staff-login").click()

    def staff_login(self, username: str, password: str, totp_secret: str) -> None:
        """Log in to the staff console with password and a current authenticator code."""
        self.goto("/staff/login")
        self.staff_form(username, password, pyotp.TOTP(totp_secret).now())
        expect(self.page).to_have_url(self.url("/staff"))

    def logout(self) -> None:
        self.page.get_by_test_id("logout").click()
        expect(self.page).to_have_url(self.url("/"))
        assert self.cookie("jidi_session") is None

    def password_login(self, login: str, password: str = PASSWORD) -> None:
        page = self.page
        self.goto("/login/password")
        page.get_by_test_id("login-name").fill(login)
        page.get_by_test_id("password").fill(password)
        page.get_by_test_id("login").click()

    def assert_no_personal_data_leaked(self) -> None:
        # The capture is not vacuous: the access log saw the requests.
        assert '"GET /' in self.logs.text, "the server's access log was not captured"
        leaked = pii.find_in(self.logs.text)
        assert not leaked, f"personal data in the server logs: {leaked}"
        leaked_urls = [u for u in self.urls if pii.find_in(u)]
        assert not leaked_urls, f"personal data in URLs the browser requested: {leaked_urls}"


@pytest.fixture
def web(container, chromium):
    from jidi.web.app import create_app  # noqa: PLC0415

    logs = LogCapture()
    with logs.attached(), LiveServer(create_app(container)) as server:
        # A browser set to Simplified Chinese, like most of the platform's users.
        context = chromium.new_context(locale="zh-CN", base_url=server.url)
        context.set_default_timeout(10_000)
        try:
            w = Web(server, context, logs, container)
            yield w
        finally:
            context.close()
    w.assert_no_personal_data_leaked()  # after the server stopped, so its last log lines are in


def _page_has_no(page: Page, *values: str) -> None:
    html = page.content()
    shown = [v for v in values if v in html]
    assert not shown, f"shown in full without being revealed: {shown}"


# -- 1. registration, profile, password login ------------------------------------------------------------
@pytest.mark.promise("JD-1.1.1(2)", "JD-1.1.1(1)", "JD-2.2", "ZK-1.1.1", "ZK-5.1.1(1)", "JD-3.1.1a")
def test_register_with_sms_code_then_edit_profile_and_log_in_with_password(web, container):
    phone, nickname, email, username = pii.PHONES[0], pii.NICKNAMES[0], pii.EMAILS[0], pii.USERNAMES[0]
    page = web.page
    web.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_test_id("phone").fill(phone)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()

    # The code arrives at the outbox, addressed to the masked number.
    code = web.sms_code(phone)
    web.goto("/login")
    page.get_by_test_id("phone").fill(phone)
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("accept-policy").check()
    page.get_by_test_id("login").click()

    # A new account, created on the first successful check; the number is shown masked only.
    expect(page).to_have_url(re.compile(r"/profile\?welcome=1$"))
    expect(page.get_by_test_id("welcome")).to_be_visible()
    expect(page.get_by_test_id("profile-phone")).to_have_text("139****5678")
    _page_has_no(page, phone)
    session = web.cookie("jidi_session")
    assert session and session["secure"] and session["httpOnly"], "the login cookie is not a secure, HTTP-only cookie"
    # Every other profile field is optional: they start unset, and the account works without them.
    expect(page.get_by_test_id("profile-nickname")).to_have_text(ZH("Not set"))
    expect(page.get_by_test_id("profile-email")).to_have_text(ZH("Not set"))

    # "Show in full" reveals the owner's own number.
    page.get_by_test_id("reveal-phone").click()
    expect(page.get_by_test_id("profile-phone")).to_have_text(phone)
    expect(page.get_by_test_id("reveal-phone")).to_have_count(0)

    # The session cookie keeps the user logged in across page loads.
    web.goto("/profile")
    expect(page.get_by_test_id("profile-phone")).to_have_text("139****5678")

    # Edit nickname, user name and e-mail: saved, then shown masked.
    page.get_by_test_id("edit-nickname").fill(nickname)
    page.get_by_test_id("edit-username").fill(username)
    page.get_by_test_id("edit-email").fill(email)
    page.get_by_test_id("save-profile").click()
    expect(page).to_have_url(re.compile(r"/profile\?saved=profile$"))
    expect(page.get_by_test_id("saved")).to_be_visible()
    expect(page.get_by_test_id("profile-nickname")).to_have_text("小*")
    expect(page.get_by_test_id("profile-email")).to_have_text("x***@example.com")
    expect(page.get_by_test_id("profile-username")).to_have_text("x***")
    _page_has_no(page, phone, nickname, email, username)
    page.get_by_test_id("reveal-email").click()
    expect(page.get_by_test_id("profile-email")).to_have_text(email)
    expect(page.get_by_test_id("profile-nickname")).to_have_text("小*")

    # Set a password, log out, and log in with it under each login name: e-mail, user name, phone.
    web.goto("/profile")
    page.get_by_test_id("new-password").fill(PASSWORD)
    page.get_by_test_id("save-password").click()
    expect(page).to_have_url(re.compile(r"/profile\?saved=password$"))
    web.logout()
    web.goto("/profile")
    expect(page).to_have_url(web.url("/login?next=%2Fprofile"))  # logged out for real

    web.password_login(email, "not-the-password")
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "login_failed")
    assert web.cookie("jidi_session") is None

    for login in (email, username, phone):
        web.password_login(login)
        expect(page).to_have_url(web.url("/profile"))
        expect(page.get_by_test_id("profile-phone")).to_have_text("139****5678")
        expect(page.get_by_test_id("profile-nickname")).to_have_text("小*")
        _page_has_no(page, phone, nickname, email, username)
        web.logout()

    # Opening one's own data is recorded, like any reveal.
    with container.engine.connect() as conn:
        reveals = conn.execute(select(AuditRecord.fields, AuditRecord.purpose).where(AuditRecord.action == "reveal")).all()
    assert {r.purpose for r in reveals} == {"self_service"}
    assert any("phone" in r.fields for r in reveals) and any("email" in r.fields for r in reveals)


# -- 2. the privacy policy must be accepted; language ----------------------------------------------------
@pytest.mark.promise("CN-preamble-a", "JD-3.1.1a")
def test_login_without_accepting_the_policy_is_refused_in_chinese_then_english(web):
    phone = pii.PHONES[1]
    page = web.page
    web.goto("/login")
    page.get_by_test_id("phone").fill(phone)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()
    code = web.sms_code(phone)

    # Chinese by default.
    page.get_by_test_id("phone").fill(phone)
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("login").click()
    error = page.get_by_test_id("error")
    expect(error).to_have_attribute("data-code", "policy_not_accepted")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(error).to_have_text(ZH(POLICY_MESSAGE))
    assert CJK.search(error.inner_text()), f"the refusal is not in Chinese: {error.inner_text()!r}"
    assert web.cookie("jidi_session") is None

    # Switch to English with the language link; the same refusal is now in English.
    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("phone").fill(phone)
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("login").click()
    expect(error).to_have_attribute("data-code", "policy_not_accepted")
    expect(error).to_have_text(POLICY_MESSAGE)
    assert web.cookie("jidi_session") is None

    # The language choice is remembered by a cookie.
    lang = web.cookie("jidi_lang")
    assert lang and lang["value"] == "en"
    web.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("lang-zh")).to_be_visible()

    # Accepting the policy lets the same code in.
    page.get_by_test_id("phone").fill(phone)
    page.get_by_test_id("code").fill(code)
    page.get_by_test_id("accept-policy").check()
    page.get_by_test_id("login").click()
    expect(page).to_have_url(re.compile(r"/profile\?welcome=1$"))
    expect(page.get_by_test_id("profile-phone")).to_have_text(masked_phone(phone))
    expect(page.get_by_test_id("profile-wechat")).to_have_text("Not linked")


@pytest.mark.promise("JD-1.1.1(2)")
def test_a_number_that_had_many_codes_asks_a_question_and_still_logs_in(web, container):
    """Strangers used up the number's budget of codes: the page asks a question instead of refusing, keeps the number,
    sends the code once it is answered; after the login this browser is a trusted device and is not asked again."""
    phone = pii.PHONES[1]
    for i in range(container.settings.sms_daily_cap_per_phone):
        container.accounts.request_code(phone, "login", f"203.0.113.{i + 1}", "zh_CN")
    page = web.page
    web.goto("/login")
    page.get_by_test_id("phone").fill(phone)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "code_challenge")
    assert CJK.search(page.get_by_test_id("error").inner_text())
    expect(page.get_by_test_id("phone")).to_have_value(phone)
    a, b = map(int, re.findall(r"\d+", page.get_by_test_id("challenge-question").inner_text()))
    page.get_by_test_id("challenge-answer").fill(str(a + b))
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()
    page.get_by_test_id("code").fill(web.sms_code(phone))
    page.get_by_test_id("accept-policy").check()
    page.get_by_test_id("login").click()
    expect(page).to_have_url(re.compile(r"/profile\?welcome=1$"))
    device = web.cookie("jidi_device")
    assert device and device["httpOnly"] and device["secure"]
    web.logout()
    web.goto("/login")
    page.get_by_test_id("phone").fill(phone)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()


# -- 3. changing the mobile number ----------------------------------------------------------------------
@pytest.mark.promise("CN-8.1.2", "JD-2.2")
def test_change_phone_with_a_code_sent_to_the_new_number(web, clock):
    old, new = pii.PHONES[2], pii.PHONES[3]
    page = web.page
    web.sms_login(old)

    page.get_by_test_id("new-phone").fill(new)
    page.get_by_test_id("send-phone-code").click()
    expect(page.get_by_test_id("phone-code-sent")).to_be_visible()
    code = web.sms_code(new)
    # A wrong code is refused and the number stays.
    page.get_by_test_id("new-phone").fill(new)
    page.get_by_test_id("phone-code").fill("000000" if code != "000000" else "111111")
    page.get_by_test_id("confirm-phone").click()
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "code_invalid")
    expect(page.get_by_test_id("profile-phone")).to_have_text(masked_phone(old))

    page.get_by_test_id("new-phone").fill(new)
    page.get_by_test_id("phone-code").fill(code)
    page.get_by_test_id("confirm-phone").click()
    expect(page).to_have_url(re.compile(r"/profile\?saved=phone$"))
    expect(page.get_by_test_id("profile-phone")).to_have_text(masked_phone(new))
    _page_has_no(page, old, new)

    # The old number is told that the account's number changed.
    notice = ZH(TEMPLATES["phone_changed"])
    assert web.sms_texts(old)[0] == notice
    assert notice not in web.sms_texts(new)

    # The new number is now the login name.
    web.logout()
    clock.advance(seconds=61)  # past the resend wait for the new number
    web.sms_login(new, welcome=False)


# -- 4. WeChat login through the simulator ---------------------------------------------------------------
def _wechat_authorise(web: Web, wechat_user: str, *, share: bool | None, allow: bool = True) -> None:
    page = web.page
    web.goto("/auth/wechat/start")
    expect(page).to_have_url(re.compile(r"/dev/wechat/authorize\?"))
    page.get_by_test_id("wechat-user").select_option(wechat_user)
    if share is not None:
        box = page.get_by_test_id("share-profile")
        box.check() if share else box.uncheck()
    page.get_by_test_id("wechat-allow" if allow else "wechat-deny").click()


def _wechat_links(container) -> list[tuple[uuid.UUID, bool, str | None]]:
    """(user id, profile authorised, masked WeChat nickname or None) for every stored WeChat link."""
    with container.uow() as s:
        out = []
        for link in s.scalars(select(WechatLink)).all():
            nick = link.nickname
            out.append((link.user_id, link.profile_authorised, nick.masked if nick else None))
        return out


@pytest.mark.promise("JD-1.1.1(4)a", "JD-1.1.1(4)b", "JD-1.3b")
def test_wechat_login_registers_with_a_mobile_number_keeping_the_shared_nickname(web, container):
    phone = pii.PHONES[5]
    page = web.page
    _wechat_authorise(web, "wx-alice", share=True)

    # Not linked yet: the bind page offers a new account (by mobile number) or an existing one.
    expect(page).to_have_url(re.compile(r"/auth/wechat/callback\?"))
    expect(page.get_by_text(ZH("You allowed your WeChat nickname and avatar; we keep them for your profile."))).to_be_visible()
    expect(page.get_by_test_id("wechat-existing")).to_be_visible()
    assert _wechat_links(container) == []  # nothing is bound before the policy is accepted
    page.get_by_test_id("wechat-new").click()
    expect(page).to_have_url(web.url("/login"))
    web.sms_login(phone)
    expect(page.get_by_test_id("profile-wechat")).to_have_text(ZH("Linked"))

    [(user_id, authorised, nick)] = _wechat_links(container)
    assert authorised and nick == "A*"  # kept because it was shared; masked
    with container.engine.connect() as conn:
        assert conn.scalar(select(User.id).where(User.id == user_id)) is not None

    # Next time WeChat logs straight in; not sharing this time clears what was shared before.
    web.logout()
    _wechat_authorise(web, "wx-alice", share=False)
    expect(page).to_have_url(web.url("/profile"))
    expect(page.get_by_test_id("profile-phone")).to_have_text(masked_phone(phone))
    expect(page.get_by_test_id("profile-wechat")).to_have_text(ZH("Linked"))
    assert _wechat_links(container) == [(user_id, False, None)]


@pytest.mark.promise("JD-1.1.1(4)a", "JD-1.1.1(4)b", "JD-1.3b", "JD-1.1.1(1)")
def test_wechat_binds_an_existing_account_only_after_the_policy_is_accepted(web, container):
    phone, nickname = pii.PHONES[0], pii.NICKNAMES[0]
    user_id = container.accounts.demo_customer(phone, PASSWORD, nickname)
    page = web.page
    _wechat_authorise(web, "wx-demo", share=False)
    expect(page.get_by_text(ZH("You did not share your nickname and avatar; we do not keep them."))).to_be_visible()
    page.get_by_test_id("wechat-existing").click()
    expect(page).to_have_url(web.url("/login/password"))

    # Without accepting the policy, WeChat is not bound and no session starts.
    page.get_by_test_id("login-name").fill(phone)
    page.get_by_test_id("password").fill(PASSWORD)
    page.get_by_test_id("login").click()
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "policy_not_accepted")
    assert web.cookie("jidi_session") is None
    assert _wechat_links(container) == []

    page.get_by_test_id("login-name").fill(phone)
    page.get_by_test_id("password").fill(PASSWORD)
    page.get_by_test_id("accept-policy").check()
    page.get_by_test_id("login").click()
    expect(page).to_have_url(web.url("/profile"))
    expect(page.get_by_test_id("profile-wechat")).to_have_text(ZH("Linked"))
    expect(page.get_by_test_id("profile-nickname")).to_have_text("小*")
    # Only the de-identified OpenID/UnionID: no nickname or avatar, since they were not shared.
    assert _wechat_links(container) == [(user_id, False, None)]


@pytest.mark.promise("JD-1.1.1(4)a", "JD-1.1.1(2)")
def test_refusing_wechat_leaves_sms_login_working(web, container):
    phone = pii.PHONES[4]
    page = web.page
    _wechat_authorise(web, "wx-demo", share=True, allow=False)
    expect(page.get_by_test_id("wechat-refused")).to_be_visible()
    expect(page.get_by_test_id("wechat-refused")).to_have_text(
        ZH("WeChat login was not authorised. You can still log in with your mobile number or a password."))
    assert web.cookie("jidi_session") is None
    # The SMS login on that very page still works.
    web.sms_login(phone)
    expect(page.get_by_test_id("profile-wechat")).to_have_text(ZH("Not linked"))
    assert _wechat_links(container) == []


# -- 5. staff console ------------------------------------------------------------------------------------
def _wrong_totp(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    now = time.time()
    valid = {totp.at(now + d) for d in (-60, -30, 0, 30, 60)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


@pytest.mark.promise("JD-5.1.2(1)a", "JD-5.1.2(2)", "JD-2.2")
def test_support_agent_logs_in_with_totp_finds_a_customer_masked_and_reveals_for_a_purpose(web, container):
    phone, nickname, email = pii.PHONES[0], pii.NICKNAMES[0], pii.EMAILS[0]
    customer = container.accounts.demo_customer(phone, PASSWORD, nickname)
    container.accounts.update_profile(customer, email=email)
    agent_id, secret, _uri = container.accounts.create_staff(Role.SUPPORT_AGENT, "agent1", "Agent-pass-2026")
    page = web.page

    web.goto("/staff")
    expect(page).to_have_url(web.url("/staff/login?next=%2Fstaff"))  # the console needs a staff login

    # Password alone, with a wrong authenticator code, is refused.
    web.staff_form("agent1", "Agent-pass-2026", _wrong_totp(secret))
    expect(page.get_by_test_id("error")).to_have_attribute("data-code", "staff_login_failed")
    assert web.cookie("jidi_staff") is None

    web.staff_form("agent1", "Agent-pass-2026", pyotp.TOTP(secret).now())
    expect(page).to_have_url(web.url("/staff"))
    expect(page.get_by_test_id("staff-role")).to_have_text("客服")
    staff_cookie = web.cookie("jidi_staff")
    assert staff_cookie and staff_cookie["secure"] and staff_cookie["httpOnly"] and staff_cookie["sameSite"] == "Strict"

    # Find the customer by the full number they give; everything is shown masked.
    page.get_by_test_id("staff-search-phone").fill(phone)
    page.get_by_test_id("staff-search").click()
    expect(page.get_by_test_id("staff-result")).to_be_visible()
    expect(page.get_by_test_id("staff-phone")).to_have_text("139****5678")
    expect(page.get_by_test_id("staff-nickname")).to_have_text("小*")
    expect(page.get_by_test_id("staff-email")).to_have_text("x***@example.com")
    _page_has_no(page, phone, nickname, email)
    with container.engine.connect() as conn:
        assert conn.scalar(select(AuditRecord.id).where(AuditRecord.action == "reveal")) is None

    # Reveal the phone for customer service: shown in full, and recorded.
    row = page.locator("tr", has=page.get_by_test_id("staff-reveal-phone"))
    row.locator("select[name=purpose]").select_option("customer_service")
    with page.expect_response(lambda r: r.url.endswith("/reveal") and r.request.method == "POST") as answer:
        page.get_by_test_id("staff-reveal-phone").click()
    request_id = answer.value.headers["x-request-id"]
    expect(page.get_by_test_id("staff-phone")).to_have_text(phone)
    expect(page.get_by_test_id("staff-email")).to_have_text("x***@example.com")
    _page_has_no(page, nickname, email)

    with container.engine.connect() as conn:
        records = conn.execute(select(AuditRecord).where(AuditRecord.action == "reveal")).all()
    assert len(records) == 1
    rec = records[0]
    assert rec.purpose == "customer_service" and rec.actor_role == Role.SUPPORT_AGENT.value
    assert "phone" in rec.fields and rec.request_id == request_id
    assert rec.subject == container.vault.pseudonym(customer)
    assert str(customer) not in (rec.subject or "") and str(agent_id) not in rec.actor  # pseudonyms, not ids
