"""Typed settings, read from JIDI_* environment variables.

Secrets (keys) are not settings: they come from the key source that the privacy core reads
(a key file under ./var/ in development, a file or JIDI_KEYS in production).
"""
from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from limits import parse_many
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


# Each operator profile's deadline rule for rights requests (PROMISES A1): (rule, days). `JIDI_OPERATOR` sets the
# default of `JIDI_RIGHTS_DEADLINE` and `JIDI_RIGHTS_DEADLINE_DAYS`; either set explicitly wins. The profiles
# themselves (names, contacts, minors rule) are jidi.policy.operators.
OPERATOR_DEADLINES = {
    "jidi": ("working_days_from_receipt", 15),
    "jd": ("working_days_from_receipt", 15),
    "cainiao": ("calendar_days_from_verification", 15),
    "zkjia": ("working_days_from_receipt", 15),
}


# Each operator profile's minors rule (PROMISES A14): under this age a guardian's consent is needed, and whether it must
# be written (ZK-6.1). `JIDI_OPERATOR` sets the default of `JIDI_MINORS_AGE` and `JIDI_MINORS_WRITTEN_CONSENT`.
OPERATOR_MINORS = {"jidi": (14, False), "jd": (14, False), "cainiao": (14, False), "zkjia": (18, True)}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIDI_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = ""
    # Key source: a path to a JSON key file, or "env" to read JIDI_KEYS.
    key_source: str = ""
    # Job queue: "sqlite" (a file under var_dir), "redis://…", or "immediate" (run in-process, tests).
    queue_url: str = "sqlite"
    # Run a queue consumer inside the web process (embedded default); production runs `jidi worker`.
    embedded_worker: bool = True
    # Web server processes of `jidi serve` (production: one per core; the public lookup is CPU-bound Python).
    workers: int = Field(1, ge=1)
    # Redis for what every web process must share: the rate limits (jidi.ratelimit). Empty: the queue's Redis when
    # JIDI_QUEUE_URL is one, otherwise each process counts in its memory (the embedded default: one process).
    redis_url: str = ""
    sms_provider: Literal["outbox"] = "outbox"
    # Where people reach jidi (the label's QR code links here). `jidi serve` sets it to the address it serves when unset.
    base_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool = True
    default_locale: str = "zh_CN"
    # Who runs this deployment (jidi.policy.operators): the privacy policy's operator, contacts and brand rules.
    operator: Literal["jidi", "jd", "cainiao", "zkjia"] = "jidi"
    # The version of the privacy policy users accept at registration and login.
    policy_version: str = "2026-11-01"
    # The brand's deadline for answering rights requests (PROMISES A1, jidi.workdays): JD and ZK count PRC working
    # days from receipt; Cainiao counts calendar days from the day identity verification completes.
    rights_deadline: Literal["working_days_from_receipt", "calendar_days_from_verification"] = "working_days_from_receipt"
    rights_deadline_days: int = Field(default=15, ge=1, le=90)
    # Requests of one kind a person may make free of charge in 12 months; later ones are quoted this fee first
    # (JD-6.8.3a, Ambiguity A16). 0 never charges.
    rights_free_requests_per_year: int = Field(default=2, ge=1)
    rights_fee_fen: int = Field(default=1000, ge=0)
    # How long a copy of one's data may be downloaded.
    rights_export_ttl_hours: int = Field(default=7 * 24, ge=1, le=30 * 24)
    # Minors (jidi.guardians; PROMISES section 17, Ambiguity A14): the age rule follows the operator (OPERATOR_MINORS)
    # unless set explicitly. Under `minors_age` an account waits for a parent's or guardian's verifiable consent before it can be used (JD and
    # Cainiao: 14; ZKJIA: 18, with the guardian's written consent: `minors_written_consent`, a typed signature).
    # `minors_age_statement`: "required" — every customer states a date of birth before using the account; "voluntary"
    # — only those who state one (a minor's account waits all the same). An account still waiting for its guardian
    # `minors_pending_days` after stating its age is erased (collected without consent, JD-7.2, ZK-6.3).
    minors_age: int = Field(14, ge=1, le=18)
    minors_written_consent: bool = False
    minors_age_statement: Literal["required", "voluntary"] = "voluntary"
    minors_pending_days: int = Field(7, ge=1, le=90)
    # The ledger of what must survive a database restore (jidi.privacy.ledger: tombstones, audit checkpoints): a
    # database of its own that every host shares (e.g. postgresql://jidi@ledger.internal/jidi_ledger), never restored
    # with the main one. Empty: files, the tombstone file (default var_dir/tombstones.log) and audit-checkpoints.log
    # beside it (the embedded default, one host).
    ledger_url: str = ""
    tombstone_path: Path | None = None
    # Where this deployment stores personal data (its databases, ledger, queue and keys): ISO 3166-1 alpha-2, "CN" for
    # mainland China. Anywhere else, and any recipient abroad, needs a declared transfer with its review record:
    # a JSON list of {"covers": "storage" or a recipient's key, "country", "review", "reviewed_on": "YYYY-MM-DD"}
    # (jidi.privacy.residency). jidi refuses to start otherwise.
    storage_country: str = Field("CN", min_length=2, max_length=2)
    cross_border_transfers: list[dict[str, str]] = []

    sms_code_ttl_seconds: int = 300
    sms_code_max_attempts: int = 5
    # SMS code limits (jidi.accounts, README "SMS codes and who may ask for them"): a requester (client address,
    # trusted device or account) waits longer after each code to one number; asks for this many codes a day in all;
    # a number gets this many codes a day from requesters it does not trust before a question must be answered.
    sms_code_limits: str = "1/minute;2/3 minutes;3/7 minutes;4/15 minutes;5/31 minutes;6/day"
    sms_daily_cap_per_client: int = Field(50, ge=1)
    sms_daily_cap_per_phone: int = Field(10, ge=1)
    trusted_device_days: int = Field(90, ge=1, le=400)
    # Reverse proxies whose X-Forwarded-For names the real client (addresses or CIDR networks, comma-separated).
    # Empty: the peer's address is the client's, and the header is ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    session_ttl_seconds: int = 14 * 24 * 3600
    staff_session_ttl_seconds: int = 8 * 3600

    # Retention (jidi.retention; `jidi retention schedule` prints every rule). Orders are anonymised this many days
    # after delivery or return (default: RETAIN_WAYBILL, the catalog's waybill record period) or after cancellation.
    retention_waybill_days: int = Field(3 * 365, ge=1)
    retention_cancelled_days: int = Field(31, ge=0)
    # Audit records are kept at least 3 years (PIPL art. 56); 1,096 days cover 3 years with a leap day.
    retention_audit_days: int = Field(1096, ge=1096)
    retention_batch: int = Field(5000, ge=1, le=100_000)

    @field_validator("sms_code_limits")
    @classmethod
    def _limits(cls, value: str) -> str:
        parse_many(value)  # raises ValueError on a malformed spec
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> list[str]:
        raw = value.split(",") if isinstance(value, str) else value if isinstance(value, (list, tuple)) else [value]
        items = [str(v).strip() for v in raw]
        items = [v for v in items if v]
        for item in items:
            ipaddress.ip_network(item, strict=False)  # raises ValueError: not an address or network
        return items

    @model_validator(mode="after")
    def _fill_defaults(self) -> "Settings":
        age, written = OPERATOR_MINORS[self.operator]
        if "minors_age" not in self.model_fields_set:
            self.minors_age = age
        if "minors_written_consent" not in self.model_fields_set:
            self.minors_written_consent = written
        rule, days = OPERATOR_DEADLINES[self.operator]
        if "rights_deadline" not in self.model_fields_set:
            self.rights_deadline = rule  # type: ignore[assignment]
        if "rights_deadline_days" not in self.model_fields_set:
            self.rights_deadline_days = days
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'jidi.db').as_posix()}"
        if not self.key_source:
            self.key_source = str(self.var_dir / "keys.json")
        if not self.redis_url and self.queue_url.startswith(("redis://", "rediss://", "unix://")):
            self.redis_url = self.queue_url
        if self.tombstone_path is None:
            self.tombstone_path = self.var_dir / "tombstones.log"
        return self
