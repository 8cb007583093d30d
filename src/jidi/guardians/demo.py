"""Demo data: the demo customer is an adult, so that `make run` works whatever `JIDI_MINORS_AGE_STATEMENT` says."""
from __future__ import annotations

import uuid


def load(container, demo_customer_id: uuid.UUID) -> list[str] | None:
    if container.guardians.status(demo_customer_id).stated:
        return None
    container.guardians.state_birth_date(demo_customer_id, "1990-05-01")
    return None
