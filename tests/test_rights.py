"""The rights centre: my data from the data map, a copy, deletion with crypto-shredding and legal holds,
account cancellation with its month, withdrawal, requests with deadlines, the privacy officer, next of kin,
the residue scan and a restored backup that cannot reveal an erased person."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import shutil
import sqlite3
import subprocess
import uuid
import zipfile
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jidi.accounts.models import AuthSession, User
from jidi.addressbook.models import AddressEntry
from jidi.bootstrap import bootstrap
from jidi.db import make_engine
from jidi.errors import AppError
from jidi.family.models import FamilyBinding
from jidi.i18n import gettext_for
from jidi.kit.deps import CSRF_COOKIE, SESSION_COOKIE
from jidi.notify.models import SmsMessage
from jidi.privacy import Actor, Role, SubjectShredded
from jidi.privacy import residue, tombstones
from jidi.privacy.models import AuditRecord, Restriction, SubjectKey, Tombstone
from jidi.rights import kinds as K
from jidi.rights.models import RightsRequest
from jidi.shipping import states
from jidi.shipping.models import Order, OrderParty, PickupRecord
from jidi.web.app import create_app
from tests import pii
from tests.conftest import PG_ADMIN_URL, scan_database
from tests.pii import ADDRESSES, ID_NUMBERS, NAMES, NICKNAMES, PHONES
from tests.test_accounts_api import auth, register
from tests.test_shipping import order_body

ME, FRIEND, SHOP = PHONES[0], PHONES[1], PHONES[2]


def code(client, sms, clock, h, phone=ME) -> str:
    clock.advance(seconds=61)
    r = client.post("/api/v1/privacy/codes", headers=h)
    assert r.status_code == 202, r.text
    return sms.last_code(phone)


def _csrf(client) -> str:
    if not client.cookies.get(CSRF_COOKIE):
        client.get("/login")
    return client.cookies.get(CSRF_COOKIE)


def count(container, model, *where) -> int:
    with container.uow() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def set_status(container, wb, status):
    with container.uow() as s:
        order = s.scalar(select(Order).where(Order.waybill_no == wb))
        order.status = status
        if status in states.FULFILMENT:
            order.paid_at = order.paid_at or container.clock()


@pytest.fixture
def world(client, sms, clock, container):
    """Me with a nickname, an address-book entry, a parcel I sent to a friend (picked up with my ID, delivered) and
    a parcel a shop sent to me; the friend and the shop have accounts too."""
    me = auth(register(client, sms, phone=ME))
    clock.advance(seconds=61)
    friend = auth(register(client, sms, phone=FRIEND))
    clock.advance(seconds=61)
    shop = auth(register(client, sms, phone=SHOP))
    assert client.patch("/api/v1/me", json={"nickname": NICKNAMES[0]}, headers=me).status_code == 200
    r = client.post("/api/v1/address-book", headers=me, json={
        "kind": "recipient", "name": NAMES[1], "phone": FRIEND, "region_code": "310106", "detail": ADDRESSES[0]})
    assert r.status_code == 201, r.text
    sent = client.post("/api/v1/orders", headers=me, json=order_body(
        sender={"name": NAMES[0], "phone": ME, "region_code": "110105", "address": ADDRESSES[1]},
        recipient={"name": NAMES[1], "phone": FRIEND, "region_code": "310106", "address": ADDRESSES[2]})).json()["waybill_no"]
    container.shipping.mark_paid(sent)
    courier = container.accounts.create_staff(Role.COURIER, "courier1", "a long courier password")[0]
    container.shipping.pick_up(Actor(courier, Role.COURIER), sent, "resident_id", ID_NUMBERS[0], NAMES[0])
    set_status(container, sent, states.DELIVERED)
    incoming = client.post("/api/v1/orders", headers=shop, json=order_body(
        sender={"name": NAMES[3], "phone": SHOP, "region_code": "110105", "address": ADDRESSES[1]},
        recipient={"name": NAMES[0], "phone": ME, "region_code": "310106", "address": ADDRESSES[2]})).json()["waybill_no"]
    with container.uow() as s:
        my_id = s.scalar(select(AuthSession.user_id).order_by(AuthSession.created_at).limit(1))
    return {"me": me, "friend": friend, "shop": shop, "sent": sent, "incoming": incoming, "my_id": my_id}


def sections(doc) -> dict[tuple[str, str], dict]:
    return {(s["table"], s["relation"]): s for s in doc["sections"]}


@pytest.mark.promise("JD-6.1.1(2)", "JD-6.1.1(6)", "CN-8.1.1a", "ZK-5.1.1(1)", "ZK-5.1.1(2)")
def test_my_data_shows_everything_held_about_me_masked_from_the_catalog(client, world):
    r = client.get("/api/v1/privacy/my-data", headers=world["me"])
    assert r.status_code == 200, r.text
    doc = r.json()
    got = sections(doc)
    assert got[("users", "subject")]["count"] == 1
    assert got[("address_entries", "account")]["count"] == 1
    assert got[("orders", "account")]["count"] == 1
    assert got[("order_parties", "part")]["count"] == 2          # sender and recipient of the parcel I sent
    assert got[("order_parties", "identifier")]["count"] == 1    # me as the recipient of the shop's parcel
    assert ("auth_sessions", "account") in got and ("consent_ledger", "subject") in got
    assert ("verified_identities", "subject") in got
    assert ("orders", "other_account") not in got and not any(t == "order_parties" and rel == "other_account" for t, rel in got)
    account = got[("users", "subject")]["records"][0]["fields"]
    phone = next(f for f in account if f["field"] == "phone")
    assert phone["value"] == "139****5678" and phone["category"] == "contact" and phone["legal_basis"]
    # No password set, and not staff: neither the password hash nor the staff two-factor secret can hold my data.
    assert {f["field"] for f in account}.isdisjoint({"password_hash", "totp_secret"})
    # The real-name pickup record of my parcel is mine to see; it becomes restricted only when I ask for deletion.
    assert got[("pickup_records", "part")]["count"] == 1 and not doc["restricted"]
    assert pii.find_in(r.text) == []


CHINA_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")


@pytest.mark.promise("JD-6.1.1(6)", "CN-8.1.1a")
def test_my_data_lists_every_message_to_my_number_labelled_in_my_language_in_china_time(client, sms, clock, container, world):
    """The first login code (sent before my account existed) and the route notices of my parcels are sealed under
    subjects of their own: my data finds them by my number's keyed hash."""
    with container.uow() as s:
        held = s.scalars(select(SmsMessage.template).where(
            SmsMessage.phone_bidx == container.vault.blind_index("phone", ME))).all()
    assert {"login_code", "route_picked_up"} <= set(held), held
    doc = client.get("/api/v1/privacy/my-data", headers=world["me"]).json()
    outbox = [rec for sec in doc["sections"] if sec["table"] == "sms_outbox" for rec in sec["records"]]
    assert len(outbox) == len(held)
    assert sorted(d["value"] for rec in outbox for d in rec["details"] if d["field"] == "template") == sorted(held)
    details = [d for sec in doc["sections"] for rec in sec["records"] for d in rec["details"]]
    assert details and all(d["label"] != d["field"] and not re.search(r"[A-Za-z]", d["label"]) for d in details), details
    times = [d for d in details if d["field"].endswith("_at")]
    assert times and all(CHINA_ISO.match(d["value"]) and d["text"] == d["value"][:16].replace("T", " ") for d in times)
    assert CHINA_ISO.match(doc["generated_at"])
    english = client.get("/api/v1/privacy/my-data", headers={**world["me"], "Accept-Language": "en"}).json()
    labels = {d["field"]: d["label"] for sec in english["sections"] for rec in sec["records"] for d in rec["details"]}
    assert labels["created_at"] == "Created at" and labels["template"] == "Message type"


