"""Account pages: SMS and password login, logout, profile, phone change, WeChat login, staff console."""
from __future__ import annotations

import secrets
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from jidi import errors
from jidi.accounts.wechat import WechatIdentity
from jidi.kit import cookies
from jidi.kit.feature import links_for
from jidi.kit.deps import (
    DEVICE_COOKIE,
    LOGIN_NAME_COOKIE,
    SESSION_COOKIE,
    STAFF_COOKIE,
    ContainerDep,
    Csrf,
    LocaleDep,
    OptionalPageUser,
    PageUser,
    StaffUser,
    client_address,
    redirect,
    render,
    render_error,
    trust_device,
    safe_next,
)
from jidi.privacy import ROLE_PURPOSES, Purpose

router = APIRouter(include_in_schema=False)
WECHAT_STATE_COOKIE = cookies.WECHAT_STATE
WECHAT_PENDING_COOKIE = cookies.WECHAT_PENDING

Text = lambda n: Annotated[str, Form(max_length=n)]  # noqa: E731
# Where to return after logging in: a path on this site (checked by safe_next), carried by the login forms.
Next = Annotated[str, Query(max_length=500)]
NextForm = Annotated[str, Form(max_length=500)]


def _login_cookie(c, response, name: str, token: str, staff: bool = False) -> None:
    ttl = c.settings.staff_session_ttl_seconds if staff else c.settings.session_ttl_seconds
    response.set_cookie(name, token, max_age=ttl, httponly=True, secure=c.settings.cookie_secure, samesite="strict" if staff else "lax")


# -- SMS login / registration --------------------------------------------------------------------------
@router.get("/login")
def login_page(request: Request, user: OptionalPageUser, c: ContainerDep, next: Next = ""):
    if user:
        return redirect(safe_next(next) or "/profile")
    return render(request, "login.html", phone="", sent=False, policy_version=c.settings.policy_version, next=safe_next(next))


@router.post("/login", dependencies=[Csrf])
def login_submit(request: Request, c: ContainerDep, loc: LocaleDep, action: Text(10) = "login", phone: Text(20) = "",
                 code: Text(10) = "", accept_policy: Text(5) = "", challenge_token: Text(400) = "", challenge_answer: Text(10) = "",
                 next: NextForm = ""):
    form = {"phone": phone, "policy_version": c.settings.policy_version, "next": safe_next(next)}
    try:
        if action == "send":
            wait = c.accounts.request_code(phone, "login", client_address(request), loc, device=request.cookies.get(DEVICE_COOKIE),
                                           challenge=(challenge_token, challenge_answer) if challenge_token else None)
            return render(request, "login.html", sent=True, wait=wait, **form)
        result = c.accounts.login_with_code(phone, code, accept_policy == "on", "web", locale=loc)
    except errors.AppError as err:
        return render_error(request, "login.html", err, sent=action != "send", **form)
    pending = c.secrets.open_blob("wechat", request.cookies.get(WECHAT_PENDING_COOKIE))
    response = redirect("/profile?welcome=1" if result.created else safe_next(next) or "/profile")
    if pending:
        c.accounts.bind_wechat(result.user_id, WechatIdentity(**pending), True)
        response.delete_cookie(WECHAT_PENDING_COOKIE)
    _login_cookie(c, response, SESSION_COOKIE, result.token)
    trust_device(c, response, result.user_id)
    return response


def _remembered(request: Request, c) -> tuple[str | None, object]:
    """The remembered-login cookie's value and the login name it stands for (masked when shown), if it is valid."""
    token = request.cookies.get(LOGIN_NAME_COOKIE)
    shown = c.accounts.remembered_login(token) if token else None
    return (token if shown is not None else None), shown


@router.get("/login/password")
def password_page(request: Request, c: ContainerDep, next: Next = "", other: Annotated[int, Query(ge=0, le=1)] = 0):
    _token, shown = _remembered(request, c) if not other else (None, None)
    return render(request, "login_password.html", login="", next=safe_next(next), remembered=shown)


