"""Fuzz the tracking API with a valid source key, so the generated batches reach the parser and the ingestion
(tests/test_api_fuzz.py sends no key, so its requests stop at the 401). Same checks and seed as that file:
every answer documented, no 500, errors that quote nothing, and a refused batch stores nothing; and here a batch
valid by the schema is never refused as invalid (each event is judged on its own, in a 200)."""
from __future__ import annotations

import copy

import pytest
import schemathesis
from schemathesis.python import asgi
from sqlalchemy import func, select

from jidi.tracking.models import RouteEvent
from tests.test_api_fuzz import CONFIG, _schemathesis_pytest_shim, assert_clean_error  # noqa: F401 (the shim is a fixture)

EVENTS = "/api/v1/tracking/events"
TRACKING_CONFIG = {**CONFIG, "checks": {**CONFIG["checks"], "positive_data_acceptance": {
    "enabled": True, "expected-statuses": ["2xx", "404", "429"]}}}


# Two tests per database, so that `make test` shares them out among its processes: the ingestion, and every other
# tracking operation.
@pytest.fixture(params=["events", "others"])
def tracking_schema(request, app, container):
    raw = copy.deepcopy(app.openapi())
    raw["paths"] = {p: ops for p, ops in raw["paths"].items()
                    if p.startswith("/api/v1/tracking/") and (p == EVENTS) == (request.param == "events")}
    # The key is sent by the test, valid: the generated cases vary the batch, not the credentials.
    if request.param == "events":
        post = raw["paths"][EVENTS]["post"]
        post["parameters"] = [p for p in post.get("parameters", []) if p["name"].lower() != "x-api-key"]
    schema = schemathesis.openapi.from_dict(raw, config=schemathesis.Config.from_dict(TRACKING_CONFIG))
    schema.app, schema.location = app, "/openapi.json"
    yield schema
    asgi.shutdown_lifespans()


@pytest.fixture
def source_key(container):
    return container.tracking.create_source("fuzz scanner", "scanner")[1]


schema = schemathesis.pytest.from_fixture("tracking_schema")


def _stored(container) -> int:
    with container.uow() as s:
        return s.scalar(select(func.count()).select_from(RouteEvent))


@schema.parametrize()
def test_tracking_api_conforms_with_a_valid_key(case, container, source_key):
    before = _stored(container)
    response = case.call_and_validate(headers={"X-Api-Key": source_key})
    assert response.status_code < 500
    if response.status_code >= 400:
        assert_clean_error(case, response)
        assert _stored(container) == before, "a refused request stored events"
