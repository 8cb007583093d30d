"""Minors (PROMISES section 17, Ambiguity A14): a date of birth stated at registration; a minor's account waits for a
parent's or guardian's verifiable consent (their phone verified by SMS code, the relation stated, the policy version
shown, written where the operator needs it) before it can be used; withdrawal of that consent, or data collected
without it, erases the account through the rights centre; anyone can report a minor's data held improperly."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link, SmsTemplate
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
    sms=(
        SmsTemplate("guardian_code", N_("[jidi] Your code as a parent or guardian is {code}. Entering it confirms your consent to, or "
                                        "withdrawal of consent from, a child's jidi account. Read the privacy policy first. It expires in "
                                        "5 minutes."), code_purpose="guardian"),
    ),
    links=(Link(N_("Reports about minors' data"), "/staff/minors", "actions", 40, testid="staff-minors", page="staff",
                roles=("privacy_officer",)),),
)
