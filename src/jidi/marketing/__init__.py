"""Marketing and notifications' marketing side (promises area 9): consent per channel, opt-out by settings page,
customer service and SMS reply, do-not-disturb hours, and operators' campaigns with no automated decisions."""

from jidi.kit.feature import Feature
from jidi.privacy import MARKETING

feature = Feature(
    "marketing",
    title=("营销消息", "Marketing messages"),
    models=("jidi.marketing.models",),
    services={"marketing": "jidi.marketing.service:Marketing"},
    needs=("accounts", "addressbook", "notify", "shipping"),
    pages=("jidi.marketing.views:router",),
    jobs="jidi.marketing.jobs:register",
    templates=True,
    consent_purposes=MARKETING,
    on_withdrawal="jidi.marketing.service:on_withdrawal",
    demo="jidi.marketing.demo:load",
)
