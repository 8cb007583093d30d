"""SMS providers. The embedded default is the outbox: messages stay in the database, readable at /dev/outbox."""
from __future__ import annotations

from typing import Protocol


class SmsProvider(Protocol):
    name: str

    def deliver(self, phone: str, text: str) -> None:
        """Hand one message to the carrier; raise to have the job retried."""


class OutboxSms:
    """Delivers nowhere: the message row itself is the outbox a developer reads."""

    name = "outbox"

    def deliver(self, phone: str, text: str) -> None:
        return None


def provider_for(name: str) -> SmsProvider:
    if name == "outbox":
        return OutboxSms()
    raise ValueError(f"unknown SMS provider {name!r}")
