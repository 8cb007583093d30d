"""The privacy centre's pages (JD-6, CN-8, ZK-5): my data, full values after an SMS code, confirming a copy,
correction, explanation, withdrawal, deletion or cancellation, my requests and their deadlines, copies, next of kin;
and the privacy officer's queue under /staff/privacy.

Plain forms, every form with the CSRF token. One small script (static/code-request.js) asks for an SMS code without
leaving the page, so that what was typed and attached stays; without it the code request posts the form and the
page comes back with the typed text. Personal values travel in POST bodies only, never in URLs: the URLs carry
request ids, copy ids and the kind of request. Everything shown comes from jidi.rights.service.
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from jidi import errors
from jidi.i18n import N_, china_date, gettext_for
from jidi.kit.deps import (
    SESSION_COOKIE,
    ContainerDep,
    Csrf,
    LocaleDep,
    PageUser,
    StaffUser,
    client_address,
    redirect,
    render,
    render_error,
)
from jidi.privacy import LABELS, Role
from jidi.privacy.sharing import ROLE_LABELS
from jidi.rights import export, kinds as K
from jidi.rights.service import MAX_PROOF_BYTES
from jidi.shipping.obligations import ACTIONS, REASONS

router = APIRouter(include_in_schema=False)

Text = lambda n: Annotated[str, Form(max_length=n)]  # noqa: E731
ItemId = Annotated[str, Path(max_length=36)]
KindPath = Annotated[str, Path(max_length=20)]
Upload = Annotated[UploadFile | None, File()]

ME, CONFIRM, DONE = "privacy_me.html", "privacy_confirm.html", "privacy_done.html"
REQUESTS, REQUEST, KIN = "privacy_requests.html", "privacy_request.html", "privacy_kin.html"
QUEUE, OFFICER_REQUEST = "staff_privacy_queue.html", "staff_privacy_request.html"

# What one can ask for on /privacy/confirm/{kind}, in the order "what you can do" lists them.
CONFIRM_KINDS = (K.COPY, K.CORRECTION, K.EXPLANATION, K.WITHDRAWAL, K.DELETION, K.CANCELLATION)
ENDS_ACCOUNT = (K.DELETION, K.CANCELLATION)
# What each request does, said before the person confirms it.
WHAT_IT_DOES = {
    K.COPY: N_("We prepare a file with all your personal data: a zip with my-data.json (machine-readable) and my-data.html "
               "(to read). You can download it from the request's page for {period}."),
    K.CORRECTION: N_("Tell us what is wrong and what it should be. Our privacy officer checks it, corrects it and answers you "
                     "by the due date."),
    K.EXPLANATION: N_("Ask how, why or with whom we process your personal data. Our privacy officer answers you in writing "
                      "by the due date."),
    K.WITHDRAWAL: N_("Withdrawing a consent stops that processing from now on and ends the service that depends on it. "
                     "What we did before you withdrew stays lawful."),
    K.DELETION: N_("We delete all your personal data now, your account included: you are logged out and cannot log in "
                   "again. This cannot be undone."),
    K.CANCELLATION: N_("Your account stops now: you are logged out, cannot log in again and we stop collecting and using "
                       "your data. One month later we delete all its data."),
}
# A close relative asks about the deceased's data, not their own: the labels say so.
KIN_RIGHT_LABELS = {
    K.ACCESS: N_("See the deceased's data"),
    K.COPY: N_("A copy of the deceased's data"),
    K.CORRECTION: N_("Correct the deceased's data"),
    K.DELETION: N_("Delete the deceased's data"),
}
CODE_SENT = N_("A code was sent to your account's mobile number. You can request another in {seconds} seconds.")
# Told with every answer and refusal (JD-6.8.1c, JD-10.2b).
REMEDIES = N_("If you are not satisfied with this answer, you can complain to us through customer service or file a new "
              "request here. You can also bring a lawsuit before a people's court with jurisdiction, or complain to the "
              "cyberspace administration, telecommunications, public security or market regulation authorities.")
# What browsers call the proof types the service accepts.
_TYPE_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}
_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
# Errors that are the page's answer as a whole, not a problem with what was typed into a form.
_WHOLE_PAGE = ("not_found", "not_authenticated", "forbidden", "account_unavailable")


def _scope_label(view) -> str:
    """The consent withdrawn, or the right a relative asked for: a message id, or ""."""
    if view.kind == K.WITHDRAWAL and view.scope in K.WITHDRAWABLE:
        return K.WITHDRAWABLE[view.scope][0]
    if view.kind == K.NEXT_OF_KIN and view.scope in KIN_RIGHT_LABELS:
        return KIN_RIGHT_LABELS[view.scope]
    return ""


def _common(loc: str) -> dict:
    return {
        "kinds": K.KINDS, "statuses": K.STATUSES, "grounds": K.REFUSAL_GROUNDS, "events": K.EVENT_LABELS,
        "withdrawable": K.WITHDRAWABLE, "relationships": K.RELATIONSHIPS, "kin_rights": KIN_RIGHT_LABELS,
        "kin_proofs": K.KIN_PROOFS, "remedies": REMEDIES, "scope_label": _scope_label,
        "yuan": lambda fen: f"{fen / 100:.2f}", "open_statuses": K.OPEN, "code_sent": CODE_SENT,
        "pick": (lambda pair: pair[0]) if loc == "zh_CN" else (lambda pair: pair[1]),
    }


def _reraise(err: errors.AppError) -> None:
    if err.code in _WHOLE_PAGE:
        raise err


# -- my data ---------------------------------------------------------------------------------------------
def _me(request: Request, c, user, loc: str, *, data=None, err: errors.AppError | None = None, **extra):
    mine = data if data is not None else c.rights.my_data(user.id)
    context = {
        "user": user, "doc": export.document(*mine, locale=loc, generated_at=c.clock(), labels=c.rights.labels), "full": data is not None,
        "confirm_kinds": CONFIRM_KINDS, "path": "/privacy/me", **_common(loc), **extra,
    }
    return render_error(request, ME, err, **context)


def _send_code(request: Request, c, user, loc: str, page):
    """Send the SMS code to the account's phone, then show `page` again: with "sent", or with why it was not. Asked
    for by code-request.js (Accept: application/json), the answer is only that, and the page stays as it is."""
    in_place = request.headers.get("accept", "").startswith("application/json")
    gettext = gettext_for(loc)
    try:
        wait = c.rights.request_code(user.id, client_address(request), loc)
    except errors.AppError as err:
        _reraise(err)
        if in_place:
            return JSONResponse({"error": {"code": err.code, "message": err.render(gettext)}}, status_code=err.status,
                                headers=err.headers)
        return page(err=err)
    if in_place:
        return JSONResponse({"wait": wait, "message": gettext(CODE_SENT).format(seconds=wait)})
    return page(sent=True, wait=wait)


@router.get("/privacy/me")
def my_data_page(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep):
    """Everything held about me, masked, with category, legal basis and retention (JD-6.1.1, CN-8.1.1a)."""
    return _me(request, c, user, loc)


@router.post("/privacy/me/code", dependencies=[Csrf])
def my_data_code(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep):
    return _send_code(request, c, user, loc, functools.partial(_me, request, c, user, loc))


@router.post("/privacy/me/full", dependencies=[Csrf])
def my_data_full(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, code: Text(10) = ""):
    """The same page with full values, after a fresh SMS code; the response is not stored (no-store)."""
    try:
        data = c.rights.disclose(user.id, code.strip())
    except errors.AppError as err:
        _reraise(err)
        return _me(request, c, user, loc, err=err, sent=True)
    return _me(request, c, user, loc, data=data)


# -- filing a request: what it does first, then the SMS code -------------------------------------------------
def _confirm(request: Request, c, user, loc: str, kind: str, *, scope: str = "", details: str = "",
             err: errors.AppError | None = None, **extra):
    if kind not in CONFIRM_KINDS:
        raise errors.not_found()
    preview = c.rights.preview(user.id, kind) if kind in ENDS_ACCOUNT else None
    pick = _common(loc)["pick"]
    context = {
        "user": user, "kind": kind, "scope": scope if scope in K.WITHDRAWABLE else "", "details": details,
        "what": WHAT_IT_DOES[kind], "export_ttl": dt.timedelta(hours=c.settings.rights_export_ttl_hours), "preview": preview,
        "blocked_by": list(preview.blocked_by) if preview else [], "reasons": REASONS, "actions": ACTIONS,
        "will_erase": [(pick(label), n) for label, n in preview.will_erase] if preview else [],
        "will_keep": [(pick(r.label), pick((r.law_zh, r.law_en)), china_date(r.until)) for r in preview.will_keep] if preview else [],
        "will_notify": [(pick(x.recipient.label), pick(ROLE_LABELS[x.recipient.role]), x.records)
                        for x in preview.will_notify] if preview else [],
        "erase_after": china_date(preview.erase_after) if preview and preview.erase_after else "",
        "path": f"/privacy/confirm/{kind}", **_common(loc), **extra,
    }
    return render_error(request, CONFIRM, err, **context)


@router.get("/privacy/confirm/{kind}")
def confirm_page(request: Request, kind: KindPath, user: PageUser, c: ContainerDep, loc: LocaleDep,
                 scope: Annotated[str, Query(max_length=40)] = ""):
    return _confirm(request, c, user, loc, kind, scope=scope)


@router.post("/privacy/confirm/{kind}/code", dependencies=[Csrf])
def confirm_code(request: Request, kind: KindPath, user: PageUser, c: ContainerDep, loc: LocaleDep, scope: Text(40) = "",
                 details: Text(2000) = ""):
    """Step 1: a code to the account's own phone, to confirm it is me (JD-6.8.1a); what was typed comes back."""
    if kind not in CONFIRM_KINDS:
        raise errors.not_found()
    return _send_code(request, c, user, loc, functools.partial(_confirm, request, c, user, loc, kind, scope=scope, details=details))


