"""Test fixtures. Every database test runs twice: on SQLite and on PostgreSQL (a throwaway database on the
local server, created for this run and dropped after it; with pytest-xdist, each test process has its own, and its
own SQLite files and directories). PostgreSQL being down is a failure, not a skip.

After every test, the whole database and the captured log records are scanned for the plaintext personal
data in tests/pii.py.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import types
import uuid

import limits.storage.memory
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import LargeBinary, String, Text, event, exists, literal, select, text, union_all

from jidi import models
from jidi.bootstrap import bootstrap
from jidi.config import Settings
from jidi.db import make_engine
from jidi.migrate import upgrade
from jidi.web.app import create_app
from jidi.web.app import shape as app_shape
from tests import pii

PG_ADMIN_URL = os.environ.get("JIDI_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config):
    from tests.promise_ids import check_marker  # noqa: PLC0415

    config._jidi_check_promise = check_marker


def pytest_collection_modifyitems(config, items):
    for item in items:
        for mark in item.iter_markers("promise"):
            for pid in mark.args:
                config._jidi_check_promise(pid, item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With JIDI_PROMISE_REPORT set (`make promises`), note each promise-tagged test's outcome."""
    outcome = yield
    report = outcome.get_result()
    path = os.environ.get("JIDI_PROMISE_REPORT")
    ids = [pid for mark in item.iter_markers("promise") for pid in mark.args]
    if path and ids and (report.when == "call" or report.failed):
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"test": item.nodeid, "ids": ids, "passed": report.passed and report.when == "call"}) + "\n")


class RecordingSms:
    """The fake carrier: keeps what it was asked to send, so a test can read the code like a phone would."""

    name = "recording"

    def __init__(self):
        from jidi.notify.providers import CarrierSimulator, SignedCallbacks  # noqa: PLC0415

        self.inbound = SignedCallbacks(b"the test gateway's callback secret")
        self.carrier = CarrierSimulator(self.inbound)  # replies typed on a phone, signed as the gateway signs them
        self.sent: list[tuple[str, str]] = []
        self.references: list[str] = []
        self.deletion_requests: list[list[str]] = []  # each notice: the references the provider must delete

    def deliver(self, phone: str, text: str, reference: str) -> None:
        self.sent.append((phone, text))
        self.references.append(reference)

    def request_deletion(self, references: list[str]) -> None:
        self.deletion_requests.append(list(references))

    def last_code(self, phone: str) -> str:
        import re  # noqa: PLC0415

        for to, body in reversed(self.sent):
            if to == phone and (m := re.search(r"\b(\d{6})\b", body)):
                return m.group(1)
        raise AssertionError("no code was sent to that number")


