"""Pages that belong to no single feature: home. (The privacy policy at /privacy is the policy feature's.)"""
from __future__ import annotations

from fastapi import APIRouter, Request

from jidi.kit.deps import OptionalPageUser, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, user: OptionalPageUser):
    return render(request, "home.html", user=user)
