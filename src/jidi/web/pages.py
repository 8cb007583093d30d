"""Pages that belong to no single feature: home and the privacy policy generated from the catalog."""
from __future__ import annotations

from fastapi import APIRouter, Request

from jidi.privacy import LABELS, Category
from jidi.web.deps import ContainerDep, OptionalPageUser, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, user: OptionalPageUser):
    return render(request, "home.html", user=user)


@router.get("/privacy")
def privacy_policy(request: Request, c: ContainerDep, user: OptionalPageUser):
    """The collection list: every personal field in the catalog, grouped by category."""
    groups = c.catalog.by_category()
    ordered = [(cat, sorted(groups[cat], key=lambda s: s.key)) for cat in Category if cat in groups]
    return render(request, "privacy.html", user=user, groups=ordered, version=c.settings.policy_version, LABELS=LABELS)
