"""The privacy policy in the JSON API: the version in effect, every published version, the pending material change
for the logged-in customer and their acceptance of it."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ApiUser, ContainerDep, LocaleDep

router = APIRouter(tags=["privacy policy"])
VersionPath = Annotated[str, Path(max_length=40, description="A version, e.g. 2026-12-20")]


class Localised(BaseModel):
    zh_CN: str
    en: str


class ChangeOut(BaseModel):
    code: str
    material: bool
    text: Localised


class VersionOut(BaseModel):
    version: str
    effective_on: str
    published_at: str | None = Field(description="None: not published yet (the generated policy before any version)")
    kind: str = Field(description="material, editorial or initial")
    fresh_consent_required: bool
    summary: Localised
    text_hash: str = Field(description="SHA-256 of the two texts: what an acceptance names")
    changes: list[ChangeOut]


class PolicyOut(VersionOut):
    text: Localised = Field(description="The policy in each language, in a small markup: # headings, - lists, | tables, **bold**")
    content: dict[str, Any] = Field(description="The structured content the text is generated from")


class NoticeOut(BaseModel):
    version: VersionOut
    blocking: bool = Field(description="A fresh acceptance is needed before continuing")


class AcceptBody(Strict):
    version: str = Field(min_length=1, max_length=40, pattern=r"^[0-9][0-9.-]*$", examples=["2026-12-20"])
    text_hash: str = Field(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")


@router.get("/policy", response_model=PolicyOut)
def current_policy(c: ContainerDep):
    """The privacy policy in effect today, in both languages, with its structured content."""
    return c.policy.current().public()


@router.get("/policy/versions", response_model=list[VersionOut])
def policy_versions(c: ContainerDep):
    """Every published version, newest first (without texts)."""
    return [v.public(with_content=False) for v in c.policy.versions()]


@router.get("/policy/versions/{version}", response_model=PolicyOut, responses=errors_for(404))
def policy_version(version: VersionPath, c: ContainerDep):
    return c.policy.version(version).public()


@router.get("/policy/notice", response_model=NoticeOut | None, responses=errors_for(401))
def policy_notice(user: ApiUser, c: ContainerDep):
    """The material change the customer has not accepted yet; null when there is none."""
    notice = c.policy.notice_for(user.id)
    return None if notice is None else {"version": notice.shown.public(with_content=False), "blocking": notice.blocking}


@router.post("/policy/accept", status_code=204, responses=errors_for(401, 404, 409))
def accept_policy(body: AcceptBody, user: ApiUser, c: ContainerDep, loc: LocaleDep):
    """Accept a published version: `text_hash` must be that version's (what the client showed)."""
    c.policy.accept(user.id, body.version, body.text_hash, "api", locale=loc)
    return Response(status_code=204)
