"""Schema migrations with Alembic, on SQLite and PostgreSQL alike."""
from __future__ import annotations

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


def upgrade(engine: Engine) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Migrate to the newest revision; returns the revisions the database was at before and after (none: it was new)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        before = MigrationContext.configure(conn).get_current_heads()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
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
