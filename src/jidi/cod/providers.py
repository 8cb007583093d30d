"""The payout channel: transfers to a sender's bound bank account (a bank's or UnionPay's 代付 service).

Handing it the holder's name, the account number and the branch is a share with a processor acting for us: declared
here, recorded in the share register on every payout. The interface has the shape of such services: a request with
our reference (the payout id, so a retried request is not paid twice), the amount in fen and the payee; an answer
with the channel's serial, or a refusal code. The simulator signs its answers (HMAC-SHA256 over reference, amount and
serial), refuses what a bank refuses (a card number failing its check digit, a non-positive amount) and answers a
repeated reference with the first serial, as production does.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from typing import Protocol

from stdnum import luhn

from jidi.privacy import LegalBasis, Purpose, RecipientRole, recipient

PAYOUT_BANK = recipient(
    "cod_payout_bank", "代付通道(打款至绑定银行卡)", "Payout channel (transfers to the bound bank account)",
    role=RecipientRole.PROCESSOR, purpose=Purpose.PAYMENT, basis=LegalBasis.CONTRACT,
    fields=("cod_accounts.holder_name", "cod_accounts.account_number", "cod_accounts.branch"),
)


class PayoutRefused(Exception):
    """The channel refused the transfer; `code` says why (no personal data)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclasses.dataclass(frozen=True)
class Transfer:
    reference: str
    amount_fen: int
    serial: str
    signature: str


class PayoutChannel(Protocol):
    def transfer(self, reference: str, amount_fen: int, holder: str, account: str, branch: str) -> Transfer: ...

    def request_deletion(self, references: list[str]) -> None: ...


class SimulatedPayoutChannel:
    """Behaves as the real channel would, without moving money."""

    def __init__(self, key: bytes | None = None):
        self._key = key or secrets.token_bytes(32)
        self.transfers: dict[str, Transfer] = {}
        self.deletion_requests: list[str] = []

    def _sign(self, reference: str, amount_fen: int, serial: str) -> str:
        return hmac.new(self._key, f"{reference}\n{amount_fen}\n{serial}".encode(), hashlib.sha256).hexdigest()

    def verify(self, t: Transfer) -> bool:
        return hmac.compare_digest(t.signature, self._sign(t.reference, t.amount_fen, t.serial))

    def transfer(self, reference: str, amount_fen: int, holder: str, account: str, branch: str) -> Transfer:
        if reference in self.transfers:
            return self.transfers[reference]  # idempotent by our reference
        if amount_fen <= 0:
            raise PayoutRefused("invalid_amount")
        if not (account.isdigit() and luhn.is_valid(account)) or not holder or not branch:
            raise PayoutRefused("invalid_payee")
        serial = "PO" + secrets.token_hex(10).upper()
        t = Transfer(reference, amount_fen, serial, self._sign(reference, amount_fen, serial))
        self.transfers[reference] = t
        return t

    def request_deletion(self, references: list[str]) -> None:
        self.deletion_requests += references
