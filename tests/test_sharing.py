"""The share register: every handing-over of personal data to another organisation is recorded with its recipient,
fields, purpose and basis; undeclared fields never leave; an erasure tells every recipient to delete."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import func, select, update

from jidi.accounts.models import User
from jidi.notify.models import SmsMessage
from jidi.notify.providers import SMS_GATEWAY
from jidi.privacy import Role, residue
from jidi.privacy.models import ShareRecord
from jidi.privacy.sharing import UndeclaredShare
from tests.pii import PHONES, find_in
from tests.test_accounts_api import auth, register
from tests.test_rights_pages import staff_client, web_login

ME, FRIEND = PHONES[0], PHONES[1]


def user_id(container, phone) -> uuid.UUID:
    with container.uow() as s:
        return s.scalar(select(User.id).where(User.phone_bidx == container.vault.blind_index("phone", phone)))


def shares(container, **where) -> list[ShareRecord]:
    with container.uow() as s:
        rows = s.scalars(select(ShareRecord).filter_by(**where).order_by(ShareRecord.shared_at)).all()
        s.expunge_all()
        return rows


def delete_me(client, sms, clock, h) -> dict:
    clock.advance(seconds=61)
    assert client.post("/api/v1/privacy/codes", headers=h).status_code == 202
    r = client.post("/api/v1/privacy/requests", json={"kind": "deletion", "code": sms.last_code(ME)}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.promise("JD-4.2a", "CN-5.1a", "ZK-3.1.1", "JD-4.1", "CN-5.1.4")
def test_every_sms_handed_to_the_provider_is_recorded_with_its_recipient_basis_and_fields(client, sms, container):
    register(client, sms, phone=ME)
    me = user_id(container, ME)
    assert len(sms.references) == 1
    [record] = shares(container)
    assert record.recipient == SMS_GATEWAY.key == "sms_gateway"
    # A keyed pseudonym and a keyed hash, never the number. The code went out before the account existed, under
    # a subject of its own: the hash is what ties it to whoever holds the number.
    assert record.subject != container.vault.pseudonym(me) and record.phone_bidx == container.vault.blind_index("phone", ME)
    assert record.fields == "sms_outbox.body,sms_outbox.phone"
    assert (record.purpose, record.basis) == ("notification", "contract")
    # The provider knows the message by our reference, and the register keeps exactly that reference.
    assert record.reference == sms.references[0]
    with container.uow() as s:
        assert container.vault.pseudonym(s.get(SmsMessage, uuid.UUID(record.reference)).subject_id) == record.subject
    assert container.shares.problems() == []


@pytest.mark.promise("JD-4.2b", "ZK-3.1.3a")
def test_every_message_the_provider_receives_went_through_the_register_and_carries_only_what_delivery_needs(
        client, sms, clock, container):
    """Drive every path that texts someone — a login code before the account exists, an order's route notices to
    sender and recipient after a courier's pickup, a privacy-request code — and hold the provider's side to the
    register: each message it took was recorded, for the declared purpose and fields, and its text names nobody
    and no address or item: only the number it goes to leaves, and the waybill number the notice is about."""
    from tests.test_pickup import courier_token, identity, pick_up, place, staff  # noqa: PLC0415
    from tests.test_shipping import RECIPIENT_PHONE, SENDER_PHONE  # noqa: PLC0415

    token = register(client, sms, clock, phone=SENDER_PHONE)
    wb = place(client, token)
    _, secret = staff(container)
    assert pick_up(client, auth(courier_token(client, "courier1", secret)), wb, **identity()).status_code == 201
    clock.advance(seconds=61)
    assert client.post("/api/v1/privacy/codes", headers=auth(token)).status_code == 202
    assert {to for to, _ in sms.sent} == {SENDER_PHONE, RECIPIENT_PHONE} and len(sms.sent) >= 4

    records = {r.reference: r for r in shares(container)}
    assert sorted(records) == sorted(sms.references), "a message reached the provider without a share record"
    for (to, text), reference in zip(sms.sent, sms.references):
        record = records[reference]
        assert (record.recipient, record.purpose, record.basis) == (SMS_GATEWAY.key, "notification", "contract")
        assert set(record.fields.split(",")) <= SMS_GATEWAY.fields
        assert record.phone_bidx == container.vault.blind_index("phone", to)
        others = [value for value in find_in(text) if value != to]
        assert not others, f"an SMS carried more than delivery needs: {others}"


def test_a_field_the_recipient_is_not_declared_for_never_leaves(client, sms, container):
    register(client, sms, phone=ME)
    me = user_id(container, ME)
    before = len(shares(container))
    with container.uow() as s:
        user = s.get(User, me)
        phone = user.phone  # the account's number: not what the SMS provider may receive
        with pytest.raises(UndeclaredShare):
            container.shares.disclose(s, SMS_GATEWAY, [phone], reference="x", now=container.clock())
        msg = s.scalar(select(SmsMessage).limit(1))
        mixed = [msg.body, phone]  # two subjects' data in one share
        with pytest.raises(UndeclaredShare):
            container.shares.disclose(s, SMS_GATEWAY, mixed, reference="y", now=container.clock())
    assert len(shares(container)) == before


@pytest.mark.promise("JD-6.3.1c", "CN-8.2.2")
def test_a_deletion_tells_the_sms_provider_to_delete_every_message_it_took_for_me_and_nothing_else(client, sms, clock, container):
    h = auth(register(client, sms, phone=ME))
    clock.advance(seconds=61)
    register(client, sms, phone=FRIEND)
    me = user_id(container, ME)
    mine = [r.reference for r in shares(container, phone_bidx=container.vault.blind_index("phone", ME))]
    theirs = [r.reference for r in shares(container, phone_bidx=container.vault.blind_index("phone", FRIEND))]
    assert mine and theirs
    preview = client.get("/api/v1/privacy/preview/deletion", headers=h).json()
    assert [(x["recipient"], x["records"]) for x in preview["will_notify"]] == [("短信服务商", len(mine))]

    done = delete_me(client, sms, clock, h)
    assert done["status"] == "fulfilled"
    assert "recipients_told" in [e["action"] for e in done["history"]]
    told = sum(sms.deletion_requests, [])
    # Every message to my number, the code of this very request included, and none of my friend's.
    everything = [r.reference for r in shares(container)]
    assert set(mine) < set(told) and sorted(told) == sorted(set(everything) - set(theirs))
    assert all(r.deletion_notified_at is not None and r.phone_bidx is None for r in shares(container) if r.reference in told)
    assert all(r.deletion_asked_at is None for r in shares(container) if r.reference in theirs)
    with container.uow() as s:
        findings = residue.scan(s, container.vault, container.datamap, me, {"phone": ME})
    kept = {f.where: f for f in findings}
    assert kept["share_register"].kept and [f for f in findings if not f.kept] == []


@pytest.mark.promise("JD-6.3.1c")
def test_a_recipient_that_cannot_take_the_notice_is_asked_again_until_it_does(app, client, sms, clock, container, monkeypatch):
    h = auth(register(client, sms, phone=ME))
    me = user_id(container, ME)

    def unreachable(references):
        raise ConnectionError("provider down")

    monkeypatch.setattr(sms, "request_deletion", unreachable)
    assert delete_me(client, sms, clock, h)["status"] == "fulfilled"  # the erasure itself does not wait for them
    with container.uow() as s:
        assert container.shares.pending_notices(s, [me]) > 0
        findings = residue.scan(s, container.vault, container.datamap, me, {"phone": ME})
    assert [f.where for f in findings if not f.kept] == ["share_register"]  # the scan says the erasure is not complete
    with pytest.raises(ConnectionError):
        container.shares.send_deletion_notices(container.uow, container.clock())
    officer = staff_client(app, container, Role.PRIVACY_OFFICER, "officer1")
    row = officer.get("/staff/privacy").text
    assert re.search(r'data-testid="register-row" data-recipient="sms_gateway" data-pending="[1-9]', row)
    monkeypatch.undo()
    clock.advance(minutes=1)
    container.tasks.relay_pending_events.call_local()  # the periodic relay retries the erasure's event
    assert 'data-recipient="sms_gateway" data-pending="0"' in officer.get("/staff/privacy").text
    with container.uow() as s:
        assert container.shares.pending_notices(s, [me]) == 0
    assert sms.deletion_requests


def test_share_records_leave_after_three_years_but_not_before_their_deletion_notice(client, sms, clock, container):
    register(client, sms, phone=ME)
    clock.advance(seconds=61)
    register(client, sms, phone=FRIEND)
    old = clock() - dt.timedelta(days=container.settings.retention_audit_days + 1)
    first, second = shares(container)
    with container.uow() as s:
        s.execute(update(ShareRecord).values(shared_at=old))
        s.execute(update(ShareRecord).where(ShareRecord.id == second.id).values(deletion_asked_at=old))
    report = container.retention.run()
    assert report.rules["share_register"]["share_register"] == 1
    with container.uow() as s:
        assert s.scalars(select(ShareRecord.id)).all() == [second.id]
        assert s.scalar(select(func.count()).select_from(ShareRecord)) == 1


@pytest.mark.promise("JD-6.1.2a", "JD-6.1.3")
def test_my_data_and_my_copy_say_whom_my_data_was_handed_to(client, sms, clock, container):
    h = auth(register(client, sms, phone=ME))
    doc = client.get("/api/v1/privacy/my-data", headers=h).json()
    [shared] = doc["shared_with"]
    assert shared["recipient"] == "短信服务商" and shared["role"] == "受托处理者"
    assert shared["times"] == len(sms.references) and sorted(shared["fields"]) == sorted(["短信接收号码", "短信内容"])
    assert shared["deletion_requested"] == 0
    english = client.get("/api/v1/privacy/my-data", headers={**h, "Accept-Language": "en"}).json()
    assert english["shared_with"][0]["recipient"] == "SMS service provider"
    web_login(client, sms, clock, ME)
    page = client.get("/privacy/me")
    assert page.status_code == 200 and 'data-testid="shared-with"' in page.text and "短信服务商" in page.text
    confirm = client.get("/privacy/confirm/deletion")
    assert 'data-testid="will-notify"' in confirm.text and "短信服务商" in confirm.text


@pytest.mark.promise("JD-4.2.1(2)", "JD-4.2a")
def test_the_privacy_policy_lists_every_recipient_with_what_it_receives(client):
    page = client.get("/privacy")
    sharing = page.text.split("<h2>六、")[1].split("<h2>七、")[0]  # the policy's sharing section
    rows = re.findall(r"<tr><td>(.*?)</tr>", sharing, re.S)
    from jidi.privacy.sharing import RECIPIENTS  # noqa: PLC0415

    assert len(rows) == len(RECIPIENTS)  # every declared recipient (the SMS gateway, marketing's processors…)
    sms_row = next(r for r in rows if "短信接收号码" in r)
    assert "短信服务商" in sms_row and "受托处理者" in sms_row
    english = client.get("/privacy?lang=en").text
    assert "SMS service provider" in english and "Processor acting for us" in english
