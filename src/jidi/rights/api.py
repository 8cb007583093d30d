"""The JSON API of the privacy centre: my data, a copy, requests and their deadlines (JD-6, CN-8, ZK-5).

Every call needs a bearer token. Full values, copies and every request need a fresh SMS code sent to the
account's own phone (`POST /privacy/codes`): identity verification before anything is shown or changed.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from jidi.i18n import china_day, gettext_for
from jidi.kit.api import Strict, errors_for
from jidi.kit.deps import ApiUser, ContainerDep, LocaleDep, client_address
from jidi.kit.fields import SmsCode
from jidi.privacy import LABELS
from jidi.privacy.sharing import ROLE_LABELS
from jidi.rights import export, kinds as K
from jidi.values import FREE_TEXT_PATTERN

router = APIRouter(tags=["privacy centre"])

RequestId = Annotated[str, Path(max_length=36, description="The request's id (a UUID)", examples=["3f0c6f5e-2f4b-4d7e-9a59-0d3f2f1b9c11"])]
ExportId = Annotated[str, Path(max_length=36, description="The copy's id (a UUID)", examples=["3f0c6f5e-2f4b-4d7e-9a59-0d3f2f1b9c11"])]
SelfKind = Literal["copy", "correction", "deletion", "withdrawal", "cancellation", "explanation"]
Code = Annotated[SmsCode, Field(description="The code sent to your phone")]


class Body(Strict):
    """Request bodies: a request's details are free text, where line breaks are text."""

    MULTILINE: ClassVar[frozenset[str]] = frozenset({"details"})


class CodeSent(BaseModel):
    resend_after_seconds: int
    expires_in_seconds: int


class FullDataRequest(Body):
    code: Code


class NewRequest(Body):
    # What depends on the kind, in the schema too: a withdrawal names its consent, a correction or an explanation says
    # in words what is asked.
    model_config = ConfigDict(json_schema_extra={"allOf": [
        {"if": {"properties": {"kind": {"const": "withdrawal"}}, "required": ["kind"]},
         "then": {"required": ["scope"], "properties": {"scope": {"minLength": 1}}}},
        {"if": {"properties": {"kind": {"enum": ["correction", "explanation"]}}, "required": ["kind"]},
         "then": {"required": ["details"], "properties": {"details": {"pattern": r"\S"}}}},
    ]})

    kind: SelfKind = Field(description="copy: a download of all your data; deletion: erase it now; cancellation: close the "
                                       "account, data erased one month later; withdrawal: needs `scope`")
    code: Code
    scope: Literal["", "wechat_profile", "email", "family_numbers"] = Field("", description="For a withdrawal: which consent")
    details: str = Field("", max_length=2000, description="For a correction or an explanation: what you ask, in your words",
                         json_schema_extra={"pattern": FREE_TEXT_PATTERN})


class HistoryItem(BaseModel):
    at: dt.datetime
    action: str
    label: str


class RequestOut(BaseModel):
    id: str
    kind: str
    kind_label: str
    scope: str
    status: str
    status_label: str
    received_at: dt.datetime
    due_on: dt.date | None = Field(description="Answered by the end of this day, China time (15 working days by default)")
    due_provisional: bool = Field(description="The official holidays of a year the deadline runs into are not loaded yet")
    overdue: bool
    fee_fen: int = Field(description="A fee quoted for a request beyond the free ones this year; 0 when free")
    refusal_ground: str | None
    refusal_ground_label: str | None
    answer: str | None = Field(description="Our written answer, or the reason of a refusal")
    erase_after: dt.datetime | None = Field(description="Cancellation: when the account's data will be erased")
    copy_url: str | None = Field(description="Where to download the copy while it is offered")
    copy_expires_at: dt.datetime | None
    history: list[HistoryItem]
    details: str | None = Field(description="What you wrote with the request, in your own words")


class Blocker(BaseModel):
    code: str
    message: str
    action: str = Field(description="The page (a path of the site) where what blocks is cleared")


class WillErase(BaseModel):
    what: str
    records: int


class Kept(BaseModel):
    what: str
    legal_basis: str
    kept_until: dt.date


class ToNotify(BaseModel):
    recipient: str
    role: str = Field(description="Whether it processes for us or on its own account")
    purpose: str
    records: int = Field(description="How many times your data was handed to it")


class PreviewOut(BaseModel):
    kind: Literal["deletion", "cancellation"]
    blocked_by: list[Blocker] = Field(description="Empty when nothing blocks it")
    will_erase: list[WillErase]
    will_keep: list[Kept] = Field(description="Records the law requires us to keep: restricted, not used, deleted at the date")
    will_notify: list[ToNotify] = Field(description="Those we shared your data with: each is told to delete it")
    erase_after: dt.datetime | None


def request_out(v, loc: str) -> RequestOut:
    _ = gettext_for(loc)
    return RequestOut(
        id=str(v.id), kind=v.kind, kind_label=_(K.KINDS[v.kind]), scope=v.scope, status=v.status, status_label=_(K.STATUSES[v.status]),
        received_at=v.received_at, due_on=v.due_on, due_provisional=v.due_provisional, overdue=v.overdue, fee_fen=v.fee_fen,
        refusal_ground=v.refusal_ground, refusal_ground_label=_(K.REFUSAL_GROUNDS[v.refusal_ground]) if v.refusal_ground else None,
        answer=v.answer, erase_after=v.erase_after,
        copy_url=f"/api/v1/privacy/copies/{v.export_id}" if v.export_id else None, copy_expires_at=v.export_expires_at,
        history=[HistoryItem(at=at, action=a, label=_(K.EVENT_LABELS.get(a, a))) for at, a, _role in v.history],
        details=v.details,
    )


