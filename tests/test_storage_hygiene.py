"""What ends up on disk and in the schema: migrations match the models, a full database dump holds no
plaintext personal data, and only the privacy core may import keys and ciphers (import-linter)."""
from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from jidi import models
from tests import pii
from tests.pii import EMAILS, NICKNAMES, PHONES, USERNAMES

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_match_the_models(backend):
    _, _, engine = backend
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), models.metadata)
    assert diff == []


def _dump(container) -> bytes:
    url = container.settings.database_url
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return "\n".join(conn.iterdump()).encode()
        finally:
            conn.close()
    pg_dump = shutil.which("pg_dump") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))), None)
    assert pg_dump, "pg_dump is needed for this test (Debian package postgresql-client)"
    return subprocess.run([str(pg_dump), "--data-only", url], check=True, capture_output=True).stdout


@pytest.mark.promise("JD-5.1.1(1)", "ZK-4.1.1c", "CN-7.2a")
def test_a_database_dump_contains_no_plaintext_personal_data(client, sms, container, clock):
    phone, new_phone = PHONES[4], PHONES[5]
    client.post("/api/v1/auth/sms-codes", json={"phone": phone})
    token = client.post("/api/v1/auth/sms-login", json={"phone": phone, "code": sms.last_code(phone), "accept_policy": True}).json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    client.patch("/api/v1/me", json={"nickname": NICKNAMES[0], "email": EMAILS[1], "username": USERNAMES[1]}, headers=h)
    client.put("/api/v1/me/password", json={"new_password": "a long password 42"}, headers=h)
    client.post("/api/v1/me/phone/codes", json={"phone": new_phone}, headers=h)
    client.put("/api/v1/me/phone", json={"phone": new_phone, "code": sms.last_code(new_phone)}, headers=h)
    dump = _dump(container)
    assert len(dump) > 1000  # the dump really holds the rows
    assert pii.find_in(dump) == []
    assert b"a long password 42" not in dump and b"$argon2id$" not in dump
    # Not even the digits hidden in other encodings (hex, base64 of the plaintext).
    for value in (phone, new_phone):
        assert value.encode().hex().encode() not in dump.lower()


def test_only_the_privacy_core_touches_keys_and_ciphers():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Only the privacy core touches keys.*KEPT", result.stdout)
