"""The minors' JSON API (PROMISES section 17).

A customer states a date of birth (`PUT /guardian/birth-date`); a minor's account then answers every other call with
403 `guardian_consent_required` until a parent or guardian consents: `POST /guardian/codes` sends the guardian's number
a code, `GET /guardian/consent-text` gives the text the guardian reads (with the policy version) and a single-use token,
and `POST /guardian/consent` posts the code, the token and the guardian's agreement. A guardian withdraws with their
number and a code (`/guardian/withdrawal…`, no login): the child's account is erased. Anyone may report a minor's data
held improperly (`POST /minors/reports`).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from jidi.guardians.service import Status
from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ApiUser, ContainerDep, LocaleDep, client_address
from jidi.kit.fields import Phone, SmsCode, plain_text

router = APIRouter(tags=["minors and guardians"])

Relation = Literal["parent", "guardian"]


class GuardianOut(BaseModel):
    relation: Relation
    phone: str | None = Field(description="Masked, e.g. 138****5678")
    status: Literal["pending", "active", "withdrawn"]
    policy_version: str = Field(description="The privacy-policy version the guardian was shown")
    consented_at: dt.datetime | None


class StatusOut(BaseModel):
    stated: bool = Field(description="Whether a date of birth was stated")
    usable: bool = Field(description="Whether the account may be used")
    next_step: Literal["state_age", "ask_guardian", "confirm", "done"]
    minors_age: int = Field(description="Under this age a parent's or guardian's consent is needed")
    written_consent: bool = Field(description="Whether the guardian must sign with their name")
    statement_required: bool
    guardian: GuardianOut | None


def _out(st: Status) -> StatusOut:
    g = st.guardian
    return StatusOut(stated=st.stated, usable=st.gate == "open" or (not st.stated and not st.required), next_step=st.step,
                     minors_age=st.minors_age, written_consent=st.written, statement_required=st.required,
                     guardian=GuardianOut(relation=g.relation, phone=g.phone and g.phone.masked, status=g.status,
                                          policy_version=g.version, consented_at=g.granted_at) if g else None)


class BirthDate(Strict):
    birth_date: str = Field(min_length=10, max_length=10, description="YYYY-MM-DD, a real date not in the future",
                            examples=["2014-05-01"], pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class GuardianCodeRequest(Strict):
    relation: Relation
    phone: Phone = Field(description="The parent's or guardian's mobile number (not the account's own)")


class CodeSent(BaseModel):
    resend_after_seconds: int
    expires_in_seconds: int


class ConsentText(BaseModel):
    policy_version: str
    text: str = Field(description="Show it to the guardian as it is: its hash is recorded with the consent")
    token: str = Field(description="Post it back with the consent; single use, 1 hour")


Signature = plain_text(40, min_length=0, description="The guardian's full name, where written consent is needed")


class GuardianConsentIn(Strict):
    code: SmsCode = Field(description="The code sent to the guardian's number")
    token: str = Field(max_length=1000, description="From GET /guardian/consent-text")
    agree: bool = Field(description="The guardian read the text and agrees")
    signature: Signature | None = None


class WithdrawalCodeRequest(Strict):
    phone: Phone


class WithdrawalCodeAnswer(BaseModel):
    detail: str = Field(description="Always the same: whether a code was sent is not told")


class Withdrawal(Strict):
    phone: Phone
    code: SmsCode


class Withdrawn(BaseModel):
    accounts: int = Field(description="Children's accounts whose consent was withdrawn: each is being erased")


# Free text in one's own words: line breaks are text; not only blanks.
_FREE = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
ReportText = Annotated[str, Field(min_length=1, max_length=2000, description="What you believe is wrong",
                                  json_schema_extra={"pattern": rf"^{_FREE}*[^\s\x00-\x1f\x7f-\x9f]{_FREE}*$"})]
ReportContact = plain_text(100, min_length=0, description="How we can reach you (optional)")


class ReportIn(Strict):
    MULTILINE: ClassVar[frozenset[str]] = frozenset({"details"})
    details: ReportText
    account_phone: Phone | None = Field(None, description="The mobile number of the account concerned, if known")
    contact: ReportContact | None = None


class ReportReceived(BaseModel):
    id: str


@router.get("/guardian", response_model=StatusOut, responses=errors_for(401))
def guardian_status(user: ApiUser, c: ContainerDep) -> StatusOut:
    return _out(c.guardians.status(user.id))


@router.put("/guardian/birth-date", response_model=StatusOut, responses=errors_for(400, 401, 409))
def state_birth_date(body: BirthDate, user: ApiUser, c: ContainerDep) -> StatusOut:
    """State the account holder's date of birth, once. Under the operator's age a guardian's consent is needed."""
    return _out(c.guardians.state_birth_date(user.id, body.birth_date))


@router.post("/guardian/codes", status_code=202, response_model=CodeSent, responses=errors_for(401, 409, 429))
def guardian_code(body: GuardianCodeRequest, request: Request, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> CodeSent:
    wait = c.guardians.ask_guardian(user.id, body.relation, body.phone, client_address(request), loc)
    return CodeSent(resend_after_seconds=wait, expires_in_seconds=c.settings.sms_code_ttl_seconds)


@router.get("/guardian/consent-text", response_model=ConsentText, responses=errors_for(401, 409))
def consent_text(user: ApiUser, c: ContainerDep, loc: LocaleDep) -> ConsentText:
    notice, token = c.guardians.offer(user.id, loc)
    return ConsentText(policy_version=notice.version, text=notice.text, token=token)


@router.post("/guardian/consent", response_model=StatusOut, responses=errors_for(400, 401, 409))
def guardian_consent(body: GuardianConsentIn, user: ApiUser, c: ContainerDep) -> StatusOut:
    return _out(c.guardians.confirm(user.id, body.code, body.token, agree=body.agree, signature=body.signature))


WITHDRAWAL_DETAIL = "If this number gave a guardian's consent, a code was sent to it."


@router.post("/guardian/withdrawal/codes", status_code=202, response_model=WithdrawalCodeAnswer, responses=errors_for(429))
def withdrawal_code(body: WithdrawalCodeRequest, request: Request, c: ContainerDep, loc: LocaleDep) -> WithdrawalCodeAnswer:
    """A guardian asks for a code to withdraw their consent (no login)."""
    c.guardians.request_withdrawal_code(body.phone, client_address(request), loc)
    return WithdrawalCodeAnswer(detail=WITHDRAWAL_DETAIL)


@router.post("/guardian/withdrawal", response_model=Withdrawn, responses=errors_for(400))
def withdraw(body: Withdrawal, c: ContainerDep) -> Withdrawn:
    """Withdraw every consent this number gave: each child's account stops at once and its data is erased (JD-7.2)."""
    return Withdrawn(accounts=c.guardians.withdraw(body.phone, body.code))


@router.post("/minors/reports", status_code=201, response_model=ReportReceived, responses=errors_for(422))
def report(body: ReportIn, c: ContainerDep) -> ReportReceived:
    """Report that jidi holds a minor's personal data improperly (CN-10.1c): the privacy officer looks into it. No
    login needed: anyone may report."""
    rid = c.guardians.report(None, details=body.details, account_phone=body.account_phone, contact=body.contact)
    return ReportReceived(id=str(rid))