def test_only_staff_see_staff_only_fields_and_a_credential_is_listed_only_when_stored(container, world):
    officer = container.accounts.create_staff(Role.PRIVACY_OFFICER, "officer1", "a long officer password")[0]

    def account_fields(user_id) -> dict:
        views, _restricted, _shared = container.rights.my_data(user_id)
        return {f.spec.column: f for v in views if v.table == "users" for f in v.fields}

    staff = account_fields(officer)
    assert staff["totp_secret"].withheld and staff["password_hash"].withheld
    assert {"totp_secret", "password_hash"}.isdisjoint(account_fields(world["my_id"]))


def test_every_fact_shown_with_my_records_has_a_label_in_both_languages(container):
    zh = gettext_for("zh_CN")
    maps = container.datamap.maps.values()
    # The tables a person's data can be found in: those that name or key a person, and parts of those.
    found = {tm.name for tm in maps if tm.subject_column or tm.account_columns or tm.identifier_columns}
    while grown := {tm.name for tm in maps if tm.name not in found and set(tm.parent_columns.values()) & found}:
        found |= grown
    missing = []
    for tm in maps:
        if tm.name not in found:
            continue  # never found for a person
        for col in container.datamap.detail_columns(tm):
            label = container.rights.labels(tm.name, col)
            if label is None or zh(label) == label:
                missing.append(f"{tm.name}.{col}")
    assert missing == []


@pytest.mark.promise("JD-6.8.1a", "CN-12.1a", "JD-6.7")
def test_full_values_need_a_fresh_sms_code_and_the_disclosure_is_audited(client, sms, clock, container, world):
    h = world["me"]
    assert client.post("/api/v1/privacy/my-data/full", json={"code": "000000"}, headers=h).status_code == 400
    r = client.post("/api/v1/privacy/my-data/full", json={"code": code(client, sms, clock, h)}, headers=h)
    assert r.status_code == 200, r.text
    text = r.text
    assert ME in text and NAMES[0] in text and NICKNAMES[0] in text and ADDRESSES[0] in text
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "disclose")) == 1
    reqs = client.get("/api/v1/privacy/requests", headers=h).json()
    assert [(q["kind"], q["status"]) for q in reqs] == [("access", "fulfilled")]


@pytest.mark.promise("JD-6.7", "JD-6.1.2a", "JD-6.1.3", "CN-8.1.1b", "ZK-5.1.2")
def test_a_copy_is_a_zip_of_json_and_html_built_by_a_job_for_its_owner_only(client, sms, clock, container, world):
    h = world["me"]
    r = client.post("/api/v1/privacy/requests", json={"kind": "copy", "code": code(client, sms, clock, h)}, headers=h)
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "fulfilled" and req["copy_url"]  # the immediate queue ran the job after the commit
    assert [e["action"] for e in req["history"]] == ["received", "verified", "export_ready", "fulfilled"]
    blob = client.get(req["copy_url"], headers=h)
    assert blob.status_code == 200 and blob.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(blob.content)) as zf:
        doc = json.loads(zf.read("my-data.json"))
        html = zf.read("my-data.html").decode()
    assert doc["format"] == "jidi-personal-data/2"
    assert ME in json.dumps(doc, ensure_ascii=False) and NICKNAMES[0] in html and ADDRESSES[0] in html
    # Whom it was handed to: the SMS provider took my codes.
    assert [x["recipient"] for x in doc["shared_with"]] == ["短信服务商"] and doc["shared_with"][0]["times"] >= 2
    assert "短信服务商" in html
    # The HTML copy is for people: labels in my language, China time, no column names.
    assert not re.search(r"\b(created_at|sent_at|granted_at|template|purpose)\b", html) and "+00:00" not in html
    assert "创建时间" in html and CHINA_ISO.match(doc["generated_at"])
    # Nobody else, and not after it expired.
    assert client.get(req["copy_url"], headers=world["friend"]).status_code == 404
    clock.advance(hours=container.settings.rights_export_ttl_hours + 1)
    assert client.get(req["copy_url"], headers=h).status_code == 404


