"""The consent engine (jidi.privacy.consent): legal bases per use, the append-only consent ledger, the live-consent
check of the one opening API, withdrawal, separate consents, the proof of consent; my consents (API and pages), the
officer's proof page and `jidi consent proof`."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from jidi import models, privacy
from jidi.accounts.models import User
from jidi.consents.service import TEXTS
from jidi.i18n import gettext_for
from jidi.privacy import (
    CONSENTABLE, MARKETING, PURPOSE_BASIS, Actor, Agreement, ConsentRequired, LegalBasis, Notice, Purpose, PurposeNotAllowed, Role,
    Separate,
)
from jidi.privacy.catalog import Catalog
from jidi.privacy.consent import AppendOnly, live_among
from jidi.privacy.models import AuditRecord, ConsentRecord, ConsentText
from tests.test_accounts_api import auth, register
from tests.test_rights_pages import EN, ZH, error_code, staff_client, tok, web_login
from tests.pii import PHONES

ME, OTHER = PHONES[3], PHONES[4]
NOTICE = Notice("2026-12-06", "We may send you offers by SMS. Withdraw at any time.")


def me(client, sms, container, phone=ME) -> tuple[dict, uuid.UUID]:
    h = auth(register(client, sms, phone=phone))
    return h, uuid.UUID(client.get("/api/v1/me", headers=h).json()["id"])


def ledger_count(container) -> int:
    with container.uow() as s:
        return s.scalar(select(func.count()).select_from(ConsentRecord))


def opened_phone(container, user_id, purpose, actor=None):
    with container.uow() as s:
        return privacy.open(s.get(User, user_id).phone, for_=purpose, actor=actor or Actor.system())


# -- legal bases ---------------------------------------------------------------------------------------------------
@pytest.mark.promise("JD-1.5", "ZK-1.5.1")
def test_every_use_of_every_personal_field_has_a_legal_basis():
    catalog = Catalog.from_base(models.Base)
    missing = [f"{spec.key} for {p.value}" for spec in catalog.fields.values() for p in spec.purposes if spec.basis_for(p) is None]
    assert not missing, f"uses without a legal basis: {missing}"
    # Marketing rests on consent on every channel; the basis is per use: the phone is contract for login, consent for SMS.
    assert all(PURPOSE_BASIS[p] is LegalBasis.CONSENT for p in MARKETING)
    phone = catalog.spec("users", "phone")
    assert phone.basis_for(Purpose.LOGIN) is LegalBasis.CONTRACT and phone.basis_for(Purpose.MARKETING_SMS) is LegalBasis.CONSENT
    # PIPL art. 13's bases, each one enumerated.
    assert {b.value for b in LegalBasis} == {"consent", "contract", "legal_obligation", "vital_interests", "public_interest",
                                             "made_public", "other_law"}


def test_a_field_cannot_name_a_basis_for_a_use_it_does_not_list():
    with pytest.raises(ValueError):
        privacy.personal("x", "x", privacy.Category.CONTACT, purposes={Purpose.LOGIN}, basis=LegalBasis.CONTRACT,
                         retention=privacy.RETAIN_ACCOUNT, mask=privacy.Mask.PHONE, bases={Purpose.MARKETING_SMS: LegalBasis.CONSENT})


def test_topics_are_distinct_and_the_separate_consents_are_each_their_own():
    values = [t.value for t in (*Purpose, *Separate, *Agreement)]
    assert len(values) == len(set(values))
    assert {s.value for s in Separate} == {"sensitive_id_number", "sensitive_bank_card", "sensitive_location", "sensitive_minor",
                                           "third_party", "public_disclosure", "cross_border"}
    assert set(Separate) - {Separate.SENSITIVE_MINOR} <= set(CONSENTABLE) and Agreement.PRIVACY_POLICY not in CONSENTABLE
    assert Separate.SENSITIVE_MINOR not in CONSENTABLE  # the guardian's, on the guardian's pages


# -- the one opening API -----------------------------------------------------------------------------------------------
@pytest.mark.promise("JD-6.4.3b", "CN-8.3.1b")
def test_opening_for_a_use_on_consent_needs_a_live_consent_and_stops_at_withdrawal(client, sms, container):
    _h, uid = me(client, sms, container)
    with pytest.raises(ConsentRequired):
        opened_phone(container, uid, Purpose.MARKETING_SMS)
    assert opened_phone(container, uid, Purpose.NOTIFICATION) == ME  # a use on the contract needs no consent
    with container.uow() as s:
        container.consents.record_grant(s, uid, Purpose.MARKETING_SMS, NOTICE, how="page", how_ref="test")
    assert opened_phone(container, uid, Purpose.MARKETING_SMS) == ME
    # Consent to SMS is not consent to calls: per channel.
    with pytest.raises(ConsentRequired):
        opened_phone(container, uid, Purpose.MARKETING_CALL)
    with container.uow() as s:
        container.consents.withdraw(s, uid, Purpose.MARKETING_SMS, how="page")
    # Stopped at once, in every process: the next opening asks the ledger.
    with pytest.raises(ConsentRequired) as refused:
        opened_phone(container, uid, Purpose.MARKETING_SMS)
    assert isinstance(refused.value, PurposeNotAllowed) and ME not in str(refused.value)
    # What was done before stays: the grant is still in the history, followed by the withdrawal.
    with container.uow() as s:
        assert [e.action for e in container.consents.history(s, uid, Purpose.MARKETING_SMS)] == ["grant", "withdraw"]


def test_many_values_are_checked_with_one_answer_per_subject(client, sms, clock, container):
    _h, a = me(client, sms, container)
    clock.advance(seconds=61)
    _h, b = me(client, sms, container, phone=OTHER)
    with container.uow() as s:
        container.consents.record_grant(s, a, Purpose.MARKETING_SMS, NOTICE, how="page")
        assert live_among(s, container.vault.keys, [a, b], Purpose.MARKETING_SMS) == {a}
        phones = [s.get(User, a).phone, s.get(User, b).phone]
        with pytest.raises(ConsentRequired):
            privacy.open_all(phones, for_=Purpose.MARKETING_SMS, actor=Actor.system())
        assert privacy.open_all(phones[:1], for_=Purpose.MARKETING_SMS, actor=Actor.system()) == [ME]


@pytest.mark.promise("JD-1.5", "ZK-1.5.1")
def test_an_audited_opening_records_the_legal_basis_it_rested_on(client, sms, container):
    _h, uid = me(client, sms, container)
    opened_phone(container, uid, Purpose.SELF_SERVICE, Actor(uid, Role.CUSTOMER))
    with container.uow() as s:
        rec = s.scalars(select(AuditRecord).where(AuditRecord.action == "reveal").order_by(AuditRecord.at.desc())).first()
        assert (rec.purpose, rec.basis) == ("self_service", "contract")
    # The record's MAC covers the basis: the chain still verifies.
    assert container.audit.verify(container.uow) == []


# -- the ledger ------------------------------------------------------------------------------------------------------------
@pytest.mark.promise("JD-4.2d")
def test_the_proof_replays_the_exact_text_version_way_and_time(client, sms, clock, container):
    _h, uid = me(client, sms, container)
    with container.uow() as s:
        container.consents.record_grant(s, uid, Separate.CROSS_BORDER, NOTICE, how="agent", how_ref="p_agent")
    clock.advance(minutes=5)
    with container.uow() as s:
        container.consents.withdraw(s, uid, Separate.CROSS_BORDER, how="sms_reply")
        proof = container.consents.proof(s, uid, Separate.CROSS_BORDER)
        row = s.scalars(select(ConsentRecord).where(ConsentRecord.topic == "cross_border")).first()
    assert (proof.text, proof.text_matches, proof.granted.version, proof.granted.how, proof.granted.how_ref) == (
        NOTICE.text, True, NOTICE.version, "agent", "p_agent")
    assert proof.withdrawn is not None and proof.withdrawn.how == "sms_reply" and proof.withdrawn.at > proof.granted.at
    # Pseudonymous: the subject is the audit's keyed pseudonym, not the account id.
    assert row.subject == container.vault.pseudonym(uid) and str(uid) not in row.subject


def test_the_ledger_is_append_only(client, sms, container, backend):
    _h, uid = me(client, sms, container)
    with container.uow() as s:
        container.consents.record_grant(s, uid, Purpose.MARKETING_SMS, NOTICE, how="page")
    with pytest.raises(AppendOnly), container.uow() as s:
        s.scalars(select(ConsentRecord)).first().action = "withdraw"
    with pytest.raises(AppendOnly), container.uow() as s:
        s.delete(s.scalars(select(ConsentText)).first())
    with pytest.raises(AppendOnly), container.uow() as s:
        s.execute(update(ConsentRecord).values(action="withdraw"))
    if backend[0] == "postgresql":  # below the application too
        for sql in ("UPDATE consent_ledger SET action = 'withdraw'", "DELETE FROM consent_ledger", "TRUNCATE consent_ledger",
                    "UPDATE consent_texts SET body = 'other'", "DELETE FROM consent_texts"):
            with pytest.raises(DBAPIError, match="append-only"), container.engine.begin() as conn:
                conn.execute(text(sql))
    with container.uow() as s:
        assert container.consents.is_live(s, uid, Purpose.MARKETING_SMS)


def test_a_record_written_by_hand_grants_nothing_and_verify_names_it(client, sms, container):
    _h, uid = me(client, sms, container)
    with container.uow() as s:
        s.add(ConsentRecord(subject=container.vault.pseudonym(uid), topic="marketing_sms", action="grant", version="x",
                            text_sha256=None, how="page", how_ref="", at=container.clock(), nonce=None, mac="0" * 64))
    with container.uow() as s:
        assert not container.consents.is_live(s, uid, Purpose.MARKETING_SMS)
        assert container.consents.proof(s, uid, Purpose.MARKETING_SMS) is None
        assert len(container.consents.verify(s)) == 1
    with pytest.raises(ConsentRequired):
        opened_phone(container, uid, Purpose.MARKETING_SMS)


def test_withdrawal_calls_the_registered_handlers_in_its_transaction(client, sms, container):
    _h, uid = me(client, sms, container)
    seen = []
    container.consents.on_withdrawal(Purpose.MARKETING_PUSH, lambda s, sid, topic: seen.append((sid, topic)))
    with container.uow() as s:
        container.consents.record_grant(s, uid, Purpose.MARKETING_PUSH, NOTICE, how="page")
    with container.uow() as s:
        container.consents.withdraw(s, uid, Purpose.MARKETING_PUSH, how="page")
    assert seen == [(uid, Purpose.MARKETING_PUSH)]

    def broken(s, sid, topic):
        raise RuntimeError("the feature could not stop")
    container.consents.on_withdrawal(Purpose.MARKETING_EMAIL, broken)
    with container.uow() as s:
        container.consents.record_grant(s, uid, Purpose.MARKETING_EMAIL, NOTICE, how="page")
    before = ledger_count(container)
    with pytest.raises(RuntimeError), container.uow() as s:
        container.consents.withdraw(s, uid, Purpose.MARKETING_EMAIL, how="page")
    assert ledger_count(container) == before  # nothing half-recorded: the consent is still live
    with container.uow() as s:
        assert container.consents.is_live(s, uid, Purpose.MARKETING_EMAIL)


def test_the_feature_contract_wires_withdrawal_handlers(monkeypatch, settings, backend, sms, clock):
    from jidi import bootstrap as boot  # noqa: PLC0415
    from jidi.kit.feature import Feature  # noqa: PLC0415

    fake = Feature("fake", consent_purposes=(Purpose.MARKETING_CALL,), on_withdrawal="tests.test_consent:_fake_handler")
    real = boot.registered()
    monkeypatch.setattr(boot, "registered", lambda: (*real, fake))
    c = boot.bootstrap(settings, engine=backend[2], sms=sms, clock=clock)
    # The fake's handler, bound to this container, beside those of the features that use the purpose (marketing).
    assert [h.args for h in c.consents.handlers[Purpose.MARKETING_CALL] if h.func is _fake_handler] == [(c,)]


def _fake_handler(container, session, subject_id, topic) -> None:  # pragma: no cover - wired, not called
    pass


# -- bad input ----------------------------------------------------------------------------------------------------------------
def test_withdrawing_a_consent_never_given_is_a_clear_error_and_records_nothing(client, sms, container):
    h, _uid = me(client, sms, container)
    before = ledger_count(container)
    r = client.post("/api/v1/me/consents/marketing_sms/withdraw", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "consent_not_given"
    r = client.post("/api/v1/me/consents/marketing_sms/withdraw", headers={**h, "Accept-Language": "zh-CN"})
    assert r.json()["error"]["message"] == gettext_for("zh_CN")(
        "There is no consent to withdraw here: it was never given or is already withdrawn.")
    assert client.post("/api/v1/me/consents/not_a_purpose/withdraw", headers=h).status_code == 422
    assert ledger_count(container) == before


def test_forged_replayed_and_mismatched_consent_posts_are_refused(client, sms, clock, container):
    h, uid = me(client, sms, container)
    clock.advance(seconds=61)
    other, _ = me(client, sms, container, phone=OTHER)
    offer = client.get("/api/v1/me/consents/marketing_sms/offer", headers=h).json()
    before = ledger_count(container)
    bad = [
        ("marketing_sms", {"token": offer["token"][:-4] + "AAAA", "text_sha256": offer["text_sha256"]}, h),  # forged
        ("marketing_call", {"token": offer["token"], "text_sha256": offer["text_sha256"]}, h),             # other topic
        ("marketing_sms", {"token": offer["token"], "text_sha256": "0" * 64}, h),                           # other text
        ("marketing_sms", {"token": offer["token"], "text_sha256": offer["text_sha256"]}, other),           # other person
    ]
    for topic, body, who in bad:
        r = client.post(f"/api/v1/me/consents/{topic}", json=body, headers=who)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_consent_post", (topic, r.text)
    assert ledger_count(container) == before
    good = {"token": offer["token"], "text_sha256": offer["text_sha256"]}
    r = client.post("/api/v1/me/consents/marketing_sms", json=good, headers=h)
    assert r.status_code == 201 and r.json()["live"] is True
    assert client.post("/api/v1/me/consents/marketing_sms/withdraw", headers=h).status_code == 200
    # Replayed after the withdrawal: the token was used once.
    r = client.post("/api/v1/me/consents/marketing_sms", json=good, headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_consent_post"
    assert ledger_count(container) == before + 2
    with container.uow() as s:
        assert not container.consents.is_live(s, uid, Purpose.MARKETING_SMS)


# -- my consents: API and pages -------------------------------------------------------------------------------------------------
def test_my_consents_api_lists_each_purpose_and_gives_them_one_at_a_time(client, sms, container):
    h, uid = me(client, sms, container)
    listed = client.get("/api/v1/me/consents", headers=h).json()["consents"]
    assert {x["topic"] for x in listed} == {t.value for t in CONSENTABLE} and not any(x["live"] for x in listed)
    assert {x["topic"] for x in listed if x["separate"]} == {s.value for s in Separate if s is not Separate.SENSITIVE_MINOR}
    offer = client.get("/api/v1/me/consents/sensitive_location/offer", headers=h).json()
    r = client.post("/api/v1/me/consents/sensitive_location", json={"token": offer["token"], "text_sha256": offer["text_sha256"]},
                    headers=h)
    assert r.status_code == 201 and r.json()["live"] and r.json()["last"]["how"] == "api"
    # Never bundled: only that one is given.
    listed = client.get("/api/v1/me/consents", headers=h).json()["consents"]
    assert [x["topic"] for x in listed if x["live"]] == ["sensitive_location"]
    with container.uow() as s:
        proof = container.consents.proof(s, uid, Separate.SENSITIVE_LOCATION)
    assert proof.text == offer["text"] and proof.granted.sha256 == offer["text_sha256"]
    assert client.get("/api/v1/me/consents", headers={}).status_code == 401


@pytest.mark.promise("JD-4.2d")
def test_my_consents_page_gives_and_withdraws_each_consent_without_script(client, sms, clock, container):
    _h, uid = me(client, sms, container)
    web_login(client, sms, clock, ME)
    page = client.get("/privacy/consents")
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text and ZH("My consents") in page.text
    assert "<script" not in page.text
    rows = re.findall(r'data-testid="consent" data-topic="([a-z_]+)"', page.text)
    assert sorted(rows) == sorted(t.value for t in CONSENTABLE)
    # One form per consent, each with its own token and the hash of the text shown above it.
    form = re.search(r'action="/privacy/consents/marketing_sms/grant">.*?name="token" value="([^"]+)">'
                     r'<input type="hidden" name="text_sha256" value="([0-9a-f]{64})"', page.text, re.S)
    r = client.post("/privacy/consents/marketing_sms/grant", data={"csrf_token": tok(client), "token": form.group(1),
                                                                 "text_sha256": form.group(2)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/privacy/consents?done=granted"
    with container.uow() as s:
        proof = container.consents.proof(s, uid, Purpose.MARKETING_SMS)
    assert (proof.granted.how, proof.granted.how_ref) == ("page", "/privacy/consents")
    # The Chinese text the page showed is the one kept.
    assert proof.text == gettext_for("zh_CN")(TEXTS[Purpose.MARKETING_SMS]) != TEXTS[Purpose.MARKETING_SMS]
    # The same form again (replayed): refused on the page, in Chinese, nothing recorded.
    r = client.post("/privacy/consents/marketing_sms/grant", data={"csrf_token": tok(client), "token": form.group(1),
                                                                 "text_sha256": form.group(2)})
    assert r.status_code == 400 and error_code(r) == "invalid_consent_post"
    r = client.post("/privacy/consents/marketing_sms/withdraw", data={"csrf_token": tok(client)}, follow_redirects=False)
    assert r.status_code == 303
    english = client.get("/privacy/consents?done=withdrawn&lang=en")
    assert EN("Your consent is withdrawn. We stopped this processing now; what was done before stays as it was.") in english.text
    assert re.search(r'data-topic="marketing_sms" data-live="0"', english.text)
    r = client.post("/privacy/consents/marketing_sms/withdraw", data={"csrf_token": tok(client)})
    assert r.status_code == 409 and error_code(r) == "consent_not_given"


# -- the proof for the officer and on the command line -------------------------------------------------------------------------------
@pytest.mark.promise("JD-4.2d")
def test_the_officer_page_replays_the_consent_and_is_for_the_officer_only(app, client, sms, container):
    h, uid = me(client, sms, container)
    officer = staff_client(app, container, Role.PRIVACY_OFFICER, "officer1")
    assert 'href="/staff/consents"' in officer.get("/staff").text
    r = officer.post("/staff/consents", data={"csrf_token": tok(officer), "who": ME, "topic": "privacy_policy"})
    assert r.status_code == 200 and 'data-found="1"' in r.text
    policy = container.consents.policy.current("zh_CN")
    assert policy.text in r.text and policy.sha256 in r.text and 'data-testid="text-matches"' in r.text
    r = officer.post("/staff/consents", data={"csrf_token": tok(officer), "who": str(uid), "topic": "cross_border"})
    assert 'data-testid="no-proof"' in r.text
    r = officer.post("/staff/consents", data={"csrf_token": tok(officer), "who": "nobody-at-all", "topic": "cross_border"})
    assert r.status_code == 404
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "consent_proof")) == 2
    agent = staff_client(app, container, Role.SUPPORT_AGENT, "agent1")
    assert agent.get("/staff/consents").status_code == 403
    assert agent.post("/staff/consents", data={"csrf_token": tok(agent), "who": ME, "topic": "privacy_policy"}).status_code == 403


def test_jidi_consent_proof_prints_the_exact_text(client, sms, container, monkeypatch):
    from click.testing import CliRunner  # noqa: PLC0415

    from jidi.cli import main as cli  # noqa: PLC0415

    for key, value in {"JIDI_DATABASE_URL": container.settings.database_url, "JIDI_KEY_SOURCE": container.settings.key_source,
                       "JIDI_QUEUE_URL": "immediate", "JIDI_VAR_DIR": str(container.settings.var_dir), "JIDI_ENV": "test"}.items():
        monkeypatch.setenv(key, value)
    _h, uid = me(client, sms, container)
    result = CliRunner().invoke(cli, ["consent", "proof", str(uid), "privacy_policy"])
    assert result.exit_code == 0, result.output
    # Logged in through the API in the default language: the Chinese text, replayed.
    assert container.settings.policy_version in result.output and container.consents.policy.current("zh_CN").text in result.output
    assert "withdrawn: no" in result.output
    missing = CliRunner().invoke(cli, ["consent", "proof", str(uid), "marketing_sms"])
    assert missing.exit_code == 1 and "never gave" in missing.output
    assert CliRunner().invoke(cli, ["consent", "proof", str(uid), "nonsense"]).exit_code == 1
    assert CliRunner().invoke(cli, ["consent", "verify"]).exit_code == 0


# -- the login consent, migration and erasure ------------------------------------------------------------------------------------------
def _migrate_to(engine, revision: str) -> None:
    from alembic import command  # noqa: PLC0415

    from jidi.migrate import alembic_config  # noqa: PLC0415

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_consents_from_before_the_ledger_are_carried_onto_it_by_the_migration(client, sms, clock, container):
    """Migration 0023: the accounts' old `consents` table (a policy acceptance, a WeChat-profile authorisation later
    withdrawn) becomes ledger records under keyed pseudonyms, in the migration's transaction, and the table is gone."""
    import sqlalchemy as sa  # noqa: PLC0415

    from jidi.migrate import upgrade  # noqa: PLC0415

    _h, uid = me(client, sms, container)
    engine = container.engine
    _migrate_to(engine, "0022")
    try:
        from jidi.db import UTCDateTime  # noqa: PLC0415

        old = sa.table("consents", sa.column("id", sa.Uuid()), sa.column("subject_id", sa.Uuid()), sa.column("kind"),
                       sa.column("version"), sa.column("channel"), sa.column("granted_at", UTCDateTime(timezone=True)),
                       sa.column("withdrawn_at", UTCDateTime(timezone=True)))
        at = container.clock() - dt.timedelta(days=30)
        with engine.begin() as conn:
            conn.execute(sa.insert(old), [
                {"id": uuid.uuid4(), "subject_id": uid, "kind": "privacy_policy", "version": "2026-01-01", "channel": "web",
                 "granted_at": at, "withdrawn_at": None},
                {"id": uuid.uuid4(), "subject_id": uid, "kind": "wechat_profile", "version": "1", "channel": "wechat",
                 "granted_at": at, "withdrawn_at": at + dt.timedelta(days=1)},
            ])
        before = ledger_count(container)
        with pytest.raises(RuntimeError, match="run `jidi migrate`"):
            upgrade(engine)  # without the ledger's carrier (it needs the key ring): refused, nothing changed
        assert "consents" in sa.inspect(engine).get_table_names() and ledger_count(container) == before
    finally:
        upgrade(engine, carry_consents=container.consents.carry_legacy)
    assert "consents" not in sa.inspect(engine).get_table_names()
    assert ledger_count(container) == before + 3
    with container.uow() as s:
        policy = container.consents.history(s, uid, Agreement.PRIVACY_POLICY)
        wechat = container.consents.history(s, uid, Agreement.WECHAT_PROFILE)
    assert (policy[-1].how, policy[-1].version, policy[-1].how_ref) == ("imported", "2026-01-01", "web") and policy[-1].valid
    assert [(e.action, e.how) for e in wechat] == [("grant", "imported"), ("withdraw", "imported")]
    assert all(e.valid for e in wechat) and wechat[0].at.date() == at.date()


