"""Callbacks signed as SMS gateways and virtual-number carriers sign them: headers `<prefix>-timestamp` (Unix seconds),
`<prefix>-nonce` and `<prefix>-signature` = hex HMAC-SHA256 under the secret shared with the provider, over
"timestamp\\nnonce\\nbody", accepted within `window` of our clock. A provider's class reads its own body after `verify`."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping


class InvalidCallback(ValueError):
    """A callback whose signature, time or body does not check: refused, and nothing of it is read further (a
    ValueError, so a feature handling callbacks need not import the provider module)."""


class SignedCallbacks:
    def __init__(self, prefix: str, secret: bytes, window: dt.timedelta, what: str):
        if len(secret) < 16:
            raise ValueError(f"{what} secret needs at least 16 bytes")
        self.TIMESTAMP, self.NONCE, self.SIGNATURE = f"{prefix}-timestamp", f"{prefix}-nonce", f"{prefix}-signature"
        self._secret, self.window = secret, window

    def _signature(self, timestamp: str, nonce: str, body: bytes) -> str:
        return hmac.new(self._secret, timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body, hashlib.sha256).hexdigest()

    def sign(self, body: bytes, now: dt.datetime, nonce: str | None = None) -> dict[str, str]:
        timestamp, nonce = str(int(now.timestamp())), nonce or secrets.token_hex(8)
        return {self.TIMESTAMP: timestamp, self.NONCE: nonce, self.SIGNATURE: self._signature(timestamp, nonce, body)}

    def verify(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> dt.datetime:
        """When the provider signed it, if the signature checks and the time is within the window; InvalidCallback
        otherwise (never saying more)."""
        h = {k.lower(): v for k, v in headers.items()}
        timestamp, nonce, signature = h.get(self.TIMESTAMP, ""), h.get(self.NONCE, ""), h.get(self.SIGNATURE, "")
        if not (timestamp.isdigit() and len(timestamp) <= 12 and 0 < len(nonce) <= 64 and len(signature) == 64):
            raise InvalidCallback("unsigned")
        if not hmac.compare_digest(signature.encode(), self._signature(timestamp, nonce, body).encode()):
            raise InvalidCallback("bad signature")
        sent = dt.datetime.fromtimestamp(int(timestamp), dt.timezone.utc)
        if abs(now - sent) > self.window:
            raise InvalidCallback("stale")
        return sent
