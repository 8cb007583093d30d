"""The privacy core: the only package that touches keys, ciphertext and plaintext storage.

Features use this facade: declare personal columns with `personal()` and the row's subject (`__subject__`);
assign plaintext and read `Personal` values (sealed at flush, see `sealing`); open a value only with
`open(value, for_=purpose, actor=...)` (catalog checked, a live consent checked for a use on consent, audited when
shown to a person); keep the audit log; record, prove and withdraw consent (`consent`, `container.consents`).
"""
from jidi.privacy.audit import Actor, AuditLog
from jidi.privacy.catalog import (
    LABELS, MARKETING, PURPOSE_BASIS, RETAIN_ACCOUNT, RETAIN_SMS, ROLE_PURPOSES, Agreement, Catalog, Category, FieldSpec,
    LegalBasis, Purpose, Retention, Role, Separate, Topic, blind_index, personal,
)
from jidi.privacy.datamap import DataMap, LegalHold
from jidi.privacy.credentials import (
    Secrets, hash_password, needs_rehash, new_totp_secret, totp_now, totp_ok, totp_uri,
    verify_password,
)
from jidi.privacy.keys import load_key_ring
from jidi.privacy.ledger import open_ledger
from jidi.privacy.sharing import RecipientRole, ShareRegister, recipient
from jidi.privacy.masking import Mask, looks_masked, mask
from jidi.privacy.tombstones import TombstoneLedger
from jidi.privacy.values import Personal
from jidi.privacy.consent import CONSENTABLE, Consents, Notice, PolicySource, SettingsPolicy
from jidi.privacy.vault import ConsentRequired, PurposeNotAllowed, SubjectShredded, Vault, open, open_all
from jidi.retained import BY_ACCOUNT_PURGE, SWEPT, Action, PartOf, Retained, setting_days

__all__ = [
    "CONSENTABLE", "MARKETING", "PURPOSE_BASIS", "Agreement", "ConsentRequired", "Consents", "Notice", "PolicySource",
    "Separate", "SettingsPolicy", "Topic",
    "BY_ACCOUNT_PURGE", "LABELS", "RETAIN_ACCOUNT", "RETAIN_SMS", "ROLE_PURPOSES", "Actor", "AuditLog", "Action", "DataMap", "LegalHold",
    "Catalog", "Category", "FieldSpec", "LegalBasis", "Mask", "Personal", "Purpose", "PurposeNotAllowed",
    "PartOf", "RecipientRole", "Retained", "Retention", "Role", "SWEPT", "ShareRegister", "Secrets", "SubjectShredded", "TombstoneLedger", "Vault", "blind_index", "hash_password", "load_key_ring", "needs_rehash", "looks_masked", "mask", "open_ledger",
    "new_totp_secret", "open", "open_all", "personal", "recipient", "setting_days", "totp_now", "totp_ok", "totp_uri", "verify_password",
]
