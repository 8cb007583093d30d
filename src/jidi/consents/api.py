"""The JSON API of my consents: each topic (marketing per channel, each separate consent) listed with its state, given
one at a time from an offer, withdrawn one at a time (JD-4.2d, JD-6.4.3b; PIPL arts. 15, 23, 25, 29, 39).

To give a consent: `GET /me/consents/{topic}/offer` returns the exact text to show, its version and SHA-256, and a
single-use token; `POST /me/consents/{topic}` with that token and hash records it. A forged, expired, replayed or
mismatched post is refused (`invalid_consent_post`) and nothing is recorded. Withdrawing what is not given is a 409.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from jidi.consents.service import Choice
from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ApiUser, ContainerDep, LocaleDep
from jidi.privacy import CONSENTABLE, LABELS

router = APIRouter(tags=["consents"])

TopicName = Literal[tuple(t.value for t in CONSENTABLE)]  # type: ignore[valid-type]
TopicPath = Annotated[TopicName, Path(description="The purpose (marketing per channel) or separate consent")]


class Recorded(BaseModel):
    action: Literal["grant", "withdraw"]
    version: str
    text_sha256: str | None
    how: str
    at: dt.datetime


class ConsentOut(BaseModel):
    topic: str
    label: str
    separate: bool = Field(description="A separate consent (PIPL arts. 23, 25, 29, 39), asked for on its own")
    live: bool
    last: Recorded | None
    text: str = Field(description="The text shown for this consent (the one agreed to, when live)")


class ConsentList(BaseModel):
    consents: list[ConsentOut]


class OfferOut(BaseModel):
    topic: str
    version: str
    text: str = Field(description="Show exactly this text; its hash is recorded with the consent")
    text_sha256: str
    token: str = Field(description="Single-use: post it back to give this consent")


class GrantIn(Strict):
    token: str = Field(max_length=1000)
    text_sha256: str = Field(max_length=64, pattern=r"^[0-9a-f]{64}$")


def _recorded(c: Choice) -> Recorded | None:
    e = c.last
    return Recorded(action=e.action, version=e.version, text_sha256=e.sha256, how=e.how, at=e.at) if e else None


def _out(c: Choice, loc: str) -> ConsentOut:
    zh, en = LABELS[c.topic]
    return ConsentOut(topic=c.topic.value, label=zh if loc == "zh_CN" else en, separate=c.separate, live=c.live,
                      last=_recorded(c), text=c.text)


@router.get("/me/consents", response_model=ConsentList, responses=errors_for(401))
def my_consents(user: ApiUser, c: ContainerDep, loc: LocaleDep) -> ConsentList:
    """Each consent I can give or withdraw, with its state and the text shown."""
    return ConsentList(consents=[_out(x, loc) for x in c.consent_center.mine(user.id, loc)])


@router.get("/me/consents/{topic}/offer", response_model=OfferOut, responses=errors_for(401))
def offer(topic: TopicPath, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> OfferOut:
    """The text to show for one consent, and the token its grant posts back."""
    o, text = c.consent_center.offer(user.id, topic, loc)
    return OfferOut(topic=o.topic.value, version=o.version, text=text, text_sha256=o.sha256, token=o.token)


@router.post("/me/consents/{topic}", response_model=ConsentOut, status_code=201, responses=errors_for(400, 401, 403))
def give(topic: TopicPath, body: GrantIn, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> ConsentOut:
    """Give one consent, from its offer."""
    c.consent_center.give(user.id, topic, body.token, body.text_sha256, how="api", how_ref="/api/v1/me/consents")
    return next(_out(x, loc) for x in c.consent_center.mine(user.id, loc) if x.topic.value == topic)


@router.post("/me/consents/{topic}/withdraw", response_model=ConsentOut, responses=errors_for(401, 409))
def withdraw(topic: TopicPath, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> ConsentOut:
    """Withdraw one consent: the processing it allowed stops at once; what was done before stays lawful."""
    c.consent_center.withdraw(user.id, topic, how="api", how_ref="/api/v1/me/consents")
    return next(_out(x, loc) for x in c.consent_center.mine(user.id, loc) if x.topic.value == topic)
