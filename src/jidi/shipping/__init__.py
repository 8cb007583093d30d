"""Shipping: quotes, orders and their parties, waybill numbers, merchant imports, real-name pickup."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link, Setting

feature = Feature(
    "shipping",
    title=("寄件、揽收与派送", "Sending, pickup and delivery"),
    models=("jidi.shipping.models",),
    services={"shipping": "jidi.shipping.service:Shipping"},
    needs=("accounts", "addressbook", "family", "tracking"),
    api=("jidi.shipping.api:router",),
    pages=("jidi.shipping.views:router",),
    templates=True,
    cli=("jidi.shipping.cli:merchant",),
    links=(
        Link(N_("My parcels"), "/orders", "parcels", 10),
        Link(N_("Awaiting pickup"), "/orders?status=pickup", "parcels", 20),
        Link(N_("Send a parcel"), "/ship", "parcels", 30),
        Link(N_("Real-name pickup"), "/staff/pickup", "actions", 10, testid="staff-pickup", page="staff", roles=("courier",)),
    ),
    # Labels of the facts shown with its rows in "my data" (jidi.rights.export).
    labels={
        "declared_value_fen": N_("Declared value (fen)"),
        "dest_region": N_("Destination region"),
        "item_category": N_("Item category"),
        "merchant_order_ref": N_("Merchant's order reference"),
        "origin_region": N_("Origin region"),
        "paid_at": N_("Paid at"),
        "payment_mode": N_("Payment"),
        "picked_up_at": N_("Picked up at"),
        "pickup_from": N_("Pickup window from"),
        "pickup_until": N_("Pickup window until"),
        "price_fen": N_("Price (fen)"),
        "insurance_fen": N_("Insurance premium (fen)"),
        "quantity": N_("Quantity"),
        "reused_identity": N_("Verified identity reused"),
        "service_type": N_("Service"),
        "status_at": N_("Status since"),
        "weight_g": N_("Weight (g)"),
    },
    # Orders are anonymised this many days after delivery or return (default: RETAIN_WAYBILL, the catalog's waybill
    # record period) or after cancellation (jidi.retention applies the models' declarations).
    settings=(
        Setting("retention_waybill_days", int, 3 * 365, "orders are anonymised this many days after delivery or return "
                "(the catalog's `RETAIN_WAYBILL`; see Retention)", ge=1),
        Setting("retention_cancelled_days", int, 31, "… and this many days after cancellation (never picked up)", ge=0),
    ),
)