@pytest.mark.promise("JD-6.1.2b", "JD-6.2.2", "JD-6.8.1b", "JD-6.8.3a")
def test_requests_have_due_dates_duplicates_are_refused_and_extra_ones_are_quoted_a_fee(client, sms, clock, container, world):
    h = world["me"]
    body = {"kind": "explanation", "details": "为什么需要我的身份证号?", "code": code(client, sms, clock, h)}
    first = client.post("/api/v1/privacy/requests", json=body, headers=h)
    assert first.status_code == 201, first.text
    got = first.json()
    assert got["status"] == "in_review" and got["due_on"] and got["overdue"] is False
    due = dt.date.fromisoformat(got["due_on"])
    assert 15 <= (due - container.clock().date()).days <= 40
    again = client.post("/api/v1/privacy/requests", json={**body, "code": code(client, sms, clock, h)}, headers=h)
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_request"
    # Copies: two free in 12 months, the third is quoted a fee and waits for acceptance.
    for _ in range(2):
        r = client.post("/api/v1/privacy/requests", json={"kind": "copy", "code": code(client, sms, clock, h)}, headers=h)
        assert r.json()["status"] == "fulfilled" and r.json()["fee_fen"] == 0
    third = client.post("/api/v1/privacy/requests", json={"kind": "copy", "code": code(client, sms, clock, h)}, headers=h).json()
    assert third["status"] == "awaiting_fee" and third["fee_fen"] == container.settings.rights_fee_fen
    accepted = client.post(f"/api/v1/privacy/requests/{third['id']}/accept-fee", headers=h).json()
    assert accepted["status"] == "fulfilled"


def test_bad_requests_get_clear_refusals(client, sms, clock, world):
    h = world["me"]
    c = code(client, sms, clock, h)
    for body, status in [({"kind": "withdrawal", "scope": "", "code": c}, 422),
                         ({"kind": "correction", "details": "", "code": c}, 422),
                         ({"kind": "access", "code": c}, 422),
                         ({"kind": "copy", "code": "12345x"}, 422),
                         ({"kind": "copy", "code": "123456", "extra": 1}, 422)]:
        r = client.post("/api/v1/privacy/requests", json=body, headers=h)
        assert r.status_code in (status, 400), (body, r.text)
    assert client.get(f"/api/v1/privacy/requests/{uuid.uuid4()}", headers=h).status_code == 404
    assert client.get("/api/v1/privacy/requests/not-an-id", headers=h).status_code == 404
    assert client.get(f"/api/v1/privacy/copies/{uuid.uuid4()}", headers=h).status_code == 404
    assert client.get("/api/v1/privacy/preview/everything", headers=h).status_code == 404


@pytest.mark.promise("JD-6.4.3b", "CN-8.3.1b")
def test_withdrawing_family_numbers_ends_them_at_once(client, sms, clock, container, world):
    h = world["me"]
    r = client.post("/api/v1/family", json={"role": "spouse", "phone": FRIEND}, headers=h)
    assert r.status_code == 202
    r = client.post("/api/v1/privacy/requests", json={"kind": "withdrawal", "scope": "family_numbers",
                                                      "code": code(client, sms, clock, h)}, headers=h)
    assert r.status_code == 201 and r.json()["status"] == "fulfilled"
    assert client.get("/api/v1/family", headers=h).json() == []


