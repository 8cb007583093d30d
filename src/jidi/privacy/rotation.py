"""Key management: a new key ring (`jidi keys init`), and master-key rotation: re-wrap every subject key under the
current master version, in small batches.

Each batch is its own transaction, so the service keeps serving, an interrupted run loses at most one
batch of work, and running it again resumes where it stopped (rows already on the current version are
skipped). Field ciphertext does not change: subject keys, not fields, are what a master key protects.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any  # the container (jidi.bootstrap), which the privacy core does not import

from sqlalchemy import func, select

from jidi.privacy.keys import KeyRingError, _write_new_key_file, add_master_version, new_key_ring_json, remove_master_version
from jidi.privacy.models import SubjectKey


def init(key_source: str) -> str | None:
    """`jidi keys init`: create the key file JIDI_KEY_SOURCE names (mode 0600; never over an existing one), or, for
    JIDI_KEY_SOURCE=env, return a new key ring for the operator to store where every host reads JIDI_KEYS from."""
    if key_source == "env":
        return new_key_ring_json()
    path = Path(key_source)
    if path.exists():
        raise KeyRingError(f"key file {path} exists already: a new key ring would make everything sealed under it unreadable")
    _write_new_key_file(path)
    return None


def pending(container: Any) -> int:
    with container.uow() as s:
        count: int = s.scalar(select(func.count()).select_from(SubjectKey).where(SubjectKey.master_version != container.vault.keys.current))
    return count


def rewrap_all(container: Any, batch: int = 500, progress: Callable[[int], None] | None = None) -> int:
    total = 0
    while True:
        with container.uow() as s:
            done: int = container.vault.rewrap_batch(s, batch)
        total += done
        if progress and done:
            progress(total)
        if done < batch:
            return total


def rotate(container: Any, *, new_version: bool, batch: int = 500, progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """`jidi keys rotate`: add a master version to the key file (unless resuming), then re-wrap everything."""
    keys = container.vault.keys
    if new_version:
        if keys.source == "env":
            raise SystemExit("keys come from JIDI_KEYS: add a new version there, make it current, then run with --resume")
        add_master_version(Path(keys.source))
    keys.maybe_reload(every=0)
    return keys.current, rewrap_all(container, batch, progress)


def retire(container: Any, version: int) -> None:
    """`jidi keys retire VERSION`: remove an old master key once no subject key is wrapped by it. Backups taken before
    the rotation hold only keys wrapped by that version: from then on they cannot be opened at all (JD-6.3.2)."""
    keys = container.vault.keys
    if keys.source == "env":
        raise SystemExit("keys come from JIDI_KEYS: remove the version there once `jidi keys rotate` has finished")
    keys.maybe_reload(every=0)
    with container.uow() as s:
        left = s.scalar(select(func.count()).select_from(SubjectKey).where(SubjectKey.master_version == version))
    if left:
        raise KeyRingError(f"{left} subject keys are still wrapped by version {version}: run `jidi keys rotate --resume` first")
    remove_master_version(Path(keys.source), version)
    keys.maybe_reload(every=0)


__all__ = ["KeyRingError", "init", "pending", "retire", "rewrap_all", "rotate"]
