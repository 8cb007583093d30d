"""The privacy policy's pages: the policy in effect (/privacy), its version history (CN-11.1c, ZK-7.3), each
version, what a version changed (ZK-7.2a), the notice of a material change on every page with its accept form, and
the privacy officer's page that publishes the generated policy as a new version."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request

from jidi import errors
from jidi.kit.deps import (
    ContainerDep, Csrf, CurrentUser, LocaleDep, OptionalPageUser, PageUser, StaffUser, page_notice, redirect, render,
    render_error, safe_next,
)
from jidi.i18n import N_
from jidi.policy.document import to_html
from jidi.privacy import Role

router = APIRouter(include_in_schema=False)

Text = lambda n: Annotated[str, Form(max_length=n)]  # noqa: E731
VersionPath = Annotated[str, Path(max_length=40)]
# Pages a person can always reach while a change awaits their acceptance: the policy itself, its history, and their
# rights (withdrawing, deleting, cancelling never wait for an acceptance).
UNBLOCKED = ("/privacy",)


@page_notice
def policy_notice(request: Request, user: CurrentUser) -> dict | None:
    """The material change this customer has not accepted yet, on every page until they do."""
    policy = getattr(request.app.state.container, "policy", None)
    if policy is None or user.role is not Role.CUSTOMER:
        return None
    notice = policy.notice_for(user.id)
    if notice is None:
        return None
    blocking = notice.blocking and not request.url.path.startswith(UNBLOCKED)
    return {"template": "policy_notice.html", "blocking": blocking, "notice": notice,
            "next": request.url.path if request.method == "GET" else "/"}


def _page(request: Request, shown, loc: str, user, **extra):
    return render(request, "policy.html", user=user, shown=shown, body=to_html(shown.text(loc)), **extra)


@router.get("/privacy")
def privacy_policy(request: Request, c: ContainerDep, loc: LocaleDep, user: OptionalPageUser):
    """The policy in effect today, generated from the catalog, the recipients, the retention rules and the operator."""
    return _page(request, c.policy.current(), loc, user, is_current=True, upcoming=_upcoming(c))


def _upcoming(c):
    today = c.policy.today()
    return [v for v in c.policy.versions() if v.effective_on > today]


@router.get("/privacy/versions")
def policy_versions(request: Request, c: ContainerDep, user: OptionalPageUser):
    """Every published version (历史版本), newest first, with its effective date and what changed."""
    return render(request, "policy_versions.html", user=user, versions=c.policy.versions(), today=c.policy.today())


@router.get("/privacy/versions/{version}")
def policy_version(request: Request, version: VersionPath, c: ContainerDep, loc: LocaleDep, user: OptionalPageUser):
    return _page(request, c.policy.version(version), loc, user, is_current=False, upcoming=[])


@router.get("/privacy/changes/{version}")
def policy_changes(request: Request, version: VersionPath, c: ContainerDep, user: OptionalPageUser):
    """What a version changed, item by item, and whether it needs a fresh acceptance (ZK-7.2a)."""
    shown = c.policy.version(version)
    notice = c.policy.notice_for(user.id) if user is not None and user.role is Role.CUSTOMER else None
    return render(request, "policy_changes.html", user=user, shown=shown,
                  pending=notice is not None and notice.shown.version == shown.version)


@router.post("/privacy/accept", dependencies=[Csrf])
def accept_policy(c: ContainerDep, user: PageUser, loc: LocaleDep, version: Text(40) = "", text_hash: Text(64) = "",
                  next: Text(500) = ""):
    """Accept a version of the policy (the notice's form): recorded with the text the page showed."""
    c.policy.accept(user.id, version, text_hash, "web:notice", locale=loc)
    return redirect(safe_next(next) or "/")


# -- the privacy officer -----------------------------------------------------------------------------------
def _officer(staff) -> None:
    if staff.role is not Role.PRIVACY_OFFICER:
        raise errors.forbidden()


def _officer_page(request: Request, c, staff, loc: str, err: errors.AppError | None = None, **form):
    draft = c.policy.draft()
    return render_error(request, "staff_policy.html", err, staff=staff, draft=draft, body=to_html(draft.text(loc)),
                        versions=c.policy.versions(), today=c.policy.today(), profile=c.policy.profile,
                        form={"effective_on": form.get("effective_on") or draft.effective_on.isoformat(),
                              "summary_zh": form.get("summary_zh", ""), "summary_en": form.get("summary_en", ""),
                              "high_risk_zh": form.get("high_risk_zh", ""), "high_risk_en": form.get("high_risk_en", "")},
                        published=form.get("published", ""))


@router.get("/staff/policy")
def officer_policy(request: Request, staff: StaffUser, c: ContainerDep, loc: LocaleDep):
    """The generated policy, how it differs from the latest published version, and the form that publishes it."""
    _officer(staff)
    return _officer_page(request, c, staff, loc, published=request.query_params.get("published", "")[:40])


@router.post("/staff/policy/publish", dependencies=[Csrf])
def officer_publish(request: Request, staff: StaffUser, c: ContainerDep, loc: LocaleDep, effective_on: Text(10) = "",
                    summary_zh: Text(2000) = "", summary_en: Text(2000) = "", high_risk_zh: Text(2000) = "",
                    high_risk_en: Text(2000) = ""):
    _officer(staff)
    form = {"effective_on": effective_on, "summary_zh": summary_zh, "summary_en": summary_en,
            "high_risk_zh": high_risk_zh, "high_risk_en": high_risk_en}
    try:
        try:
            day = dt.date.fromisoformat(effective_on.strip())
        except ValueError:
            raise errors.invalid_field(N_("Effective date")) from None
        high_risk = (high_risk_zh.strip(), high_risk_en.strip()) if high_risk_zh.strip() or high_risk_en.strip() else None
        shown = c.policy.publish(day, summary_zh, summary_en, high_risk_assessment=high_risk)
    except errors.AppError as err:
        if err.status in (401, 403, 404):
            raise
        return _officer_page(request, c, staff, loc, err, **form)
    return redirect(f"/staff/policy?published={shown.version}")
