"""Account gates: a feature may hold a customer's account back from use until something is done — a minor's account
waits for a guardian's consent (jidi.guardians). A feature registers a gate when its module is imported
(`@account_gate`, like `jidi.events.handles`); `Accounts.authenticate` asks every gate, in its own transaction, each time
it authenticates a customer for a page or an API call that needs one. A gate answers None (the account may be used) or
the error that says why not and what to do; the paths it names in `open_paths` (its own pages, logging out) stay
usable while it holds the account.
"""
from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from jidi.errors import AppError

GateFn = Callable[[Any, Session, uuid.UUID], AppError | None]  # (container, session, user_id)


@dataclasses.dataclass(frozen=True)
class Gate:
    key: str
    check: GateFn
    open_paths: tuple[str, ...] = ()  # path prefixes a held account may still use


GATES: dict[str, Gate] = {}


def account_gate(key: str, *, open_paths: tuple[str, ...] = ()) -> Callable[[GateFn], GateFn]:
    def register(fn: GateFn) -> GateFn:
        GATES[key] = Gate(key, fn, open_paths)
        return fn

    return register


def held(container: Any, session: Session, user_id: uuid.UUID, path: str) -> AppError | None:
    """Why this account may not use `path` yet (the first gate that holds it), or None."""
    for gate in GATES.values():
        if gate.open_paths and path.startswith(gate.open_paths):
            continue
        if (err := gate.check(container, session, user_id)) is not None:
            return err
    return None
