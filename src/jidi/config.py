"""Typed settings, read from JIDI_* environment variables.

Secrets (keys) are not settings: they come from the key source that the privacy core reads
(a key file under ./var/ in development, a file or JIDI_KEYS in production).
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    sms_provider: Literal["outbox"] = "outbox"
    base_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool = True
    default_locale: str = "zh_CN"
    # The version of the privacy policy users accept at registration and login.
    policy_version: str = "2026-11-01"

    sms_code_ttl_seconds: int = 300
    sms_code_max_attempts: int = 5
    sms_resend_seconds: int = 60
    sms_daily_cap_per_phone: int = 10
    sms_daily_cap_per_client: int = 50
    session_ttl_seconds: int = 14 * 24 * 3600
    staff_session_ttl_seconds: int = 8 * 3600

    @model_validator(mode="after")
    def _fill_defaults(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'jidi.db').as_posix()}"
        if not self.key_source:
            self.key_source = str(self.var_dir / "keys.json")
        return self

    @property
    def is_development(self) -> bool:
        return self.env == "development"