class Clock:
    """A controllable clock for code expiry and rate limits."""

    def __init__(self):
        self.now = dt.datetime.now(dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("keys")


def _pg_database():
    name = f"jidi_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def _drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory):
    """(name, url, engine) of a freshly migrated database for this run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'jidi.db'}"
        cleanup = None
    else:
        name, url = _pg_database()
        cleanup = name
        # A throwaway database: a commit need not wait for the disk (a crash loses the last commits, never consistency).
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    engine = make_engine(url)
    if request.param == "sqlite":
        # Likewise for the test's SQLite file: no fsync at each commit (WAL stays consistent).
        event.listen(engine, "connect", _sqlite_no_sync)
    upgrade(engine)
    yield request.param, url, engine
    engine.dispose()
    if cleanup:
        _drop_pg_database(cleanup)


def _sqlite_no_sync(dbapi_conn, _record) -> None:
    dbapi_conn.execute("PRAGMA synchronous=OFF")


def _text_columns(table) -> list:
    # A personal column's own type (Sealed) stores binary: scan it as its impl.
    return [c for c in table.columns if isinstance(getattr(c.type, "impl", c.type), (String, Text, LargeBinary))]


def _filled_tables(conn) -> list:
    """The model tables that hold at least one row, in dependency order: one round trip whatever their number."""
    tables = models.metadata.sorted_tables
    probe = union_all(*(select(literal(i)).where(exists(select(literal(1)).select_from(t))) for i, t in enumerate(tables)))
    filled = set(conn.scalars(probe))
    return [t for i, t in enumerate(tables) if i in filled]


def _scan(conn, tables) -> list[str]:
    found = []
    for table in tables:
        cols = _text_columns(table)
        if not cols:
            continue
        for row in conn.execute(select(*cols)):
            for col, value in zip(cols, row):
                if value is None:
                    continue
                hits = pii.find_in(value if isinstance(value, (bytes, str)) else bytes(value))
                found += [f"{table.name}.{col.name}: {h}" for h in hits]
    return found


def scan_database(engine) -> list[str]:
    """Every plaintext test value found anywhere in the database (text and binary columns alike)."""
    with engine.connect() as conn:
        return _scan(conn, _filled_tables(conn))


_ENABLE = {"O": "ENABLE TRIGGER", "A": "ENABLE ALWAYS TRIGGER", "R": "ENABLE REPLICA TRIGGER", "D": "DISABLE TRIGGER"}


def _delete_rows(conn, tables) -> None:
    """Empty the given tables (children first), their own triggers (the audit log's append-only ones) off for this one
    transaction and restored as they were. DELETE, not TRUNCATE: a few rows go in milliseconds, where TRUNCATE makes
    new files for every table and index."""
    if not tables:
        return
    names = {t.name for t in tables}
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text("SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                                 "WHERE NOT t.tgisinternal")).all()
        triggers = [(table, name, enabled.decode() if isinstance(enabled, bytes) else enabled)
                    for table, name, enabled in rows if table in names]
        for table in {table for table, _, _ in triggers}:
            conn.execute(text(f'ALTER TABLE "{table}" DISABLE TRIGGER USER'))
        for table in reversed(tables):
            conn.execute(table.delete())
        for table, name, enabled in triggers:
            conn.execute(text(f'ALTER TABLE "{table}" {_ENABLE[enabled]} "{name}"'))
    else:
        triggers = [(name, sql) for name, table, sql in conn.execute(text(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")) if table in names and "DELETE" in sql.upper()]
        for name, _ in triggers:
            conn.execute(text(f'DROP TRIGGER "{name}"'))
        for table in reversed(tables):
            conn.execute(table.delete())
        for _, sql in triggers:
            conn.execute(text(sql))


def wipe(engine) -> None:
    """Empty every model table."""
    with engine.begin() as conn:
        _delete_rows(conn, _filled_tables(conn))


def scan_and_wipe(engine) -> list[str]:
    """What scan_database finds, then the database emptied: the tables are listed once for both."""
    with engine.begin() as conn:
        tables = _filled_tables(conn)
        found = _scan(conn, tables)
        _delete_rows(conn, tables)
    return found


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    # The rate limiter's in-memory windows (the `limits` library reads time.time()) follow the test clock too.
    monkeypatch.setattr(limits.storage.memory, "time", types.SimpleNamespace(time=lambda: c.now.timestamp()))
    return c


@pytest.fixture
def sms():
    return RecordingSms()


@pytest.fixture
def settings(tmp_path, key_dir, backend):
    _, url, _ = backend
    return Settings(env="test", var_dir=tmp_path / "var", database_url=url, key_source=str(key_dir / "keys.json"),
                    queue_url="immediate", cookie_secure=True)


@pytest.fixture
def container(settings, backend, sms, clock, caplog):
    caplog.set_level(logging.DEBUG)
    c = bootstrap(settings, engine=backend[2], sms=sms, clock=clock)
    yield c
    leaks = scan_and_wipe(backend[2])
    assert not leaks, f"plaintext personal data stored in the database: {leaks}"
    logged = pii.find_in(caplog.text)
    assert not logged, f"personal data in the logs: {logged}"


# One app per shape of settings in each test process, served over each test's own container: building an app's ~200
# routes (FastAPI prepares every route's validation at its first request) costs more than most tests. A test that
# changes the app (adds a route, overrides a dependency) gets it dropped, so the next test builds a clean one.
_APPS: dict[tuple, object] = {}


@pytest.fixture
def app(container):
    key = app_shape(container.settings)
    served = _APPS.pop(key, None) or create_app(container)
    built = _fingerprint(served)
    served.state.container = container
    yield served
    served.state.container = None  # nothing of this test's container outlives it through the app
    if _fingerprint(served) == built:
        _APPS[key] = served


def _fingerprint(app) -> tuple:
    return len(app.router.routes), tuple(app.dependency_overrides), len(app.user_middleware)


@pytest.fixture
def client(app):
    with TestClient(app, base_url="https://testserver") as tc:
        tc.event_hooks["response"].append(require_retry_after)
        yield tc


def require_retry_after(response) -> None:
    """Every 429 any test provokes, API or page, says when to retry (the rate limiter's real remaining seconds)."""
    if response.status_code == 429:
        value = response.headers.get("Retry-After", "")
        assert value.isdigit() and int(value) >= 1, f"429 without a Retry-After: {response.request.url.path}"
