"""Address-book pages: list (masked), new and edit forms, set default, delete. No JavaScript needed.

The entry form submits step by step: "Fill in" splits pasted text into the fields, "Show districts" lists the
districts of the chosen province (grouped by city), "Save" stores the entry. Until "Save", the typed values
only travel in the form itself: nothing is stored.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from jidi import errors, regions
from jidi.i18n import N_, gettext_for
from jidi.addressbook import feature, ocr, service
from jidi.kit.deps import ContainerDep, Csrf, LocaleDep, PageUser, redirect, render, render_error
from jidi.kit.permissions import Kind

router = APIRouter(include_in_schema=False)

Text = lambda n: Annotated[str, Form(max_length=n)]  # noqa: E731
FORM = "addressbook_form.html"
# Form fields accept more than an entry may hold, so an over-long value gets the form back with a clear message.
LONG = 500


def _form(*, kind: str = "recipient", name: str = "", phone: str = "", province: str = "", region_code: str = "",
          detail: str = "", is_default: bool = False) -> dict:
    return {"kind": kind if kind in service.KINDS else "recipient", "name": name, "phone": phone, "province": province,
            "region_code": region_code, "detail": detail, "is_default": is_default}


def _context(form: dict, entry_id=None, assist=()) -> dict:
    province = form["province"] if regions.get(form["province"]) and regions.get(form["province"]).parent is None else ""
    return {
        "form": {**form, "province": province},
        "entry_id": entry_id,
        "provinces": regions.provinces(),
        "districts": regions.leaves_under(province) if province else [],
        "consent_notice": service.CONSENT_NOTICE,
        "assist": assist,
    }


def _assist(c, user) -> list:
    """The device assists this customer's form offers: the feature's declared permissions, less those turned off in
    jidi's settings (JD-6.6c). The buttons stay hidden until the page's script shows them (no JavaScript: type)."""
    off = c.devices.turned_off(user.id)
    return [p for p in feature.permissions if p.kind not in off]


def _province_of(code: str) -> str:
    path = regions.ancestors(code)
    return path[0].code if path else ""


@router.get("/address-book")
def list_page(request: Request, user: PageUser, c: ContainerDep, saved: Annotated[str, Query(max_length=20)] = ""):
    entries = c.addressbook.list(user.id)
    return render(request, "addressbook.html", user=user, saved=saved, consent_notice=service.CONSENT_NOTICE,
                  senders=[e for e in entries if e.kind == "sender"], recipients=[e for e in entries if e.kind == "recipient"])


@router.get("/address-book/new")
def new_page(request: Request, user: PageUser, c: ContainerDep, kind: Annotated[str, Query(max_length=10)] = "recipient"):
    return render(request, FORM, user=user, **_context(_form(kind=kind), None, _assist(c, user)))


def _submit(request: Request, user, c, action: str, form: dict, paste_text: str, entry_id=None):
    """One step of the entry form: fill in from pasted text, list a province's districts, or save."""
    if action == "paste":
        try:
            parsed = c.addressbook.parse(paste_text)
        except errors.AppError as err:
            return render_error(request, FORM, err, user=user, **_context(form, entry_id, _assist(c, user)))
        code = parsed.region_code or ""
        form = {**form, "name": parsed.name or form["name"], "phone": parsed.phone or form["phone"],
                "detail": parsed.detail or form["detail"], "province": _province_of(code) if code else form["province"],
                "region_code": code if regions.is_leaf(code) else ""}
        return render(request, FORM, user=user, pasted=True, **_context(form, entry_id, _assist(c, user)))
    if action == "region":
        if form["province"] and regions.get(form["province"]) is None:
            return render_error(request, FORM, errors.invalid_region(), user=user, **_context(form, entry_id, _assist(c, user)))
        return render(request, FORM, user=user, **_context(form, entry_id, _assist(c, user)))
    try:
        data = service.validate(form["kind"], form["name"], form["phone"], form["region_code"], form["detail"],
                                form["is_default"], within=form["province"] or None)
        if entry_id is None:
            c.addressbook.create(user.id, data)
        else:
            c.addressbook.update(user.id, entry_id, data)
    except errors.AppError as err:
        if err.code == "not_found":
            raise
        return render_error(request, FORM, err, user=user, **_context(form, entry_id, _assist(c, user)))
    return redirect("/address-book?saved=1")


@router.post("/address-book/new", dependencies=[Csrf])
def new_submit(request: Request, user: PageUser, c: ContainerDep, action: Text(10) = "save", kind: Text(10) = "recipient",
               name: Text(LONG) = "", phone: Text(LONG) = "", province: Text(20) = "", region_code: Text(20) = "",
               detail: Text(LONG) = "", is_default: Text(5) = "", paste: Text(1000) = ""):
    form = _form(kind=kind, name=name, phone=phone, province=province, region_code=region_code, detail=detail,
                 is_default=is_default == "on")
    return _submit(request, user, c, action, form, paste)