@pytest.mark.promise("JD-6.5b", "JD-5.2.1b", "JD-5.2.2a", "JD-6.4.3a", "JD-5.2.1c")
def test_cancellation_is_blocked_in_transit_then_stops_the_account_and_erases_a_month_later(client, sms, clock, container, world):
    h = world["me"]
    set_status(container, world["incoming"], states.IN_TRANSIT)
    p = client.get("/api/v1/privacy/preview/cancellation", headers=h).json()
    assert [b["code"] for b in p["blocked_by"]] == ["parcels_in_transit"]
    r = client.post("/api/v1/privacy/requests", json={"kind": "cancellation", "code": code(client, sms, clock, h)}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "cancellation_blocked"
    set_status(container, world["incoming"], states.DELIVERED)
    p = client.get("/api/v1/privacy/preview/cancellation", headers=h).json()
    assert p["blocked_by"] == [] and p["erase_after"]
    r = client.post("/api/v1/privacy/requests", json={"kind": "cancellation", "code": code(client, sms, clock, h)}, headers=h)
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "scheduled"
    erase_after = dt.datetime.fromisoformat(req["erase_after"])
    assert 28 <= (erase_after - container.clock()).days <= 31
    # The account stops at once: the token no longer works and nobody can log in to it.
    assert client.get("/api/v1/me", headers=h).status_code == 401
    assert container.rights.purge_due_cancellations() == 0
    clock.now = erase_after + dt.timedelta(minutes=1)
    assert container.rights.purge_due_cancellations() == 1
    with container.uow() as s:
        user = s.get(User, world["my_id"])
        assert user.status == "erased" and user.phone is None and user.phone_bidx is None
        assert s.get(RightsRequest, uuid.UUID(req["id"])).status == "fulfilled"


@pytest.mark.promise("JD-6.3.1a", "CN-8.2.1", "JD-6.3.1b", "JD-5.2.1c", "CN-8.4b")
def test_deletion_erases_every_field_keeps_legal_records_restricted_and_leaves_no_residue(client, sms, clock, container, world):
    h = world["me"]
    with container.uow() as s:
        before = s.scalar(select(func.count()).select_from(SubjectKey))
    preview = client.get("/api/v1/privacy/preview/deletion", headers=h).json()
    assert preview["blocked_by"] == []
    assert [k["what"] for k in preview["will_keep"]] == ["实名收寄记录"] and preview["will_keep"][0]["legal_basis"]
    r = client.post("/api/v1/privacy/requests", json={"kind": "deletion", "code": code(client, sms, clock, h)}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "fulfilled"
    assert [e["action"] for e in r.json()["history"]][-3:] == ["erased", "recipients_told", "fulfilled"]
    me = world["my_id"]
    with container.uow() as s:
        user = s.get(User, me)
        assert user.status == "erased" and all(getattr(user, c) is None for c in ("phone", "nickname", "phone_bidx"))
        assert s.scalar(select(func.count()).select_from(AddressEntry)) == 0
        assert s.scalar(select(func.count()).select_from(AuthSession).where(AuthSession.user_id == me)) == 0
        sent = s.scalar(select(Order).where(Order.waybill_no == world["sent"]))
        assert sent.owner_id is None and sent.item_name is None
        assert all(p.name is None and p.phone_bidx is None for p in s.scalars(select(OrderParty).where(OrderParty.order_id == sent.id)))
        incoming = s.scalar(select(Order).where(Order.waybill_no == world["incoming"]))
        mine = s.scalar(select(OrderParty).where(OrderParty.order_id == incoming.id, OrderParty.role == "recipient"))
        assert mine.phone is None and mine.name is None
        # The shop's own sender details are the shop's: untouched.
        theirs = s.scalar(select(OrderParty).where(OrderParty.order_id == incoming.id, OrderParty.role == "sender"))
        assert theirs.phone is not None
        # The real-name pickup record is kept by law, restricted, still readable only for a rights request.
        pickup = s.scalar(select(PickupRecord).where(PickupRecord.order_id == sent.id))
        assert pickup is not None and pickup.id_number is not None
        held = s.scalars(select(Restriction)).all()
        assert [(x.table_name, x.row_id) for x in held] == [("pickup_records", pickup.id)]
        assert s.get(SubjectKey, me) is None and s.get(Tombstone, me) is not None
        assert s.scalar(select(func.count()).select_from(SubjectKey)) < before
        findings = residue.scan(s, container.vault, container.datamap, me, {"phone": ME}, queue=container.queue)
    unexpected = [f for f in findings if not f.kept]
    assert unexpected == [], unexpected
    assert {f.where for f in findings} >= {"restrictions", "tombstones", "audit_log.subject"}
    assert me in container.vault.ledger.all()
    # The friend I sent to and the shop keep their accounts.
    assert client.get("/api/v1/me", headers=world["friend"]).status_code == 200
    assert client.get("/api/v1/me", headers=world["shop"]).status_code == 200


def erase_after_an_ended_family_binding(client, sms, clock, container, world) -> set[uuid.UUID]:
    """Me, registered by an SMS code sent before my account existed, bind a family number, end it, and ask for
    deletion. Returns the one-off subjects my pre-registration messages were sealed under."""
    h = world["me"]
    r = client.post("/api/v1/family", json={"role": "spouse", "phone": FRIEND}, headers=h)
    assert r.status_code == 202, r.text
    assert client.post(f"/api/v1/family/{r.json()['binding']['id']}/end", headers=h).status_code == 204
    with container.uow() as s:
        one_off = set(s.scalars(select(SmsMessage.subject_id).where(
            SmsMessage.phone_bidx == container.vault.blind_index("phone", ME), SmsMessage.subject_id != world["my_id"])))
    assert one_off, "the first login code is sent before the account exists"
    r = client.post("/api/v1/privacy/requests", json={"kind": "deletion", "code": code(client, sms, clock, h)}, headers=h)
    assert r.status_code == 201 and r.json()["status"] == "fulfilled", r.text
    return one_off


def residue_of(container, me) -> list:
    with container.uow() as s:
        return residue.scan(s, container.vault, container.datamap, me, {"phone": ME}, queue=container.queue)


@pytest.mark.promise("JD-6.3.1a", "CN-8.2.1")
def test_erasure_leaves_no_link_to_me_not_even_my_first_login_code_or_an_ended_family_number(client, sms, clock,
                                                                                              container, world):
    me = world["my_id"]
    one_off = erase_after_an_ended_family_binding(client, sms, clock, container, world)
    with container.uow() as s:
        assert s.scalar(select(func.count()).select_from(FamilyBinding).where(FamilyBinding.binder_id == me)) == 0
        assert s.scalar(select(func.count()).select_from(SmsMessage).where(
            SmsMessage.phone_bidx == container.vault.blind_index("phone", ME))) == 0
        assert all(s.get(SubjectKey, subject) is None for subject in one_off)
    unexpected = [f for f in residue_of(container, me) if not f.kept]
    assert unexpected == [], unexpected


def test_the_residue_scan_reports_what_an_erasure_left_behind(client, sms, clock, container, world, monkeypatch):
    """If erasure skipped the outbox or kept an ended family binding linked to the account, the scan says so."""
    monkeypatch.delitem(container.datamap.maps, "sms_outbox")
    monkeypatch.setattr(container.datamap.maps["family_bindings"], "erase", {"status": "ended"})
    erase_after_an_ended_family_binding(client, sms, clock, container, world)
    monkeypatch.undo()
    unexpected = {f.where for f in residue_of(container, world["my_id"]) if not f.kept}
    assert unexpected == {"sms_outbox", "family_bindings", "subject_keys"}, unexpected


@pytest.mark.promise("JD-6.8.3c", "CN-12.2", "JD-6.8.3b", "JD-10.2a")
def test_the_privacy_officer_works_a_queue_sorted_by_due_date_and_refuses_only_on_a_lawful_ground(client, sms, clock, container, world):
    h = world["me"]
    r = client.post("/api/v1/privacy/requests", json={"kind": "correction", "details": "收件地址写错了",
                                                      "code": code(client, sms, clock, h)}, headers=h)
    corr = r.json()["id"]
    clock.advance(days=1)
    r = client.post("/api/v1/privacy/requests", json={"kind": "explanation", "details": "请解释自动化决策",
                                                      "code": code(client, sms, clock, h)}, headers=h)
    expl = r.json()["id"]
    officer = Actor(container.accounts.create_staff(Role.PRIVACY_OFFICER, "dpo", "a long officer password")[0], Role.PRIVACY_OFFICER)
    with pytest.raises(AppError, match="^forbidden$"):
        container.rights.queue(Actor(world["my_id"], Role.CUSTOMER))
    q = container.rights.queue(officer)
    assert [str(v.id) for v in q] == [corr, expl]
    view, text = container.rights.officer_request(officer, corr)
    assert text == "收件地址写错了"
    with pytest.raises(Exception) as e:
        container.rights.refuse(officer, expl, "because", "no")
    assert getattr(e.value, "code", "") == "refusal_ground"
    container.rights.refuse(officer, expl, "excessive", "需要开发新系统")
    container.rights.approve(officer, corr, "已更正")
    got = {q["id"]: q for q in client.get("/api/v1/privacy/requests", headers=h).json()}
    assert got[expl]["status"] == "refused" and got[expl]["refusal_ground"] == "excessive" and got[expl]["answer"] == "需要开发新系统"
    assert got[corr]["status"] == "fulfilled" and got[corr]["answer"] == "已更正"
    # Overdue: past the due date, an open request is flagged.
    r = client.post("/api/v1/privacy/requests", json={"kind": "explanation", "details": "再问一次",
                                                      "code": code(client, sms, clock, h)}, headers=h)
    clock.advance(days=40)
    assert [v.overdue for v in container.rights.queue(officer)] == [True]



@pytest.mark.promise("JD-6.2.1", "JD-6.1.3")
def test_the_requester_sees_what_they_wrote_and_nobody_else_does(client, sms, clock, container, world):
    h = world["me"]
    words = f"收件人姓名写错了，\n应为{NAMES[1]}"
    r = client.post("/api/v1/privacy/requests", json={"kind": "correction", "details": words, "code": code(client, sms, clock, h)},
                    headers=h)
    assert r.status_code == 201 and r.json()["details"] == words, r.text
    rid = r.json()["id"]
    assert client.get(f"/api/v1/privacy/requests/{rid}", headers=h).json()["details"] == words
    assert [q["details"] for q in client.get("/api/v1/privacy/requests", headers=h).json()] == [words]
    # Anyone else: not found, and not in their own list.
    other = client.get(f"/api/v1/privacy/requests/{rid}", headers=world["friend"])
    assert other.status_code == 404 and NAMES[1] not in other.text
    assert client.get("/api/v1/privacy/requests", headers=world["friend"]).json() == []
    with container.uow() as s:
        assert NAMES[1].encode() not in pii.stored(s, s.get(RightsRequest, uuid.UUID(rid)), "details")  # sealed, under the requester's key
        # Reading one's own words is no staff access: nothing to record.
        assert s.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "reveal")) == 0


