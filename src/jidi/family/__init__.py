"""Waybill lookup by phone proof and family numbers (亲情号): promises area 3, JD-1.1.2(2)."""

from jidi.kit.feature import Feature

feature = Feature(
    "family",
    title=("亲情号", "Family numbers"),
    models=("jidi.family.models",),
    services={"family": "jidi.family.service:Family", "lookup": "jidi.family.lookup:Lookup"},
    needs=("accounts", "shipping"),
    api=("jidi.family.api:router",),
    pages=("jidi.family.views:router",),
    templates=True,
)