@router.post("/login/password", dependencies=[Csrf])
def password_submit(request: Request, c: ContainerDep, login: Text(254) = "", password: Text(128) = "",
                    accept_policy: Text(5) = "", next: NextForm = "", remember: Text(5) = "", use_remembered: Text(5) = ""):
    token, shown = _remembered(request, c) if use_remembered == "on" and not login else (None, None)
    try:
        result = c.accounts.login_with_password(login, password, remembered=token)
        pending = c.secrets.open_blob("wechat", request.cookies.get(WECHAT_PENDING_COOKIE))
        if pending:
            c.accounts.bind_wechat(result.user_id, WechatIdentity(**pending), accept_policy == "on")
    except errors.AppError as err:
        return render_error(request, "login_password.html", err, login=login, next=safe_next(next), remembered=shown)
    response = redirect(safe_next(next) or "/profile")
    if pending:
        response.delete_cookie(WECHAT_PENDING_COOKIE)
    _login_cookie(c, response, SESSION_COOKIE, result.token)
    trust_device(c, response, result.user_id)
    if remember == "on" and login and (value := c.accounts.remember_login(result.user_id, login)):
        # A preference cookie, set only because the box was ticked (jidi.kit.cookies): a keyed hash, never the name.
        response.set_cookie(LOGIN_NAME_COOKIE, value, max_age=cookies.YEAR, httponly=True, secure=c.settings.cookie_secure,
                            samesite="lax")
    return response


@router.post("/login/password/forget", dependencies=[Csrf])
def forget_login_name(request: Request, c: ContainerDep):
    """Forget the remembered login name on this browser."""
    response = redirect("/login/password")
    response.delete_cookie(LOGIN_NAME_COOKIE, secure=c.settings.cookie_secure, httponly=True)
    return response


def _logout(request: Request, c, cookie: str, target: str) -> RedirectResponse:
    c.accounts.logout(request.cookies.get(cookie))
    response = redirect(target)
    response.delete_cookie(cookie)
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, c: ContainerDep):
    return _logout(request, c, SESSION_COOKIE, "/")


# -- profile -------------------------------------------------------------------------------------------
@router.get("/profile")
def profile_page(request: Request, user: PageUser, c: ContainerDep, welcome: Annotated[int, Query(ge=0, le=1)] = 0,
                 saved: Annotated[str, Query(max_length=20)] = ""):
    return render(request, "profile.html", user=user, profile=c.accounts.profile(user.id), welcome=welcome, saved=saved)


@router.post("/profile/reveal", dependencies=[Csrf])
def profile_reveal(request: Request, user: PageUser, c: ContainerDep, field: Text(20)):
    shown = c.accounts.reveal_own(user.id, field)
    return render(request, "profile.html", user=user, profile=c.accounts.profile(user.id), revealed={field: shown})


def _profile_error(request, c, user, err: errors.AppError, **extra):
    return render_error(request, "profile.html", err, user=user, profile=c.accounts.profile(user.id), **extra)


@router.post("/profile", dependencies=[Csrf])
def profile_submit(request: Request, user: PageUser, c: ContainerDep, nickname: Text(64) = "",
                   username: Text(64) = "", email: Text(254) = "", clear_nickname: Text(5) = "", clear_username: Text(5) = "",
                   clear_email: Text(5) = ""):
    # Stored values are shown masked, so the form starts blank: a blank field is left as it is, and a
    # ticked "remove" box clears it (every profile field is optional, ZK-1.1.1).
    def change(value: str, clear: str) -> str | None:
        return "" if clear == "on" else (value or None)

    try:
        c.accounts.update_profile(user.id, nickname=change(nickname, clear_nickname), username=change(username, clear_username),
                                  email=change(email, clear_email))
    except errors.AppError as err:
        return _profile_error(request, c, user, err)
    return redirect("/profile?saved=profile")


@router.post("/profile/password", dependencies=[Csrf])
def password_change(request: Request, user: PageUser, c: ContainerDep, new_password: Text(128) = "",
                    current_password: Text(128) = ""):
    try:
        c.accounts.set_password(user.id, new_password, current_password or None)
    except errors.AppError as err:
        return _profile_error(request, c, user, err)
    return redirect("/profile?saved=password")


@router.post("/profile/phone", dependencies=[Csrf])
def phone_change(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, action: Text(10) = "send",
                 phone: Text(20) = "", code: Text(10) = ""):
    try:
        if action == "send":
            wait = c.accounts.request_phone_change(user.id, phone, client_address(request), loc)
            return render(request, "profile.html", user=user, profile=c.accounts.profile(user.id), phone_sent=True,
                          new_phone=phone, wait=wait)
        c.accounts.change_phone(user.id, phone, code, loc)
    except errors.AppError as err:
        return _profile_error(request, c, user, err, new_phone=phone, phone_sent=action != "send")
    return redirect("/profile?saved=phone")


