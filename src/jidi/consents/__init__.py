"""My consents (give and withdraw each purpose on consent and each separate consent) and the proof of consent for
the privacy officer and `jidi consent proof`, over the privacy core's consent engine (jidi.privacy.consent)."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link

feature = Feature(
    "consents",
    services={"consent_center": "jidi.consents.service:ConsentCenter", "tracking_signals": "jidi.consents.signals:TrackingSignals"},
    needs=("accounts",),
    api=("jidi.consents.api:router",),
    pages=("jidi.consents.views:router",),
    templates=True,
    cli=("jidi.consents.cli:consent",),
    links=(Link(N_("Proof of consent"), "/staff/consents", "actions", 30, testid="staff-consents", page="staff",
                roles=("privacy_officer",)),),
)
