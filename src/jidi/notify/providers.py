"""SMS providers. The embedded default is the outbox: messages stay in the database, readable at /dev/outbox.

Whatever provider is configured, handing it a number and a text is a share with the SMS service provider, a
processor acting for us (JD-4.1): it is declared here and recorded in the share register on every delivery.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from collections.abc import Mapping
from typing import Protocol

from jidi.kit.signing import InvalidCallback
from jidi.kit.signing import SignedCallbacks as _Signed
from jidi.privacy import LegalBasis, Purpose, RecipientRole, recipient

SMS_GATEWAY = recipient(
    "sms_gateway", "短信服务商", "SMS service provider", role=RecipientRole.PROCESSOR, purpose=Purpose.NOTIFICATION,
    basis=LegalBasis.CONTRACT, fields=("sms_outbox.phone", "sms_outbox.body"), phone_field="sms_outbox.phone",
)


# -- inbound messages (replies to our SMS) ---------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class InboundSms:
    """A text a person sent to our number, as the carrier hands it over: the sender's number and the text exactly as
    typed (any case, width or spacing), the gateway's id for it (replays carry the same id) and when it was received."""

    message_id: str
    sender: str
    text: str
    received_at: dt.datetime

    def __repr__(self) -> str:  # never the number or the text in a log or traceback
        return f"InboundSms(message_id={self.message_id!r})"




class SignedCallbacks(_Signed):
    """Inbound-SMS callbacks signed as SMS gateways sign them: the gateway sends headers `X-Sms-Timestamp` (Unix
    seconds), `X-Sms-Nonce` and `X-Sms-Signature` = hex HMAC-SHA256 under the callback secret the gateway and we
    share, over "timestamp\nnonce\nbody". A callback is accepted within `window` of our clock; a replay within the
    window carries the same message id (the caller ignores a message id it has already handled)."""

    def __init__(self, secret: bytes, window: dt.timedelta = dt.timedelta(minutes=5)):
        super().__init__("x-sms", secret, window, "an SMS callback")

    def parse(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> InboundSms:
        """The message of a callback whose signature checks; InvalidCallback otherwise (never saying more)."""
        sent = self.verify(headers, body, now)
        try:
            data = json.loads(body)
            message = InboundSms(str(data["message_id"])[:64], str(data["from"])[:32], str(data["text"])[:500], sent)
        except (ValueError, KeyError, TypeError):
            raise InvalidCallback("bad body") from None
        if not message.message_id:
            raise InvalidCallback("bad body")
        return message


class CarrierSimulator:
    """The embedded default's stand-in for the carrier: a reply typed on a phone arrives as the gateway would send it
    (JSON body with the gateway's message id, the sender's number and the text untouched, signed as above)."""

    def __init__(self, callbacks: SignedCallbacks):
        self.callbacks = callbacks

    def reply(self, sender: str, text: str, now: dt.datetime) -> tuple[dict[str, str], bytes]:
        digits = "".join(ch for ch in sender if ch.isdigit())
        if len(digits) == 11 and digits.startswith("1"):
            sender = "+86" + digits  # gateways name the sender in E.164
        body = json.dumps({"message_id": "sim-" + secrets.token_hex(12), "from": sender, "text": text,
                           "received_at": int(now.timestamp())}, ensure_ascii=False).encode()
        return self.callbacks.sign(body, now), body


class SmsProvider(Protocol):
    name: str
    # Where the provider's inbound callbacks (replies to our messages) are checked: its signature scheme and secret.
    inbound: SignedCallbacks

    def deliver(self, phone: str, text: str, reference: str) -> None:
        """Hand one message to the carrier under our reference for it; raise to have the job retried."""

    def request_deletion(self, references: list[str]) -> None:
        """Ask the provider to delete the messages it took under these references (their subject was erased)."""


class OutboxSms:
    """Delivers nowhere: the message row itself is the outbox a developer reads, and the erasure that asks for
    a deletion notice deletes that row itself."""

    name = "outbox"

    def __init__(self, callback_secret: bytes | None = None):
        # No carrier, so no shared secret: one made per process signs and checks the simulator's replies.
        self.inbound = SignedCallbacks(callback_secret or secrets.token_bytes(32))
        self.carrier = CarrierSimulator(self.inbound)

    def deliver(self, phone: str, text: str, reference: str) -> None:
        return None

    def request_deletion(self, references: list[str]) -> None:
        return None


def provider_for(name: str) -> SmsProvider:
    if name == "outbox":
        return OutboxSms()
    raise ValueError(f"unknown SMS provider {name!r}")
