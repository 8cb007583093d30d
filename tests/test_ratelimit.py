"""The one rate limiter (jidi.ratelimit): Retry-After on every 429, trusted proxies, limits shared through Redis, and the
SMS login page when a number's budget of codes is used up."""
from __future__ import annotations

import os
import re
import uuid

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import ValidationError

from jidi import errors
from jidi.bootstrap import bootstrap
from jidi.config import Settings
from jidi.i18n import N_
from jidi.ratelimit import RateLimiter
from jidi.web.app import create_app
from tests.conftest import require_retry_after
from tests.pii import PHONES

PHONE = PHONES[0]
REDIS_URL = os.environ.get("JIDI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
INVALID_WAYBILL = "/api/v1/tracking/JD0000000000001"  # refused as invalid (422), but counted like any lookup


def from_address(app, address: str, **kw) -> TestClient:
    tc = TestClient(app, base_url="https://testserver", client=(address, 50000), **kw)
    tc.event_hooks["response"].append(require_retry_after)
    return tc


def test_a_429_cannot_be_raised_without_the_seconds_to_wait():
    with pytest.raises(ValueError):
        errors.AppError("busy", N_("Too many lookups. Please try again in {minutes} minutes."), 429, minutes=1)
    assert errors.code_too_soon(5).retry_after == 5


def test_trusted_proxies_are_addresses_or_networks(monkeypatch):
    monkeypatch.setenv("JIDI_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1")
    assert Settings().trusted_proxies == ["10.0.0.0/8", "127.0.0.1", "::1"]
    monkeypatch.setenv("JIDI_TRUSTED_PROXIES", "")
    assert Settings().trusted_proxies == []
    for bad in ("proxy.internal", "10.0.0.0/33"):
        monkeypatch.setenv("JIDI_TRUSTED_PROXIES", bad)
        with pytest.raises(ValidationError):
            Settings()


def test_behind_a_trusted_proxy_each_client_is_counted_by_its_own_address(container):
    container.settings.trusted_proxies = ["10.0.0.0/8"]
    app = create_app(container)
    with from_address(app, "10.1.2.3") as proxy:
        for _ in range(30):
            assert proxy.get(INVALID_WAYBILL, headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 422
        assert proxy.get(INVALID_WAYBILL, headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 429
        # Another client behind the same proxy has a limit of its own; a chain ends at the first untrusted hop.
        assert proxy.get(INVALID_WAYBILL, headers={"X-Forwarded-For": "203.0.113.6"}).status_code == 422
        assert proxy.get(INVALID_WAYBILL, headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.5, 10.9.9.9"}).status_code == 429
    # A peer that is not a trusted proxy cannot pick its address: its X-Forwarded-For is ignored.
    with from_address(app, "198.51.100.20") as direct:
        answers = [direct.get(INVALID_WAYBILL, headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code for i in range(31)]
        assert answers == [422] * 30 + [429]


def test_without_trusted_proxies_forwarded_addresses_are_ignored(container):
    app = create_app(container)
    with from_address(app, "127.0.0.1") as local:
        answers = [local.get(INVALID_WAYBILL, headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code for i in range(31)]
    assert answers == [422] * 30 + [429]


def test_the_limiter_counts_personal_identifiers_by_their_keyed_hash_only(container):
    from jidi.ratelimit import Limit, client_address, login_name, waybill_no  # noqa: PLC0415

    limiter = RateLimiter(hasher=container.vault.blind_index)
    once = Limit.of("test_once", "1/minute")
    name = login_name("someone@example.net")
    assert "someone" not in repr(name) and "someone" not in limiter._key("login", name)
    assert limiter._key("client", client_address(None)) == "client/" + container.vault.blind_index("client_address", "-").hex()
    assert limiter.hit(once, name) == 0 and limiter.hit(once, name) > 0
    assert limiter.hit(once, login_name("someone.else@example.net")) == 0
    # The same text in another domain is another identifier.
    assert limiter.hit(once, waybill_no("JD0000000000001")) == 0 and limiter.hit(once, client_address("JD0000000000001")) == 0


@pytest.fixture
def redis_prefix():
    prefix = f"jidi-test-{uuid.uuid4().hex}"
    yield prefix
    r = redis.Redis.from_url(REDIS_URL)
    if keys := list(r.scan_iter(f"{prefix}*")):
        r.delete(*keys)
    r.close()


def test_limits_in_redis_hold_across_processes_and_name_nobody(client, container, sms, clock, redis_prefix):
    """Two web processes (two containers) share password-guessing and SMS limits through Redis; the keys hold keyed
    hashes only: no login name, phone number or client address."""
    container.limiter = RateLimiter(REDIS_URL, hasher=container.vault.blind_index, prefix=redis_prefix, clock=clock)
    other = bootstrap(container.settings, engine=container.engine, sms=sms, clock=clock)
    other.limiter = RateLimiter(REDIS_URL, hasher=other.vault.blind_index, prefix=redis_prefix, clock=clock)
    guess = {"login": "someone@example.net", "password": "wrong guess"}
    with TestClient(create_app(other), base_url="https://testserver") as second:
        second.event_hooks["response"].append(require_retry_after)
        answers = [(client if i % 2 else second).post("/api/v1/auth/password-login", json=guess).status_code for i in range(11)]
        assert answers == [401] * 10 + [429]
        blocked = client.post("/api/v1/auth/password-login", json=guess)
        assert blocked.status_code == 429 and 14 * 60 < int(blocked.headers["Retry-After"]) <= 15 * 60 + 1
        assert client.post("/api/v1/auth/sms-codes", json={"phone": PHONE}).status_code == 202
        assert second.post("/api/v1/auth/sms-codes", json={"phone": PHONE}).json()["error"]["code"] == "code_too_soon"
    r = redis.Redis.from_url(REDIS_URL)
    keys = b" ".join(r.keys(f"{redis_prefix}*"))
    r.close()
    assert b"login_failures" in keys and b"sms_requester_phone" in keys
    # The keyed hashes are hex: four digits of a number turn up in one by chance (1 in ~1,000 keys), so the short
    # pieces are looked for in what is left around the hashes.
    around_hashes = re.sub(rb"[0-9a-f]{32,}", b"#", keys)
    for plain in (b"someone", b"example", PHONE.encode(), PHONE[-4:].encode(), b"testclient"):
        assert plain not in around_hashes
    assert PHONE.encode() not in keys


def test_the_login_page_asks_a_question_when_a_number_had_many_codes(app, client, sms, container):
    """Past the number's budget, the page keeps the number typed, shows a question (429 with Retry-After), and sends
    the code once it is answered."""
    for i in range(container.settings.sms_daily_cap_per_phone):
        with from_address(app, f"203.0.113.{i + 1}") as stranger:
            assert stranger.post("/api/v1/auth/sms-codes", json={"phone": PHONE}).status_code == 202
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    page = client.post("/login", data={"csrf_token": token, "action": "send", "phone": PHONE})
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 23 * 3600
    assert 'data-code="code_challenge"' in page.text and f'value="{PHONE}"' in page.text
    question = re.search(r'data-testid="challenge-question">([^<]+)<', page.text).group(1)
    a, b = map(int, re.findall(r"\d+", question))
    challenge = re.search(r'name="challenge_token" value="([^"]+)"', page.text).group(1)
    sent = len(sms.sent)
    page = client.post("/login", data={"csrf_token": token, "action": "send", "phone": PHONE, "challenge_token": challenge,
                                       "challenge_answer": str(a + b)})
    assert page.status_code == 200 and 'data-testid="code-sent"' in page.text and len(sms.sent) == sent + 1
    r = client.post("/login", data={"csrf_token": token, "action": "login", "phone": PHONE, "code": sms.last_code(PHONE),
                                    "accept_policy": "on"}, follow_redirects=False)
    assert r.status_code == 303
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("jidi_device="))
    for attr in ("HttpOnly", "Secure", "SameSite=lax"):
        assert attr.lower() in cookie.lower()
    assert PHONE not in cookie and PHONE[-4:] not in cookie
