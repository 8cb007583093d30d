"""Development-only pages: the SMS outbox and the WeChat authorisation simulator. Not mounted in production."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from jidi.kit.deps import ContainerDep, render

router = APIRouter(prefix="/dev", include_in_schema=False)

# The WeChat users the simulator can play, and the nicknames WeChat would share if allowed.
SIMULATED_USERS = {"wx-demo": "微信演示用户", "wx-alice": "Alice 微信"}


@router.get("/outbox")
def outbox(request: Request, c: ContainerDep):
    with c.uow() as s:
        messages = c.notifier.outbox(s)
    return render(request, "dev_outbox.html", messages=messages)


@router.get("/wechat/authorize")
def wechat_authorize(request: Request, state: Annotated[str, Query(max_length=100)] = "", redirect_uri: Annotated[str, Query(max_length=200)] = "",
                     scope: Annotated[str, Query(max_length=20)] = "snsapi_base"):
    return render(request, "dev_wechat.html", state=state, redirect_uri=redirect_uri, want_profile=scope == "snsapi_userinfo",
                  users=SIMULATED_USERS)


@router.post("/wechat/authorize")
def wechat_decide(
    c: ContainerDep,
    state: Annotated[str, Form(max_length=100)],
    redirect_uri: Annotated[str, Form(max_length=200)],
    decision: Annotated[str, Form(max_length=10)],
    wechat_user: Annotated[str, Form(max_length=32)] = "wx-demo",
    share_profile: Annotated[str, Form(max_length=5)] = "",
):
    nickname = SIMULATED_USERS.get(wechat_user, wechat_user)
    # WeChat only ever redirects back to the app's own callback.
    target = "/auth/wechat/callback"
    if decision != "allow":
        return RedirectResponse(target + "?" + urlencode({"state": state, "error": "access_denied"}), status_code=303)
    code = c.wechat.approve(wechat_user or "wx-demo", share_profile == "on", nickname)
    return RedirectResponse(target + "?" + urlencode({"state": state, "code": code}), status_code=303)
