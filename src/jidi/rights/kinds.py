"""The vocabulary of data-subject requests: kinds, statuses, lawful refusal grounds, consents one may withdraw."""
from __future__ import annotations

from jidi.i18n import N_, NC_

ACCESS, COPY, CORRECTION, DELETION = "access", "copy", "correction", "deletion"
WITHDRAWAL, CANCELLATION, EXPLANATION, NEXT_OF_KIN = "withdrawal", "cancellation", "explanation", "next_of_kin"
KINDS = {
    ACCESS: N_("Access to my data"),
    COPY: N_("A copy of my data"),
    CORRECTION: N_("Correction of my data"),
    DELETION: N_("Deletion of my data"),
    WITHDRAWAL: N_("Withdrawal of consent"),
    CANCELLATION: N_("Account cancellation"),
    EXPLANATION: N_("Explanation of how my data is processed"),
    NEXT_OF_KIN: N_("Request about a deceased relative's data"),
}
# Requests a person files about their own data; access and copy are answered by the system at once.
SELF_KINDS = (ACCESS, COPY, CORRECTION, DELETION, WITHDRAWAL, CANCELLATION, EXPLANATION)
# What a close relative may ask for about a deceased user (JD-6.8.2a, Ambiguity A15).
KIN_RIGHTS = (ACCESS, COPY, CORRECTION, DELETION)
# The Civil Code's close relatives (Ambiguity A15).
RELATIONSHIPS = {
    "spouse": N_("Spouse"), "parent": N_("Parent"), "child": N_("Child"), "sibling": N_("Brother or sister"),
    "grandparent": N_("Grandparent"), "grandchild": N_("Grandchild"),
}
KIN_PROOFS = {
    "deceased_id": N_("The deceased's identity document"),
    "death_certificate": N_("Death certificate"),
    "applicant_id": N_("Your identity document"),
    "kinship": N_("Proof of your relationship"),
}
# The same documents as the privacy officer sees them: "your" is the applicant, not the officer.
KIN_PROOFS_FOR_OFFICER = {
    "deceased_id": N_("The deceased's identity document"),
    "death_certificate": N_("Death certificate"),
    "applicant_id": N_("The applicant's identity document"),
    "kinship": N_("Proof of the applicant's relationship to the deceased"),
}
PROOF_TYPES = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}

RECEIVED, AWAITING_FEE, IN_REVIEW, SCHEDULED = "received", "awaiting_fee", "in_review", "scheduled"
PROCESSING, FULFILLED, REFUSED = "processing", "fulfilled", "refused"
STATUSES = {
    RECEIVED: NC_("request status", "Received"),
    AWAITING_FEE: N_("Awaiting your acceptance of the fee"),
    IN_REVIEW: N_("Under review"),
    SCHEDULED: N_("Scheduled"),
    PROCESSING: N_("Being processed"),
    FULFILLED: N_("Done"),
    REFUSED: N_("Refused"),
}
OPEN = (RECEIVED, AWAITING_FEE, IN_REVIEW, SCHEDULED, PROCESSING)

# The only grounds on which a request may be refused, each named in the reply (JD-6.8.3c, CN-12.2, JD-6.8.3b).
REFUSAL_GROUNDS = {
    "legal_obligation": N_("It would conflict with our own obligations under law"),
    "national_security": N_("It relates directly to national security or defence"),
    "public_interest": N_("It relates directly to public security, public health or a major public interest"),
    "criminal_justice": N_("It relates directly to a criminal investigation, prosecution, trial or judgment"),
    "abuse": N_("There is evidence that the request is malicious or an abuse of rights"),
    "vital_interests": N_("It protects someone's life or property when consent is hard to obtain"),
    "harm_to_others": N_("It would seriously harm the lawful rights of others"),
    "trade_secrets": N_("It would disclose trade secrets"),
    "excessive": N_("It is unreasonably repeated or needs excessive technical means"),
    "not_proven": N_("The documents do not prove the identity, the death or the relationship"),
}

# Consents that can be withdrawn here, what withdrawing stops, and what it removes.
WITHDRAWABLE = {
    "wechat_profile": (N_("WeChat nickname and avatar"),
                       N_("We stop showing your WeChat nickname and avatar and delete our copies. WeChat login keeps working.")),
    "email": (N_("E-mail address"),
              N_("We delete your e-mail address: you can no longer log in with it or receive e-mail from us.")),
    "family_numbers": (N_("Family numbers you bound"),
                       N_("Every family number you bound ends: you no longer see those relatives' parcels.")),
}

EVENT_LABELS = {
    "received": N_("Request received"),
    "verified": N_("Identity verified by SMS code"),
    "due_changed": N_("Due date recalculated with the official holiday schedule"),
    "fee_quoted": N_("Fee quoted"),
    "fee_accepted": N_("Fee accepted"),
    "in_review": N_("Passed to the privacy officer"),
    "approved": N_("Approved"),
    "scheduled": N_("Scheduled"),
    "export_ready": N_("Copy ready to download"),
    "erased": N_("Data deleted"),
    "recipients_told": N_("Those we shared your data with were told to delete it"),
    "fulfilled": N_("Done"),
    "refused": N_("Refused"),
    "answered": N_("Answered"),
}
