"""Device permissions as purpose-bound grants (promises area 11, JD-1.1.2(4)): the set jidi may ask for is the set
the features declare, each is asked for only from the feature that needs it, and each can be turned off in jidi."""
from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from jidi import regions
from jidi.features import registered
from jidi.kit import permissions
from jidi.kit.permissions import Kind
from jidi.web.pages import declared_permissions
from tests.pii import ADDRESSES, NAMES, PHONES
from tests.test_addressbook import field, selected, web_login

SRC = Path(__file__).resolve().parent.parent / "src" / "jidi"
STATIC = SRC / "web" / "static"
_SCRIPT_SRC = re.compile(r'<script[^>]*\bsrc="/static/([^"]+)"')
_INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)


def _template_dirs() -> list[tuple[str | None, Path]]:
    """Every folder of page templates, with the feature it belongs to (None: the app's and the kit's, no feature)."""
    dirs: list[tuple[str | None, Path]] = [(None, SRC / "web" / "templates"), (None, SRC / "kit" / "templates")]
    dirs += [(f.name, f.template_dir) for f in registered() if f.template_dir]
    return dirs


def permissions_used(folder: Path) -> dict[str, set[Kind]]:
    """template → the permission kinds its scripts (loaded from /static or inline) ask the browser for."""
    used: dict[str, set[Kind]] = {}
    for template in sorted(folder.rglob("*.html")):
        html = template.read_text(encoding="utf-8")
        scripts = [(STATIC / name).read_text(encoding="utf-8") for name in _SCRIPT_SRC.findall(html)]
        scripts += _INLINE.findall(html)
        kinds = set().union(*(permissions.used_in(s) for s in scripts)) if scripts else set()
        if kinds:
            used[template.name] = kinds
    return used


@pytest.mark.promise("JD-6.6a")
def test_no_page_uses_a_permission_its_feature_does_not_declare():
    seen: set[Kind] = set()
    for feature_name, folder in _template_dirs():
        declared = {p.kind for f in registered() if f.name == feature_name for p in f.permissions}
        for template, kinds in permissions_used(folder).items():
            assert kinds <= declared, (f"{template} ({feature_name or 'no feature'}) asks the browser for "
                                       f"{sorted(kinds - declared)}, which its feature does not declare")
            seen |= kinds
    # Every script that asks for a permission is loaded by some page (so the check above saw it).
    for script in STATIC.glob("*.js"):
        if script.name.startswith("swagger"):
            continue
        if permissions.used_in(script.read_text(encoding="utf-8")):
            assert any(script.name in t.read_text(encoding="utf-8") for _, d in _template_dirs() for t in d.rglob("*.html")), script
    assert {Kind.GEOLOCATION, Kind.CONTACTS, Kind.MICROPHONE} <= seen


def test_the_scan_finds_each_permission_api():
    assert permissions.used_in("navigator.geolocation.getCurrentPosition(ok)") == {Kind.GEOLOCATION}
    assert permissions.used_in("navigator.contacts.select(['name'])") == {Kind.CONTACTS}
    assert permissions.used_in("new webkitSpeechRecognition()") == {Kind.MICROPHONE}
    assert permissions.used_in("navigator.mediaDevices.getUserMedia({video: true})") == {Kind.CAMERA}
    assert permissions.used_in("navigator.mediaDevices.getUserMedia({audio: true})") == {Kind.MICROPHONE}
    assert permissions.used_in("Notification.requestPermission()") == {Kind.NOTIFICATIONS}
    assert permissions.used_in("navigator.permissions.query({name: 'camera'})") == set()  # asks the user nothing


def test_every_declared_permission_names_its_purpose_and_a_real_page(app):
    pages = {getattr(r, "path", None) for r in app.routes} | {getattr(r, "path", None) for r in _all_routes(app)}
    declared = declared_permissions()
    assert {k for k, _ in declared} == {Kind.GEOLOCATION, Kind.CONTACTS, Kind.CAMERA, Kind.MICROPHONE}
    for _kind, uses in declared:
        for _feature, p in uses:
            assert p.purpose and p.feature and p.page in pages


def _all_routes(app):
    from tests.test_caching import _routes  # noqa: PLC0415

    return list(_routes(app.routes))


def test_regions_nearest_names_the_district_of_a_point_in_mainland_china():
    assert regions.nearest(39.99, 116.31) == "110108"  # 海淀区
    assert regions.nearest(31.23, 121.47) == "310101"  # 黄浦区
    assert regions.nearest(35.68, 139.69) is None  # Tokyo
    assert regions.nearest(0, 0) is None
    assert all(regions.is_leaf(code) for code, _lat, _lon in regions._centroids())


