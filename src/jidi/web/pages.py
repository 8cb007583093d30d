"""Pages that belong to no single feature: home and 我的 (/me). (The privacy policy at /privacy is the policy feature's.)"""
from __future__ import annotations

from fastapi import APIRouter, Request

from jidi.kit.deps import ContainerDep, OptionalPageUser, PageUser, render
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