@pytest.mark.promise("JD-2.2", "JD-5.1.1(4)a", "JD-5.1.2(1)a", "JD-5.1.2(2)")
def test_the_officer_sees_requesters_masked_and_a_full_number_only_on_an_audited_reveal(client, sms, clock, container, world):
    h = world["me"]
    corr = client.post("/api/v1/privacy/requests", json={"kind": "correction", "details": "昵称写错了",
                                                         "code": code(client, sms, clock, h)}, headers=h).json()["id"]
    with container.uow() as s:
        applicant = s.scalar(select(User.id).where(User.phone_bidx == container.vault.blind_index("phone", FRIEND)))
    proofs = {k: ("application/pdf", PDF) for k in K.KIN_PROOFS}
    kin = {}
    for right, deceased in (("access", ME), ("copy", PHONES[3])):  # PHONES[3] has no account
        clock.advance(seconds=61)
        container.rights.request_code(applicant, "127.0.0.1", "zh_CN")
        kin[deceased] = str(container.rights.submit_kin(applicant, sms.last_code(FRIEND), deceased_phone=deceased,
                                                        relationship="spouse", right=right, details=None, proofs=proofs))
    officer = Actor(container.accounts.create_staff(Role.PRIVACY_OFFICER, "dpo", "a long officer password")[0], Role.PRIVACY_OFFICER)

    def reveals() -> list[tuple[str, str, str, str]]:
        with container.uow() as s:
            return [(r.actor_role, r.subject, r.fields, r.purpose) for r in s.scalars(
                select(AuditRecord).where(AuditRecord.action == "reveal", AuditRecord.fields == "users.phone").order_by(AuditRecord.at))]

    q = {str(v.id): v for v in container.rights.queue(officer)}
    assert (q[corr].requester, q[corr].deceased) == ("139****5678", None)
    assert (q[kin[ME]].requester, q[kin[ME]].deceased) == ("137****1111", "139****5678")
    assert (q[kin[PHONES[3]]].requester, q[kin[PHONES[3]]].deceased) == ("137****1111", None)
    view, _text = container.rights.officer_request(officer, kin[ME])
    assert (view.requester, view.deceased, view.details) == ("137****1111", "139****5678", None)
    assert reveals() == []  # masked values are not a reveal

    assert container.rights.officer_reveal(officer, kin[ME], "requester") == FRIEND
    assert container.rights.officer_reveal(officer, kin[ME], "deceased") == ME
    assert container.rights.officer_reveal(officer, corr, "requester") == ME
    pseudonym = container.vault.pseudonym
    assert reveals() == [("privacy_officer", pseudonym(applicant), "users.phone", "rights_request"),
                         ("privacy_officer", pseudonym(world["my_id"]), "users.phone", "rights_request"),
                         ("privacy_officer", pseudonym(world["my_id"]), "users.phone", "rights_request")]
    # Only the privacy officer; only the people of the request; "not found" without saying why.
    agent = Actor(container.accounts.create_staff(Role.SUPPORT_AGENT, "agent", "a long agent password")[0], Role.SUPPORT_AGENT)
    for actor in (agent, Actor(world["my_id"], Role.CUSTOMER)):
        with pytest.raises(Exception) as e:
            container.rights.officer_reveal(actor, corr, "requester")
        assert e.value.code == "forbidden"
    for rid, who in ((corr, "deceased"), (kin[PHONES[3]], "deceased"), (corr, "owner"), (str(uuid.uuid4()), "requester"),
                     ("not-an-id", "requester")):
        with pytest.raises(Exception) as e:
            container.rights.officer_reveal(officer, rid, who)
        assert e.value.code == "not_found" and pii.find_in(str(e.value)) == []
    assert len(reveals()) == 3

PDF = b"%PDF-1.4 proof"


