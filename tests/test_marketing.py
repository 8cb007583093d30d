"""Marketing (promises area 9): consent per channel in the consent ledger, opt-out by settings page, by a customer-service
agent and by replying N/BP/BR to a marketing SMS (signed gateway callbacks), do-not-disturb hours, and operators'
campaigns whose messages go out only where consent is live when the job hands them over."""
from __future__ import annotations

import datetime as dt
import json
import re

import pyotp
import pytest
from sqlalchemy import func, select

from jidi.marketing.channels import CHINA, Channel, is_opt_out, quiet_until, with_opt_out
from jidi.marketing.models import Delivery, PushDevice, SmsReply
from jidi.privacy import Actor, Purpose, Role
from jidi.privacy.models import AuditRecord, ConsentRecord
from tests.pii import PHONES
from tests.test_accounts_web import csrf, web_register

ALICE, BOB, STRANGER = PHONES[0], PHONES[1], PHONES[2]


# -- without a database --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["N", "n", " n ", "Ｎ", "ｎ\u3000", "BP", "bp", "ＢＲ", "Br.", "退订", " 退订。", "TD"])
def test_opt_out_replies_are_read_as_a_carrier_delivers_them(text):
    assert is_opt_out(text)


@pytest.mark.parametrize("text", ["", "No thanks", "NN", "B P", "yes", "N please", "好的"])
def test_other_replies_are_not_opt_outs(text):
    assert not is_opt_out(text)


def test_every_marketing_sms_carries_the_opt_out_instruction():
    assert with_opt_out("双十二寄件八折 ", "zh_CN") == "双十二寄件八折 回复N退订"
    assert with_opt_out("20% off parcels", "en").endswith("Reply N to opt out")


def _china(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, 7, hour, minute, tzinfo=CHINA)


def test_quiet_hours_are_china_time_the_night_always_and_a_persons_own_on_top():
    assert quiet_until(_china(10), None) is None
    assert quiet_until(_china(22, 30), None) == dt.datetime(2026, 12, 8, 8, tzinfo=CHINA)
    assert quiet_until(_china(7, 59), None) == _china(8)
    assert quiet_until(_china(12, 15), (12, 14)) == _china(14)
    assert quiet_until(_china(15), (12, 14)) is None
    assert quiet_until(_china(20, 30), (19, 9)) == dt.datetime(2026, 12, 8, 9, tzinfo=CHINA)
    assert quiet_until(_china(12), (8, 21)) is not None  # windows that cover the day never let it through


# -- helpers -----------------------------------------------------------------------------------------------------------
def user_id(container, phone):
    return container.accounts.user_id_for_phone(phone)


def consent(container, uid, ch: Channel):
    """Turn a channel on as the settings page does: the offer's token posted back."""
    state = next(st for st in container.marketing.states(uid, "zh_CN") if st.channel is ch)
    container.marketing.grant(uid, ch.value, state.token)


def live(container, uid, ch: Channel) -> bool:
    with container.uow() as s:
        return container.consents.is_live(s, uid, ch.purpose)


def reply(client, container, sender, text, *, sign=True, message_id=None):
    now = container.clock()
    body = json.dumps({"message_id": message_id or f"gw-{now.timestamp()}-{text!r}", "from": sender, "text": text},
                      ensure_ascii=False).encode()
    headers = container.sms.inbound.sign(body, now) if sign else {}
    return client.post("/sms/inbound", content=body, headers={**headers, "content-type": "application/json"})


@pytest.fixture
def alice(client, sms, container, clock):
    web_register(client, sms, phone=ALICE)
    clock.advance(seconds=61)
    return user_id(container, ALICE)


# -- opt-out by SMS reply ------------------------------------------------------------------------------------------------
@pytest.mark.promise("JD-6.4.2(1)")
def test_replying_n_to_a_marketing_sms_stops_marketing_sms_to_that_number(client, container, sms, alice):
    for ch in (Channel.SMS, Channel.IN_APP):
        consent(container, alice, ch)
    before = len(sms.sent)
    r = reply(client, container, ALICE, " Ｎ ")
    assert r.status_code == 200 and r.json()["outcome"] == "opted_out"
    assert not live(container, alice, Channel.SMS)
    assert live(container, alice, Channel.IN_APP)  # one channel, not the others
    # confirmed by a service SMS, which is not marketing and so is sent
    assert len(sms.sent) == before + 1 and sms.sent[-1][0] == ALICE and "marketing" in sms.sent[-1][1].lower() \
        or "营销" in sms.sent[-1][1]
    with container.uow() as s:
        rec = s.scalars(select(ConsentRecord).where(ConsentRecord.topic == Purpose.MARKETING_SMS.value)
                        .order_by(ConsentRecord.id.desc())).first()
        assert (rec.action, rec.how) == ("withdraw", "sms_reply")


