"""The privacy policy as code (jidi.policy): generated from the catalog, recipients, retention and the operator
profile; published versions kept and viewable; a new version classified material or editorial from the structured
diff; a material one announced by SMS and on every page, a rights-reducing or consent-adding one accepted first."""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from jidi import errors
from jidi.config import Settings
from jidi.i18n import china_day
from jidi.notify.models import SmsMessage
from jidi.policy import operators
from jidi.policy.classify import classify
from jidi.policy.document import blocks, text, to_html
from jidi.policy.models import PolicyVersion
from jidi.privacy import Agreement, Role
from tests.pii import PHONES
from tests.test_accounts_api import auth, register
from tests.test_accounts_web import web_register
from tests.test_rights_pages import staff_client, tok


def today(container) -> dt.date:
    return china_day(container.clock())


def policy_text(container, operator: str, lang: int) -> str:
    settings = Settings(operator=operator)
    content = container.policy.content() if operator == container.settings.operator else None
    if content is None:
        from jidi.policy.content import gather  # noqa: PLC0415

        content = gather(container.catalog, settings, operators.PROFILES[operator])
    return text(blocks(content, "v", dt.date(2026, 12, 20)), lang)


# -- the generated policy --------------------------------------------------------------------------------
@pytest.mark.promise("JD-intro-a", "CN-preamble-b", "ZK-preamble-b")
def test_the_policy_page_reads_as_a_policy_with_its_key_clauses_in_bold(client):
    zh = client.get("/privacy")
    assert zh.status_code == 200
    for heading in ("一、我们是谁以及如何联系我们", "二、我们收集哪些个人信息以及为什么收集", "四、Cookie 和同类技术", "五、第三方 SDK 和插件",
                    "六、我们如何委托处理、共享、转让、公开披露您的个人信息", "七、我们保存您的个人信息的期限", "八、我们如何保护您的个人信息",
                    "九、您的权利以及如何行使", "十、未成年人的个人信息保护", "十一、您的个人信息的存储地点", "十二、本政策的更新", "十三、投诉及其他救济途径"):
        assert heading in zh.text, heading
    bold = re.findall(r"<strong>(.*?)</strong>", zh.text)
    assert len(bold) >= 8
    assert any("仔细阅读本政策" in b for b in bold) and any("不向境外传输" in b for b in bold)
    assert any("未经您明确同意，我们不会削减" in b for b in bold)
    assert any("未嵌入任何收集个人信息的第三方SDK" in b for b in bold)
    # The collection list comes from the catalog, per feature; the sharing list from the declared recipients.
    assert "<h3>账号注册与登录</h3>" in zh.text and "<h3>地址簿</h3>" in zh.text and "手机号" in zh.text
    assert "短信服务商" in zh.text and "受托处理者" in zh.text
    assert "员工二次验证密钥" not in zh.text  # staff-only fields are not a customer's data
    en = client.get("/privacy", params={"lang": "en"}).text
    assert "1. Who we are and how to reach us" in en and "<strong>Please read this policy carefully" in en
    assert "SMS service provider" in en and "、" not in en


@pytest.mark.promise("JD-10.1", "CN-12.1c", "ZK-8.1")
def test_each_operator_profile_writes_its_own_contacts_deadline_and_minors_rule(container):
    jd, cn, zk = (policy_text(container, op, 0) for op in ("jd", "cainiao", "zkjia"))
    assert "950616" in jd and "https://jdcs.m.jd.com/jdchat" in jd and "在线客服" in jd
    assert "cn-provision@service.cainiao.com" in cn and "950616" not in cn
    assert "bruce.zhao@zkjia.com" in zk and "cn-provision" not in zk
    assert "收到您的请求后15个工作日内" in jd and "收到您的请求后15个工作日内" in zk
    assert "验证您的身份后的15日内" in cn and "工作日" not in cn.split("九、")[1].split("十、")[0]
    assert "未满18周岁，须事先取得您的父母或法定监护人的书面同意" in zk and "未满14周岁的儿童" in jd
    assert jd != cn != zk
    en = policy_text(container, "cainiao", 1)
    assert "within 15 days after your identity has been verified" in en


