"""What the benchmarks share: run size, JSON output, interleaved rounds, the throwaway database, fakes."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import subprocess
import random
import re
import statistics
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg

from jidi.accounts import validation
from jidi.bootstrap import Container, bootstrap
from jidi.config import Settings
from jidi.db import make_engine
from jidi.errors import AppError
from jidi.migrate import upgrade

PG_ADMIN_URL = os.environ.get("JIDI_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclasses.dataclass(frozen=True)
class Size:
    """How much work each benchmark does: full by default, a few iterations with JIDI_BENCH_SMOKE=1."""

    mode: str
    field_rounds: int
    field_ops: int          # seals (or opens) per variant per round
    field_subjects: int
    http_warmup: int        # round trips per variant before measuring
    http_rounds: int
    http_batch: int         # round trips per variant per round
    hash_count: int         # single hashes timed for the hash time
    login_rounds: int
    login_batch: int        # logins per thread per round


FULL = Size("full", field_rounds=21, field_ops=2000, field_subjects=200, http_warmup=3, http_rounds=30, http_batch=2,
            hash_count=15, login_rounds=7, login_batch=4)
SMOKE = Size("smoke", field_rounds=2, field_ops=50, field_subjects=10, http_warmup=1, http_rounds=2, http_batch=1,
             hash_count=2, login_rounds=1, login_batch=1)


def size() -> Size:
    return SMOKE if os.environ.get("JIDI_BENCH_SMOKE", "").strip() not in ("", "0") else FULL


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def emit(name: str, value: float, unit: str, **extra) -> dict:
    line = {"name": name, "value": round(value, 3), "unit": unit, "mode": size().mode, **extra}
    print(json.dumps(line, ensure_ascii=False), flush=True)
    return line


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def interleave(variants: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Run each variant once per round, alternating the order (A B, B A, …); return each one's results."""
    names = list(variants)
    out: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for n in names if r % 2 == 0 else reversed(names):
            out[n].append(variants[n]())
    return out


def paired_ratio(num: list[float], den: list[float]) -> float:
    """The median of per-round ratios: both sides of a round ran back to back, under the same load."""
    return median([a / b for a, b in zip(num, den)])


def quartiles(xs: list[float]) -> tuple[float, float]:
    """The 25th and 75th percentiles (the spread a noisy machine leaves), or (min, max) for tiny samples."""
    if len(xs) < 4:
        return min(xs), max(xs)
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


# -- the throwaway database -------------------------------------------------------------------------------
@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database `jidi_bench_<random>`; dropped on the way out, whatever happens."""
    name = f"jidi_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"created database {name}")
    try:
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"dropped database {name}")


# -- fakes injected into the container ------------------------------------------------------------------
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


class RecordingSms:
    """The fake carrier: keeps the newest code sent to each number until the benchmark reads it."""

    name = "bench"

    def __init__(self):
        self._codes: dict[str, str] = {}
        self._lock = threading.Lock()

    def deliver(self, phone: str, text: str) -> None:
        m = _CODE.search(text)
        if m:
            with self._lock:
                self._codes[phone] = m.group(1)

    def take_code(self, phone: str) -> str:
        with self._lock:
            code = self._codes.pop(phone, None)
        if code is None:
            raise AssertionError("no code was delivered to that number")
        return code


class Clock:
    """The injected clock: moved forward past the resend limit and to a new day between round trips."""

    def __init__(self):
        self.now = dt.datetime.now(dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += dt.timedelta(**kw)


class Phones:
    """Fresh, valid mainland mobile numbers (139xxxxxxxx), never the same twice in one run."""

    def __init__(self, prefix: str = "139"):
        self.prefix = prefix
        self._rng = random.Random()
        self._used: set[str] = set()

    def __call__(self) -> str:
        while True:
            raw = self.prefix + f"{self._rng.randrange(10**8):08d}"
            if raw in self._used:
                continue
            try:
                number = validation.phone(raw)
            except AppError:
                continue
            self._used.add(number)
            return number


@dataclasses.dataclass
class Variant:
    label: str
    container: Container
    sms: RecordingSms
    clock: Clock


def settings_for(database_url: str, tmp: Path) -> Settings:
    return Settings(env="test", var_dir=tmp / "var", key_source=str(tmp / "keys.json"), database_url=database_url,
                    queue_url="immediate", embedded_worker=False, cookie_secure=True)


def make_variant(label: str, settings: Settings, engine, cipher=None) -> Variant:
    sms, clock = RecordingSms(), Clock()
    c = bootstrap(settings, engine=engine, cipher=cipher, sms=sms, clock=clock)
    return Variant(label, c, sms, clock)


def stop_process(proc) -> None:
    """Stop a benchmark's server subprocess: politely, then for sure."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
