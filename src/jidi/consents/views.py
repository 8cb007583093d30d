"""My consents (/privacy/consents) and the privacy officer's proof of consent (/staff/consents).

Plain forms, no script needed: one form per consent, each with its own button (never bundled), the text shown right
above it, and the single-use offer token and the text's hash in hidden fields. The login name the officer looks up
travels in a POST body, never in a URL.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request

from jidi import errors
from jidi.consents.service import when
from jidi.i18n import N_
from jidi.kit.deps import ContainerDep, Csrf, LocaleDep, PageUser, StaffUser, redirect, render, render_error
from jidi.privacy import CONSENTABLE, LABELS, Agreement, Role
from jidi.privacy.consent import HOW

router = APIRouter(include_in_schema=False)

Text = lambda n: Annotated[str, Form(max_length=n)]  # noqa: E731
TopicPath = Annotated[str, Path(max_length=40)]
MINE, PROOF = "consents.html", "staff_consent_proof.html"

HOW_LABELS = {
    "page": N_("on our website"), "api": N_("in the app"), "sms_reply": N_("by SMS reply"),
    "agent": N_("through customer service"), "guardian": N_("by a guardian"), "wechat": N_("through WeChat"),
    "demo": N_("demo data"), "account_closed": N_("account closed"), "imported": N_("recorded before the consent ledger"),
    "signal": N_("by a Do Not Track or Global Privacy Control signal of the browser"),
    "age_rule": N_("ended when you stated an age under which only a guardian consents"),
}
assert set(HOW_LABELS) == HOW
DONE = {"granted": N_("Your consent is recorded."),
        "withdrawn": N_("Your consent is withdrawn. We stopped this processing now; what was done before stays as it was.")}


def _mine(request: Request, c, user, loc: str, *, err: errors.AppError | None = None, done: str = ""):
    return render_error(request, MINE, err, user=user, choices=c.consent_center.mine(user.id, loc), how_labels=HOW_LABELS,
                        done=DONE.get(done, ""), when=when, path="/privacy/consents")


@router.get("/privacy/consents")
def my_consents(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep,
                done: Annotated[str, Query(max_length=20)] = ""):
    return _mine(request, c, user, loc, done=done)


@router.post("/privacy/consents/{topic}/grant", dependencies=[Csrf])
def grant(request: Request, topic: TopicPath, user: PageUser, c: ContainerDep, loc: LocaleDep, token: Text(1000) = "",
          text_sha256: Text(64) = ""):
    try:
        c.consent_center.give(user.id, topic, token, text_sha256, how="page", how_ref="/privacy/consents")
    except errors.AppError as err:
        return _mine(request, c, user, loc, err=err)
    return redirect("/privacy/consents?done=granted")


@router.post("/privacy/consents/{topic}/withdraw", dependencies=[Csrf])
def withdraw(request: Request, topic: TopicPath, user: PageUser, c: ContainerDep, loc: LocaleDep):
    try:
        c.consent_center.withdraw(user.id, topic, how="page", how_ref="/privacy/consents")
    except errors.AppError as err:
        return _mine(request, c, user, loc, err=err)
    return redirect("/privacy/consents?done=withdrawn")


# -- the privacy officer ------------------------------------------------------------------------------------------
def _officer(staff) -> None:
    if staff.role is not Role.PRIVACY_OFFICER:
        raise errors.forbidden()


TOPICS = (*CONSENTABLE, Agreement.PRIVACY_POLICY)


@router.get("/staff/consents")
def proof_form(request: Request, staff: StaffUser, c: ContainerDep):
    _officer(staff)
    return render(request, PROOF, staff=staff, topics=TOPICS, labels=LABELS, who="", topic="", result=None, how_labels=HOW_LABELS,
                  when=when)


@router.post("/staff/consents", dependencies=[Csrf])
def proof_lookup(request: Request, staff: StaffUser, c: ContainerDep, who: Text(254) = "", topic: Text(40) = ""):
    """The exact text, version, way and time of one person's consent to one topic (audited)."""
    _officer(staff)
    context = {"staff": staff, "topics": TOPICS, "labels": LABELS, "who": who, "topic": topic, "how_labels": HOW_LABELS,
               "when": when, "path": "/staff/consents"}
    try:
        user_id, proof = c.consent_center.proof(staff.actor, who, topic)
    except errors.AppError as err:
        return render_error(request, PROOF, err, result=None, **context)
    return render(request, PROOF, result={"user_id": user_id, "proof": proof}, **context)