@pytest.mark.promise("JD-1.1.2(4)d")
def test_locate_fills_a_district_and_stores_nothing(client, sms, container):
    token = web_login(client, sms)
    r = client.post("/address-book/locate", data={"csrf_token": token, "latitude": "39.99", "longitude": "116.31"})
    assert r.status_code == 200 and r.json() == {"region_code": "110108", "province": "110000", "name": "北京市海淀区"}
    far = client.post("/address-book/locate?lang=en", data={"csrf_token": token, "latitude": "35.68", "longitude": "139.69"})
    assert far.status_code == 422 and far.json()["error"]["code"] == "outside_service_area"
    assert "mainland China" in far.json()["error"]["message"]
    assert client.post("/address-book/locate", data={"csrf_token": token, "latitude": "north", "longitude": "1"}).status_code == 422
    assert client.post("/address-book/locate", data={"latitude": "39.99", "longitude": "116.31"}).status_code == 403
    # The form's region step takes the located district, as the page's script sends it.
    page = client.post("/address-book/new", data={"csrf_token": token, "action": "region", "province": "110000",
                                                   "region_code": "110108"})
    assert selected(page.text, "region_code") == "110108"


@pytest.mark.promise("JD-6.4.1", "CN-8.3.1a", "ZK-1.2b", "JD-6.6c", "ZK-1.2c", "ZK-1.2a")
def test_a_permission_turned_off_in_settings_disables_only_its_feature(client, sms, container):
    token = web_login(client, sms)
    page = client.get("/settings/permissions?lang=en")
    assert page.status_code == 200
    for kind in ("geolocation", "contacts", "camera", "microphone"):
        assert f'data-testid="permission-{kind}" data-kind="{kind}" data-state="on"' in page.text
    assert 'data-testid="permission-notifications"' not in page.text  # not declared by any feature: never asked
    assert "Site settings" in page.text  # how to revoke it in the browser too
    form = client.get("/address-book/new").text
    assert 'data-assist="geolocation"' in form and 'data-testid="photo-form"' in form
    r = client.post("/settings/permissions", data={"csrf_token": token, "kind": "geolocation", "allowed": ""}, follow_redirects=False)
    assert r.status_code == 303
    assert 'data-kind="geolocation" data-state="off"' in client.get("/settings/permissions").text
    form = client.get("/address-book/new").text
    assert 'data-assist="geolocation"' not in form and 'data-assist="contacts"' in form and 'data-testid="photo-form"' in form
    r = client.post("/address-book/locate", data={"csrf_token": token, "latitude": "39.99", "longitude": "116.31"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "permission_off"
    # Typing still works: the entry is saved without any device help (JD-1.1.2(4)a).
    saved = client.post("/address-book/new", data={"csrf_token": token, "action": "save", "kind": "recipient", "name": NAMES[3],
                                                   "phone": PHONES[1], "province": "110000", "region_code": "110108",
                                                   "detail": ADDRESSES[0]}, follow_redirects=False)
    assert saved.status_code == 303
    client.post("/settings/permissions", data={"csrf_token": token, "kind": "geolocation", "allowed": "on"})
    assert 'data-assist="geolocation"' in client.get("/address-book/new").text
    bad = client.post("/settings/permissions", data={"csrf_token": token, "kind": "bluetooth", "allowed": ""})
    assert bad.status_code == 422
    assert client.post("/settings/permissions", data={"kind": "camera", "allowed": ""}).status_code == 403


def test_the_assists_are_hidden_until_the_script_shows_them(client, sms):
    web_login(client, sms)
    form = client.get("/address-book/new").text
    assert re.search(r'<div class="assist-buttons" hidden', form)
    assert all("hidden" in b for b in re.findall(r"<button[^>]*data-assist=[^>]*>", form))
    assert all("hidden" in p for p in re.findall(r"<div[^>]*data-explain=[^>]*>", form))


def _photo(lines: list[str]) -> bytes:
    from PIL import Image, ImageDraw, ImageFont  # noqa: PLC0415

    font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 40)
    img = Image.new("RGB", (1000, 90 * len(lines) + 20), "white")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((20, 20 + 90 * i), line, fill="black", font=font)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.promise("JD-1.1.2(4)c")
@pytest.mark.skipif(shutil.which("tesseract") is None or not Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists(),
                    reason="needs Debian's tesseract-ocr, tesseract-ocr-chi-sim and fonts-wqy-microhei (make test installs them)")
def test_a_photo_of_an_address_fills_the_form_and_is_not_kept(client, sms, container):
    token = web_login(client, sms)
    photo = _photo([f"{NAMES[3]} {PHONES[1]}", "北京市海淀区" + "中关村大街1号"])
    r = client.post("/address-book/new/photo", data={"csrf_token": token, "kind": "recipient"},
                    files={"photo": ("label.png", photo, "image/png")})
    assert r.status_code == 200 and 'data-testid="pasted"' in r.text
    assert field(r.text, "name") == NAMES[3] and field(r.text, "phone") == PHONES[1]
    assert selected(r.text, "region_code") == "110108"
    not_image = client.post("/address-book/new/photo?lang=en", data={"csrf_token": token},
                            files={"photo": ("x.png", b"not an image", "image/png")})
    assert not_image.status_code == 422 and "JPEG, PNG or WebP" in not_image.text


def test_the_photo_form_works_for_the_owner_only(client):
    assert client.post("/address-book/new/photo", files={"photo": ("x.png", b"x", "image/png")},
                       follow_redirects=False).status_code in (303, 403)

