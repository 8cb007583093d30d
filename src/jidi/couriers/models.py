"""Couriers and line-haul drivers (workers), their background checks, their tasks, their location while on duty,
and customers' exclusive couriers.

* A worker's profile is the worker's own personal data, sealed under their account's subject (`user_id`): what the
  employer supplied (employer, work e-mail, position, legal name, ID number; CN-3.3.2) and, for a driver, the
  driving licence (file number, vehicle class; CN-3.1.9). ID and licence data are sensitive. The work mobile number
  (optional: couriers onboarded before it was asked have none) is what a task's virtual number connects to.
* A background check holds only our reference, the provider's and the outcome: the data sent is recorded in the
  share register (jidi.privacy), never kept here.
* A task is one stop of a courier's day (a pickup or a delivery of one order): ids, codes, times and, for a
  delivery, the proof (a signature image or a photo), sealed under the task's own one-off subject and kept with the
  waybill. The parties' names, phones and addresses stay in shipping's tables; the task never copies them.
* A location track is one upload of a courier's pings while on duty, with consent, sealed (precise location is
  sensitive): deleted after LOCATION_DAYS unless held as evidence in a dispute.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jidi.db import Base, UTCDateTime, new_id, utcnow
from jidi.privacy import (
    BY_ACCOUNT_PURGE, Action, Category, LegalBasis, Mask, PartOf, Purpose, Retained, Retention, personal,
)

P = Purpose
LOCATION_DAYS = 7
EVIDENCE_DAYS = 180
ENDED_DAYS = 31
# A worker's profile: while employed, and a month after the employer ends it (then deleted, keys shredded).
RETAIN_WORKER = Retention("employment_ended", ENDED_DAYS, "在职期间及离职后 31 天", "While employed, and 31 days after it ends")
RETAIN_LOCATION = Retention("recorded", LOCATION_DAYS, f"记录后 {LOCATION_DAYS} 天(作为纠纷证据保全的,{EVIDENCE_DAYS} 天)",
                            f"{LOCATION_DAYS} days after recording ({EVIDENCE_DAYS} days when held as evidence in a dispute)")
RETAIN_PROOF = Retention("delivered", 3 * 365, "随运单保存(签收后 3 年)", "Kept with the waybill (3 years after delivery)")
WORKER_PURPOSES = {P.SECURITY, P.RIGHTS_REQUEST}
# The work mobile number: handed to the virtual-number provider for each task (the customer reaches the courier through
# a virtual number, never this one), and used by customer service to reach the courier about a parcel.
WORK_PHONE_PURPOSES = {P.DELIVERY, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST}


class Worker(Base):
    """A courier or line-haul driver, created by their employer. Order-taking is enabled only once a background
    check from a declared third party passed (CN-3.1.6b): `status` cleared."""

    __tablename__ = "courier_workers"
    __label__ = ("快递员与司机档案", "Courier and driver profiles")
    __subject__ = "user_id"
    __erase__ = "delete"
    __retention__ = (
        Retained("courier_workers_ended", "employment ended", Action.DELETE,
                 f"离职(雇主结束)后 {ENDED_DAYS} 天删除,密钥销毁", f"Deleted {ENDED_DAYS} days after the employer ends the "
                 "employment, its keys shredded", clock="ended_at", period=dt.timedelta(days=ENDED_DAYS),
                 where=lambda cutoff: Worker.status == "ended", catalog_after=("employment_ended",)),
        Retained("courier_workers_account", "account closed", Action.ACCOUNT, "账号注销时随账号删除",
                 "Deleted with the worker's account", by=BY_ACCOUNT_PURGE),
    )
    __nonpersonal__ = ("id", "user_id", "kind", "partner_id", "id_type", "regions", "status", "on_duty", "duty_since",
                       "current_task_id", "created_at", "cleared_at", "ended_at", "qr_version")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # courier | driver
    partner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("courier_partners.id"), nullable=True, index=True)
    employer = personal("雇主", "Employer", Category.PROFILE, purposes=WORKER_PURPOSES, basis=LegalBasis.CONTRACT,
                        retention=RETAIN_WORKER, mask=Mask.HANDLE)
    work_email = personal("工作邮箱", "Work e-mail", Category.CONTACT, purposes=WORKER_PURPOSES, basis=LegalBasis.CONTRACT,
                          retention=RETAIN_WORKER, mask=Mask.EMAIL)
    position = personal("职位", "Position", Category.PROFILE, purposes=WORKER_PURPOSES, basis=LegalBasis.CONTRACT,
                        retention=RETAIN_WORKER, mask=Mask.HANDLE)
    legal_name = personal("真实姓名(快递员/司机)", "Legal name (courier or driver)", Category.IDENTITY, purposes=WORKER_PURPOSES,
                          basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_WORKER, mask=Mask.NAME, sensitive=True)
    work_phone = personal("工作手机号(快递员/司机)", "Work mobile number (courier or driver)", Category.CONTACT,
                          purposes=WORK_PHONE_PURPOSES, basis=LegalBasis.CONTRACT, retention=RETAIN_WORKER, mask=Mask.PHONE)
    id_type: Mapped[str] = mapped_column(String(24))
    id_number = personal("证件号码(快递员/司机)", "ID number (courier or driver)", Category.IDENTITY, purposes=WORKER_PURPOSES,
                         basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_WORKER, mask=Mask.ID_NUMBER, sensitive=True)
    licence_file_number = personal("驾驶证档案编号", "Driving-licence file number", Category.IDENTITY, purposes=WORKER_PURPOSES,
                                   basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_WORKER, mask=Mask.HIDDEN, sensitive=True)
    vehicle_class = personal("准驾车型", "Permitted vehicle class", Category.IDENTITY, purposes=WORKER_PURPOSES,
                             basis=LegalBasis.LEGAL_OBLIGATION, retention=RETAIN_WORKER, mask=Mask.HIDDEN, sensitive=True)
    regions: Mapped[str] = mapped_column(String(200), default="")  # GB/T 2260 districts served, comma-separated
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending_check | cleared | rejected | ended
    on_duty: Mapped[bool] = mapped_column(default=False)
    duty_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    current_task_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)  # the stop whose address is open
    qr_version: Mapped[int] = mapped_column(Integer, default=1)  # bumped to void every QR code printed before
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Partner(Base):
    """A logistics partner (an employer of couriers) that onboards its couriers through the API with its own key."""

    __tablename__ = "courier_partners"
    __retention__ = Retained("courier_partners", "relationship ended", Action.KEEP, "物流合作方(企业信息,非个人信息),停用不删除",
                             "Logistics partners (business data, not personal): deactivated, not deleted", by="jidi.couriers")
    __nonpersonal__ = ("id", "name", "api_key_hash", "active", "created_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))  # a business name
    api_key_hash: Mapped[bytes] = mapped_column(unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BackgroundCheck(Base):
    """One background check asked of the provider for a worker: references and the outcome only."""

    __tablename__ = "courier_background_checks"
    __retention__ = PartOf("courier_workers", {"worker_id": "id"})
    __nonpersonal__ = ("id", "worker_id", "provider", "provider_ref", "status", "requested_at", "decided_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)  # our reference, sent to the provider
    worker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courier_workers.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    provider_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(12))  # requested | passed | failed
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Task(Base):
    """One stop of a courier's day: the pickup or the delivery of one order (jidi.couriers.tasks says which status may
    follow which). The order is shipping's: referred to by id and waybill number, no foreign key."""

    __tablename__ = "courier_tasks"
    __label__ = ("快递员任务与签收凭证", "Courier tasks and proofs of delivery")
    __table_args__ = (UniqueConstraint("order_id", "kind", name="uq_courier_tasks_order_kind"),)
    __retention__ = PartOf("orders", {"order_id": "id"}, shreds="subject_id")
    __nonpersonal__ = ("id", "order_id", "waybill_no", "kind", "status", "courier_id", "subject_id", "region_code",
                       "window_from", "window_until", "attempts", "reason", "next_attempt_on", "proof_kind",
                       "measured_weight_g", "confirmed_price_fen", "created_at", "assigned_at", "closed_at", "updated_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(index=True)
    waybill_no: Mapped[str] = mapped_column(String(24), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # pickup | delivery
    status: Mapped[str] = mapped_column(String(20))
    # The courier's account id (a work record of the employer's; no link: tasks are part of the order, not of the
    # courier's account).
    courier_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True, index=True)  # the proof's own subject
    region_code: Mapped[str] = mapped_column(String(6))  # the district of the stop (origin or destination)
    window_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)  # the booked pickup window
    window_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the last failed attempt's reason code
    next_attempt_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    proof_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)  # signature | photo | code
    proof = personal("签收凭证(签名或照片)", "Proof of delivery (signature or photo)", Category.IDENTITY,
                     purposes={P.DELIVERY, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST}, basis=LegalBasis.CONTRACT,
                     retention=RETAIN_PROOF, mask=Mask.HIDDEN)
    measured_weight_g: Mapped[int | None] = mapped_column(Integer, nullable=True)
    confirmed_price_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# A courier's day: their tasks by status, oldest first (the task list's one read).
