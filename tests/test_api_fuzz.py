"""Fuzz the JSON API against its own OpenAPI document (/openapi.json) with Schemathesis.

Every operation gets schema-valid and schema-invalid requests: the documented examples, the coverage edge
cases (boundary lengths, wrong types, missing and unknown fields, NUL bytes, undeclared HTTP methods) and
random fuzzing. Every answer must be documented: no 500s; only the status codes, content types, bodies and
headers the schema declares; invalid data rejected with a 4xx. On top of Schemathesis's checks, every error
is {"error": {"code", "message"}}, never echoes what was sent, and a rejected request changes nothing.

Runs on SQLite and on PostgreSQL (the `app` fixture is parametrized over both) with a fixed seed, so a
failure reproduces. The operations are fuzzed in groups (by path, see GROUPS), one test per group and database, so
that `make test` shares them out among its processes; every operation is in exactly one group. Authenticated operations get a bearer token obtained like a client would: request an SMS
code, read it off the fake carrier, log in accepting the privacy policy.
"""
from __future__ import annotations

import copy
import json
import os
import re

import pytest
import schemathesis
from sqlalchemy import event
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import negative_data_rejection
from stdnum import luhn

from jidi import waybill
from jidi.cod.api import CARD_FORMAT
from jidi.invoices.api import TAXPAYER_ID_FORMAT
from jidi.invoices.demo import DEMO_TAX_ID as USCC_EXAMPLE
from jidi.kit.fields import WAYBILL_FORMAT
from tests import pii

PHONE = pii.PHONES[0]
FIELD_NAME = re.compile(r"[a-z_]{1,32}")
# Examples per operation and mode: a few in `make test`, many in `make fuzz`. The coverage phase's edge cases are all
# sent whatever the number.
MAX_EXAMPLES = int(os.environ.get("JIDI_FUZZ_EXAMPLES", "5"))

# The fuzzed operations, grouped by the start of their path; an operation no group names is in the last one (REST),
# so a new operation is fuzzed even before it is placed here.
GROUPS = {
    "auth": ("/api/v1/auth/",),
    "me": ("/api/v1/me",),
    "address-book": ("/api/v1/address-book",),
    "lookup-family": ("/api/v1/lookup", "/api/v1/family"),
    "privacy": ("/api/v1/privacy/",),
    "orders": ("/api/v1/orders", "/api/v1/merchant/", "/api/v1/quotes"),
    "courier": ("/api/v1/courier/",),
}
REST = "others"


def group_of(path: str) -> str:
    return next((name for name, prefixes in GROUPS.items() if path.startswith(prefixes)), REST)


def only_group(raw: dict, group: str) -> dict:
    """A copy of the OpenAPI document with only the paths of one group (its components all kept)."""
    return copy.deepcopy({**raw, "paths": {path: ops for path, ops in raw["paths"].items() if group_of(path) == group}})


# Not applicable here: one user and no created resources to cross-check. Positive data acceptance has a test of its
# own below (schema-valid requests generated as ASCII text).
NOT_APPLICABLE = ("positive_data_acceptance", "object_level_authorization", "use_after_free", "ensure_resource_availability")

CONFIG = {
    "seed": 20261101,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "phases": {"stateful": {"enabled": False}},
    "checks": {name: {"enabled": False} for name in NOT_APPLICABLE},
}


# A waybill number's last digit is a Luhn check digit, which no pattern can say: the schema names the format, and
# valid numbers of that format are generated here.
schemathesis.openapi.format(WAYBILL_FORMAT, st.integers(0, 10 ** waybill.DIGITS - 1).map(
    lambda n: f"{waybill.PREFIX}{n:0{waybill.DIGITS}d}" + luhn.calc_check_digit(f"{n:0{waybill.DIGITS}d}")))

# The same for a bank card number (cash on delivery's payout account).
schemathesis.openapi.format(CARD_FORMAT, st.integers(11, 18).flatmap(lambda n: st.integers(0, 10 ** n - 1).map(
    lambda k: f"{k:0{n}d}" + luhn.calc_check_digit(f"{k:0{n}d}"))))

