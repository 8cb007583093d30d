"""Minors (PROMISES section 17, Ambiguity A14): a date of birth stated at registration; a minor's account waits for a
parent's or guardian's verifiable consent (their phone verified by SMS code, the relation stated, the policy version
shown, written where the operator needs it) before it can be used; withdrawal of that consent, or data collected
without it, erases the account through the rights centre; anyone can report a minor's data held improperly."""

from typing import Literal

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link, Setting, SmsTemplate
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
    # The age rule follows the operator unless set (JD and Cainiao: 14; ZKJIA: 18, with written consent).
    settings=(
        Setting("minors_age", int, 14, "under this age an account waits for a parent's or guardian's verifiable consent",
                ge=1, le=18, by_operator={"zkjia": 18}),
        Setting("minors_written_consent", bool, False, "the guardian's consent must be written (a typed signature, ZK-6.1)",
                by_operator={"zkjia": True}),
        Setting("minors_age_statement", Literal["required", "voluntary"], "voluntary",
                "`required`: every customer states a date of birth before using the account; `voluntary`: only those who state one"),
        Setting("minors_pending_days", int, 7, "a minor's account still without the guardian's consent this long after stating "
                "its age is erased (JD-7.2, ZK-6.3)", ge=1, le=90),
    ),
    # The facts shown with its rows in "my data" (jidi.rights.export).
    labels={
        "granted_at": N_("Given at"),
        "withdrawn_at": N_("Withdrawn at"),
    },
)
