"""Minors (PROMISES section 17, Ambiguity A14): the date of birth, the guardian's verifiable consent before a minor's
account can be used, withdrawal and data without consent erased through the rights centre, and the report channel."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from jidi import privacy
from jidi.accounts.models import User
from jidi.guardians.models import AgeStatement, GuardianConsent, MinorReport
from jidi.privacy import Actor, Purpose, Role, Separate
from jidi.privacy.models import ConsentRecord
from jidi.rights.models import RightsRequest
from tests.pii import NAMES, PHONES
from tests.test_accounts_api import auth, register
from tests.test_accounts_web import csrf, web_register

CHILD, GUARDIAN, ADULT = PHONES[0], PHONES[1], PHONES[2]


def years_ago(clock, years: int, days: int = 0) -> str:
    today = clock.now.date()
    return (today.replace(year=today.year - years) - dt.timedelta(days=days)).isoformat()


def state(client, h, birth_date):
    return client.put("/api/v1/guardian/birth-date", json={"birth_date": birth_date}, headers=h)


def ask(client, h, phone=GUARDIAN, relation="parent"):
    return client.post("/api/v1/guardian/codes", json={"relation": relation, "phone": phone}, headers=h)


def consent(client, h, code, token, agree=True, **extra):
    return client.post("/api/v1/guardian/consent", json={"code": code, "token": token, "agree": agree, **extra}, headers=h)


def count(container, model, *where):
    with container.uow() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def ledger(container, user_id):
    with container.uow() as s:
        return container.consents.history(s, user_id, Separate.SENSITIVE_MINOR)


def user_id(client, h):
    r = client.get("/api/v1/guardian", headers=h)  # open while waiting
    assert r.status_code == 200
    token = h["Authorization"].split()[1]
    return client.app.state.container.accounts.authenticate(token, ("api",))[0]


@pytest.fixture
def child(client, sms, clock):
    """A customer who stated a date of birth 10 years ago: the account waits for the guardian."""
    h = auth(register(client, sms, phone=CHILD))
    clock.advance(seconds=61)
    r = state(client, h, years_ago(clock, 10))
    assert r.status_code == 200 and r.json()["next_step"] == "ask_guardian" and r.json()["usable"] is False
    return h


def consented(client, sms, clock, h):
    assert ask(client, h).status_code == 202
    text = client.get("/api/v1/guardian/consent-text", headers=h).json()
    r = consent(client, h, sms.last_code(GUARDIAN), text["token"])
    assert r.status_code == 200, r.text
    clock.advance(seconds=61)
    return text


@pytest.mark.promise("JD-7.1a", "CN-10.1a", "CN-10.1b", "CN-10.2a")
def test_a_minors_account_waits_for_the_guardian_and_says_what_to_do(client, sms, clock, container, child):
    for lang, words in (("zh_CN", "监护人"), ("en", "guardian")):
        r = client.get(f"/api/v1/me?lang={lang}", headers=child)
        assert r.status_code == 403
        err = r.json()["error"]
        assert err["code"] == "guardian_consent_required" and words in err["message"] and "14" in err["message"]
        assert err["page"] == "/guardian" and err["api"] == "/api/v1/guardian"
    assert client.get("/api/v1/orders", headers=child).status_code == 403
    # The guardian pages and logging out stay open.
    assert client.get("/api/v1/guardian", headers=child).json()["next_step"] == "ask_guardian"

    assert ask(client, child).status_code == 202
    sent = [body for to, body in sms.sent if to == GUARDIAN]
    assert len(sent) == 1 and "guardian" in sent[0] or "监护人" in sent[0]
    text = client.get("/api/v1/guardian/consent-text?lang=en", headers=child).json()
    version = container.settings.policy_version
    assert text["policy_version"] == version and version in text["text"] and "parent" in text["text"]
    assert client.get("/api/v1/me", headers=child).status_code == 403  # a code sent is not a consent

    r = consent(client, child, sms.last_code(GUARDIAN), text["token"])
    assert r.status_code == 200 and r.json()["usable"] is True and r.json()["guardian"]["status"] == "active"
    assert r.json()["guardian"]["phone"] == GUARDIAN[:3] + "****" + GUARDIAN[-4:]
    assert client.get("/api/v1/me", headers=child).status_code == 200

    # The consent is in the consent ledger: the guardian's, with the exact text shown and the policy version.
    uid = user_id(client, child)
    with container.uow() as s:
        proof = container.consents.proof(s, uid, Separate.SENSITIVE_MINOR)
    assert proof.granted.how == "guardian" and proof.granted.version == version and proof.text == text["text"]
    assert proof.text_matches


def test_bad_guardian_input_is_refused_and_nothing_is_recorded(client, sms, clock, container, child):
    uid = user_id(client, child)
    r = ask(client, child, phone=CHILD)
    assert r.status_code == 409 and r.json()["error"]["code"] == "guardian_own_number"
    assert ask(client, child, relation="friend").status_code == 422
    assert ask(client, child, phone="12345").status_code == 422
    assert count(container, GuardianConsent) == 0 and not [1 for to, _ in sms.sent if to == GUARDIAN]
    r = client.get("/api/v1/guardian/consent-text", headers=child)
    assert r.status_code == 409 and r.json()["error"]["code"] == "guardian_not_pending"

    assert ask(client, child).status_code == 202
    token = client.get("/api/v1/guardian/consent-text", headers=child).json()["token"]
    code = sms.last_code(GUARDIAN)
    r = consent(client, child, code, token, agree=False)
    assert r.status_code == 400 and r.json()["error"]["code"] == "guardian_must_agree"
    wrong = "000000" if code != "000000" else "111111"
    assert consent(client, child, wrong, token).status_code == 400
    r = consent(client, child, code, "forged-token")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_consent_post"
    # Nothing half-recorded: no consent in the ledger, the guardian still pending, the account still waiting.
    assert ledger(container, uid) == []
    with container.uow() as s:
        assert s.scalars(select(GuardianConsent.status)).one() == "pending"
        assert s.scalar(select(AgeStatement.status).where(AgeStatement.user_id == uid)) == "waiting"
    assert client.get("/api/v1/me", headers=child).status_code == 403


def test_the_date_of_birth_is_checked_and_stated_once(client, sms, clock, container):
    h = auth(register(client, sms, phone=ADULT))
    tomorrow = (clock.now.date() + dt.timedelta(days=2)).isoformat()
    r = state(client, h, tomorrow)
    assert r.status_code == 400 and r.json()["error"]["code"] == "birth_date_in_future"
    for bad in ("1800-01-01", "2010-02-30"):
        r = state(client, h, bad)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_birth_date"
    assert state(client, h, "not a date").status_code == 422
    assert count(container, AgeStatement) == 0
    r = state(client, h, years_ago(clock, 30))
    assert r.status_code == 200 and r.json()["usable"] is True and r.json()["next_step"] == "done"
    r = state(client, h, years_ago(clock, 10))
    assert r.status_code == 409 and r.json()["error"]["code"] == "age_already_stated"
    assert client.get("/api/v1/me", headers=h).status_code == 200
    # A guardian's consent for an adult is refused: no code sent, nothing recorded.
    r = ask(client, h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "guardian_not_needed"
    assert count(container, GuardianConsent) == 0 and not [1 for to, _ in sms.sent if to == GUARDIAN]
    # Sealed: the date itself is nowhere in the database in plaintext.
    with container.uow() as s:
        row = s.scalars(select(AgeStatement)).one()
        raw = s.scalar(select(AgeStatement.__table__.c.birth_date))
        assert years_ago(clock, 30).encode() not in raw
        assert privacy.open(row.birth_date, for_=Purpose.SELF_SERVICE, actor=Actor.system()) == years_ago(clock, 30)


def test_the_day_before_the_birthday_still_counts_as_under_age(client, sms, clock, container):
    h = auth(register(client, sms, phone=ADULT))
    r = state(client, h, years_ago(clock, 14, days=-1))  # 14 tomorrow
    assert r.json()["usable"] is False


@pytest.mark.promise("JD-11.3b")
def test_a_childs_data_is_sensitive_and_needs_the_separate_consent(container):
    assert container.catalog.spec("age_statements", "birth_date").sensitive
    from jidi.guardians import feature  # noqa: PLC0415
    from jidi.guardians.service import TOPIC  # noqa: PLC0415

    assert TOPIC is Separate.SENSITIVE_MINOR and Separate.SENSITIVE_MINOR in feature.consent_purposes


@pytest.mark.promise("JD-7.2")
def test_the_guardians_withdrawal_erases_the_childs_account(client, sms, clock, container, child):
    uid = user_id(client, child)
    consented(client, sms, clock, child)
    # Anyone may ask; only a number that gave a consent gets a code, and the answer is the same.
    r = client.post("/api/v1/guardian/withdrawal/codes", json={"phone": ADULT})
    assert r.status_code == 202 and not [1 for to, _ in sms.sent if to == ADULT]
    before = len(sms.sent)
    r2 = client.post("/api/v1/guardian/withdrawal/codes", json={"phone": GUARDIAN})
    assert r2.status_code == 202 and r2.json() == r.json() and len(sms.sent) == before + 1
    assert client.post("/api/v1/guardian/withdrawal", json={"phone": GUARDIAN, "code": "000000" if sms.last_code(GUARDIAN) != "000000" else "111111"}).status_code == 400
    assert client.get("/api/v1/me", headers=child).status_code == 200
    r = client.post("/api/v1/guardian/withdrawal", json={"phone": GUARDIAN, "code": sms.last_code(GUARDIAN)})
    assert r.status_code == 200 and r.json() == {"accounts": 1}
    # The account stops at once and its data is erased through the rights centre's deletion.
    assert client.get("/api/v1/me", headers=child).status_code == 401
    with container.uow() as s:
        assert s.get(User, uid).status == "erased"
        req = s.scalars(select(RightsRequest)).one()  # the record of the deletion (no longer linked to the account)
        assert req.kind == "deletion" and req.status == "fulfilled"
    assert count(container, AgeStatement) == 0 and count(container, GuardianConsent) == 0
    events = ledger(container, uid)
    assert [e.action for e in events] == ["grant", "withdraw"] and events[-1].how == "guardian"


@pytest.mark.promise("JD-7.2", "ZK-6.3")
def test_a_minors_account_without_the_guardians_consent_in_time_is_erased(client, sms, clock, container, child):
    uid = user_id(client, child)
    clock.advance(days=6)
    assert container.guardians.erase_unconsented() == 0
    clock.advance(days=1, seconds=1)
    assert container.guardians.erase_unconsented() == 1
    with container.uow() as s:
        assert s.get(User, uid).status == "erased"
    assert count(container, AgeStatement) == 0
    assert client.get("/api/v1/guardian", headers=child).status_code == 401


@pytest.mark.promise("JD-7.1b", "CN-10.2b", "ZK-6.2")
def test_a_childs_data_opens_only_for_what_the_guardian_consented_to(client, sms, clock, container):
    """A child's own consent opens nothing: their marketing consent ends when they state their age, they cannot give one
    alone, one recorded anyway (imported from before) does not count; what their guardian consents to does."""
    from jidi.marketing.channels import Channel  # noqa: PLC0415
    from jidi.marketing.service import notice  # noqa: PLC0415

    h = auth(register(client, sms, phone=CHILD))
    uid = user_id(client, h)
    sms_on = next(st for st in container.marketing.states(uid, "zh_CN") if st.channel is Channel.SMS)
    container.marketing.grant(uid, "sms", sms_on.token)  # given before anyone knew the age

    def live() -> bool:
        with container.uow() as s:
            return container.consents.is_live(s, uid, Purpose.MARKETING_SMS)

    def opens() -> bool:
        with container.uow() as s:
            try:
                privacy.open(container.accounts.phone(s, uid), for_=Purpose.MARKETING_SMS, actor=Actor.system())
            except privacy.ConsentRequired:
                return False
            return True

    assert live() and opens()
    clock.advance(seconds=61)
    assert state(client, h, years_ago(clock, 10)).status_code == 200
    assert not live() and not opens()  # ended as the age was stated
    with container.uow() as s:
        assert container.consents.history(s, uid, Purpose.MARKETING_SMS)[-1].how == "age_rule"
    consented(client, sms, clock, h)
    # The child cannot consent alone, on any page or the API.
    offer = client.get("/api/v1/me/consents/marketing_sms/offer", headers=h).json()
    r = client.post("/api/v1/me/consents/marketing_sms", json={"token": offer["token"], "text_sha256": offer["text_sha256"]}, headers=h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "consent_by_guardian"
    assert not live()
    # A consent of the child's that is in the ledger anyway (recorded before the ledger) opens nothing.
    with container.uow() as s:
        container.consents.import_grant(s, uid, Purpose.MARKETING_SMS, version="2026-01-01", at=clock.now)
    assert not live() and not opens()
    with container.uow() as s:
        assert uid not in container.marketing.languages(s, [uid], Channel.SMS)  # no campaign reaches the child
    # The guardian's explicit consent does, while the guardian's consent to the account holds.
    with container.uow() as s:
        container.consents.record_grant(s, uid, Purpose.MARKETING_SMS, notice(Channel.SMS, "zh_CN"), how="guardian",
                                        how_ref="guardian, by phone")
    assert live() and opens()
    with container.uow() as s:
        container.consents.withdraw(s, uid, Separate.SENSITIVE_MINOR, how="guardian")
    assert not live()


def test_an_adults_consent_recorded_before_the_ledger_still_counts(client, sms, clock, container):
    h = auth(register(client, sms, phone=ADULT))
    uid = user_id(client, h)
    clock.advance(seconds=61)
    assert state(client, h, years_ago(clock, 30)).status_code == 200
    with container.uow() as s:
        container.consents.import_grant(s, uid, Purpose.MARKETING_SMS, version="2026-01-01", at=clock.now)
    with container.uow() as s:
        assert container.consents.is_live(s, uid, Purpose.MARKETING_SMS)
        assert privacy.open(container.accounts.phone(s, uid), for_=Purpose.MARKETING_SMS, actor=Actor.system()) == ADULT


def test_withdrawing_in_the_consent_ledger_erases_too(client, sms, clock, container, child):
    uid = user_id(client, child)
    consented(client, sms, clock, child)
    with container.uow() as s:
        container.consents.withdraw(s, uid, Separate.SENSITIVE_MINOR, how="page")
    with container.uow() as s:
        assert s.get(User, uid).status == "erased"


def test_a_required_age_statement_holds_every_new_customer_until_stated(client, sms, clock, container):
    container.settings.minors_age_statement = "required"
    h = auth(register(client, sms, phone=ADULT))
    r = client.get("/api/v1/me", headers=h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "age_statement_required"
    assert client.get("/api/v1/guardian", headers=h).json()["next_step"] == "state_age"
    assert state(client, h, years_ago(clock, 40)).status_code == 200
    assert client.get("/api/v1/me", headers=h).status_code == 200


@pytest.mark.promise("ZK-6.1")
def test_under_18_needs_the_guardians_written_consent_where_the_operator_says_so(client, sms, clock, container):
    container.settings.minors_age, container.settings.minors_written_consent = 18, True
    h = auth(register(client, sms, phone=CHILD))
    assert state(client, h, years_ago(clock, 16)).json()["usable"] is False
    assert client.get("/api/v1/me", headers=h).status_code == 403
    assert ask(client, h).status_code == 202
    text = client.get("/api/v1/guardian/consent-text", headers=h).json()
    assert "18" in text["text"]
    r = consent(client, h, sms.last_code(GUARDIAN), text["token"])
    assert r.status_code == 400 and r.json()["error"]["code"] == "signature_required"
    assert client.get("/api/v1/me", headers=h).status_code == 403
    r = consent(client, h, sms.last_code(GUARDIAN), text["token"], signature=NAMES[0])
    assert r.status_code == 200 and r.json()["usable"] is True
    with container.uow() as s:
        row = s.scalars(select(GuardianConsent)).one()
        assert privacy.open(row.signature, for_=Purpose.CUSTOMER_SERVICE, actor=Actor.system()) == NAMES[0]


@pytest.mark.promise("CN-10.1c", "CN-12.1d")
def test_anyone_can_report_a_minors_data_and_it_reaches_the_privacy_officer(client, sms, clock, container):
    kid = auth(register(client, sms, phone=CHILD))
    uid = user_id(client, kid)
    r = client.post("/api/v1/minors/reports", json={"details": "这个账号是我 12 岁孩子自己注册的", "account_phone": CHILD})
    assert r.status_code == 201
    assert client.post("/api/v1/minors/reports", json={"details": ""}).status_code == 422
    officer = Actor(container.accounts.create_staff(Role.PRIVACY_OFFICER, "dpo", "a long officer password")[0], Role.PRIVACY_OFFICER)
    agent = Actor(container.accounts.create_staff(Role.SUPPORT_AGENT, "agent", "a long agent password")[0], Role.SUPPORT_AGENT)
    with pytest.raises(Exception):  # noqa: B017 - forbidden to anyone but the officer
        container.guardians.reports(agent)
    [rep] = container.guardians.reports(officer)
    assert rep.status == "open" and "12 岁" in rep.details and rep.account_phone.masked == CHILD[:3] + "****" + CHILD[-4:]
    # Upheld: the account's data was collected without a guardian's consent, and is erased.
    container.guardians.close_report(officer, rep.id, erase=True)
    with container.uow() as s:
        assert s.get(User, uid).status == "erased"
        assert s.scalars(select(MinorReport.status)).one() == "upheld"


def test_the_pages_walk_a_minor_to_the_guardians_consent(client, sms, clock, container):
    web_register(client, sms, phone=CHILD)
    clock.advance(seconds=61)
    token = csrf(client)
    r = client.post("/guardian/age", data={"csrf_token": token, "birth_date": years_ago(clock, 9)}, follow_redirects=False)
    assert r.status_code == 303
    r = client.get("/profile", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/guardian"
    r = client.post("/profile", data={"csrf_token": token, "nickname": "x"}, follow_redirects=False)
    assert r.status_code == 403 and 'data-code="guardian_consent_required"' in r.text
    page = client.get("/guardian?lang=en")
    assert 'data-testid="waiting"' in page.text and "guardian" in page.text
    r = client.post("/guardian/ask", data={"csrf_token": token, "relation": "parent", "phone": GUARDIAN})
    assert r.status_code == 200 and 'data-testid="guardian-code-sent"' in r.text and 'data-testid="consent-text"' in r.text
    offer = re.search(r'name="token" value="([^"]+)"', r.text).group(1)
    r = client.post("/guardian/confirm", data={"csrf_token": token, "token": offer, "code": sms.last_code(GUARDIAN), "agree": "on"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    assert client.get("/profile").status_code == 200
    zh = client.get("/guardian?lang=zh_CN").text
    assert 'data-testid="ready"' in zh and "监护人" in zh
    r = client.post("/minors/report", data={"csrf_token": token, "details": "举报内容"})
    assert r.status_code == 200 and 'data-testid="reported"' in r.text
    assert count(container, MinorReport) == 1
    assert count(container, ConsentRecord) >= 1


def test_a_consented_minor_cancelling_the_account_is_erased_at_once(client, sms, clock, container, child):
    """Cancellation withdraws every consent (JD-6.4.3a); the guardian's among them means the child's data goes now."""
    uid = user_id(client, child)
    consented(client, sms, clock, child)
    with container.uow() as s:
        container.accounts.suspend(s, uid, clock.now)
    with container.uow() as s:
        assert s.get(User, uid).status == "erased"
    assert [e.action for e in ledger(container, uid)] == ["grant", "withdraw"]


def test_an_adults_own_consent_to_the_minors_topic_withdrawn_erases_nothing(client, sms, clock, container):
    h = auth(register(client, sms, phone=ADULT))
    assert state(client, h, years_ago(clock, 30)).status_code == 200
    uid = user_id(client, h)
    notice = privacy.Notice("1", "text")
    with container.uow() as s:
        container.consents.record_grant(s, uid, Separate.SENSITIVE_MINOR, notice, how="page")
    with container.uow() as s:
        container.consents.withdraw(s, uid, Separate.SENSITIVE_MINOR, how="page")
    assert client.get("/api/v1/me", headers=h).status_code == 200
    assert count(container, RightsRequest) == 0


@pytest.mark.promise("ZK-6.1")
def test_the_age_rule_follows_the_operator_profile():
    from jidi.config import Settings  # noqa: PLC0415
    from jidi.policy.operators import PROFILES  # noqa: PLC0415

    for key, profile in PROFILES.items():
        st = Settings(env="test", operator=key)
        assert (st.minors_age, st.minors_written_consent) == (profile.minors_age, profile.minors_written_consent), key
    assert Settings(env="test", operator="zkjia").minors_age == 18
    assert Settings(env="test", operator="zkjia", minors_age=16).minors_age == 16  # set explicitly: it wins
