"""Couriers and line-haul drivers (promises area 4): onboarding by the employer with a background check
(CN-3.3.2, CN-3.1.6b), drivers' licences (CN-3.1.9), the courier's day of pickup and delivery tasks on a phone
(CN-3.1.8), location only on duty and with consent (CN-3.4.2a), and customers' exclusive couriers (JD-1.1.2(3)). The
courier directory hands a courier's work number to the virtual-number provider for a task (CN-3.4.7)."""

from jidi.couriers.checks import BACKGROUND_CHECKS
from jidi.couriers.directory import CARRIER_COURIER_NUMBERS
from jidi.i18n import N_
from jidi.kit.feature import Feature, Link
from jidi.kit.permissions import Kind, Permission
from jidi.privacy import Separate

feature = Feature(
    "couriers",
    title=("快递员与司机", "Couriers and drivers"),
    models=("jidi.couriers.models",),
    services={"couriers": "jidi.couriers.service:Couriers", "courier_directory": "jidi.couriers.directory:CourierDirectory"},
    needs=("accounts", "shipping", "tracking", "devices"),
    api=("jidi.couriers.api:router",),
    pages=("jidi.couriers.views:router",),
    jobs="jidi.couriers.jobs:register",
    handlers=("jidi.couriers.service",),
    templates=True,
    demo="jidi.couriers.demo:load",
    recipients=(BACKGROUND_CHECKS, CARRIER_COURIER_NUMBERS),
    links=(
        Link(N_("Exclusive courier"), "/exclusive-courier", "account", 60, note=N_("New pickups go to your courier first"),
             testid="me-exclusive-courier"),
        Link(N_("My tasks today"), "/staff/tasks", "actions", 10, testid="staff-tasks", page="staff", roles=("courier",)),
        Link(N_("Couriers and drivers"), "/staff/couriers", "actions", 70, testid="staff-couriers", page="staff", roles=("admin",)),
    ),
    consent_purposes=(Separate.SENSITIVE_LOCATION,),
    permissions=(
        Permission(Kind.GEOLOCATION, N_("To find couriers who serve the district you are in, to choose your exclusive courier. "
                                        "Your position is used once and not stored; scanning a courier's QR code needs no location."),
                   "/exclusive-courier", N_("Find couriers near me")),
    ),
    # The facts shown with its rows in "my data" (jidi.rights.export): tasks, location uploads, profiles, checks.
    labels={
        "courier_tasks.window_from": N_("Booked window from"),
        "courier_tasks.window_until": N_("Booked window until"),
        "courier_tasks.reason": N_("Reason of the last failed attempt"),
        "courier_tasks.next_attempt_on": N_("Next attempt on"),
        "courier_tasks.proof_kind": N_("Proof of delivery by"),
        "courier_tasks.measured_weight_g": N_("Measured weight (g)"),
        "courier_tasks.confirmed_price_fen": N_("Confirmed price (fen)"),
        "courier_tasks.assigned_at": N_("Assigned to a courier at"),
        "courier_exclusive.bound_by": N_("Chosen by"),
        "courier_location_tracks.first_at": N_("First position at"),
        "courier_location_tracks.last_at": N_("Last position at"),
        "courier_location_tracks.points": N_("Positions"),
        "courier_location_tracks.evidence": N_("Kept as evidence in a dispute"),
        "courier_workers.regions": N_("Districts served"),
        "courier_workers.on_duty": N_("On duty"),
        "courier_workers.duty_since": N_("On duty since"),
        "courier_workers.qr_version": N_("QR code version"),
        "courier_workers.cleared_at": N_("Background check passed at"),
        "courier_background_checks.provider": N_("Background check provider"),
        "courier_background_checks.provider_ref": N_("Provider's reference"),
        "courier_background_checks.requested_at": N_("Requested at"),
    },
)
