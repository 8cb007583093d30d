"""The life of a parcel: which status may follow which, and what each status means."""
from __future__ import annotations

from jidi.i18n import N_

AWAITING_PAYMENT = "awaiting_payment"
AWAITING_PICKUP = "awaiting_pickup"
PICKED_UP = "picked_up"
IN_TRANSIT = "in_transit"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
REFUSED = "refused"
RETURNING = "returning"
RETURNED = "returned"
CANCELLED = "cancelled"
# The courier came, but the parcel was not accepted: real-name pickup (快递暂行条例 art. 22) could not be done.
# Kept with its reason (Order.exception, one of NOT_ACCEPTED_REASONS). The parcel enters the network only through
# a later real-name pickup (Shipping.pick_up), never through a scan; the sender may also cancel.
NOT_ACCEPTED = "not_accepted"

NEXT: dict[str, frozenset[str]] = {
    AWAITING_PAYMENT: frozenset({AWAITING_PICKUP, CANCELLED}),
    AWAITING_PICKUP: frozenset({PICKED_UP, NOT_ACCEPTED, CANCELLED}),
    NOT_ACCEPTED: frozenset({AWAITING_PICKUP, CANCELLED}),
    PICKED_UP: frozenset({IN_TRANSIT}),
    IN_TRANSIT: frozenset({IN_TRANSIT, OUT_FOR_DELIVERY}),
    OUT_FOR_DELIVERY: frozenset({DELIVERED, REFUSED, IN_TRANSIT}),
    REFUSED: frozenset({RETURNING}),
    RETURNING: frozenset({RETURNING, RETURNED}),
    DELIVERED: frozenset(),
    RETURNED: frozenset(),
    CANCELLED: frozenset(),
}
# The states an order cannot leave (but see UNCOLLECTED below); each is the end event of its retention period
# (Order.__retention__).
TERMINAL = (DELIVERED, RETURNED, CANCELLED)
# A parcel delivered into a parcel locker or a service station (with the recipient's consent, jidi.stations) and not
# collected within the holding period goes back to the sender: the one way out of DELIVERED.
UNCOLLECTED = ("locker", "station")
CANCELLABLE = frozenset({AWAITING_PAYMENT, AWAITING_PICKUP, NOT_ACCEPTED})
# Fulfilment (pickup and everything after) starts only after payment or an accepted pay-later (JD-1.1.2(6)a).
FULFILMENT = frozenset({PICKED_UP, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED, REFUSED, RETURNING, RETURNED})
EXCEPTIONS = ("address_unknown", "recipient_unreachable", "damaged", "held")
DELIVERED_AS = ("recipient", "agent", "locker", "station")
# Why a courier did not accept a parcel at pickup. Set by the courier (Shipping.refuse_pickup) only: not a route
# exception a scanner or partner may send (EXCEPTIONS).
NOT_ACCEPTED_REASONS = ("id_not_shown",)

LABELS = {
    AWAITING_PAYMENT: N_("Awaiting payment"),
    AWAITING_PICKUP: N_("Awaiting pickup"),
    PICKED_UP: N_("Picked up"),
    IN_TRANSIT: N_("In transit"),
    OUT_FOR_DELIVERY: N_("Out for delivery"),
    DELIVERED: N_("Delivered"),
    REFUSED: N_("Refused by the recipient"),
    RETURNING: N_("Returning to the sender"),
    RETURNED: N_("Returned to the sender"),
    CANCELLED: N_("Cancelled"),
    NOT_ACCEPTED: N_("Not accepted at pickup"),
}


def can_move(current: str, new: str, delivered_as: str | None = None) -> bool:
    if current == DELIVERED and new == RETURNING:
        return delivered_as in UNCOLLECTED  # not collected from a locker or station within the holding period
    return new in NEXT.get(current, frozenset())

# "My parcels" filters (issue 15): the tabs people know from express apps, each a set of states.
STATUS_GROUPS = {
    "pickup": (AWAITING_PAYMENT, AWAITING_PICKUP, NOT_ACCEPTED),
    "transit": (PICKED_UP, IN_TRANSIT, REFUSED, RETURNING),
    "delivering": (OUT_FOR_DELIVERY,),
    "delivered": (DELIVERED, RETURNED),
    "cancelled": (CANCELLED,),
}
GROUP_LABELS = {"pickup": LABELS[AWAITING_PICKUP], "transit": LABELS[IN_TRANSIT], "delivering": LABELS[OUT_FOR_DELIVERY],
                "delivered": LABELS[DELIVERED], "cancelled": LABELS[CANCELLED]}
IN_PROGRESS = frozenset(STATUS_GROUPS["pickup"] + STATUS_GROUPS["transit"] + STATUS_GROUPS["delivering"])
ORDER_PLACED = N_("Order placed")  # the first stop of every route: the order itself
EXCEPTION_LABELS = {
    "address_unknown": N_("Address could not be found"),
    "recipient_unreachable": N_("Recipient could not be reached"),
    "damaged": N_("Parcel damaged"),
    "held": N_("Parcel held"),
    "id_not_shown": N_("The sender did not show an ID document for real-name pickup"),
}
# Words for the tariff's item categories (tariff.json) and service types, shown on pages.
CATEGORY_LABELS = {
    "documents": N_("Documents"), "clothing": N_("Clothing"), "electronics": N_("Electronics"), "food": N_("Food"),
    "cosmetics": N_("Cosmetics"), "books": N_("Books"), "daily_goods": N_("Daily goods"), "fragile": N_("Fragile goods"),
    "other": N_("Other"), "firearms": N_("Firearms and ammunition"), "explosives": N_("Explosives and fireworks"),
    "flammables": N_("Flammable goods"), "toxic_chemicals": N_("Toxic or corrosive chemicals"),
    "radioactive": N_("Radioactive materials"), "narcotics": N_("Narcotics"), "currency": N_("Cash and currency"),
    "live_animals": N_("Live animals"),
}
SERVICE_LABELS = {"standard": N_("Standard"), "express": N_("Express (faster)")}

# The step bar of the tracking and order pages: the steps of a parcel on its way, and of one going back to its sender.
FORWARD_STEPS = (AWAITING_PICKUP, PICKED_UP, IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED)
BACK_STEPS = (PICKED_UP, IN_TRANSIT, OUT_FOR_DELIVERY, REFUSED, RETURNING, RETURNED)


def steps(status: str) -> list[tuple[str, str]]:
    """(status, done | current | todo) for the step bar; empty for an order not under way (awaiting payment, cancelled).
    A parcel not accepted at pickup is still at the first step."""
    if status in (AWAITING_PAYMENT, CANCELLED):
        return []
    path = BACK_STEPS if status in (REFUSED, RETURNING, RETURNED) else FORWARD_STEPS
    at = path.index(AWAITING_PICKUP if status == NOT_ACCEPTED else status)
    return [(s, "done" if i < at else "current" if i == at else "todo") for i, s in enumerate(path)]
