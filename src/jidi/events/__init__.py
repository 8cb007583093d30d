"""Durable events between features: a transactional outbox and a relay that delivers at least once.

A feature records an event in the transaction of the change it announces (`EventBus.record`); the row commits or
rolls back with the change, so nothing committed is lost when the job queue is down. After the commit a job is
asked to relay the new events at once; a periodic job relays whatever that missed (a queue outage, a crash, a
handler that failed and waits for its retry). Each handler another feature registers (`handles`) runs in a
transaction of its own that also records its delivery, so a redelivered event has no second effect: handlers are
idempotent by event id.

Payloads are ids and codes, never personal values: events outlive the changes they announce in the outbox, and
the data map does not look into them.
"""
from __future__ import annotations

from jidi.events.bus import Event, EventBus, handles

__all__ = ["Event", "EventBus", "handles"]