def test_the_operator_sets_the_rights_deadline_the_rights_feature_computes():
    assert Settings(operator="cainiao").rights_deadline == "calendar_days_from_verification"
    assert Settings(operator="jd").rights_deadline == "working_days_from_receipt"
    explicit = Settings(operator="cainiao", rights_deadline="working_days_from_receipt", rights_deadline_days=10)
    assert (explicit.rights_deadline, explicit.rights_deadline_days) == ("working_days_from_receipt", 10)


def test_every_feature_with_personal_fields_has_a_title_in_the_collection_list(container):
    content = container.policy.content()
    untitled = [g["feature"] for g in content["collection"] if g["title"] == [g["feature"], g["feature"]]]
    assert not untitled
    assert content["sdks"] == [] and content["cross_border"]["transfers"] == []


def test_the_html_of_a_policy_escapes_everything_but_its_own_markup():
    html = str(to_html("# T\n\nA **bold** <script>x</script>\n\n- a & b\n\n| h | k |\n| <b> | c |\n"))
    assert "<strong>bold</strong>" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert "<li>a &amp; b</li>" in html and "<th>h</th>" in html and "<td>&lt;b&gt;</td>" in html
    # Links go to jidi's own pages only.
    links = str(to_html("[ours](/minors) [theirs](https://evil.example/) [js](javascript:alert(1)) [q](/a?b=\"c\")"))
    assert '<a href="/minors">ours</a>' in links and links.count("<a ") == 1


@pytest.mark.promise("CN-10.1c", "CN-12.1d")
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_minors_section_links_the_report_page_and_the_guardians_page(client, lang):
    page = client.get("/privacy", params={"lang": lang}).text
    report = "未成年人信息举报页面" if lang == "zh_CN" else "report page for minors' information"
    guardian = "监护人同意页面" if lang == "zh_CN" else "guardian's consent page"
    assert f'<a href="/minors">{report}</a>' in page.replace("&#x27;", "'")
    assert f'<a href="/guardian">{guardian}</a>' in page.replace("&#x27;", "'")
    assert client.get("/minors", params={"lang": lang}).status_code == 200


def test_an_age_statement_is_voluntary_unless_the_operator_requires_it():
    assert Settings().minors_age_statement == "voluntary"
    assert Settings(minors_age_statement="required").minors_age_statement == "required"


# -- the classifier ----------------------------------------------------------------------------------------
def _field(content, key):
    return next(i for g in content["collection"] for i in g["items"] if i["field"] == key)


def _edit(fn):
    def apply(base):
        c = copy.deepcopy(base)
        fn(c)
        return c
    return apply


def _new_field(c, basis="consent"):
    c["collection"][0]["items"].append({"field": "users.birthday", "label": ["出生日期", "Date of birth"], "category": "profile",
                                        "purposes": ["self_service"], "basis": basis, "sensitive": False,
                                        "retention": ["x", "x"], "retention_days": 31})