@pytest.mark.promise("JD-6.8.2a", "JD-6.8.2b")
def test_a_next_of_kin_deletion_is_reviewed_with_its_four_proofs_then_erases_the_deceased(client, sms, clock, container, world):
    with container.uow() as s:
        applicant_id = s.scalar(select(User.id).where(User.phone_bidx == container.vault.blind_index("phone", FRIEND)))
    clock.advance(seconds=61)
    container.rights.request_code(applicant_id, "127.0.0.1", "zh_CN")
    proofs = {k: ("application/pdf", PDF) for k in K.KIN_PROOFS}
    with pytest.raises(Exception) as e:
        container.rights.submit_kin(applicant_id, sms.last_code(FRIEND), deceased_phone=ME, relationship="spouse", right="deletion",
                                    details=None, proofs={**proofs, "kinship": ("text/plain", b"hello")})
    assert e.value.code == "bad_proof"
    rid = container.rights.submit_kin(applicant_id, sms.last_code(FRIEND), deceased_phone=ME, relationship="spouse", right="deletion",
                                      details=None, proofs=proofs)
    officer = Actor(container.accounts.create_staff(Role.PRIVACY_OFFICER, "dpo", "a long officer password")[0], Role.PRIVACY_OFFICER)
    view, _ = container.rights.officer_request(officer, rid)
    assert view.status == "in_review" and len(view.proofs) == 4
    assert container.rights.officer_proof(officer, rid, view.proofs[0][0]) == ("application/pdf", PDF)
    container.rights.approve(officer, rid)
    with container.uow() as s:
        assert s.get(User, world["my_id"]).status == "erased"
        assert s.get(RightsRequest, rid).status == "fulfilled"
    with pytest.raises(Exception) as e:
        container.rights.approve(officer, rid)
    assert e.value.code in ("request_state", "already_erased")


# -- backups -----------------------------------------------------------------------------------------------
def _backup(container, tmp_path) -> str:
    """A copy of the whole database as it is now, restored into a new database; returns its URL."""
    url = container.settings.database_url
    if url.startswith("sqlite"):
        target = tmp_path / "restored.db"
        src = sqlite3.connect(url.removeprefix("sqlite:///"))
        dst = sqlite3.connect(target)
        src.backup(dst)
        src.close()
        dst.close()
        return f"sqlite:///{target}"
    bindir = Path(shutil.which("pg_dump") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))))).parent
    dump = tmp_path / "backup.dump"
    subprocess.run([str(bindir / "pg_dump"), "-Fc", "-f", str(dump), url], check=True, capture_output=True)
    name = f"jidi_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    restored = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    subprocess.run([str(bindir / "pg_restore"), "--no-owner", "-d", restored, str(dump)], check=True, capture_output=True)
    return restored


