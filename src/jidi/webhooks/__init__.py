"""Merchant webhooks: a merchant registers an endpoint and gets a signing secret (shown once); every change of status
of its orders is POSTed to it, signed (HMAC-SHA256 over timestamp and body), retried with exponential backoff, and
logged per merchant. See README.md in this package for the payload and how to verify a signature."""

from jidi.kit.feature import Feature

feature = Feature(
    "webhooks",
    models=("jidi.webhooks.models",),
    services={"webhooks": "jidi.webhooks.service:Webhooks"},
    needs=("shipping",),
    api=("jidi.webhooks.api:router",),
    jobs="jidi.webhooks.jobs:register",
    handlers=("jidi.webhooks.service",),
)
