"""My consents (give and withdraw each purpose on consent and each separate consent) and the proof of consent for
the privacy officer and `jidi consent proof`, over the privacy core's consent engine (jidi.privacy.consent)."""

from jidi.kit.feature import Feature

feature = Feature(
    "consents",
    services={"consent_center": "jidi.consents.service:ConsentCenter", "tracking_signals": "jidi.consents.signals:TrackingSignals"},
    needs=("accounts",),
    api=("jidi.consents.api:router",),
    pages=("jidi.consents.views:router",),
    templates=True,
    cli=("jidi.consents.cli:consent",),
)