# And a taxpayer ID: a 15-, 17- or 20-character taxpayer number, or a valid unified social credit code (its structure
# and check character are not worth generating: one known code stands for them).
_TAX_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
schemathesis.openapi.format(TAXPAYER_ID_FORMAT, st.one_of(
    st.sampled_from((15, 17, 20)).flatmap(lambda n: st.text(_TAX_CHARS, min_size=n, max_size=n)),
    st.just(USCC_EXAMPLE)))

# A request the schema allows is never refused as invalid (422): 400 stays allowed, as a schema-valid code can be the
# wrong one, and 401/403/404/409/429 answer who asks and what exists, not the request's form.
POSITIVE = {
    "seed": 20261101,
    "generation": {"mode": "positive", "max-examples": 5, "deterministic": True, "database": "none", "codec": "ascii"},
    "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": False}},
    "checks": {"enabled": False, "not_a_server_error": {"enabled": True},
               "positive_data_acceptance": {"enabled": True, "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]}},
}
# The pickup window depends on the time of the request (at least an hour, within the next 7 days): described in the
# schema, it cannot be a constraint of it, so the generated orders leave it out.
TIME_DEPENDENT = {"OrderBody": ("pickup_from", "pickup_until"), "MerchantOrderBody": ("pickup_from", "pickup_until")}


class ApiLogin:
    """A customer's bearer token, obtained through the API; renewed after a fuzzed logout revoked it."""

    def __init__(self, client, sms, clock, writes):
        self.client = client
        self.sms, self.clock, self.writes = sms, clock, writes
        self._token: str | None = None
        self._known: dict | None = None
        self._known_at = -1  # the number of committed writes when the account was last read
        self.logins = 0

    def token(self) -> str:
        if self._token is None:
            if self.logins:
                # The fuzzed code requests count toward the resend wait and the daily caps: let a day pass.
                self.clock.advance(days=1, seconds=61)
            r = self.client.post("/api/v1/auth/sms-codes", json={"phone": PHONE})
            assert r.status_code == 202, r.text
            r = self.client.post("/api/v1/auth/sms-login",
                                 json={"phone": PHONE, "code": self.sms.last_code(PHONE), "accept_policy": True})
            assert r.status_code == 200, r.text
            self._token = r.json()["token"]
            if not self.logins:
                # An adult: a fuzzed date of birth of a minor would hold every later call for a guardian (jidi.guardians).
                r = self.client.put("/api/v1/guardian/birth-date", json={"birth_date": "1990-01-01"},
                                    headers={"Authorization": f"Bearer {self._token}"})
                assert r.status_code == 200, r.text
            self.logins += 1
        return self._token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def revoked(self) -> None:
        self._token = None

    def profile(self) -> dict:
        """The account as the API shows it now; read again only if a transaction that wrote anything has committed
        since the last read (the fuzzer compares it before and after each request: reading it every time was most of
        the fuzzer's time, and a database nothing was written to shows the same account)."""
        if self._known is None or self.writes.committed != self._known_at:
            r = self.client.get("/api/v1/me", headers=self.headers())
            assert r.status_code == 200, r.text
            self._known, self._known_at = r.json(), self.writes.committed
        return copy.deepcopy(self._known)

    known_profile = profile


@pytest.fixture
def api_schema(app):
    config = schemathesis.Config.from_dict(CONFIG)
    yield schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    asgi.shutdown_lifespans()  # Schemathesis keeps the app's lifespan running until told otherwise


@pytest.fixture(params=[*GROUPS, REST])
def api_schema_group(request, app):
    """The schema of one group of operations (see GROUPS)."""
    schema = schemathesis.openapi.from_dict(only_group(app.openapi(), request.param), config=schemathesis.Config.from_dict(CONFIG))
    schema.app, schema.location = app, "/openapi.json"
    yield schema
    asgi.shutdown_lifespans()


class CommittedWrites:
    """Counts the committed transactions that wrote anything (INSERT, UPDATE, DELETE) through an engine."""

    WRITE = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self, engine):
        self.engine, self.committed = engine, 0
        self.hooks = (("before_cursor_execute", self._executed), ("commit", self._commit), ("rollback", self._rollback))
        for name, fn in self.hooks:
            event.listen(engine, name, fn)

    def _executed(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip()[:7].upper().startswith(self.WRITE):
            conn.info["wrote"] = True

    def _commit(self, conn) -> None:
        if conn.info.pop("wrote", False):
            self.committed += 1

    def _rollback(self, conn) -> None:
        conn.info.pop("wrote", None)

    def close(self) -> None:
        for name, fn in self.hooks:
            event.remove(self.engine, name, fn)


@pytest.fixture
def api_login(app, sms, clock, container):
    writes = CommittedWrites(container.engine)
    # One client kept open for the whole test: a TestClient used outside `with` starts an event loop per request.
    with TestClient(app, base_url="https://testserver") as client:
        yield ApiLogin(client, sms, clock, writes)
    writes.close()


@pytest.fixture(autouse=True)
def _schemathesis_pytest_shim(request):
    # Schemathesis's pytest integration renames subtests through `node._nodeid`, which pytest 9.2 no longer has.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def _strings(value) -> set[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(k) | _strings(v) for k, v in value.items())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def _integral_floats(value) -> bool:
    """Whether a JSON value holds a number like 3.0 anywhere."""
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(_integral_floats(v) for v in value.values())
    if isinstance(value, list):
        return any(_integral_floats(v) for v in value)
    return False


def _declared_names(operation) -> set[str]:
    """The property names of the operation's JSON request body, nested ones also as dotted paths (sender.phone)."""
    components = operation.schema.raw_schema.get("components", {}).get("schemas", {})

    def names(schema: dict, prefix: str, depth: int = 0) -> set[str]:
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[1]]
        out: set[str] = set()
        for name, sub in schema.get("properties", {}).items():
            out |= {name, prefix + name}
            if depth < 3:
                out |= names(sub, f"{prefix}{name}.", depth + 1)
        for sub in schema.get("anyOf", []) + schema.get("allOf", []):
            out |= names(sub, prefix, depth + 1)
        return out

    body = operation.definition.raw.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    params = {p["name"] for p in operation.definition.raw.get("parameters", []) if "name" in p}
    return names(body, "") | params | {p.lower() for p in params}


