"""Signing webhook bodies, as payment gateways do: the header `Jidi-Signature: t=<unix seconds>,v1=<hex>` where the
hex is HMAC-SHA256(secret, "<t>." + body). A receiver recomputes it over the exact bytes it received, compares in
constant time, and refuses a timestamp more than TOLERANCE seconds from its own clock (a replayed request)."""
from __future__ import annotations

import hashlib
import hmac

HEADER = "Jidi-Signature"
TOLERANCE = 300  # seconds


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: int = TOLERANCE) -> bool:
    """Whether a received body carries a valid signature made within the replay window."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
