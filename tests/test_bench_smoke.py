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
    "tracking.ingest_events", "tracking.status_event_cost", "http.lookup_latency_p50", "http.lookup_latency_p99", "retention.sweep_orders",
    "rights.access_10_orders", "rights.access_1000_orders", "rights.erasure_10_orders", "rights.erasure_1000_orders",
    "rights.erasure_backlog", "rights.peak_rss", "events.relay_burst", "events.commit_to_handler_p50",
    "events.commit_to_handler_p99", "audit.writes", "policy.generate", "policy.render_html", "policy.classify_diff",
    "audit.writes_in_transactions", "http.orders_page_p95",
    "http.orders_page_filtered_p95", "web.page_weight_max",
    "consent.open_contract_purpose", "consent.open_consent_purpose",
    "consent.open_consent_purpose_again", "consent.open_all_consent_purpose",
    "marketing.queue_rate", "marketing.send_rate", "marketing.sent_to_opted_out",
    "cod.reconcile_orders", "cod.reconciliation_gap", "http.order_create_with_payment", "payments.callbacks",
    "couriers.task_list_200_p50", "couriers.task_list_200_p99", "couriers.location_pings",
}
COMPARISONS = {
    "vault.seal_per_field", "vault.open_per_field", "http.register_login_roundtrip", "http.order_create",
    "password_login.argon2_verify.threads2", "password_login.service.threads2", "http.order_create_with_payment",
}


# Measures that count what must never happen: their value is 0.
MUST_BE_ZERO = {"marketing.sent_to_opted_out", "cod.reconciliation_gap"}


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def test_bench_smoke_prints_json_lines():
    env = {**os.environ, "JIDI_BENCH_SMOKE": "1", "JIDI_BENCH_PG_ADMIN_URL": PG_ADMIN_URL}
    env.pop("JIDI_BENCH_ONLY", None)
    proc = subprocess.run([sys.executable, "-m", "bench"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"python -m bench failed:\n{proc.stderr[-3000:]}"

    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert lines, "the benchmark printed nothing"
    seen = {}
    for ln in lines:
        obj = json.loads(ln)  # every line is one JSON object
        assert isinstance(obj, dict), ln
        assert isinstance(obj.get("name"), str) and obj["name"], ln
        if obj.get("name") in MUST_BE_ZERO:
            assert obj.get("value") == 0, ln  # a count of what must never happen
        else:
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


def test_the_lookup_generator_resends_on_a_keep_alive_connection_the_server_closed():
    """Honest numbers: a request on a reused connection that the server closed without answering is sent again on a
    new one (counted as retried, not as an error); an answer cut off midway is an error."""
    import asyncio  # noqa: PLC0415

    sys.path.insert(0, str(ROOT))
    from bench.lookup import _Pool  # noqa: PLC0415

    async def scenario() -> tuple[list, _Pool]:
        async def serve(reader, writer):
            # Answers the first request of a connection; closes on the second without a word, or cuts off an
            # answer to /cut.
            first = True
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break
                if not first:
                    break
                first = False
                if b"/cut" in head:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"a\"")
                    await writer.drain()
                    break
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = _Pool("127.0.0.1", port, max_connections=4)
        results = [await pool.get("/a"), await pool.get("/b"), await pool.get("/c")]
        try:
            await pool.get("/cut")
        except asyncio.IncompleteReadError as exc:
            results.append(type(exc).__name__)
        pool.close()
        server.close()
        await server.wait_closed()
        return results, pool

    results, pool = asyncio.run(scenario())
    assert results == [(200, b"{}"), (200, b"{}"), (200, b"{}"), "IncompleteReadError"]
    assert pool.retried == 3 and pool.connects == 4  # /b, /c and /cut each found their connection closed
