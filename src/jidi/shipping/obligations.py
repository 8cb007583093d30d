"""What an account still owes or is owed in shipping: reasons it cannot be cancelled yet (Ambiguity A17)."""
from __future__ import annotations

import uuid

from sqlalchemy import and_, exists, literal, or_, select
from sqlalchemy.orm import Session

from jidi.i18n import N_
from jidi.shipping import states
from jidi.shipping.models import Order, OrderParty

# Parcels on their way: picked up and not yet delivered or returned.
IN_FLIGHT = (states.PICKED_UP, states.IN_TRANSIT, states.OUT_FOR_DELIVERY, states.REFUSED, states.RETURNING)
REASONS = {
    "parcels_in_transit": N_("Parcels you sent or that are addressed to you are still on their way: this clears itself "
                             "once they are delivered or returned (follow them under My parcels)."),
    "unpaid_bills": N_("Some of your shipments are not paid yet: pay them under My payments, then try again."),
}
# Where each blocker is cleared (a page of ours): every reason names an action that exists.
ACTIONS = {"parcels_in_transit": "/orders?status=transit", "unpaid_bills": "/payments#due"}


def open_obligations(s: Session, user_id: uuid.UUID, phone_idx: bytes | None) -> list[str]:
    """Reason codes (keys of REASONS), empty when nothing blocks closing the account."""
    sent = select(Order.id).where(Order.owner_id == user_id, Order.status.in_(IN_FLIGHT))
    incoming = (select(Order.id).join(OrderParty, OrderParty.order_id == Order.id)
                .where(OrderParty.role == "recipient", OrderParty.phone_bidx == phone_idx, Order.status.in_(IN_FLIGHT)))
    unpaid = select(Order.id).where(Order.owner_id == user_id, Order.paid_at.is_(None), Order.payment_mode != "recipient_pays",
                                    Order.status.in_(states.FULFILMENT))
    # One statement for the three questions.
    in_transit, unpaid_bills = s.execute(select(
        or_(exists(sent), and_(literal(phone_idx is not None), exists(incoming))), exists(unpaid))).one()
    return [reason for reason, applies in (("parcels_in_transit", in_transit), ("unpaid_bills", unpaid_bills)) if applies]