@router.post("/privacy/confirm/{kind}", dependencies=[Csrf])
def confirm_submit(request: Request, kind: KindPath, user: PageUser, c: ContainerDep, loc: LocaleDep,
                   code: Text(10) = "", scope: Text(40) = "", details: Text(2000) = ""):
    """Step 2: file the request with the code."""
    if kind not in CONFIRM_KINDS:
        raise errors.not_found()
    form = {"scope": scope, "details": details}
    before = c.rights.preview(user.id, kind) if kind in ENDS_ACCOUNT else None
    try:
        rid = c.rights.submit(user.id, kind, code.strip(), scope=scope, details=details)
    except errors.AppError as err:
        _reraise(err)
        return _confirm(request, c, user, loc, kind, err=err, sent=True, **form)
    if kind not in ENDS_ACCOUNT:
        return redirect(f"/privacy/requests/{rid}?saved=1")
    view = c.rights.my_request(user.id, rid)
    if view.status == K.AWAITING_FEE:  # nothing happens before the fee is accepted, so the account still works
        return redirect(f"/privacy/requests/{rid}?saved=1")
    # The account has stopped (cancellation) or is being erased (deletion): say what happened and log out here.
    pick = _common(loc)["pick"]
    response = render(request, DONE, user=None, kind=kind, view=view, erase_after=china_date(view.erase_after),
                      will_keep=[(pick(r.label), pick((r.law_zh, r.law_en)), china_date(r.until)) for r in before.will_keep],
                      path="/", **_common(loc))
    response.delete_cookie(SESSION_COOKIE)
    return response


