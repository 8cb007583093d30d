"""Shipping: quotes, orders and their parties, waybill numbers, merchant imports, real-name pickup."""

from jidi.kit.feature import Feature

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
)