def assert_clean_error(case, response) -> None:
    """An error is {"error": {"code", "message"[, "fields"]}} and quotes nothing the client sent."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), body
    declared = _declared_names(case.operation)
    # An unknown key is named only when it looks like a field name (e.g. a misspelt one), never a phone number.
    unknown_keys = {k for k in case.body if FIELD_NAME.fullmatch(k)} if isinstance(case.body, dict) else set()
    for field in error.get("fields") or []:
        assert field == "body" or field in declared, f"the error names {field!r}"
    for field in error.get("unknown_fields") or []:
        assert field in unknown_keys or field.rsplit(".", 1)[0] in declared, f"the error names {field!r} as unknown"
    sent = {s for s in _strings(case.body) if len(s.strip()) >= 4} - declared - unknown_keys
    echoed = [s for s in sent if s in error["message"]]
    assert not echoed, f"the error message quotes the request: {echoed!r}"


@pytest.fixture(params=[*GROUPS, REST])
def positive_schema(request, app):
    """The schema of one group of operations (see GROUPS), without the time-dependent fields."""
    raw = only_group(app.openapi(), request.param)
    for name, keys in TIME_DEPENDENT.items():
        for key in keys:
            del raw["components"]["schemas"][name]["properties"][key]
    schema = schemathesis.openapi.from_dict(raw, config=schemathesis.Config.from_dict(POSITIVE))
    schema.app, schema.location = app, "/openapi.json"
    yield schema
    asgi.shutdown_lifespans()


schema = schemathesis.pytest.from_fixture("api_schema_group")
positive = schemathesis.pytest.from_fixture("positive_schema")


@schema.parametrize()
def test_api_conforms_to_its_openapi(case, api_login):
    authenticated = bool(case.operation.definition.raw.get("security"))
    before = api_login.known_profile() if authenticated else None
    headers = api_login.headers() if authenticated else None
    # JSON Schema counts 3.0 as an integer and the API takes it as one (jidi.kit.api.Strict); Schemathesis's negative
    # mode sends such a number as a wrong type, so for those requests acceptance is not a failure.
    excluded = [negative_data_rejection] if _integral_floats(case.body) else None
    response = case.call_and_validate(headers=headers, excluded_checks=excluded)
    if response.status_code >= 400:
        assert_clean_error(case, response)
        if authenticated:
            assert api_login.profile() == before, "a rejected request changed the account"
    elif case.operation.label == "POST /api/v1/auth/logout":
        api_login.revoked()


@positive.parametrize()
def test_schema_valid_requests_are_not_refused_as_invalid(case, api_login):
    headers = api_login.headers() if case.operation.definition.raw.get("security") else None
    response = case.call_and_validate(headers=headers)
    assert response.status_code != 422, f"{case.operation.label} refused a schema-valid request: {response.text}"
    if case.operation.label == "POST /api/v1/auth/logout":
        api_login.revoked()


# -- control characters in every field ------------------------------------------------------------------
# Schemathesis generates UTF-8 text, so it never sends a lone surrogate, and only some NUL bytes: send them
# (and other control characters) in every string field of every request body, each in an otherwise valid body.

_PARTY = {"name": "测试", "phone": "13800000000", "region_code": "110108", "address": "测试路1号"}
_ORDER = {"sender": _PARTY, "recipient": _PARTY, "item_name": "书", "item_category": "books", "weight_g": 800}
_ENTRY = {"kind": "recipient", "name": "王先生", "phone": "13800000000", "region_code": "110108", "detail": "苏州街3号"}
VALID_BODIES = {
    "POST /api/v1/auth/sms-codes": {"phone": "13800000000"},
    "POST /api/v1/auth/sms-login": {"phone": "13800000000", "code": "123456", "accept_policy": True},
    "POST /api/v1/auth/password-login": {"login": "courier_fan", "password": "correct horse battery"},
    "PATCH /api/v1/me": {"nickname": "快递员小王", "username": "courier_fan", "email": "someone@example.net"},
    "PUT /api/v1/me/password": {"new_password": "correct horse battery", "current_password": "an old password"},
    "POST /api/v1/me/phone/codes": {"phone": "13800000000"},
    "PUT /api/v1/me/phone": {"phone": "13800000000", "code": "123456"},
    "POST /api/v1/quotes": {"origin_region": "110108", "dest_region": "310104", "weight_g": 800},
    "POST /api/v1/orders": _ORDER,
    "POST /api/v1/merchant/orders": {**_ORDER, "merchant_order_id": "shop-2026-000123"},
    "POST /api/v1/merchant/webhooks": {"url": "https://shop.example.cn/jidi/webhooks"},
    "PUT /api/v1/orders/{waybill_no}/recipient": _ORDER["recipient"],
    "POST /api/v1/address-book": _ENTRY,
    "PUT /api/v1/address-book/{entry_id}": _ENTRY,
    "POST /api/v1/address-book/parse": {"text": "王先生 13800000000 北京市海淀区苏州街3号"},
    "POST /api/v1/lookup/codes": {"waybill_no": "JD1234567890128", "phone": "13800000000"},
    "POST /api/v1/lookup": {"waybill_no": "JD1234567890128", "phone": "13800000000", "code": "123456"},
    "POST /api/v1/family": {"role": "parent", "phone": "13800000000"},
    "POST /api/v1/family/{binding_id}/activate": {"code": "123456"},
    "POST /api/v1/courier/sessions": {"username": "courier_wang", "password": "correct horse battery", "totp_code": "123456"},
    "POST /api/v1/courier/pickups": {"waybill_no": "JD1234567890128", "id_type": "resident_id", "id_number": "110108190001010019",
                                     "real_name": "王先生", "site_code": "BJ-HD-07", "site_name": "北京海淀苏州街营业部"},
    "POST /api/v1/courier/refusals": {"waybill_no": "JD1234567890128", "reason": "id_not_shown"},
    "POST /api/v1/privacy/my-data/full": {"code": "123456"},
    "POST /api/v1/privacy/requests": {"kind": "correction", "code": "123456", "scope": "",
                                      "details": "收件人电话写错了,请更正为新的号码。"},
    "POST /api/v1/me/consents/{topic}": {"token": "an offer token", "text_sha256": "0" * 64},
    "PUT /api/v1/guardian/birth-date": {"birth_date": "1990-01-01"},
    "POST /api/v1/guardian/codes": {"relation": "parent", "phone": "13800000000"},
    "POST /api/v1/guardian/consent": {"code": "123456", "token": "an offer token", "agree": True, "signature": "王先生"},
    "POST /api/v1/guardian/withdrawal/codes": {"phone": "13800000000"},
    "POST /api/v1/guardian/withdrawal": {"phone": "13800000000", "code": "123456"},
    "POST /api/v1/minors/reports": {"details": "这个账号是一名小学生自己注册的。", "account_phone": "13800000000", "contact": "王先生"},
    "POST /api/v1/policy/accept": {"version": "2026-12-20", "text_hash": "0" * 64},
    "POST /api/v1/tracking/events": {"events": [{
        "event_id": "scan-2026-000001", "waybill_no": "JD1234567890128", "event_time": "2026-11-23T09:30:00+08:00",
        "action": "arrived_facility", "site_code": "BJ-HD-01", "site_name": "北京海淀分拣中心", "operator": "C10023"}]},
    "PUT /api/v1/delivery-preferences": {"allow_locker": True, "allow_station": False, "point_code": "SH-ZJ-L01"},
    "PUT /api/v1/orders/{waybill_no}/delivery-choice": {"choice": "locker", "point_code": "SH-ZJ-L01"},
    "POST /api/v1/service-points/parcels": {"waybill_no": "JD1234567890128"},
    "POST /api/v1/service-points/collect": {"code": "123456"},
    "PUT /api/v1/me/exclusive-courier": {"token": "a courier QR token"},
    "POST /api/v1/me/exclusive-courier/nearby": {"latitude": 39.98, "longitude": 116.31},
    "PUT /api/v1/courier/duty": {"on_duty": True},
    "PUT /api/v1/courier/location-consent": {"give": True},
    "POST /api/v1/courier/pings": {"pings": [{"at": "2026-11-23T09:30:00+08:00", "latitude": 39.98, "longitude": 116.31}]},
    "POST /api/v1/courier/scans": {"waybill_no": "JD1234567890128"},
    "POST /api/v1/courier/tasks/{task_id}/steps": {"step": "start"},
    "POST /api/v1/courier/tasks/{task_id}/pickup": {"weight_g": 800, "price_fen": 1200, "id_type": "resident_id",
                                                   "id_number": "110108190001010019", "real_name": "王先生"},
    "POST /api/v1/courier/tasks/{task_id}/delivery": {"proof_kind": "code", "code": "123456", "delivered_as": "recipient"},
    "POST /api/v1/courier/tasks/{task_id}/failure": {"reason": "held", "next_attempt_on": "2026-11-24"},
    "POST /api/v1/partners/couriers": {"kind": "courier", "employer": "北京示例物流有限公司", "work_email": "someone@example.net",
                                       "position": "快递员", "legal_name": "王小明", "id_type": "resident_id",
                                       "id_number": "110108190001010019", "regions": ["110108"], "work_phone": "13800000000"},
    "POST /api/v1/invoices": {"waybill_no": "JD1234567890128", "title": "北京示例科技有限公司", "taxpayer_id": "91110000600037341L",
                              "mobile": "13800000000", "email": "someone@example.net"},
    "PUT /api/v1/cod/account": {"holder_name": "王小明", "account_type": "personal", "account_number": "6222021234567890128",
                                "region_code": "110108", "branch": "招商银行北京望京支行"},
    "POST /api/v1/cod/orders": {"order": _ORDER, "amount_fen": 12800},
    "POST /api/v1/cod/attach": {"waybill_no": "JD1234567890128", "amount_fen": 12800},
    "POST /api/v1/orders/{waybill_no}/payments": {"method": "alipay"},
    # The provider's signature is checked before anything of the body is read (401 then): no text field to try here.
    "POST /api/v1/callbacks/virtual-numbers/call-records": {"start_time": 1795999958, "release_time": 1796000000},
}
CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800", "\udfff"]
# Free text where a user may write several lines: tabs and line breaks are text there, every other control is not.
MULTILINE = {"details"}


def _control_cases(value: str, multiline: bool = False) -> list[str]:
    inner = ("\x00",) if multiline else ("\x00", "\t", "\n")
    return [value + c for c in CONTROL] + [value[:2] + c + value[2:] for c in inner] + ["\x00" * 4]


# Path parameters whose own validation would answer beside the body's (a consent's topic is one of a list).
VALID_PATH_VALUES = {"topic": "marketing_sms", "task_id": "3f0c6f5e-2f4b-4d7e-9a59-0d3f2f1b9c11", "waybill_no": "JD1234567890128"}


def test_control_characters_in_any_field_get_a_clean_422(app, api_schema, api_login):
    operations = {}
    for path, methods in app.openapi()["paths"].items():
        for method, op in methods.items():
            if "requestBody" in op:
                operations[f"{method.upper()} {path}"] = api_schema[path][method]
    assert set(operations) == set(VALID_BODIES), "a new request body: add a valid example to VALID_BODIES"
    before = api_login.profile()
    for label, operation in operations.items():
        body = VALID_BODIES[label]
        for field, value in body.items():
            if not isinstance(value, str):
                continue
            for bad in _control_cases(value, field in MULTILINE):
                # ensure_ascii: lone surrogates travel as \\ud800 escapes, as a JSON client would send them
                content = json.dumps({**body, field: bad}, ensure_ascii=True)
                path = re.sub(r"\{(\w+)\}", lambda m: VALID_PATH_VALUES.get(m.group(1), m.group(0)), operation.path)
                r = api_login.client.request(operation.method.upper(), path, content=content,
                                             headers={**api_login.headers(), "Content-Type": "application/json"})
                where = f"{label} {field}={bad!r}"
                assert r.status_code == 422, f"{where}: {r.status_code} {r.text}"
                assert r.json()["error"]["code"] == "invalid_input" and r.json()["error"]["fields"] == [field], where
                assert str(r.status_code) in operation.definition.raw["responses"], where
                operation.validate_response(r)
    assert api_login.profile() == before


# -- documented answers the fuzzer cannot reach by chance -----------------------------------------------

def _documented(api_schema, response, path: str, method: str) -> None:
    operation = api_schema[path][method]
    assert str(response.status_code) in operation.definition.raw["responses"], (
        f"{method} {path} answered {response.status_code}, which its OpenAPI does not document: {response.text}")
    operation.validate_response(response)
    if response.status_code >= 400:
        assert set(response.json()) == {"error"} and {"code", "message"} <= set(response.json()["error"])


def test_rare_error_answers_are_documented(api_schema, api_login, sms):
    client, me = api_login.client, api_login.headers()
    other_phone = pii.PHONES[1]

    # 429: a second code too soon, for login and for a phone change
    client.post("/api/v1/auth/sms-codes", json={"phone": PHONE})
    r = client.post("/api/v1/auth/sms-codes", json={"phone": PHONE})
    assert r.status_code == 429
    _documented(api_schema, r, "/api/v1/auth/sms-codes", "POST")
    r = client.post("/api/v1/me/phone/codes", json={"phone": other_phone}, headers=me)
    assert r.status_code == 202
    r = client.post("/api/v1/me/phone/codes", json={"phone": other_phone}, headers=me)
    assert r.status_code == 429
    _documented(api_schema, r, "/api/v1/me/phone/codes", "POST")

    # 400: wrong codes until the code is locked; policy not accepted
    for _ in range(6):
        r = client.put("/api/v1/me/phone", json={"phone": other_phone, "code": "000000"}, headers=me)
        assert r.status_code == 400
        _documented(api_schema, r, "/api/v1/me/phone", "PUT")
    assert r.json()["error"]["code"] == "code_locked"
    r = client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": "000000", "accept_policy": False})
    assert r.status_code == 400
    _documented(api_schema, r, "/api/v1/auth/sms-login", "POST")

    # 409: a user name, e-mail or phone number that belongs to another account, or is already one's own
    r = client.patch("/api/v1/me", json={"username": "courier_fan", "email": "someone@example.net"}, headers=me)
    assert r.status_code == 200, r.text
    api_login.clock.advance(minutes=2)  # past the resend wait for the codes above
    client.post("/api/v1/auth/sms-codes", json={"phone": other_phone})
    r = client.post("/api/v1/auth/sms-login", json={"phone": other_phone, "code": sms.last_code(other_phone), "accept_policy": True})
    other = {"Authorization": f"Bearer {r.json()['token']}"}
    for update in ({"username": "Courier_Fan"}, {"email": "SOMEONE@example.net"}):
        r = client.patch("/api/v1/me", json=update, headers=other)
        assert r.status_code == 409
        _documented(api_schema, r, "/api/v1/me", "PATCH")
    api_login.clock.advance(minutes=2)
    for phone in (PHONE, other_phone):
        client.post("/api/v1/me/phone/codes", json={"phone": phone}, headers=other)
        r = client.put("/api/v1/me/phone", json={"phone": phone, "code": sms.last_code(phone)}, headers=other)
        assert r.status_code == 409, r.text
        _documented(api_schema, r, "/api/v1/me/phone", "PUT")

    # 401: a wrong current password; 401 then 429: password guessing against one login name
    client.put("/api/v1/me/password", json={"new_password": "correct horse battery"}, headers=me)
    r = client.put("/api/v1/me/password", json={"new_password": "another horse", "current_password": "wrong guess"}, headers=me)
    assert r.status_code == 401
    _documented(api_schema, r, "/api/v1/me/password", "PUT")
    statuses = []
    for _ in range(30):
        r = client.post("/api/v1/auth/password-login", json={"login": "courier_fan", "password": "wrong guess"})
        _documented(api_schema, r, "/api/v1/auth/password-login", "POST")
        statuses.append(r.status_code)
    assert set(statuses) <= {401, 429} and statuses[0] == 401

    # 401 without a token, or with a revoked one
    for path, method in (("/api/v1/me", "GET"), ("/api/v1/auth/logout", "POST")):
        r = client.request(method, path)
        assert r.status_code == 401
        _documented(api_schema, r, path, method)
    client.post("/api/v1/auth/logout", headers=me)
    r = client.get("/api/v1/me", headers=me)
    assert r.status_code == 401
    _documented(api_schema, r, "/api/v1/me", "GET")


def test_framework_errors_use_the_error_body(api_login):
    """Errors FastAPI raises before any route code runs go through the app's handlers too."""
    client, me = api_login.client, api_login.headers()
    cases = [
        (client.get("/api/v1/no-such-thing"), 404, "not_found"),
        (client.delete("/api/v1/me", headers=me), 405, "method_not_allowed"),
        (client.post("/api/v1/auth/sms-codes", content=b"{not json", headers={"Content-Type": "application/json"}), 422, "invalid_input"),
        (client.post("/api/v1/auth/sms-codes", content=b'{"phone": "\xff\xfe"}', headers={"Content-Type": "application/json"}), 422, "invalid_input"),
        (client.post("/api/v1/auth/sms-codes", content=b'{"phone": "1"}', headers={"Content-Type": "text/plain"}), 422, "invalid_input"),
        (client.post("/api/v1/auth/sms-codes"), 422, "invalid_input"),
        (client.post("/api/v1/auth/sms-codes", json={"13912345678": "x", "phone": "13800000000"}), 422, "invalid_input"),
    ]
    for r, status, code in cases:
        assert r.status_code == status, (r.request.method, r.request.url, r.text)
        assert r.headers["content-type"] == "application/json"
        assert r.json()["error"]["code"] == code and r.json()["error"]["message"]
        assert "13912345678" not in r.text
    assert set(cases[1][0].headers["allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}
