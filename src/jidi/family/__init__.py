"""Waybill lookup by phone proof and family numbers (亲情号): promises area 3, JD-1.1.2(2)."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link, SmsTemplate

feature = Feature(
    "family",
    title=("亲情号", "Family numbers"),
    models=("jidi.family.models",),
    services={"family": "jidi.family.service:Family", "lookup": "jidi.family.lookup:Lookup"},
    needs=("accounts", "shipping"),
    api=("jidi.family.api:router",),
    pages=("jidi.family.views:router",),
    templates=True,
    sms=(
        SmsTemplate("lookup_code", N_("[jidi] Your code to view a parcel's details is {code}. It expires in 5 minutes. Never tell it to anyone."),
                    code_purpose="lookup"),
        SmsTemplate("family_code", N_("[jidi] Your code is {code}. Giving it to someone lets them see parcels sent to this number and collect "
                                      "them for you (family number). Give it only to a relative you trust. You can end this at any time in "
                                      "jidi. It expires in 5 minutes."), code_purpose="family"),
    ),
    links=(Link(N_("Family numbers"), "/family", "account", 30, count="jidi.family.service:bound_count", testid="me-family"),),
    # Labels of the facts shown with its rows in "my data" (jidi.rights.export).
    labels={
        "activated_at": N_("Active since"),
        "collected_at": N_("Collected at"),
        "ended_by": N_("Ended by"),
    },
)
