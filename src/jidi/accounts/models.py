"""Accounts: users (customers and staff), one-time SMS codes, sessions, WeChat links (consents are in the consent ledger)."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import (
    BY_ACCOUNT_PURGE, RETAIN_ACCOUNT, Action, Category, LegalBasis, Mask, PartOf, Purpose, Retained, blind_index,
    personal,
)

P = Purpose


class User(Base):
    __tablename__ = "users"
    __subject__ = "id"  # an account holder's subject id is their user id
    __label__ = ("账号", "Account")
    __erase__ = {"status": "erased"}
    __kept_after_erasure__ = ("An empty placeholder of the erased account: no personal data, so that records of "
                              "requests keep their reference")
    __retention__ = Retained("accounts", "account closed", Action.ACCOUNT, RETAIN_ACCOUNT.zh, RETAIN_ACCOUNT.en,
                             by=BY_ACCOUNT_PURGE, catalog_after=("account_closed",))
    __nonpersonal__ = ("id", "role", "status", "created_at", "updated_at", "cancelled_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    role: Mapped[str] = mapped_column(String(20), default="customer")
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | locked | cancelled
    phone = personal(
        "手机号", "Mobile number", Category.CONTACT,
        purposes={P.LOGIN, P.SELF_SERVICE, P.NOTIFICATION, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST, P.MARKETING_SMS, P.MARKETING_CALL},
        basis=LegalBasis.CONTRACT, retention=RETAIN_ACCOUNT, mask=Mask.PHONE, blind_index="phone",
    )
    phone_bidx = blind_index("phone", unique=True)
    username = personal(
        "用户名", "Username", Category.ACCOUNT, purposes={P.LOGIN, P.SELF_SERVICE, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST, P.SECURITY},
        basis=LegalBasis.CONTRACT, retention=RETAIN_ACCOUNT, mask=Mask.HANDLE, blind_index="username",
    )
    username_bidx = blind_index("username", unique=True)
    email = personal(
        "电子邮箱", "E-mail", Category.CONTACT, purposes={P.LOGIN, P.SELF_SERVICE, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST, P.MARKETING_EMAIL},
        basis=LegalBasis.CONSENT, retention=RETAIN_ACCOUNT, mask=Mask.EMAIL, blind_index="email",
    )
    email_bidx = blind_index("email", unique=True)
    nickname = personal(
        "昵称", "Nickname", Category.PROFILE, purposes={P.SELF_SERVICE, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST},
        basis=LegalBasis.CONSENT, retention=RETAIN_ACCOUNT, mask=Mask.NAME,
    )
    avatar_url = personal(
        "头像", "Avatar", Category.PROFILE, purposes={P.SELF_SERVICE, P.RIGHTS_REQUEST},
        basis=LegalBasis.CONSENT, retention=RETAIN_ACCOUNT, mask=Mask.HIDDEN,
    )
    password_hash = personal(
        "登录密码(argon2id 散列)", "Password (argon2id hash)", Category.ACCOUNT, purposes={P.LOGIN},
        basis=LegalBasis.CONTRACT, retention=RETAIN_ACCOUNT, mask=Mask.HIDDEN,
    )
    totp_secret = personal(
        "员工二次验证密钥", "Staff two-factor secret", Category.ACCOUNT, purposes={P.SECURITY},
        basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_ACCOUNT, mask=Mask.HIDDEN, staff_only=True,
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SmsCode(Base):
    """A one-time code: only keyed hashes of the phone and the code are stored (the send limits are
    counted by `jidi.ratelimit`)."""

    __tablename__ = "sms_codes"
    __label__ = ("短信验证码", "SMS verification codes")
    __erase__ = "delete"
    # Kept a little past expiry, then deleted.
    __retention__ = Retained("sms_codes", "expired", Action.DELETE, "过期 10 分钟后删除", "Deleted 10 minutes after expiry",
                             clock="expires_at", period=dt.timedelta(minutes=10))
    __nonpersonal__ = ("id", "purpose", "code_hash", "attempts", "created_at", "expires_at", "used_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    phone_bidx = blind_index("phone")
    purpose: Mapped[str] = mapped_column(String(20))  # login | change_phone | lookup | family
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuthSession(Base):
    """A login: a cookie for pages or a bearer token for the API. Only the token's keyed hash is stored."""

    __tablename__ = "auth_sessions"
    __label__ = ("登录会话", "Login sessions")
    __erase__ = "delete"
    __retention__ = Retained("auth_sessions", "expired or revoked", Action.DELETE, "登录会话过期或注销后删除",
                             "Deleted once expired or logged out", clock=("expires_at", "revoked_at"), period=dt.timedelta(0))
    __nonpersonal__ = ("id", "user_id", "kind", "token_hash", "created_at", "expires_at", "revoked_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # web | api | staff
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WechatLink(Base):
    """A WeChat identity bound to an account: the de-identified OpenID/UnionID, profile only if authorised."""

    __tablename__ = "wechat_links"
    __label__ = ("微信绑定", "WeChat link")
    __erase__ = "delete"
    __subject__ = "user_id"
    __retention__ = PartOf("users", {"user_id": "id"})
    __nonpersonal__ = ("id", "user_id", "profile_authorised", "created_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    openid = personal(
        "微信 OpenID(去标识化)", "WeChat OpenID (de-identified)", Category.ACCOUNT, purposes={P.LOGIN, P.RIGHTS_REQUEST},
        basis=LegalBasis.CONSENT, retention=RETAIN_ACCOUNT, mask=Mask.HANDLE, blind_index="wechat_openid",
    )
    openid_bidx = blind_index("wechat_openid", unique=True)
    unionid = personal(
        "微信 UnionID(去标识化)", "WeChat UnionID (de-identified)", Category.ACCOUNT, purposes={P.LOGIN, P.RIGHTS_REQUEST},
        basis=LegalBasis.CONSENT, retention=RETAIN_ACCOUNT, mask=Mask.HANDLE,
    )
    nickname = personal(
        "微信昵称", "WeChat nickname", Category.PROFILE, purposes={P.SELF_SERVICE, P.RIGHTS_REQUEST},
        basis=LegalBasis.CONSENT, retention=RETAIN_ACCOUNT, mask=Mask.NAME,
    )
    avatar_url = personal(
        "微信头像", "WeChat avatar", Category.PROFILE, purposes={P.SELF_SERVICE, P.RIGHTS_REQUEST},
        basis=LegalBasis.CONSENT, retention=RETAIN_ACCOUNT, mask=Mask.HIDDEN,
    )
    profile_authorised: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
