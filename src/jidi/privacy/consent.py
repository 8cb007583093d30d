"""The consent engine: legal bases per use, the consent ledger, proof of consent, withdrawal (PIPL arts. 13-17, 23,
25, 29, 39; JD-1.5, JD-4.2d, JD-6.4.3b, ZK-1.5.1).

**Legal bases.** Every use of a personal field rests on one basis: `FieldSpec.basis_for(purpose)` (the catalog:
the field's own `bases=`, else the purpose's usual one, `PURPOSE_BASIS`). `jidi.privacy.open(value, for_=purpose,
actor=...)` opens a value for a use on consent only while its subject's consent to that purpose is live, and raises
`ConsentRequired` (jidi.privacy.vault; a `PurposeNotAllowed`: 403 `consent_required` in the API) otherwise; an
opening that is audited records the basis it rested on in the audit record (`AuditRecord.basis`). The check asks the
ledger once per subject and topic per transaction (`open_all` of many subjects: one query); a transaction that
records a consent event asks again, and one that starts after a withdrawal committed sees it.

**A child's consents** (JD-7.1b, CN-10.2b, ZK-6.2). A subject whose guardian's consent (`Separate.SENSITIVE_MINOR`,
recorded by jidi.guardians) is in the ledger is a child: a use on consent or a separate consent is live for them only
if their guardian gave it (how "guardian") while the guardian's own consent is live; `grant`/`record_grant` refuse a
child's own consent (`consent_by_guardian`, 403). So a child's data is opened only for the uses the policy declares,
which the guardian agreed to, and for what the guardian explicitly agreed to besides.

**Topics.** What a consent is about (`Topic`): a purpose whose basis is consent (`Purpose.MARKETING_SMS` … one per
channel), a separate consent (`Separate`: sensitive data, another processor, public disclosure, cross-border; each
asked for on its own, never bundled) or the privacy policy (`Agreement.PRIVACY_POLICY`). `CONSENTABLE` lists the
topics a person can give and withdraw on their own consents page.

**The ledger.** `consent_ledger` holds one record per grant or withdrawal, never changed (PostgreSQL refuses UPDATE,
DELETE and TRUNCATE; on SQLite the session refuses them): the subject as the audit's keyed pseudonym (so an erasure
of the person leaves nothing personal here), the topic, the version and SHA-256 of the exact text shown (texts are
kept once by hash in `consent_texts`, so the proof replays them), how (`HOW`: a page and its id, the API, an SMS
reply, a customer-service agent by pseudonym, a guardian…), when, and the HMAC of all of it under the key ring.
A record whose HMAC does not match (inserted or edited by hand) grants nothing and is named by `verify`.

**The service** (`container.consents`, all methods in the caller's transaction `s`):

* `offer(s, subject_id, topic, notice) -> Offer`: keep the text to show and issue a single-use token tied to the
  subject, the topic, the version and the text's hash. A page or API shows `notice.text` and posts `offer.token` back.
* `grant(s, subject_id, topic, token=..., how=..., how_ref="", sha256=None)`: a consent posted from an offer (with
  the hash of the text the form showed, if the post carries it). A forged, expired, replayed or mismatched token
  (another topic, subject or text) raises `invalid_consent_post()` (400) and records nothing.
* `record_grant(s, subject_id, topic, notice, how=..., how_ref="")`: a consent the server itself saw given while it
  showed the text in the same request (the policy box ticked at login, an SMS reply to a text the outbox holds, an
  agent reading a script). Idempotent: a live consent to the same text is not recorded again.
* `withdraw(s, subject_id, topic, how=..., how_ref="")`: append a withdrawal and call every handler features
  registered for the topic (`Feature.consent_purposes` and `Feature.on_withdrawal`, "module:function" called as
  `function(container, session, subject_id, topic)` in the same transaction). Processing stops at once: the next
  opening finds no live consent. What was done before stays as it was (JD-6.4.3b). Withdrawing what is not live
  raises `consent_not_given()` and records nothing; a handler's failure rolls the withdrawal back with it.
* `withdraw_all(s, subject_id, how="account_closed")`: every live consent, as an account is cancelled (JD-6.4.3a).
* `is_live(s, subject_id, topic)`, `live_among(s, subject_ids, topic)`: whether the newest valid record is a grant
  (`live_among`: for many subjects at once, e.g. a marketing send checking its batch at send time); `live_texts`: the
  same with the hash of the text each consent was given to (the language a person agreed in).
* `states(s, subject_id) -> {topic: Event | None}`, `history(s, subject_id, topic=None) -> [Event]`.
* `proof(s, subject_id, topic) -> Proof | None`: the newest grant with the exact text, its version and hash (checked
  against the text kept), how and when, and the withdrawal that ended it, if any.
* `verify(s) -> [str]`: records whose HMAC or text does not match.

* `import_grant(s, subject_id, topic, version=..., at=...)`: a consent recorded before the ledger (its text unknown);
  `carry_legacy(connection, rows)`: migration 0023 carries the accounts' old `consents` table (policy acceptances,
  WeChat-profile authorisations) onto the ledger with it (`jidi migrate` hands it to the migration).

The privacy policy itself comes from a `PolicySource` (`current(locale) -> Notice`: version, text, `sha256`), given to
`bootstrap(policy=...)`. Until the policy package provides one, `SettingsPolicy` gives `settings.policy_version` and
a short statement naming it; the login records `Agreement.PRIVACY_POLICY` with the text of the user's language.
The user-facing pages, API and `jidi consent proof` are the `consents` feature (jidi.consents), over this service.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets as pysecrets
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from jidi.db import is_postgresql
from jidi.errors import AppError
from jidi.i18n import N_
from jidi.privacy import audit
from jidi.privacy.catalog import MARKETING, Agreement, FieldSpec, LegalBasis, Purpose, Separate, Topic
from jidi.privacy.models import ConsentRecord, ConsentText

if TYPE_CHECKING:
    from jidi.privacy.credentials import Secrets
    from jidi.privacy.keys import KeyRing

log = logging.getLogger(__name__)

GRANT, WITHDRAW, REFUSE = "grant", "withdraw", "refuse"
# How a consent was given or withdrawn; `how_ref` says where (a page id, an agent's pseudonym, a guardian reference).
HOW = frozenset({"page", "api", "sms_reply", "agent", "guardian", "wechat", "demo", "account_closed", "imported", "signal",
                 "age_rule"})
# The topics a person gives and withdraws on their own consents page: marketing per channel and the separate consents.
# A minor's data is consented to by the guardian, on the guardian's pages (jidi.guardians), never by the minor.
CONSENTABLE: tuple[Topic, ...] = (*MARKETING, *(s for s in Separate if s is not Separate.SENSITIVE_MINOR))
OFFER_TTL_SECONDS = 3600
_TOKEN_PURPOSE = "consent-offer"


def _aware(value: object) -> dt.datetime:
    """A time read from a table (SQLite gives naive UTC, or a string): aware, in UTC."""
    at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.timezone.utc)


def topic_of(value: str) -> Topic:
    """The topic a stored or posted value names; ValueError if none."""
    for kind in (Purpose, Separate, Agreement):
        try:
            return kind(value)
        except ValueError:
            continue
    raise ValueError(value)


# -- errors ---------------------------------------------------------------------------------------------------
def consent_not_given() -> AppError:
    return AppError("consent_not_given", N_("There is no consent to withdraw here: it was never given or is already withdrawn."), 409)


def invalid_consent_post() -> AppError:
    return AppError("invalid_consent_post", N_("This consent form is not valid any more (expired, already used or changed). "
                                               "Please reload the page and try again."), 400)


def consent_by_guardian() -> AppError:
    return AppError("consent_by_guardian", N_("This account belongs to a child: this consent can only be given by their parent "
                                              "or guardian."), 403)


def unknown_topic() -> AppError:
    return AppError("invalid_field", N_("Please check the field: {field}."), 422, field=N_("consent"))


# -- notices ------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Notice:
    """A text shown when asking for consent, and its version."""

    version: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


class PolicySource(Protocol):
    def current(self, locale: str, session: Session | None = None) -> Notice:
        """The policy in effect, in this language; read in the caller's transaction when given one (a second
        transaction inside the first would wait on it on SQLite)."""


class SettingsPolicy:
    """The privacy policy as long as the policy package does not provide it: the version in the settings."""

    def __init__(self, version: Callable[[], str]):
        self._version = version

    def current(self, locale: str, session: Session | None = None) -> Notice:
        v = self._version()
        if locale.startswith("en"):
            return Notice(v, f"I have read and agree to the jidi Privacy Policy, version {v}.")
        return Notice(v, f"我已阅读并同意《jidi 隐私政策》（{v} 版）。")


# -- what the service answers ----------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Offer:
    topic: Topic
    version: str
    sha256: str
    token: str


@dataclasses.dataclass(frozen=True)
class Event:
    topic: Topic
    action: str  # grant | withdraw
    version: str
    sha256: str | None
    how: str
    how_ref: str
    at: dt.datetime
    valid: bool  # its HMAC matches

    @property
    def live(self) -> bool:
        return self.action == GRANT and self.valid


@dataclasses.dataclass(frozen=True)
class Proof:
    topic: Topic
    granted: Event
    text: str | None         # the exact text shown; None if it was not kept (a consent from before the ledger)
    text_matches: bool       # the text kept hashes to the hash recorded
    withdrawn: Event | None  # the withdrawal that ended this consent, if any


# The columns a record's MAC covers (and the MAC): what the live check reads.
_CONTENT = (ConsentRecord.subject, ConsentRecord.topic, ConsentRecord.action, ConsentRecord.version, ConsentRecord.text_sha256,
            ConsentRecord.how, ConsentRecord.how_ref, ConsentRecord.at, ConsentRecord.nonce, ConsentRecord.mac)


class _Content(Protocol):
    subject: str
    topic: str
    action: str
    version: str
    text_sha256: str | None
    how: str
    how_ref: str
    at: dt.datetime
    nonce: str | None
    mac: str


# -- the MAC of a record ----------------------------------------------------------------------------------------------
def _mac(key: bytes, rec: ConsentRecord | _Content) -> str:
    body = json.dumps([rec.subject, rec.topic, rec.action, rec.version, rec.text_sha256, rec.how, rec.how_ref,
                       rec.at.isoformat(timespec="microseconds"), rec.nonce], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def _valid(key: bytes, rec: ConsentRecord | _Content) -> bool:
    return hmac.compare_digest(rec.mac or "", _mac(key, rec))


def _event(key: bytes, rec: ConsentRecord) -> Event:
    return Event(topic_of(rec.topic), rec.action, rec.version, rec.text_sha256, rec.how, rec.how_ref, rec.at, _valid(key, rec))


_LIVE = "jidi_consent_live"  # session.info: (subject, topic) -> live, as found in this transaction


def live_among(session: Session, keys: KeyRing, subject_ids: Iterable[uuid.UUID], topic: Topic) -> set[uuid.UUID]:
    """The subjects among `subject_ids` whose consent to `topic` is live (`_live_query`): one query for all those
    not asked yet in this transaction (the answers are kept until it ends, or until it records a consent event: a
    withdrawal committed elsewhere stops every transaction that starts after it)."""
    known: dict[tuple[uuid.UUID, str], bool] = session.info.setdefault(_LIVE, {})
    wanted = set(subject_ids)
    name = topic.value
    ask = [sid for sid in wanted if (sid, name) not in known]
    if ask:
        found = _live_query(session, keys, ask, topic)
        for sid in ask:
            known[(sid, name)] = sid in found
        if not session.info.get("jidi_consent_hooked"):
            event.listen(session, "after_transaction_end", _forget_answers)
            session.info["jidi_consent_hooked"] = True
    return {sid for sid in wanted if known[(sid, name)]}


def _forget_answers(session: Session, transaction: object) -> None:
    session.info.pop(_LIVE, None)


def guardian_only(topic: Topic) -> bool:
    """Whether a child's consent to `topic` counts only when their guardian gave it (JD-7.1b, CN-10.2b, ZK-6.2): every
    use on consent and every separate consent, but not the guardian's own consent nor the policy's acceptance."""
    return isinstance(topic, Purpose) or (isinstance(topic, Separate) and topic is not Separate.SENSITIVE_MINOR)


def _newest_rows(session: Session, by_pseudonym: Mapping[str, uuid.UUID], topic: Topic) -> Iterable[_Content]:
    if len(by_pseudonym) == 1:  # the common case, straight down the index
        (only,) = by_pseudonym
        stmt = (select(*_CONTENT).where(ConsentRecord.subject == only, ConsentRecord.topic == topic.value)
                .order_by(ConsentRecord.id.desc()).limit(1))
    else:
        newest = (select(func.max(ConsentRecord.id)).where(ConsentRecord.subject.in_(list(by_pseudonym)),
                                                          ConsentRecord.topic == topic.value)
                  .group_by(ConsentRecord.subject))
        stmt = select(*_CONTENT).where(ConsentRecord.id.in_(newest))
    return session.execute(stmt)  # rows, not entities: nothing loaded into the session


def _live_query(session: Session, keys: KeyRing, subject_ids: list[uuid.UUID], topic: Topic) -> dict[uuid.UUID, str | None]:
    """The subjects whose newest valid record about `topic` is a grant, each with the hash of the text they agreed to.

    **A child's data** (JD-7.1b, CN-10.2b, ZK-6.2): a subject whose guardian's consent is in the ledger (topic
    `sensitive_minor`) is a child; for them a consent to a use on consent or a separate consent counts only if their
    guardian gave it (how "guardian") and the guardian's own consent is live. What the child agreed to alone opens
    nothing: the guardian consented to the uses the policy declares, and to nothing more."""
    audit_key, mac_key = keys.derived("audit"), keys.derived("consent")
    by_pseudonym = {audit.pseudonym(audit_key, sid): sid for sid in subject_ids}
    live: dict[uuid.UUID, str | None] = {}
    how: dict[uuid.UUID, str] = {}
    for rec in _newest_rows(session, by_pseudonym, topic):
        if not _valid(mac_key, rec):
            log.warning("consent ledger: a record's mac does not match; it grants nothing (run `jidi consent verify`)")
            continue
        if rec.action == GRANT:
            sid = by_pseudonym[rec.subject]
            live[sid], how[sid] = rec.text_sha256, rec.how
    if live and guardian_only(topic):
        children = {p: sid for p, sid in by_pseudonym.items() if sid in live}
        for rec in _newest_rows(session, children, Separate.SENSITIVE_MINOR):  # any record makes the subject a child
            sid = children[rec.subject]
            if not _valid(mac_key, rec) or rec.action != GRANT or how[sid] != "guardian":
                del live[sid]
    return live


def requires_consent(spec: FieldSpec, purpose: Purpose) -> bool:
    return spec.basis_for(purpose) is LegalBasis.CONSENT


# -- append-only in code (SQLite has no triggers for it here; PostgreSQL's are in migration 0016) --------------------
_LEDGER_TABLES = frozenset({"consent_ledger", "consent_texts"})


class AppendOnly(Exception):
    pass


def _refuse_change(mapper: object, connection: object, target: object) -> None:
    raise AppendOnly("the consent ledger is append-only")


for _model in (ConsentRecord, ConsentText):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)


def refuse_bulk_changes(sessions: sessionmaker[Session]) -> None:
    """Refuse `update(...)`/`delete(...)` statements on the ledger's tables through the sessions of this factory."""

    @event.listens_for(sessions, "do_orm_execute")
    def _check(state: ORMExecuteState) -> None:
        if (state.is_update or state.is_delete) and state.bind_mapper is not None \
                and state.bind_mapper.local_table.name in _LEDGER_TABLES:  # type: ignore[attr-defined]
            raise AppendOnly("the consent ledger is append-only")