@contextlib.contextmanager
def _restored(url: str):
    """The engine of a restored backup; the restored database is dropped afterwards."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        if not url.startswith("sqlite"):
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.mark.promise("JD-6.3.2", "CN-8.2.3")
def test_a_restored_backup_cannot_reveal_an_erased_person_and_the_erasure_is_reapplied(client, sms, clock, container, world, tmp_path):
    h = world["me"]
    restored_url = _backup(container, tmp_path)  # taken before the deletion
    r = client.post("/api/v1/privacy/requests", json={"kind": "deletion", "code": code(client, sms, clock, h)}, headers=h)
    assert r.status_code == 201 and r.json()["status"] == "fulfilled"
    with _restored(restored_url) as engine:
        restored = bootstrap(container.settings, engine=engine, sms=None, clock=clock)
        with restored.uow() as s:
            user = s.get(User, world["my_id"])
            assert user.phone is not None and s.get(SubjectKey, world["my_id"]) is not None  # the old bytes are back…
            with pytest.raises(SubjectShredded):
                user.phone.masked                                # …but cannot be opened, nor shown  # noqa: B018  (reading it is the test)
        shredded, erased = tombstones.reapply(restored.uow, restored.vault, restored.datamap, clock())
        assert erased == 1 and shredded >= 1
        with restored.uow() as s:
            user = s.get(User, world["my_id"])
            assert user.status == "erased" and user.phone is None
            assert s.scalar(select(func.count()).select_from(AddressEntry)) == 0
        assert tombstones.reapply(restored.uow, restored.vault, restored.datamap, clock()) == (0, 0)
        assert scan_database(engine) == []


# The pages a signed-in customer can open without an id in the path.
CUSTOMER_PAGES = ("/", "/profile", "/address-book", "/address-book/new", "/lookup", "/family", "/privacy", "/privacy/me",
                  "/privacy/requests", "/privacy/kin", "/ship", "/orders", "/track")


@pytest.mark.promise("JD-6.3.2", "CN-8.2.3")
def test_before_the_erasure_is_reapplied_a_restored_backup_answers_every_path_as_for_a_deleted_account(
        client, sms, clock, container, world, tmp_path):
    """A backup from before my deletion is restored under a server that has not re-applied the tombstones yet: my old
    API token and web session open nothing on any path of the API or the pages, nothing answers 500, and signing in
    again with my number shows nothing of the erased account."""
    h = world["me"]
    clock.advance(seconds=61)
    assert client.post("/api/v1/auth/sms-codes", json={"phone": ME}).status_code == 202
    r = client.post("/login", data={"csrf_token": _csrf(client), "action": "login", "phone": ME, "code": sms.last_code(ME),
                                    "accept_policy": "on"}, follow_redirects=False)
    assert r.status_code == 303
    web_session = client.cookies.get(SESSION_COOKIE)
    r = client.post("/api/v1/privacy/requests", headers=h,
                    json={"kind": "explanation", "details": "Why do you keep my parcels?", "code": code(client, sms, clock, h)})
    assert r.status_code == 201, r.text
    ids = {"entry_id": client.get("/api/v1/address-book", headers=h).json()["entries"][0]["id"], "waybill_no": world["sent"],
           "request_id": r.json()["id"], "binding_id": str(uuid.uuid4()), "export_id": str(uuid.uuid4()), "kind": "deletion",
           "code": "310106", "topic": "marketing_sms", "version": "2026-11-01",
           "endpoint_id": str(uuid.uuid4()), "task_id": str(uuid.uuid4()), "worker_id": str(uuid.uuid4()),
           "invoice_id": str(uuid.uuid4()), "provider": "alipay"}
    restored_url = _backup(container, tmp_path)  # taken before the deletion
    r = client.post("/api/v1/privacy/requests", json={"kind": "deletion", "code": code(client, sms, clock, h)}, headers=h)
    assert r.status_code == 201 and r.json()["status"] == "fulfilled"

    with _restored(restored_url) as engine:
        restored = bootstrap(container.settings, engine=engine, sms=sms, clock=clock)
        app = create_app(restored)
        # Not entered as a context: the app's start-up (which re-applies the tombstones) has not run.
        tc = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
        answers = []
        # Logging out last: it would end the old session for the paths after it.
        for template, operations in sorted(app.openapi()["paths"].items(), key=lambda p: p[0].endswith("/logout")):
            path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)
            for method in operations:
                r = tc.request(method.upper(), path, headers=h, json={})
                answers.append((method, template, r.status_code))
                assert pii.find_in(r.text) == [], (method, template)
        assert [a for a in answers if a[2] >= 500] == []
        assert tc.get("/api/v1/me", headers=h).status_code == 401
        tc.cookies.set(SESSION_COOKIE, web_session)
        for page in CUSTOMER_PAGES:
            r = tc.get(page, follow_redirects=False)
            assert r.status_code < 500 and pii.find_in(r.text) == [], page
        assert tc.get("/profile", follow_redirects=False).status_code == 303  # to the login: the session is not mine any more
        # Signing in again with the number: a code is sent (as to any number), but the erased account does not open.
        clock.advance(seconds=61)
        assert tc.post("/api/v1/auth/sms-codes", json={"phone": ME}).status_code == 202
        r = tc.post("/api/v1/auth/sms-login", json={"phone": ME, "code": sms.last_code(ME), "accept_policy": True})
        assert r.status_code == 403 and r.json()["error"]["code"] == "account_unavailable"
        assert pii.find_in(r.text) == []
        # The public tracking page of my parcel works as ever.
        assert tc.get(f"/api/v1/tracking/{world['sent']}").status_code < 500

        # Start-up re-applies the erasure before the first request is answered.
        with TestClient(app, base_url="https://testserver") as started:
            with restored.uow() as s:
                assert s.get(User, world["my_id"]).status == "erased"
            assert started.get("/api/v1/me", headers=h).status_code == 401
        assert scan_database(engine) == []


def test_a_worker_reapplies_the_tombstones_before_it_takes_a_job(container, world, monkeypatch):
    from click.testing import CliRunner  # noqa: PLC0415

    from jidi import jobs  # noqa: PLC0415
    from jidi.cli import main as cli  # noqa: PLC0415

    for key, value in {"JIDI_DATABASE_URL": container.settings.database_url, "JIDI_KEY_SOURCE": container.settings.key_source,
                       "JIDI_QUEUE_URL": "immediate", "JIDI_VAR_DIR": str(container.settings.var_dir), "JIDI_ENV": "test"}.items():
        monkeypatch.setenv(key, value)
    # As after restoring a backup taken before my erasure: the ledger outside the database lists me, the database not.
    container.vault.ledger.append([world["my_id"]], "2026-01-01")
    seen = []

    def run_worker(queue, workers):
        with container.uow() as s:
            seen.append(s.get(User, world["my_id"]).status)

    monkeypatch.setattr(jobs, "run_worker", run_worker)
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code == 0, result.output
    assert seen == ["erased"] and "1 accounts erased" in result.output


def test_the_dev_outbox_shows_an_erased_persons_messages_as_unreadable(client, sms, clock, container, world):
    h = world["me"]
    r = client.post("/api/v1/privacy/requests", json={"kind": "deletion", "code": code(client, sms, clock, h)}, headers=h)
    assert r.status_code == 201 and r.json()["status"] == "fulfilled"
    r = client.get("/dev/outbox?lang=en")
    assert r.status_code == 200, r.text
    assert "it can no longer be read" in r.text and pii.find_in(r.text) == []
    assert client.get("/dev/outbox?lang=zh_CN").status_code == 200


def test_every_link_column_is_indexed_and_every_erase_rule_can_work(container):
    assert container.datamap.unindexed_links() == []
    assert container.datamap.erase_problems() == []



@pytest.mark.promise("JD-5.2.1c")
def test_the_residue_command_lists_what_remains_before_and_nothing_unexpected_after_deletion(client, sms, clock, container, world,
                                                                                             monkeypatch):
    from click.testing import CliRunner  # noqa: PLC0415

    from jidi.cli import main as cli  # noqa: PLC0415

    for key, value in {"JIDI_DATABASE_URL": container.settings.database_url, "JIDI_KEY_SOURCE": container.settings.key_source,
                       "JIDI_QUEUE_URL": "immediate", "JIDI_VAR_DIR": str(container.settings.var_dir), "JIDI_ENV": "test"}.items():
        monkeypatch.setenv(key, value)
    subject = str(world["my_id"])
    before = CliRunner().invoke(cli, ["privacy", "residue", subject, "--phone", ME])
    assert before.exit_code == 1 and "FOUND users:" in before.output and "FOUND sms_outbox:" in before.output and "FOUND subject_keys" in before.output
    h = world["me"]
    r = client.post("/api/v1/privacy/requests", json={"kind": "deletion", "code": code(client, sms, clock, h)}, headers=h)
    assert r.status_code == 201
    after = CliRunner().invoke(cli, ["privacy", "residue", subject, "--phone", ME])
    assert after.exit_code == 0, after.output
    assert "FOUND" not in after.output and "KEPT restrictions" in after.output and "KEPT tombstones" in after.output
    assert pii.find_in(after.output) == [] and pii.find_in(before.output) == []
    assert CliRunner().invoke(cli, ["privacy", "residue", "not-a-uuid"]).exit_code == 2


def test_a_deletion_that_fails_midway_changes_nothing_and_the_retry_completes_it(client, sms, clock, container, world, monkeypatch):
    me = world["my_id"]
    with container.uow() as s:
        req = container.rights._new(s, me, K.DELETION, verified=True)
        req.status = K.PROCESSING
        rid = req.id
    real = container.vault.shred_subjects

    def failing(*args, **kwargs):
        raise RuntimeError("the database went away")  # after every UPDATE and DELETE of the erasure ran

    monkeypatch.setattr(container.vault, "shred_subjects", failing)
    with pytest.raises(RuntimeError):
        container.rights.erase_for_request(rid)
    with container.uow() as s:
        user = s.get(User, me)
        assert user.status == "active" and user.phone is not None
        assert s.scalar(select(func.count()).select_from(AddressEntry)) == 1
        assert s.get(RightsRequest, rid).status == K.PROCESSING
    monkeypatch.setattr(container.vault, "shred_subjects", real)
    container.rights.erase_for_request(rid)  # the job's retry
    container.rights.erase_for_request(rid)  # and a duplicate delivery of it: nothing more happens
    with container.uow() as s:
        assert s.get(User, me).status == "erased" and s.get(RightsRequest, rid).status == K.FULFILLED


def test_a_code_works_once_and_only_for_its_own_account(client, sms, clock, world):
    h = world["me"]
    c = code(client, sms, clock, h)
    assert client.post("/api/v1/privacy/my-data/full", json={"code": c}, headers=world["friend"]).status_code == 400
    assert client.post("/api/v1/privacy/my-data/full", json={"code": c}, headers=h).status_code == 200
    replay = client.post("/api/v1/privacy/my-data/full", json={"code": c}, headers=h)
    assert replay.status_code == 400 and replay.json()["error"]["code"] == "code_invalid"


@pytest.mark.promise("JD-5.2.1a")
def test_request_records_proofs_and_restrictions_leave_when_their_periods_end(client, sms, clock, container, world):
    from jidi.rights.models import KinProof, RequestEvent  # noqa: PLC0415

    with container.uow() as s:
        applicant = s.scalar(select(User.id).where(User.phone_bidx == container.vault.blind_index("phone", FRIEND)))
    clock.advance(seconds=61)
    container.rights.request_code(applicant, "127.0.0.1", "zh_CN")
    rid = container.rights.submit_kin(applicant, sms.last_code(FRIEND), deceased_phone=SHOP, relationship="sibling", right="access",
                                      details=None, proofs={k: ("application/pdf", PDF) for k in K.KIN_PROOFS})
    officer = Actor(container.accounts.create_staff(Role.PRIVACY_OFFICER, "dpo", "a long officer password")[0], Role.PRIVACY_OFFICER)
    container.rights.refuse(officer, rid, "not_proven", "死亡证明无法核实")
    h = world["me"]
    r = client.post("/api/v1/privacy/requests", json={"kind": "deletion", "code": code(client, sms, clock, h)}, headers=h)
    assert r.status_code == 201
    with container.uow() as s:
        proof_subject = s.scalar(select(KinProof.subject_id).limit(1))
        assert s.get(SubjectKey, proof_subject) is not None
    assert count(container, Restriction) == 1
    clock.advance(days=181)
    container.retention.run()
    assert count(container, KinProof) == 0 and count(container, RightsRequest, RightsRequest.id == rid) == 1
    with container.uow() as s:
        assert s.get(SubjectKey, proof_subject) is None
    clock.advance(days=3 * 365)
    container.retention.run()
    assert count(container, RightsRequest, RightsRequest.id == rid) == 0
    assert count(container, RequestEvent, RequestEvent.request_id == rid) == 0
    assert count(container, Restriction) == 0


@pytest.mark.promise("JD-6.2.1", "CN-8.1.2")
def test_the_sender_corrects_a_recipient_until_pickup_and_the_wrong_details_are_shredded(client, sms, clock, container, world):
    h = world["shop"]
    wb = world["incoming"]  # the shop's order to me, pay-now and unpaid
    with container.uow() as s:
        order = s.scalar(select(Order).where(Order.waybill_no == wb))
        old_subject = s.scalar(select(OrderParty.subject_id).where(OrderParty.order_id == order.id, OrderParty.role == "recipient"))
        old_price = order.price_fen
    fixed = {"name": NAMES[4], "phone": FRIEND, "region_code": "110108", "address": ADDRESSES[0]}  # same city now
    r = client.put(f"/api/v1/orders/{wb}/recipient", json=fixed, headers=h)
    assert r.status_code == 204, r.text
    got = client.get(f"/api/v1/orders/{wb}", headers=h).json()
    assert got["recipient"]["phone"] == "137****1111" and got["recipient"]["region_code"] == "110108"
    with container.uow() as s:
        assert s.get(SubjectKey, old_subject) is None  # the wrong details can no longer be opened anywhere
        assert s.scalar(select(Order.price_fen).where(Order.waybill_no == wb)) != old_price  # re-quoted while unpaid
    # Only its sender, and only before pickup; a paid order keeps its price or is refused.
    assert client.put(f"/api/v1/orders/{wb}/recipient", json=fixed, headers=world["me"]).status_code == 404
    container.shipping.mark_paid(wb)
    far = {**fixed, "region_code": "440305"}
    r = client.put(f"/api/v1/orders/{wb}/recipient", json=far, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "price_changes"
    set_status(container, wb, states.PICKED_UP)
    r = client.put(f"/api/v1/orders/{wb}/recipient", json=fixed, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "order_not_correctable"
    assert client.put(f"/api/v1/orders/{wb}/recipient", json={**fixed, "region_code": "999999"}, headers=h).status_code == 422


def test_the_order_page_corrects_the_recipient_from_the_address_book(client, sms, clock, container, world):
    from tests.test_accounts_web import csrf as csrf_of, web_register  # noqa: PLC0415

    wb = client.post("/api/v1/orders", headers=world["me"], json=order_body(
        sender={"name": NAMES[0], "phone": ME, "region_code": "110105", "address": ADDRESSES[1]},
        recipient={"name": NAMES[3], "phone": SHOP, "region_code": "310106", "address": ADDRESSES[2]})).json()["waybill_no"]
    entry = client.get("/api/v1/address-book", headers=world["me"]).json()["entries"][0]["id"]
    clock.advance(seconds=61)
    web_register(client, sms, ME)  # logs the existing account in
    page = client.get(f"/orders/{wb}")
    assert page.status_code == 200 and 'data-testid="correct-recipient"' in page.text
    csrf = csrf_of(client)
    r = client.post(f"/orders/{wb}/recipient", data={"recipient_entry": entry, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert client.get(f"/api/v1/orders/{wb}", headers=world["me"]).json()["recipient"]["phone"] == "137****1111"
    assert client.post(f"/orders/{wb}/recipient", data={"recipient_entry": str(uuid.uuid4()), "csrf_token": csrf}).status_code == 404
    assert client.post(f"/orders/{wb}/recipient", data={"recipient_entry": entry}).status_code == 403