@router.post("/privacy/codes", status_code=202, response_model=CodeSent, responses=errors_for(401, 429))
def send_code(request: Request, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> CodeSent:
    """Send a verification code to my account's phone, to confirm it is me (JD-6.8.1a)."""
    wait = c.rights.request_code(user.id, client_address(request), loc)
    return CodeSent(resend_after_seconds=wait, expires_in_seconds=c.settings.sms_code_ttl_seconds)


@router.get("/privacy/my-data", responses=errors_for(401))
def my_data(user: ApiUser, c: ContainerDep, loc: LocaleDep) -> dict:
    """Everything jidi holds about me, masked, grouped by table and how it relates to me, each field with its
    category, legal basis and retention (JD-6.1.1, CN-8.1.1a, ZK-5.1.1)."""
    return export.document(*c.rights.my_data(user.id), locale=loc, generated_at=c.clock(), labels=c.rights.labels)


@router.post("/privacy/my-data/full", responses=errors_for(400, 401))
def my_data_full(body: FullDataRequest, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> dict:
    """The same with full values, after an SMS code; recorded as an access request answered at once."""
    return export.document(*c.rights.disclose(user.id, body.code), locale=loc, generated_at=c.clock(), labels=c.rights.labels)


@router.get("/privacy/preview/{kind}", response_model=PreviewOut, responses=errors_for(401, 404))
def preview(kind: Annotated[str, Path(max_length=20, examples=["deletion", "cancellation"])], user: ApiUser, c: ContainerDep,
            loc: LocaleDep) -> PreviewOut:
    """What deleting my data or cancelling my account would do now, and what blocks it (Ambiguity A17)."""
    from jidi.shipping.obligations import ACTIONS, REASONS  # noqa: PLC0415

    _ = gettext_for(loc)
    p = c.rights.preview(user.id, kind)
    pick = (lambda pair: pair[0]) if loc.startswith("zh") else (lambda pair: pair[1])
    return PreviewOut(
        kind=p.kind, blocked_by=[Blocker(code=b, message=_(REASONS[b]), action=ACTIONS[b]) for b in p.blocked_by],
        will_erase=[WillErase(what=pick(label), records=n) for label, n in p.will_erase],
        will_keep=[Kept(what=pick(r.label), legal_basis=pick((r.law_zh, r.law_en)), kept_until=china_day(r.until)) for r in p.will_keep],
        will_notify=[ToNotify(recipient=pick(x.recipient.label), role=pick(ROLE_LABELS[x.recipient.role]),
                              purpose=pick(LABELS[x.recipient.purpose]), records=x.records) for x in p.will_notify],
        erase_after=p.erase_after,
    )


@router.post("/privacy/requests", status_code=201, response_model=RequestOut, responses=errors_for(400, 401, 409, 429))
def file_request(body: NewRequest, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> RequestOut:
    """File a request about my data. A copy is prepared in the background; a deletion erases everything not kept by law;
    a cancellation stops the account now and erases its data one month later; a withdrawal takes effect at once;
    corrections and explanations go to the privacy officer. Each is answered by its due date."""
    rid = c.rights.submit(user.id, body.kind, body.code, scope=body.scope, details=body.details)
    return request_out(c.rights.my_request(user.id, rid), loc)


@router.get("/privacy/requests", response_model=list[RequestOut], responses=errors_for(401))
def my_requests(user: ApiUser, c: ContainerDep, loc: LocaleDep) -> list[RequestOut]:
    """My requests: status, due date, answer and, for a refusal, its ground."""
    return [request_out(v, loc) for v in c.rights.my_requests(user.id)]


@router.get("/privacy/requests/{request_id}", response_model=RequestOut, responses=errors_for(401, 404))
def my_request(request_id: RequestId, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> RequestOut:
    return request_out(c.rights.my_request(user.id, request_id), loc)


@router.post("/privacy/requests/{request_id}/accept-fee", response_model=RequestOut, responses=errors_for(401, 404, 409))
def accept_fee(request_id: RequestId, user: ApiUser, c: ContainerDep, loc: LocaleDep) -> RequestOut:
    """Accept the fee quoted for a request beyond the free ones (JD-6.8.3a); it is then processed."""
    c.rights.accept_fee(user.id, request_id)
    return request_out(c.rights.my_request(user.id, request_id), loc)


@router.get("/privacy/copies/{export_id}", response_class=Response, responses={200: {"content": {"application/zip": {}}}, **errors_for(401, 404)})
def download_copy(export_id: ExportId, user: ApiUser, c: ContainerDep) -> Response:
    """My copy (a zip of my-data.json and my-data.html), only mine and only while it is offered."""
    blob = c.rights.download(user.id, export_id)
    return Response(blob, media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="jidi-my-data.zip"'})