# -- the service --------------------------------------------------------------------------------------------------
Handler = Callable[[Session, uuid.UUID, Topic], None]


class Consents:
    """Consent given, withdrawn and proven; see the module's docstring for the API."""

    def __init__(self, keys: KeyRing, secrets: Secrets, clock: Callable[[], dt.datetime], policy: PolicySource,
                 handlers: Mapping[Topic, Sequence[Handler]] | None = None):
        self.keys, self.secrets, self.clock, self.policy = keys, secrets, clock, policy
        self._audit_key = keys.derived("audit")
        self._mac_key = keys.derived("consent")
        self.handlers: dict[Topic, list[Handler]] = defaultdict(list)
        for topic, fns in (handlers or {}).items():
            self.handlers[topic].extend(fns)

    def on_withdrawal(self, topic: Topic, handler: Handler) -> None:
        self.handlers[topic].append(handler)

    def pseudonym(self, subject_id: uuid.UUID) -> str:
        return audit.pseudonym(self._audit_key, subject_id)

    # -- texts ------------------------------------------------------------------------------------------------
    def keep_text(self, s: Session, notice: Notice) -> str:
        """Store the text once under its hash (a no-op when it is there); returns the hash."""
        digest = notice.sha256
        if s.get(ConsentText, digest) is None:
            insert = pg_insert if is_postgresql(s) else sqlite_insert
            s.execute(insert(ConsentText).values(sha256=digest, body=notice.text, created_at=self.clock())
                      .on_conflict_do_nothing())
        return digest

    def text(self, s: Session, sha256: str) -> str | None:
        row = s.get(ConsentText, sha256)
        return row.body if row is not None else None

    # -- giving -------------------------------------------------------------------------------------------------
    def offer(self, s: Session, subject_id: uuid.UUID, topic: Topic, notice: Notice) -> Offer:
        digest = self.keep_text(s, notice)
        token = self.secrets.seal_blob(_TOKEN_PURPOSE, {
            "s": self.pseudonym(subject_id), "t": topic.value, "v": notice.version, "h": digest,
            "n": pysecrets.token_hex(16),
        }, OFFER_TTL_SECONDS)
        return Offer(topic, notice.version, digest, token)

    def grant(self, s: Session, subject_id: uuid.UUID, topic: Topic, *, token: str, how: str, how_ref: str = "",
              sha256: str | None = None) -> Event:
        """A consent posted back from `offer`: the token must be this subject's, for this topic, unused and unexpired
        (and, when the post names the text's hash, for that text)."""
        data = self.secrets.open_blob(_TOKEN_PURPOSE, token) if len(token) <= 1000 else None
        if data is None or data.get("s") != self.pseudonym(subject_id) or data.get("t") != topic.value:
            raise invalid_consent_post()
        if sha256 is not None and not hmac.compare_digest(sha256.encode(), str(data.get("h", "")).encode()):
            raise invalid_consent_post()
        digest, nonce = str(data.get("h", "")), str(data.get("n", ""))
        if s.get(ConsentText, digest) is None or not nonce:
            raise invalid_consent_post()
        if s.scalar(select(ConsentRecord.id).where(ConsentRecord.nonce == nonce)) is not None:
            raise invalid_consent_post()  # replayed
        self._by_guardian_if_child(s, subject_id, topic, how)
        return self._append(s, subject_id, topic, GRANT, str(data.get("v", "")), digest, how, how_ref, nonce)

    def record_grant(self, s: Session, subject_id: uuid.UUID, topic: Topic, notice: Notice, *, how: str,
                     how_ref: str = "") -> Event:
        self._by_guardian_if_child(s, subject_id, topic, how)
        digest = self.keep_text(s, notice)
        newest = self._newest(s, subject_id, topic)
        if newest is not None and newest.live and newest.sha256 == digest and newest.version == notice.version:
            return newest
        return self._append(s, subject_id, topic, GRANT, notice.version, digest, how, how_ref, None)

    def import_grant(self, s: Session, subject_id: uuid.UUID, topic: Topic, *, version: str, at: dt.datetime,
                     how_ref: str = "") -> Event:
        """A consent recorded before the ledger existed (its text was not kept): history for the proof, and live."""
        rec = ConsentRecord(subject=self.pseudonym(subject_id), topic=topic.value, action=GRANT, version=version[:40],
                            text_sha256=None, how="imported", how_ref=how_ref[:80], at=at, nonce=None)
        rec.mac = _mac(self._mac_key, rec)
        s.info.pop(_LIVE, None)
        s.add(rec)
        s.flush()
        return _event(self._mac_key, rec)

    def _by_guardian_if_child(self, s: Session, subject_id: uuid.UUID, topic: Topic, how: str) -> None:
        """A child does not consent alone: only their guardian does (JD-7.1b, PIPL art. 31)."""
        if how != "guardian" and guardian_only(topic) and self.is_child(s, subject_id):
            raise consent_by_guardian()

    def carry_legacy(self, connection: Connection, rows: Sequence[Mapping[str, object]]) -> int:
        """Migration 0023: the consents the accounts kept in their own table before the ledger (the policy's
        acceptances, the WeChat profile's authorisations) become ledger records, in the migration's transaction (their
        subjects become keyed pseudonyms, which needs the key ring). Each row: subject_id, kind, version, channel,
        granted_at, withdrawn_at. Returns how many were carried over."""
        kinds = {"privacy_policy": Agreement.PRIVACY_POLICY, "wechat_profile": Agreement.WECHAT_PROFILE}
        s = Session(bind=connection)  # joins the migration's transaction, never commits it
        try:
            for row in sorted(rows, key=lambda r: (str(r["granted_at"]), str(r["subject_id"]))):
                topic = kinds.get(str(row["kind"]))
                if topic is None:
                    raise ValueError(f"a consent of an unknown kind cannot be carried over: {row['kind']!r}")
                subject = row["subject_id"] if isinstance(row["subject_id"], uuid.UUID) else uuid.UUID(str(row["subject_id"]))
                self.import_grant(s, subject, topic, version=str(row["version"]), at=_aware(row["granted_at"]),
                                  how_ref=str(row["channel"] or ""))
                if row.get("withdrawn_at") is not None:
                    self._import_withdrawal(s, subject, topic, str(row["version"]), _aware(row["withdrawn_at"]))
            s.flush()
        finally:
            s.close()
        return len(rows)

    def _import_withdrawal(self, s: Session, subject_id: uuid.UUID, topic: Topic, version: str, at: dt.datetime) -> None:
        rec = ConsentRecord(subject=self.pseudonym(subject_id), topic=topic.value, action=WITHDRAW, version=version[:40],
                            text_sha256=None, how="imported", how_ref="", at=at, nonce=None)
        rec.mac = _mac(self._mac_key, rec)
        s.add(rec)
        s.flush()

    # -- withdrawing ----------------------------------------------------------------------------------------------
    def withdraw(self, s: Session, subject_id: uuid.UUID, topic: Topic, *, how: str, how_ref: str = "") -> Event:
        newest = self._newest(s, subject_id, topic)
        if newest is None or not newest.live:
            raise consent_not_given()
        ev = self._append(s, subject_id, topic, WITHDRAW, newest.version, None, how, how_ref, None)
        for handler in self.handlers.get(topic, ()):
            handler(s, subject_id, topic)
        return ev

    def record_refusal(self, s: Session, subject_id: uuid.UUID, topic: Topic, *, how: str, how_ref: str = "") -> Event | None:
        """A refusal the person expressed without being asked (a browser's Do Not Track or GPC signal: how="signal",
        how_ref="dnt"/"gpc"): appended once, and again only after a grant; a live consent to the topic ends with it.
        Returns the record, or None when the newest record already is this refusal."""
        newest = self._newest(s, subject_id, topic)
        if newest is not None and newest.action == REFUSE and newest.how_ref == how_ref and newest.valid:
            return None
        ev = self._append(s, subject_id, topic, REFUSE, newest.version if newest else "", None, how, how_ref, None)
        if newest is not None and newest.live:
            for handler in self.handlers.get(topic, ()):
                handler(s, subject_id, topic)
        return ev

    def withdraw_all(self, s: Session, subject_id: uuid.UUID, *, how: str = "account_closed") -> list[Topic]:
        """Withdraw every live consent (an account cancelled or erased: JD-6.4.3a); returns the topics."""
        done = []
        for topic, ev in self.states(s, subject_id).items():
            if ev is not None and ev.live:
                self.withdraw(s, subject_id, topic, how=how)
                done.append(topic)
        return done

    # -- reading -------------------------------------------------------------------------------------------------
    def is_live(self, s: Session, subject_id: uuid.UUID, topic: Topic) -> bool:
        return subject_id in live_among(s, self.keys, (subject_id,), topic)

    def live_among(self, s: Session, subject_ids: Iterable[uuid.UUID], topic: Topic) -> set[uuid.UUID]:
        return live_among(s, self.keys, subject_ids, topic)

    def live_texts(self, s: Session, subject_ids: Iterable[uuid.UUID], topic: Topic) -> dict[uuid.UUID, str | None]:
        """Like `live_among`, with the hash of the text each live consent was given to (None: imported, text unknown):
        what a feature needs to answer in the language the person agreed in."""
        ids = list(dict.fromkeys(subject_ids))
        return _live_query(s, self.keys, ids, topic) if ids else {}

    def is_child(self, s: Session, subject_id: uuid.UUID) -> bool:
        """Whether a guardian's consent for this subject is in the ledger (given, or given and withdrawn)."""
        return s.scalar(select(ConsentRecord.id).where(ConsentRecord.subject == self.pseudonym(subject_id),
                                                       ConsentRecord.topic == Separate.SENSITIVE_MINOR.value).limit(1)) is not None

    def history(self, s: Session, subject_id: uuid.UUID, topic: Topic | None = None) -> list[Event]:
        stmt = select(ConsentRecord).where(ConsentRecord.subject == self.pseudonym(subject_id))
        if topic is not None:
            stmt = stmt.where(ConsentRecord.topic == topic.value)
        return [_event(self._mac_key, r) for r in s.scalars(stmt.order_by(ConsentRecord.id))]

    def states(self, s: Session, subject_id: uuid.UUID) -> dict[Topic, Event | None]:
        """Each consentable topic (and the policy) with its newest valid record, or None if there is none."""
        out: dict[Topic, Event | None] = {t: None for t in (*CONSENTABLE, Agreement.PRIVACY_POLICY)}
        for ev in self.history(s, subject_id):
            if ev.valid:
                out[ev.topic] = ev
        return out

    def proof(self, s: Session, subject_id: uuid.UUID, topic: Topic) -> Proof | None:
        """The newest grant of `topic` by the subject, with the exact text shown, and its withdrawal if any."""
        granted: Event | None = None
        withdrawn: Event | None = None
        for ev in self.history(s, subject_id, topic):
            if ev.action == GRANT and ev.valid:
                granted, withdrawn = ev, None
            elif ev.action == WITHDRAW and ev.valid and granted is not None:
                withdrawn = ev
        if granted is None:
            return None
        text = self.text(s, granted.sha256) if granted.sha256 else None
        matches = text is not None and hashlib.sha256(text.encode()).hexdigest() == granted.sha256
        return Proof(topic, granted, text, matches, withdrawn)

    def verify(self, s: Session) -> list[str]:
        """Records whose HMAC does not match and texts that do not match their hash."""
        problems = []
        for rec in s.scalars(select(ConsentRecord).order_by(ConsentRecord.id).execution_options(yield_per=2000)):
            if not _valid(self._mac_key, rec):
                problems.append(f"consent record {rec.id}: was edited after it was written (or inserted by hand)")
        for row in s.scalars(select(ConsentText)):
            if hashlib.sha256(row.body.encode()).hexdigest() != row.sha256:
                problems.append(f"consent text {row.sha256[:12]}…: does not match its hash (edited)")
        return problems

    # -- inside -----------------------------------------------------------------------------------------------------
    def _newest(self, s: Session, subject_id: uuid.UUID, topic: Topic) -> Event | None:
        rec = s.scalar(select(ConsentRecord).where(
            ConsentRecord.subject == self.pseudonym(subject_id), ConsentRecord.topic == topic.value,
        ).order_by(ConsentRecord.id.desc()).limit(1))
        return _event(self._mac_key, rec) if rec is not None else None

    def _append(self, s: Session, subject_id: uuid.UUID, topic: Topic, action: str, version: str, digest: str | None,
                how: str, how_ref: str, nonce: str | None) -> Event:
        if how not in HOW or len(how_ref) > 80 or len(version) > 40:
            raise ValueError(f"not a way to record a consent: {how!r}")
        rec = ConsentRecord(subject=self.pseudonym(subject_id), topic=topic.value, action=action, version=version,
                            text_sha256=digest, how=how, how_ref=how_ref, at=self.clock(), nonce=nonce)
        rec.mac = _mac(self._mac_key, rec)
        s.info.pop(_LIVE, None)  # this transaction's answers about live consents are stale now
        if nonce is None:
            s.add(rec)
            s.flush()  # the id orders records
        else:
            try:
                with s.begin_nested():  # a token replayed at the same moment: its nonce is taken (unique)
                    s.add(rec)
            except IntegrityError:
                raise invalid_consent_post() from None
        return _event(self._mac_key, rec)


__all__ = [
    "CONSENTABLE", "HOW", "REFUSE", "AppendOnly", "Consents", "Event", "Notice", "Offer", "PolicySource", "Proof",
    "SettingsPolicy", "consent_by_guardian", "consent_not_given", "guardian_only", "invalid_consent_post", "live_among", "refuse_bulk_changes", "requires_consent",
    "topic_of", "unknown_topic",
]
