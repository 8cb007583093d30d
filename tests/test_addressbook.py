"""The address book (JD-1.1.2(4)): entries typed by hand or pasted, stored sealed under each entry's own subject,
listed masked, opened in full only by their holder (audited), and the consent reminder wherever another person's
details are entered. Runs on SQLite and PostgreSQL; the database and logs are scanned for the values used here."""
from __future__ import annotations

import dataclasses
import re
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from jidi import privacy, regions
from jidi.addressbook import paste
from jidi.addressbook.models import AddressEntry
from jidi.addressbook.service import MAX_DETAIL, EntryData
from jidi.privacy import Actor, Purpose, PurposeNotAllowed, Role
from jidi.privacy.models import AuditRecord, SubjectKey
from tests.pii import ADDRESSES, NAMES, PHONES

OWNER, OTHER = PHONES[0], PHONES[1]
ZHANG, ZHAO = "张三", "赵六六"
ZHANG_PHONE, ZHAO_PHONE = PHONES[4], PHONES[3]  # 13800138000, 18600003333
SUZHOU_ST, KEJI_RD, SHIJI_AVE = ADDRESSES
HAIDIAN, NANSHAN, PUDONG = "110108", "440305", "310115"
assert ZHANG in NAMES and ZHAO in NAMES


# -- helpers ---------------------------------------------------------------------------------------------------
def register(client, sms, phone=OWNER) -> dict:
    assert client.post("/api/v1/auth/sms-codes", json={"phone": phone}).status_code == 202
    r = client.post("/api/v1/auth/sms-login", json={"phone": phone, "code": sms.last_code(phone), "accept_policy": True})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def entry(**overrides) -> dict:
    body = {"kind": "recipient", "name": ZHANG, "phone": ZHANG_PHONE, "region_code": HAIDIAN, "detail": SUZHOU_ST}
    return {**body, **overrides}


def add(client, me, **overrides) -> dict:
    r = client.post("/api/v1/address-book", json=entry(**overrides), headers=me)
    assert r.status_code == 201, r.text
    return r.json()


