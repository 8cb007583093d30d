"""What routes share: the container, the request's language, the current user, templates and CSRF."""
from __future__ import annotations

import dataclasses
import hmac
import secrets
import uuid
from pathlib import Path
from typing import Annotated

import jinja2
from fastapi import Depends, Form, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from jidi import errors
from jidi.i18n import gettext_for
from jidi.privacy import LABELS, Actor, Role

SESSION_COOKIE = "jidi_session"
STAFF_COOKIE = "jidi_staff"
CSRF_COOKIE = "jidi_csrf"
LANG_COOKIE = "jidi_lang"

templates = Jinja2Templates(env=jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True))


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
    found = request.app.state.container.accounts.authenticate(token, ("api",))
    if found is None:
        raise errors.not_authenticated()
    return CurrentUser(*found)


def page_user_optional(request: Request) -> CurrentUser | None:
    found = request.app.state.container.accounts.authenticate(request.cookies.get(SESSION_COOKIE), ("web",))
    return CurrentUser(*found) if found else None


def page_user(user: Annotated[CurrentUser | None, Depends(page_user_optional)]) -> CurrentUser:
    if user is None:
        raise errors.not_authenticated()
    return user


def staff_user(request: Request) -> CurrentUser:
    found = request.app.state.container.accounts.authenticate(request.cookies.get(STAFF_COOKIE), ("staff",))
    if found is None or not found[1].is_staff:
        raise errors.not_authenticated()
    return CurrentUser(*found)


def csrf_token(request: Request) -> str:
    """The form token: the value of the CSRF cookie, which the middleware sets on every page visit."""
    return request.state.csrf


def check_csrf(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        raise errors.csrf_failed()


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


def render(request: Request, name: str, status_code: int = 200, **context):
    loc = request.state.locale
    gettext = gettext_for(loc)

    def label(item) -> str:
        zh, en = LABELS[item]
        return zh if loc == "zh_CN" else en

    base = {
        "_": gettext,
        "locale": loc,
        "csrf_token": request.state.csrf,
        "label": label,
        "dev": request.app.state.container.settings.env != "production",
        "path": request.url.path,
    }
    base.update(context)
    return templates.TemplateResponse(request, name, base, status_code=status_code)


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
    return render(request, name, status_code=err.status, error=message, error_code=err.code, **context)


def redirect(url: str) -> RedirectResponse:
    """After a form post: see the result with a GET (303), so reloading does not post again."""
    return RedirectResponse(url, status_code=303)
