"""Typed settings, read from JIDI_* environment variables.

Secrets (keys) are not settings: they come from the key source that the privacy core reads
(a key file under ./var/ in development, a file or JIDI_KEYS in production).
"""
from __future__ import annotations

import functools
import importlib
import ipaddress
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field, create_model, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from jidi.kit.feature import Setting


# Who may run this deployment (jidi.policy.operators has each one's profile).
Operator = Literal["jidi", "jd", "cainiao", "zkjia"]


class CoreSettings(BaseSettings):
    """The settings of the app itself and of what every feature shares. A setting only one feature reads is that
    feature's declaration (`Feature.settings`, jidi.kit.feature.Setting): `Settings` is this class with them added."""

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
    operator: Operator = "jidi"
    # The version of the privacy policy users accept at registration and login.
    policy_version: str = "2026-11-01"
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
    # Reverse proxies whose X-Forwarded-For names the real client (addresses or CIDR networks, comma-separated).
    # Empty: the peer's address is the client's, and the header is ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    staff_session_ttl_seconds: int = 8 * 3600

    # Retention (jidi.retention; `jidi retention schedule` prints every rule; a feature's own periods are its settings).
    # Audit records are kept at least 3 years (PIPL art. 56); 1,096 days cover 3 years with a leap day.
    retention_audit_days: int = Field(1096, ge=1096)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> list[str]:
        raw = value.split(",") if isinstance(value, str) else value if isinstance(value, (list, tuple)) else [value]
        items = [str(v).strip() for v in raw]
        items = [v for v in items if v]
        for item in items:
            ipaddress.ip_network(item, strict=False)  # raises ValueError: not an address or network
        return items

    # The features' settings in `Settings` (empty here): name -> declaration.
    declared: ClassVar[dict[str, Setting]] = {}

    if TYPE_CHECKING:
        def __getattr__(self, name: str) -> Any: ...  # a feature's setting (Feature.settings)

    @model_validator(mode="after")
    def _fill_defaults(self) -> "CoreSettings":
        for setting in self.declared.values():
            # A feature's setting whose default differs per brand follows the operator unless set explicitly.
            if setting.name not in self.model_fields_set and self.operator in setting.by_operator:
                setattr(self, setting.name, setting.by_operator[self.operator])
            if setting.check is not None:
                setting.check(getattr(self, setting.name))  # raises ValueError: refused
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'jidi.db').as_posix()}"
        if not self.key_source:
            self.key_source = str(self.var_dir / "keys.json")
        if not self.redis_url and self.queue_url.startswith(("redis://", "rediss://", "unix://")):
            self.redis_url = self.queue_url
        if self.tombstone_path is None:
            self.tombstone_path = self.var_dir / "tombstones.log"
        return self


@functools.cache
def _with_features() -> type[CoreSettings]:
    """The settings class: CoreSettings with every registered feature's settings. The features are found by the app
    assembly (jidi.features), imported here when the class is first asked for: their declarations import nothing of
    the app, so this is safe from the lowest layer."""
    return settings_class(importlib.import_module("jidi.features").registered())


def settings_class(features: Iterable[Any]) -> type[CoreSettings]:
    """CoreSettings with the features' settings (`Feature.settings`) as fields, each read from JIDI_<NAME>."""
    fields: dict[str, Any] = {}
    declared: dict[str, Setting] = {}
    for feature in features:
        for setting in feature.settings:
            if setting.name in CoreSettings.model_fields or setting.name in declared:
                raise ValueError(f"setting {setting.name!r} of feature {feature.name!r} is declared twice")
            declared[setting.name] = setting
            fields[setting.name] = (setting.type, Field(setting.default, ge=setting.ge, le=setting.le,
                                                        description=setting.description))
    cls = create_model("Settings", __base__=CoreSettings, __module__=__name__, **fields)
    cls.declared = declared
    return cls


if TYPE_CHECKING:
    Settings = CoreSettings
else:
    def __getattr__(name: str) -> Any:
        if name == "Settings":
            return _with_features()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
