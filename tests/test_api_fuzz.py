"""Fuzz the JSON API against its own OpenAPI document (/openapi.json) with Schemathesis.

Every operation gets schema-valid and schema-invalid requests (examples, coverage edge cases such as NUL
bytes, wrong types, missing fields and unexpected methods, then random fuzzing). Every answer must be
documented: no 500s, only the status codes, content types, bodies and headers the schema declares, and
invalid input must be rejected with a 4xx. Runs on SQLite and on PostgreSQL (the `app` fixture is
parametrized over both), deterministically, so a failure reproduces.

Authenticated operations get a bearer token obtained like a client would: request an SMS code, read it off
the fake carrier, log in with the privacy policy accepted.
"""
from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.python import asgi

from tests import pii

PHONE = pii.PHONES[0]
MAX_EXAMPLES = 40

# Checks that need more than this API has (several users, created resources) or that expect every
# schema-valid request to succeed (a valid-looking number that is no mobile number is rightly a 422).
NOT_APPLICABLE = ("positive_data_acceptance", "object_level_authorization", "use_after_free", "ensure_resource_availability")

CONFIG = {
    "seed": 20261101,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "phases": {"stateful": {"enabled": False}},
    "checks": {name: {"enabled": False} for name in NOT_APPLICABLE},
}


class ApiLogin:
    """A customer's bearer token, obtained through the API; renewed after a fuzzed logout revoked it."""

    def __init__(self, app, sms, clock, settings):
        self.client = TestClient(app, base_url="https://testserver")
        self.sms, self.clock, self.settings = sms, clock, settings
        self._token: str | None = None
        self.logins = 0

    def token(self) -> str:
        if self._token is None:
            if self.logins:
                # The fuzzer's own code requests count toward the resend wait and the daily caps: move on a day.
                self.clock.advance(days=1, seconds=self.settings.sms_resend_seconds)
            r = self.client.post("/api/v1/auth/sms-codes", json={"phone": PHONE})
            assert r.status_code == 202, r.text
            r = self.client.post("/api/v1/auth/sms-login",
                                 json={"phone": PHONE, "code": self.sms.last_code(PHONE), "accept_policy": True})
            assert r.status_code == 200, r.text
            self._token = r.json()["token"]
            self.logins += 1
        return self._token

    def revoked(self) -> None:
        self._token = None


@pytest.fixture
def api_schema(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=schemathesis.Config.from_dict(CONFIG))
    yield schema.include(path_regex=r"^/api/")
    asgi.shutdown_lifespans()


@pytest.fixture
def api_login(app, sms, clock, settings):
    return ApiLogin(app, sms, clock, settings)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_api_conforms_to_its_openapi(case, api_login):
    headers = {"Authorization": f"Bearer {api_login.token()}"} if case.operation.definition.raw.get("security") else None
    response = case.call_and_validate(headers=headers)
    with open("/tmp/fuzzstats.txt", "a") as f:
        f.write(f"{case.operation.label}\t{case.meta.generation.mode.value}\t{case.meta.phase.name.value}\t{response.status_code}\t{response.text[:100]!r}\t{dict(response.request.headers).get('Authorization','-')[:30]!r}\t{case.headers!r}\t{case.meta.phase.data!r}\n"[:600])
    if case.operation.path == "/api/v1/auth/logout" and response.status_code == 204:
        api_login.revoked()


@pytest.fixture(autouse=True)
def _nodeid_shim(request):
    request.node._nodeid = request.node.nodeid
