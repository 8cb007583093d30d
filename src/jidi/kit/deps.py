"""What routes share: the container, the request's language, the current user, templates and CSRF."""
from __future__ import annotations

import dataclasses
import hmac
import secrets
import uuid
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlencode, urlsplit

import jinja2
from fastapi import Depends, Form, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from jidi import errors, regions
from jidi.i18n import gettext_for, install_formats, translations
from jidi.kit import cookies
from jidi.privacy import LABELS, Actor, Role

# The cookies' names; each is declared, with its purpose and lifetime, in jidi.kit.cookies.
SESSION_COOKIE = cookies.SESSION
STAFF_COOKIE = cookies.STAFF
CSRF_COOKIE = cookies.CSRF
LANG_COOKIE = cookies.LANG
DEVICE_COOKIE = cookies.DEVICE  # a trusted device of an account (accounts.trusted_device)
LOGIN_NAME_COOKIE = cookies.LOGIN_NAME  # the remembered login name, as a keyed hash (JD-3.1.2(1))

_KIT_TEMPLATES = jinja2.FileSystemLoader(Path(__file__).parent / "templates")  # the layout and error page every page shares
templates = Jinja2Templates(env=jinja2.Environment(loader=_KIT_TEMPLATES, autoescape=True))
install_formats(templates.env)


def use_templates(folders: list[Path]) -> None:
    """Pages find their templates in these folders (the app's and each feature's, in that order), then the kit's."""
    templates.env.loader = jinja2.ChoiceLoader([*(jinja2.FileSystemLoader(f) for f in folders), _KIT_TEMPLATES])


def container(request: Request):
    return request.app.state.container


@dataclasses.dataclass(frozen=True)
class CurrentUser:
    id: uuid.UUID
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.role)


def locale(request: Request) -> str:
    return request.state.locale


_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/sms-login or /auth/password-login")