MATERIAL = {
    "new consent-based data type": _edit(_new_field),
    "new contract data type": _edit(lambda c: _new_field(c, "contract")),
    "data type removed": _edit(lambda c: c["collection"][0]["items"].pop()),
    "purpose added to a field": _edit(lambda c: _field(c, "users.email")["purposes"].append("delivery")),
    "legal basis changed": _edit(lambda c: _field(c, "users.nickname").update(basis="contract")),
    "field becomes sensitive": _edit(lambda c: _field(c, "users.phone").update(sensitive=True)),
    "kept longer": _edit(lambda c: _field(c, "users.phone").update(retention_days=365, retention=["一年", "a year"])),
    "new purpose": _edit(lambda c: c["purposes"].append({"key": "marketing", "label": ["营销", "Marketing"], "bases": ["consent"]})),
    "new recipient": _edit(lambda c: c["recipients"].append({"key": "ads", "name": ["广告商", "Advertiser"], "role": "third_party",
                                                             "role_label": ["第三方", "Third party"], "purpose": "delivery",
                                                             "basis": "consent", "fields": ["users.phone"]})),
    # The SMS gateway (on contract) may receive one more field: material, but no consent purpose added.
    "recipient gets more": _edit(lambda c: next(r for r in c["recipients"] if r["key"] == "sms_gateway")["fields"].append("users.nickname")),
    "right removed": _edit(lambda c: c["rights"]["kinds"].pop()),
    "right added": _edit(lambda c: c["rights"]["kinds"].append({"key": "portability", "label": ["转移", "Portability"]})),
    "later deadline": _edit(lambda c: c["rights"]["deadline"].update(days=30)),
    "deadline rule": _edit(lambda c: c["rights"]["deadline"].update(rule="calendar_days_from_verification")),
    "fewer free requests": _edit(lambda c: c["rights"].update(free_per_year=1)),
    "channel removed": _edit(lambda c: c["rights"]["channels"].pop()),
    "how to cancel": _edit(lambda c: c["operator"].update(account_cancellation=["写信", "write to us"])),
    "contact changed": _edit(lambda c: c["operator"]["contacts"][0].update(value="dpo@example.cn")),
    "responsible department": _edit(lambda c: c["operator"].update(protection_contact=["法务部", "the legal department"])),
    "operator changed": _edit(lambda c: c["operator"].update(name=["另一家公司", "Another company"])),
    "high-risk assessment": _edit(lambda c: c.update(impact_assessment={"high_risk": True, "summary": ["风险", "a risk"]})),
    "transfer abroad": _edit(lambda c: c["cross_border"]["transfers"].append({"text": ["清关", "customs"]})),
    "minors age": _edit(lambda c: c["minors"].update(age=18, written_consent=True)),
    "SDK added": _edit(lambda c: c["sdks"].append({"name": "x", "provider": ["x", "x"], "purpose": ["x", "x"], "data": ["x", "x"]})),
    "tracking cookie": _edit(lambda c: c["cookies"].append({"name": "ga", "purpose": ["统计", "analytics"], "lifetime": ["1年", "1 year"],
                                                            "first_party": False, "necessary": False})),
}

EDITORIAL = {
    "field label reworded": _edit(lambda c: _field(c, "users.phone").update(label=["手机号码", "Mobile phone number"])),
    "retention reworded": _edit(lambda c: _field(c, "users.phone").update(retention=["账号存续期间及注销后31天", "While it exists, then 31 days"])),
    "kept shorter": _edit(lambda c: _field(c, "users.phone").update(retention_days=7, retention=["7 天", "7 days"])),
    "feature title": _edit(lambda c: c["collection"][0].update(title=["注册与登录", "Sign-up and login"])),
    "groups reordered": _edit(lambda c: c["collection"].reverse()),
    "items reordered": _edit(lambda c: c["collection"][0]["items"].reverse()),
    "operator address": _edit(lambda c: c["operator"].update(address=["新地址", "a new address"])),
    "where to find": _edit(lambda c: c["operator"].update(where_to_find=["页脚", "the footer"])),
    "cookie lifetime wording": _edit(lambda c: c["cookies"][0].update(lifetime=["两周", "two weeks"])),
    "necessary cookie added": _edit(lambda c: c["cookies"].append({"name": "jidi_x", "purpose": ["安全", "security"],
                                                                   "lifetime": ["1天", "1 day"], "first_party": True, "necessary": True})),
    "cookie removed": _edit(lambda c: c["cookies"].pop()),
    "retention rule wording": _edit(lambda c: c["retention"][0].update(text=["改写", "reworded"])),
    "purpose label": _edit(lambda c: c["purpose_labels"].update(delivery=["揽派", "Pickup and delivery of parcels"])),
    "basis label": _edit(lambda c: c["bases"].update(contract=["合同所必需", "Contract"])),
    "item moved to another group": _edit(lambda c: c["collection"][1]["items"].append(c["collection"][0]["items"].pop())),
}
# Changes that cut a right or add a use resting on consent: a fresh acceptance before they apply (JD-9.1a, JD-2.3a).
FRESH = {"new consent-based data type", "purpose added to a field", "new purpose", "new recipient", "right removed",
         "later deadline", "fewer free requests", "channel removed", "transfer abroad", "SDK added", "tracking cookie"}
REDUCES = {"right removed", "later deadline", "fewer free requests", "channel removed"}


