"""Schema migrations with Alembic, on SQLite and PostgreSQL alike."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, carry_consents: Callable[..., int] | None = None,
            to: str = "heads") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Migrate to the newest revision (or `to`); returns the revisions the database was at before and after (none: it
    was new). `carry_consents` (the consent ledger's `carry_legacy`, which needs the key ring) lets migration 0023 carry
    the consents of the accounts' old table onto the ledger; without it, that migration refuses a table with rows."""
    cfg = alembic_config()
    with engine.begin() as conn:
        before = MigrationContext.configure(conn).get_current_heads()
        cfg.attributes["connection"] = conn
        cfg.attributes["carry_consents"] = carry_consents
        command.upgrade(cfg, to)
        after = MigrationContext.configure(conn).get_current_heads()
    return tuple(sorted(before)), tuple(sorted(after))


def current(engine: Engine) -> tuple[str, ...]:
    """The revisions the database is at (none: it has no schema yet)."""
    with engine.connect() as conn:
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def describe(before: tuple[str, ...], after: tuple[str, ...]) -> str:
    """What `upgrade` did, in one line for the operator."""
    now = ", ".join(after)
    if not before:
        return f"created the database schema (revision {now})"
    if before == after:
        return f"database is up to date (revision {now})"
    return f"upgraded the database from revision {', '.join(before)} to {now}"
