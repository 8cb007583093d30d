"""WeChat login in the shape of WeChat's OAuth: a provider interface and a local simulator.

Only the de-identified OpenID/UnionID is kept; nickname and avatar only when the user authorises them
(JD-1.1.1(4)a). The simulator plays WeChat's consent screen at /dev/wechat/authorize.
"""
from __future__ import annotations

import dataclasses
import hashlib
import secrets
import threading
import time
from typing import Protocol
from urllib.parse import urlencode


@dataclasses.dataclass(frozen=True)
class WechatIdentity:
    openid: str
    unionid: str
    nickname: str | None = None
    avatar_url: str | None = None

    @property
    def profile_authorised(self) -> bool:
        return self.nickname is not None


class WechatProvider(Protocol):
    def authorize_url(self, state: str, redirect_uri: str, want_profile: bool) -> str: ...
    def exchange(self, code: str) -> WechatIdentity | None: ...


class SimulatedWechat:
    """Issues one-time codes for simulated WeChat users, as WeChat's authorisation server would."""

    TTL = 300

    def __init__(self) -> None:
        self._codes: dict[str, tuple[float, WechatIdentity]] = {}
        self._lock = threading.Lock()

    def authorize_url(self, state: str, redirect_uri: str, want_profile: bool) -> str:
        scope = "snsapi_userinfo" if want_profile else "snsapi_base"
        return "/dev/wechat/authorize?" + urlencode({"state": state, "redirect_uri": redirect_uri, "scope": scope})

    def approve(self, wechat_user: str, share_profile: bool, nickname: str | None = None) -> str:
        """What WeChat does when its user taps Allow: a code the callback exchanges for the identity."""
        digest = hashlib.sha256(b"simulated-wechat|" + wechat_user.encode()).hexdigest()
        ident = WechatIdentity(
            openid="o" + digest[:27],
            unionid="u" + digest[27:54],
            nickname=(nickname or wechat_user) if share_profile else None,
            avatar_url=f"https://wx.example/avatar/{digest[:12]}.png" if share_profile else None,
        )
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = (time.monotonic() + self.TTL, ident)
        return code

    def exchange(self, code: str) -> WechatIdentity | None:
        with self._lock:
            hit = self._codes.pop(code, None)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]