@pytest.mark.promise("JD-9.3", "JD-9.3(6)", "CN-11.1.1", "ZK-7.2(1)")
def test_every_material_fixture_edit_is_material_and_no_editorial_one_is(container):
    base = container.policy.content()
    assert len(MATERIAL) >= 10 and len(EDITORIAL) >= 10
    material = {name for name, edit in MATERIAL.items() if classify(base, edit(base)).material}
    editorial_flagged = {name for name, edit in EDITORIAL.items() if classify(base, edit(base)).material}
    assert material == set(MATERIAL), set(MATERIAL) - material  # 100%
    assert editorial_flagged == set(), editorial_flagged          # 0%
    assert classify(base, copy.deepcopy(base)).kind == "unchanged"


@pytest.mark.promise("JD-9.1a", "ZK-7.1a")
def test_a_change_that_reduces_rights_or_adds_a_consent_purpose_needs_a_fresh_acceptance(container):
    base = container.policy.content()
    fresh = {name for name, edit in MATERIAL.items() if classify(base, edit(base)).fresh_consent}
    assert fresh == FRESH
    reducing = {name for name, edit in MATERIAL.items() if classify(base, edit(base)).reduces_rights}
    assert reducing == REDUCES and reducing <= fresh


# -- versions ----------------------------------------------------------------------------------------------
def test_a_version_with_an_effective_date_in_the_past_is_refused_and_nothing_is_kept(client, container):
    with pytest.raises(errors.AppError) as err:
        container.policy.publish(today(container) - dt.timedelta(days=1), "旧", "old")
    assert err.value.code == "policy_effective_in_past" and err.value.status == 422
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(PolicyVersion)) == 0


