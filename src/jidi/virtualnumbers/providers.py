"""Virtual-number (隐私号, AXB) providers, in the shape of the carriers' number-privacy APIs (Aliyun 号码隐私保护
BindAxb / UnbindSubscription / 呼叫话单回执, and the like of China Mobile's and Huawei's):

* `bind(a, b, expiration, out_id)`: bind real number A (the courier) and B (the consumer) to a virtual number X from
  the pool, until `expiration`; `out_id` is our reference (the binding's id, never an order number or a phone). Either
  side calling X reaches the other; nobody else does. The answer is the provider's subscription id and X.
* `unbind(subs_id, secret_no)`: release it (idempotent: an unknown or already released subscription is no error).
* call records: after every call through X the provider POSTs a record to our callback, signed with the secret we
  share (`CallRecordCallbacks`). A record names the caller side (A or B), times and the release cause; whatever real
  numbers a provider's body carries are read by nobody: `parse` drops them before anything else sees the record.

The provider receives both real numbers: it is declared as a recipient in the share register (a processor acting for
us) by the feature, and every bind is recorded there. The simulator is the embedded default: it keeps its bindings in
memory only (as a carrier keeps them on its side), enforces the expiry and the AXB rule, and signs its call records as
a carrier would.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import threading
from collections.abc import Mapping
from typing import Protocol

from jidi.kit.signing import InvalidCallback, SignedCallbacks
from jidi.privacy import LegalBasis, Purpose, RecipientRole, recipient

_UTC = dt.timezone.utc

# The provider receives the consumer's real number with every bind (and the courier's, which the couriers feature, the
# owner of that number, shares under its own declaration): a processor acting for us, for delivery.
CARRIER = recipient(
    "virtual_number_carrier", "隐私号服务商(运营商号码隐私保护平台)", "Virtual-number provider (carrier number-privacy platform)",
    role=RecipientRole.PROCESSOR, purpose=Purpose.DELIVERY, basis=LegalBasis.CONTRACT,
    fields=("order_parties.phone",), phone_field="order_parties.phone",
)


class ProviderError(Exception):
    """The provider refused a request (its error code only: never a number in the message)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code




@dataclasses.dataclass(frozen=True)
class BindResult:
    subs_id: str    # the provider's id of the binding
    secret_no: str  # X, the virtual number (a number of the provider's pool, not anybody's own)


@dataclasses.dataclass(frozen=True)
class CallRecord:
    """One call through a virtual number, as our callback keeps it: no real number in it."""

    call_id: str
    subs_id: str
    out_id: str
    caller_side: str  # "A" (the courier) or "B" (the consumer)
    started_at: dt.datetime | None  # None: not answered
    released_at: dt.datetime
    outcome: str  # answered | no_answer | busy | failed

    @property
    def duration_seconds(self) -> int:
        return max(0, int((self.released_at - self.started_at).total_seconds())) if self.started_at else 0


OUTCOMES = ("answered", "no_answer", "busy", "failed")


