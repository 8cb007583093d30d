"""Pages that belong to no single feature: home and the privacy policy generated from the catalog."""
from __future__ import annotations

from fastapi import APIRouter, Request

from jidi.kit.deps import ContainerDep, OptionalPageUser, PageUser, render
from jidi.kit.error_catalogue import catalogue
from jidi.privacy import LABELS, Category
from jidi.privacy.sharing import RECIPIENTS, ROLE_LABELS
from jidi.shipping import states

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, user: OptionalPageUser, c: ContainerDep):
    """For a visitor: track by number, ship, log in. For a customer: the same, and the parcels still on their way."""
    moving = []
    if user is not None:
        moving = [o for o in c.shipping.my_orders(user.id, limit=30) if o.status in states.IN_PROGRESS][:5]
        return render(request, "home.html", user=user, moving=moving, status_labels=states.LABELS)
    return render(request, "home.html", user=user, moving=moving)


@router.get("/me")
def me(request: Request, user: PageUser, c: ContainerDep):
    """我的: the account and everything a customer looks after, one tap away on a phone."""
    return render(request, "me.html", user=user, profile=c.accounts.profile(user.id),
                  addresses=len(c.addressbook.list(user.id)), family=len(c.family.bindings(user.id)))


@router.get("/privacy")
def privacy_policy(request: Request, c: ContainerDep, user: OptionalPageUser):
    """The collection list: every personal field in the catalog, grouped by category; and the sharing list: every
    declared recipient with what it may receive."""
    groups = c.catalog.by_category()
    ordered = [(cat, sorted(groups[cat], key=lambda s: s.key)) for cat in Category if cat in groups]
    recipients = [(r, [c.catalog.fields[f] for f in sorted(r.fields)]) for _key, r in sorted(RECIPIENTS.items())]
    return render(request, "privacy.html", user=user, groups=ordered, recipients=recipients, role_labels=ROLE_LABELS,
                  version=c.settings.policy_version, LABELS=LABELS)


@router.get("/api/errors")
def error_codes(request: Request, user: OptionalPageUser):
    """The error-code reference for integrators, generated from the errors the code raises (jidi.kit.error_catalogue),
    in the reader's language (?lang=en or zh_CN)."""
    return render(request, "api_errors.html", user=user, codes=catalogue())
