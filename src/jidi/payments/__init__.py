"""Payments: pay an order through Alipay- or WeChat Pay-style providers (a simulator of each by default), their signed
callbacks applied once, payments that never call back queried and closed, ship now and pay later (charged after
delivery through WeChat Pay Score, a debt payable from the order page if that fails), recipient pays, refunds on
cancellation, and the transaction record each payer sees. See README.md in this package."""

from jidi.kit.feature import Feature

feature = Feature(
    "payments",
    title=("支付与退款", "Payments and refunds"),
    models=("jidi.payments.models",),
    services={"payments": "jidi.payments.service:Payments"},
    needs=("accounts", "shipping"),
    api=("jidi.payments.api:router",),
    pages=("jidi.payments.views:router",),
    jobs="jidi.payments.jobs:register",
    handlers=("jidi.payments.service",),
    templates=True,
    demo="jidi.payments.demo:load",
)
