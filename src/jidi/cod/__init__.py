"""Cash on delivery (代收货款, JD-1.1.2(1)g, JD-6.1.1(4)(5)): a sender binds a payout bank account, places orders with an
amount to collect, the amount is recorded as collected when the parcel is delivered, collected amounts are paid out
daily to the bound account, and a reconciliation job checks that every fen collected is paid out or waiting."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link
from jidi.privacy import Separate

feature = Feature(
    "cod",
    title=("代收货款", "Cash on delivery"),
    models=("jidi.cod.models",),
    services={"cod": "jidi.cod.service:Cod"},
    needs=("accounts", "consents", "shipping"),
    api=("jidi.cod.api:router",),
    pages=("jidi.cod.views:router",),
    jobs="jidi.cod.jobs:register",
    handlers=("jidi.cod.service",),
    templates=True,
    demo="jidi.cod.demo:load",
    consent_purposes=(Separate.SENSITIVE_BANK_CARD,),
    on_withdrawal="jidi.cod.service:on_withdrawal",
    links=(Link(N_("Cash on delivery"), "/cod", "parcels", 60, note=N_("Payout account and statements"), testid="me-cod"),),
    # The facts shown with its rows in "my data" (jidi.rights.export): the payout account, payouts, collections.
    labels={
        "cod_accounts.account_type": N_("Account type"),
        "cod_payouts.business_day": N_("Collections of the day"),
        "cod_payouts.attempt": N_("Transfer attempt"),
        "cod_payouts.orders": N_("Orders"),
        "cod_payouts.serial": N_("Bank transfer serial number"),
        "cod_payouts.failure": N_("Bank's refusal code"),
        "cod_orders.collected_at": N_("Cash collected at"),
    },
)