def api_user(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> CurrentUser:
    token = creds.credentials if creds else None
    found = request.app.state.container.accounts.authenticate(token, ("api",), path=request.url.path)
    if found is None:
        raise errors.not_authenticated()
    return CurrentUser(*found)


def page_user_optional(request: Request) -> CurrentUser | None:
    found = request.app.state.container.accounts.authenticate(request.cookies.get(SESSION_COOKIE), ("web",))
    return CurrentUser(*found) if found else None


def page_user(request: Request) -> CurrentUser:
    found = request.app.state.container.accounts.authenticate(request.cookies.get(SESSION_COOKIE), ("web",),
                                                              path=request.url.path)
    if found is None:
        raise errors.not_authenticated()
    return CurrentUser(*found)


def staff_user_optional(request: Request) -> CurrentUser | None:
    found = request.app.state.container.accounts.authenticate(request.cookies.get(STAFF_COOKIE), ("staff",))
    return CurrentUser(*found) if found and found[1].is_staff else None


def staff_user(staff: Annotated[CurrentUser | None, Depends(staff_user_optional)]) -> CurrentUser:
    if staff is None:
        raise errors.not_authenticated()
    return staff


def csrf_token(request: Request) -> str:
    """The form token: the value of the CSRF cookie, which the middleware sets on every page visit."""
    return request.state.csrf


def check_csrf(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> None:
    """A form post must come from jidi's own pages: its token matches the CSRF cookie; or, from a browser that keeps
    no cookies (JD-3.1.3b: the site works with cookies refused), the browser itself says the post comes from this
    site (`Origin`, else `Sec-Fetch-Site: same-origin`). A cross-site post, or one that says neither, is refused."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if cookie:
        if not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
            raise errors.csrf_failed()
        return
    if not _same_origin(request):
        raise errors.csrf_failed()


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is not None:
        here = {request.url.netloc, urlsplit(request.app.state.container.settings.base_url).netloc}
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc in here
    return request.headers.get("sec-fetch-site") == "same-origin"


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def client_address(request: Request) -> str:
    """The client's address: the peer's, or, from a trusted proxy (JIDI_TRUSTED_PROXIES), the one it forwarded."""
    return request.client.host if request.client else "-"


def trust_device(c, response: Response, user_id: uuid.UUID) -> None:
    """After a login on this device: the signed, HttpOnly cookie that makes it a trusted device of the account."""
    response.set_cookie(DEVICE_COOKIE, c.accounts.trusted_device(user_id), max_age=c.settings.trusted_device_days * 86400,
                        httponly=True, secure=c.settings.cookie_secure, samesite="lax")


def safe_next(target: str | None) -> str | None:
    """Where to go back to after logging in: a path on this site only (never another host, a scheme or a
    backslash trick), else None."""
    if not target or len(target) > 500 or "\\" in target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 0x20 for ch in target):
        return None
    return target


# Notices that features put on every page for the customer viewing it (jidi.policy: a material change of the privacy
# policy), registered by the feature's pages module. Each takes the request and the page's customer and returns None
# or a dict: "template" (included at the top of the page) and "blocking" (the page's own content is withheld until the
# person acts on the notice).
PAGE_NOTICES: list[Callable[[Request, CurrentUser], dict | None]] = []


def page_notice(fn: Callable[[Request, CurrentUser], dict | None]) -> Callable[[Request, CurrentUser], dict | None]:
    """Register a page notice (once, however often the pages module is imported)."""
    if all(f.__qualname__ != fn.__qualname__ or f.__module__ != fn.__module__ for f in PAGE_NOTICES):
        PAGE_NOTICES.append(fn)
    return fn


def _nav(request: Request, context: dict) -> dict:
    """Who the menu is for: the page's customer or staff member; on pages that do not say, whoever the session
    cookies name (so no logged-in person is offered "log in")."""
    user = context["user"] if "user" in context else page_user_optional(request) if request.cookies.get(SESSION_COOKIE) else None
    staff = context.get("staff") or (staff_user_optional(request) if request.cookies.get(STAFF_COOKIE) else None)
    on_staff_page = request.url.path.startswith("/staff")
    return {"nav_user": None if staff and on_staff_page else user, "nav_staff": staff if on_staff_page or not user else None}


def _city(code: str | None, loc: str) -> str:
    names = regions.lookup(code, loc) if code else None
    return (names.city or names.province) if names else ""


def render(request: Request, name: str, status_code: int = 200, **context):
    loc = request.state.locale
    gettext = gettext_for(loc)

    def label(item) -> str:
        zh, en = LABELS[item]
        return zh if loc == "zh_CN" else en

    def in_language(lang: str) -> str:
        """The page (`path`: after a form post, the page the form is on) in a language, keeping a GET's query, e.g.
        where login returns to."""
        query = dict(request.query_params) if request.method == "GET" else {}
        return base["path"] + "?" + urlencode({**query, "lang": lang})

    base = {
        "_": gettext,
        "pgettext": translations(loc).pgettext,
        "locale": loc,
        "csrf_token": request.state.csrf,
        "label": label,
        "region": lambda code: regions.full_name(code, loc),  # a GB/T 2260 code by its names
        "region_name": lambda region: regions.name(region, loc),  # one division's name
        "city": lambda code: _city(code, loc),  # a code's city (a municipality's own name): where a parcel goes
        "dev": request.app.state.container.settings.env != "production",
        "path": request.url.path,
        "in_language": in_language,
        **_nav(request, context),
    }
    base["page_notices"] = [n for fn in PAGE_NOTICES if (n := fn(request, base["nav_user"])) is not None] if base["nav_user"] else []
    base["page_blocked"] = any(n["blocking"] for n in base["page_notices"])
    base.update(context)
    if base["nav_user"] is not None:
        note_tracking_signal(request, base["nav_user"].id)
    return templates.TemplateResponse(request, name, base, status_code=status_code)


def note_tracking_signal(request: Request, user_id: uuid.UUID) -> None:
    """Hook for the consent ledger (ZK-2.3: "recorded"): a logged-in customer's browser sends Do Not Track or Global
    Privacy Control. The signal is honoured for everyone whether or not it is recorded (jidi.kit.cookies, the app's
    middleware); a container that has a `tracking_signals` recorder (the consents feature: a refusal of tracking in the consent
    ledger) records it as `record(user_id, signal)`, which must be idempotent: it is called on every page."""
    signal = cookies.tracking_refused(request.headers)
    recorder = getattr(request.app.state.container, "tracking_signals", None) if signal else None
    if recorder is not None:
        recorder.record(user_id, signal)


if TYPE_CHECKING:  # the checker sees the typed container; FastAPI needs only the dependency (bootstrap is above the kit)
    from jidi.bootstrap import Container

    ContainerDep = Container
else:
    ContainerDep = Annotated[object, Depends(container)]
LocaleDep = Annotated[str, Depends(locale)]
ApiUser = Annotated[CurrentUser, Depends(api_user)]
PageUser = Annotated[CurrentUser, Depends(page_user)]
OptionalPageUser = Annotated[CurrentUser | None, Depends(page_user_optional)]
StaffUser = Annotated[CurrentUser, Depends(staff_user)]
Csrf = Depends(check_csrf)


def render_error(request: Request, name: str, err: errors.AppError | None, **context):
    """Show a form again with the error above it, in the user's language and with the error's status (without an
    error: the page as usual)."""
    if err is None:
        return render(request, name, **context)
    message = err.render(gettext_for(request.state.locale))
    response = render(request, name, status_code=err.status, error=message, error_code=err.code, error_details=err.details,
                      **context)
    response.headers.update(err.headers)
    return response


def redirect(url: str) -> RedirectResponse:
    """After a form post: see the result with a GET (303), so reloading does not post again."""
    return RedirectResponse(url, status_code=303)