def test_the_officer_page_publishes_and_explains_a_refusal(app, client, container):
    officer = staff_client(app, container, Role.PRIVACY_OFFICER, "officer1")
    page = officer.get("/staff/policy")
    assert page.status_code == 200 and 'data-kind="initial"' in page.text
    past = (today(container) - dt.timedelta(days=3)).isoformat()
    r = officer.post("/staff/policy/publish", data={"csrf_token": tok(officer), "effective_on": past})
    assert r.status_code == 422 and 'data-code="policy_effective_in_past"' in r.text and "生效日期已过" in r.text
    r = officer.post("/staff/policy/publish", data={"csrf_token": tok(officer), "effective_on": "not a date"})
    assert r.status_code == 422
    r = officer.post("/staff/policy/publish", data={"csrf_token": tok(officer), "effective_on": today(container).isoformat(),
                                                     "summary_zh": "首次发布", "summary_en": "First"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/staff/policy?published={today(container).isoformat()}"
    r = officer.post("/staff/policy/publish", data={"csrf_token": tok(officer), "effective_on": today(container).isoformat()})
    assert r.status_code == 409 and 'data-code="policy_unchanged"' in r.text
    support = staff_client(app, container, Role.SUPPORT_AGENT, "support1")
    assert support.get("/staff/policy").status_code == 403


@pytest.mark.promise("CN-11.1c", "ZK-7.3", "JD-header", "JD-note")
def test_every_published_version_is_kept_and_viewable_as_published(client, container, monkeypatch):
    first = container.policy.publish(today(container), "首次发布", "First version")
    assert first.kind == "initial"
    # An editorial change: the operator moved.
    moved = dataclasses.replace(operators.PROFILES["jidi"], address=("新地址一号", "No. 1 New Address"))
    monkeypatch.setitem(operators.PROFILES, "jidi", moved)
    second = container.policy.publish(today(container) + dt.timedelta(days=7), "", "")
    assert second.kind == "editorial" and not second.fresh_consent and second.version != first.version
    history = client.get("/privacy/versions")
    rows = re.findall(r'data-testid="policy-version-row" data-version="([^"]+)"', history.text)
    assert rows == [second.version, first.version]
    assert "首次发布" in history.text and "即将生效" in history.text
    old = client.get(f"/privacy/versions/{first.version}")
    assert old.status_code == 200 and "新地址一号" not in old.text and 'data-testid="policy-old-version"' in old.text
    assert f"版本 {first.version} · 更新日期" in old.text  # the version's dates, as published
    assert "新地址一号" in client.get(f"/privacy/versions/{second.version}").text
    # Until the second takes effect, /privacy is the first, and says a new version is coming.
    current = client.get("/privacy")
    assert f'data-version="{first.version}"' in current.text and 'data-testid="policy-upcoming"' in current.text
    api = client.get("/api/v1/policy/versions").json()
    assert [v["version"] for v in api] == [second.version, first.version] and api[0]["kind"] == "editorial"
    full = client.get(f"/api/v1/policy/versions/{first.version}").json()
    assert full["text"]["zh_CN"].startswith("# jidi隐私政策") and full["content"]["operator"]["key"] == "jidi"
    assert client.get("/api/v1/policy/versions/1999-01-01").status_code == 404
    assert client.get("/privacy/versions/1999-01-01").status_code == 404


# -- notices -----------------------------------------------------------------------------------------------
@pytest.mark.promise("JD-9.2", "CN-11.1b", "ZK-7.2a")
def test_a_material_change_is_announced_by_sms_and_on_the_next_page_an_editorial_one_is_not(client, sms, container, clock, monkeypatch):
    web_register(client, sms, phone=PHONES[0])
    container.policy.publish(today(container))
    clock.advance(minutes=1)
    moved = dataclasses.replace(operators.PROFILES["jidi"], address=("新地址一号", "No. 1 New Address"))
    monkeypatch.setitem(operators.PROFILES, "jidi", moved)
    editorial = container.policy.publish(today(container))
    assert editorial.kind == "editorial"
    assert 'data-testid="policy-notice"' not in client.get("/orders").text
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.template == "policy_changed")) == 0
    # A material change: a new contact for personal information.
    clock.advance(minutes=1)
    contact = dataclasses.replace(moved, contacts=(operators.Contact("email", "dpo@jidi.example.cn", ("邮箱", "E-mail")),))
    monkeypatch.setitem(operators.PROFILES, "jidi", contact)
    material = container.policy.publish(today(container))
    assert material.kind == "material" and not material.fresh_consent
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.template == "policy_changed")) == 1
    assert any("隐私政策有重要更新" in m and f"/privacy/changes/{material.version}" in m for p, m in sms.sent if p == PHONES[0])
    page = client.get("/orders")
    assert page.status_code == 200 and 'data-testid="policy-notice"' in page.text and 'data-blocking="false"' in page.text
    assert "<h1>我的包裹</h1>" in page.text  # the page itself is still there
    assert 'data-testid="policy-notice-changes"' in page.text  # the jidi profile spells out what changed
    changes = client.get(f"/privacy/changes/{material.version}")
    assert 'data-kind="material"' in changes.text and "个人信息保护联系方式发生变化" in changes.text
    r = client.post("/privacy/accept", data={"csrf_token": tok(client), "version": material.version, "text_hash": material.text_hash,
                                             "next": "/orders"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/orders"
    assert 'data-testid="policy-notice"' not in client.get("/orders").text
    # The acceptance is in the consent ledger, and its proof replays the exact text the notice's page showed.
    with container.uow() as s:
        proof = container.consents.proof(s, container.accounts.user_id_for_phone(PHONES[0]), Agreement.PRIVACY_POLICY)
    assert proof.granted.version == material.version and proof.granted.how == "page"
    assert proof.text == material.text("zh_CN") and proof.text_matches


@pytest.mark.promise("JD-9.1a", "JD-2.3a")
def test_a_change_that_reduces_rights_waits_for_an_explicit_acceptance(client, sms, container, clock):
    web_register(client, sms, phone=PHONES[1])
    container.policy.publish(today(container))
    clock.advance(minutes=1)
    container.settings.rights_deadline_days = 20  # answered later: a right reduced
    v = container.policy.publish(today(container), "答复期限延长", "Longer deadline")
    assert v.kind == "material" and v.fresh_consent
    page = client.get("/orders")
    assert 'data-blocking="true"' in page.text and 'data-testid="policy-notice-blocking"' in page.text
    assert "<h1>我的包裹</h1>" not in page.text
    # The policy, its changes and one's rights stay reachable.
    assert 'data-blocking="false"' in client.get("/privacy").text
    assert client.get("/privacy/me").status_code == 200
    # A forged or stale text hash is refused and nothing is recorded.
    r = client.post("/privacy/accept", data={"csrf_token": tok(client), "version": v.version, "text_hash": "0" * 64})
    assert r.status_code == 409 and 'data-code="policy_text_mismatch"' in r.text
    assert 'data-blocking="true"' in client.get("/orders").text
    r = client.post("/privacy/accept", data={"csrf_token": tok(client), "version": v.version, "text_hash": v.text_hash,
                                             "next": "https://evil.example/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert 'data-testid="policy-notice"' not in client.get("/orders").text


def test_the_api_tells_a_customer_of_a_pending_change_and_takes_the_acceptance(client, sms, container, clock):
    token = register(client, sms, phone=PHONES[2])
    h = auth(token)
    assert client.get("/api/v1/policy/notice", headers=h).json() is None
    container.policy.publish(today(container))
    clock.advance(minutes=1)
    container.settings.rights_free_requests_per_year = 1
    v = container.policy.publish(today(container))
    notice = client.get("/api/v1/policy/notice", headers=h).json()
    assert notice["blocking"] is True and notice["version"]["version"] == v.version
    assert client.post("/api/v1/policy/accept", json={"version": v.version, "text_hash": "f" * 64}, headers=h).status_code == 409
    assert client.post("/api/v1/policy/accept", json={"version": "1999-01-01", "text_hash": v.text_hash}, headers=h).status_code == 404
    assert client.post("/api/v1/policy/accept", json={"version": v.version, "text_hash": v.text_hash}, headers=h).status_code == 204
    assert client.get("/api/v1/policy/notice", headers=h).json() is None
    current = client.get("/api/v1/policy").json()
    assert current["version"] == v.version and current["text_hash"] == v.text_hash


def test_a_customer_who_logs_in_after_a_change_took_effect_is_not_prompted_for_it(client, sms, container, clock):
    container.policy.publish(today(container))
    clock.advance(minutes=1)
    container.settings.rights_deadline_days = 10
    container.policy.publish(today(container))
    clock.advance(minutes=1)
    web_register(client, sms, phone=PHONES[3])
    assert 'data-testid="policy-notice"' not in client.get("/orders").text


# -- where the policy is -----------------------------------------------------------------------------------
@pytest.mark.promise("JD-9.4b")
def test_the_policy_is_linked_from_every_page_footer_and_from_the_account_settings(client, sms):
    for path in ("/", "/track", "/lookup", "/login"):
        assert 'data-testid="footer-privacy"' in client.get(path).text, path
    web_register(client, sms, phone=PHONES[4])
    for path in ("/orders", "/profile", "/address-book", "/privacy/me"):
        assert 'data-testid="footer-privacy"' in client.get(path).text, path
    assert 'data-testid="profile-policy"' in client.get("/profile").text
    assert 'data-testid="me-policy"' in client.get("/me").text  # 我的 → the settings list


@pytest.mark.promise("JD-9.4a")
def test_the_policy_page_reminds_people_to_keep_their_contact_details_current(client):
    zh = client.get("/privacy").text
    assert 'data-testid="keep-contact-current"' in zh and "请及时更新您的手机号码等联系方式" in zh
    assert "Please keep your mobile number and other contact details up to date" in client.get("/privacy?lang=en").text


@pytest.mark.promise("ZK-7.2a")
def test_the_zkjia_profile_spells_out_what_changed_on_a_page_of_its_own(client, sms, container, clock, monkeypatch):
    monkeypatch.setattr(container.settings, "operator", "zkjia")
    web_register(client, sms, phone=PHONES[0])
    container.policy.publish(today(container))
    clock.advance(minutes=1)
    monkeypatch.setattr(container.settings, "rights_deadline_days", 10)  # answered sooner: material, no fresh consent
    v = container.policy.publish(today(container))
    page = client.get("/orders").text
    assert 'data-testid="policy-notice-changes"' in page and f"/privacy/changes/{v.version}" in page
    changes = client.get(f"/privacy/changes/{v.version}").text
    assert "答复您请求的期限发生变化（10 天）" in changes and 'data-testid="accept-policy-changes"' in changes
    # JD announces by pop-up and SMS; its notice has no page of its own.
    monkeypatch.setattr(container.settings, "operator", "jd")
    assert 'data-testid="policy-notice-changes"' not in client.get("/orders").text
