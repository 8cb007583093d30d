"""A courier task's life: which step may follow which, stated here once and enforced only through `step()`.

A pickup task (寄件揽收) and a delivery task (派送) of one order each:

    pickup     open ──assign──▶ assigned ──pick_up──▶ picked_up (closed)
                                  │  ▲ ──refuse───▶ not_accepted ──pick_up──▶ picked_up
                                  └──┴─assign (another courier)
               open / assigned / not_accepted ──cancel──▶ cancelled (closed: the sender cancelled)

    delivery   open ──assign──▶ assigned ──start──▶ out_for_delivery ──deliver──▶ delivered (closed)
                                                        │  ──refused───▶ refused (closed: the recipient refused it)
                                                        └──fail──▶ failed ──start──▶ out_for_delivery (next attempt)
               open / assigned / failed ──assign──▶ (same status, another courier)

Every step but assign and cancel is also a route event of the order (ROUTE_ACTION), recorded through the tracking
ingestion (or, for the pickup, through shipping's real-name pickup, which records its own), so the public
tracking, the route SMS and the retention of the route follow from it.
"""
from __future__ import annotations

from jidi import errors
from jidi.i18n import N_

PICKUP, DELIVERY = "pickup", "delivery"
KINDS = (PICKUP, DELIVERY)

OPEN, ASSIGNED, PICKED_UP, NOT_ACCEPTED, CANCELLED = "open", "assigned", "picked_up", "not_accepted", "cancelled"
OUT_FOR_DELIVERY, DELIVERED, FAILED, REFUSED = "out_for_delivery", "delivered", "failed", "refused"

ASSIGN, PICK_UP, REFUSE, CANCEL = "assign", "pick_up", "refuse", "cancel"
START, DELIVER, FAIL, RECIPIENT_REFUSED = "start", "deliver", "fail", "refused"

# kind -> status -> step -> the status after it
STEPS: dict[str, dict[str, dict[str, str]]] = {
    PICKUP: {
        OPEN: {ASSIGN: ASSIGNED, CANCEL: CANCELLED},
        ASSIGNED: {ASSIGN: ASSIGNED, PICK_UP: PICKED_UP, REFUSE: NOT_ACCEPTED, CANCEL: CANCELLED},
        NOT_ACCEPTED: {ASSIGN: NOT_ACCEPTED, PICK_UP: PICKED_UP, CANCEL: CANCELLED},
        PICKED_UP: {},
        CANCELLED: {},
    },
    DELIVERY: {
        OPEN: {ASSIGN: ASSIGNED},
        ASSIGNED: {ASSIGN: ASSIGNED, START: OUT_FOR_DELIVERY},
        OUT_FOR_DELIVERY: {DELIVER: DELIVERED, FAIL: FAILED, RECIPIENT_REFUSED: REFUSED},
        FAILED: {ASSIGN: FAILED, START: OUT_FOR_DELIVERY},
        DELIVERED: {},
        REFUSED: {},
    },
}
CLOSED = frozenset({PICKED_UP, CANCELLED, DELIVERED, REFUSED})
# The statuses in which the courier works the stop: may open its full address.
WORKABLE = {PICKUP: frozenset({ASSIGNED, NOT_ACCEPTED}), DELIVERY: frozenset({ASSIGNED, OUT_FOR_DELIVERY, FAILED})}
# The route event each step records (tracking's vocabulary); pick_up's is recorded by shipping's real-name pickup.
ROUTE_ACTION = {START: "out_for_delivery", DELIVER: "delivered", FAIL: "exception", RECIPIENT_REFUSED: "refused"}
# Why a delivery attempt failed: tracking's exception codes the courier may give.
FAIL_REASONS = ("recipient_unreachable", "address_unknown", "held")
# How a delivery was proven: a signature image, a photo of the parcel at the door, or the recipient's delivery code.
PROOF_KINDS = ("signature", "photo", "code")

LABELS = {
    OPEN: N_("Not assigned"), ASSIGNED: N_("To do"), PICKED_UP: N_("Picked up"), NOT_ACCEPTED: N_("Not accepted at pickup"),
    CANCELLED: N_("Cancelled"), OUT_FOR_DELIVERY: N_("Out for delivery"), DELIVERED: N_("Delivered"),
    FAILED: N_("Delivery attempt failed"), REFUSED: N_("Refused by the recipient"),
}
KIND_LABELS = {PICKUP: N_("Pickup"), DELIVERY: N_("Delivery")}
REASON_LABELS = {"recipient_unreachable": N_("Recipient could not be reached"), "address_unknown": N_("Address could not be found"),
                 "held": N_("Parcel held")}


def unknown_step() -> errors.AppError:
    return errors.AppError("unknown_step", N_("Unknown task step."), 422)


def step_not_allowed() -> errors.AppError:
    return errors.AppError("step_not_allowed", N_("This step is not possible for the task now."), 409)


def allowed(kind: str, status: str) -> tuple[str, ...]:
    """The steps a task of this kind accepts in this status."""
    return tuple(STEPS[kind].get(status, {}))


def step(kind: str, status: str, action: str) -> str:
    """The status after `action`, or the error: unknown step (422), or not possible now (409)."""
    if action not in {a for by_status in STEPS[kind].values() for a in by_status}:
        raise unknown_step()
    after = STEPS[kind].get(status, {}).get(action)
    if after is None:
        raise step_not_allowed()
    return after
