"""The benchmarks cannot silently rot: `python -m bench` runs in smoke mode (a few iterations of everything)
and every line it prints must be a JSON object with name, value and unit; comparisons also carry a baseline
and a ratio. Its throwaway PostgreSQL database must be gone afterwards."""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "JIDI_BENCH_PG_ADMIN_URL", os.environ.get("JIDI_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
)
EXPECTED = {
    "vault.seal_per_field", "vault.open_per_field", "http.register_login_roundtrip", "argon2.hash",
    "password_login.argon2_verify.threads1", "password_login.argon2_verify.threads2",
    "password_login.service.threads1", "password_login.service.threads2", "bench.wall_time", "http.order_create",
    "tracking.ingest_events", "http.lookup_latency_p50", "http.lookup_latency_p99",
}
COMPARISONS = {
    "vault.seal_per_field", "vault.open_per_field", "http.register_login_roundtrip", "http.order_create",
    "password_login.argon2_verify.threads2", "password_login.service.threads2",
}


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def test_bench_smoke_prints_json_lines():
    env = {**os.environ, "JIDI_BENCH_SMOKE": "1", "JIDI_BENCH_PG_ADMIN_URL": PG_ADMIN_URL}
    env.pop("JIDI_BENCH_ONLY", None)
    proc = subprocess.run([sys.executable, "-m", "bench"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"python -m bench failed:\n{proc.stderr[-3000:]}"

    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert lines, "the benchmark printed nothing"
    seen = {}
    for ln in lines:
        obj = json.loads(ln)  # every line is one JSON object
        assert isinstance(obj, dict), ln
        assert isinstance(obj.get("name"), str) and obj["name"], ln
        assert _number(obj.get("value")) and obj["value"] > 0, ln
        assert isinstance(obj.get("unit"), str) and obj["unit"], ln
        assert obj.get("mode") == "smoke", ln
        seen[obj["name"]] = obj
    # Printed only when the goal rate misses p99 ≤ 50 ms.
    optional = {"http.lookup_max_rate_meeting_goal"}
    assert EXPECTED <= set(seen) <= EXPECTED | optional, f"missing {EXPECTED - set(seen)}, unexpected {set(seen) - EXPECTED - optional}"
    for name in COMPARISONS:
        assert _number(seen[name].get("baseline")) and seen[name]["baseline"] > 0, name
        assert _number(seen[name].get("ratio")) and seen[name]["ratio"] > 0, name
    assert "TestClient" in seen["http.register_login_roundtrip"]["note"]

    dropped = re.findall(r"dropped database (jidi_bench_[0-9a-f]+)", proc.stderr)
    assert dropped, "the benchmark did not report dropping its database"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        left = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dropped[0],)).fetchone()
    assert left is None, f"the throwaway database {dropped[0]} is still there"
