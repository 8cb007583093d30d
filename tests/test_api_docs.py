"""The API documentation for integrators: Swagger UI from the installed package (no CDN), examples in the OpenAPI
for merchant imports, route-event ingestion and tracking, and the error-code reference generated from the code."""
from __future__ import annotations

import json
import re

from jidi.errors import AppError
from jidi import errors
from jidi.kit.error_catalogue import catalogue
from jidi.shipping.api import MerchantOrderBody, OrderCreated
from jidi.tracking.api import BatchOut, EventBatch, TrackOut


def test_the_docs_page_loads_only_files_the_app_serves_itself(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:
        r = client.get(asset)
        assert r.status_code == 200 and len(r.content) > 100, asset
    script = client.get("/static/api-docs.js").text
    assert "/openapi.json" in script and "http" not in script.replace("validatorUrl", "")


def _examples(content: dict) -> list:
    return [e["value"] for e in content["application/json"]["examples"].values()]


def test_examples_in_the_openapi_are_valid_requests_and_answers(client):
    spec = client.get("/openapi.json").json()
    imports = spec["paths"]["/api/v1/merchant/orders"]["post"]
    for body in _examples(imports["requestBody"]["content"]):
        MerchantOrderBody.model_validate_json(json.dumps(body))
    for status in ("200", "201"):
        for body in _examples(imports["responses"][status]["content"]):
            OrderCreated.model_validate(body)
    assert _examples(imports["responses"]["401"]["content"])[0]["error"]["code"] == "merchant_key_invalid"
    ingest = spec["paths"]["/api/v1/tracking/events"]["post"]
    for body in _examples(ingest["requestBody"]["content"]):
        EventBatch.model_validate_json(json.dumps(body))
    for body in _examples(ingest["responses"]["200"]["content"]):
        BatchOut.model_validate(body)
    track = spec["paths"]["/api/v1/tracking/{waybill_no}"]["get"]
    for body in _examples(track["responses"]["200"]["content"]):
        TrackOut.model_validate(body)


def test_error_codes_page_lists_every_error_in_both_languages(client):
    codes = {e.code: e for e in catalogue()}
    # Every error jidi.errors builds is listed, with its status; so are the features' own.
    for make in (errors.invalid_phone, errors.not_found, errors.item_prohibited, errors.merchant_key_invalid):
        err = make()
        assert isinstance(err, AppError) and codes[err.code].status == err.status
    assert {"slot_unavailable", "source_key_invalid", "invalid_input", "internal_error"} <= codes.keys()
    zh = client.get("/api/errors?lang=zh_CN").text
    en = client.get("/api/errors?lang=en").text
    assert zh.count('data-testid="error-code"') == len(codes) == en.count('data-testid="error-code"')
    assert 'id="invalid_phone"' in zh and "请输入" in zh and "Enter a valid mainland China mobile number" in en
    assert 'href="/api/errors"' in client.get("/").text  # linked from the footer

