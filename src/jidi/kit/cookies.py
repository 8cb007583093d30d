"""Every cookie jidi sets, declared once (JD-3.1.*, CN-9.1, ZK-2.1): its name, why, how long, whose, and whether the
site needs it. The cookie notice (/cookies) is generated from this list, and tests/test_cookies.py drives the pages
and the API and fails for any Set-Cookie not declared here.

**Kinds.** `necessary` cookies are what a page cannot work without (the login session, the form token, a login
in progress) and are always set. `preference` cookies remember a choice the visitor made on purpose — the language
link, the "remember my login name" box — and are set only by that action, never ahead of it: a visitor who takes
no such action (or refuses them on the notice page) gets none, and refusing them needs nothing stored, so the
refusal is kept without a cookie. jidi sets no analytics, advertising or third-party cookies, fires no beacons or
pixels, and embeds no third-party script (`ANALYTICS`/`MARKETING` are declared kinds with no cookie in them; if one
is ever added, the middleware drops it for a visitor who sends Do Not Track or Global Privacy Control, ZK-2.3).

Every cookie is first-party (JD-3.1.1b: only jidi's own server reads it; no `Domain` attribute, so not even a
sibling host), `SameSite=Lax` or `Strict`, and `Secure` unless `JIDI_COOKIE_SECURE=false`.
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping

from jidi.i18n import N_


class Kind(enum.StrEnum):
    NECESSARY = "necessary"
    PREFERENCE = "preference"
    ANALYTICS = "analytics"
    MARKETING = "marketing"


KIND_LABELS = {
    Kind.NECESSARY: N_("Strictly necessary"),
    Kind.PREFERENCE: N_("Preferences (only when you ask for them)"),
    Kind.ANALYTICS: N_("Analytics"),
    Kind.MARKETING: N_("Marketing"),
}
# Kinds a Do Not Track or Global Privacy Control signal refuses (A22).
TRACKING = frozenset({Kind.ANALYTICS, Kind.MARKETING})


@dataclasses.dataclass(frozen=True)
class Cookie:
    name: str
    kind: Kind
    purpose: str  # an English message id (N_), translated where shown
    lifetime: str  # ditto: how long the browser keeps it
    max_age: int | None  # seconds; None: until the browser is closed (a session cookie)
    set_when: str  # when jidi sets it
    http_only: bool = True  # JavaScript cannot read it
    first_party: bool = True  # only jidi's own server sets and reads it

    @property
    def essential(self) -> bool:
        return self.kind is Kind.NECESSARY


SESSION = "jidi_session"
STAFF = "jidi_staff"
CSRF = "jidi_csrf"
LANG = "jidi_lang"
DEVICE = "jidi_device"
LOGIN_NAME = "jidi_login"
WECHAT_STATE = "jidi_wx_state"
WECHAT_PENDING = "jidi_wx_pending"

YEAR = 365 * 86400

COOKIES: tuple[Cookie, ...] = (
    Cookie(SESSION, Kind.NECESSARY, N_("Keeps you logged in: a random token that names your login session on our server."),
           N_("Until you log out, or 14 days"), None, N_("When you log in")),
    Cookie(STAFF, Kind.NECESSARY, N_("Keeps a staff member logged in to the staff console."),
           N_("Until logging out, or 8 hours"), None, N_("When staff log in")),
    Cookie(CSRF, Kind.NECESSARY, N_("A random form token that proves a form was sent from our own pages (protection against "
                                    "cross-site request forgery). Without cookies, forms are checked by the browser's Origin header instead."),
           N_("Until the browser is closed"), None, N_("On your first page")),
    Cookie(DEVICE, Kind.NECESSARY, N_("Marks this browser as a device you logged in on (signed and encrypted; holds no phone "
                                      "number), so that strangers who request login codes for your number cannot hold up yours."),
           N_("90 days (JIDI_TRUSTED_DEVICE_DAYS)"), None, N_("When you log in")),
    Cookie(WECHAT_STATE, Kind.NECESSARY, N_("Ties a WeChat login to the page that started it (protection against forged logins)."),
           N_("10 minutes"), 600, N_("When you start a WeChat login")),
    Cookie(WECHAT_PENDING, Kind.NECESSARY, N_("Holds, encrypted, a WeChat login that is waiting to be linked to a jidi account."),
           N_("15 minutes"), 900, N_("When a WeChat login needs a jidi account")),
    Cookie(LANG, Kind.PREFERENCE, N_("Remembers the language you chose with the language link (zh_CN or en)."),
           N_("1 year"), YEAR, N_("When you click the language link"), http_only=False),
    Cookie(LOGIN_NAME, Kind.PREFERENCE, N_("Remembers which account logs in on this browser, as a keyed hash of the login name: "
                                           "the name itself cannot be read back from it, not even by someone using the same computer."),
           N_("1 year"), YEAR, N_("When you tick “Remember my login name” and log in")),
)
BY_NAME: Mapping[str, Cookie] = {c.name: c for c in COOKIES}


def declared(name: str) -> Cookie | None:
    return BY_NAME.get(name)


def tracking_refused(headers: Mapping[str, str]) -> str | None:
    """The signal by which a visitor refuses tracking, if the request carries one: "gpc" (Sec-GPC: 1) or "dnt"
    (DNT: 1). Either means no analytics and no marketing tracking for this visitor (ZK-2.3, A22)."""
    if headers.get("sec-gpc", "").strip() == "1":
        return "gpc"
    if headers.get("dnt", "").strip() == "1":
        return "dnt"
    return None