@pytest.mark.parametrize(("sender", "text"), [(ALICE, "bp"), ("+86" + ALICE, "ＢＲ"), ("0086 " + ALICE, "退订")])
def test_the_other_keywords_and_number_formats_work_too(client, container, alice, sender, text):
    consent(container, alice, Channel.SMS)
    assert reply(client, container, sender, text).json()["outcome"] == "opted_out"
    assert not live(container, alice, Channel.SMS)


def test_a_callback_without_a_valid_signature_changes_nothing(client, container, alice):
    consent(container, alice, Channel.SMS)
    assert reply(client, container, ALICE, "N", sign=False).status_code == 403
    body = json.dumps({"message_id": "x1", "from": ALICE, "text": "N"}).encode()
    forged = container.sms.inbound.sign(b"{}", container.clock())  # a signature over another body
    assert client.post("/sms/inbound", content=body, headers=forged).status_code == 403
    stale = container.sms.inbound.sign(body, container.clock() - dt.timedelta(minutes=10))
    assert client.post("/sms/inbound", content=body, headers=stale).status_code == 403
    assert live(container, alice, Channel.SMS)


def test_a_reply_from_an_unknown_number_is_ignored_and_logged_without_the_number(client, container, alice, caplog):
    r = reply(client, container, STRANGER, "N")
    assert r.status_code == 200 and r.json()["outcome"] == "unknown_sender"
    assert "no account" in caplog.text and STRANGER not in caplog.text
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(ConsentRecord).where(ConsentRecord.how == "sms_reply")) == 0


def test_a_replayed_callback_is_handled_once(client, container, sms, alice):
    consent(container, alice, Channel.SMS)
    assert reply(client, container, ALICE, "N", message_id="gw-1").json()["outcome"] == "opted_out"
    consent(container, alice, Channel.SMS)  # turned on again in settings
    assert reply(client, container, ALICE, "N", message_id="gw-1").json()["outcome"] == "opted_out"
    assert live(container, alice, Channel.SMS)  # the replay did not withdraw the new consent
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(SmsReply)) == 1


def test_the_simulator_delivers_a_reply_as_the_gateway_would(client, container, alice):
    consent(container, alice, Channel.SMS)
    token = csrf(client)
    r = client.post("/dev/sms-reply", data={"csrf_token": token, "phone": ALICE, "text": "n"})
    assert r.status_code == 200 and 'data-outcome="opted_out"' in r.text
    assert not live(container, alice, Channel.SMS)


# -- the settings page ---------------------------------------------------------------------------------------------------
def _form_token(page: str, ch: str) -> str:
    m = re.search(rf'action="/settings/marketing/{ch}/on".*?name="token" value="([^"]+)"', page, re.S)
    return m.group(1)