def test_the_wechat_profile_is_consented_to_and_withdrawn_in_the_ledger(client, sms, clock, container):
    from jidi.accounts.models import WechatLink  # noqa: PLC0415
    from jidi.accounts.service import WECHAT_PROFILE_NOTICE  # noqa: PLC0415
    from jidi.accounts.wechat import WechatIdentity  # noqa: PLC0415

    _h, uid = me(client, sms, container)
    ident = WechatIdentity("openid-1", "unionid-1", nickname="小明", avatar_url="https://wx.example/a.png")
    container.accounts.bind_wechat(uid, ident, True)
    container.accounts.wechat_login(ident)  # authorised again: one consent to one text, not recorded twice
    with container.uow() as s:
        proof = container.consents.proof(s, uid, Agreement.WECHAT_PROFILE)
        assert container.consents.is_live(s, uid, Agreement.WECHAT_PROFILE)
        assert len(container.consents.history(s, uid, Agreement.WECHAT_PROFILE)) == 1
    assert proof.granted.how == "wechat" and proof.text == WECHAT_PROFILE_NOTICE.text and proof.text_matches
    with container.uow() as s:
        container.accounts.withdraw_wechat_profile(s, uid, container.clock())
    with container.uow() as s:
        assert not container.consents.is_live(s, uid, Agreement.WECHAT_PROFILE)
        link = s.scalar(select(WechatLink).where(WechatLink.user_id == uid))
        assert link.nickname is None and not link.profile_authorised