# -- my requests and copies ---------------------------------------------------------------------------------
@router.get("/privacy/requests")
def requests_page(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep):
    return render(request, REQUESTS, user=user, requests=c.rights.my_requests(user.id), **_common(loc))


def _request(request: Request, c, user, loc: str, request_id: str, *, err: errors.AppError | None = None, **extra):
    context = {"user": user, "r": c.rights.my_request(user.id, request_id), **_common(loc), **extra}
    context["path"] = f"/privacy/requests/{context['r'].id}"
    return render_error(request, REQUEST, err, **context)


@router.get("/privacy/requests/{request_id}")
def request_page(request: Request, request_id: ItemId, user: PageUser, c: ContainerDep, loc: LocaleDep,
                 saved: Annotated[int, Query(ge=0, le=1)] = 0):
    return _request(request, c, user, loc, request_id, saved=saved)


@router.post("/privacy/requests/{request_id}/accept-fee", dependencies=[Csrf])
def accept_fee_submit(request: Request, request_id: ItemId, user: PageUser, c: ContainerDep, loc: LocaleDep):
    """Accept the fee quoted for a request beyond the free ones (JD-6.8.3a); it is processed from then on."""
    try:
        c.rights.accept_fee(user.id, request_id)
    except errors.AppError as err:
        _reraise(err)
        return _request(request, c, user, loc, request_id, err=err)
    return redirect(f"/privacy/requests/{errors.id_or_not_found(request_id)}?saved=1")


