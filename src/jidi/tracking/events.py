"""The route-event vocabulary: which actions exist, which status each one moves an order to, and the
descriptions people read — generated here from the action and the site, never taken from a partner's text."""
from __future__ import annotations

from jidi.i18n import N_
from jidi.shipping import states

PICKED_UP = "picked_up"
ARRIVED_FACILITY = "arrived_facility"
DEPARTED_FACILITY = "departed_facility"
IN_TRANSIT = "in_transit"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
REFUSED = "refused"
RETURNING = "returning"
RETURNED = "returned"
EXCEPTION = "exception"
# Recorded by jidi itself when the sender cancels (Shipping.cancel), never sent by a scanner or partner.
CANCELLED = "cancelled"

# The status an action moves the order to (None: an exception, which flags the order but keeps its status).
TARGET: dict[str, str | None] = {
    PICKED_UP: states.PICKED_UP,
    ARRIVED_FACILITY: states.IN_TRANSIT,
    DEPARTED_FACILITY: states.IN_TRANSIT,
    IN_TRANSIT: states.IN_TRANSIT,
    OUT_FOR_DELIVERY: states.OUT_FOR_DELIVERY,
    DELIVERED: states.DELIVERED,
    REFUSED: states.REFUSED,
    RETURNING: states.RETURNING,
    RETURNED: states.RETURNED,
    EXCEPTION: None,
}
ACTIONS = tuple(TARGET)  # what scanners and partners may send
# What jidi's own use cases record in the route (Tracking.record_courier_event).
OWN_ACTIONS = frozenset({PICKED_UP, CANCELLED})
# Facility scans while a parcel travels back to its sender keep it "returning" rather than "in transit".
TRANSIT_ACTIONS = frozenset({ARRIVED_FACILITY, DEPARTED_FACILITY, IN_TRANSIT})
# An exception can be reported while a parcel is on its way (or waiting to be picked up), not after the end.
EXCEPTION_STATUSES = frozenset({states.AWAITING_PICKUP, states.PICKED_UP, states.IN_TRANSIT, states.OUT_FOR_DELIVERY,
                                states.REFUSED, states.RETURNING})



def _next_actions(status: str) -> tuple[str, ...]:
    if status in (states.AWAITING_PAYMENT, states.CANCELLED):
        return ()  # not paid, or cancelled: fulfilment has not started and will not
    if status in (states.AWAITING_PICKUP, states.NOT_ACCEPTED):
        # Only a courier's real-name pickup (JD-1.1.2(6)b) takes the parcel into the network, never a scan.
        return (EXCEPTION,) if status in EXCEPTION_STATUSES else ()
    moving = []
    for action, target in TARGET.items():
        if action == EXCEPTION:
            if status in EXCEPTION_STATUSES:
                moving.append(action)
            continue
        if action in TRANSIT_ACTIONS and status == states.RETURNING:
            target = states.RETURNING
        if target is not None and states.can_move(status, target):
            moving.append(action)
    return tuple(moving)


# The actions an order in each status accepts next (an exception flags it without moving it). What a refused
# `invalid_transition` names, and the table in the ingestion endpoint's documentation.
NEXT_ACTIONS: dict[str, tuple[str, ...]] = {status: _next_actions(status) for status in states.NEXT}

# Route updates sent to the sender and the recipient by SMS (service messages, not marketing): the status an
# event applied (or the exception it raised) -> the SMS template (declared in jidi.tracking's Feature.sms).
NOTIFY = {
    states.PICKED_UP: "route_picked_up",
    states.OUT_FOR_DELIVERY: "route_out_for_delivery",
    states.DELIVERED: "route_delivered",
    EXCEPTION: "route_exception",
}


def notify_template(action: str) -> str | None:
    """The SMS template for an event that was applied to its order, or None when it sends none."""
    return NOTIFY[EXCEPTION] if action == EXCEPTION else NOTIFY.get(TARGET.get(action) or "")


DESCRIPTIONS = {
    PICKED_UP: N_("Picked up by the courier of {site}"),
    ARRIVED_FACILITY: N_("Arrived at {site}"),
    DEPARTED_FACILITY: N_("Departed from {site}"),
    IN_TRANSIT: N_("In transit, last seen at {site}"),
    OUT_FOR_DELIVERY: N_("Out for delivery from {site}"),
    REFUSED: N_("Refused by the recipient at {site}"),
    RETURNING: N_("On its way back to the sender, at {site}"),
    RETURNED: N_("Returned to the sender by {site}"),
    CANCELLED: N_("Order cancelled by the sender"),
}
DELIVERED_DESCRIPTIONS = {
    "recipient": N_("Delivered by {site}: signed for by the recipient"),
    "agent": N_("Delivered by {site}: signed for on the recipient's behalf"),
    "locker": N_("Delivered by {site}: placed in a parcel locker"),
    "station": N_("Delivered by {site}: left at a collection station"),
}
EXCEPTION_DESCRIPTION = N_("Exception at {site}: {reason}")
EXCEPTION_LABELS = states.EXCEPTION_LABELS
DELIVERED_AS_LABELS = {
    "recipient": N_("Signed for by the recipient"),
    "agent": N_("Signed for on the recipient's behalf"),
    "locker": N_("In a parcel locker"),
    "station": N_("At a collection station"),
}
ORDER_PLACED = states.ORDER_PLACED

assert set(DELIVERED_DESCRIPTIONS) == set(DELIVERED_AS_LABELS) == set(states.DELIVERED_AS)


def describe(gettext, action: str, site: str, delivered_as: str | None = None, exception: str | None = None) -> str:
    """The sentence shown for an event, in the reader's language."""
    if action == DELIVERED:
        return gettext(DELIVERED_DESCRIPTIONS.get(delivered_as or "", DELIVERED_DESCRIPTIONS["recipient"])).format(site=site)
    if action == EXCEPTION:
        reason = gettext(EXCEPTION_LABELS.get(exception or "", EXCEPTION_LABELS["held"]))
        return gettext(EXCEPTION_DESCRIPTION).format(site=site, reason=reason)
    return gettext(DESCRIPTIONS[action]).format(site=site)
