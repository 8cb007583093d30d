"""Couriers' use cases: onboarding by the employer with a background check, the day's tasks, the steps of a pickup
and a delivery (each a route event through the tracking ingestion), location while on duty, exclusive couriers.

A courier sees a stop masked as the privacy waybill shows it (name with at least one character hidden, phone hidden,
address to the road or community) and opens the full address only of the stop being worked, audited by the privacy
core. A task assigned to another courier is refused (and the attempt audited), as is any step the task's state does
not allow (jidi.couriers.tasks, the one table of steps).
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import datetime as dt
import hmac
import json
import secrets as pysecrets
import time
import uuid
from collections.abc import Sequence
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jidi import errors, privacy, regions, values
from jidi.events import Event, handles
from jidi.i18n import N_, china_day
from jidi.kit.permissions import Kind
from jidi.privacy import Actor, Mask, Notice, Purpose, Role, Separate, mask
from jidi.couriers import tasks as T
from jidi.couriers.checks import BACKGROUND_CHECKS, SimulatedChecks, verify
from jidi.couriers.models import BackgroundCheck, ExclusiveCourier, LocationTrack, Partner, Task, Worker

# The tracking source of jidi's own courier app (the same as jidi.tracking.service.COURIER_SOURCE_ID, which shipping's
# real-name pickup records under; tests/test_couriers.py checks they agree).
COURIER_APP_SOURCE = uuid.UUID("6a1d0c3e-5b7f-5e0a-9c41-2f8e7d6b5a90")
ORDER_STATUS_CHANGED = "order.status_changed"
TASK_ASSIGNED, TASK_CLOSED = "courier.task_assigned", "courier.task_closed"
KINDS = ("courier", "driver")
# Permitted vehicle classes of a Chinese driving licence (准驾车型), as printed on it.
VEHICLE_CLASSES = ("A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "C4", "C5", "C6", "D", "E", "F", "M", "N", "P")
MAX_PINGS = 500
MAX_PROOF_BYTES = 300_000
QR_TTL_SECONDS = 365 * 86400
NEXT_ATTEMPT_DAYS = 7
CHINA_LAT, CHINA_LNG = (3.0, 54.0), (73.0, 136.0)
LOCATION_NOTICE_VERSION = "2026-12-06"
LOCATION_NOTICE = N_("Separate consent to sensitive personal information: while you are on duty, the courier app sends "
                     "your precise location to plan your route, to show where parcels are and, in a dispute, as evidence. "
                     "Nothing is collected off duty. Pings are deleted after 7 days unless held as evidence. You can "
                     "withdraw at any time; you can still work without it.")


# -- errors ---------------------------------------------------------------------------------------------------------
def order_taking_disabled() -> errors.AppError:
    return errors.AppError("order_taking_disabled", N_("Order-taking is not enabled for this account: the background check "
                                                       "has not passed, or the employment has ended."), 403)


def task_of_another_courier() -> errors.AppError:
    return errors.AppError("task_of_another_courier", N_("This parcel is assigned to another courier."), 403)


def off_duty() -> errors.AppError:
    return errors.AppError("off_duty", N_("You are off duty: no location is collected. Go on duty first."), 409)


def location_consent_required() -> errors.AppError:
    return errors.AppError("location_consent_required", N_("Location is collected only with your separate consent."), 403)


def location_permission_off() -> errors.AppError:
    return errors.AppError("location_permission_off", N_("Location is turned off in your settings: bind a courier by "
                                                         "scanning their QR code instead."), 403)


def proof_required() -> errors.AppError:
    return errors.AppError("proof_required", N_("A delivery needs a proof: a signature, a photo or the recipient's delivery code."), 422)


def delivery_code_wrong() -> errors.AppError:
    return errors.AppError("delivery_code_wrong", N_("The delivery code is not right."), 422)


def price_mismatch(price_fen: int) -> errors.AppError:
    return errors.AppError("price_mismatch", N_("The price for the measured weight is different: confirm the new price."), 409,
                           details={"price_fen": price_fen})


def route_refused() -> errors.AppError:
    return errors.AppError("route_refused", N_("The parcel's route does not accept this step now."), 409)


def signature_invalid() -> errors.AppError:
    return errors.AppError("callback_signature_invalid", N_("The callback's signature is missing or invalid."), 401)


def invalid_qr() -> errors.AppError:
    return errors.AppError("courier_qr_invalid", N_("This courier QR code is not valid (any more)."), 404)


def partner_key_invalid() -> errors.AppError:
    return errors.AppError("partner_key_invalid", N_("The partner API key is missing or invalid."), 401)


# -- what callers get -----------------------------------------------------------------------------------------------
@dataclasses.dataclass
class WorkerIn:
    kind: str
    employer: str
    work_email: str
    position: str
    legal_name: str
    id_type: str
    id_number: str
    regions: list[str]
    licence_file_number: str | None = None
    vehicle_class: str | None = None
    work_phone: str | None = None  # the work mobile number a task's virtual number connects to (optional)


@dataclasses.dataclass(frozen=True)
class Onboarded:
    worker_id: uuid.UUID
    user_id: uuid.UUID
    username: str
    password: str  # shown once to the employer, never stored in clear
    totp_secret: str
    status: str


@dataclasses.dataclass(frozen=True)
class WorkerView:
    id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    status: str
    legal_name: str  # masked
    regions: tuple[str, ...]
    on_duty: bool
    location_consent: bool
    work_phone: str | None = None  # masked; None: no work number (no virtual number is bound for their tasks)


@dataclasses.dataclass(frozen=True)
class Stop:
    """A task as its courier sees it: masked like the privacy waybill; nothing the stop does not need."""
    id: uuid.UUID
    kind: str
    status: str
    waybill_no: str
    name: str           # at least one character hidden
    phone: str          # hidden: calls go through a virtual number
    region_code: str
    address: str        # to the road or community: the rest hidden until the stop is opened
    window_from: dt.datetime | None
    window_until: dt.datetime | None
    weight_g: int
    price_fen: int
    item_category: str
    attempts: int
    reason: str | None
    next_attempt_on: dt.date | None
    steps: tuple[str, ...]  # what the courier may do next


@dataclasses.dataclass(frozen=True)
class NearbyCourier:
    token: str  # bind with it (an encrypted, expiring token: no id, no location)
    name: str   # masked


def mask_name(plain: str) -> str:
    """The privacy waybill's name: the first character and the rest hidden; a one-character name wholly hidden."""
    return "*" if len(plain) <= 1 else mask(Mask.NAME, plain)