class CallRecordCallbacks(SignedCallbacks):
    """Call-record callbacks signed as the carriers sign them: headers `X-Vn-Timestamp` (Unix seconds), `X-Vn-Nonce` and
    `X-Vn-Signature` = hex HMAC-SHA256 under the callback secret shared with the provider, over
    "timestamp\\nnonce\\nbody". Accepted within `window` of our clock; a replay carries the same call id (the receiver
    keeps one record per call id)."""

    def __init__(self, secret: bytes, window: dt.timedelta = dt.timedelta(minutes=5)):
        super().__init__("x-vn", secret, window, "a call-record callback")

    def parse(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> CallRecord:
        """The record of a callback whose signature checks; InvalidCallback otherwise (never saying more)."""
        self.verify(headers, body, now)
        try:
            data = json.loads(body)
            started = data.get("start_time")
            record = CallRecord(
                call_id=str(data["call_id"])[:64], subs_id=str(data["sub_id"])[:64], out_id=str(data["out_id"])[:64],
                caller_side=str(data["caller_side"]),
                started_at=dt.datetime.fromtimestamp(int(started), _UTC) if started is not None else None,
                released_at=dt.datetime.fromtimestamp(int(data["release_time"]), _UTC),
                outcome=str(data["release_cause"]),
            )
        except (ValueError, KeyError, TypeError, OverflowError, OSError):
            raise InvalidCallback("bad body") from None
        if not record.call_id or record.caller_side not in ("A", "B") or record.outcome not in OUTCOMES:
            raise InvalidCallback("bad body")
        return record


class VirtualNumberProvider(Protocol):
    name: str
    callbacks: CallRecordCallbacks  # how its call-record callbacks are checked

    def bind(self, phone_a: str, phone_b: str, expiration: dt.datetime, out_id: str) -> BindResult:
        """Bind A and B to a virtual number until `expiration`; ProviderError when refused (pool exhausted, bad number)."""

    def unbind(self, subs_id: str, secret_no: str) -> bool:
        """Release a binding; False when the provider no longer had it (expired on its side): no error."""

    def request_deletion(self, references: list[str]) -> None:
        """Ask the provider to delete what it keeps under these references (our out_ids): their subject was erased."""


@dataclasses.dataclass
class _SimBinding:
    subs_id: str
    a: str
    b: str
    x: str
    expiration: dt.datetime
    out_id: str


def _mobile(number: str) -> bool:
    return len(number) == 11 and number.isdigit() and number.startswith("1")


class SimulatedCarrier:
    """The embedded default and the tests' provider: a carrier's number-privacy platform in memory.

    Its pool is a block of 170-numbers (the virtual-operator segment carriers lease for privacy numbers). A number X is
    given to an A–B pair only when neither A nor B is bound on X already (the AXB rule), so a call to X from A or B
    always has one peer. Calls through X after the binding's expiration or release are refused, as a carrier plays
    "the number you dialled is not in service"."""

    name = "simulator"

    def __init__(self, callback_secret: bytes, pool_size: int = 200, clock=None):
        self.callbacks = CallRecordCallbacks(callback_secret)
        self.pool = [f"1700000{i:04d}" for i in range(pool_size)]
        self._bindings: dict[str, _SimBinding] = {}
        self._lock = threading.Lock()
        self._clock = clock or (lambda: dt.datetime.now(_UTC))
        self.deletion_requests: list[list[str]] = []

    # -- the API -------------------------------------------------------------------------------------------------
    def bind(self, phone_a: str, phone_b: str, expiration: dt.datetime, out_id: str) -> BindResult:
        if not (_mobile(phone_a) and _mobile(phone_b)):
            raise ProviderError("isv.INVALID_PHONE_NUMBER")
        if phone_a == phone_b:
            raise ProviderError("isv.SAME_PHONE_NUMBER")
        if expiration <= self._clock():
            raise ProviderError("isv.INVALID_EXPIRATION")
        with self._lock:
            self._expire()
            used = {(b.x, n) for b in self._bindings.values() for n in (b.a, b.b)}
            x = next((x for x in self.pool if (x, phone_a) not in used and (x, phone_b) not in used), None)
            if x is None:
                raise ProviderError("isv.NO_AVAILABLE_NUMBER")
            subs_id = "sim" + secrets.token_hex(8)
            self._bindings[subs_id] = _SimBinding(subs_id, phone_a, phone_b, x, expiration, out_id)
        return BindResult(subs_id, x)

    def unbind(self, subs_id: str, secret_no: str) -> bool:
        with self._lock:
            found = self._bindings.get(subs_id)
            if found is None or found.x != secret_no:
                return False
            del self._bindings[subs_id]
            return True

    def request_deletion(self, references: list[str]) -> None:
        self.deletion_requests.append(list(references))
        with self._lock:
            for key in [k for k, b in self._bindings.items() if b.out_id in set(references)]:
                del self._bindings[key]

    # -- the phone network, for demos and tests -------------------------------------------------------------------
    def _expire(self) -> None:
        now = self._clock()
        for key in [k for k, b in self._bindings.items() if b.expiration <= now]:
            del self._bindings[key]

    def active(self) -> int:
        with self._lock:
            self._expire()
            return len(self._bindings)

    def call(self, caller: str, dialled: str, *, answered: bool = True, seconds: int = 42) -> tuple[dict[str, str], bytes] | None:
        """Someone dials X: None when the call is refused (no live binding of X with the caller on it), else the signed
        call-record callback the carrier sends after the call (headers, body)."""
        now = self._clock()
        with self._lock:
            self._expire()
            found = next((b for b in self._bindings.values() if b.x == dialled and caller in (b.a, b.b)), None)
        if found is None:
            return None
        side = "A" if caller == found.a else "B"
        body = json.dumps({
            "call_id": "simcall" + secrets.token_hex(8), "sub_id": found.subs_id, "out_id": found.out_id,
            "secret_no": found.x, "phone_no": caller, "peer_no": found.b if side == "A" else found.a, "caller_side": side,
            "call_time": int(now.timestamp()), "start_time": int(now.timestamp()) if answered else None,
            "release_time": int(now.timestamp()) + (seconds if answered else 20),
            "release_cause": "answered" if answered else "no_answer",
        }).encode()
        return self.callbacks.sign(body, now), body
