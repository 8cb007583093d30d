"""No answer that can carry personal data is kept by a browser or proxy cache: every API operation and every page
answers `Cache-Control: no-store` (and `Pragma: no-cache`), found by walking the routes, not listed by hand. Static
assets, the same for everyone, stay cacheable."""
from __future__ import annotations

import re

from starlette.routing import Route

from tests.pii import PHONES
from tests.test_accounts_web import web_register
from tests.test_api_fuzz import VALID_BODIES
from tests.test_addressbook import add, register

ENTRY_PARAMS = ("entry_id",)


def _no_store(r) -> bool:
    return r.headers.get("cache-control") == "no-store" and r.headers.get("pragma") == "no-cache"


def test_every_api_operation_answers_no_store(app, client, sms):
    me = register(client, sms)
    entry_id = add(client, me)["id"]  # so the address-book operations answer with a real entry, not a 404
    answered = set()
    # Logging out last: it ends the session the other calls use.
    for path, operations in sorted(app.openapi()["paths"].items(), key=lambda item: item[0].endswith("/logout")):
        for method, op in operations.items():
            params = {p["name"]: entry_id if p["name"] in ENTRY_PARAMS else (p["schema"].get("examples") or ["x"])[0]
                      for p in op.get("parameters", []) if p["in"] == "path"}
            url = re.sub(r"\{(\w+)\}", lambda m, params=params: str(params[m.group(1)]), path)
            body = VALID_BODIES.get(f"{method.upper()} {path}")
            r = client.request(method.upper(), url, json=body, headers=me)
            assert _no_store(r), f"{method.upper()} {path} answered {r.status_code} without no-store: {dict(r.headers)}"
            answered.add(r.status_code)
    assert 200 in answered and 201 in answered and 404 in answered


def _routes(routes):
    """Every route, including those of included routers."""
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)


def test_every_page_answers_no_store(app, client, sms):
    web_register(client, sms, PHONES[1])
    pages = sorted({route.path for route in _routes(app.routes) if "GET" in (route.methods or ())
                    and not route.path.startswith(("/api/", "/openapi", "/docs")) and "{" not in route.path})
    assert "/profile" in pages and "/address-book" in pages
    for path in pages:
        r = client.get(path, follow_redirects=False)
        assert _no_store(r), f"GET {path} answered {r.status_code} without no-store"


def test_static_assets_stay_cacheable(client):
    r = client.get("/static/jidi.css")
    assert r.status_code == 200 and "no-store" not in r.headers.get("cache-control", "") and "pragma" not in r.headers