@pytest.mark.promise("JD-1.1.3a")
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_each_channel_is_turned_on_and_off_on_its_own_in_settings_without_js(client, container, alice, lang):
    page = client.get(f"/settings/marketing?lang={lang}")
    assert page.status_code == 200 and "<script" not in page.text
    assert all(f'data-testid="channel-{ch.value}" data-live="off"' in page.text for ch in Channel)
    assert ("回复营销短信“N”退订" if lang == "zh_CN" else "replying N to a marketing SMS") in page.text
    token = csrf(client)
    r = client.post("/settings/marketing/push/on", data={"csrf_token": token, "token": _form_token(page.text, "push")},
                    follow_redirects=False)
    assert r.status_code == 303
    assert live(container, alice, Channel.PUSH) and not live(container, alice, Channel.SMS)
    # a token is single-use and tied to its channel
    r = client.post("/settings/marketing/sms/on", data={"csrf_token": token, "token": _form_token(page.text, "push")})
    assert r.status_code == 400 and not live(container, alice, Channel.SMS)
    r = client.post("/settings/marketing/push/off", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and not live(container, alice, Channel.PUSH)
    r = client.post("/settings/marketing/push/off", data={"csrf_token": token})
    assert r.status_code == 409  # nothing to withdraw: a clear error, nothing recorded
    assert client.post("/settings/marketing/fax/off", data={"csrf_token": token}).status_code == 422


def test_quiet_hours_are_checked_and_saved(client, container, alice):
    token = csrf(client)
    assert client.post("/settings/marketing/quiet-hours", data={"csrf_token": token, "start": "25", "end": "3"}).status_code == 422
    assert client.post("/settings/marketing/quiet-hours", data={"csrf_token": token, "start": "9", "end": "9"}).status_code == 422
    # with the night (21:00-08:00) it would leave no hour of the day: refused
    assert client.post("/settings/marketing/quiet-hours", data={"csrf_token": token, "start": "7", "end": "22"}).status_code == 422
    assert client.post("/settings/marketing/quiet-hours", data={"csrf_token": token, "start": "12", "end": "14"},
                       follow_redirects=False).status_code == 303
    assert container.marketing.quiet_hours(alice) == (12, 14)


def test_withdrawing_push_removes_the_device_tokens(client, container, alice):
    consent(container, alice, Channel.PUSH)
    container.marketing.register_device(alice)
    with container.uow() as s:
        container.consents.withdraw(s, alice, Purpose.MARKETING_PUSH, how="page")
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(PushDevice)) == 0


# -- customer service ------------------------------------------------------------------------------------------------------
@pytest.mark.promise("JD-6.4.2(2)")
def test_an_agent_records_an_opt_out_per_channel_asked_for_by_phone_and_it_is_audited(client, container, alice):
    for ch in Channel:
        consent(container, alice, ch)
    agent_id, secret, _ = container.accounts.create_staff(Role.SUPPORT_AGENT, "agent1", "Agent-pass-2026")
    token = csrf(client)
    r = client.post("/staff/login", data={"csrf_token": token, "username": "agent1", "password": "Agent-pass-2026",
                                          "totp": pyotp.TOTP(secret).now()}, follow_redirects=False)
    assert r.status_code == 303
    for ch in (Channel.IN_APP, Channel.PUSH, Channel.SMS, Channel.CALL):
        r = client.post("/staff/marketing/opt-out", data={"csrf_token": token, "phone": ALICE, "channel": ch.value})
        assert r.status_code == 200 and 'data-testid="opt-out-done"' in r.text, r.text
        assert not live(container, alice, ch)
    assert live(container, alice, Channel.EMAIL)  # each separately
    with container.uow() as s:
        audited = s.scalars(select(AuditRecord).where(AuditRecord.action == "marketing_opt_out")).all()
        assert len(audited) == 4 and {a.actor_role for a in audited} == {"support_agent"}
        recs = s.scalars(select(ConsentRecord).where(ConsentRecord.how == "agent")).all()
        assert len(recs) == 4 and all(r.how_ref == container.consents.pseudonym(agent_id) for r in recs)
    assert client.post("/staff/marketing/opt-out", data={"csrf_token": token, "phone": "123", "channel": "sms"}).status_code == 422
    assert client.post("/staff/marketing/opt-out", data={"csrf_token": token, "phone": STRANGER, "channel": "sms"}).status_code == 404


def test_a_courier_cannot_record_opt_outs_or_run_campaigns(container, alice):
    courier = Actor(alice, Role.COURIER)
    with pytest.raises(Exception) as err:
        container.marketing.agent_opt_out(courier, ALICE, "sms")
    assert getattr(err.value, "status", None) == 403
    with pytest.raises(Exception) as err:
        container.marketing.preview(courier, container.marketing.segment(None, None), ["sms"], "文案", "text")
    assert getattr(err.value, "status", None) == 403


# -- campaigns -----------------------------------------------------------------------------------------------------------------
@pytest.fixture
def audience(client, container, sms, clock, alice):
    """Alice and Bob, both with every channel on."""
    client.cookies.clear()
    web_register(client, sms, phone=BOB)
    bob = user_id(container, BOB)
    for uid in (alice, bob):
        for ch in Channel:
            consent(container, uid, ch)
        container.marketing.register_device(uid)
    clock.now = _china(10).astimezone(dt.timezone.utc)  # daytime in China
    return {"alice": alice, "bob": bob}


