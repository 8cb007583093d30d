"""The accounts JSON API. Responses carry masked values only; errors are {"error": {"code", "message"}}."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import DEVICE_COOKIE, ApiUser, ContainerDep, LocaleDep, _bearer, client_address, trust_device
from jidi.kit.fields import (
    CurrentPassword, Email, LoginName, NewPassword, Nickname, Password, Phone, SmsCode, Username,
)

router = APIRouter(tags=["accounts"])


class CodeRequest(Strict):
    phone: Phone
    purpose: Literal["login"] = "login"
    challenge_token: str | None = Field(None, max_length=400, description="From a code_challenge error")
    challenge_answer: str | None = Field(None, max_length=10, description="The answer to that challenge's question")


class CodeSent(BaseModel):
    resend_after_seconds: int
    expires_in_seconds: int


class SmsLogin(Strict):
    phone: Phone
    code: SmsCode
    accept_policy: bool = Field(description="The user accepts the privacy policy version in GET /api/v1/privacy/policy")


class PasswordLogin(Strict):
    login: LoginName
    password: Password


class TokenOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    account_created: bool


class ProfileOut(BaseModel):
    id: str
    role: str
    phone: str | None = Field(description="Masked, e.g. 138****5678")
    username: str | None
    email: str | None
    nickname: str | None
    has_password: bool
    wechat_bound: bool
    accepted_policy_version: str | None
    created_at: dt.datetime


class ProfileUpdate(Strict):
    nickname: Nickname | None = None
    username: Username | None = None
    email: Email | None = None


class PasswordChange(Strict):
    new_password: NewPassword
    current_password: CurrentPassword | None = None


class PhoneCodeRequest(Strict):
    phone: Phone


class PhoneChange(Strict):
    phone: Phone
    code: SmsCode


class PolicyOut(BaseModel):
    version: str


def _profile_out(p) -> ProfileOut:
    return ProfileOut(
        id=str(p.user_id), role=p.role, phone=p.phone and p.phone.masked, username=p.username and p.username.masked,
        email=p.email and p.email.masked, nickname=p.nickname and p.nickname.masked, has_password=p.has_password,
        wechat_bound=p.wechat_bound, accepted_policy_version=p.policy_version, created_at=p.created_at,
    )


@router.get("/privacy/policy", response_model=PolicyOut)
def current_policy(c: ContainerDep) -> PolicyOut:
    return PolicyOut(version=c.settings.policy_version)


@router.post("/auth/sms-codes", status_code=202, response_model=CodeSent, responses=errors_for(429))
def request_code(body: CodeRequest, request: Request, c: ContainerDep, loc: LocaleDep) -> CodeSent:
    """Send a login code. The answer is the same whether or not the number has an account.

    Each client waits longer after each code to one number. When many codes went to a number today, a 429
    `code_challenge` carries a question: send the request again with `challenge_token` and `challenge_answer`.
    A device that logged in with this number before (the `jidi_device` cookie of `/auth/sms-login`) is not asked."""
    challenge = (body.challenge_token, body.challenge_answer or "") if body.challenge_token else None
    wait = c.accounts.request_code(body.phone, body.purpose, client_address(request), loc,
                                   device=request.cookies.get(DEVICE_COOKIE), challenge=challenge)
    return CodeSent(resend_after_seconds=wait, expires_in_seconds=c.settings.sms_code_ttl_seconds)


@router.post("/auth/sms-login", response_model=TokenOut, responses=errors_for(400, 403))
def sms_login(body: SmsLogin, response: Response, c: ContainerDep) -> TokenOut:
    """Log in with the code; the first successful check creates the account (JD-1.1.1(2)). Sets the `jidi_device`
    cookie: this device may ask for codes to the number even when others have asked for many."""
    result = c.accounts.login_with_code(body.phone, body.code, body.accept_policy, "api", kind="api")
    trust_device(c, response, result.user_id)
    return TokenOut(token=result.token, account_created=result.created)


@router.post("/auth/password-login", response_model=TokenOut, responses=errors_for(401, 403, 429))
def password_login(body: PasswordLogin, c: ContainerDep) -> TokenOut:
    result = c.accounts.login_with_password(body.login, body.password, kind="api")
    return TokenOut(token=result.token, account_created=False)


@router.post("/auth/logout", status_code=204, responses=errors_for(401))
def logout(user: ApiUser, c: ContainerDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Response:
    c.accounts.logout(creds.credentials if creds else None)
    return Response(status_code=204)


@router.get("/me", response_model=ProfileOut, responses=errors_for(401))
def me(user: ApiUser, c: ContainerDep) -> ProfileOut:
    return _profile_out(c.accounts.profile(user.id))


@router.patch("/me", response_model=ProfileOut, responses=errors_for(401, 409))
def update_me(body: ProfileUpdate, user: ApiUser, c: ContainerDep) -> ProfileOut:
    c.accounts.update_profile(user.id, nickname=body.nickname, username=body.username, email=body.email)
    return _profile_out(c.accounts.profile(user.id))


@router.put("/me/password", status_code=204, responses=errors_for(401))
def change_password(body: PasswordChange, user: ApiUser, c: ContainerDep) -> Response:
    c.accounts.set_password(user.id, body.new_password, body.current_password)
    return Response(status_code=204)


@router.post("/me/phone/codes", status_code=202, response_model=CodeSent, responses=errors_for(401, 429))
def request_phone_code(body: PhoneCodeRequest, request: Request, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> CodeSent:
    wait = c.accounts.request_phone_change(user.id, body.phone, client_address(request), loc)
    return CodeSent(resend_after_seconds=wait, expires_in_seconds=c.settings.sms_code_ttl_seconds)


@router.put("/me/phone", response_model=ProfileOut, responses=errors_for(400, 401, 409))
def change_phone(body: PhoneChange, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> ProfileOut:
    c.accounts.change_phone(user.id, body.phone, body.code, loc)
    return _profile_out(c.accounts.profile(user.id))
