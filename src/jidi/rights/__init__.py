"""The privacy centre: my data, copies, requests and their deadlines, the privacy officer's queue, next of kin."""

from typing import Literal

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link, Setting, SmsTemplate

feature = Feature(
    "rights",
    title=("个人信息权利请求", "Requests about your personal information"),
    models=("jidi.rights.models",),
    services={"rights": "jidi.rights.service:Rights"},
    needs=("accounts", "family", "notify", "workdays"),
    api=("jidi.rights.api:router",),
    pages=("jidi.rights.views:router",),
    jobs="jidi.rights.jobs:register",
    handlers=("jidi.rights.service",),
    templates=True,
    sms=(
        SmsTemplate("rights_code", N_("[jidi] Your code to confirm a request about your personal data is {code}. It expires in 5 minutes. "
                                      "Never tell it to anyone."), code_purpose="rights"),
        SmsTemplate("rights_due_changed", N_("[jidi] The official holidays of {year} are published: your request about your personal data "
                                             "will be answered by {date}. See My requests in jidi.")),
    ),
    links=(
        Link(N_("Privacy centre"), "/privacy/me", "account", 40, note=N_("See, copy, correct, delete"), testid="me-privacy"),
        Link(N_("Help and customer service"), "/privacy/requests", "settings", 70, note=N_("My requests")),
        Link(N_("Data-rights requests"), "/staff/privacy", "actions", 20, testid="staff-privacy", page="staff",
             roles=("privacy_officer",)),
    ),
    # Labels of the facts shown with its rows in "my data" (jidi.rights.export).
    labels={
        "content_type": N_("File type"),
        "downloads": N_("Downloads"),
        "due_on": N_("Due date"),
        "due_provisional": N_("Due date is provisional"),
        "erase_after": N_("To be erased after"),
        "fee_accepted_at": N_("Fee accepted at"),
        "fee_fen": N_("Fee (fen)"),
        "refusal_ground": N_("Ground for refusal"),
        "scope": N_("Scope"),
        "size_bytes": N_("Size (bytes)"),
        "uploaded_at": N_("Uploaded at"),
    },
    settings=(
        # The brand's deadline for answering rights requests (PROMISES A1, jidi.workdays), following the operator.
        Setting("rights_deadline", Literal["working_days_from_receipt", "calendar_days_from_verification"], "working_days_from_receipt",
                "the brand's deadline for rights requests: `working_days_from_receipt` (JD, ZK) or "
                "`calendar_days_from_verification` (Cainiao); the operator's unless set",
                by_operator={"cainiao": "calendar_days_from_verification"}),
        Setting("rights_deadline_days", int, 15, "the number of days in that deadline (1–90)", ge=1, le=90),
        # Requests of one kind free of charge in 12 months; later ones are quoted this fee first (JD-6.8.3a, A16).
        Setting("rights_free_requests_per_year", int, 2, "requests of one kind free in 12 months", ge=1),
        Setting("rights_fee_fen", int, 1000, "the fee quoted (before processing) for more (A16); 0 never charges", ge=0),
        Setting("rights_export_ttl_hours", int, 7 * 24, "how long a copy of one's data can be downloaded", ge=1, le=30 * 24),
    ),
)
