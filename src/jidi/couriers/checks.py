"""Background checks of couriers and drivers (CN-3.1.6b), in the shape of the common screening services: we send our
reference, the legal name and ID number (recorded in the share register: the provider is a declared recipient), the
provider answers later with a callback to our endpoint, signed with the secret we share with it:

    POST /api/v1/couriers/background-checks/callback
    Jidi-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
    {"reference": "<our reference>", "provider_ref": "<theirs>", "result": "passed" | "failed"}

The simulator of the embedded default and tests behaves as the service would: it accepts the request, keeps only the
references (never the name or number), and calls back signed; an ID number on its "record list" fails, any other
passes. A forged or replayed callback is refused (401) and changes nothing.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import Protocol

from jidi.privacy import LegalBasis, Purpose, RecipientRole, recipient

HEADER = "Jidi-Signature"
TOLERANCE = 300  # seconds: an older signature is a replay

BACKGROUND_CHECKS = recipient(
    "courier_background_checks", "背景审查服务机构(快递员/司机)", "Background-check provider (couriers and drivers)",
    role=RecipientRole.THIRD_PARTY, purpose=Purpose.SECURITY, basis=LegalBasis.LEGAL_OBLIGATION,
    fields=("courier_workers.legal_name", "courier_workers.id_number"),
)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str | None, body: bytes, now: float) -> bool:
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > TOLERANCE:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body).split("v1=", 1)[1], parts.get("v1", ""))


class CheckProvider(Protocol):
    name: str

    def request(self, reference: str, legal_name: str, id_number: str) -> str:
        """Ask for a check; returns the provider's own reference. The result comes later, by signed callback."""

    def request_deletion(self, references: list[str]) -> None:
        """Delete what was received under these references (a deletion notice of the share register)."""


class SimulatedChecks:
    """The provider of the embedded default: answers every request with a signed callback through `deliver`
    (our callback endpoint's handler), as soon as `complete` is called (at once after each request by default)."""

    name = "simulated"

    def __init__(self, secret: Callable[[], str], deliver: Callable[[bytes, str], object] | None = None, *,
                 record_list: frozenset[str] = frozenset(), immediate: bool = True):
        self._secret = secret
        self.deliver = deliver
        self.record_list = record_list  # ID numbers with a disqualifying record
        self.immediate = immediate
        self.pending: dict[str, tuple[str, str]] = {}  # our reference -> (their reference, result)
        self.deleted: list[str] = []

    def request(self, reference: str, legal_name: str, id_number: str) -> str:
        provider_ref = "bg-" + secrets.token_hex(8)
        self.pending[reference] = (provider_ref, "failed" if id_number in self.record_list else "passed")
        return provider_ref

    def callback(self, reference: str) -> tuple[bytes, str]:
        """The signed callback the service would POST for a reference: (body, signature header)."""
        provider_ref, result = self.pending[reference]
        body = json.dumps({"reference": reference, "provider_ref": provider_ref, "result": result}).encode()
        return body, sign(self._secret(), int(time.time()), body)

    def complete(self, reference: str) -> None:
        if reference in self.pending and self.deliver is not None:
            body, header = self.callback(reference)
            self.pending.pop(reference)
            self.deliver(body, header)

    def request_deletion(self, references: list[str]) -> None:
        self.deleted += references