def _campaign(container, channels=("sms", "in_app", "push", "call", "email")):
    admin = Actor(container.accounts.create_staff(Role.ADMIN, "admin1", "Admin-pass-2026")[0], Role.ADMIN)
    seg = container.marketing.segment(None, None)
    cid = container.marketing.create(admin, "双十二", seg, list(channels), "双十二寄件八折", "20% off parcels this week")
    return admin, cid


@pytest.mark.promise("JD-1.1.3a")
def test_a_campaign_reaches_each_channel_with_the_opt_out_in_every_sms(container, sms, audience):
    admin, cid = _campaign(container)
    assert container.marketing.queue(admin, cid) == 10  # the jobs ran once the campaign's transaction committed
    marketing_sms = [(to, text) for to, text in sms.sent if "八折" in text]
    assert sorted(to for to, _ in marketing_sms) == sorted([ALICE, BOB])
    assert all(text.endswith("回复N退订") for _, text in marketing_sms)
    assert container.marketing.counts(cid) == {"sent": 8, "gone": 2}  # neither gave an e-mail address: nothing to send
    assert len(container.marketing.gateways["push"].taken) == 2 and len(container.marketing.gateways["call"].taken) == 2


def test_each_person_gets_marketing_in_the_language_they_agreed_in(container, sms, audience):
    """Bob turned SMS and in-app marketing on from the English settings page: the campaign reaches him in English (the
    opt-out instruction too), Alice in Chinese; his reply N is confirmed in English."""
    bob = audience["bob"]
    with container.uow() as s:
        for ch in (Channel.SMS, Channel.EMAIL):
            container.consents.withdraw(s, bob, ch.purpose, how="page")
    state = next(st for st in container.marketing.states(bob, "en") if st.channel is Channel.SMS)
    assert "I agree that jidi may send me" in state.notice
    container.marketing.grant(bob, "sms", state.token)
    admin, cid = _campaign(container, channels=("sms",))
    assert container.marketing.queue(admin, cid) == 2
    texts = {to: text for to, text in sms.sent if "八折" in text or "20% off" in text}
    assert texts == {ALICE: "双十二寄件八折 回复N退订", BOB: "20% off parcels this week Reply N to opt out"}
    with container.uow() as s:
        assert container.marketing.languages(s, [audience["alice"], bob], Channel.SMS) == {audience["alice"]: "zh_CN", bob: "en"}
    assert container.marketing.simulate_reply(BOB, "TD") == "opted_out"
    assert sms.sent[-1][0] == BOB and sms.sent[-1][1].startswith("[jidi] You will no longer receive marketing SMS")
    assert container.marketing.simulate_reply(ALICE, "N") == "opted_out"
    assert sms.sent[-1][0] == ALICE and "营销短信" in sms.sent[-1][1]


@pytest.mark.promise("JD-6.4.2(1)", "JD-6.4.2(2)")
def test_consent_is_checked_when_the_job_sends_not_when_the_campaign_is_queued(container, sms, audience, monkeypatch):
    batches = []
    monkeypatch.setattr(container.tasks, "marketing_send_batch", lambda cid, b: batches.append((cid, b)))
    admin, cid = _campaign(container)
    assert container.marketing.queue(admin, cid) == 10
    with container.uow() as s:  # Alice stops SMS and calls after the campaign was queued, before its job runs
        for p in (Purpose.MARKETING_SMS, Purpose.MARKETING_CALL):
            container.consents.withdraw(s, audience["alice"], p, how="page")
    with container.uow() as s:  # the withdrawal marked what was waiting; put it back to prove the job checks again
        s.execute(Delivery.__table__.update().where(Delivery.status == "no_consent").values(status="queued"))
    for b in batches:
        container.marketing.send_batch(*b)
    assert ALICE not in [to for to, text in sms.sent if "八折" in text]
    assert BOB in [to for to, text in sms.sent if "八折" in text]
    assert container.marketing.counts(cid) == {"sent": 6, "no_consent": 2, "gone": 2}


