"""A logged-in customer's browser refusing tracking (Do Not Track, Global Privacy Control): recorded in the consent
ledger as a refusal of `Agreement.TRACKING` (ZK-2.3). The kit calls `record` on every page such a browser loads;
the ledger appends only when the newest record is not already this refusal, so a page costs one read."""
from __future__ import annotations

import uuid

from jidi.privacy import Agreement


class TrackingSignals:
    def __init__(self, container):
        self.c = container

    def record(self, user_id: uuid.UUID, signal: str) -> None:
        with self.c.uow() as s:
            self.c.consents.record_refusal(s, user_id, Agreement.TRACKING, how="signal", how_ref=signal)
