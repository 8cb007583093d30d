"""Pages: the marketing settings (per channel, do-not-disturb hours, push devices), the in-app messages, the staff
console's opt-out by phone and campaign tool, the SMS gateway's inbound callback and, outside production, a phone
that replies to a marketing SMS. Plain forms, no JavaScript."""
from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse

from jidi import errors
from jidi.kit.deps import ContainerDep, Csrf, LocaleDep, PageUser, StaffUser, redirect, render, render_error
from jidi.marketing.channels import QUIET_END, QUIET_START, Channel
from jidi.marketing.service import CAMPAIGN_ROLES, OPT_OUT_ROLES

router = APIRouter(include_in_schema=False)

Text = lambda n: Annotated[str, Form(max_length=n)]  # noqa: E731
SETTINGS = "marketing_settings.html"


def _settings(request: Request, c, user, loc, *, err: errors.AppError | None = None, **extra):
    context = {"user": user, "channels": c.marketing.states(user.id, loc), "quiet": c.marketing.quiet_hours(user.id),
               "night": (QUIET_START, QUIET_END), "devices": c.marketing.devices(user.id), "hours": range(24), **extra}
    return render_error(request, SETTINGS, err, **context)


@router.get("/settings/marketing")
def settings_page(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep,
                  saved: Annotated[str, Query(max_length=20)] = ""):
    return _settings(request, c, user, loc, saved=saved)


@router.post("/settings/marketing/{channel}/on", dependencies=[Csrf])
def turn_on(request: Request, channel: str, user: PageUser, c: ContainerDep, loc: LocaleDep, token: Text(1000) = ""):
    try:
        c.marketing.grant(user.id, channel, token)
    except errors.AppError as err:
        return _settings(request, c, user, loc, err=err)
    return redirect("/settings/marketing?saved=on")


@router.post("/settings/marketing/{channel}/off", dependencies=[Csrf])
def turn_off(request: Request, channel: str, user: PageUser, c: ContainerDep, loc: LocaleDep):
    try:
        c.marketing.withdraw(user.id, channel)
    except errors.AppError as err:
        return _settings(request, c, user, loc, err=err)
    return redirect("/settings/marketing?saved=off")


@router.post("/settings/marketing/quiet-hours", dependencies=[Csrf])
def quiet_hours(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep, start: Text(2) = "", end: Text(2) = ""):
    try:
        c.marketing.set_quiet_hours(user.id, start, end)
    except errors.AppError as err:
        return _settings(request, c, user, loc, err=err)
    return redirect("/settings/marketing?saved=quiet")


@router.post("/settings/marketing/devices", dependencies=[Csrf])
def add_device(user: PageUser, c: ContainerDep):
    c.marketing.register_device(user.id)
    return redirect("/settings/marketing?saved=device")


@router.post("/settings/marketing/devices/remove", dependencies=[Csrf])
def remove_devices(user: PageUser, c: ContainerDep):
    c.marketing.remove_devices(user.id)
    return redirect("/settings/marketing?saved=device")


@router.get("/messages")
def inbox(request: Request, user: PageUser, c: ContainerDep, loc: LocaleDep):
    return render(request, "marketing_inbox.html", user=user, messages=c.marketing.inbox(user.id, loc))


# -- the SMS gateway's callback --------------------------------------------------------------------------------
@router.post("/sms/inbound")
async def sms_inbound(request: Request, c: ContainerDep):
    body = await request.body()
    if len(body) > 4096:
        raise errors.invalid_field("body")
    outcome = c.marketing.sms_reply(dict(request.headers), body)
    return JSONResponse({"ok": True, "outcome": outcome})


@router.get("/dev/sms-reply")
def dev_reply_page(request: Request, c: ContainerDep):
    if c.settings.env == "production":
        raise errors.not_found()
    return render(request, "marketing_dev_reply.html", outcome=None)


@router.post("/dev/sms-reply")
def dev_reply(request: Request, c: ContainerDep, phone: Text(20) = "", text: Text(160) = ""):
    """The carrier simulator: the reply arrives as a signed gateway callback, as from a real phone."""
    if c.settings.env == "production":
        raise errors.not_found()
    return render(request, "marketing_dev_reply.html", outcome=c.marketing.simulate_reply(phone, text))


# -- staff: opt-out by phone (customer service) ---------------------------------------------------------------------
OPT_OUT = "marketing_staff_opt_out.html"


def _staff_opt_out(staff) -> None:
    if staff.role not in OPT_OUT_ROLES:
        raise errors.forbidden()


@router.get("/staff/marketing/opt-out")
def staff_opt_out_page(request: Request, staff: StaffUser):
    _staff_opt_out(staff)
    return render(request, OPT_OUT, staff=staff, channels=list(Channel), done=None)


@router.post("/staff/marketing/opt-out", dependencies=[Csrf])
def staff_opt_out(request: Request, staff: StaffUser, c: ContainerDep, phone: Text(20) = "", channel: Text(10) = ""):
    _staff_opt_out(staff)
    try:
        changed = c.marketing.agent_opt_out(staff.actor, phone, channel)
    except errors.AppError as err:
        return render_error(request, OPT_OUT, err, staff=staff, channels=list(Channel), done=None)
    return render(request, OPT_OUT, staff=staff, channels=list(Channel), done="recorded" if changed else "already_off")


# -- staff: campaigns ------------------------------------------------------------------------------------------------------
CAMPAIGNS = "marketing_campaigns.html"


def _staff_campaigns(staff) -> None:
    if staff.role not in CAMPAIGN_ROLES:
        raise errors.forbidden()


def _campaigns(request: Request, c, staff, *, err=None, **extra):
    camps = c.marketing.campaigns()
    context = {"staff": staff, "campaigns": camps, "counts": {cp.id: c.marketing.counts(cp.id) for cp in camps},
               "channels": list(Channel), "form": {}, "preview": None, **extra}
    return render_error(request, CAMPAIGNS, err, **context)


@router.get("/staff/marketing")
def campaigns_page(request: Request, staff: StaffUser, c: ContainerDep):
    _staff_campaigns(staff)
    return _campaigns(request, c, staff)


@router.post("/staff/marketing/campaigns", dependencies=[Csrf])
async def campaign_submit(request: Request, staff: StaffUser, c: ContainerDep):
    """Preview (action=preview) or save a draft (action=save) from one form."""
    _staff_campaigns(staff)
    data = await request.form()
    form = {k: str(data.get(k, ""))[:600] for k in ("name", "text_zh", "text_en", "province", "shipped_within_days", "action")}
    chosen = [str(v)[:10] for v in data.getlist("channels")][:10]
    form["channels"] = chosen
    try:
        seg = c.marketing.segment(form["province"], form["shipped_within_days"])
        if form["action"] == "save":
            c.marketing.create(staff.actor, form["name"], seg, chosen, form["text_zh"], form["text_en"])
            return redirect("/staff/marketing")
        preview = c.marketing.preview(staff.actor, seg, chosen, form["text_zh"], form["text_en"])
    except errors.AppError as err:
        return _campaigns(request, c, staff, err=err, form=form)
    return _campaigns(request, c, staff, form=form, preview=preview)


@router.post("/staff/marketing/campaigns/{campaign_id}/send", dependencies=[Csrf])
def campaign_send(request: Request, campaign_id: uuid.UUID, staff: StaffUser, c: ContainerDep):
    _staff_campaigns(staff)
    try:
        c.marketing.queue(staff.actor, campaign_id)
    except errors.AppError as err:
        if err.code == "not_found":
            raise
        return _campaigns(request, c, staff, err=err)
    return redirect("/staff/marketing")
