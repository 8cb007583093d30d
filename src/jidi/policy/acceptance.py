"""How a person's acceptance of a policy version is recorded: one small interface, so that the consent ledger of the
privacy core (issue 11, being built beside this) can take it over at merge by implementing the same two methods.

Today's implementation writes the accounts feature's consent rows (kind `privacy_policy`, the rows login writes for
`JIDI_POLICY_VERSION`), through the accounts service. Those rows hold no text hash: the version's hash is in
`policy_versions`, and `Policies.accept` refuses a hash that is not the version's, so the version named proves the
text accepted.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol

from sqlalchemy.orm import Session

KIND = "privacy_policy"


class PolicyAcceptance(Protocol):
    def accept(self, session: Session, user_id: uuid.UUID, version: str, text_hash: str, how: str) -> None:
        """Record that the person accepted this version (whose exact text hashes to `text_hash`), and how: the page
        or API call (e.g. "web:notice", "api")."""

    def accepted(self, session: Session, user_id: uuid.UUID) -> list[tuple[str, dt.datetime]]:
        """Every acceptance of a policy version by the person: (version, when), oldest first."""


class AccountsConsentAcceptance:
    """PolicyAcceptance on the accounts feature's consent records."""

    def __init__(self, container):
        self.c = container

    def accept(self, session: Session, user_id: uuid.UUID, version: str, text_hash: str, how: str) -> None:
        self.c.accounts.record_consent(session, user_id, KIND, version, how)

    def accepted(self, session: Session, user_id: uuid.UUID) -> list[tuple[str, dt.datetime]]:
        return self.c.accounts.consents(session, user_id, KIND)