def test_a_withdrawal_stops_what_is_waiting_at_once(container, sms, audience, monkeypatch):
    monkeypatch.setattr(container.tasks, "marketing_send_batch", lambda cid, b: None)
    admin, cid = _campaign(container, channels=("sms",))
    container.marketing.queue(admin, cid)
    with container.uow() as s:
        container.consents.withdraw(s, audience["bob"], Purpose.MARKETING_SMS, how="page")
    assert container.marketing.counts(cid) == {"queued": 1, "no_consent": 1}


@pytest.mark.promise("ZK-1.1.4b")
def test_marketing_waits_for_the_end_of_do_not_disturb_hours(container, sms, clock, audience):
    container.marketing.set_quiet_hours(audience["bob"], 9, 12)
    admin, cid = _campaign(container, channels=("sms",))
    container.marketing.queue(admin, cid)  # 10:00 in China: Alice gets it, Bob is in his quiet hours
    assert [to for to, text in sms.sent if "八折" in text] == [ALICE]
    assert container.marketing.counts(cid) == {"sent": 1, "deferred": 1}
    clock.now = _china(11, 59).astimezone(dt.timezone.utc)
    container.marketing.send_due()
    assert container.marketing.counts(cid) == {"sent": 1, "deferred": 1}
    clock.now = _china(12, 5).astimezone(dt.timezone.utc)
    container.marketing.send_due()
    assert container.marketing.counts(cid) == {"sent": 2}


def test_nothing_goes_out_at_night_china_time(container, sms, clock, audience):
    clock.now = _china(23).astimezone(dt.timezone.utc)
    admin, cid = _campaign(container, channels=("sms",))
    container.marketing.queue(admin, cid)
    assert not [to for to, text in sms.sent if "八折" in text]
    assert container.marketing.counts(cid) == {"deferred": 2}


def test_a_campaign_is_sent_once(container, audience):
    admin, cid = _campaign(container, channels=("in_app",))
    container.marketing.queue(admin, cid)
    with pytest.raises(Exception) as err:
        container.marketing.queue(admin, cid)
    assert getattr(err.value, "code", None) == "campaign_already_sent"


@pytest.mark.promise("JD-1.1.3b")
def test_the_segment_uses_non_personal_attributes_and_checks_them(container, audience):
    """The audience is every active account with the attributes an operator chose: no score ranks, picks or drops anyone."""
    m = container.marketing
    for bad in (("99", None), ("1", None), (None, "0"), (None, "x"), (None, "99999")):
        with pytest.raises(Exception) as err:
            m.segment(*bad)
        assert getattr(err.value, "status", None) == 422
    with container.uow() as s:
        assert sorted(m.audience(s, m.segment(None, None))) == sorted(audience.values())
        assert m.audience(s, m.segment("11", None)) == []  # no default sender address in Beijing
        assert m.audience(s, m.segment(None, "30")) == []  # nobody shipped


def test_the_campaign_tool_previews_states_no_automated_decisions_and_is_for_admins(client, container, audience):
    client.cookies.clear()
    _id, secret, _ = container.accounts.create_staff(Role.ADMIN, "admin2", "Admin-pass-2026")
    token = csrf(client)
    client.post("/staff/login", data={"csrf_token": token, "username": "admin2", "password": "Admin-pass-2026",
                                      "totp": pyotp.TOTP(secret).now()})
    page = client.get("/staff/marketing?lang=en")
    assert page.status_code == 200 and "No automated decisions about users" in page.text
    form = {"csrf_token": token, "name": "Week 50", "text_zh": "双十二寄件八折", "text_en": "20% off parcels",
            "channels": ["sms", "in_app"], "province": "", "shipped_within_days": "", "action": "preview"}
    r = client.post("/staff/marketing/campaigns", data=form)
    assert r.status_code == 200
    assert "双十二寄件八折 回复N退订" in r.text and "20% off parcels Reply N to opt out" in r.text
    assert 'data-testid="preview-audience"' in r.text
    r = client.post("/staff/marketing/campaigns", data={**form, "province": "99"})
    assert r.status_code == 422
    r = client.post("/staff/marketing/campaigns", data={**form, "action": "save"}, follow_redirects=False)
    assert r.status_code == 303