Index("ix_courier_tasks_courier", Task.courier_id, Task.status, Task.created_at)


class LocationTrack(Base):
    """One upload of a courier's location pings while on duty and with their consent (CN-3.1.8, CN-3.4.2a, CN-3.3.2):
    the points sealed together ("unix seconds,latitude,longitude,accuracy metres" per line), first and last time."""

    __tablename__ = "courier_location_tracks"
    __label__ = ("快递员在岗位置", "Couriers' on-duty location")
    __subject__ = "courier_id"
    __erase__ = "delete"
    __retention__ = (
        Retained("courier_location", "recorded", Action.DELETE, f"记录后 {LOCATION_DAYS} 天删除",
                 f"Deleted {LOCATION_DAYS} days after recording", clock="last_at", period=dt.timedelta(days=LOCATION_DAYS),
                 where=lambda cutoff: LocationTrack.evidence.is_(False), catalog_after=("recorded",)),
        Retained("courier_location_evidence", "held as evidence", Action.DELETE,
                 f"作为纠纷证据保全的:{EVIDENCE_DAYS} 天后删除", f"Held as evidence in a dispute: deleted after {EVIDENCE_DAYS} days",
                 clock="last_at", period=dt.timedelta(days=EVIDENCE_DAYS), where=lambda cutoff: LocationTrack.evidence.is_(True)),
    )
    __nonpersonal__ = ("id", "courier_id", "first_at", "last_at", "points", "evidence", "received_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    courier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    points: Mapped[int] = mapped_column(Integer)
    track = personal("实时位置(在岗期间)", "Real-time location (on duty)", Category.LOCATION,
                     purposes={P.DELIVERY, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST}, basis=LegalBasis.CONSENT,
                     retention=RETAIN_LOCATION, mask=Mask.HIDDEN, sensitive=True)
    evidence: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


Index("ix_courier_location_tracks_courier", LocationTrack.courier_id, LocationTrack.first_at)


class ExclusiveCourier(Base):
    """A customer's exclusive courier (专属小哥, JD-1.1.2(3)): new pickups from the customer go to this courier first."""

    __tablename__ = "courier_exclusive"
    __label__ = ("专属小哥", "Exclusive courier")
    __erase__ = "delete"
    __retention__ = Retained("courier_exclusive", "unbound", Action.ACCOUNT, "解绑或账号注销时删除",
                             "Deleted when unbound or with the customer's account", by="jidi.couriers (unbinding), " + BY_ACCOUNT_PURGE)
    __nonpersonal__ = ("id", "customer_id", "courier_id", "bound_by", "created_at")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    courier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    bound_by: Mapped[str] = mapped_column(String(10))  # qr | nearby
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
