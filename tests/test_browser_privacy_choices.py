"""In a real browser (Debian's chromium, Playwright): the cookie notice and refusing preference cookies, Do Not Track
and Global Privacy Control, device permissions asked only after the user starts the feature and is told why
(granted and refused through Playwright's context permissions), and the permission settings; zh-CN and English."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from jidi.kit import cookies
from tests import pii
from tests.test_browser import EN, ZH, Web, chromium, web  # noqa: F401 - fixtures used by name

pytestmark = pytest.mark.browser
HAIDIAN = {"latitude": 39.99, "longitude": 116.31}

# Counts every call of a permission API, so a test can tell the browser was not asked before the user said go.
SPY = """
window.__asked = [];
(function () {
  var geo = navigator.geolocation;
  if (geo) {
    var get = geo.getCurrentPosition.bind(geo);
    geo.getCurrentPosition = function (ok, err, opts) { window.__asked.push('geolocation'); return get(ok, err, opts); };
  }
})();
"""
# A browser that offers the Contact Picker and speech recognition (desktop chromium offers neither).
FAKE_PICKER_AND_SPEECH = """
Object.defineProperty(navigator, 'contacts', {value: {select: function (props, opts) {
  window.__asked.push('contacts');
  return Promise.resolve([{name: ['%s'], tel: ['%s']}]);
}}});
window.SpeechRecognition = function () {
  var self = this;
  this.start = function () {
    window.__asked.push('microphone');
    setTimeout(function () { self.onresult({results: [[{transcript: '%s'}]]}); }, 10);
  };
};
"""


def _context(web: Web, chromium, *, locale: str = "zh-CN", **options) -> Web:
    """A second browser context on the same server (with its own permissions, headers, init scripts)."""
    context = chromium.new_context(locale=locale, base_url=web.server.url, **options)
    context.set_default_timeout(10_000)
    return Web(web.server, context, web.logs, web.c)


def _asked(w: Web) -> list[str]:
    return w.page.evaluate("window.__asked")


@pytest.mark.promise("CN-9.1.2b", "ZK-2.1d")
def test_the_cookie_notice_from_the_footer_and_refusing_preference_cookies(web):
    page = web.page
    web.goto("/")
    page.get_by_test_id("footer-cookies").click()
    expect(page).to_have_url(web.url("/cookies"))
    expect(page.locator("h1")).to_have_text(ZH("Cookie notice"))
    expect(page.get_by_test_id("cookie-row")).to_have_count(len(cookies.COOKIES))
    expect(page.get_by_test_id("cookies-necessary")).to_contain_text(ZH(cookies.BY_NAME[cookies.SESSION].purpose))
    # Choosing English is a preference cookie, set because the visitor asked for it.
    page.get_by_test_id("lang-en").click()
    expect(page.locator("h1")).to_have_text("Cookie notice")
    assert web.cookie(cookies.LANG)["value"] == "en"
    web.goto("/cookies")  # the page lists what the browser sent with it
    expect(page.get_by_test_id("present-cookie")).to_have_text(cookies.LANG)
    page.get_by_test_id("refuse-preference-cookies").click()
    expect(page.get_by_test_id("cookies-cleared")).to_be_visible()
    assert web.cookie(cookies.LANG) is None
    assert {c["name"] for c in web.context.cookies()} <= {c.name for c in cookies.COOKIES if c.essential}
    expect(page.get_by_test_id("no-preference-cookies")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")  # the language is chosen again on the next visit


@pytest.mark.promise("ZK-2.3")
@pytest.mark.parametrize("header", ["DNT", "Sec-GPC"])
def test_do_not_track_and_gpc_are_honoured_and_said_so(web, chromium, header):
    w = _context(web, chromium, locale="en-US", extra_http_headers={header: "1"})
    w.goto("/cookies?lang=en")
    signal = w.page.get_by_test_id("tracking-signal")
    expect(signal).to_have_attribute("data-signal", "gpc" if header == "Sec-GPC" else "dnt")
    expect(signal).to_contain_text("honoured")
    w.sms_login(pii.PHONES[3])
    for path in ("/", "/track", "/profile", "/address-book/new"):
        w.goto(path)
    names = {c["name"] for c in w.context.cookies()}
    assert all(cookies.declared(n) and cookies.declared(n).kind not in cookies.TRACKING for n in names), names
    w.assert_no_personal_data_leaked()
    w.context.close()


def _open_form(w: Web, phone: str) -> None:
    w.sms_login(phone)
    w.goto("/address-book/new")
    expect(w.page.get_by_test_id("device-assist")).to_be_visible()


@pytest.mark.promise("JD-6.6b", "JD-1.2.5", "JD-1.1.2(4)d", "CN-3.4.2b")
def test_location_is_asked_only_after_the_user_starts_it_and_fills_the_district(web, chromium):
    w = _context(web, chromium, permissions=["geolocation"], geolocation=HAIDIAN)
    w.context.add_init_script(SPY)
    page = w.page
    _open_form(w, pii.PHONES[0])
    button = page.get_by_test_id("assist-geolocation")
    expect(button).to_be_visible()
    assert _asked(w) == []  # the page loaded without asking anything
    button.click()
    explain = page.get_by_test_id("explain-geolocation")
    expect(explain).to_be_visible()
    expect(explain).to_contain_text(ZH("To fill in the district of an address from where you are now. Your position is "
                                       "turned into a district on jidi's server, used once and not stored; no map or "
                                       "location service is asked."))
    assert _asked(w) == []  # explained first, still not asked
    page.get_by_test_id("continue-geolocation").click()
    expect(page.get_by_test_id("district")).to_have_value("110108")
    expect(page.get_by_test_id("province")).to_have_value("110000")
    # Nothing was saved: the form still waits for the rest.
    page.get_by_test_id("name").fill(pii.NAMES[3])
    page.get_by_test_id("phone").fill(pii.PHONES[1])
    page.get_by_test_id("detail").fill(pii.ADDRESSES[0])
    page.get_by_test_id("save-entry").click()
    expect(page).to_have_url(re.compile(r"/address-book\?saved=1$"))
    w.assert_no_personal_data_leaked()
    w.context.close()


@pytest.mark.promise("ZK-1.2a", "CN-3.4")
def test_refusing_location_disables_only_that_button_and_typing_still_works(web, chromium):
    # No geolocation grant: chromium refuses the request, as when the user clicks "Block".
    w = _context(web, chromium, locale="en-US")
    w.context.add_init_script(SPY)
    w.context.add_init_script(FAKE_PICKER_AND_SPEECH % (pii.NAMES[4], pii.PHONES[2], "北京市海淀区" + pii.ADDRESSES[0]))
    page = w.page
    _open_form(w, pii.PHONES[1])
    page.get_by_test_id("assist-geolocation").click()
    page.get_by_test_id("continue-geolocation").click()
    expect(page.get_by_test_id("assist-status")).to_have_text(EN("Permission refused: this button is off. Type the details instead."))
    expect(page.get_by_test_id("assist-geolocation")).to_be_disabled()
    # The other assists still work, each after its own explanation.
    page.get_by_test_id("assist-contacts").click()
    expect(page.get_by_test_id("explain-contacts")).to_be_visible()
    assert "contacts" not in _asked(w)
    page.get_by_test_id("continue-contacts").click()
    expect(page.get_by_test_id("name")).to_have_value(pii.NAMES[4])
    expect(page.get_by_test_id("phone")).to_have_value(pii.PHONES[2])
    page.get_by_test_id("assist-microphone").click()
    page.get_by_test_id("continue-microphone").click()
    expect(page.get_by_test_id("paste")).to_have_value("北京市海淀区" + pii.ADDRESSES[0])
    assert _asked(w) == ["geolocation", "contacts", "microphone"]
    page.get_by_test_id("fill-from-paste").click()
    expect(page.get_by_test_id("district")).to_have_value("110108")
    w.assert_no_personal_data_leaked()
    w.context.close()


@pytest.mark.promise("JD-6.4.1", "CN-8.3.1a", "JD-6.6c")
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_settings_page_lists_each_permission_and_turns_one_off(web, chromium, locale):
    _ = ZH if locale == "zh-CN" else EN
    w = _context(web, chromium, locale=locale, permissions=["geolocation"], geolocation=HAIDIAN)
    w.context.add_init_script(SPY)
    page = w.page
    w.sms_login(pii.PHONES[2])
    page.get_by_test_id("device-permissions").click()
    expect(page).to_have_url(w.url("/settings/permissions"))
    expect(page.locator("h1")).to_have_text(_("Device permissions"))
    for kind in ("geolocation", "contacts", "camera", "microphone"):
        expect(page.get_by_test_id(f"permission-{kind}")).to_have_attribute("data-state", "on")
    # What the browser says, as the Permissions API reports it (granted to this context).
    expect(page.get_by_test_id("browser-geolocation")).to_have_attribute("data-browser-state", "granted")
    expect(page.get_by_test_id("browser-microphone")).to_have_attribute("data-browser-state", re.compile("^(prompt|denied)$"))
    expect(page.get_by_test_id("browser-revoke")).to_be_visible()
    page.get_by_test_id("turn-off-geolocation").click()
    expect(page.get_by_test_id("permission-saved")).to_be_visible()
    expect(page.get_by_test_id("state-geolocation")).to_have_text(_("Off: jidi will not ask"))
    w.goto("/address-book/new")
    expect(page.get_by_test_id("assist-geolocation")).to_have_count(0)
    expect(page.get_by_test_id("photo-form")).to_be_visible()
    assert _asked(w) == []
    w.goto("/settings/permissions")
    page.get_by_test_id("turn-on-geolocation").click()
    w.goto("/address-book/new")
    expect(page.get_by_test_id("assist-geolocation")).to_be_visible()
    w.assert_no_personal_data_leaked()
    w.context.close()


def test_without_javascript_the_form_works_and_no_assist_shows(web, chromium):
    w = _context(web, chromium, java_script_enabled=False)
    page = w.page
    w.goto("/cookies")
    expect(page.get_by_test_id("cookie-row")).to_have_count(len(cookies.COOKIES))
    w.sms_login(pii.PHONES[4])
    w.goto("/address-book/new")
    expect(page.get_by_test_id("assist-buttons")).to_be_hidden()
    expect(page.get_by_test_id("photo-form")).to_be_visible()  # a plain file upload works without JavaScript
    w.goto("/settings/permissions")
    expect(page.get_by_test_id("permission-geolocation")).to_be_visible()
    page.get_by_test_id("turn-off-camera").click()
    expect(page.get_by_test_id("permission-camera")).to_have_attribute("data-state", "off")
    w.assert_no_personal_data_leaked()
    w.context.close()
