"""Minors' accounts and their guardians (PROMISES section 17; Ambiguity A14).

* **The age rule** is an operator setting (`minors_age`, `minors_written_consent`, `minors_age_statement` in
  jidi.config, until operator profiles set them): under the age, an account waits for a parent's or guardian's
  verifiable consent before it can be used (JD-7.1, CN-10.1b, CN-10.2a; ZK-6.1: under 18, written).
* **Stating the age.** The account holder states a date of birth once (a change is a correction request); an adult's
  account opens at once, a minor's waits. With `required`, a customer who has stated none is held until they do.
* **The gate** (jidi.kit.gates): every page and API call of a waiting account answers 403 with what to do; the
  guardian pages (/guardian, /api/v1/guardian…) and logging out stay open.
* **The guardian's consent**: the guardian's number gets an SMS code (the accounts' code machinery, purpose
  "guardian"); on the minor's device the guardian reads the consent text naming the policy version, states the relation,
  ticks "I agree" (and, where written consent is needed, signs with their name) and enters the code. The consent goes
  into the consent ledger (topic `sensitive_minor`, how "guardian", the exact text's hash): a minor's data is sensitive
  personal data (JD-11.3b) and needs this separate consent (PIPL arts. 28, 31).
* **Withdrawal** (the guardian, by SMS code on /guardian/withdraw; or the ledger's withdrawal from anywhere) and
  **data collected without consent** (still waiting after `minors_pending_days`, or a report the privacy officer
  upholds) file a deletion with the rights centre: the account stops at once and is erased by its job (JD-7.2, ZK-6.3).
* **Reports** (CN-10.1c, CN-12.1d): anyone may report that jidi holds a minor's data improperly; the privacy officer
  sees them at /staff/minors.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from jidi import errors, privacy, values
from jidi.guardians.models import ACTIVE, OPEN, PENDING, WAITING, WITHDRAWN, AgeStatement, GuardianConsent, MinorReport
from jidi.i18n import N_, china_day, gettext_for
from jidi.kit.gates import account_gate
from jidi.privacy import Actor, Notice, Personal, Purpose, Role, Separate
from jidi.privacy.consent import guardian_only

RELATIONS = {"parent": N_("Parent"), "guardian": N_("Legal guardian")}
MAX_REPORT = 2000
OLDEST = 130  # years: an earlier date of birth is a typing mistake
TOPIC = Separate.SENSITIVE_MINOR


# -- errors ---------------------------------------------------------------------------------------------------------
def _next_step() -> dict:
    return {"page": "/guardian", "api": "/api/v1/guardian"}


def guardian_consent_required(age: int) -> errors.AppError:
    return errors.AppError(
        "guardian_consent_required",
        N_("This account belongs to someone under {age}. It can be used once a parent or guardian consents: open "
           "“Guardian consent” and let them confirm with the code we send to their phone."), 403, details=_next_step(), age=age)


def age_statement_required() -> errors.AppError:
    return errors.AppError("age_statement_required", N_("Please state your date of birth before using your account."), 403,
                           details=_next_step())


def birth_date_in_future() -> errors.AppError:
    return errors.AppError("birth_date_in_future", N_("The date of birth cannot be in the future."), 400)


def invalid_birth_date() -> errors.AppError:
    return errors.AppError("invalid_birth_date", N_("Please enter a real date of birth (year-month-day)."), 400)


def signature_required() -> errors.AppError:
    return errors.AppError("signature_required", N_("Written consent is needed: your parent or guardian signs with their full "
                                                    "name."), 400)


def age_already_stated() -> errors.AppError:
    return errors.AppError("age_already_stated", N_("You have already stated your date of birth. To correct it, file a "
                                                    "correction request in My personal information."), 409)


def guardian_not_needed() -> errors.AppError:
    return errors.AppError("guardian_not_needed", N_("This account is not a minor's: no guardian's consent is needed."), 409)


def guardian_own_number() -> errors.AppError:
    return errors.AppError("guardian_own_number", N_("Enter your parent's or guardian's mobile number, not the number of "
                                                     "this account."), 409)


def guardian_not_pending() -> errors.AppError:
    return errors.AppError("guardian_not_pending", N_("No guardian's consent is waiting for a code. Send a code to your "
                                                      "parent or guardian first."), 409)


def guardian_must_agree() -> errors.AppError:
    return errors.AppError("guardian_must_agree", N_("Your parent or guardian must read the text and tick “I agree”."), 400)


# -- views ----------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class GuardianView:
    relation: str
    phone: Personal | None  # masked
    status: str
    version: str
    created_at: dt.datetime
    granted_at: dt.datetime | None

    @property
    def relation_label(self) -> str:
        return RELATIONS[self.relation]


@dataclasses.dataclass(frozen=True)
class Status:
    """Where an account stands: `step` is what comes next — state_age, ask_guardian, confirm, or done."""

    stated: bool
    gate: str | None  # open | waiting | None (nothing stated)
    step: str
    guardian: GuardianView | None
    minors_age: int
    written: bool
    required: bool


@dataclasses.dataclass(frozen=True)
class ReportView:
    id: uuid.UUID
    account_phone: Personal | None
    details: str | None
    contact: str | None
    status: str  # open | upheld | no_finding
    received_at: dt.datetime
    closed_at: dt.datetime | None


def _free_text(raw: str | None, max_len: int, label: str) -> str:
    """Text in one's own words: trimmed, not blank, line breaks allowed, no other control or format characters."""
    value = unicodedata.normalize("NFC", (raw or "").strip())
    if not value or len(value) > max_len or any(
            unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in "\n\r\t" for ch in value):
        raise errors.invalid_field(label)
    return value


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class Guardians:
    def __init__(self, container):
        self.c = container

    @property
    def settings(self):
        return self.c.settings

    # -- reading -------------------------------------------------------------------------------------------------
    def status(self, user_id: uuid.UUID) -> Status:
        with self.c.uow() as s:
            stmt = s.scalar(select(AgeStatement).where(AgeStatement.user_id == user_id))
            row = s.scalar(select(GuardianConsent).where(GuardianConsent.minor_id == user_id))
            guardian = GuardianView(row.relationship, row.phone, row.status, row.version, row.created_at, row.granted_at) if row else None
        if stmt is None:
            step = "state_age"
        elif stmt.status == OPEN:
            step = "done"
        elif guardian is not None and guardian.status == PENDING:
            step = "confirm"
        else:
            step = "ask_guardian"
        st = self.settings
        return Status(stmt is not None, stmt.status if stmt else None, step, guardian, st.minors_age, st.minors_written_consent,
                      st.minors_age_statement == "required")

    # -- stating the age ------------------------------------------------------------------------------------------
    def state_birth_date(self, user_id: uuid.UUID, raw: str | dt.date) -> Status:
        """The account holder's date of birth, once: an adult's account opens, a minor's waits for the guardian."""
        birth = self._birth_date(raw)
        today = china_day(self.c.clock())
        if birth > today:
            raise birth_date_in_future()
        if age_on(birth, today) > OLDEST:
            raise invalid_birth_date()
        minor = age_on(birth, today) < self.settings.minors_age
        with self.c.uow() as s:
            if s.scalar(select(AgeStatement).where(AgeStatement.user_id == user_id).with_for_update()) is not None:
                raise age_already_stated()
            row = AgeStatement(id=uuid.uuid4(), user_id=user_id, status=WAITING if minor else OPEN, created_at=self.c.clock())
            row.birth_date = birth.isoformat()
            s.add(row)
            if minor:
                self._end_own_consents(s, user_id)
        return self.status(user_id)

    def _end_own_consents(self, s: Session, user_id: uuid.UUID) -> None:
        """A child's own consents (marketing, separate consents) end when the age is stated: only the guardian consents
        for a child (JD-7.1b, ZK-6.2); the consent ledger then refuses the child's own (jidi.privacy.consent)."""
        for topic, ev in self.c.consents.states(s, user_id).items():
            if ev is not None and ev.live and guardian_only(topic):
                self.c.consents.withdraw(s, user_id, topic, how="age_rule", how_ref="guardians: under the minors' age")

    @staticmethod
    def _birth_date(raw: str | dt.date) -> dt.date:
        if isinstance(raw, dt.date):
            return raw
        try:
            value = (raw or "").strip()
            if len(value) != 10:  # YYYY-MM-DD only (fromisoformat takes other forms too)
                raise ValueError(value)
            return dt.date.fromisoformat(value)
        except ValueError:
            raise invalid_birth_date() from None

    def _waiting(self, s: Session, user_id: uuid.UUID) -> AgeStatement:
        stmt = s.scalar(select(AgeStatement).where(AgeStatement.user_id == user_id).with_for_update())
        if stmt is None:
            raise age_statement_required()
        if stmt.status != WAITING:
            raise guardian_not_needed()  # an adult's account, or one whose guardian has consented already
        return stmt

    # -- the guardian's consent ----------------------------------------------------------------------------------------
    def ask_guardian(self, minor_id: uuid.UUID, relation: str, raw_phone: str, client_address: str, locale: str) -> int:
        """Send the guardian's number a code and keep the consent pending. Returns the wait before another code."""
        if relation not in RELATIONS:
            raise errors.invalid_field(N_("relation to you"))
        phone = values.phone(raw_phone)
        phone_idx = self.c.finder.index(GuardianConsent.phone, phone)
        with self.c.uow() as s:
            self._waiting(s, minor_id)
            if self.c.accounts.phone_index(s, minor_id) == phone_idx:
                raise guardian_own_number()
        wait = self.c.accounts.request_code(phone, "guardian", client_address, locale, by_user=minor_id)
        version = self.c.consents.policy.current(locale).version  # before the transaction: the policy reads in its own
        with self.c.uow() as s:
            self._waiting(s, minor_id)
            row = s.scalar(select(GuardianConsent).where(GuardianConsent.minor_id == minor_id).with_for_update())
            if row is not None:  # a new number or relation replaces the pending one, and its one-off subject
                self.c.vault.shred_subject(s, row.subject_id)
                s.delete(row)
                s.flush()
            row = GuardianConsent(id=uuid.uuid4(), minor_id=minor_id, relationship=relation, status=PENDING,
                                  version=version, created_at=self.c.clock())
            row.phone = phone
            s.add(row)
        return wait

    def notice(self, minor_id: uuid.UUID, locale: str) -> Notice:
        """The text the guardian reads and agrees to, naming the policy version (its hash goes into the ledger)."""
        with self.c.uow() as s:
            row = s.scalar(select(GuardianConsent).where(GuardianConsent.minor_id == minor_id, GuardianConsent.status == PENDING))
            if row is None:
                raise guardian_not_pending()
            relation = row.relationship
        _ = gettext_for(locale)
        policy = self.c.consents.policy.current(locale)
        text = _(N_("I am the {relation} of the holder of this jidi account, who is under {age}. I have read the jidi privacy "
                    "policy, version {version}, and I consent to jidi processing the child's personal data as it describes; "
                    "a child's personal data is sensitive personal data. I can withdraw my consent at any time with my mobile "
                    "number; the account's personal data is then deleted.")).format(
            relation=_(RELATIONS[relation]).lower() if not locale.startswith("zh") else _(RELATIONS[relation]),
            age=self.settings.minors_age, version=policy.version)
        if self.settings.minors_written_consent:
            text += _(N_(" This is my written consent: I sign it with my full name."))
        return Notice(policy.version, text)

    def offer(self, minor_id: uuid.UUID, locale: str) -> tuple[Notice, str]:
        """The notice and the single-use token that posts it back (the consent ledger's offer)."""
        notice = self.notice(minor_id, locale)
        with self.c.uow() as s:
            return notice, self.c.consents.offer(s, minor_id, TOPIC, notice).token

    def confirm(self, minor_id: uuid.UUID, code: str, token: str, *, agree: bool, signature: str | None = None) -> Status:
        """The guardian's code, their "I agree" to the text offered (`token`) and, if needed, their signature: the
        account opens and the consent is recorded in the ledger. Any problem records nothing."""
        if not agree:
            raise guardian_must_agree()
        name = None
        if self.settings.minors_written_consent:
            try:
                name = values.text(signature, 40, N_("your parent's or guardian's full name (their signature)"))
            except errors.AppError:
                raise signature_required() from None
        with self.c.uow() as s:
            self._waiting(s, minor_id)
            row = s.scalar(select(GuardianConsent).where(GuardianConsent.minor_id == minor_id, GuardianConsent.status == PENDING))
            if row is None:
                raise guardian_not_pending()
            phone_idx = row.phone_bidx
        self.c.accounts.check_code("guardian", code, phone_idx=phone_idx)  # its own transaction: a wrong guess counts
        with self.c.uow() as s:
            stmt = self._waiting(s, minor_id)
            row = s.scalar(select(GuardianConsent).where(GuardianConsent.minor_id == minor_id, GuardianConsent.status == PENDING)
                           .with_for_update())
            if row is None or row.phone_bidx != phone_idx:
                raise guardian_not_pending()
            event = self.c.consents.grant(s, minor_id, TOPIC, token=token, how="guardian", how_ref=str(row.id))
            row.status, row.granted_at, row.version = ACTIVE, self.c.clock(), event.version
            if name is not None:
                row.signature = name
            stmt.status = OPEN
            self.c.audit.record(s, actor=Actor(minor_id, Role.CUSTOMER), action="guardian_consented", subject_id=minor_id,
                                purpose="consent", detail="the guardian's SMS code was entered")
        return self.status(minor_id)

    # -- withdrawal ----------------------------------------------------------------------------------------------------
    def request_withdrawal_code(self, raw_phone: str, client_address: str, locale: str) -> None:
        """A code to a guardian's number, to withdraw their consent. The answer is the same whether or not the number
        gave any consent (a code is sent only if it did)."""
        phone = values.phone(raw_phone)
        idx = self.c.finder.index(GuardianConsent.phone, phone)
        with self.c.uow() as s:
            live = s.scalar(select(GuardianConsent.id).where(GuardianConsent.phone_bidx == idx, GuardianConsent.status == ACTIVE).limit(1))
        if live is not None:
            self.c.accounts.request_code(phone, "guardian", client_address, locale)

    def withdraw(self, raw_phone: str, code: str) -> int:
        """The guardian withdraws every consent their number gave: each child's account stops at once and is erased
        (JD-7.2). Returns how many."""
        phone = values.phone(raw_phone)
        idx = self.c.finder.index(GuardianConsent.phone, phone)
        self.c.accounts.check_code("guardian", code, phone_idx=idx)
        with self.c.uow() as s:
            rows = s.scalars(select(GuardianConsent).where(GuardianConsent.phone_bidx == idx, GuardianConsent.status == ACTIVE)
                             .with_for_update()).all()
            for row in rows:
                # The ledger calls on_withdrawal (below), which files the deletion.
                self.c.consents.withdraw(s, row.minor_id, TOPIC, how="guardian", how_ref=str(row.id))
            return len(rows)

    def withdrawn(self, s: Session, minor_id: uuid.UUID) -> None:
        """A guardian's consent was withdrawn (here or through the consent ledger): stop the account and erase it."""
        row = s.scalar(select(GuardianConsent).where(GuardianConsent.minor_id == minor_id))
        if row is None or row.status != ACTIVE:
            return  # not a guardian's consent (e.g. one given on an adult's own consents page): nothing to undo
        row.status, row.withdrawn_at = WITHDRAWN, self.c.clock()
        stmt = s.scalar(select(AgeStatement).where(AgeStatement.user_id == minor_id))
        if stmt is not None:
            stmt.status = WAITING
        self.c.rights.file_deletion(s, minor_id, reason="guardians: the guardian withdrew consent (JD-7.2)")

    def erase_unconsented(self) -> int:
        """Minors' accounts still without a guardian's consent `minors_pending_days` after stating their age: collected
        without verifiable consent, erased (JD-7.2, ZK-6.3). The periodic job calls this."""
        cutoff = self.c.clock() - dt.timedelta(days=self.settings.minors_pending_days)
        with self.c.uow() as s:
            due = s.scalars(select(AgeStatement.user_id).where(AgeStatement.status == WAITING, AgeStatement.created_at <= cutoff)
                            .limit(500)).all()
            for user_id in due:
                self.c.rights.file_deletion(s, user_id, reason="guardians: no guardian's consent in time (JD-7.2, ZK-6.3)")
        return len(due)

    # -- reports -----------------------------------------------------------------------------------------------------
    def report(self, reporter_id: uuid.UUID | None, *, details: str, account_phone: str | None = None,
               contact: str | None = None) -> uuid.UUID:
        """Anyone reports that jidi holds a minor's data improperly (CN-10.1c): it goes to the privacy officer."""
        text = _free_text(details, MAX_REPORT, N_("what you want to tell us"))
        phone = values.phone(account_phone) if account_phone and account_phone.strip() else None
        reach = _free_text(contact, 100, N_("how to reach you")) if contact and contact.strip() else None
        with self.c.uow() as s:
            row = MinorReport(id=uuid.uuid4(), reporter_id=reporter_id, status="open", received_at=self.c.clock())
            row.details = text
            if phone is not None:
                row.account_phone = phone
            if reach is not None:
                row.contact = reach
            s.add(row)
            return row.id

    @staticmethod
    def _officer(actor: Actor) -> None:
        if actor.role is not Role.PRIVACY_OFFICER:
            raise errors.forbidden()

    def reports(self, actor: Actor) -> list[ReportView]:
        self._officer(actor)
        with self.c.uow() as s:
            rows = s.scalars(select(MinorReport).order_by(MinorReport.status != "open", MinorReport.received_at).limit(500)).all()
            return [ReportView(r.id, r.account_phone, privacy.open(r.details, for_=Purpose.RIGHTS_REQUEST, actor=actor),
                               privacy.open(r.contact, for_=Purpose.RIGHTS_REQUEST, actor=actor) if r.contact is not None else None,
                               r.status, r.received_at, r.closed_at) for r in rows]

    def close_report(self, actor: Actor, report_id, *, erase: bool) -> None:
        """Close a report; if upheld (`erase`), the reported account's data was collected without a guardian's consent:
        it is erased through the rights centre (ZK-6.3)."""
        self._officer(actor)
        rid = errors.id_or_not_found(report_id)
        user_id = None
        if erase:
            with self.c.uow() as s:
                row = s.scalar(select(MinorReport).where(MinorReport.id == rid, MinorReport.status == "open"))
                if row is None:
                    raise errors.not_found()
                if row.account_phone is None:
                    raise errors.invalid_field(N_("mobile number of the account reported"))
                phone = privacy.open(row.account_phone, for_=Purpose.RIGHTS_REQUEST, actor=actor)
            user_id = self.c.accounts.user_id_for_phone(phone)
            if user_id is None:
                raise errors.not_found()
        with self.c.uow() as s:
            row = s.scalar(select(MinorReport).where(MinorReport.id == rid, MinorReport.status == "open").with_for_update())
            if row is None:
                raise errors.not_found()
            if user_id is not None:
                self.c.rights.file_deletion(s, user_id, reason="guardians: a report about a minor's data was upheld (ZK-6.3)")
            row.status, row.closed_at = "upheld" if erase else "no_finding", self.c.clock()
            self.c.audit.record(s, actor=actor, action="minor_report_closed", subject_id=row.subject_id, detail=row.status)


# -- how the rest of jidi reaches this feature -------------------------------------------------------------------------
@account_gate("guardians", open_paths=("/guardian", "/api/v1/guardian", "/minors", "/api/v1/minors", "/api/v1/auth/logout"))
def _gate(container, s: Session, user_id: uuid.UUID) -> errors.AppError | None:
    gate = s.scalar(select(AgeStatement.status).where(AgeStatement.user_id == user_id))
    if gate == OPEN:
        return None
    if gate == WAITING:
        return guardian_consent_required(container.settings.minors_age)
    return age_statement_required() if container.settings.minors_age_statement == "required" else None


def on_withdrawal(container, s: Session, subject_id: uuid.UUID, topic) -> None:
    """The consent ledger's handler for `sensitive_minor` (Feature.on_withdrawal)."""
    container.guardians.withdrawn(s, subject_id)