def _kind_on(c, user, kind: Kind) -> None:
    """A device assist the customer turned off in jidi is not served either (JD-6.6c)."""
    if kind in c.devices.turned_off(user.id):
        raise errors.AppError("permission_off", N_("You turned this off in your device-permission settings. Type the "
                                                   "details instead, or turn it on again in settings."), 409)


@router.post("/address-book/locate", dependencies=[Csrf])
def locate(user: PageUser, c: ContainerDep, loc: LocaleDep, latitude: Annotated[float, Form(ge=-90, le=90)],
           longitude: Annotated[float, Form(ge=-180, le=180)]):
    """The district nearest to a position the browser gave (JD-1.1.2(4)d): computed here from the regions' centres,
    used once, neither stored nor logged, and no other service is asked. For the form's "my location" assist."""
    try:
        _kind_on(c, user, Kind.GEOLOCATION)
        code = regions.nearest(latitude, longitude)
        if code is None:
            raise errors.AppError("outside_service_area", N_("That position is not in mainland China: choose the province "
                                                             "and district instead."), 422)
    except errors.AppError as err:
        return JSONResponse({"error": {"code": err.code, "message": err.render(gettext_for(loc))}}, status_code=err.status)
    return JSONResponse({"region_code": code, "province": _province_of(code), "name": regions.full_name(code, loc)})


@router.post("/address-book/new/photo", dependencies=[Csrf])
def read_photo(request: Request, user: PageUser, c: ContainerDep, photo: Annotated[UploadFile | None, File()] = None,
               kind: Text(10) = "recipient"):
    """Read a name, number and address from a photo (JD-1.1.2(4)c, CN-3.4.4) with the OCR engine installed here
    (Tesseract), then fill the form as pasted text would: the photo is read in memory and not stored, the text goes
    only into the form. Works without JavaScript (a file field)."""
    form = _form(kind=kind)
    try:
        _kind_on(c, user, Kind.CAMERA)
        text = ocr.read(photo.file.read(ocr.MAX_BYTES + 1) if photo is not None else b"")
        parsed = c.addressbook.parse(text[:500])
    except errors.AppError as err:
        return render_error(request, FORM, err, user=user, **_context(form, None, _assist(c, user)))
    code = parsed.region_code or ""
    form = {**form, "name": parsed.name or "", "phone": parsed.phone or "", "detail": parsed.detail or "",
            "province": _province_of(code) if code else "", "region_code": code if regions.is_leaf(code) else ""}
    return render(request, FORM, user=user, pasted=True, paste_text=text[:500], **_context(form, None, _assist(c, user)))


@router.post("/address-book/{entry_id}/edit", dependencies=[Csrf])
def edit_open(request: Request, entry_id: str, user: PageUser, c: ContainerDep):
    """Open an entry in full for editing: a reveal to its holder, recorded in the access log."""
    e = c.addressbook.open(user.actor, entry_id)
    form = _form(kind=e.kind, name=e.name, phone=e.phone, province=_province_of(e.region_code), region_code=e.region_code,
                 detail=e.detail, is_default=e.is_default)
    return render(request, FORM, user=user, **_context(form, e.id))


@router.post("/address-book/{entry_id}", dependencies=[Csrf])
def edit_submit(request: Request, entry_id: str, user: PageUser, c: ContainerDep, action: Text(10) = "save",
                kind: Text(10) = "recipient", name: Text(LONG) = "", phone: Text(LONG) = "", province: Text(20) = "",
                region_code: Text(20) = "", detail: Text(LONG) = "", is_default: Text(5) = "",
                paste: Text(1000) = ""):
    c.addressbook.get(user.id, entry_id)  # someone else's (or no) entry: 404 before anything else
    form = _form(kind=kind, name=name, phone=phone, province=province, region_code=region_code, detail=detail,
                 is_default=is_default == "on")
    return _submit(request, user, c, action, form, paste, entry_id=entry_id)


@router.post("/address-book/{entry_id}/default", dependencies=[Csrf])
def default_submit(entry_id: str, user: PageUser, c: ContainerDep):
    c.addressbook.set_default(user.id, entry_id)
    return redirect("/address-book?saved=default")


@router.get("/address-book/{entry_id}/delete")
def delete_page(request: Request, entry_id: str, user: PageUser, c: ContainerDep):
    """Ask before deleting: the entry (masked) and what deleting it means."""
    return render(request, "addressbook_delete.html", user=user, entry=c.addressbook.get(user.id, entry_id))


@router.post("/address-book/{entry_id}/delete", dependencies=[Csrf])
def delete_submit(entry_id: str, user: PageUser, c: ContainerDep, confirm: Text(3) = ""):
    if confirm != "yes":  # not from the confirmation page: ask first
        c.addressbook.get(user.id, entry_id)  # someone else's (or no) entry: 404, as for the page
        return redirect(f"/address-book/{entry_id}/delete")
    c.addressbook.delete(user.id, entry_id)
    return redirect("/address-book?saved=deleted")
