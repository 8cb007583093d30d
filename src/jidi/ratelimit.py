"""The one rate limiter every feature uses (password login, SMS codes, parcel lookup, public tracking).

Built on the `limits` library: counted in Redis when one is configured (JIDI_REDIS_URL, or the queue's Redis), so a
limit holds across every process and host; otherwise in this process's memory (the embedded default: one server
process). If Redis fails, the limit is counted in memory until it answers again, and the log says so once a minute.

Callers name what they count by its parts: plain labels and ids (`"user"`, an account id), keyed hashes they hold
(bytes, e.g. a phone's blind index), and personal identifiers (`client_address(...)`, `waybill_no(...)`,
`login_name(...)`), which the limiter replaces by their keyed hash (the privacy core's, given at wiring time): a
client address, a waybill or phone number or a login name never becomes part of a key.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import time
from collections.abc import Callable

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter as Strategy

log = logging.getLogger("jidi.ratelimit")


@dataclasses.dataclass(frozen=True)
class Limit:
    """A named limit of one or more windows, e.g. Limit("sms_requester", "1/minute;3/15 minutes;5/day"): every
    window must have room. Moving windows by default; `fixed` counts per window from its first hit (cheapest:
    one increment)."""

    name: str
    windows: tuple[RateLimitItem, ...]
    fixed: bool = False

    @classmethod
    def of(cls, name: str, spec: str, fixed: bool = False) -> "Limit":
        items = tuple(type(i)(i.amount, i.multiples, namespace=name) for i in parse_many(spec))
        return cls(name, items, fixed)


@dataclasses.dataclass(frozen=True)
class Hashed:
    """A personal identifier a limit counts by: only its keyed hash (in the domain `kind`) becomes part of a key."""

    kind: str
    value: str = dataclasses.field(repr=False)


def client_address(address: str | None) -> Hashed:
    return Hashed("client_address", address or "-")


def waybill_no(number: str) -> Hashed:
    return Hashed("waybill_no", number)


def login_name(name: str) -> Hashed:
    return Hashed("login_name", name)


Part = bytes | str | Hashed


class RateLimiter:
    def __init__(self, redis_url: str = "", *, hasher: Callable[[str, str], bytes], prefix: str = "jidi",
                 clock: Callable[[], dt.datetime] | None = None):
        """`hasher(kind, value)`: the keyed hash of a personal identifier (the vault's blind index)."""
        self._hasher = hasher
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._memory = self._strategies(MemoryStorage())
        self._redis = None
        if redis_url:
            # One immediate retry (a pooled connection that a Redis restart closed), then memory counts instead.
            from redis.backoff import NoBackoff  # noqa: PLC0415
            from redis.retry import Retry  # noqa: PLC0415

            storage = RedisStorage(redis_url, key_prefix=prefix, wrap_exceptions=True, socket_timeout=1, socket_connect_timeout=1,
                                   health_check_interval=30, retry=Retry(NoBackoff(), 1))
            self._redis = self._strategies(storage)
        self._warned_at = -60.0

    @property
    def shared(self) -> bool:
        """Whether the limits hold across processes (counted in Redis)."""
        return self._redis is not None

    @staticmethod
    def _strategies(storage) -> dict[bool, Strategy]:
        return {False: MovingWindowRateLimiter(storage), True: FixedWindowRateLimiter(storage)}

    def _run(self, fn: Callable[[Strategy], object], fixed: bool):
        if self._redis is not None:
            try:
                return fn(self._redis[fixed])
            except StorageError as exc:
                now = time.monotonic()
                if now - self._warned_at >= 60:
                    self._warned_at = now
                    log.warning("rate limiter: Redis unavailable (%s), counting in memory", type(exc.storage_error).__name__)
        return fn(self._memory[fixed])

    def _now(self, strategy: Strategy) -> float:
        # Windows in memory follow the injected clock (real time, except in tests); Redis's follow real time.
        return self._clock().timestamp() if strategy.storage is self._memory[False].storage else time.time()

    def _key(self, *parts: Part) -> str:
        """One identifier from its parts: keyed hashes (bytes) as hex, personal identifiers hashed first, labels as they are."""
        return "/".join(self._hasher(p.kind, p.value).hex() if isinstance(p, Hashed) else p.hex() if isinstance(p, bytes) else p
                        for p in parts)

    def hit(self, limit: Limit, *parts: Part) -> int:
        """Count one event of the identifier made of `parts`, or refuse it: 0 when counted, else the seconds until
        every window has room again (then nothing is counted)."""
        ident = self._key(*parts)
        if len(limit.windows) == 1:
            item = limit.windows[0]
            if self._run(lambda s: s.hit(item, ident), limit.fixed):
                return 0
            return max(1, self._retry_after(limit, ident))
        if wait := self._retry_after(limit, ident):
            return wait
        # In order, stopping at a refusal (only possible at a window's very end, or in a race): the earlier windows
        # are the shorter ones, the ones that end first.
        if all(self._run(lambda s, item=item: s.hit(item, ident), limit.fixed) for item in limit.windows):
            return 0
        return max(1, self._retry_after(limit, ident))

    def retry_after(self, limit: Limit, *parts: Part) -> int:
        """Whole seconds after which this limit lets one more event of the identifier made of `parts` through (0: now).
        A window's oldest event still counts at the very end of the window, so the answer is the first whole second
        past it."""
        return self._retry_after(limit, self._key(*parts))

    def _retry_after(self, limit: Limit, ident: str) -> int:
        wait = -1.0
        for item in limit.windows:
            stats, now = self._run(lambda s, item=item: (s.get_window_stats(item, ident), self._now(s)), limit.fixed)
            if stats.remaining <= 0:
                wait = max(wait, stats.reset_time - now)
        return math.floor(wait) + 1 if wait >= 0 else 0
