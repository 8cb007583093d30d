"""Pages that belong to no single feature: home, 我的 (/me) and the cookie notice generated from the cookie declaration.
(The privacy policy at /privacy is the policy feature's.)"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request

from jidi import errors
from jidi.features import registered
from jidi.i18n import N_
from jidi.kit import cookies, permissions
from jidi.kit.deps import ContainerDep, Csrf, OptionalPageUser, PageUser, redirect, render, render_error
from jidi.kit.error_catalogue import catalogue
from jidi.kit.feature import Link, links_for, resolve
from jidi.shipping import states

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, user: OptionalPageUser, c: ContainerDep):
    """For a visitor: track by number, ship, log in. For a customer: the same, and the parcels still on their way."""
    if user is not None:
        return render(request, "home.html", user=user, moving=c.shipping.in_progress(user.id, limit=5), status_labels=states.LABELS)
    return render(request, "home.html", user=user, moving=[])


# The sections of 我的, in order, and the entries of pages that belong to no feature; each feature adds its own
# (`Feature.links`).
ME_SECTIONS = (("parcels", N_("My parcels")), ("account", N_("My account")), ("settings", N_("Settings and help")))
OWN_LINKS = (
    Link(N_("Device permissions"), "/settings/permissions", "settings", 40, note=N_("Location, contacts, camera, microphone"),
         testid="me-permissions"),
    Link(N_("Cookie notice"), "/cookies", "settings", 60),
)


@router.get("/me")
def me(request: Request, user: PageUser, c: ContainerDep):
    """我的: the account and everything a customer looks after, one tap away on a phone: the entries the features
    declare (`Feature.links`), by section."""
    links = links_for(registered(), "me", own=OWN_LINKS)
    counts = {link.url: resolve(link.count)(c, user.id) for link in links if link.count}
    sections = [(key, title, [link for link in links if link.section == key]) for key, title in ME_SECTIONS]
    return render(request, "me.html", user=user, profile=c.accounts.profile(user.id), sections=sections, counts=counts)


@router.get("/cookies")
def cookie_notice(request: Request, user: OptionalPageUser):
    """The cookie notice (JD-3.1, CN-9, ZK-2): every cookie jidi sets, from its declaration (jidi.kit.cookies), what
    works without them, how to refuse or clear them, and the Do Not Track / GPC signal this request carries."""
    kinds = [(kind, [c for c in cookies.COOKIES if c.kind is kind]) for kind in cookies.Kind]
    present = [c for c in cookies.COOKIES if c.kind is cookies.Kind.PREFERENCE and c.name in request.cookies]
    return render(request, "cookies.html", user=user, kinds=kinds, kind_labels=cookies.KIND_LABELS, present=present,
                  signal=cookies.tracking_refused(request.headers), cleared=request.query_params.get("cleared") == "1")


@router.post("/cookies/clear", dependencies=[Csrf])
def clear_preference_cookies(request: Request, c: ContainerDep):
    """Refuse preference cookies: the ones this browser holds are deleted. Nothing is stored to remember the refusal,
    and nothing needs to be: a preference cookie is set only when the visitor asks for it again."""
    response = redirect("/cookies?cleared=1")
    for spec in cookies.COOKIES:
        if not spec.essential and spec.name in request.cookies:
            # With the attributes it was set with: a browser keeps a Secure cookie that a non-Secure one would replace.
            response.delete_cookie(spec.name, secure=c.settings.cookie_secure, httponly=spec.http_only)
    return response


# -- device permissions ---------------------------------------------------------------------------------------
def declared_permissions() -> list[tuple[permissions.Kind, list[tuple[str, permissions.Permission]]]]:
    """Every permission kind some feature declares, with each (feature, declaration): the set jidi may ask for."""
    by_kind: dict[permissions.Kind, list[tuple[str, permissions.Permission]]] = {}
    for feature in registered():
        for p in feature.permissions:
            by_kind.setdefault(p.kind, []).append((feature.name, p))
    return [(kind, by_kind[kind]) for kind in permissions.Kind if kind in by_kind]


def _permissions_page(request: Request, c, user, err: errors.AppError | None = None, saved: str = ""):
    return render_error(request, "permissions.html", err, user=user, declared=declared_permissions(), labels=permissions.LABELS,
                        off=c.devices.turned_off(user.id), saved=saved)


@router.get("/settings/permissions")
def permissions_page(request: Request, user: PageUser, c: ContainerDep, saved: Annotated[str, Query(max_length=20)] = ""):
    """Each device permission jidi may ask for: what for, on which page, whether it is on in jidi, what the browser says
    (shown by the page's script), and how to revoke it in the browser too (JD-6.4.1, CN-8.3.1a, ZK-1.2b)."""
    return _permissions_page(request, c, user, saved=saved)


@router.post("/settings/permissions", dependencies=[Csrf])
def permissions_submit(request: Request, user: PageUser, c: ContainerDep, kind: Annotated[str, Form(max_length=20)] = "",
                       allowed: Annotated[str, Form(max_length=5)] = ""):
    """Turn a permission off in jidi (or on again): from the next page on, no page offers what needs it (JD-6.6c)."""
    if kind not in {k.value for k, _ in declared_permissions()}:
        return _permissions_page(request, c, user, errors.invalid_field(N_("Permission")))
    c.devices.set_allowed(user.id, kind, allowed == "on")
    return redirect(f"/settings/permissions?saved={kind}")


@router.get("/api/errors")
def error_codes(request: Request, user: OptionalPageUser):
    """The error-code reference for integrators, generated from the errors the code raises (jidi.kit.error_catalogue),
    in the reader's language (?lang=en or zh_CN)."""
    return render(request, "api_errors.html", user=user, codes=catalogue())
