"""The share register: every handing-over of personal data to another organisation, with its recipient, purpose,
legal basis and fields (JD-4.2a), and the deletion notices sent to those recipients when the data's subject is
erased (JD-6.3.1c, CN-8.2.2).

A feature that hands personal data to another party declares that party once as a `Recipient` — who it is, whether
it processes for us (a processor under a written agreement, JD-4.1) or on its own account, for which purpose, on
which basis, and the catalog fields it may receive — and opens the values for it only through
`ShareRegister.disclose`. That refuses any field outside the declaration or the field's catalog purposes
(JD-4.2b) and writes the register record in the caller's transaction, so nothing leaves unrecorded.

**Cross-border** (JD-8.2, CN-6.1b, PIPL arts. 38-39, A20): a share to a recipient outside mainland China is refused
unless a reviewed transfer covering that recipient and country is declared (`JIDI_CROSS_BORDER_TRANSFERS`, read at
each such share) *and* the subject's separate consent to cross-border transfer (`Separate.CROSS_BORDER`) is live in
the consent ledger: `UndeclaredShare` for the first, `CrossBorderConsentRequired` (a `ConsentRequired`: 403
`consent_required`) for the second. Nothing is recorded and nothing leaves.

The register holds no personal data: the subject as the audit log's keyed pseudonym, the fields by catalog key,
and the reference the recipient knows the data by (our message id, never a phone number). Deletion notices carry
only those references.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from jidi.db import id_batches, is_postgresql, one_of
from jidi.events import Event, handles
from jidi.privacy import residency
from jidi.privacy.catalog import Catalog, FieldSpec, LegalBasis, Purpose, Separate, Topic
from jidi.privacy.models import ShareRecord
from jidi.privacy.values import Personal
from jidi.privacy.vault import ConsentRequired, PurposeNotAllowed

CHINA = dt.timezone(dt.timedelta(hours=8))


class RecipientRole(enum.Enum):
    PROCESSOR = "processor"      # acts only for us, within a written mandate (受托处理者)
    THIRD_PARTY = "third_party"  # receives the data for a service of its own (第三方)


ROLE_LABELS = {
    RecipientRole.PROCESSOR: ("受托处理者", "Processor acting for us"),
    RecipientRole.THIRD_PARTY: ("第三方", "Third party"),
}


@dataclasses.dataclass(frozen=True)
class Recipient:
    key: str
    name_zh: str
    name_en: str
    role: RecipientRole
    purpose: Purpose
    basis: LegalBasis
    fields: frozenset[str]  # catalog keys ("table.column") it may receive, and nothing else
    phone_field: str | None  # the field among them holding the person's phone number, if any
    # Where it receives and keeps the data: ISO 3166-1 alpha-2, "CN" for mainland China (HK, MO and TW are outside it).
    # Outside mainland China only with a declared cross-border transfer (jidi.privacy.residency).
    country: str = "CN"

    @property
    def label(self) -> tuple[str, str]:
        """(Chinese, English), as the catalog's labels."""
        return self.name_zh, self.name_en


# Every recipient any feature declared (`recipient()`); the third-party sharing list is generated from it.
RECIPIENTS: dict[str, Recipient] = {}


def recipient(key: str, name_zh: str, name_en: str, *, role: RecipientRole, purpose: Purpose, basis: LegalBasis,
              fields: Iterable[str], phone_field: str | None = None, country: str = "CN") -> Recipient:
    """Declare a recipient of personal data (at import time, next to the code that shares with it)."""
    if key in RECIPIENTS:
        raise ValueError(f"recipient {key!r} is declared twice")
    declared = Recipient(key, name_zh, name_en, role, purpose, basis, frozenset(fields), phone_field, country.upper())
    RECIPIENTS[key] = declared
    return declared


class DeletionChannel(Protocol):
    def request_deletion(self, references: list[str]) -> None:
        """Ask the recipient to delete what it received under these references; raise to have it retried."""


class UndeclaredShare(Exception):
    """A field was about to leave for a recipient that is not declared to receive it (or abroad, with no reviewed
    transfer declared for it)."""


class CrossBorderConsentRequired(ConsentRequired):
    """Data was about to leave mainland China without the subject's live separate consent to it (PIPL art. 39)."""

    def __init__(self, spec: FieldSpec, purpose: Purpose):
        super().__init__(spec, purpose)
        self.args = (f"{spec.key} may not go abroad for '{purpose.value}': the subject's separate consent to cross-border "
                     "transfer is not live",)


@dataclasses.dataclass(frozen=True)
class ShareSummary:
    """What one recipient received about a person, for "my data" and the erasure preview."""

    recipient: Recipient
    fields: tuple[FieldSpec, ...]
    records: int
    first: dt.datetime
    last: dt.datetime
    deletion_asked: int
    deletion_notified: int