def count(container, model=AddressEntry, *where) -> int:
    with container.uow() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def web_login(client, sms, phone=OWNER) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"csrf_token": token, "action": "send", "phone": phone})
    r = client.post("/login", data={"csrf_token": token, "action": "login", "phone": phone, "code": sms.last_code(phone),
                                    "accept_policy": "on"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return token


def field(page: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', page)
    return m.group(1) if m else ""


def selected(page: str, select_name: str) -> str:
    block = re.search(rf'<select name="{select_name}".*?</select>', page, re.S).group(0)
    m = re.search(r'<option value="(\d*)" selected', block)
    return m.group(1) if m else ""


# -- the API ---------------------------------------------------------------------------------------------------
@pytest.mark.promise("JD-1.1.2(4)a")
def test_an_entry_needs_name_phone_and_address_all_typed_by_hand(client, sms, container):
    me = register(client, sms)
    for missing in ("name", "phone", "region_code", "detail"):
        body = entry()
        del body[missing]
        r = client.post("/api/v1/address-book", json=body, headers=me)
        assert r.status_code == 422 and r.json()["error"]["fields"] == [missing]
    assert count(container) == 0
    # Typed as people type them: +86 and spaces in the number, the address as region code + street line.
    created = add(client, me, phone="+86 138 0013 8000")
    assert created["kind"] == "recipient" and created["region"] == {"code": HAIDIAN, "province": "北京市", "city": None,
                                                                    "district": "海淀区"}
    full = client.post(f"/api/v1/address-book/{created['id']}/reveal", headers=me).json()
    assert (full["name"], full["phone"], full["detail"]) == (ZHANG, ZHANG_PHONE, SUZHOU_ST)


@pytest.mark.promise("JD-2.2")
def test_entries_are_listed_and_shown_masked(client, sms, container):
    me = register(client, sms)
    add(client, me)
    add(client, me, kind="sender", name=ZHAO, phone=ZHAO_PHONE, region_code=NANSHAN, detail=KEJI_RD)
    r = client.get("/api/v1/address-book", headers=me)
    assert r.status_code == 200
    listed = {e["kind"]: e for e in r.json()["entries"]}
    assert (listed["recipient"]["name"], listed["recipient"]["phone"], listed["recipient"]["address"]) == (
        "张*", "138****8000", "北京市海淀区****")
    assert (listed["sender"]["name"], listed["sender"]["phone"], listed["sender"]["address"]) == (
        "赵*", "186****3333", "广东省深圳市南山区****")
    for value in (ZHANG, ZHAO, ZHANG_PHONE, ZHAO_PHONE, SUZHOU_ST, KEJI_RD):
        assert value not in r.text
    assert [e["kind"] for e in r.json()["entries"]] == ["recipient", "sender"]
    one = client.get(f"/api/v1/address-book/{listed['sender']['id']}", headers=me).json()
    assert one["name"] == "赵*" and ZHAO not in str(one)


@pytest.mark.promise("JD-1.1", "JD-1.1.2(1)b", "CN-3.3.3")
def test_entries_are_the_other_persons_data_and_every_form_reminds_of_consent(client, sms, container, clock):
    me = register(client, sms)
    created = add(client, me)
    assert "同意" in created["consent_notice"]  # Chinese by default
    for r in (client.get("/api/v1/address-book", headers=me),
              client.post("/api/v1/address-book/parse", json={"text": f"{ZHANG} {ZHANG_PHONE}"}, headers=me),
              client.put(f"/api/v1/address-book/{created['id']}", json=entry(), headers=me),
              client.post(f"/api/v1/address-book/{created['id']}/reveal", headers=me)):
        assert r.status_code == 200 and r.json()["consent_notice"] == created["consent_notice"]
    en = client.get("/api/v1/address-book", headers={**me, "Accept-Language": "en"}).json()["consent_notice"]
    assert "make sure that person agrees" in en
    # Sealed under a one-off subject of its own, not under the holder's key.
    with container.uow() as s:
        row = s.get(AddressEntry, uuid.UUID(created["id"]))
        assert row.subject_id != row.owner_id
        assert s.get(SubjectKey, row.subject_id) is not None
    # The pages show the reminder on the list and on the forms.
    clock.advance(minutes=2)  # past the resend wait for this number's login code
    web_login(client, sms)
    for page in (client.get("/address-book"), client.get("/address-book/new")):
        assert page.status_code == 200 and 'data-testid="consent-notice"' in page.text


@pytest.mark.promise("JD-5.1.2(2)")
def test_only_the_holder_opens_an_entry_in_full_and_it_is_audited(client, sms, container):
    me = register(client, sms)
    created = add(client, me)
    r = client.post(f"/api/v1/address-book/{created['id']}/reveal", headers=me)
    assert r.status_code == 200 and r.json()["name"] == ZHANG
    with container.uow() as s:
        row = s.get(AddressEntry, uuid.UUID(created["id"]))
        rec = s.scalars(select(AuditRecord).where(AuditRecord.action == "reveal")).one()
        assert rec.subject == container.vault.pseudonym(row.subject_id)
        assert (rec.fields, rec.purpose) == ("address_entries.detail,address_entries.name,address_entries.phone", "self_service")
        owner = row.owner_id
        # The privacy core checks the holder itself: nobody else, and no staff role, may be shown it.
        for actor in (Actor(uuid.uuid4(), Role.CUSTOMER), Actor(owner, Role.SUPPORT_AGENT)):
            with pytest.raises(PurposeNotAllowed):
                privacy.open(row.name, for_=Purpose.SELF_SERVICE, actor=actor)
    assert count(container, AuditRecord) == 1


def test_another_users_entries_are_invisible(client, sms, container):
    me = register(client, sms)
    created = add(client, me)
    them = register(client, sms, OTHER)
    assert client.get("/api/v1/address-book", headers=them).json()["entries"] == []
    path = f"/api/v1/address-book/{created['id']}"
    for r in (client.get(path, headers=them), client.post(path + "/reveal", headers=them),
              client.put(path, json=entry(name=ZHAO), headers=them), client.put(path + "/default", headers=them),
              client.delete(path, headers=them), client.get("/api/v1/address-book/not-a-uuid", headers=them)):
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.post(path + "/reveal", headers=me).json()["name"] == ZHANG
    assert count(container, AuditRecord) == 1  # only the holder's own reveal
    assert client.get("/api/v1/address-book").status_code == 401


@pytest.mark.parametrize("change, code", [
    ({"region_code": "999999"}, "invalid_region"),           # no such code
    ({"region_code": "110000"}, "invalid_region"),           # a province: not precise enough
    ({"region_code": "440300"}, "invalid_region"),           # a city with districts
    ({"region_code": "8100 0"}, "invalid_region"),
    ({"region_code": "810000"}, "invalid_region"),           # not a mainland delivery region
    ({"phone": "12345678901"}, "invalid_phone"),
    ({"phone": "+1 202 555 0100"}, "invalid_phone"),
    ({"name": "张" * 31}, "invalid_input"),
    ({"name": "   "}, "invalid_field"),
    ({"detail": "街" * (MAX_DETAIL + 1)}, "invalid_input"),
    ({"detail": "苏州街\u202e20号"}, "invalid_field"),      # a format character (bidi override)
    ({"name": "张\x00三"}, "invalid_input"),
    ({"kind": "courier"}, "invalid_input"),
])
def test_bad_input_is_refused_clearly_and_changes_nothing(client, sms, container, change, code):
    me = register(client, sms)
    created = add(client, me)
    r = client.post("/api/v1/address-book", json=entry(**change), headers=me)
    assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
    assert re.search(r"[\u4e00-\u9fff]", r.json()["error"]["message"])  # in the user's language (Chinese by default)
    r = client.put(f"/api/v1/address-book/{created['id']}", json=entry(**change, is_default=True), headers=me)
    assert r.status_code == 422
    assert count(container) == 1
    assert client.get(f"/api/v1/address-book/{created['id']}", headers=me).json()["is_default"] is False


def test_at_most_one_default_sender_and_one_default_recipient(client, sms, container):
    me = register(client, sms)
    first = add(client, me, is_default=True)
    second = add(client, me, name=ZHAO, phone=ZHAO_PHONE, is_default=True)
    sender = add(client, me, kind="sender", region_code=PUDONG, detail=SHIJI_AVE, is_default=True)

    def defaults():
        return {e["id"] for e in client.get("/api/v1/address-book", headers=me).json()["entries"] if e["is_default"]}

    assert defaults() == {second["id"], sender["id"]}
    r = client.put(f"/api/v1/address-book/{first['id']}/default", headers=me)
    assert r.status_code == 200 and r.json()["is_default"] is True
    assert defaults() == {first["id"], sender["id"]}
    # Turning a recipient into a default sender replaces the sender default, not the recipient one.
    r = client.put(f"/api/v1/address-book/{second['id']}", json=entry(kind="sender", is_default=True), headers=me)
    assert r.status_code == 200
    assert defaults() == {first["id"], second["id"]}
    # The database enforces it too.
    with pytest.raises(IntegrityError):
        with container.uow() as s:
            s.get(AddressEntry, uuid.UUID(sender["id"])).is_default = True


def test_update_and_delete_shreds_the_entrys_key(client, sms, container):
    me = register(client, sms)
    created = add(client, me)
    r = client.put(f"/api/v1/address-book/{created['id']}", headers=me,
                   json=entry(name=ZHAO, phone=ZHAO_PHONE, region_code=PUDONG, detail=SHIJI_AVE))
    assert r.status_code == 200 and r.json()["address"] == "上海市浦东新区****"
    full = client.post(f"/api/v1/address-book/{created['id']}/reveal", headers=me).json()
    assert (full["name"], full["phone"], full["detail"], full["region"]["code"]) == (ZHAO, ZHAO_PHONE, SHIJI_AVE, PUDONG)
    with container.uow() as s:
        subject = s.get(AddressEntry, uuid.UUID(created["id"])).subject_id
    assert client.delete(f"/api/v1/address-book/{created['id']}", headers=me).status_code == 204
    assert client.get(f"/api/v1/address-book/{created['id']}", headers=me).status_code == 404
    assert count(container) == 0 and count(container, SubjectKey, SubjectKey.subject_id == subject) == 0


def test_the_address_book_has_a_size_limit(client, sms, container, monkeypatch):
    from jidi.addressbook import service  # noqa: PLC0415

    monkeypatch.setattr(service, "MAX_ENTRIES", 2)
    me = register(client, sms)
    add(client, me)
    add(client, me)
    r = client.post("/api/v1/address-book", json=entry(), headers=me)
    assert r.status_code == 409 and r.json()["error"]["code"] == "address_book_full"
    assert count(container) == 2


# -- smart paste -----------------------------------------------------------------------------------------------
PASTES = [
    (f"{ZHANG} {ZHANG_PHONE} 北京市海淀区{SUZHOU_ST}", (ZHANG, ZHANG_PHONE, HAIDIAN, SUZHOU_ST)),
    (f"收件人:{ZHANG}\n电话:+86 138 0013 8000\n地址:北京市海淀区{SUZHOU_ST}", (ZHANG, ZHANG_PHONE, HAIDIAN, SUZHOU_ST)),
    (f"收货人：{ZHAO}，手机号码：186-0000-3333，所在地区：广东省 深圳市 南山区，详细地址：{KEJI_RD}",
     (ZHAO, ZHAO_PHONE, NANSHAN, KEJI_RD)),
    (f"北京市海淀区{SUZHOU_ST} {ZHANG} {ZHANG_PHONE}", (ZHANG, ZHANG_PHONE, HAIDIAN, SUZHOU_ST)),
    (f"{ZHANG}{ZHANG_PHONE}北京海淀{SUZHOU_ST}", (ZHANG, ZHANG_PHONE, HAIDIAN, SUZHOU_ST)),
    (f"Zhang Wei, +8613800138000, 上海市 浦东新区 {SHIJI_AVE}", ("Zhang Wei", ZHANG_PHONE, PUDONG, SHIJI_AVE)),
    (f"Name: Zhang Wei\nPhone: 0086 138 0013 8000\nAddress: 上海浦东新区{SHIJI_AVE}", ("Zhang Wei", ZHANG_PHONE, PUDONG, SHIJI_AVE)),
    (f"北京市海淀区, {SUZHOU_ST}, {ZHANG}, {ZHANG_PHONE}", (ZHANG, ZHANG_PHONE, HAIDIAN, SUZHOU_ST)),
    (f"{ZHAO} {ZHAO_PHONE} 深圳市南山区{KEJI_RD}", (ZHAO, ZHAO_PHONE, NANSHAN, KEJI_RD)),   # no province
    (f"{ZHAO} {ZHAO_PHONE} 海淀区{SUZHOU_ST}", (ZHAO, ZHAO_PHONE, HAIDIAN, SUZHOU_ST)),      # a unique district name
    (f"{ZHANG}　{ZHANG_PHONE}　北京市北京市海淀区{SUZHOU_ST}", (ZHANG, ZHANG_PHONE, HAIDIAN, SUZHOU_ST)),  # full-width spaces
    (f"{ZHANG} {ZHANG_PHONE} 广东省东莞市长安镇{KEJI_RD}", (ZHANG, ZHANG_PHONE, "441900", "长安镇" + KEJI_RD)),
    (f"{ZHANG} {ZHANG_PHONE} 广东省深圳市{KEJI_RD}", (ZHANG, ZHANG_PHONE, "440300", KEJI_RD)),  # the city only
    (f"{ZHANG} {ZHANG_PHONE}", (ZHANG, ZHANG_PHONE, None, None)),
    (SUZHOU_ST, (None, None, None, SUZHOU_ST)),
    ("", (None, None, None, None)),
]


@pytest.mark.parametrize("text, expected", PASTES)
def test_smart_paste_splits_a_contact_into_fields(text, expected):
    p = paste.parse(text)
    assert (p.name, p.phone, p.region_code, p.detail) == expected


def test_parsing_through_the_api_stores_and_logs_nothing(client, sms, container, caplog):
    me = register(client, sms)
    audit_before = count(container, AuditRecord)
    caplog.clear()
    r = client.post("/api/v1/address-book/parse", json={"text": f"收件人:{ZHANG} 电话:{ZHANG_PHONE} 地址:北京市海淀区{SUZHOU_ST}"},
                    headers=me)
    assert r.status_code == 200
    body = r.json()
    assert (body["name"], body["phone"], body["detail"], body["complete"]) == (ZHANG, ZHANG_PHONE, SUZHOU_ST, True)
    assert body["region"] == {"code": HAIDIAN, "province": "北京市", "city": None, "district": "海淀区"}
    r = client.post("/api/v1/address-book/parse", json={"text": f"{ZHANG} 广东省深圳市{KEJI_RD}"}, headers=me)
    assert r.json()["complete"] is False and r.json()["region"]["city"] == "深圳市"
    r = client.post("/api/v1/address-book/parse", json={"text": "街" * 501}, headers=me)
    assert r.status_code == 422
    assert client.get("/api/v1/address-book/parse", headers=me).status_code == 405
    assert count(container) == 0 and count(container, AuditRecord) == audit_before
    assert ZHANG not in caplog.text and SUZHOU_ST not in caplog.text


# -- regions ---------------------------------------------------------------------------------------------------
def test_regions_lookup_children_and_leaves(client):
    assert regions.lookup(NANSHAN) == regions.RegionNames(NANSHAN, "广东省", "深圳市", "南山区")
    assert regions.lookup("429004").full == "湖北省仙桃市"          # a county-level city directly under the province
    assert regions.lookup("441900").full == "广东省东莞市"          # a city without districts is precise enough
    assert regions.is_leaf("441900") and not regions.is_leaf("440300") and not regions.is_leaf("123456")
    assert regions.get("653229").name == "和安县" and regions.get("540422") is None  # brought up to date
    assert regions.get("810000") is None
    assert len(regions.provinces()) == 31
    assert regions.within(HAIDIAN, "110000") and not regions.within(HAIDIAN, "440000")
    assert regions.split_address(f"中国广东省深圳市南山区 {KEJI_RD}") == (NANSHAN, KEJI_RD)
    assert regions.split_address("吉林市船营区某路1号") == ("220204", "某路1号")
    assert regions.split_address("北京路100号") == (None, "北京路100号")
    r = client.get("/api/v1/regions")
    assert r.status_code == 200 and {"code": "110000", "name": "北京市", "leaf": False} in r.json()["regions"]
    r = client.get("/api/v1/regions/440300")
    assert {"code": NANSHAN, "name": "南山区", "leaf": True} in r.json()["regions"]
    assert r.json()["parent"] == {"code": "440300", "province": "广东省", "city": "深圳市", "district": None}
    assert client.get("/api/v1/regions/999999").status_code == 404


@pytest.mark.parametrize("chinese, english", [
    ("内蒙古自治区", "Inner Mongolia Autonomous Region"), ("西藏自治区", "Tibet Autonomous Region"),
    ("广西壮族自治区", "Guangxi Zhuang Autonomous Region"), ("宁夏回族自治区", "Ningxia Hui Autonomous Region"),
    ("新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region"), ("陕西省", "Shaanxi Province"), ("山西省", "Shanxi Province"),
    ("北京市", "Beijing"), ("广东省", "Guangdong Province"), ("深圳市", "Shenzhen City"), ("海淀区", "Haidian District"),
    ("浦东新区", "Pudong New Area"), ("清新区", "Qingxin District"), ("沛县", "Pei County"), ("西安市", "Xi'an City"),
    ("延边朝鲜族自治州", "Yanbian Korean Autonomous Prefecture"), ("伊犁哈萨克自治州", "Yili Kazak Autonomous Prefecture"),
    ("恩施土家族苗族自治州", "Enshi Tujia and Miao Autonomous Prefecture"), ("鄂伦春自治旗", "Oroqen Autonomous Banner"),
    ("双江拉祜族佤族布朗族傣族自治县", "Shuangjiang Lahu, Va, Blang and Dai Autonomous County"),
    ("大兴安岭地区", "Daxing'anling Prefecture"), ("锡林郭勒盟", "Xilinguole League"), ("科尔沁右翼前旗", "Ke'erqinyouyiqian Banner"),
    ("神农架林区", "Shennongjia Forestry District"), ("六枝特区", "Liuzhi Special District"), ("井陉矿区", "Jingxing Mining District"),
    # readings of place names: 朝阳 Chaoyang, 都匀 Duyun, 长治 Changzhi but 长子 Zhangzi, 吕梁 Lüliang
    ("朝阳区", "Chaoyang District"), ("都匀市", "Duyun City"), ("长治市", "Changzhi City"), ("长子县", "Zhangzi County"),
    ("吕梁市", "Lüliang City"), ("拉萨市", "Lhasa City"),
])
def test_regions_have_english_names(chinese, english):
    assert regions.english(chinese) == english


def test_every_region_has_an_english_name_in_latin_letters():
    def below(code=None):
        for r in regions.children(code):
            yield r
            yield from below(r.code)

    names = [regions.name(r, "en") for r in below()]
    assert len(names) > 3000 and all(re.fullmatch(r"[A-Z][A-Za-zü' ,]+", n) for n in names)
    assert regions.full_name(NANSHAN, "en") == "Nanshan District, Shenzhen City, Guangdong Province"
    assert regions.full_name(HAIDIAN, "en") == "Haidian District, Beijing"
    assert regions.full_name("429004", "en") == "Xiantao City, Hubei Province"
    assert regions.full_name(NANSHAN) == "广东省深圳市南山区" and regions.full_name("999999", "en") == "999999"


# -- pages -----------------------------------------------------------------------------------------------------
@pytest.mark.promise("JD-1.1.2(4)a")
def test_the_entry_form_works_step_by_step_without_javascript(client, sms, container):
    token = web_login(client, sms)
    page = client.get("/profile")
    assert 'href="/address-book"' in page.text  # the nav link
    page = client.get("/address-book/new?kind=sender")
    assert page.status_code == 200 and 'value="sender" checked' in page.text
    assert '<select name="region_code" data-testid="district" disabled' in page.text
    # Step 1: choose the province; the typed fields come back as they were.
    form = {"csrf_token": token, "kind": "sender", "name": ZHANG, "phone": ZHANG_PHONE, "province": "440000",
            "region_code": "", "detail": KEJI_RD}
    page = client.post("/address-book/new", data={**form, "action": "region"})
    assert page.status_code == 200 and field(page.text, "name") == ZHANG and field(page.text, "detail") == KEJI_RD
    assert '<optgroup label="深圳市">' in page.text and f'<option value="{NANSHAN}"' in page.text
    assert f'<option value="{HAIDIAN}"' not in page.text
    assert count(container) == 0  # nothing is stored before "Save"
    # A district from another province (a stale choice after changing the province) is refused clearly.
    page = client.post("/address-book/new", data={**form, "region_code": HAIDIAN, "action": "save"})
    assert page.status_code == 422 and 'data-code="region_mismatch"' in page.text
    page = client.post("/address-book/new", data={**form, "region_code": "", "action": "save"})
    assert page.status_code == 422 and 'data-code="invalid_region"' in page.text
    page = client.post("/address-book/new", data={**form, "region_code": NANSHAN, "phone": "1380013800", "action": "save"})
    assert page.status_code == 422 and 'data-code="invalid_phone"' in page.text and field(page.text, "name") == ZHANG
    page = client.post("/address-book/new", data={**form, "region_code": NANSHAN, "detail": "x" * 121, "action": "save"})
    assert page.status_code == 422 and 'data-code="invalid_field"' in page.text
    assert count(container) == 0
    # Step 2: choose the district and save.
    r = client.post("/address-book/new", data={**form, "region_code": NANSHAN, "is_default": "on", "action": "save"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/address-book?saved=1"
    page = client.get("/address-book")
    assert "张*" in page.text and "138****8000" in page.text and "广东省深圳市南山区****" in page.text
    assert ZHANG_PHONE not in page.text and KEJI_RD not in page.text and 'data-testid="default-badge"' in page.text
    # The English pages name the regions in English: the list, and the form's provinces, cities and districts.
    page = client.get("/address-book?lang=en")
    assert "Nanshan District, Shenzhen City, Guangdong Province****" in page.text and "南山区" not in page.text
    page = client.post("/address-book/new?lang=en", data={**form, "action": "region"})
    assert '<option value="150000" >Inner Mongolia Autonomous Region</option>' in page.text.replace("selected", "")
    assert '<optgroup label="Shenzhen City">' in page.text and f'<option value="{NANSHAN}" >Nanshan District</option>' in page.text
    assert "深圳市" not in page.text and "北京市" not in page.text
    assert count(container) == 1


def test_pasting_fills_the_form_for_review_then_edit_and_delete(client, sms, container):
    token = web_login(client, sms)
    text = f"收件人：{ZHAO}\n手机：186 0000 3333\n地址：北京市海淀区{SUZHOU_ST}"
    page = client.post("/address-book/new", data={"csrf_token": token, "action": "paste", "paste": text, "kind": "recipient"})
    assert page.status_code == 200 and 'data-testid="pasted"' in page.text
    assert (field(page.text, "name"), field(page.text, "phone"), field(page.text, "detail")) == (ZHAO, ZHAO_PHONE, SUZHOU_ST)
    assert selected(page.text, "province") == "110000" and selected(page.text, "region_code") == HAIDIAN
    assert count(container) == 0  # the user reviews before anything is saved
    form = {"csrf_token": token, "kind": "recipient", "name": ZHAO, "phone": ZHAO_PHONE, "province": "110000",
            "region_code": HAIDIAN, "detail": SUZHOU_ST}
    assert client.post("/address-book/new", data={**form, "action": "save"}, follow_redirects=False).status_code == 303
    entry_id = re.search(r'action="/address-book/([0-9a-f-]{36})/edit"', client.get("/address-book").text).group(1)
    # Opening for editing is a reveal to the holder (audited); the form comes filled in.
    page = client.post(f"/address-book/{entry_id}/edit", data={"csrf_token": token})
    assert page.status_code == 200 and field(page.text, "name") == ZHAO and field(page.text, "detail") == SUZHOU_ST
    assert count(container, AuditRecord, AuditRecord.action == "reveal") == 1
    r = client.post(f"/address-book/{entry_id}", data={**form, "province": "310000", "region_code": PUDONG,
                                                       "detail": SHIJI_AVE, "action": "save"}, follow_redirects=False)
    assert r.status_code == 303
    assert "上海市浦东新区****" in client.get("/address-book").text
    # Without the CSRF token nothing happens; with it, the entry goes.
    assert client.post(f"/address-book/{entry_id}/delete", data={}).status_code == 403
    assert count(container) == 1
    r = client.post(f"/address-book/{entry_id}/delete", data={"csrf_token": token, "confirm": "yes"}, follow_redirects=False)
    assert r.status_code == 303 and count(container) == 0


def test_pages_hide_other_users_entries_and_need_a_login(client, sms, container):
    assert client.get("/address-book", follow_redirects=False).headers["location"] == "/login?next=%2Faddress-book"
    me = register(client, sms, OTHER)
    theirs = add(client, me)["id"]
    token = web_login(client, sms)
    for path in (f"/address-book/{theirs}/edit", f"/address-book/{theirs}", f"/address-book/{theirs}/default",
                 f"/address-book/{theirs}/delete", "/address-book/not-an-id/edit"):
        r = client.post(path, data={"csrf_token": token, **entry(name=ZHAO), "action": "save"})
        assert r.status_code == 404, path
    assert ZHANG not in client.get("/address-book").text and "张*" not in client.get("/address-book").text
    assert count(container) == 1 and count(container, AuditRecord, AuditRecord.action == "reveal") == 0


def test_entry_data_is_a_frozen_value():
    data = EntryData("recipient", ZHANG, ZHANG_PHONE, HAIDIAN, SUZHOU_ST)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.name = ZHAO  # type: ignore[misc]
