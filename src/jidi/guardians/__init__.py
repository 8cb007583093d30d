"""Minors (PROMISES section 17, Ambiguity A14): a date of birth stated at registration; a minor's account waits for a
parent's or guardian's verifiable consent (their phone verified by SMS code, the relation stated, the policy version
shown, written where the operator needs it) before it can be used; withdrawal of that consent, or data collected
without it, erases the account through the rights centre; anyone can report a minor's data held improperly."""

from jidi.kit.feature import Feature
from jidi.privacy import Separate

feature = Feature(
    "guardians",
    title=("未成年人与监护人同意", "Minors and their guardians' consent"),
    models=("jidi.guardians.models",),
    services={"guardians": "jidi.guardians.service:Guardians"},
    needs=("accounts", "rights"),
    api=("jidi.guardians.api:router",),
    pages=("jidi.guardians.views:router",),
    jobs="jidi.guardians.jobs:register",
    handlers=("jidi.guardians.service",),
    templates=True,
    demo="jidi.guardians.demo:load",
    consent_purposes=(Separate.SENSITIVE_MINOR,),
    on_withdrawal="jidi.guardians.service:on_withdrawal",
)
