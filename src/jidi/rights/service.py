"""The rights centre: what a person may demand of their data, answered in time and completely.

Everything shown, copied or erased comes from the data map (jidi.privacy.datamap), which finds a person's rows
across every table from the schema and the catalog. Every request passes identity verification by an SMS code
to the account's phone first (JD-6.8.1a); next-of-kin requests are reviewed by the privacy officer with their
proof documents. Deadlines count working days on the official calendar (jidi.workdays).
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING

from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from jidi import errors, privacy
from jidi.db import after_commit
from jidi.events import Event, handles
from jidi.i18n import N_
from jidi.privacy import Actor, Purpose, Role
from jidi.privacy.datamap import Restricted, RowView
from jidi.privacy.sharing import RecipientTotals, ShareSummary
from jidi.rights import export, kinds as K
from jidi.rights.models import DataExport, KinProof, RequestEvent, RightsRequest
from jidi.shipping.obligations import open_obligations
from jidi.workdays import store
from jidi.workdays.schedule import Schedule
from jidi.workdays.store import LoadedYear

if TYPE_CHECKING:
    from jidi.accounts.service import AccountFacts

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_TEXT = 2000
MAX_PROOF_BYTES = 5 * 1024 * 1024
DUE_SOON = dt.timedelta(days=3)


def duplicate_request() -> errors.AppError:
    return errors.AppError("duplicate_request", N_("You already have an open request of this kind. You can follow it under My requests."), 409)


def blocked() -> errors.AppError:
    return errors.AppError("cancellation_blocked", N_("This cannot be done yet while parcels are on their way or shipments are "
                                                      "unpaid. The preview lists what is still open."), 409)


def already_erased() -> errors.AppError:
    return errors.AppError("already_erased", N_("This account's data has already been deleted."), 409)


def not_allowed_now() -> errors.AppError:
    return errors.AppError("request_state", N_("This request cannot be changed in its current state."), 409)


def refusal_needs_ground() -> errors.AppError:
    return errors.AppError("refusal_ground", N_("A refusal must name one of the lawful grounds and give a written reason."), 422)


def bad_proof() -> errors.AppError:
    return errors.AppError("bad_proof", N_("Each proof must be a PDF, JPEG or PNG file of at most 5 MB, and all four are needed."), 422)


@dataclasses.dataclass(frozen=True)
class RequestView:
    id: uuid.UUID
    kind: str
    scope: str
    status: str
    received_at: dt.datetime
    due_on: dt.date | None
    due_provisional: bool
    overdue: bool
    due_soon: bool
    fee_fen: int
    refusal_ground: str | None
    answer: str | None
    erase_after: dt.datetime | None
    history: tuple[tuple[dt.datetime, str, str], ...]
    export_id: uuid.UUID | None = None
    export_expires_at: dt.datetime | None = None
    relationship: str | None = None
    proofs: tuple[tuple[uuid.UUID, str, str, int], ...] = ()
    details: str | None = None    # what the requester wrote: in the requester's own views only
    # In the officer's views only, masked: the requester's mobile number and, for a next-of-kin request, the deceased
    # account's. None when that account's data is deleted (or no account matched the number the relative gave).
    requester: str | None = None
    deceased: str | None = None


@dataclasses.dataclass(frozen=True)
class Preview:
    """What a deletion, cancellation or withdrawal will do, shown before the person confirms."""

    kind: str
    blocked_by: tuple[str, ...]
    will_erase: tuple[tuple[tuple[str, str], int], ...]  # (table label, records)
    will_keep: tuple[Restricted, ...]
    will_notify: tuple[ShareSummary, ...]  # recipients of the data who will be told to delete it
    erase_after: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class HolidayLoad:
    replaced: LoadedYear | None  # the schedule loaded before for that year, if any
    recomputed: int  # open requests whose due date was counted again
    moved: int  # … of which the date changed (history entry, requester told)


# What "my data" shows: the rows held about the person, the records kept by law, and whom it was shared with.
MyData = tuple[list[RowView], list[Restricted], list[ShareSummary]]


def _end_of_day_in_china(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SHANGHAI).astimezone(dt.timezone.utc)


class Rights:
    def __init__(self, container):
        self.c = container
        # What the non-personal facts of each row are called in "my data": the features' declarations (Feature.labels).
        self.labels = export.ColumnLabels(container.features)

    @property
    def vault(self):
        return self.c.vault

    @property
    def datamap(self):
        return self.c.datamap

    # -- deadlines ---------------------------------------------------------------------------------------
    def _set_due(self, s: Session, req: RightsRequest) -> None:
        calendar = self.c.workdays
        deadline = calendar.rights_deadline(self.c.settings, req.received_at, req.verified_at, session=s)
        if deadline and deadline.provisional:
            # This process may have cached a year before another process loaded it: a stored date must not stay
            # provisional for that.
            for year in deadline.years_missing:
                calendar.invalidate(year)
            deadline = calendar.rights_deadline(self.c.settings, req.received_at, req.verified_at, session=s)
        req.due_on = deadline.due if deadline else None
        req.due_provisional = bool(deadline and deadline.provisional)

    def load_holidays(self, schedule: Schedule, source: str) -> HolidayLoad:
        """Make `schedule` the official holiday schedule of its year and, in the same transaction, recompute the due
        date of every open request that counts days in that year: once, here, not in each server as its calendar
        cache expires. A date that moves goes into the request's history and the requester is told by SMS."""
        year = schedule.year
        calendar = self.c.workdays
        with self.c.uow() as s:
            replaced = store.read_year(s, year)
            store.replace_year(s, schedule, source, self.c.clock())
            calendar.invalidate(year)  # read the new schedule through this transaction
            try:
                recomputed, moved = self._recompute_due(s, year)
            except BaseException:
                calendar.invalidate(year)  # nothing of a rolled-back schedule stays cached
                raise
            after_commit(s, lambda: calendar.invalidate(year))
        return HolidayLoad(replaced, recomputed, moved)

    def _recompute_due(self, s: Session, year: int) -> tuple[int, int]:
        start = dt.datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
        rows = s.scalars(select(RightsRequest).where(
            RightsRequest.status.in_(K.OPEN), RightsRequest.due_on >= dt.date(year, 1, 1), RightsRequest.received_at < start,
        ).order_by(RightsRequest.due_on).with_for_update()).all()
        moved = 0
        for req in rows:
            before = req.due_on
            self._set_due(s, req)
            if req.due_on != before:
                moved += 1
                self._event(s, req, "due_changed", Role.ADMIN)
                self._tell_due_changed(s, req, year)
        return len(rows), moved

    def _tell_due_changed(self, s: Session, req: RightsRequest, year: int) -> None:
        phone = self._phone(s, req.requester_id)
        if phone is None or req.due_on is None:
            return
        self.c.notifier.queue_sms(s, subject_id=req.requester_id, phone=phone,
                                  template="rights_due_changed", locale=self.c.settings.default_locale, year=year,
                                  date=req.due_on.isoformat())

    def _event(self, s: Session, req: RightsRequest, action: str, role: Role) -> None:
        now = self.c.clock()
        # Numbered here: the last number of a request is read once per transaction (a new request has none).
        last = s.info.setdefault("rights_event_seq", {})
        if req.id not in last:
            last[req.id] = s.scalar(select(func.max(RequestEvent.seq)).where(RequestEvent.request_id == req.id)) or 0
        last[req.id] += 1
        s.add(RequestEvent(id=uuid.uuid4(), request_id=req.id, seq=last[req.id], at=now, action=action, actor_role=role.value))
        req.updated_at = now

    # -- identity verification ------------------------------------------------------------------------
    def request_code(self, user_id: uuid.UUID, client_address: str, locale: str) -> int:
        """An SMS code to the account's own phone, asked for before showing full values or filing a request."""
        return self.c.accounts.request_own_code(user_id, "rights", client_address, locale)

    def _verify(self, user_id: uuid.UUID, code: str) -> None:
        self.c.accounts.check_own_code(user_id, "rights", code)

    # -- my data ------------------------------------------------------------------------------------------
    def my_data(self, user_id: uuid.UUID) -> MyData:
        """Everything held about the person, masked, and whom it was shared with (JD-6.1.1, CN-8.1.1a)."""
        with self.c.uow() as s:
            data = self.datamap.find(s, user_id)
            staff = self._role(s, user_id).is_staff
            return (*self.datamap.rows(s, self.vault, data, now=self.c.clock(), staff=staff), self._shared(s, data))

    def _shared(self, s: Session, data) -> list[ShareSummary]:
        return self.c.shares.summary(s, self.datamap.subjects(data), data.identifiers)

    def disclose(self, user_id: uuid.UUID, code: str) -> MyData:
        """The same in full, after re-verification by SMS code; recorded as an access request, answered at once."""
        self._verify(user_id, code)
        with self.c.uow() as s:
            user_role = self._role(s, user_id)
            req = self._new(s, user_id, K.ACCESS, verified=True)
            data = self.datamap.find(s, user_id)
            out = self.datamap.rows(s, self.vault, data, actor=Actor(user_id, user_role), now=self.c.clock(), disclose=True,
                                    staff=user_role.is_staff)
            self._close(s, req, K.FULFILLED, user_role)
            return (*out, self._shared(s, data))

    def _role(self, s: Session, user_id: uuid.UUID) -> Role:
        return self._user(s, user_id).role

    def _user(self, s: Session, user_id: uuid.UUID) -> AccountFacts:
        user = self.c.accounts.facts(s, user_id)
        if user is None or not user.active:
            raise errors.not_authenticated()
        return user

    def _is_staff(self, s: Session, user_id: uuid.UUID) -> bool:
        user = self.c.accounts.facts(s, user_id)
        return user is not None and user.role.is_staff

    # -- filing requests ----------------------------------------------------------------------------------
    @staticmethod
    def _open_same(s: Session, requester_id: uuid.UUID, kind: str, scope: str) -> bool:
        return bool(s.scalar(select(func.count()).select_from(RightsRequest).where(
            RightsRequest.requester_id == requester_id, RightsRequest.kind == kind, RightsRequest.scope == scope,
            RightsRequest.status.in_(K.OPEN))))

    def _new(self, s: Session, requester_id: uuid.UUID, kind: str, *, scope: str = "", verified: bool,
             subject_user_id: uuid.UUID | None = None) -> RightsRequest:
        """A new request with its first history (the caller has refused an open duplicate: `_open_same`)."""
        now = self.c.clock()
        req = RightsRequest(id=uuid.uuid4(), kind=kind, scope=scope, status=K.RECEIVED, requester_id=requester_id,
                            subject_user_id=subject_user_id or requester_id, received_at=now,
                            verified_at=now if verified else None, updated_at=now)
        self._set_due(s, req)  # before the insert: written with it
        s.add(req)
        s.flush()  # the request row first: its history rows refer to it
        s.info.setdefault("rights_event_seq", {})[req.id] = 0  # no history yet
        self._event(s, req, "received", Role.CUSTOMER)
        if verified:
            self._event(s, req, "verified", Role.CUSTOMER)
        s.flush()
        return req

    def _fee(self, s: Session, req: RightsRequest) -> bool:
        """Quote a fee for requests past the free number of this kind in 12 months (JD-6.8.3a, Ambiguity A16)."""
        st = self.c.settings
        since = req.received_at - dt.timedelta(days=365)
        earlier = s.scalar(select(func.count()).select_from(RightsRequest).where(
            RightsRequest.requester_id == req.requester_id, RightsRequest.kind == req.kind, RightsRequest.id != req.id,
            RightsRequest.received_at > since, RightsRequest.status != K.REFUSED))
        if earlier < st.rights_free_requests_per_year or st.rights_fee_fen <= 0:
            return False
        req.fee_fen, req.status = st.rights_fee_fen, K.AWAITING_FEE
        self._event(s, req, "fee_quoted", Role.ADMIN)
        return True

    def _close(self, s: Session, req: RightsRequest, status: str, role: Role, action: str | None = None) -> None:
        now = self.c.clock()
        req.status, req.closed_at = status, now
        req.decided_at = req.decided_at or now
        self._event(s, req, action or status, role)

    def preview(self, user_id: uuid.UUID, kind: str) -> Preview:
        """What deleting or cancelling would do now: blocking reasons, what goes, what the law keeps."""
        if kind not in (K.DELETION, K.CANCELLATION):
            raise errors.not_found()
        now = self.c.clock()
        with self.c.uow() as s:
            user = self._user(s, user_id)
            data = self.datamap.find(s, user_id, whole=False)
            counts, holds = self.datamap.plan(data, now)
            return Preview(kind, tuple(self._blockers(s, user)), tuple(counts.items()), tuple(holds), tuple(self._shared(s, data)),
                           now + relativedelta(months=1) if kind == K.CANCELLATION else None)

    @staticmethod
    def _blockers(s: Session, user: AccountFacts) -> list[str]:
        return open_obligations(s, user.id, user.phone_index)

    def submit(self, user_id: uuid.UUID, kind: str, code: str, *, scope: str = "", details: str | None = None) -> uuid.UUID:
        """File a request about one's own data, after checking the SMS code."""
        if kind not in K.SELF_KINDS or kind == K.ACCESS:
            raise errors.invalid_field(N_("kind of request"))
        if kind == K.WITHDRAWAL and scope not in K.WITHDRAWABLE:
            raise errors.invalid_field(N_("consent to withdraw"))
        if kind != K.WITHDRAWAL:
            scope = ""
        text = (details or "").strip()
        if kind in (K.CORRECTION, K.EXPLANATION) and not text:
            raise errors.invalid_field(N_("what you would like us to do"))
        if len(text) > MAX_TEXT:
            raise errors.invalid_field(N_("what you would like us to do"))
        # One transaction: what refuses the request is checked before the code is used up; a wrong code is counted
        # (committed) and raised after the commit.
        with self.c.uow() as s:
            user = self._user(s, user_id)
            if kind in (K.DELETION, K.CANCELLATION) and self._blockers(s, user):
                raise blocked()
            if self._open_same(s, user_id, kind, scope):
                raise duplicate_request()
            failure = self.c.accounts.use_own_code(s, user_id, "rights", code)
            if failure is None:
                req = self._new(s, user_id, kind, scope=scope, verified=True)
                if text:
                    req.details = text
                if not self._fee(s, req):
                    self._start(s, req, Role(user.role))
        if failure:
            raise failure
        return req.id

    def file_deletion(self, s: Session, user_id: uuid.UUID, *, reason: str) -> uuid.UUID:
        """A deletion the platform files for an account itself, in the caller's transaction: the account stops at once
        and the deletion job erases its data like any deletion request (legal holds kept) — e.g. a minor's data whose
        guardian withdrew consent or never gave it (JD-7.2, ZK-6.3). `reason` (no personal data) is kept with the
        request, whose history is the record that it was done. An open deletion of the account is returned instead."""
        open_id = s.scalar(select(RightsRequest.id).where(
            RightsRequest.requester_id == user_id, RightsRequest.kind == K.DELETION, RightsRequest.status.in_(K.OPEN)))
        if open_id is not None:
            return open_id
        req = self._new(s, user_id, K.DELETION, verified=False)
        req.details = reason
        facts = self.c.accounts.facts(s, user_id)
        if facts is not None and facts.active:  # not already stopped (a cancellation in progress)
            self.c.accounts.suspend(s, user_id, self.c.clock())
        self._start(s, req, Role.ADMIN)
        return req.id

    def accept_fee(self, user_id: uuid.UUID, request_id: uuid.UUID) -> None:
        with self.c.uow() as s:
            req = self._own(s, user_id, request_id, lock=True)
            if req.status != K.AWAITING_FEE:
                raise not_allowed_now()
            req.fee_accepted_at = self.c.clock()
            self._event(s, req, "fee_accepted", Role.CUSTOMER)
            self._start(s, req, self._role(s, user_id))

    def _start(self, s: Session, req: RightsRequest, role: Role) -> None:
        """Move a verified (and, if charged, accepted) request on: act at once, queue a job, or pass to review."""
        if req.kind == K.COPY:
            req.status = K.PROCESSING
            self._queue(s, "build_export", req.id)
        elif req.kind == K.DELETION:
            req.status = K.PROCESSING
            self._queue(s, "erase_for_request", req.id)
        elif req.kind == K.CANCELLATION:
            now = self.c.clock()
            req.status, req.erase_after = K.SCHEDULED, now + relativedelta(months=1)
            self.c.accounts.suspend(s, req.requester_id, now)
            self._event(s, req, "scheduled", role)
        elif req.kind == K.WITHDRAWAL:
            self._withdraw(s, req)
            self._close(s, req, K.FULFILLED, role)
        else:  # correction, explanation: answered by the privacy officer
            req.status = K.IN_REVIEW
            self._event(s, req, "in_review", Role.ADMIN)

    def _queue(self, s: Session, task: str, request_id: uuid.UUID) -> None:
        self.c.events.record(s, f"rights.{task}", request_id=str(request_id))

    def _withdraw(self, s: Session, req: RightsRequest) -> None:
        """Withdrawal stops the processing from now on; what was done before stays lawful (JD-6.4.3b)."""
        actor = Actor(req.requester_id, Role.CUSTOMER)
        if req.scope == "wechat_profile":
            self.c.accounts.withdraw_wechat_profile(s, req.requester_id, self.c.clock())
        elif req.scope == "email":
            self.c.accounts.withdraw_email(s, req.requester_id, self.c.clock())
        elif req.scope == "family_numbers":
            self.c.family.end_all_for_binder(s, req.requester_id, actor)
        self.c.audit.record(s, actor=actor, action="consent_withdrawn", subject_id=req.requester_id, detail=req.scope)

    # -- reading requests ------------------------------------------------------------------------------
    def _own(self, s: Session, user_id: uuid.UUID, request_id, *, lock: bool = False) -> RightsRequest:
        rid = errors.id_or_not_found(request_id)
        stmt = select(RightsRequest).where(RightsRequest.id == rid, RightsRequest.requester_id == user_id)
        req = s.scalar(stmt.with_for_update() if lock else stmt)
        if req is None:
            raise errors.not_found()
        return req

    def _view(self, s: Session, req: RightsRequest, *, reveal_answer: bool = True) -> RequestView:
        now = self.c.clock()
        history = tuple((e.at, e.action, e.actor_role) for e in s.scalars(
            select(RequestEvent).where(RequestEvent.request_id == req.id).order_by(RequestEvent.seq)))
        exp = s.scalar(select(DataExport).where(DataExport.request_id == req.id))
        answer = req.answer if reveal_answer else None
        due_end = _end_of_day_in_china(req.due_on) if req.due_on else None
        is_open = req.status in K.OPEN
        proofs = tuple((p.id, p.kind, p.content_type, p.size_bytes) for p in s.scalars(
            select(KinProof).where(KinProof.request_id == req.id).order_by(KinProof.kind)))
        return RequestView(
            req.id, req.kind, req.scope, req.status, req.received_at, req.due_on, req.due_provisional,
            bool(is_open and due_end and now >= due_end), bool(is_open and due_end and now < due_end <= now + DUE_SOON),
            req.fee_fen, req.refusal_ground, privacy.open(answer, for_=Purpose.SELF_SERVICE, actor=Actor.system()),
            req.erase_after, history, exp.id if exp and exp.expires_at > now else None, exp.expires_at if exp else None,
            req.relationship, proofs,
        )

    def _own_view(self, s: Session, req: RightsRequest) -> RequestView:
        """The requester's view, with what they wrote: their own data, shown only to them (_own checked it)."""
        details = req.details
        text = privacy.open(details, for_=Purpose.SELF_SERVICE, actor=Actor.system()) if details is not None else None
        return dataclasses.replace(self._view(s, req), details=text)

    def my_requests(self, user_id: uuid.UUID) -> list[RequestView]:
        with self.c.uow() as s:
            rows = s.scalars(select(RightsRequest).where(RightsRequest.requester_id == user_id)
                             .order_by(RightsRequest.received_at.desc()).limit(200)).all()
            return [self._own_view(s, r) for r in rows]

    def my_request(self, user_id: uuid.UUID, request_id) -> RequestView:
        with self.c.uow() as s:
            return self._own_view(s, self._own(s, user_id, request_id))

    # -- copies ------------------------------------------------------------------------------------------
    def build_export(self, request_id: uuid.UUID, locale: str = "zh_CN") -> None:
        """The job behind a copy request: assemble, seal under the owner's key, keep for a limited time."""
        now = self.c.clock()
        with self.c.uow() as s:
            req = s.get(RightsRequest, request_id, with_for_update=True)
            if req is None or req.status != K.PROCESSING or req.kind not in (K.COPY, K.NEXT_OF_KIN):
                return  # done already, or withdrawn: running twice changes nothing
            if s.scalar(select(DataExport.id).where(DataExport.request_id == req.id)):
                return
            actor = Actor(req.requester_id, Role.CUSTOMER if req.kind == K.COPY else Role.PRIVACY_OFFICER)
            data = self.datamap.find(s, req.subject_user_id)
            views, restricted = self.datamap.rows(s, self.vault, data, actor=actor, now=now, disclose=True,
                                                  staff=self._is_staff(s, req.subject_user_id))
            doc = export.document(views, restricted, self._shared(s, data), locale=locale, generated_at=now, labels=self.labels)
            blob = export.archive(doc, locale)
            exp = DataExport(id=uuid.uuid4(), request_id=req.id, owner_id=req.requester_id, size_bytes=len(blob),
                             created_at=now, expires_at=now + dt.timedelta(hours=self.c.settings.rights_export_ttl_hours))
            exp.archive = base64.b64encode(blob).decode()
            s.add(exp)
            self._event(s, req, "export_ready", Role.ADMIN)
            self._close(s, req, K.FULFILLED, Role.ADMIN)

    def download(self, user_id: uuid.UUID, export_id) -> bytes:
        """The owner's copy, while it is still offered. Anyone else gets "not found"."""
        eid = errors.id_or_not_found(export_id)
        with self.c.uow() as s:
            exp = s.get(DataExport, eid)
            if exp is None or exp.owner_id != user_id or exp.expires_at <= self.c.clock() or exp.archive is None:
                raise errors.not_found()
            exp.downloads += 1
            self.c.audit.record(s, actor=Actor(user_id, Role.CUSTOMER), action="export_download", subject_id=user_id,
                              fields=["data_exports.archive"], purpose=Purpose.SELF_SERVICE.value)
            return base64.b64decode(privacy.open(exp.archive, for_=Purpose.SELF_SERVICE, actor=Actor.system()))

    # -- erasure -----------------------------------------------------------------------------------------
    def erase_for_request(self, request_id: uuid.UUID) -> None:
        """The job behind a deletion (and a cancellation that fell due): all or nothing, retried until done."""
        now = self.c.clock()
        with self.c.uow() as s:
            req = s.get(RightsRequest, request_id, with_for_update=True)
            if req is None or req.status not in (K.PROCESSING, K.SCHEDULED):
                return
            data = self.datamap.find(s, req.subject_user_id, whole=False)
            report = self.datamap.erase(s, self.vault, data, actor=Actor.system(), now=now, reason=f"rights:{req.kind}")
            req = s.get(RightsRequest, request_id)  # erasure detached the rows it found, this one among them
            self._event(s, req, "erased", Role.ADMIN)
            if report.recipients_told:
                # Everyone we shared the data with is told to delete it (JD-6.3.1c), once this commits.
                self._event(s, req, "recipients_told", Role.ADMIN)
                self.c.events.record(s, "shares.deletion_asked")
            self._close(s, req, K.FULFILLED, Role.ADMIN)

    def purge_due_cancellations(self) -> int:
        """Erase accounts whose cancellation month has passed (JD-5.2.1b); the periodic job calls this."""
        now = self.c.clock()
        with self.c.uow() as s:
            due = s.scalars(select(RightsRequest.id).where(RightsRequest.kind == K.CANCELLATION, RightsRequest.status == K.SCHEDULED,
                                                           RightsRequest.erase_after <= now).limit(100)).all()
        for rid in due:
            self.erase_for_request(rid)
        return len(due)

    def purge_expired_exports(self) -> int:
        with self.c.uow() as s:
            return s.execute(delete(DataExport).where(DataExport.expires_at <= self.c.clock())).rowcount or 0

    # -- next of kin ------------------------------------------------------------------------------------
    def submit_kin(self, applicant_id: uuid.UUID, code: str, *, deceased_phone: str, relationship: str, right: str,
                   details: str | None, proofs: dict[str, tuple[str, bytes]]) -> uuid.UUID:
        """A close relative's request about a deceased user (JD-6.8.2, PIPL art. 49): reviewed by hand."""
        if relationship not in K.RELATIONSHIPS:
            raise errors.invalid_field(N_("relationship"))
        if right not in K.KIN_RIGHTS:
            raise errors.invalid_field(N_("what you ask for"))
        if set(proofs) != set(K.KIN_PROOFS):
            raise bad_proof()
        for content_type, content in proofs.values():
            magic = K.PROOF_TYPES.get(content_type)
            if magic is None or not content.startswith(magic) or len(content) > MAX_PROOF_BYTES:
                raise bad_proof()
        text = (details or "").strip()
        if len(text) > MAX_TEXT:
            raise errors.invalid_field(N_("what you would like us to do"))
        deceased = self.c.accounts.user_id_for_phone(deceased_phone)
        self._verify(applicant_id, code)
        with self.c.uow() as s:
            self._role(s, applicant_id)
            if self._open_same(s, applicant_id, K.NEXT_OF_KIN, right):
                raise duplicate_request()
            # Filed whether or not the number has an account, so the form does not tell who is a user.
            req = self._new(s, applicant_id, K.NEXT_OF_KIN, scope=right, verified=True)
            req.subject_user_id = deceased if deceased != applicant_id else None
            req.relationship = relationship
            req.status = K.IN_REVIEW
            if text:
                req.details = text
            proof_subject = self.vault.create_subject(s)
            for kind, (content_type, content) in proofs.items():
                p = KinProof(id=uuid.uuid4(), request_id=req.id, subject_id=proof_subject, kind=kind, content_type=content_type,
                             size_bytes=len(content), uploaded_at=self.c.clock())
                p.content = base64.b64encode(content).decode()
                s.add(p)
            self._event(s, req, "in_review", Role.ADMIN)
            return req.id

    # -- the privacy officer -------------------------------------------------------------------------------
    @staticmethod
    def _officer(actor: Actor) -> None:
        if actor.role is not Role.PRIVACY_OFFICER:
            raise errors.forbidden()

    def _phone(self, s: Session, user_id: uuid.UUID | None):
        """An account's mobile number (a Personal), or None: no account, or its data is deleted."""
        phone = self.c.accounts.phone(s, user_id)
        return phone if phone is not None and phone.readable else None  # erased: nothing left to open

    def _officer_view(self, s: Session, req: RightsRequest, *, reveal_answer: bool = True) -> RequestView:
        """With the requester (and the deceased of a next-of-kin request) masked, 138****5678: enough to tell people
        apart; the full number only through officer_reveal."""
        def masked(user_id):
            phone = self._phone(s, user_id)
            return phone.masked if phone is not None else None

        return dataclasses.replace(self._view(s, req, reveal_answer=reveal_answer), requester=masked(req.requester_id),
                                   deceased=masked(req.subject_user_id) if req.kind == K.NEXT_OF_KIN else None)

    def queue(self, actor: Actor, *, include_closed: bool = False) -> list[RequestView]:
        """Open requests, the soonest due first; overdue and due-soon ones are flagged; requesters masked."""
        self._officer(actor)
        with self.c.uow() as s:
            stmt = select(RightsRequest)
            if not include_closed:
                stmt = stmt.where(RightsRequest.status.in_(K.OPEN))
            rows = s.scalars(stmt.order_by(RightsRequest.due_on.is_(None), RightsRequest.due_on, RightsRequest.received_at).limit(500)).all()
            return [self._officer_view(s, r, reveal_answer=False) for r in rows]

    def share_register(self, actor: Actor) -> list[RecipientTotals]:
        """Every declared recipient with how much was handed to it and the deletion notices pending and sent."""
        self._officer(actor)
        with self.c.uow() as s:
            return self.c.shares.overview(s)

    def officer_request(self, actor: Actor, request_id) -> tuple[RequestView, str | None]:
        """One request with its history, and what the requester wrote (opened for the rights request, audited)."""
        self._officer(actor)
        with self.c.uow() as s:
            req = s.get(RightsRequest, errors.id_or_not_found(request_id))
            if req is None:
                raise errors.not_found()
            details = req.details
            text = privacy.open(details, for_=Purpose.RIGHTS_REQUEST, actor=actor) if details is not None else None
            return self._officer_view(s, req), text

    def officer_reveal(self, actor: Actor, request_id, who: str) -> str:
        """The full mobile number of the requester or (next of kin) the deceased account, to contact or check them
        for this request: opened for the rights request, audited."""
        self._officer(actor)
        with self.c.uow() as s:
            req = s.get(RightsRequest, errors.id_or_not_found(request_id))
            if req is None or who not in ("requester", "deceased") or (who == "deceased" and req.kind != K.NEXT_OF_KIN):
                raise errors.not_found()
            phone = self._phone(s, req.requester_id if who == "requester" else req.subject_user_id)
            if phone is None:
                raise errors.not_found()
            return privacy.open(phone, for_=Purpose.RIGHTS_REQUEST, actor=actor)

    def officer_proof(self, actor: Actor, request_id, proof_id) -> tuple[str, bytes]:
        self._officer(actor)
        with self.c.uow() as s:
            p = s.get(KinProof, errors.id_or_not_found(proof_id))
            if p is None or str(p.request_id) != str(request_id):
                raise errors.not_found()
            content = privacy.open(p.content, for_=Purpose.RIGHTS_REQUEST, actor=actor)
            return p.content_type, base64.b64decode(content)

    def approve(self, actor: Actor, request_id, answer: str | None = None) -> None:
        """Fulfil a reviewed request: answer a correction or explanation; act on a next-of-kin request."""
        self._officer(actor)
        text = (answer or "").strip()
        if len(text) > MAX_TEXT:
            raise errors.invalid_field(N_("answer"))
        with self.c.uow() as s:
            req = s.get(RightsRequest, errors.id_or_not_found(request_id), with_for_update=True)
            if req is None:
                raise errors.not_found()
            if req.status != K.IN_REVIEW:
                raise not_allowed_now()
            if req.kind == K.NEXT_OF_KIN and req.scope == K.DELETION and self.c.accounts.is_erased(s, req.subject_user_id):
                raise already_erased()
            if text:
                req.answer = text
            req.decided_at = self.c.clock()
            self._event(s, req, "approved", actor.role)
            if req.kind == K.NEXT_OF_KIN and req.subject_user_id is not None and req.scope in (K.ACCESS, K.COPY):
                req.status = K.PROCESSING
                self._queue(s, "build_export", req.id)
            elif req.kind == K.NEXT_OF_KIN and req.subject_user_id is not None and req.scope == K.DELETION:
                req.status = K.PROCESSING
                self._queue(s, "erase_for_request", req.id)
            else:
                if not text:
                    raise errors.invalid_field(N_("answer"))
                self._close(s, req, K.FULFILLED, actor.role, "answered")

    def refuse(self, actor: Actor, request_id, ground: str, reason: str) -> None:
        """Refuse only on a lawful ground, with a written reason the requester sees (JD-6.8.3c)."""
        self._officer(actor)
        reason = (reason or "").strip()
        if ground not in K.REFUSAL_GROUNDS or not reason or len(reason) > MAX_TEXT:
            raise refusal_needs_ground()
        with self.c.uow() as s:
            req = s.get(RightsRequest, errors.id_or_not_found(request_id), with_for_update=True)
            if req is None:
                raise errors.not_found()
            if req.status not in K.OPEN:
                raise not_allowed_now()
            if req.kind == K.CANCELLATION:
                self.c.accounts.resume(s, req.requester_id)
            req.refusal_ground = ground
            req.answer = reason
            self._close(s, req, K.REFUSED, actor.role)


__all__ = ["Rights", "RequestView", "Preview"]


# The work a request hands on, delivered through events (jidi.events): retried until it completes, and idempotent.
@handles("rights.build_export", "rights.build_export", own_transactions=True)
def _build_export(container, session: Session, event: Event) -> None:
    container.rights.build_export(uuid.UUID(event.payload["request_id"]))


@handles("rights.erase_for_request", "rights.erase_for_request", own_transactions=True)
def _erase_for_request(container, session: Session, event: Event) -> None:
    container.rights.erase_for_request(uuid.UUID(event.payload["request_id"]))
