"""Pages that belong to no single feature: home and the privacy policy generated from the catalog."""
from __future__ import annotations

from fastapi import APIRouter, Request

from jidi.kit.deps import ContainerDep, OptionalPageUser, render
from jidi.privacy import LABELS, Category
from jidi.privacy.sharing import RECIPIENTS, ROLE_LABELS

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, user: OptionalPageUser):
    return render(request, "home.html", user=user)


@router.get("/privacy")
def privacy_policy(request: Request, c: ContainerDep, user: OptionalPageUser):
    """The collection list: every personal field in the catalog, grouped by category; and the sharing list: every
    declared recipient with what it may receive."""
    groups = c.catalog.by_category()
    ordered = [(cat, sorted(groups[cat], key=lambda s: s.key)) for cat in Category if cat in groups]
    recipients = [(r, [c.catalog.fields[f] for f in sorted(r.fields)]) for _key, r in sorted(RECIPIENTS.items())]
    return render(request, "privacy.html", user=user, groups=ordered, recipients=recipients, role_labels=ROLE_LABELS,
                  version=c.settings.policy_version, LABELS=LABELS)
