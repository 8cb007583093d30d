"""The FastAPI application: JSON API under /api/v1 (OpenAPI at /openapi.json) and server-rendered pages."""
from __future__ import annotations

import contextlib
import copy
import gc
import uuid
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from jidi.features import registered
from jidi.i18n import LOCALES, negotiate, translations
from jidi.jobs import EmbeddedWorker
from jidi.kit import cookies, deps, fields
from jidi.kit.errors import install_error_handlers
from jidi.kit.feature import resolve
from jidi.privacy.audit import request_id as request_id_var


def create_app(container) -> FastAPI:
    from jidi.web import dev, pages  # noqa: PLC0415

    settings = container.settings
    deps.use_templates([Path(__file__).parent / "templates", *(f.template_dir for f in registered() if f.template_dir)])
    # The message catalogs are compiled at first use: do it now rather than in the first requests' time.
    for loc in LOCALES:
        translations(loc)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        # The app's container, read when the server starts rather than captured: a test run serves one app over each
        # test's fresh container (tests/conftest.py), and the routes were built once for it.
        served = app.state.container
        # Before answering anything: a restored backup must not serve anyone erased since it was taken (A19). If this
        # fails, the server does not start.
        await run_in_threadpool(served.reapply_tombstones)
        worker = None
        if served.settings.embedded_worker and served.settings.queue_url != "immediate":
            worker = EmbeddedWorker(served.queue)
            worker.start()
        yield
        if worker:
            worker.stop()

    app = FastAPI(
        title="jidi API",
        version="1",
        description="寄递 jidi — express delivery with privacy by design. Personal values in responses are masked.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN: served from installed files below instead
        redoc_url=None,
    )
    app.state.container = container
    generate_openapi = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            generate_openapi().setdefault("components", {}).setdefault("schemas", {}).update(fields.components())
            _restore_examples(app)
        return app.openapi_schema

    app.openapi = openapi

    app.add_middleware(RequestContext, settings=settings)
    if settings.trusted_proxies:
        # Outermost: the client address every limit counts by is the one a trusted proxy forwarded, never one a
        # client wrote into X-Forwarded-For itself.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)

    install_error_handlers(app, settings.default_locale)

    # Each feature's routes, as its declaration lists them (jidi.kit.feature).
    for feature in registered():
        for ref in feature.api:
            app.include_router(resolve(ref), prefix=API_PREFIX)
    app.include_router(pages.router)
    for feature in registered():
        for ref in feature.pages:
            app.include_router(resolve(ref))
    if settings.env != "production":
        app.include_router(dev.router)
    static = Path(__file__).parent / "static"

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> FileResponse:
        """The interactive API documentation (Swagger UI), working without internet access."""
        return FileResponse(static / "api-docs.html")

    app.mount("/api/docs/swagger-ui", StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")
    app.mount(STATIC_PREFIX.rstrip("/"), StaticFiles(directory=str(static)), name="static")
    return app


def shape(settings) -> tuple:
    """The settings create_app builds into the app itself (routes, middleware, error pages); everything else it reads
    from `app.state.container` at each request. Two containers whose settings have the same shape can be served by
    one app, its container swapped — which spares building some 200 routes' validation again (over a second)."""
    return (settings.env, tuple(settings.trusted_proxies), settings.default_locale, settings.base_url,
            settings.cookie_secure)


def _restore_examples(app: FastAPI) -> None:
    """Put the API routes' examples (`openapi_extra`) back as written: FastAPI drops every null from the generated
    document, which would make an example that shows a null field (e.g. `"code": null`) contradict its schema."""
    for feature in registered():
        for ref in feature.api:
            for route in resolve(ref).routes:
                extra = getattr(route, "openapi_extra", None)
                if not isinstance(route, APIRoute) or not extra or not route.include_in_schema:
                    continue
                for method in route.methods:
                    operation = app.openapi_schema["paths"][API_PREFIX + route.path_format][method.lower()]
                    parts = [(extra.get("requestBody", {}), operation.get("requestBody", {}))]
                    parts += [(given, operation["responses"].get(status, {})) for status, given in extra.get("responses", {}).items()]
                    for given, generated in parts:
                        for media, content in given.get("content", {}).items():
                            if "examples" in content:
                                generated["content"][media]["examples"] = copy.deepcopy(content["examples"])


API_PREFIX = "/api/v1"
STATIC_PREFIX = "/static/"
_CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"


def _cookie_header(name: str, max_age: int | None, httponly: bool, secure: bool) -> tuple[bytes, bytes, bytes]:
    """A Set-Cookie header exactly as Starlette's Response.set_cookie writes it, split around the value (the values
    set here, a token_urlsafe token or a locale name, need no quoting)."""
    probe = Response()
    probe.set_cookie(name, "VALUE0", max_age=max_age, httponly=httponly, secure=secure, samesite="lax")
    key, value = probe.raw_headers[-1]
    before, _, after = value.partition(b"VALUE0")
    return key, before, after


def _tracking_cookie(header: bytes) -> bool:
    """Whether a Set-Cookie header sets an analytics or marketing cookie (jidi.kit.cookies: none is declared today).
    For a visitor who sends Do Not Track or Global Privacy Control such a cookie is dropped here, whatever set it
    (ZK-2.3); so is any cookie not declared at all, which is never meant to be set."""
    name = header.split(b"=", 1)[0].strip().decode("latin-1")
    spec = cookies.declared(name)
    return spec is None or spec.kind in cookies.TRACKING


class RequestContext:
    """Every HTTP request: a request id (from X-Request-Id when sane, else new; in the audit log's context), the
    language (?lang=, the language cookie, Accept-Language), the CSRF token (the cookie's, or a new one set as a
    cookie), and security headers on every response the app sends. A request with `DNT: 1` or `Sec-GPC: 1` gets
    no analytics or marketing cookie (jidi.kit.cookies).

    Every answer but a static asset is `Cache-Control: no-store` (and `Pragma: no-cache` for HTTP/1.0 caches): any
    page or API answer may carry personal data or depend on who asks, so none is kept by a browser or proxy cache,
    whatever the route. Static assets are the same for everyone and stay cacheable.

    Pure ASGI, not Starlette's BaseHTTPMiddleware: that one runs every request in a task group through memory
    streams, which cost more CPU than a whole cached public lookup. Here the request is read from the scope and the
    headers are added to the response's start message."""

    def __init__(self, app: ASGIApp, settings) -> None:
        self.app = app
        self.default_locale = settings.default_locale
        fixed = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY"),
                 (b"content-security-policy", _CSP.encode())]
        if settings.base_url.startswith("https://"):
            fixed.append((b"strict-transport-security", b"max-age=31536000"))
        self.fixed = fixed
        self.no_store = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
        self.replaced_static = frozenset({b"x-request-id"} | {name for name, _ in fixed})
        self.replaced = self.replaced_static | {name for name, _ in self.no_store}
        self.csrf_cookie = _cookie_header(deps.CSRF_COOKIE, None, True, settings.cookie_secure)
        self.lang_cookie = _cookie_header(deps.LANG_COOKIE, 365 * 86400, False, settings.cookie_secure)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = cookie = accept_language = None
        for name, value in scope["headers"]:  # the first of each, as Request.headers.get gives it
            if name == b"x-request-id":
                rid = rid if rid is not None else value.decode("latin-1")
            elif name == b"cookie":
                cookie = cookie if cookie is not None else value.decode("latin-1")
            elif name == b"accept-language":
                accept_language = accept_language if accept_language is not None else value.decode("latin-1")
        rid = rid if rid and rid.isalnum() and len(rid) <= 64 else uuid.uuid4().hex
        cookies = cookie_parser(cookie) if cookie else {}
        query = scope.get("query_string", b"")
        lang = QueryParams(query).get("lang") if query else None
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        state["locale"] = negotiate(lang or cookies.get(deps.LANG_COOKIE), accept_language, self.default_locale)
        csrf = state["csrf"] = cookies.get(deps.CSRF_COOKIE) or deps.new_csrf()
        added = [(b"x-request-id", rid.encode("latin-1")), *self.fixed]
        replaced = self.replaced
        if scope["path"].startswith(STATIC_PREFIX):
            replaced = self.replaced_static
        else:
            added += self.no_store
        if deps.CSRF_COOKIE not in cookies:
            key, before, after = self.csrf_cookie
            added.append((key, before + csrf.encode("latin-1") + after))
        if lang in ("zh_CN", "en"):
            key, before, after = self.lang_cookie
            added.append((key, before + lang.encode("latin-1") + after))

        dnt = any(name in (b"dnt", b"sec-gpc") and value.strip() == b"1" for name, value in scope["headers"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() not in replaced
                           and not (dnt and h[0].lower() == b"set-cookie" and _tracking_cookie(h[1]))]
                headers.extend(added)
                message = {**message, "headers": headers}
            await send(message)

        token = request_id_var.set(rid)
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            request_id_var.reset(token)


def app_from_env() -> FastAPI:
    """Entry point for `uvicorn --factory jidi.web.app:app_from_env`."""
    from jidi.bootstrap import bootstrap  # noqa: PLC0415

    app = create_app(bootstrap())
    # Everything built so far lives as long as the server process: keep it out of the garbage collector's passes
    # (about 15% of the CPU time of a 1,000-event tracking batch otherwise goes to re-scanning it).
    gc.freeze()
    return app
