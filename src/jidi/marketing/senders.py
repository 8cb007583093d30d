"""Handing a marketing message over, one channel each. The job that sends has checked the live consent just before
(jidi.marketing.service.send_batch); a sender only opens the address for its channel's purpose and records the share.

The SMS goes to the configured SMS provider (container.sms); e-mail, push and calls go to simulated gateways in this
build (they keep only our references, never an address), each declared as a recipient (a processor acting for us).
"""
from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from jidi.marketing.channels import Channel
from jidi.marketing.models import InboxMessage, PushDevice
from jidi.privacy import LegalBasis, Purpose, RecipientRole, recipient

SMS_MARKETING = recipient(
    "sms_gateway_marketing", "短信服务商(营销短信)", "SMS service provider (marketing SMS)", role=RecipientRole.PROCESSOR,
    purpose=Purpose.MARKETING_SMS, basis=LegalBasis.CONSENT, fields=("users.phone",), phone_field="users.phone",
)
CALL_CENTRE = recipient(
    "call_centre_marketing", "外呼服务商(营销电话)", "Call centre (marketing calls)", role=RecipientRole.PROCESSOR,
    purpose=Purpose.MARKETING_CALL, basis=LegalBasis.CONSENT, fields=("users.phone",), phone_field="users.phone",
)
EMAIL_SERVICE = recipient(
    "email_service_marketing", "邮件服务商(营销邮件)", "E-mail service provider (marketing e-mail)", role=RecipientRole.PROCESSOR,
    purpose=Purpose.MARKETING_EMAIL, basis=LegalBasis.CONSENT, fields=("users.email",),
)
PUSH_SERVICE = recipient(
    "push_service_marketing", "推送服务商(营销推送)", "Push service provider (marketing push)", role=RecipientRole.PROCESSOR,
    purpose=Purpose.MARKETING_PUSH, basis=LegalBasis.CONSENT, fields=("marketing_push_devices.token",),
)


class Sender(Protocol):
    def send(self, s: Session, user_id: uuid.UUID, campaign_id: uuid.UUID, text: str, reference: str, now: dt.datetime) -> bool:
        """Hand one message over; False when the account has no address on this channel (nothing is sent)."""


class SimulatedGateway:
    """A gateway of this build that delivers nowhere: it counts what it took, by our reference only."""

    def __init__(self, name: str):
        self.name = name
        self.taken: list[str] = []

    def deliver(self, address: str, text: str, reference: str) -> None:
        self.taken.append(reference)

    def request_deletion(self, references: list[str]) -> None:
        return None


class _Shared:
    """A channel whose address lives in another table: opened through the declared recipient, handed to `gateway`."""

    def __init__(self, c, to, gateway, address):
        self.c, self.to, self.gateway, self.address = c, to, gateway, address

    def send(self, s, user_id, campaign_id, text, reference, now) -> bool:
        value = self.address(s, user_id)
        if value is None or not value.readable:
            return False
        (plain,) = self.c.shares.disclose(s, self.to, [value], reference=reference, now=now)
        self.gateway.deliver(plain, text, reference)
        return True


class _Push:
    def __init__(self, c, gateway):
        self.c, self.gateway = c, gateway

    def send(self, s, user_id, campaign_id, text, reference, now) -> bool:
        devices = s.scalars(select(PushDevice).where(PushDevice.user_id == user_id)).all()
        for d in devices:
            (token,) = self.c.shares.disclose(s, PUSH_SERVICE, [d.token], reference=reference, now=now)
            self.gateway.deliver(token, text, reference)
        return bool(devices)


class _Inbox:
    def send(self, s, user_id, campaign_id, text, reference, now) -> bool:
        s.add(InboxMessage(id=uuid.uuid4(), user_id=user_id, campaign_id=campaign_id, created_at=now))
        return True


def new_push_token() -> str:
    """A simulated device token, as a push service would issue one to an app install."""
    return "sim-" + secrets.token_hex(16)


def gateways(c) -> dict[str, SimulatedGateway]:
    """The simulated gateways, registered as where each recipient's deletion notices go (beside the SMS gateway's)."""
    made = {name: SimulatedGateway(name) for name in ("call", "email", "push")}
    c.shares.channels.update({SMS_MARKETING.key: c.sms, CALL_CENTRE.key: made["call"],
                              EMAIL_SERVICE.key: made["email"], PUSH_SERVICE.key: made["push"]})
    return made


def build(c, made: dict[str, SimulatedGateway]) -> dict[Channel, Sender]:
    return {
        Channel.SMS: _Shared(c, SMS_MARKETING, c.sms, c.accounts.phone),
        Channel.CALL: _Shared(c, CALL_CENTRE, made["call"], c.accounts.phone),
        Channel.EMAIL: _Shared(c, EMAIL_SERVICE, made["email"], c.accounts.email),
        Channel.PUSH: _Push(c, made["push"]),
        Channel.IN_APP: _Inbox(),
    }