# -- WeChat --------------------------------------------------------------------------------------------
@router.get("/auth/wechat/start")
def wechat_start(request: Request, c: ContainerDep, profile: Annotated[int, Query(le=1)] = 1):
    state = secrets.token_urlsafe(16)
    url = c.wechat.authorize_url(state, "/auth/wechat/callback", want_profile=bool(profile))
    response = redirect(url)
    response.set_cookie(WECHAT_STATE_COOKIE, state, max_age=600, httponly=True, secure=c.settings.cookie_secure, samesite="lax")
    return response


@router.get("/auth/wechat/callback")
def wechat_callback(request: Request, c: ContainerDep, state: Annotated[str, Query(max_length=100)] = "",
                    code: Annotated[str, Query(max_length=100)] = "", error: Annotated[str, Query(max_length=40)] = ""):
    expected = request.cookies.get(WECHAT_STATE_COOKIE)
    if error or not expected or not secrets.compare_digest(expected, state):
        # Refusing WeChat only disables WeChat login; every other method still works (JD-1.1.1(4)a).
        return render(request, "login.html", status_code=400, phone="", sent=False, policy_version=c.settings.policy_version,
                      wechat_refused=True)
    ident = c.wechat.exchange(code)
    if ident is None:
        raise errors.wechat_failed()
    result = c.accounts.wechat_login(ident)
    if result is None:
        response = render(request, "wechat_bind.html", shared_profile=ident.profile_authorised)
        blob = c.secrets.seal_blob("wechat", {"openid": ident.openid, "unionid": ident.unionid, "nickname": ident.nickname,
                                              "avatar_url": ident.avatar_url}, 900)
        response.set_cookie(WECHAT_PENDING_COOKIE, blob, max_age=900, httponly=True, secure=c.settings.cookie_secure, samesite="lax")
    else:
        response = redirect("/profile")
        _login_cookie(c, response, SESSION_COOKIE, result.token)
    response.delete_cookie(WECHAT_STATE_COOKIE)
    return response


# -- staff ---------------------------------------------------------------------------------------------
@router.get("/staff/login")
def staff_login_page(request: Request, next: Next = ""):
    return render(request, "staff_login.html", next=safe_next(next))


@router.post("/staff/login", dependencies=[Csrf])
def staff_login_submit(request: Request, c: ContainerDep, username: Text(64) = "", password: Text(128) = "",
                       totp: Text(10) = "", next: NextForm = ""):
    try:
        result = c.accounts.staff_login(username, password, totp)
    except errors.AppError as err:
        return render_error(request, "staff_login.html", err, next=safe_next(next))
    response = redirect(safe_next(next) or "/staff")
    _login_cookie(c, response, STAFF_COOKIE, result.token, staff=True)
    return response


@router.post("/staff/logout", dependencies=[Csrf])
def staff_logout(request: Request, c: ContainerDep):
    return _logout(request, c, STAFF_COOKIE, "/staff/login")


def _console(c, staff) -> dict:
    """What the staff console shows a role: the purposes it may open values for, and the features' entries for it
    (`Feature.links`, page "staff")."""
    return {"staff": staff, "purposes": sorted(ROLE_PURPOSES[staff.role], key=lambda p: p.value),
            "links": links_for(c.features, "staff", role=staff.role.value)}


@router.get("/staff")
def staff_home(request: Request, staff: StaffUser, c: ContainerDep):
    return render(request, "staff_home.html", **_console(c, staff))


# Looking customers up by phone serves these purposes; a role with none of them (a courier) may not search.
LOOKUP_PURPOSES = frozenset({Purpose.CUSTOMER_SERVICE, Purpose.RIGHTS_REQUEST, Purpose.SECURITY})


@router.post("/staff/customers", dependencies=[Csrf])
def staff_find(request: Request, staff: StaffUser, c: ContainerDep, phone: Text(20) = ""):
    if not ROLE_PURPOSES[staff.role] & LOOKUP_PURPOSES:
        raise errors.forbidden()
    try:
        found = c.accounts.staff_find_customer(phone)
    except errors.AppError as err:
        return render_error(request, "staff_home.html", err, **_console(c, staff))
    return render(request, "staff_home.html", **_console(c, staff), searched=True, found=found)


@router.post("/staff/customers/{customer_id}/reveal", dependencies=[Csrf])
def staff_reveal(request: Request, customer_id: uuid.UUID, staff: StaffUser, c: ContainerDep, field: Text(20), purpose: Text(32)):
    try:
        chosen = Purpose(purpose)
    except ValueError:
        raise errors.purpose_not_allowed() from None
    shown = c.accounts.staff_reveal(staff.actor, customer_id, field, chosen)
    return render(request, "staff_home.html", **_console(c, staff), searched=True, found=c.accounts.profile(customer_id), revealed={field: shown})
