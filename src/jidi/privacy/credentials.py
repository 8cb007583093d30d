"""Secrets users hold: passwords (argon2id), one-time codes and session tokens (keyed HMAC), TOTP checks.

Argon2id parameters: 46 MiB, 1 pass, 1 lane — OWASP's first recommended setting (equivalent to 19 MiB with
2 passes). Memory, not passes, is what makes GPU guessing expensive; one pass keeps a hash near 50 ms, so a
2-core machine still serves a few dozen password logins a second (`make bench` reports it). SMS login, the
main way in, does not touch argon2 at all.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jidi.privacy.keys import KeyRing

_hasher = PasswordHasher(time_cost=1, memory_cost=46 * 1024, parallelism=1)
# Verified against when no account matches, so a wrong login name costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a password hash was made with other argon2 parameters than today's (then rehashed at login)."""
    return _hasher.check_needs_rehash(stored)


class Secrets:
    """Keyed hashes for short-lived secrets; the keys never leave the privacy core."""

    def __init__(self, keys: KeyRing):
        self._otp = keys.derived("otp")
        self._session = keys.derived("session")
        self._cookie = AESGCM(keys.derived("cookie"))

    def otp_hash(self, scope: bytes, code: str) -> bytes:
        return hmac.new(self._otp, scope + b"|" + code.encode(), hashlib.sha256).digest()

    def otp_matches(self, stored: bytes, scope: bytes, code: str) -> bool:
        return hmac.compare_digest(stored, self.otp_hash(scope, code))

    @staticmethod
    def new_code() -> str:
        return f"{secrets.randbelow(1_000_000):06d}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    def token_hash(self, token: str) -> bytes:
        return hmac.new(self._session, token.encode(), hashlib.sha256).digest()

    def seal_blob(self, purpose: str, data: dict[str, Any], ttl_seconds: int) -> str:
        """An opaque, encrypted and expiring token for a cookie (e.g. a WeChat login waiting to be bound)."""
        nonce = os.urandom(12)
        body = json.dumps({"exp": int(time.time()) + ttl_seconds, "d": data}).encode()
        return base64.urlsafe_b64encode(nonce + self._cookie.encrypt(nonce, body, purpose.encode())).decode()

    def open_blob(self, purpose: str, token: str | None) -> dict[str, Any] | None:
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            body = json.loads(self._cookie.decrypt(raw[:12], raw[12:], purpose.encode()))
        except (InvalidTag, ValueError):  # forged, cut or not base64: no blob
            return None
        data: dict[str, Any] = body["d"]
        return data if body.get("exp", 0) >= time.time() else None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name="jidi")


def totp_now(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def totp_ok(secret: str, code: str) -> bool:
    return pyotp.TOTP(secret).verify(code, valid_window=1)