@router.get("/privacy/copies/{export_id}")
def copy_download(export_id: ItemId, user: PageUser, c: ContainerDep):
    """My copy: only mine, only while it is offered; anyone else's id is "not found"."""
    blob = c.rights.download(user.id, export_id)
    return Response(blob, media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="jidi-my-data.zip"'})


# -- next of kin -----------------------------------------------------------------------------------------
def _kin(request: Request, c, user, loc: str, *, err: errors.AppError | None = None, **extra):
    context = {"user": user, "form": {}, "max_mb": MAX_PROOF_BYTES // (1024 * 1024), "path": "/privacy/kin", **_common(loc), **extra}
    return render_error(request, KIN, err, **context)


@router.get("/privacy/kin")
def kin_page(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep):
    return _kin(request, c, user, loc)


@router.post("/privacy/kin/code", dependencies=[Csrf])
def kin_code(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, deceased_phone: Text(20) = "",
             relationship: Text(16) = "", right: Text(16) = "", details: Text(2000) = ""):
    """The code, with what was typed shown again (files cannot be: code-request.js keeps them by not leaving the page)."""
    form = {"deceased_phone": deceased_phone, "relationship": relationship, "right": right, "details": details}
    return _send_code(request, c, user, loc, functools.partial(_kin, request, c, user, loc, form=form))


def _proof(upload: UploadFile | None) -> tuple[str, bytes] | None:
    """(content type, bytes) of an uploaded proof, or None when the field was left empty. Reads at most one byte
    more than allowed, so an oversized file is refused by the service without being read whole."""
    if upload is None or isinstance(upload, str):
        return None
    content = upload.file.read(MAX_PROOF_BYTES + 1)
    if not content:
        return None
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    declared = _TYPE_ALIASES.get(declared, declared)
    if declared in ("", "application/octet-stream"):  # the browser did not know: go by what the file starts with
        declared = next((t for t, magic in K.PROOF_TYPES.items() if content.startswith(magic)), declared)
    return declared, content


@router.post("/privacy/kin", dependencies=[Csrf])
def kin_submit(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, code: Text(10) = "",
               deceased_phone: Text(20) = "", relationship: Text(16) = "", right: Text(16) = "", details: Text(2000) = "",
               deceased_id: Upload = None, death_certificate: Upload = None, applicant_id: Upload = None,
               kinship: Upload = None):
    """A close relative's request about a deceased user's data, with its four proofs (JD-6.8.2, Ambiguity A15)."""
    form = {"deceased_phone": deceased_phone, "relationship": relationship, "right": right, "details": details}
    uploads = {"deceased_id": deceased_id, "death_certificate": death_certificate, "applicant_id": applicant_id, "kinship": kinship}
    proofs = {kind: got for kind, up in uploads.items() if (got := _proof(up)) is not None}
    try:
        rid = c.rights.submit_kin(user.id, code.strip(), deceased_phone=deceased_phone, relationship=relationship, right=right,
                                  details=details, proofs=proofs)
    except errors.AppError as err:
        _reraise(err)
        return _kin(request, c, user, loc, err=err, form=form, sent=True)
    return redirect(f"/privacy/requests/{rid}?saved=1")


# -- the privacy officer ---------------------------------------------------------------------------------
def _officer(staff) -> None:
    if staff.role is not Role.PRIVACY_OFFICER:
        raise errors.forbidden()


def _officer_request(request: Request, c, staff, loc: str, request_id: str, *, err: errors.AppError | None = None, **extra):
    view, text = c.rights.officer_request(staff.actor, request_id)
    context = {"staff": staff, "r": view, "text": text, "answer": "", "ground": "", "reason": "", "revealed": {},
               "officer_proofs": K.KIN_PROOFS_FOR_OFFICER,
               "path": f"/staff/privacy/{view.id}", **_common(loc), **extra}
    return render_error(request, OFFICER_REQUEST, err, **context)


@router.get("/staff/privacy")
def officer_queue(request: Request, staff: StaffUser, c: ContainerDep, loc: LocaleDep,
                  closed: Annotated[int, Query(ge=0, le=1)] = 0):
    """Open requests, the soonest due first; overdue, due soon and provisional due dates marked."""
    _officer(staff)
    return render(request, QUEUE, staff=staff, queue=c.rights.queue(staff.actor, include_closed=bool(closed)), closed=closed,
                  register=c.rights.share_register(staff.actor), role_labels=ROLE_LABELS, labels=LABELS, **_common(loc))


@router.get("/staff/privacy/{request_id}")
def officer_request_page(request: Request, request_id: ItemId, staff: StaffUser, c: ContainerDep, loc: LocaleDep,
                         done: Annotated[str, Query(max_length=20)] = ""):
    _officer(staff)
    return _officer_request(request, c, staff, loc, request_id, done=done if done in ("approved", "refused") else "")


@router.post("/staff/privacy/{request_id}/reveal", dependencies=[Csrf])
def officer_reveal(request: Request, request_id: ItemId, staff: StaffUser, c: ContainerDep, loc: LocaleDep, who: Text(20) = ""):
    """The requester's (or the deceased account's) full mobile number, shown on this page only: a POST, so the number
    never appears in a URL; audited as opened for the rights request."""
    _officer(staff)
    shown = c.rights.officer_reveal(staff.actor, request_id, who)
    return _officer_request(request, c, staff, loc, request_id, revealed={who: shown})


@router.get("/staff/privacy/{request_id}/proofs/{proof_id}")
def officer_proof(request_id: ItemId, proof_id: ItemId, staff: StaffUser, c: ContainerDep):
    """One proof document of a next-of-kin request, as a download (never rendered inline, never cached)."""
    _officer(staff)
    content_type, content = c.rights.officer_proof(staff.actor, request_id, proof_id)
    name = f"proof-{errors.id_or_not_found(proof_id).hex[:8]}.{_EXTENSIONS.get(content_type, 'bin')}"
    return Response(content, media_type=content_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/staff/privacy/{request_id}/approve", dependencies=[Csrf])
def officer_approve(request: Request, request_id: ItemId, staff: StaffUser, c: ContainerDep, loc: LocaleDep,
                    answer: Text(2000) = ""):
    _officer(staff)
    try:
        c.rights.approve(staff.actor, request_id, answer)
    except errors.AppError as err:
        _reraise(err)
        return _officer_request(request, c, staff, loc, request_id, err=err, answer=answer)
    return redirect(f"/staff/privacy/{errors.id_or_not_found(request_id)}?done=approved")


@router.post("/staff/privacy/{request_id}/refuse", dependencies=[Csrf])
def officer_refuse(request: Request, request_id: ItemId, staff: StaffUser, c: ContainerDep, loc: LocaleDep,
                   ground: Text(32) = "", reason: Text(2000) = ""):
    """Refuse on one of the lawful grounds only, with a written reason the requester sees (JD-6.8.3c)."""
    _officer(staff)
    try:
        c.rights.refuse(staff.actor, request_id, ground, reason)
    except errors.AppError as err:
        _reraise(err)
        return _officer_request(request, c, staff, loc, request_id, err=err, ground=ground, reason=reason)
    return redirect(f"/staff/privacy/{errors.id_or_not_found(request_id)}?done=refused")

