"""A person's acceptance of a policy version, in the consent ledger of the privacy core (jidi.privacy.consent), and
the policy this feature publishes as the ledger's policy source.

`LedgerPolicySource` is what the consent engine asks for "the privacy policy now" (login records its acceptance
with the exact text of the person's language): the version in effect, as this feature generates and publishes it.
`LedgerAcceptance` records an acceptance on a notice as a ledger grant of `Agreement.PRIVACY_POLICY` with that
version's exact text, and reads the acceptances back from the ledger.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

from jidi.privacy import Agreement, Notice

if TYPE_CHECKING:
    from jidi.policy.service import Policies, Shown

# A notice's acceptance: "web:notice" → ("page", "notice"), "api" → ("api", "/policy/accept").
_HOW = {"web:notice": ("page", "policy-notice"), "api": ("api", "/policy/accept")}


class PolicyAcceptance(Protocol):
    def accept(self, session: Session, user_id: uuid.UUID, shown: Shown, locale: str, how: str) -> None:
        """Record that the person accepted this version, shown in `locale`, and how ("web:notice", "api")."""

    def accepted(self, session: Session, user_id: uuid.UUID) -> list[tuple[str, dt.datetime]]:
        """Every acceptance of a policy version by the person: (version, when), oldest first."""


class LedgerAcceptance:
    """PolicyAcceptance on the consent ledger."""

    def __init__(self, container):
        self.c = container

    def accept(self, session: Session, user_id: uuid.UUID, shown: Shown, locale: str, how: str) -> None:
        kind, ref = _HOW.get(how, ("page", how))
        self.c.consents.record_grant(session, user_id, Agreement.PRIVACY_POLICY, Notice(shown.version, shown.text(locale)),
                                     how=kind, how_ref=ref)

    def accepted(self, session: Session, user_id: uuid.UUID) -> list[tuple[str, dt.datetime]]:
        return [(e.version, e.at) for e in self.c.consents.history(session, user_id, Agreement.PRIVACY_POLICY)
                if e.live]


class LedgerPolicySource:
    """The consent engine's policy source (jidi.privacy.consent.PolicySource): the version in effect and its text."""

    def __init__(self, policies: Policies):
        self.policies = policies

    def current(self, locale: str, session: Session | None = None) -> Notice:
        shown = self.policies.current(session)
        return Notice(shown.version, shown.text(locale))
