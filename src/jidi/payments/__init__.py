"""Payments: pay an order through Alipay- or WeChat Pay-style providers (a simulator of each by default), their signed
callbacks applied once, payments that never call back queried and closed, ship now and pay later (charged after
delivery through WeChat Pay Score, a debt payable from the order page if that fails), recipient pays, refunds on
cancellation, and the transaction record each payer sees. See README.md in this package."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link

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
    links=(Link(N_("Payments"), "/payments", "parcels", 40, note=N_("What you paid, refunds, and what is still due"),
                testid="me-payments"),),
    # The transaction record (JD-1.2.6) and the pay-later authorisation state.
    labels={
        "payments.serial": N_("Payment serial number"),
        "payments.kind": N_("Payment or refund"),
        "payments.purpose": N_("Paid for"),
        "payments.method": N_("Payment method"),
        "payments.currency": N_("Currency"),
        "payments.result_code": N_("Result code"),
        "payments.provider_trade_no": N_("Payment institution's serial number"),
        "pay_later_authorisations.code": N_("Authorisation reference"),
        "pay_later_authorisations.passed": N_("Pay Score assessment passed"),
        "pay_later_authorisations.state": N_("Authorisation state"),
        "pay_later_authorisations.checked_at": N_("Checked at"),
    },
)