def _courier_name(worker: Worker) -> str:
    """How a customer sees a courier: the legal name masked (opened by the system only to mask it)."""
    return mask_name(privacy.open(worker.legal_name, for_=Purpose.SECURITY, actor=Actor.system()))


class _Refused(Exception):
    """A courier reached for a task assigned to another courier."""

    def __init__(self, task_id: uuid.UUID, what: str):
        super().__init__(what)
        self.task_id, self.what = task_id, what


def _refusals(method):
    """Refuse a step on another courier's task (403) after writing the attempt to the audit log in its own
    transaction (the use case's own rolls back: nothing else changed)."""
    @functools.wraps(method)
    def wrapper(self, actor: Actor, *args, **kwargs):
        try:
            return method(self, actor, *args, **kwargs)
        except _Refused as refused:
            with self.c.uow() as s:
                self.c.audit.record(s, actor=actor, action="courier_refused", subject_id=None, purpose=Purpose.DELIVERY.value,
                                    detail=f"{refused.what} of a task assigned to another courier: {refused.task_id}")
            raise task_of_another_courier() from None
    return wrapper


def _site(region_code: str) -> tuple[str, str]:
    """The station of a district, where a courier's step is recorded (a business site, not a home)."""
    return f"ST{region_code}", f"{regions.full_name(region_code)}营业部"[:60]


