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
)
