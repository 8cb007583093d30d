"""Service stations and parcel lockers (stations and lockers of issue 12): the recipient's consent, the pickup code,
collection, reminders and the return to the sender.

* Consent: a parcel goes into a locker or a station only when its recipient agreed — a standing choice in their settings
  (lockers, stations, or one given point) or a choice for that parcel — as the express-market rules require (快递市场管理
  办法: no locker or station delivery without the recipient's consent). Otherwise the deposit is refused and nothing
  changes.
* Deposit: the point's device (its API key is its tracking source's) reports the parcel; the route event ("delivered",
  as locker or station) goes through the tracking ingestion like any scan, so tracking, route SMS, webhooks and
  retention follow. A 6-digit pickup code (取件码) goes by SMS to the recipient and to every family number the recipient
  authorised (jidi.family). The code is derived from the server's key and a salt of the held parcel, never stored.
* Collection: at the point, with the code. Wrong codes are counted per point and per client (jidi.ratelimit) and
  refused with 429 past the limit, so codes cannot be tried out.
* Reminders every REMIND_EVERY while held; after the point's holding period the parcel is returned to the sender (a
  "returning" route event through the same ingestion; the one way out of "delivered", jidi.shipping.states.UNCOLLECTED).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import math
import secrets
import uuid
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jidi import errors, ratelimit, regions, waybill
from jidi.i18n import N_, china_datetime
from jidi.ratelimit import Limit
from jidi.shipping import states
from jidi.stations.models import COLLECTED, HELD, RETURNED, HeldParcel, ParcelChoice, ServicePoint, StandingChoice

KINDS = ("station", "locker")
CHOICES = ("door", "locker", "station")
HOLDING_DAYS = {"station": 3, "locker": 2}
REMIND_EVERY = dt.timedelta(hours=24)
# Wrong pickup codes: per point, and per client address (a locker's keypad or a phone).
CODE_LIMITS = (Limit.of("pickup_code_point", "10/15 minutes"), Limit.of("pickup_code_client", "20/hour"))


def consent_missing() -> errors.AppError:
    return errors.AppError("point_consent_missing", N_("The recipient has not agreed to have this parcel left in a locker or "
                                                       "station. Deliver it to the door, or ask the recipient first."), 409)


def point_refused() -> errors.AppError:
    return errors.AppError("point_refused", N_("This parcel cannot be left here now: it is not out for delivery."), 409)


def point_key_invalid() -> errors.AppError:
    return errors.AppError("point_key_invalid", N_("The service point's API key is missing or invalid."), 401)


def pickup_code_wrong() -> errors.AppError:
    return errors.AppError("pickup_code_wrong", N_("This pickup code is not right here. Check the code in your SMS."), 400)


def pickup_too_many(seconds: int) -> errors.AppError:
    return errors.AppError("pickup_too_many", N_("Too many wrong pickup codes. Please try again in {minutes} minutes."), 429,
                           retry_after=seconds, minutes=math.ceil(seconds / 60))


def point_invalid() -> errors.AppError:
    return errors.AppError("point_invalid", N_("There is no such service point, or it is not of a kind you chose."), 409)


def not_recipient() -> errors.AppError:
    return errors.AppError("not_recipient", N_("Only the parcel's recipient can choose where it is delivered."), 403)


@dataclasses.dataclass(frozen=True)
class PointView:
    id: uuid.UUID
    code: str
    kind: str
    name: str
    operator_name: str
    region_code: str
    address: str
    latitude: float
    longitude: float
    hours: str
    holding_days: int
    source_id: uuid.UUID = dataclasses.field(repr=False)  # its tracking source: not shown anywhere

    @property
    def full_address(self) -> str:
        return regions.full_name(self.region_code) + self.address


@dataclasses.dataclass(frozen=True)
class StandingView:
    allow_locker: bool
    allow_station: bool
    point: PointView | None


@dataclasses.dataclass(frozen=True)
class HeldView:
    waybill_no: str
    point: PointView
    status: str
    held_at: dt.datetime
    due_at: dt.datetime
    collected_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class PickupView:
    """What the recipient sees of their held parcel: where, the code, until when."""

    held: HeldView
    code: str | None  # None once collected or returned


def _view(p: ServicePoint) -> PointView:
    return PointView(p.id, p.code, p.kind, p.name, p.operator_name, p.region_code, p.address, p.latitude, p.longitude, p.hours,
                     p.holding_days, p.source_id)


class Stations:
    def __init__(self, container):
        self.c = container

    # -- points ----------------------------------------------------------------------------------------------------
    def create_point(self, kind: str, code: str, name: str, operator_name: str, region_code: str, address: str,
                     latitude: float, longitude: float, hours: str = "09:00-21:00", holding_days: int | None = None) -> tuple[PointView, str]:
        """A new point and its device's API key (shown once: the key of the point's tracking source)."""
        if kind not in KINDS:
            raise errors.invalid_field(N_("kind of service point"))
        if not regions.is_leaf(region_code):
            raise errors.invalid_region()
        if not (3 <= latitude <= 54 and 73 <= longitude <= 136):
            raise errors.invalid_field(N_("position"))
        for value, size, label in ((code, 24, N_("site code")), (name, 60, N_("name")), (operator_name, 60, N_("operator")),
                                   (address, 120, N_("street address")), (hours, 60, N_("opening hours"))):
            if not value or len(value) > size or not value.isprintable():
                raise errors.invalid_field(label)
        days = holding_days or HOLDING_DAYS[kind]
        if not 1 <= days <= 14:
            raise errors.invalid_field(N_("holding period"))
        source_id, key = self.c.tracking.create_source(name, "partner")
        with self.c.uow() as s:
            if s.scalar(select(ServicePoint.id).where(ServicePoint.code == code)) is not None:
                raise errors.AppError("point_code_taken", N_("A service point with this site code exists already."), 409)
            p = ServicePoint(id=uuid.uuid4(), code=code, kind=kind, name=name, operator_name=operator_name, region_code=region_code,
                             address=address, latitude=latitude, longitude=longitude, hours=hours, holding_days=days,
                             source_id=source_id, active=True, created_at=self.c.clock())
            s.add(p)
            return _view(p), key

    def points(self) -> list[PointView]:
        with self.c.uow() as s:
            return [_view(p) for p in s.scalars(select(ServicePoint).where(ServicePoint.active.is_(True))
                                                .order_by(ServicePoint.region_code, ServicePoint.code))]

    def point(self, code: str) -> PointView:
        with self.c.uow() as s:
            p = s.scalar(select(ServicePoint).where(ServicePoint.code == code, ServicePoint.active.is_(True)))
            if p is None:
                raise errors.not_found()
            return _view(p)

    def point_for_key(self, key: str | None) -> PointView:
        try:
            source_id = self.c.tracking.source_for_key(key)
        except errors.AppError:
            raise point_key_invalid() from None
        with self.c.uow() as s:
            p = s.scalar(select(ServicePoint).where(ServicePoint.source_id == source_id, ServicePoint.active.is_(True)))
            if p is None:
                raise point_key_invalid()
            return _view(p)

    def _point_id(self, s: Session, code: str | None) -> uuid.UUID | None:
        if not code:
            return None
        pid = s.scalar(select(ServicePoint.id).where(ServicePoint.code == code, ServicePoint.active.is_(True)))
        if pid is None:
            raise point_invalid()
        return pid

    # -- consent ---------------------------------------------------------------------------------------------------
    def standing(self, user_id: uuid.UUID) -> StandingView:
        with self.c.uow() as s:
            row = s.get(StandingChoice, user_id)
            if row is None:
                return StandingView(False, False, None)
            point = s.get(ServicePoint, row.point_id) if row.point_id else None
            return StandingView(row.allow_locker, row.allow_station, _view(point) if point else None)

    def set_standing(self, user_id: uuid.UUID, allow_locker: bool, allow_station: bool, point_code: str | None = None) -> StandingView:
        """The customer's standing choice; with a point, only that point (of an allowed kind)."""
        with self.c.uow() as s:
            point_id = self._point_id(s, point_code)
            if point_id is not None:
                kind = s.get(ServicePoint, point_id).kind  # type: ignore[union-attr]
                if not {"locker": allow_locker, "station": allow_station}[kind]:
                    raise point_invalid()
            row = s.get(StandingChoice, user_id)
            if row is None:
                row = StandingChoice(user_id=user_id)
                s.add(row)
            row.allow_locker, row.allow_station, row.point_id, row.updated_at = allow_locker, allow_station, point_id, self.c.clock()
        return self.standing(user_id)

    def choose(self, user_id: uuid.UUID, waybill_no: str, choice: str, point_code: str | None = None) -> str:
        """The recipient's choice for one parcel: door, locker or station (optionally one given point of that kind)."""
        if choice not in CHOICES:
            raise errors.invalid_field(N_("delivery choice"))
        order = self.c.shipping.order_for(user_id, waybill_no)  # not found unless the sender or recipient
        if order.mine_as != "recipient":
            raise not_recipient()
        if order.status in states.TERMINAL:
            raise errors.AppError("choice_too_late", N_("This parcel has already been delivered or has ended."), 409)
        with self.c.uow() as s:
            point_id = self._point_id(s, point_code) if choice != "door" else None
            if point_id is not None and s.get(ServicePoint, point_id).kind != choice:  # type: ignore[union-attr]
                raise point_invalid()
            facts = self.c.shipping.parcel_facts(s, [order.waybill_no])[order.waybill_no]
            row = s.get(ParcelChoice, facts.id)
            if row is None:
                row = ParcelChoice(order_id=facts.id)
                s.add(row)
            row.choice, row.point_id, row.chosen_by, row.chosen_at = choice, point_id, user_id, self.c.clock()
        return choice

    def _consented(self, s: Session, facts, point: PointView) -> bool:
        per_parcel = s.get(ParcelChoice, facts.id)
        if per_parcel is not None:  # the recipient's word for this parcel overrides the standing choice
            return per_parcel.choice == point.kind and per_parcel.point_id in (None, point.id)
        user_id = self.c.accounts.user_id_for_phone_index(s, facts.recipient_phone_index)
        standing = s.get(StandingChoice, user_id) if user_id else None
        if standing is None:
            return False
        allowed = {"locker": standing.allow_locker, "station": standing.allow_station}[point.kind]
        return allowed and standing.point_id in (None, point.id)

    # -- deposit ---------------------------------------------------------------------------------------------------
    def _code(self, held: HeldParcel) -> str:
        digest = self.c.secrets.token_hash(f"pickup-code:{held.id}:{held.code_salt}")
        return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"

    def deposit(self, point: PointView, raw_waybill: str) -> HeldView:
        """The point reports a parcel left there (idempotent): refused without the recipient's consent."""
        number = waybill.normalise(raw_waybill)
        if not waybill.is_valid(number):
            raise errors.invalid_waybill()
        with self.c.uow() as s:
            facts = self.c.shipping.parcel_facts(s, [number]).get(number)
            if facts is None:
                raise errors.not_found()
            held = s.scalar(select(HeldParcel).where(HeldParcel.order_id == facts.id))
            if held is not None:
                if held.point_id != point.id:
                    raise point_refused()
                return self._held_view(held, point)
            if facts.status != states.OUT_FOR_DELIVERY:
                raise point_refused()
            if not self._consented(s, facts, point):
                raise consent_missing()
        now = self.c.clock()
        event = SimpleNamespace(event_id=f"held-{facts.id.hex}", waybill_no=number, event_time=now, action="delivered",
                                site_code=point.code, site_name=point.name, operator=None, delivered_as=point.kind, exception=None)
        (result,) = self.c.tracking.ingest(point.source_id, [event])
        if result.result == "rejected":
            raise point_refused()
        try:
            with self.c.uow() as s:
                live = s.scalars(select(HeldParcel).where(HeldParcel.point_id == point.id, HeldParcel.status == HELD)).all()
                taken = {self._code(h) for h in live}
                held = HeldParcel(id=uuid.uuid4(), order_id=facts.id, waybill_no=number, point_id=point.id, status=HELD, held_at=now,
                                  due_at=now + dt.timedelta(days=point.holding_days), reminders=0)
                held.code_salt = secrets.token_hex(8)
                while self._code(held) in taken:  # one live code per point: a code names one parcel there
                    held.code_salt = secrets.token_hex(8)
                s.add(held)
                s.flush()
                self._send(s, held, point, "pickup_code", family=True)
                return self._held_view(held, point)
        except IntegrityError:  # the same parcel reported twice at once
            with self.c.uow() as s:
                held = s.scalar(select(HeldParcel).where(HeldParcel.order_id == facts.id))
                assert held is not None
                return self._held_view(held, point)

    @staticmethod
    def _held_view(h: HeldParcel, point: PointView) -> HeldView:
        return HeldView(h.waybill_no, point, h.status, h.held_at, h.due_at, h.collected_at)

    def _send(self, s: Session, held: HeldParcel, point: PointView, template: str, *, family: bool) -> int:
        """The pickup SMS to the recipient (and, with `family`, to the family numbers the recipient authorised)."""
        parcel = self.c.shipping.parties_to_notify(s, {held.order_id}).get(held.order_id)
        facts = self.c.shipping.parcel_facts(s, [held.waybill_no]).get(held.waybill_no)
        if parcel is None or facts is None:
            return 0
        locale = self.c.settings.default_locale
        params = {"waybill_no": held.waybill_no, "point": point.name, "address": point.full_address, "hours": point.hours,
                  "code": self._code(held), "due": china_datetime(held.due_at)}
        sent = 0
        for subject_id, phone in parcel[1]:
            if subject_id == facts.recipient_subject_id and phone.readable:
                self.c.notifier.queue_sms(s, subject_id=subject_id, phone=phone, template=template, locale=locale, **params)
                sent += 1
        if family and template == "pickup_code":
            for binder_id in self.c.family.collectors(s, facts.recipient_phone_index, facts.created_at):
                phone = self.c.accounts.phone(s, binder_id)
                if phone is not None and phone.readable:
                    self.c.notifier.queue_sms(s, subject_id=binder_id, phone=phone, template="pickup_code_family", locale=locale,
                                              **params)
                    sent += 1
        return sent

    # -- collection ------------------------------------------------------------------------------------------------
    def collect(self, point: PointView, code: str, client_address: str) -> HeldView:
        """The recipient (or whoever holds the code) collects at the point. Wrong codes count towards CODE_LIMITS."""
        counted = ((CODE_LIMITS[0], f"point:{point.id}"), (CODE_LIMITS[1], ratelimit.client_address(client_address)))
        if wait := max(self.c.limiter.retry_after(limit, ident) for limit, ident in counted):
            raise pickup_too_many(wait)
        code = (code or "").strip()
        with self.c.uow() as s:
            rows = s.scalars(select(HeldParcel).where(HeldParcel.point_id == point.id, HeldParcel.status == HELD)
                             .with_for_update()).all() if len(code) == 6 and code.isdigit() else []
            held = next((h for h in rows if hmac.compare_digest(self._code(h), code)), None)
            if held is not None:
                held.status, held.collected_at = COLLECTED, self.c.clock()
                return self._held_view(held, point)
        for limit, ident in counted:
            self.c.limiter.hit(limit, ident)
        raise pickup_code_wrong()

    def pickup_for(self, user_id: uuid.UUID, waybill_no: str) -> PickupView | None:
        """The recipient's view of their held parcel (the code while it waits); None when it is not held anywhere."""
        order = self.c.shipping.order_for(user_id, waybill_no)
        if order.mine_as != "recipient":
            return None
        with self.c.uow() as s:
            h = s.scalar(select(HeldParcel).where(HeldParcel.waybill_no == order.waybill_no))
            if h is None:
                return None
            point = _view(s.get(ServicePoint, h.point_id))  # type: ignore[arg-type]
            return PickupView(self._held_view(h, point), self._code(h) if h.status == HELD else None)

    # -- periodic --------------------------------------------------------------------------------------------------
    def remind_due(self, batch: int = 500) -> int:
        """A reminder (with the same code) to each held parcel's recipient every REMIND_EVERY until the period ends."""
        now = self.c.clock()
        done = 0
        with self.c.uow() as s:
            rows = s.execute(select(HeldParcel, ServicePoint).join(ServicePoint, ServicePoint.id == HeldParcel.point_id)
                             .where(HeldParcel.status == HELD, HeldParcel.due_at > now).order_by(HeldParcel.held_at)
                             .limit(batch).with_for_update(skip_locked=True, of=HeldParcel)).all()
            for held, point in rows:
                if (held.last_reminded_at or held.held_at) + REMIND_EVERY <= now:
                    self._send(s, held, _view(point), "pickup_reminder", family=False)
                    held.reminders, held.last_reminded_at = held.reminders + 1, now
                    done += 1
        return done

    def return_due(self, batch: int = 500) -> int:
        """Parcels not collected within the holding period go back to the sender (a route event through ingestion)."""
        now = self.c.clock()
        with self.c.uow() as s:
            due = [(h.id, h.order_id, h.waybill_no, _view(p)) for h, p in s.execute(
                select(HeldParcel, ServicePoint).join(ServicePoint, ServicePoint.id == HeldParcel.point_id)
                .where(HeldParcel.status == HELD, HeldParcel.due_at <= now).limit(batch))]
        returned = 0
        for held_id, order_id, number, point in due:
            event = SimpleNamespace(event_id=f"return-{order_id.hex}", waybill_no=number, event_time=now, action="returning",
                                    site_code=point.code, site_name=point.name, operator=None, delivered_as=None, exception=None)
            (result,) = self.c.tracking.ingest(point.source_id, [event])
            with self.c.uow() as s:
                held = s.get(HeldParcel, held_id)
                if held is None or held.status != HELD:
                    continue
                # Rejected: the order moved on meanwhile (e.g. marked collected elsewhere): it is not held any more.
                held.status, held.returned_at = RETURNED, now
                if result.result != "rejected":
                    self._send(s, held, point, "pickup_returned", family=False)
                    returned += 1
        return returned


__all__ = ["COLLECTED", "HELD", "RETURNED", "Stations"]