class Couriers:
    def __init__(self, container):
        self.c = container
        self.checks = SimulatedChecks(self._check_secret, self._simulated_callback)
        container.shares.channels[BACKGROUND_CHECKS.key] = self.checks

    # -- partners (employers with an API key) ------------------------------------------------------------------------
    def create_partner(self, name: str) -> tuple[uuid.UUID, str]:
        name = values.text(name, 100, N_("partner name"))
        key = "lp_" + self.c.secrets.new_token()
        with self.c.uow() as s:
            p = Partner(id=uuid.uuid4(), name=name, api_key_hash=self.c.secrets.token_hash(key), active=True, created_at=self.c.clock())
            s.add(p)
        return p.id, key

    def partner_for_key(self, key: str | None) -> uuid.UUID:
        if not key or len(key) > 200:
            raise partner_key_invalid()
        with self.c.uow() as s:
            pid = s.scalar(select(Partner.id).where(Partner.api_key_hash == self.c.secrets.token_hash(key), Partner.active.is_(True)))
        if pid is None:
            raise partner_key_invalid()
        return pid

    # -- onboarding (CN-3.3.2, CN-3.1.6b, CN-3.1.9) -------------------------------------------------------------------
    @staticmethod
    def _checked(w: WorkerIn) -> WorkerIn:
        if w.kind not in KINDS:
            raise errors.invalid_field(N_("kind (courier or driver)"))
        id_type, number = values.id_number(w.id_type, w.id_number)
        served = []
        for code in w.regions or []:
            code = (code or "").strip()
            if not regions.is_leaf(code):
                raise errors.invalid_region()
            served.append(code)
        if w.kind == "courier" and not served:
            raise errors.invalid_field(N_("districts served"))
        licence = vehicle = None
        if w.kind == "driver":
            licence = (w.licence_file_number or "").strip()
            if not (licence.isascii() and licence.isdigit() and len(licence) == 12):
                raise errors.invalid_field(N_("driving-licence file number (12 digits)"))
            vehicle = (w.vehicle_class or "").strip().upper()
            if vehicle not in VEHICLE_CLASSES:
                raise errors.invalid_field(N_("permitted vehicle class"))
        elif w.licence_file_number or w.vehicle_class:
            raise errors.invalid_field(N_("driving licence (drivers only)"))
        phone = values.phone(w.work_phone) if (w.work_phone or "").strip() else None
        return WorkerIn(w.kind, values.text(w.employer, 100, N_("employer")), values.email(w.work_email),
                        values.text(w.position, 40, N_("position")), values.text(w.legal_name, 40, N_("legal name")),
                        id_type, number, sorted(set(served)), licence, vehicle, phone)

    def onboard(self, w: WorkerIn, *, by: Actor | None = None, partner_id: uuid.UUID | None = None) -> Onboarded:
        """A courier or driver created by their employer: jidi's staff (an administrator) or a logistics partner through
        its API. The account (the courier role: password and authenticator code, shown once) cannot take orders until
        the background check passes; the check is asked of the declared provider at once."""
        if partner_id is None and (by is None or by.role is not Role.ADMIN):
            raise errors.forbidden()
        w = self._checked(w)
        username = f"{w.kind[0]}{pysecrets.randbelow(10**8):08d}"
        password = pysecrets.token_urlsafe(12)
        user_id, totp_secret, _ = self.c.accounts.create_staff(Role.COURIER, username, password)
        with self.c.uow() as s:
            worker = Worker(id=uuid.uuid4(), user_id=user_id, kind=w.kind, partner_id=partner_id, id_type=w.id_type,
                            regions=",".join(w.regions), status="pending_check", on_duty=False, qr_version=1,
                            created_at=self.c.clock())
            worker.employer, worker.work_email, worker.position = w.employer, w.work_email, w.position
            worker.legal_name, worker.id_number = w.legal_name, w.id_number
            if w.work_phone:
                worker.work_phone = w.work_phone
            if w.kind == "driver":
                worker.licence_file_number, worker.vehicle_class = w.licence_file_number, w.vehicle_class
            s.add(worker)
            reference = self._request_check(s, worker)
            if by is not None:
                self.c.audit.record(s, actor=by, action="courier_onboarded", subject_id=user_id, detail=w.kind)
        if self.checks.immediate:
            self.checks.complete(reference)
        return Onboarded(worker.id, user_id, username, password, totp_secret, worker.status)

    def adopt(self, user_id: uuid.UUID, w: WorkerIn) -> None:
        """A courier profile for an existing courier account (the demo's), its background check asked as for any."""
        w = self._checked(w)
        with self.c.uow() as s:
            worker = Worker(id=uuid.uuid4(), user_id=user_id, kind=w.kind, id_type=w.id_type, regions=",".join(w.regions),
                            status="pending_check", on_duty=False, qr_version=1, created_at=self.c.clock())
            worker.employer, worker.work_email, worker.position = w.employer, w.work_email, w.position
            worker.legal_name, worker.id_number = w.legal_name, w.id_number
            if w.work_phone:
                worker.work_phone = w.work_phone
            s.add(worker)
            reference = self._request_check(s, worker)
        self.checks.complete(reference)

    def claim_open(self, actor: Actor) -> int:
        """Open tasks of the districts this courier serves, given to them (the demo; a dispatcher's page later)."""
        with self.c.uow() as s:
            worker = self._worker(s, actor)
            served = [r for r in worker.regions.split(",") if r]
            open_tasks = s.scalars(select(Task).where(Task.status == T.OPEN, Task.region_code.in_(served)).with_for_update()).all()
            for task in open_tasks:
                self._reassign(s, task, worker.user_id)
            return len(open_tasks)

    def _request_check(self, s: Session, worker: Worker) -> str:
        s.flush()  # sealed: the share register records the values it hands over
        check = BackgroundCheck(id=uuid.uuid4(), worker_id=worker.id, provider=self.checks.name, status="requested",
                                requested_at=self.c.clock())
        s.add(check)
        name, number = self.c.shares.disclose(s, BACKGROUND_CHECKS, [worker.legal_name, worker.id_number],
                                              reference=str(check.id), now=self.c.clock())
        check.provider_ref = self.checks.request(str(check.id), name, number)
        return str(check.id)

    def _check_secret(self) -> str:
        """The secret shared with the background-check provider (derived from the key ring's root, never stored)."""
        return self.c.secrets.token_hash("courier-background-check-callback").hex()

    def _simulated_callback(self, body: bytes, header: str) -> None:
        self.check_callback(body, header)

    def check_callback(self, body: bytes, header: str | None) -> str:
        """The provider's signed answer: the worker is cleared (order-taking enabled) or rejected. Forged, replayed or
        malformed: refused, nothing changed. A repeated callback changes nothing. Returns the check's status."""
        if not verify(self._check_secret(), header, body, time.time()):
            raise signature_invalid()
        try:
            data = json.loads(body)
            reference, result = uuid.UUID(str(data["reference"])), data["result"]
        except (ValueError, KeyError, TypeError):
            raise errors.invalid_field(N_("callback body")) from None
        if result not in ("passed", "failed"):
            raise errors.invalid_field(N_("result"))
        with self.c.uow() as s:
            check = s.get(BackgroundCheck, reference, with_for_update=True)
            if check is None:
                raise errors.not_found()
            if check.status != "requested":
                return check.status
            worker = s.get(Worker, check.worker_id, with_for_update=True)
            check.status, check.decided_at = result, self.c.clock()
            if worker.status == "pending_check":
                worker.status = "cleared" if result == "passed" else "rejected"
                worker.cleared_at = self.c.clock() if result == "passed" else None
            self.c.audit.record(s, actor=Actor.system(), action="courier_background_check", subject_id=worker.user_id,
                                detail=result)
            return check.status

    def recheck(self, by: Actor, worker_id: uuid.UUID) -> None:
        """Ask for a new check (after a rejection that was contested): back to pending until it answers."""
        if by.role is not Role.ADMIN:
            raise errors.forbidden()
        with self.c.uow() as s:
            worker = s.get(Worker, worker_id, with_for_update=True)
            if worker is None:
                raise errors.not_found()
            if worker.status == "ended":
                raise order_taking_disabled()
            worker.status = "pending_check"
            reference = self._request_check(s, worker)
        if self.checks.immediate:
            self.checks.complete(reference)

    def end_employment(self, by: Actor | None, worker_id: uuid.UUID, *, partner_id: uuid.UUID | None = None) -> None:
        """The employer ends the employment: no more order-taking, duty ended; the profile is deleted 31 days later."""
        with self.c.uow() as s:
            worker = s.get(Worker, worker_id, with_for_update=True)
            if worker is None or (partner_id is not None and worker.partner_id != partner_id):
                raise errors.not_found()
            if partner_id is None and (by is None or by.role is not Role.ADMIN):
                raise errors.forbidden()
            if worker.status != "ended":
                worker.status, worker.ended_at, worker.on_duty, worker.current_task_id = "ended", self.c.clock(), False, None
            for task in s.scalars(select(Task).where(Task.courier_id == worker.user_id, Task.status.not_in(T.CLOSED))):
                self._reassign(s, task, None)

    def status_of(self, worker_id: uuid.UUID) -> str:
        with self.c.uow() as s:
            status = s.scalar(select(Worker.status).where(Worker.id == worker_id))
        if status is None:
            raise errors.not_found()
        return status

    def workers(self, by: Actor) -> list[WorkerView]:
        if by.role is not Role.ADMIN:
            raise errors.forbidden()
        with self.c.uow() as s:
            rows = s.scalars(select(Worker).order_by(Worker.created_at.desc()).limit(500)).all()
            live = self.c.consents.live_among(s, [w.user_id for w in rows], Separate.SENSITIVE_LOCATION) if rows else set()
            return [self._worker_view(w, w.user_id in live) for w in rows]

    @staticmethod
    def _worker_view(w: Worker, consent: bool) -> WorkerView:
        return WorkerView(w.id, w.user_id, w.kind, w.status, w.legal_name.masked,
                          tuple(r for r in w.regions.split(",") if r), w.on_duty, consent,
                          w.work_phone.masked if w.work_phone is not None else None)

    def me(self, actor: Actor) -> WorkerView:
        with self.c.uow() as s:
            w = self._worker(s, actor, cleared=False)
            return self._worker_view(w, self.c.consents.is_live(s, w.user_id, Separate.SENSITIVE_LOCATION))

    # -- the worker behind a courier session -------------------------------------------------------------------------
    @staticmethod
    def _worker(s: Session, actor: Actor, *, cleared: bool = True, lock: bool = False) -> Worker:
        if actor.role is not Role.COURIER or actor.user_id is None:
            raise errors.forbidden()
        q = select(Worker).where(Worker.user_id == actor.user_id)
        worker = s.scalar(q.with_for_update() if lock else q)
        if worker is None:
            raise order_taking_disabled()
        if cleared and worker.status != "cleared":
            raise order_taking_disabled()
        return worker

    # -- duty and location (CN-3.1.8, CN-3.4.2a, CN-3.3.2, CN-3.1.9) ---------------------------------------------------
    def location_notice(self, locale: str) -> Notice:
        from jidi.i18n import gettext_for  # noqa: PLC0415

        return Notice(LOCATION_NOTICE_VERSION, gettext_for(locale)(LOCATION_NOTICE))

    def set_location_consent(self, actor: Actor, give: bool, locale: str, how: str = "page") -> bool:
        """Give or withdraw the separate consent to on-duty location (Separate.SENSITIVE_LOCATION)."""
        with self.c.uow() as s:
            worker = self._worker(s, actor, cleared=False)
            live = self.c.consents.is_live(s, worker.user_id, Separate.SENSITIVE_LOCATION)
            if give and not live:
                self.c.consents.record_grant(s, worker.user_id, Separate.SENSITIVE_LOCATION, self.location_notice(locale),
                                             how=how, how_ref="courier duty")
            elif not give and live:
                self.c.consents.withdraw(s, worker.user_id, Separate.SENSITIVE_LOCATION, how=how, how_ref="courier duty")
            return give

    def set_duty(self, actor: Actor, on: bool) -> bool:
        with self.c.uow() as s:
            worker = self._worker(s, actor, lock=True)
            if on and not worker.on_duty:
                worker.on_duty, worker.duty_since = True, self.c.clock()
            elif not on:
                worker.on_duty, worker.duty_since, worker.current_task_id = False, None, None
            return worker.on_duty

    def record_pings(self, actor: Actor, pings: Sequence[tuple[dt.datetime, float, float, int]]) -> int:
        """Store a batch of location pings (time, latitude, longitude, accuracy in metres) of a courier on duty who
        consented; off duty or without consent nothing is stored. One sealed row per batch; returns how many."""
        if not pings or len(pings) > MAX_PINGS:
            raise errors.invalid_field(N_("pings (1 to 500 per batch)"))
        now = self.c.clock()
        lines, times = [], []
        for when, lat, lng, acc in pings:
            if when.tzinfo is None or not (CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LNG[0] <= lng <= CHINA_LNG[1]) \
                    or not (0 <= acc <= 10_000):
                raise errors.invalid_field(N_("ping"))
            times.append(when)
            lines.append(f"{int(when.timestamp())},{lat:.6f},{lng:.6f},{int(acc)}")
        with self.c.uow() as s:
            worker = self._worker(s, actor)
            if not worker.on_duty or worker.duty_since is None:
                raise off_duty()
            since = worker.duty_since if worker.duty_since.tzinfo else worker.duty_since.replace(tzinfo=dt.UTC)
            if min(times) < since - dt.timedelta(minutes=1) or max(times) > now + dt.timedelta(minutes=5):
                raise errors.invalid_field(N_("ping time (while on duty only)"))
            if not self.c.consents.is_live(s, worker.user_id, Separate.SENSITIVE_LOCATION):
                raise location_consent_required()
            track = LocationTrack(id=uuid.uuid4(), courier_id=worker.user_id, first_at=min(times), last_at=max(times),
                                  points=len(lines), evidence=False, received_at=now)
            track.track = "\n".join(lines)
            s.add(track)
        return len(lines)

    def hold_as_evidence(self, by: Actor, courier_id: uuid.UUID, start: dt.datetime, end: dt.datetime) -> int:
        """A support agent keeps a courier's location of a period as evidence in a dispute (CN-3.4.2a): kept 180 days."""
        if by.role not in (Role.SUPPORT_AGENT, Role.ADMIN):
            raise errors.forbidden()
        with self.c.uow() as s:
            rows = s.scalars(select(LocationTrack).where(LocationTrack.courier_id == courier_id, LocationTrack.last_at >= start,
                                                         LocationTrack.first_at <= end)).all()
            for r in rows:
                r.evidence = True
            self.c.audit.record(s, actor=by, action="courier_location_evidence", subject_id=courier_id, detail=str(len(rows)))
            return len(rows)

    # -- tasks: creating and assigning ---------------------------------------------------------------------------------
    def dispatch(self) -> int:
        """Tasks for orders that have none yet: a pickup for each order awaiting pickup, a delivery for each order on its
        way; each assigned as `_courier_for` says. Run periodically (and by the order events); returns how many."""
        with self.c.uow() as s:
            parcels = self.c.shipping.courier_parcels(s, statuses=("awaiting_pickup", "not_accepted", "in_transit", "out_for_delivery"))
            have = set(s.execute(select(Task.order_id, Task.kind).where(Task.order_id.in_(list(parcels)))).all()) if parcels else set()
            made = 0
            for p in parcels.values():
                kind = T.PICKUP if p.status in ("awaiting_pickup", "not_accepted") else T.DELIVERY
                if (p.id, kind) not in have:
                    self._new_task(s, p, kind)
                    made += 1
            return made

    def _new_task(self, s: Session, p, kind: str) -> Task:
        now = self.c.clock()
        pickup = kind == T.PICKUP
        task = Task(id=uuid.uuid4(), order_id=p.id, waybill_no=p.waybill_no, kind=kind, status=T.OPEN,
                    region_code=p.origin_region if pickup else p.dest_region, window_from=p.pickup_from if pickup else None,
                    window_until=p.pickup_until if pickup else None, attempts=0, created_at=now, updated_at=now)
        s.add(task)
        s.flush()
        courier = self._courier_for(s, task.region_code, p.owner_id if pickup else None)
        if courier is not None:
            self._reassign(s, task, courier)
        return task

    def _courier_for(self, s: Session, region_code: str, customer_id: uuid.UUID | None) -> uuid.UUID | None:
        """Who gets a new task: the customer's exclusive courier first (JD-1.1.2(3)) if cleared, else the cleared courier
        serving the district with the fewest open tasks; None: left open for a dispatcher."""
        if customer_id is not None:
            bound = s.scalar(select(Worker.user_id).join(ExclusiveCourier, ExclusiveCourier.courier_id == Worker.user_id)
                             .where(ExclusiveCourier.customer_id == customer_id, Worker.status == "cleared"))
            if bound is not None:
                return bound
        serving = [w for w in s.scalars(select(Worker).where(Worker.status == "cleared", Worker.kind == "courier",
                                                             Worker.regions.contains(region_code)))
                   if region_code in w.regions.split(",")]
        if not serving:
            return None
        load = dict(s.execute(select(Task.courier_id, func.count()).where(
            Task.courier_id.in_([w.user_id for w in serving]), Task.status.not_in(T.CLOSED)).group_by(Task.courier_id)).all())
        return min(serving, key=lambda w: (load.get(w.user_id, 0), str(w.user_id))).user_id

    def _reassign(self, s: Session, task: Task, courier_id: uuid.UUID | None) -> None:
        """Give a task to a courier (None: back to the dispatcher), through the table of steps, and announce it."""
        if courier_id is None:
            task.courier_id, task.assigned_at, task.updated_at = None, None, self.c.clock()
            if task.status == T.ASSIGNED:
                task.status = T.OPEN
            return
        task.status = T.step(task.kind, task.status, T.ASSIGN)
        task.courier_id, task.assigned_at, task.updated_at = courier_id, self.c.clock(), self.c.clock()
        self.c.events.record(s, TASK_ASSIGNED, task_id=str(task.id), order_id=str(task.order_id), courier_id=str(courier_id))

    def _close(self, s: Session, task: Task, status: str) -> None:
        task.status, task.closed_at, task.updated_at = status, self.c.clock(), self.c.clock()
        self.c.events.record(s, TASK_CLOSED, task_id=str(task.id), order_id=str(task.order_id))

    def assign(self, by: Actor, task_id: uuid.UUID, courier_id: uuid.UUID) -> None:
        """A dispatcher (administrator) gives a task to a cleared courier."""
        if by.role is not Role.ADMIN:
            raise errors.forbidden()
        with self.c.uow() as s:
            task = s.get(Task, task_id, with_for_update=True)
            worker = s.scalar(select(Worker).where(Worker.user_id == courier_id))
            if task is None or worker is None:
                raise errors.not_found()
            if worker.status != "cleared" or worker.kind != "courier":
                raise order_taking_disabled()
            self._reassign(s, task, courier_id)

    def on_order_changes(self, s: Session, changes: list) -> None:
        """Orders that changed status (shipping's event): tasks follow — a new pickup or delivery task, a pickup
        cancelled with its order, a task closed by a step recorded elsewhere (a scanner, the real-name pickup page)."""
        latest = {uuid.UUID(order_id): status for order_id, _wb, status, _exc, _when in changes}
        tasks = {(t.order_id, t.kind): t for t in s.scalars(select(Task).where(Task.order_id.in_(list(latest))).with_for_update())}
        need = {oid for oid, st in latest.items()
                if (st == "awaiting_pickup" and (oid, T.PICKUP) not in tasks) or (st == "in_transit" and (oid, T.DELIVERY) not in tasks)}
        parcels = self.c.shipping.courier_parcels(s, need) if need else {}
        for oid, status in latest.items():
            pickup, delivery = tasks.get((oid, T.PICKUP)), tasks.get((oid, T.DELIVERY))
            if status == "awaiting_pickup" and pickup is None and oid in parcels:
                self._new_task(s, parcels[oid], T.PICKUP)
            elif status == "in_transit" and delivery is None and oid in parcels:
                self._new_task(s, parcels[oid], T.DELIVERY)
            if pickup is not None and pickup.status not in T.CLOSED:
                if status == "cancelled":
                    self._close(s, pickup, T.CANCELLED)
                elif status not in ("awaiting_payment", "awaiting_pickup", "not_accepted"):
                    self._close(s, pickup, T.PICKED_UP)
            if delivery is not None and delivery.status not in T.CLOSED and status in ("delivered", "refused", "returning", "returned"):
                self._close(s, delivery, T.DELIVERED if status == "delivered" else T.REFUSED)

    # -- tasks: what the courier sees ----------------------------------------------------------------------------------
    def day(self, actor: Actor, *, include_closed: bool = False) -> list[Stop]:
        """The courier's task list: open stops, pickups by their window, then deliveries (a phone's list)."""
        with self.c.uow() as s:
            worker = self._worker(s, actor)
            q = select(Task).where(Task.courier_id == worker.user_id)
            if not include_closed:
                q = q.where(Task.status.not_in(T.CLOSED))
            rows = s.scalars(q.order_by(Task.created_at).limit(500)).all()
            parcels = self.c.shipping.courier_parcels(s, {t.order_id for t in rows})
            stops = [self._stop(t, parcels[t.order_id]) for t in rows if t.order_id in parcels]
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        return sorted(stops, key=lambda st: (st.kind != T.PICKUP, st.window_from or far, st.waybill_no))

    def _stop(self, t: Task, p) -> Stop:
        party = p.sender if t.kind == T.PICKUP else p.recipient
        # Opened by the system only to mask them (as the label is printed), not shown: nothing to audit.
        name, address = privacy.open_all([party.name, party.address], for_=Purpose.DELIVERY, actor=Actor.system())
        return Stop(t.id, t.kind, t.status, t.waybill_no, mask_name(name or ""), mask(Mask.HIDDEN, "0" * 11), party.region_code,
                    mask(Mask.ADDRESS_LABEL, address), t.window_from, t.window_until, t.measured_weight_g or p.weight_g,
                    t.confirmed_price_fen or p.price_fen, p.item_category, t.attempts, t.reason, t.next_attempt_on,
                    T.allowed(t.kind, t.status))

    @staticmethod
    def _own_task(worker: Worker, task: Task | None, what: str) -> Task:
        """The task if it is this courier's; another courier's raises _Refused (audited by `_refusals`)."""
        if task is None:
            raise errors.not_found()
        if task.courier_id != worker.user_id:
            raise _Refused(task.id, what)
        return task

    @_refusals
    def stop(self, actor: Actor, task_id: uuid.UUID) -> Stop:
        with self.c.uow() as s:
            worker = self._worker(s, actor)
            task = self._own_task(worker, s.get(Task, task_id), "view")
            parcel = self.c.shipping.courier_parcels(s, {task.order_id})[task.order_id]
            return self._stop(task, parcel)

    @_refusals
    def scan(self, actor: Actor, raw_waybill: str) -> Stop:
        """A scanned waybill: this courier's task for it (the open one first); another courier's parcel is refused."""
        from jidi import waybill  # noqa: PLC0415

        number = waybill.normalise(raw_waybill or "")
        if not waybill.is_valid(number):
            raise errors.invalid_waybill()
        with self.c.uow() as s:
            worker = self._worker(s, actor)
            found = s.scalars(select(Task).where(Task.waybill_no == number)).all()
            mine = [t for t in found if t.courier_id == worker.user_id]
            if not mine:
                live = [t for t in found if t.status not in T.CLOSED] or found
                self._own_task(worker, live[0] if live else None, "scan")
            task = sorted(mine, key=lambda t: (t.status in T.CLOSED, t.kind != T.DELIVERY))[0]
            parcel = self.c.shipping.courier_parcels(s, {task.order_id})[task.order_id]
            return self._stop(task, parcel)

    @_refusals
    def open_address(self, actor: Actor, task_id: uuid.UUID) -> str:
        """The full street address of the stop being worked, for this courier only, while the task is workable; opening
        it makes it the courier's current stop. The reveal is audited by the privacy core (purpose DELIVERY)."""
        with self.c.uow() as s:
            worker = self._worker(s, actor, lock=True)
            task = self._own_task(worker, s.get(Task, task_id), "open")
            if task.status not in T.WORKABLE[task.kind]:
                raise T.step_not_allowed()
            parcel = self.c.shipping.courier_parcels(s, {task.order_id})[task.order_id]
            party = parcel.sender if task.kind == T.PICKUP else parcel.recipient
            worker.current_task_id = task.id
            return privacy.open(party.address, for_=Purpose.DELIVERY, actor=actor)

    # -- tasks: the steps ----------------------------------------------------------------------------------------------
    @_refusals
    def _begin(self, actor: Actor, task_id: uuid.UUID, action: str) -> tuple[Task, object]:
        """Check a step before anything is written: the courier's own task, and a step its status allows."""
        with self.c.uow() as s:
            worker = self._worker(s, actor)
            task = self._own_task(worker, s.get(Task, task_id), action)
            T.step(task.kind, task.status, action)
            parcel = self.c.shipping.courier_parcels(s, {task.order_id})[task.order_id]
            return task, parcel

    @_refusals
    def _finish(self, actor: Actor, task_id: uuid.UUID, action: str, prior: str | None = None, **changes) -> Stop:
        """Apply a step whose route event is stored: the task's new status (and the task_closed event) in one
        transaction. A retry after the route event was stored finds the step done and changes nothing."""
        with self.c.uow() as s:
            worker = self._worker(s, actor)
            task = s.get(Task, task_id, with_for_update=True)
            self._own_task(worker, task, action)
            for k, v in changes.items():
                setattr(task, k, v)
            if prior is not None and task.status == T.step(task.kind, prior, action) != prior:
                after = None  # the order's own event (e.g. shipping's pickup) has already moved the task there
            else:
                after = T.step(task.kind, task.status, action)
            if after is None:
                task.updated_at = self.c.clock()
            elif after in T.CLOSED:
                self._close(s, task, after)
                if worker.current_task_id == task.id:
                    worker.current_task_id = None
            else:
                task.status, task.updated_at = after, self.c.clock()
            s.flush()
            parcel = self.c.shipping.courier_parcels(s, {task.order_id})[task.order_id]
            return self._stop(task, parcel)

    def _route(self, task: Task, action: str, *, delivered_as: str | None = None, exception: str | None = None) -> None:
        code, name = _site(task.region_code)
        item = SimpleNamespace(event_id=f"task:{task.id.hex}:{action}:{task.attempts}", waybill_no=task.waybill_no,
                               event_time=self.c.clock(), action=T.ROUTE_ACTION[action] if action in T.ROUTE_ACTION else action,
                               site_code=code, site_name=name, operator=None, delivered_as=delivered_as, exception=exception)
        result = self.c.tracking.ingest(COURIER_APP_SOURCE, [item])[0]
        if result.result == "rejected":
            raise route_refused()

    def pick_up(self, actor: Actor, task_id: uuid.UUID, *, weight_g: int, price_fen: int, id_type: str | None = None,
                id_number: str | None = None, real_name: str | None = None) -> Stop:
        """Scan to pick up: the measured weight and the price for it, confirmed by the courier, then shipping's real-name
        pickup (reused identity, or the ID shown; JD-1.1.2(6)b), which records the "picked up" route event."""
        if not (isinstance(weight_g, int) and 1 <= weight_g <= 50_000):
            raise errors.invalid_field(N_("weight (1 g to 50 kg)"))
        # A value copied from a masked display is refused as such before anything else is looked at.
        for value, label in ((id_number, N_("ID number")), (real_name, N_("name"))):
            if value and privacy.looks_masked(value):
                raise errors.masked_value(label)
        task, p = self._begin(actor, task_id, T.PICK_UP)
        expected = self.price_for(p, weight_g)
        if price_fen != expected:
            raise price_mismatch(expected)
        self.c.shipping.pick_up(actor, task.waybill_no, id_type, id_number, real_name)
        return self._finish(actor, task_id, T.PICK_UP, task.status, measured_weight_g=weight_g, confirmed_price_fen=price_fen)

    def price_for(self, p, weight_g: int) -> int:
        """The price of an order at a measured weight: the freight for that weight plus the order's insurance premium."""
        quoted = self.c.shipping.quote(p.origin_region, p.dest_region, p.weight_g, p.service_type).price_fen
        premium = max(0, p.price_fen - quoted)
        return self.c.shipping.quote(p.origin_region, p.dest_region, weight_g, p.service_type).price_fen + premium

    def refuse_pickup(self, actor: Actor, task_id: uuid.UUID) -> Stop:
        """The sender shows no ID: not accepted (shipping's refusal, audited there); the task stays to be retried."""
        task, _ = self._begin(actor, task_id, T.REFUSE)
        self.c.shipping.refuse_pickup(actor, task.waybill_no, "id_not_shown")
        return self._finish(actor, task_id, T.REFUSE, task.status)

    def start(self, actor: Actor, task_id: uuid.UUID) -> Stop:
        """Out for delivery (first or next attempt)."""
        task, _ = self._begin(actor, task_id, T.START)
        self._route(task, T.START)
        return self._finish(actor, task_id, T.START, reason=None, next_attempt_on=None)

    def delivery_code(self, task_id: uuid.UUID) -> str:
        """The recipient's six-digit delivery code of a task: derived from the key ring, never stored."""
        mac = self.c.secrets.token_hash(f"courier-delivery-code:{task_id}")
        return f"{int.from_bytes(mac[:8], 'big') % 1_000_000:06d}"

    def recipient_code(self, user_id: uuid.UUID, raw_waybill: str) -> str | None:
        """For the recipient (an account whose number the parcel is addressed to): the code to give the courier."""
        view = self.c.shipping.order_for(user_id, raw_waybill)
        if view.mine_as != "recipient":
            raise errors.not_found()
        with self.c.uow() as s:
            task_id = s.scalar(select(Task.id).where(Task.waybill_no == view.waybill_no, Task.kind == T.DELIVERY,
                                                     Task.status.not_in(T.CLOSED)))
        return self.delivery_code(task_id) if task_id else None

    def deliver(self, actor: Actor, task_id: uuid.UUID, *, proof_kind: str | None, proof: bytes | None = None,
                code: str | None = None, delivered_as: str = "recipient") -> Stop:
        """Delivered, with a proof: a signature image or a photo (PNG or JPEG, sealed, kept with the waybill), or the
        recipient's delivery code. Without one, or with a wrong code, refused and nothing changed."""
        if proof_kind not in T.PROOF_KINDS:
            raise proof_required()
        if delivered_as not in ("recipient", "agent"):
            raise errors.invalid_field(N_("delivered to"))
        task, _ = self._begin(actor, task_id, T.DELIVER)
        stored = None
        if proof_kind == "code":
            if not code:
                raise proof_required()
            if not hmac.compare_digest(self.delivery_code(task_id), code.strip()[:12]):
                raise delivery_code_wrong()
        else:
            if not proof:
                raise proof_required()
            if len(proof) > MAX_PROOF_BYTES or not (proof.startswith(b"\x89PNG\r\n\x1a\n") or proof.startswith(b"\xff\xd8\xff")):
                raise errors.invalid_field(N_("proof image (PNG or JPEG, up to 300 kB)"))
            stored = base64.b64encode(proof).decode()
        self._route(task, T.DELIVER, delivered_as=delivered_as)
        # The image is sealed at flush under the task's own one-off subject.
        return self._finish(actor, task_id, T.DELIVER, task.status, proof_kind=proof_kind, **({"proof": stored} if stored else {}))

    def fail(self, actor: Actor, task_id: uuid.UUID, reason: str, next_attempt_on: dt.date | None = None) -> Stop:
        """A delivery attempt failed: the reason (a route exception) and the day of the next attempt (by default the
        next day, China time; at most a week ahead)."""
        if reason not in T.FAIL_REASONS:
            raise errors.invalid_field(N_("reason"))
        today = china_day(self.c.clock())
        next_day = next_attempt_on or today + dt.timedelta(days=1)
        if not (today <= next_day <= today + dt.timedelta(days=NEXT_ATTEMPT_DAYS)):
            raise errors.invalid_field(N_("next attempt (within a week)"))
        task, _ = self._begin(actor, task_id, T.FAIL)
        self._route(task, T.FAIL, exception=reason)
        return self._finish(actor, task_id, T.FAIL, reason=reason, next_attempt_on=next_day, attempts=task.attempts + 1)

    def recipient_refused(self, actor: Actor, task_id: uuid.UUID) -> Stop:
        task, _ = self._begin(actor, task_id, T.RECIPIENT_REFUSED)
        self._route(task, T.RECIPIENT_REFUSED)
        return self._finish(actor, task_id, T.RECIPIENT_REFUSED, task.status)

    def proof_of(self, by: Actor, task_id: uuid.UUID) -> tuple[str, bytes] | None:
        """A support agent opens a delivery's proof for a complaint (audited by the privacy core)."""
        with self.c.uow() as s:
            task = s.get(Task, task_id)
            if task is None or task.proof is None:
                raise errors.not_found()
            return task.proof_kind or "", base64.b64decode(privacy.open(task.proof, for_=Purpose.CUSTOMER_SERVICE, actor=by))

    # -- exclusive courier (JD-1.1.2(3)) -----------------------------------------------------------------------------
    def qr_token(self, actor: Actor) -> str:
        """The courier's QR code: an encrypted, expiring token naming the courier (no location, nothing else)."""
        with self.c.uow() as s:
            worker = self._worker(s, actor)
            return self._token(worker)

    def _token(self, worker: Worker) -> str:
        return self.c.secrets.seal_blob("courier-qr", {"w": str(worker.user_id), "v": worker.qr_version}, QR_TTL_SECONDS)

    def bind(self, customer_id: uuid.UUID, token: str, *, how: str = "qr") -> None:
        """Bind the courier a token names as the customer's exclusive courier (replacing any other)."""
        data = self.c.secrets.open_blob("courier-qr", (token or "")[:500])
        if data is None:
            raise invalid_qr()
        with self.c.uow() as s:
            worker = s.scalar(select(Worker).where(Worker.user_id == uuid.UUID(data["w"])))
            if worker is None or worker.status != "cleared" or worker.qr_version != data.get("v"):
                raise invalid_qr()
            row = s.scalar(select(ExclusiveCourier).where(ExclusiveCourier.customer_id == customer_id).with_for_update())
            if row is None:
                s.add(ExclusiveCourier(id=uuid.uuid4(), customer_id=customer_id, courier_id=worker.user_id, bound_by=how,
                                       created_at=self.c.clock()))
            else:
                row.courier_id, row.bound_by, row.created_at = worker.user_id, how, self.c.clock()

    def unbind(self, customer_id: uuid.UUID) -> bool:
        with self.c.uow() as s:
            row = s.scalar(select(ExclusiveCourier).where(ExclusiveCourier.customer_id == customer_id))
            if row is not None:
                s.delete(row)
            return row is not None

    def exclusive(self, customer_id: uuid.UUID) -> str | None:
        """The customer's exclusive courier, by masked name (None: none bound)."""
        with self.c.uow() as s:
            worker = s.scalar(select(Worker).join(ExclusiveCourier, ExclusiveCourier.courier_id == Worker.user_id)
                              .where(ExclusiveCourier.customer_id == customer_id))
            return _courier_name(worker) if worker is not None else None

    def nearby(self, customer_id: uuid.UUID, latitude: float, longitude: float) -> list[NearbyCourier]:
        """Couriers serving the district the customer is in, to choose one from: only with location allowed (not turned
        off in jidi's settings; the app sends the position only after the device's permission). The position is used
        once, to find the district, and not stored."""
        if Kind.GEOLOCATION in self.c.devices.turned_off(customer_id):
            raise location_permission_off()
        if not (CHINA_LAT[0] <= latitude <= CHINA_LAT[1] and CHINA_LNG[0] <= longitude <= CHINA_LNG[1]):
            raise errors.invalid_field(N_("location"))
        district = regions.nearest(latitude, longitude)
        if district is None:
            return []
        with self.c.uow() as s:
            rows = s.scalars(select(Worker).where(Worker.status == "cleared", Worker.kind == "courier",
                                                  Worker.regions.contains(district))).all()
            return [NearbyCourier(self._token(w), _courier_name(w)) for w in rows
                    if district in w.regions.split(",")][:20]


def decode_proof(data: str | None) -> bytes | None:
    """A proof image sent as base64 (the API): its bytes, or None; anything else is refused."""
    if not data:
        return None
    try:
        return base64.b64decode(data.split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        raise errors.invalid_field(N_("proof image (PNG or JPEG, up to 300 kB)")) from None


# -- event handlers ------------------------------------------------------------------------------------------------
@handles(ORDER_STATUS_CHANGED, "couriers.follow_orders")
def _follow_orders(container, session: Session, event: Event) -> None:
    container.couriers.on_order_changes(session, event.payload["changes"])


def _release_stop(container, session: Session, event: Event) -> None:
    """A task closed or given to someone else is nobody's open stop any more (its address cannot be opened)."""
    task_id = uuid.UUID(event.payload["task_id"])
    courier = uuid.UUID(event.payload["courier_id"]) if event.payload.get("courier_id") else None
    for w in session.scalars(select(Worker).where(Worker.current_task_id == task_id)):
        if courier is None or w.user_id != courier:
            w.current_task_id = None


handles(TASK_CLOSED, "couriers.release_closed_stop")(_release_stop)
handles(TASK_ASSIGNED, "couriers.release_reassigned_stop")(_release_stop)
