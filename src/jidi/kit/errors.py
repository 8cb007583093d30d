"""Every error answered the same way: an AppError (or a validation, HTTP or unexpected error mapped to one) becomes
the API's error body ({"error": {"code", "message", …}}) under /api/, else the error page, in the request's language.
Validation errors name fields, never echo values: what was sent may be a phone number or a name."""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from jidi import errors
from jidi.i18n import N_, gettext_for, join_list
from jidi.kit import deps
from jidi.privacy import ConsentRequired, PurposeNotAllowed, SubjectShredded

log = logging.getLogger("jidi.web")


def install_error_handlers(app: FastAPI, default_locale: str) -> None:
    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def error_response(request: Request, err: errors.AppError, headers: dict | None = None, **extra):
        gettext = gettext_for(getattr(request.state, "locale", default_locale))
        message = err.render(gettext)
        headers = {**(headers or {}), **err.headers}
        if is_api(request):
            return JSONResponse({"error": {"code": err.code, "message": message, **err.details, **extra}}, status_code=err.status,
                                headers=headers)
        if err.code == "not_authenticated":
            target = "/staff/login" if request.url.path.startswith("/staff") else "/login"
            if request.method == "GET":  # come back here after logging in (a form post cannot be repeated)
                here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                target += "?" + urlencode({"next": here})
            return RedirectResponse(target, status_code=303)
        page = err.details.get("page")  # an error that names the page where it is put right: go there
        if page and request.method == "GET" and request.url.path != page:
            return RedirectResponse(page, status_code=303)
        response = deps.render(request, "error.html", status_code=err.status, error=message, error_code=err.code)
        response.headers.update(headers or {})
        return response

    @app.exception_handler(errors.AppError)
    async def on_app_error(request: Request, exc: errors.AppError):
        return error_response(request, exc)

    @app.exception_handler(SubjectShredded)
    async def on_shredded(request: Request, exc: SubjectShredded):
        # Data of someone erased, read from a restored backup before the erasure is re-applied: it is gone, as after
        # the erasure itself.
        return error_response(request, errors.not_found())

    @app.exception_handler(PurposeNotAllowed)
    async def on_purpose(request: Request, exc: PurposeNotAllowed):
        if isinstance(exc, ConsentRequired):  # a use on consent without a live consent (jidi.privacy.consent)
            return error_response(request, errors.consent_required())
        return error_response(request, errors.purpose_not_allowed())

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError):
        # Name the fields, never echo what was sent: it may be a phone number or a name. Keys the operation does not
        # have are told apart from its own fields that are missing or invalid.
        unknown = sorted({name for e in exc.errors() if (name := _unknown_field(e))})
        fields = sorted({_field_of(e) for e in exc.errors() if not _unknown_field(e)})
        return invalid_input(request, fields, unknown)

    def invalid_input(request: Request, fields: list[str], unknown: Sequence[str] = ()):
        locale = getattr(request.state, "locale", default_locale)
        gettext = gettext_for(locale)
        parts = [gettext(N_("Some fields are missing or invalid: {fields}.")).format(fields=join_list(fields, locale))] if fields else []
        if unknown:
            parts.append(gettext(N_("These fields are not part of this request: {fields}.")).format(fields=join_list(unknown, locale)))
        # Translated here already: the parts are joined as the language writes sentences.
        err = errors.AppError("invalid_input", "{text}", 422, text=("" if locale.startswith("zh") else " ").join(parts))
        extra: dict[str, Any] = {"fields": fields, "unknown_fields": list(unknown)} if unknown else {"fields": fields}
        return error_response(request, err, **extra)

    def allowed_methods(request: Request, exc: StarletteHTTPException) -> str:
        # Starlette's Allow names the methods of the first route it tried only, but GET and PATCH /me are two
        # routes: for an API path, list every method its OpenAPI documents.
        for template, operations in app.openapi()["paths"].items():
            if compile_path(template)[0].match(request.url.path):
                return ", ".join(sorted(m.upper() for m in operations if m in ("get", "put", "post", "delete", "patch")))
        return (exc.headers or {}).get("Allow", "")

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return error_response(request, errors.not_found())
        if exc.status_code == 405:
            return error_response(request, errors.AppError("method_not_allowed", N_("This action is not supported here."), 405),
                                  headers={"Allow": allowed_methods(request, exc)})
        if exc.status_code == 400:
            # FastAPI could not read the body at all (e.g. it is not UTF-8): the same answer as malformed JSON.
            return invalid_input(request, ["body"])
        return error_response(request, errors.AppError("http_error", N_("The request could not be handled."), exc.status_code))

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception):
        # Log the type and where, not the message: a driver error could quote a value.
        log.error("unhandled %s in %s %s (request %s)", type(exc).__name__, request.method, request.url.path,
                  getattr(request.state, "request_id", "-"))
        return error_response(request, errors.AppError("internal_error", N_("Something went wrong on our side. Please try again later."), 500))


_FIELD_NAME = re.compile(r"[a-z_]{1,32}")


def _unknown_field(error: dict) -> str | None:
    """The name of a key the request should not have, when it may be told (it looks like a field name)."""
    path = error.get("loc", ())[1:]
    if error.get("type") != "extra_forbidden" or not path:
        return None
    # Every step a field name (or a list position): a key that is a phone number or a name is never repeated.
    if all(isinstance(p, int) or _FIELD_NAME.fullmatch(str(p)) for p in path):
        return ".".join(str(p) for p in path)
    return None


def _field_of(error: dict) -> str:
    """The field a validation error is about, as the client may be told it."""
    # A field of the request's own (sender.phone): the path stops at a list position (an item of pings is named
    # pings, as tracking names its events) and at pydantic's tags for a member of a union (mail_region, not
    # mail_region.constrained-str), which are no names of the request's.
    steps: list[str] = []
    for step in error.get("loc", ())[1:]:
        if isinstance(step, int) or not _FIELD_NAME.fullmatch(str(step)):
            if steps:
                break
        steps.append(str(step))
    name = ".".join(steps)
    if error.get("type") == "json_invalid":
        return "body"  # located by character offset
    if error.get("type") == "extra_forbidden" and not _FIELD_NAME.fullmatch(name):
        return "body"  # an unknown key is whatever the client sent, e.g. a phone number: name it only if it looks like a field
    return name or "body"
