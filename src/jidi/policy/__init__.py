"""The privacy policy as code (JD-9.*, CN-11.*, ZK-7.*, JD-scope): generated from the catalog, the declared
recipients, the retention declarations and the operator profile (`JIDI_OPERATOR`); published as kept versions; a new
version classified material or editorial from the structured diff; a material one announced by SMS and on every
page until accepted. /privacy, its history, the API and `jidi policy`."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link, SmsTemplate

feature = Feature(
    "policy",
    models=("jidi.policy.models",),
    services={"policy": "jidi.policy.service:Policies"},
    needs=("accounts", "notify"),
    api=("jidi.policy.api:router",),
    pages=("jidi.policy.views:router",),
    handlers=("jidi.policy.service",),
    templates=True,
    cli=("jidi.policy.cli:policy",),
    # A material change of the privacy policy (JD-9.2): a service message every customer gets.
    sms=(SmsTemplate("policy_changed", N_("[jidi] Our privacy policy has an important change, effective {date}. Read what changed: {url}")),),
    links=(Link(N_("Privacy policy"), "/privacy", "settings", 50, testid="me-policy"),),
)
