"""The privacy policy as code: generate it, publish versions, classify them, and put a material change in front of
every customer (JD-9.*, CN-11.*, ZK-7.*).

* `draft()` — the policy generated now from the catalog, the recipients, the retention declarations, the operator
  profile and the written sections, with how it differs from the latest published version;
* `publish()` — keeps it as a new version (texts, content, effective date, summary, classification); a material one
  has every customer told by SMS (an event, after the commit) and on their next page;
* `current()`, `versions()`, `version()` — what /privacy, its history and the API show;
* `notice_for()` / `accept()` — the pending material change for one person, and their acceptance of it, recorded
  through a `PolicyAcceptance` (jidi.policy.acceptance).
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from jidi import errors
from jidi.events import Event, handles
from jidi.i18n import CHINA, N_, china_day
from jidi.policy import classify as C, document
from jidi.policy.acceptance import LedgerAcceptance, LedgerPolicySource, PolicyAcceptance
from jidi.policy.content import gather
from jidi.policy.models import PolicyVersion
from jidi.policy.operators import OperatorProfile, profile_for

MAX_SUMMARY = 2000
SMS_BATCH = 1000


def effective_in_past() -> errors.AppError:
    return errors.AppError("policy_effective_in_past", N_("The effective date is in the past: a new version of the privacy "
                                                           "policy can take effect today at the earliest."), 422)


def effective_before_latest() -> errors.AppError:
    return errors.AppError("policy_effective_before_latest", N_("The effective date is before that of the latest published "
                                                                 "version: choose that date or a later one."), 422)


def policy_unchanged() -> errors.AppError:
    return errors.AppError("policy_unchanged", N_("Nothing has changed since the latest published version: there is nothing to "
                                                   "publish."), 409)


def summary_too_long() -> errors.AppError:
    return errors.AppError("invalid_field", N_("Please check the field: {field}."), 422, field=N_("Summary of changes"))


def text_mismatch() -> errors.AppError:
    return errors.AppError("policy_text_mismatch", N_("This is not the text of that version of the privacy policy. Reload the "
                                                       "page and read the policy again."), 409)


@dataclasses.dataclass(frozen=True)
class Shown:
    """A version of the policy as shown: published (`published_at` set) or the generated one before any is."""

    version: str
    effective_on: dt.date
    published_at: dt.datetime | None
    text_zh: str
    text_en: str
    text_hash: str
    content: dict
    kind: str                   # material | editorial | initial | unchanged (a draft)
    fresh_consent: bool
    changes: dict
    summary: tuple[str, str]

    def text(self, locale: str) -> str:
        return self.text_zh if locale == "zh_CN" else self.text_en

    def summary_in(self, locale: str) -> str:
        return self.summary[0] if locale == "zh_CN" else self.summary[1]

    def change_texts(self, locale: str) -> list[str]:
        i = 0 if locale == "zh_CN" else 1
        return [c["text"][i] for c in self.changes.get("changes", ())]

    def public(self, with_content: bool = True) -> dict:
        out = {"version": self.version, "effective_on": self.effective_on.isoformat(),
               "published_at": self.published_at.isoformat() if self.published_at else None,
               "kind": self.kind, "fresh_consent_required": self.fresh_consent,
               "summary": {"zh_CN": self.summary[0], "en": self.summary[1]}, "text_hash": self.text_hash,
               "changes": [{"code": c["code"], "material": c["material"], "text": {"zh_CN": c["text"][0], "en": c["text"][1]}}
                           for c in self.changes.get("changes", ())]}
        if with_content:
            out |= {"text": {"zh_CN": self.text_zh, "en": self.text_en}, "content": self.content}
        return out


@dataclasses.dataclass(frozen=True)
class Notice:
    """A material change the person has not accepted yet: shown on every page until they do."""

    shown: Shown
    blocking: bool      # a fresh acceptance is needed before continuing (adds a consent-based purpose, reduces rights)
    change_page: bool   # the operator spells out what changed on a page of its own (ZK-7.2a)


def _shown(row: PolicyVersion) -> Shown:
    changes = json.loads(row.changes)
    kind = changes.get("kind", "material" if row.material else "editorial")
    return Shown(row.version, row.effective_on, row.published_at, row.text_zh, row.text_en, row.text_hash,
                 json.loads(row.content), kind, row.fresh_consent, changes, (row.summary_zh, row.summary_en))


class Policies:
    def __init__(self, container, acceptance: PolicyAcceptance | None = None):
        self.c = container
        self.acceptance: PolicyAcceptance = acceptance or LedgerAcceptance(container)
        self._baseline_shown: Shown | None = None
        # The consent engine records acceptances at login with the policy this feature publishes.
        container.consents.policy = LedgerPolicySource(self)

    @property
    def profile(self) -> OperatorProfile:
        return profile_for(self.c.settings)

    def today(self) -> dt.date:
        return china_day(self.c.clock())

    # -- generating ------------------------------------------------------------------------------------------
    def content(self, impact_assessment: dict | None = None) -> dict:
        return gather(self.c.catalog, self.c.settings, self.profile, impact_assessment=impact_assessment)

    def render(self, content: dict, version: str, effective_on: dt.date, published_on: dt.date | None = None) -> tuple[str, str, str]:
        """(text_zh, text_en, text_hash) of a policy with this content."""
        blocks = document.blocks(content, version, effective_on, published_on)
        zh, en = document.text(blocks, 0), document.text(blocks, 1)
        return zh, en, document.text_hash(zh, en)

    def _baseline(self) -> tuple[str, dt.date]:
        label = self.c.settings.policy_version
        try:
            return label, dt.date.fromisoformat(label)
        except ValueError:
            return label, self.today()

    def draft(self, effective_on: dt.date | None = None, impact_assessment: dict | None = None,
              session: Session | None = None) -> Shown:
        """The policy generated now, as it would be published with this effective date, classified against the
        latest published version."""
        with self._session(session) as s:
            latest = self._latest(s)
        content = self.content(impact_assessment)
        effective_on = effective_on or max(self.today(), latest.effective_on if latest is not None else self.today())
        label = effective_on.isoformat()
        if latest is None:
            kind, changes = "initial", {"kind": "initial", "changes": []}
        else:
            found = C.classify(json.loads(latest.content), content)
            kind, changes = found.kind, found.as_dict()
        zh, en, digest = self.render(content, label, effective_on, self.today())
        if latest is not None and kind == "unchanged" and digest != latest.text_hash and self._wording_changed(latest, content):
            wording = C.Change("wording", document.t(N_("The text of the policy was reworded.")), material=False)
            kind, changes = "editorial", C.Classification((wording,)).as_dict()
        fresh = bool(changes.get("fresh_consent"))
        return Shown(label, effective_on, None, zh, en, digest, content, kind, fresh, changes, ("", ""))

    def _wording_changed(self, latest: PolicyVersion, content: dict) -> bool:
        zh, en, _ = self.render(content, latest.version, latest.effective_on, china_day(latest.published_at))
        return (zh, en) != (latest.text_zh, latest.text_en)

    # -- versions --------------------------------------------------------------------------------------------
    def _session(self, session: Session | None):
        if session is not None:
            return contextlib.nullcontext(session)
        return self.c.uow()

    @staticmethod
    def _latest(s: Session) -> PolicyVersion | None:
        return s.scalars(select(PolicyVersion).order_by(PolicyVersion.published_at.desc(), PolicyVersion.version.desc()).limit(1)).first()

    def current(self, session: Session | None = None) -> Shown:
        """The version in effect today; before any is published, the generated policy as `JIDI_POLICY_VERSION`.
        In the caller's transaction when given one."""
        with self._session(session) as s:
            row = s.scalars(select(PolicyVersion).where(PolicyVersion.effective_on <= self.today())
                            .order_by(PolicyVersion.effective_on.desc(), PolicyVersion.published_at.desc()).limit(1)).first()
            if row is not None:
                return _shown(row)
        # Nothing published yet, or only versions that take effect later: the generated policy as JIDI_POLICY_VERSION.
        return self._generated_baseline()

    def _generated_baseline(self) -> Shown:
        # The same for the life of the process (code, catalog and settings): generated once, not at every login.
        if self._baseline_shown is None:
            self._baseline_shown = self._generate_baseline()
        return self._baseline_shown

    def _generate_baseline(self) -> Shown:
        label, eff = self._baseline()
        content = self.content()
        zh, en, digest = self.render(content, label, eff)
        return Shown(label, eff, None, zh, en, digest, content, "initial", False, {"kind": "initial", "changes": []}, ("", ""))

    def versions(self) -> list[Shown]:
        """Every published version, newest first."""
        with self.c.uow() as s:
            rows = s.scalars(select(PolicyVersion).order_by(PolicyVersion.published_at.desc(), PolicyVersion.version.desc())).all()
            return [_shown(r) for r in rows]

    def version(self, label: str) -> Shown:
        if not label or len(label) > 40:
            raise errors.not_found()
        with self.c.uow() as s:
            row = s.scalar(select(PolicyVersion).where(PolicyVersion.version == label))
            if row is None:
                raise errors.not_found()
            return _shown(row)

    def publish(self, effective_on: dt.date, summary_zh: str = "", summary_en: str = "", *,
                high_risk_assessment: tuple[str, str] | None = None) -> Shown:
        """Keep the generated policy as a new version taking effect on `effective_on` (China date, today or later).
        A material version has every customer told by SMS once this commits, and prompted on their next page."""
        summary_zh, summary_en = summary_zh.strip(), summary_en.strip()
        if len(summary_zh) > MAX_SUMMARY or len(summary_en) > MAX_SUMMARY:
            raise summary_too_long()
        if effective_on < self.today():
            raise effective_in_past()
        assessment = {"high_risk": True, "summary": list(high_risk_assessment)} if high_risk_assessment else None
        with self.c.uow() as s:
            latest = self._latest(s)
            if latest is not None and effective_on < latest.effective_on:
                raise effective_before_latest()
            label = effective_on.isoformat()
            taken = set(s.scalars(select(PolicyVersion.version).where(PolicyVersion.version.like(label + "%"))))
            n = 1
            while label in taken:
                n += 1
                label = f"{effective_on.isoformat()}.{n}"
            draft = self.draft(effective_on, assessment, session=s)
            if draft.kind == "unchanged":
                raise policy_unchanged()
            zh, en, digest = self.render(draft.content, label, effective_on, self.today())
            auto = [" ".join(c["text"][i] for c in draft.changes.get("changes", ())) for i in range(2)]
            if draft.kind == "initial":
                auto = document.t(N_("First published version."))
            material = draft.kind == "material"
            row = PolicyVersion(
                id=uuid.uuid4(), version=label, operator=self.profile.key, effective_on=effective_on,
                published_at=self.c.clock(), content=json.dumps(draft.content, ensure_ascii=False, sort_keys=True),
                text_zh=zh, text_en=en, text_hash=digest, material=material, fresh_consent=material and draft.fresh_consent,
                changes=json.dumps(draft.changes, ensure_ascii=False), summary_zh=summary_zh or auto[0][:MAX_SUMMARY],
                summary_en=summary_en or auto[1][:MAX_SUMMARY])
            s.add(row)
            s.flush()
            if material:
                self.c.events.record(s, "policy.material_published", version_id=str(row.id))
            return _shown(row)

    # -- notices and acceptance ------------------------------------------------------------------------------
    def notice_for(self, user_id: uuid.UUID) -> Notice | None:
        """The latest material version this person has not accepted, if any; blocking once a version that needs a
        fresh acceptance is in effect."""
        with self.c.uow() as s:
            material = s.scalars(select(PolicyVersion).where(PolicyVersion.material.is_(True))
                                 .order_by(PolicyVersion.published_at)).all()
            if not material:
                return None
            published = {v: at for v, at in s.execute(select(PolicyVersion.version, PolicyVersion.published_at))}
            accepted = self.acceptance.accepted(s, user_id)
            pending = [v for v in material if not self._accepted(v, accepted, published)]
            if not pending:
                return None
            today = self.today()
            blocking = any(v.fresh_consent and v.effective_on <= today for v in pending)
            return Notice(_shown(pending[-1]), blocking, self.profile.change_page)

    @staticmethod
    def _accepted(v: PolicyVersion, accepted: list[tuple[str, dt.datetime]], published: dict[str, dt.datetime]) -> bool:
        """Accepted: this version or a later one explicitly, or the policy at login (`JIDI_POLICY_VERSION`) once this
        version was published and in effect (the login page links the policy then in effect)."""
        start = max(dt.datetime.combine(v.effective_on, dt.time(), CHINA), v.published_at)
        for label, at in accepted:
            if label in published:
                if published[label] >= v.published_at:
                    return True
            elif at >= start:
                return True
        return False

    def accept(self, user_id: uuid.UUID, version: str, text_hash: str, how: str, locale: str = "zh_CN") -> None:
        """Record the person's acceptance of a published version whose text hashes to `text_hash` (what the page
        they accepted on showed): a forged or stale hash is refused and nothing is recorded."""
        with self.c.uow() as s:
            row = s.scalar(select(PolicyVersion).where(PolicyVersion.version == version)) if 0 < len(version) <= 40 else None
            if row is None:
                raise errors.not_found()
            if text_hash != row.text_hash:
                raise text_mismatch()
            self.acceptance.accept(s, user_id, _shown(row), locale, how)

    def notify_material(self, session: Session, version_id: str) -> int:
        """Queue the SMS of a material change to every active customer (the event handler); returns how many."""
        row = session.get(PolicyVersion, uuid.UUID(version_id))
        if row is None or not row.material:
            return 0
        url = self.c.settings.base_url.rstrip("/") + f"/privacy/changes/{row.version}"
        sent, after = 0, None
        while batch := self.c.accounts.customers_to_notify(session, after, SMS_BATCH):
            for user_id, phone in batch:
                self.c.notifier.queue_sms(session, subject_id=user_id, phone=phone, template="policy_changed",
                                          locale=self.c.settings.default_locale, date=row.effective_on.isoformat(), url=url)
                sent += 1
            after = batch[-1][0]
        return sent


@handles("policy.material_published", "policy.notify_by_sms")
def _notify_by_sms(container, session: Session, event: Event) -> None:
    container.policy.notify_material(session, event.payload["version_id"])