@dataclasses.dataclass(frozen=True)
class RecipientTotals:
    recipient: Recipient
    fields: tuple[FieldSpec, ...]  # what it may receive
    shares: int
    notices_pending: int
    notices_sent: int


class ShareRegister:
    def __init__(self, catalog: Catalog, pseudonym: Callable[[uuid.UUID], str], blind_index: Callable[[str, str], bytes],
                 channels: Mapping[str, DeletionChannel], *,
                 transfers: Callable[[], Sequence[residency.Transfer]] = lambda: (),
                 consent_live: Callable[[Session, uuid.UUID, Topic], bool] | None = None):
        self.catalog = catalog
        self._pseudonym = pseudonym
        self._blind_index = blind_index
        self.channels = dict(channels)
        self._transfers = transfers          # the declared, reviewed cross-border transfers (settings)
        self._consent_live = consent_live    # the consent ledger's live check (jidi.privacy.consent)

    def problems(self) -> list[str]:
        """Declarations that cannot work: unknown fields, a purpose a field does not allow, no deletion channel."""
        out = []
        for r in RECIPIENTS.values():
            for key in sorted(r.fields):
                spec = self.catalog.fields.get(key)
                if spec is None:
                    out.append(f"{r.key}: {key} is not a personal field of the catalog")
                elif not spec.allows(r.purpose):
                    out.append(f"{r.key}: the catalog does not allow {key} for {r.purpose.value}")
            if r.phone_field and r.phone_field not in r.fields:
                out.append(f"{r.key}: its phone field {r.phone_field} is not among its fields")
            if r.key not in self.channels:
                out.append(f"{r.key}: no channel to send deletion notices to")
        return out

    # -- sharing ----------------------------------------------------------------------------------------------
    def disclose(self, session: Session, to: Recipient, values: Sequence[Personal], *, reference: str,
                 now: dt.datetime) -> list[str]:
        """The plaintexts to hand to `to`, after recording the share in this transaction."""
        subjects = {v._row_ref[0] for v in values if v._row_ref}
        if len(subjects) != 1:
            raise UndeclaredShare("one share carries the data of exactly one subject")
        for v in values:
            if v.spec.key not in to.fields:
                raise UndeclaredShare(f"{to.key} is not declared to receive {v.spec.key}")
            if not v.spec.allows(to.purpose):
                raise PurposeNotAllowed(v.spec, to.purpose)
        if residency.abroad(to.country):
            self._check_transfer(session, to, values[0], uuid.UUID(next(iter(subjects))), now)
        phone = next((v._plain for v in values if v.spec.key == to.phone_field), None)
        session.add(ShareRecord(
            id=uuid.uuid4(), recipient=to.key, subject=self._pseudonym(uuid.UUID(subjects.pop())),
            phone_bidx=self._blind_index("phone", phone) if phone else None,
            fields=",".join(sorted({v.spec.key for v in values})), purpose=to.purpose.value, basis=to.basis.value,
            reference=reference, shared_at=now,
        ))
        return [v._plain for v in values]

    def _check_transfer(self, session: Session, to: Recipient, value: Personal, subject: uuid.UUID, now: dt.datetime) -> None:
        """A share abroad: a reviewed transfer declared for this recipient and country, and the subject's live separate
        consent to cross-border transfer (checked in this transaction, so a withdrawal that committed stops it)."""
        if not residency.declared(self._transfers(), to.key, to.country, now.astimezone(CHINA).date()):
            raise UndeclaredShare(f"{to.key} is in {to.country}: no reviewed cross-border transfer is declared for it")
        if self._consent_live is None or not self._consent_live(session, subject, Separate.CROSS_BORDER):
            raise CrossBorderConsentRequired(value.spec, to.purpose)

    def _of_person(self, subject_ids: Iterable[uuid.UUID], identifiers: Mapping[str, set[bytes]], pg: bool) -> Iterator[ColumnElement[bool]]:
        """WHERE clauses (one statement each) for a person's shares: under their subjects, or their phone numbers."""
        R = ShareRecord
        for batch in id_batches([self._pseudonym(sid) for sid in dict.fromkeys(subject_ids)], pg):
            yield one_of(R.subject, batch, pg)
        for indexes in id_batches(list(identifiers.get("phone", ())), pg):
            yield one_of(R.phone_bidx, indexes, pg)

    def summary(self, session: Session, subject_ids: Iterable[uuid.UUID],
                identifiers: Mapping[str, set[bytes]]) -> list[ShareSummary]:
        """Per recipient: what the person's data was shared for, how often, and whether deletion was asked."""
        R = ShareRecord
        where = list(self._of_person(subject_ids, identifiers, is_postgresql(session)))
        if not where:
            return []
        rows = session.execute(
            select(R.recipient, R.fields, func.count(), func.min(R.shared_at), func.max(R.shared_at),
                   func.count(R.deletion_asked_at), func.count(R.deletion_notified_at))
            .where(or_(*where)).group_by(R.recipient, R.fields))
        grouped: dict[str, dict[str, Any]] = {}
        for key, fields, n, first, last, asked, notified in rows:
            g = grouped.setdefault(key, {"fields": set(), "n": 0, "first": first, "last": last, "asked": 0, "notified": 0})
            g["fields"].update(fields.split(","))
            g["n"], g["asked"], g["notified"] = g["n"] + n, g["asked"] + asked, g["notified"] + notified
            g["first"], g["last"] = min(g["first"], first), max(g["last"], last)
        return [ShareSummary(RECIPIENTS[key], tuple(self.catalog.fields[f] for f in sorted(g["fields"])), g["n"], g["first"],
                             g["last"], g["asked"], g["notified"])
                for key, g in sorted(grouped.items()) if key in RECIPIENTS]

    # -- deletion -----------------------------------------------------------------------------------------------
    def ask_deletion(self, session: Session, subject_ids: Iterable[uuid.UUID], identifiers: Mapping[str, set[bytes]],
                     now: dt.datetime) -> dict[str, int]:
        """Mark everything shared about the person for a deletion notice (sent after the commit by
        `send_deletion_notices`) and drop the phone hashes, no longer needed; returns how many records per recipient."""
        R = ShareRecord
        asked: dict[str, int] = {}
        where = list(self._of_person(subject_ids, identifiers, is_postgresql(session)))
        if where:
            marked = session.execute(update(R).where(or_(*where), R.deletion_asked_at.is_(None))
                                     .values(deletion_asked_at=now, phone_bidx=None).returning(R.recipient)).scalars()
            for key in marked:
                asked[key] = asked.get(key, 0) + 1
        return asked

    def send_deletion_notices(self, uow: Callable[[], AbstractContextManager[Session]], now: dt.datetime,
                              batch: int = 500) -> int:
        """Tell each recipient to delete what it was asked to; a batch is marked notified only once its recipient
        has taken the notice, so a failure leaves it for the retry. Returns how many records were notified."""
        R = ShareRecord
        notified = 0
        while True:
            with uow() as s:
                rows = s.execute(
                    select(R.id, R.recipient, R.reference)
                    .where(R.deletion_asked_at.is_not(None), R.deletion_notified_at.is_(None))
                    .order_by(R.recipient, R.id).limit(batch).with_for_update(skip_locked=True)).all()
                if not rows:
                    return notified
                for key, group in itertools.groupby(rows, key=lambda row: row.recipient):
                    self.channels[key].request_deletion([row.reference for row in group])
                s.execute(update(R).where(one_of(R.id, [row.id for row in rows], is_postgresql(s)))
                          .values(deletion_notified_at=now))
            notified += len(rows)

    def overview(self, session: Session) -> list[RecipientTotals]:
        """The register at a glance for the privacy officer: per declared recipient, shares and deletion notices."""
        R = ShareRecord
        rows = {key: rest for key, *rest in session.execute(
            select(R.recipient, func.count(), func.count(R.deletion_asked_at), func.count(R.deletion_notified_at))
            .group_by(R.recipient))}
        out = []
        for key, r in sorted(RECIPIENTS.items()):
            n, asked, notified = rows.get(key, (0, 0, 0))
            out.append(RecipientTotals(r, tuple(self.catalog.fields[f] for f in sorted(r.fields)), n, asked - notified, notified))
        return out

    def pending_notices(self, session: Session, subject_ids: Iterable[uuid.UUID]) -> int:
        R = ShareRecord
        where = list(self._of_person(subject_ids, {}, is_postgresql(session)))
        if not where:
            return 0
        return session.scalar(select(func.count()).select_from(R).where(
            or_(*where), R.deletion_asked_at.is_not(None), R.deletion_notified_at.is_(None))) or 0


__all__ = ["CrossBorderConsentRequired", "DeletionChannel", "RECIPIENTS", "ROLE_LABELS", "Recipient", "RecipientRole", "RecipientTotals", "ShareRegister", "ShareSummary",
           "UndeclaredShare", "recipient"]


@handles("shares.deletion_asked", "privacy.share_deletion_notices", own_transactions=True)
def _send_deletion_notices(container: Any, session: Session, event: Event) -> None:
    """Ask every recipient to delete what it took of the erased subjects (JD-6.3.1c); a recipient that is down
    leaves its notices pending for the event's retry (and the 15-minute housekeeping)."""
    container.shares.send_deletion_notices(container.uow, container.clock())
