"""Shipping: quotes, orders and their parties, waybill numbers, merchant imports, real-name pickup."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link

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
)
