"""SMS providers. The embedded default is the outbox: messages stay in the database, readable at /dev/outbox.

Whatever provider is configured, handing it a number and a text is a share with the SMS service provider, a
processor acting for us (JD-4.1): it is declared here and recorded in the share register on every delivery.
"""
from __future__ import annotations

from typing import Protocol

from jidi.privacy import LegalBasis, Purpose, RecipientRole, recipient

SMS_GATEWAY = recipient(
    "sms_gateway", "短信服务商", "SMS service provider", role=RecipientRole.PROCESSOR, purpose=Purpose.NOTIFICATION,
    basis=LegalBasis.CONTRACT, fields=("sms_outbox.phone", "sms_outbox.body"), phone_field="sms_outbox.phone",
)


class SmsProvider(Protocol):
    name: str

    def deliver(self, phone: str, text: str, reference: str) -> None:
        """Hand one message to the carrier under our reference for it; raise to have the job retried."""

    def request_deletion(self, references: list[str]) -> None:
        """Ask the provider to delete the messages it took under these references (their subject was erased)."""


class OutboxSms:
    """Delivers nowhere: the message row itself is the outbox a developer reads, and the erasure that asks for
    a deletion notice deletes that row itself."""

    name = "outbox"

    def deliver(self, phone: str, text: str, reference: str) -> None:
        return None

    def request_deletion(self, references: list[str]) -> None:
        return None


def provider_for(name: str) -> SmsProvider:
    if name == "outbox":
        return OutboxSms()
    raise ValueError(f"unknown SMS provider {name!r}")