def test_erasure_still_works_and_leaves_only_pseudonyms_in_the_ledger(client, sms, clock, container):
    from tests.test_rights import code  # noqa: PLC0415

    h, uid = me(client, sms, container)
    with container.uow() as s:
        container.consents.record_grant(s, uid, Purpose.MARKETING_SMS, NOTICE, how="page")
    r = client.post("/api/v1/privacy/requests", json={"kind": "deletion", "code": code(client, sms, clock, h, phone=ME)}, headers=h)
    assert r.status_code == 201 and r.json()["status"] == "fulfilled", r.text
    with container.uow() as s:
        rows = s.scalars(select(ConsentRecord)).all()
        assert rows and all(r.subject.startswith("p_") for r in rows)
        assert s.get(User, uid).phone is None  # nothing left to open for marketing
        # The residue scan names the ledger's records as kept (pseudonyms only), not as something left behind.
        from jidi.privacy.residue import scan  # noqa: PLC0415
        found = [f for f in scan(s, container.vault, container.datamap, uid, {"phone": ME}) if f.where.startswith("consent_ledger")]
        assert found and all(f.kept for f in found)


def test_an_opening_refused_for_want_of_consent_is_a_403_in_the_users_language(app, client, sms, container):
    h, uid = me(client, sms, container)

    def send_offer():
        opened_phone(container, uid, Purpose.MARKETING_SMS)

    app.add_api_route("/api/v1/test-marketing", send_offer)
    r = client.get("/api/v1/test-marketing", headers={"Accept-Language": "en"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "consent_required" and ME not in r.text


@pytest.mark.promise("JD-6.4.3a")
def test_cancelling_the_account_withdraws_every_consent(client, sms, clock, container):
    from tests.test_rights import code  # noqa: PLC0415

    h, uid = me(client, sms, container)
    with container.uow() as s:
        container.consents.record_grant(s, uid, Purpose.MARKETING_SMS, NOTICE, how="page")
        container.consents.record_grant(s, uid, Separate.SENSITIVE_LOCATION, NOTICE, how="page")
    r = client.post("/api/v1/privacy/requests", json={"kind": "cancellation", "code": code(client, sms, clock, h, phone=ME)},
                    headers=h)
    assert r.status_code == 201, r.text
    with container.uow() as s:
        states = container.consents.states(s, uid)
        assert not any(e is not None and e.live for e in states.values())
        assert states[Purpose.MARKETING_SMS].how == "account_closed"
    with pytest.raises(ConsentRequired):
        opened_phone(container, uid, Purpose.MARKETING_SMS)
