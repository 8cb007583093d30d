"""A masked value is never taken as input: a client that reads an answer (masked) and writes it back must not replace the
real value with its mask. Every personal field of every request body in the OpenAPI, and the forms, refuse a value
with the mask character with a 422 `masked_value` in the user's language, and nothing changes."""
from __future__ import annotations

import re
import copy

from jidi.i18n import gettext_for
from jidi.privacy import Mask, mask
from tests.pii import EMAILS, PHONES
from tests.test_accounts_api import auth, register
from tests.test_accounts_web import csrf, web_register
from tests.test_api_fuzz import VALID_BODIES, VALID_PATH_VALUES
from tests.test_pickup import courier  # noqa: F401 (a fixture)
from tests.test_pickup import place

# The request fields that hold personal data (the others are codes, passwords, choices or free text of one's own).
PERSONAL = {"name", "phone", "email", "nickname", "username", "detail", "address", "real_name", "id_number", "item_name"}
# A login or a parcel lookup is no write: a masked name or number there is simply one that does not match (and a
# lookup answers the same whatever the number, so as not to tell whose it is).
LOGINS = {"POST /api/v1/courier/sessions", "POST /api/v1/lookup/codes", "POST /api/v1/lookup"}
RULES = {"phone": Mask.PHONE, "email": Mask.EMAIL, "id_number": Mask.ID_NUMBER, "detail": Mask.HIDDEN, "address": Mask.HIDDEN}


def masked(field: str, value: str) -> str:
    return mask(RULES.get(field, Mask.HANDLE), value)


def personal_fields(body: dict, prefix: tuple = ()):
    """(path, value) of every personal string field, nested ones included (an order's sender.phone)."""
    for key, value in body.items():
        if isinstance(value, dict):
            yield from personal_fields(value, (*prefix, key))
        elif key in PERSONAL and isinstance(value, str):
            yield (*prefix, key), value


def replaced(body: dict, path: tuple, value: str) -> dict:
    out = copy.deepcopy(body)
    inner = out
    for key in path[:-1]:
        inner = inner[key]
    inner[path[-1]] = value
    return out


def test_every_personal_field_of_every_api_body_refuses_a_masked_value(app, client, sms, container, courier):  # noqa: F811
    token = register(client, sms, phone=PHONES[0])
    me = auth(token)
    r = client.patch("/api/v1/me", json={"email": EMAILS[0], "nickname": "快递达人"}, headers=me)
    assert r.status_code == 200, r.text
    profile = client.get("/api/v1/me", headers=me).json()
    entry = client.post("/api/v1/address-book", json=VALID_BODIES["POST /api/v1/address-book"], headers=me).json()["id"]
    mine, to_pick_up = place(client, token), place(client, token)
    _, merchant_key = container.shipping.create_merchant("示例商城")
    params = {"entry_id": entry, "waybill_no": mine}
    _, partner_key = container.couriers.create_partner("顺达物流有限公司")
    headers = {"/api/v1/courier/": courier[1], "/api/v1/merchant/": {"X-Api-Key": merchant_key},
               "/api/v1/partners/": {"X-Partner-Key": partner_key}}

    tried = []
    for path, operations in app.openapi()["paths"].items():
        for method, op in operations.items():
            body = VALID_BODIES.get(f"{method.upper()} {path}")
            if "requestBody" not in op or body is None or f"{method.upper()} {path}" in LOGINS:
                continue
            if "waybill_no" in body:
                body = {**body, "waybill_no": to_pick_up}
            url = re.sub(r"\{(\w+)\}", lambda m: params.get(m.group(1), VALID_PATH_VALUES.get(m.group(1), "x")), path)
            sent_with = next((h for prefix, h in headers.items() if path.startswith(prefix)), me)
            for field, value in personal_fields(body):
                bad = masked(field[-1], value)
                assert "*" in bad
                r = client.request(method.upper(), url, json=replaced(body, field, bad), headers=sent_with)
                where = f"{method.upper()} {path} {'.'.join(field)}={bad!r}"
                assert r.status_code == 422 and r.json()["error"]["code"] == "masked_value", f"{where}: {r.status_code} {r.text}"
                assert "*" in r.json()["error"]["message"] and bad not in r.json()["error"]["message"]
                tried.append(where)
    # Every write of a person's details is among them: the profile, the address book, orders, a correction, a pickup.
    for label in ("PATCH /api/v1/me email", "POST /api/v1/address-book detail", "POST /api/v1/orders recipient.address",
                  "PUT /api/v1/orders/{waybill_no}/recipient name", "POST /api/v1/courier/pickups id_number",
                  "POST /api/v1/family phone", "POST /api/v1/merchant/orders sender.phone"):
        assert any(t.startswith(label) for t in tried), label
    # What was read back and refused changed nothing: the real values stay.
    assert client.get("/api/v1/me", headers=me).json() == profile
    full = client.post(f"/api/v1/address-book/{entry}/reveal", headers=me).json()
    assert (full["name"], full["detail"]) == (VALID_BODIES["POST /api/v1/address-book"]["name"],
                                              VALID_BODIES["POST /api/v1/address-book"]["detail"])
    # In the user's language, naming the field.
    en = client.patch("/api/v1/me", json={"email": "x***@example.net"}, headers={**me, "Accept-Language": "en"}).json()["error"]
    assert en["message"] == ("The e-mail address contains *, as a masked value does: enter the full value (a masked one would "
                             "replace the real one).")
    zh = client.patch("/api/v1/me", json={"email": "x***@example.net"}, headers=me).json()["error"]["message"]
    assert zh != en["message"] and zh == gettext_for("zh_CN")(en["message"].replace("e-mail address", "{field}")).format(
        field=gettext_for("zh_CN")("e-mail address"))


def test_forms_refuse_a_masked_value_too(client, sms):
    web_register(client, sms, PHONES[1])
    token = csrf(client)
    r = client.post("/profile", data={"csrf_token": token, "email": "x＊＊＊@example.net", "nickname": "", "username": ""})
    assert r.status_code == 422 and 'data-code="masked_value"' in r.text
    r = client.post("/address-book/new", data={"csrf_token": token, "kind": "recipient", "name": "张*", "phone": PHONES[4],
                                               "province": "110000", "region_code": "110108", "detail": "苏州街3号"})
    assert r.status_code == 422 and 'data-code="masked_value"' in r.text
