"""Accounts through the JSON API: SMS registration and login, password login, profile, phone change."""
from __future__ import annotations

import re
import uuid

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jidi import models, privacy
from jidi.accounts.models import AuthSession, SmsCode, User
from jidi.privacy import Agreement
from jidi.notify.models import SmsMessage
from jidi.privacy import Actor, Purpose, needs_rehash
from jidi.privacy.catalog import Catalog
from tests.conftest import require_retry_after
from tests.pii import EMAILS, NICKNAMES, PHONES, USERNAMES

PHONE, NEW_PHONE, STRANGER = PHONES[0], PHONES[1], PHONES[2]


def send_code(client, phone=PHONE, **headers):
    return client.post("/api/v1/auth/sms-codes", json={"phone": phone}, headers=headers)


def register(client, sms, clock=None, phone=PHONE) -> str:
    assert send_code(client, phone).status_code == 202
    r = client.post("/api/v1/auth/sms-login", json={"phone": phone, "code": sms.last_code(phone), "accept_policy": True})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def count(container, model, *where):
    with container.uow() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.promise("JD-1.1.1(2)")
def test_first_successful_code_creates_the_account_and_logs_in(client, sms, container):
    r = send_code(client)
    assert r.status_code == 202 and r.json() == {"resend_after_seconds": 61, "expires_in_seconds": 300}
    code = sms.last_code(PHONE)
    assert len(code) == 6 and code.isdigit()
    r = client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": code, "accept_policy": True})
    assert r.status_code == 200 and r.json()["account_created"] is True
    me = client.get("/api/v1/me", headers=auth(r.json()["token"])).json()
    assert me["phone"] == "139****5678" and me["role"] == "customer"
    assert PHONE not in str(me)
    # The code is stored only as a keyed hash, never in plaintext.
    with container.uow() as s:
        row = s.scalars(select(SmsCode)).one()
        assert code.encode() not in row.code_hash and row.used_at is not None


# What creating an account may collect (CN-3.1.1): name, avatar, username, e-mail, phone and password, as the
# creation method asks. The staff two-factor secret is set only by `jidi staff create`, never for a customer.
ACCOUNT_FIELDS = {"users.nickname", "users.avatar_url", "users.username", "users.email", "users.phone", "users.password_hash"}


def stored_account_fields(container, user_id) -> set[str]:
    catalog = Catalog.from_base(models.Base)
    with container.uow() as s:
        row = s.execute(select(User.__table__).where(User.id == user_id)).one()._mapping
    return {key for key, spec in catalog.fields.items() if spec.table == "users" and row[spec.column] is not None}


@pytest.mark.promise("CN-3.1.1")
def test_an_account_holds_only_what_its_creation_method_asked_for_and_what_the_user_adds(client, sms, container):
    customer_fields = {k for k, spec in Catalog.from_base(models.Base).fields.items() if spec.table == "users"}
    assert customer_fields - {"users.totp_secret"} <= ACCOUNT_FIELDS, "the account collects a field the policy does not name"
    token = register(client, sms)
    me = client.get("/api/v1/me", headers=auth(token)).json()
    # Phone and SMS code: the phone is all it asks for.
    assert stored_account_fields(container, uuid.UUID(me["id"])) == {"users.phone"}
    # The rest only when the user adds it, each from the policy's list.
    assert client.patch("/api/v1/me", json={"username": USERNAMES[0], "email": EMAILS[0], "nickname": NICKNAMES[0]},
                        headers=auth(token)).status_code == 200
    assert client.put("/api/v1/me/password", json={"new_password": "a long pass phrase 2026"}, headers=auth(token)).status_code == 204
    assert stored_account_fields(container, uuid.UUID(me["id"])) == {
        "users.phone", "users.username", "users.email", "users.nickname", "users.password_hash"}


@pytest.mark.promise("JD-4.2d", "CN-preamble-a", "ZK-preamble-a")
def test_login_requires_accepting_the_policy_and_records_the_consent(client, sms, container):
    send_code(client)
    r = client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": sms.last_code(PHONE), "accept_policy": False})
    assert r.status_code == 400 and r.json()["error"]["code"] == "policy_not_accepted"
    assert count(container, User) == 0
    # The code was not used up by the refusal: accepting now logs in.
    r = client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": sms.last_code(PHONE), "accept_policy": True})
    assert r.status_code == 200
    user_id = uuid.UUID(client.get("/api/v1/me", headers=auth(r.json()["token"])).json()["id"])
    with container.uow() as s:
        # In the consent ledger: the version, the exact text shown and how (JD-4.2d).
        proof = container.consents.proof(s, user_id, Agreement.PRIVACY_POLICY)
        assert (proof.granted.version, proof.granted.how) == (container.settings.policy_version, "api")
        assert proof.text_matches and container.settings.policy_version in proof.text
    assert client.get("/api/v1/me", headers=auth(r.json()["token"])).json()["accepted_policy_version"] == container.settings.policy_version


def test_wrong_expired_and_replayed_codes_are_refused(client, sms, container, clock):
    send_code(client)
    code = sms.last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    r = client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": wrong, "accept_policy": True})
    assert r.status_code == 400 and r.json()["error"]["code"] == "code_invalid"
    assert client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": code, "accept_policy": True}).status_code == 200
    replay = client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": code, "accept_policy": True})
    assert replay.status_code == 400 and replay.json()["error"]["code"] == "code_invalid"
    clock.advance(seconds=61)
    send_code(client)
    clock.advance(minutes=5, seconds=1)
    late = client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": sms.last_code(PHONE), "accept_policy": True})
    assert late.status_code == 400 and late.json()["error"]["code"] == "code_invalid"
    assert count(container, AuthSession) == 1


def test_five_wrong_tries_lock_the_code(client, sms, container):
    send_code(client)
    code = sms.last_code(PHONE)
    wrong = [f"{(int(code) + i) % 1_000_000:06d}" for i in range(1, 6)]
    codes = [client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": w, "accept_policy": True}).json()["error"]["code"] for w in wrong]
    assert codes == ["code_invalid"] * 4 + ["code_locked"]
    r = client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": code, "accept_policy": True})
    assert r.status_code == 400 and r.json()["error"]["code"] == "code_locked"
    assert count(container, User) == 0


def test_each_code_to_a_number_makes_its_requester_wait_longer(client, sms, clock):
    """One client asking one number again and again waits about twice as long after each code (1, 2, 4, 8, 16
    minutes), six a day; every 429 says exactly how long (Retry-After), and only the newest code works."""
    waits = []
    for _ in range(6):
        r = send_code(client)
        assert r.status_code == 202
        waits.append(r.json()["resend_after_seconds"])
        refused = send_code(client, **{"Accept-Language": "en"})
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "code_too_soon"
        assert refused.headers["Retry-After"] == str(waits[-1]) and str(waits[-1]) in refused.json()["error"]["message"]
        clock.advance(seconds=waits[-1] - 2)
        assert send_code(client).status_code == 429  # too early
        clock.advance(seconds=2)
    assert waits[:5] == [61, 120, 240, 480, 960] and waits[5] > 23 * 3600
    older = sms.last_code(PHONE)
    assert send_code(client).status_code == 202
    newest = sms.last_code(PHONE)
    # Another number is not held up by this one; only the newest code works.
    assert send_code(client, NEW_PHONE).status_code == 202
    login = {"phone": PHONE, "accept_policy": True}
    assert older == newest or client.post("/api/v1/auth/sms-login", json={**login, "code": older}).status_code == 400
    assert client.post("/api/v1/auth/sms-login", json={**login, "code": newest}).status_code == 200


def test_daily_cap_per_client_address(client, container, clock):
    container.settings.sms_daily_cap_per_client = 3
    assert [send_code(client, p).status_code for p in PHONES[:4]] == [202, 202, 202, 429]


def from_address(app, address: str, **cookies) -> TestClient:
    """Another device, at another client address."""
    tc = TestClient(app, base_url="https://testserver", client=(address, 50000), cookies=cookies)
    tc.event_hooks["response"].append(require_retry_after)
    return tc


def answer(client, challenge: dict, add: int = 0):
    a, b = map(int, re.findall(r"\d+", challenge["question"]))
    return client.post("/api/v1/auth/sms-codes", json={"phone": PHONE, "challenge_token": challenge["token"],
                                                       "challenge_answer": str(a + b + add)})


@pytest.mark.promise("JD-1.1.1(2)")
def test_strangers_cannot_lock_the_owner_out_of_sms_login(app, client, sms, container, clock):
    """Requests from many addresses use up a number's daily budget of codes; after that every further code needs the
    answer to a question (never a refusal), and the owner's device, trusted since a login on it, is not asked."""
    register(client, sms)
    assert client.cookies.get("jidi_device")
    clock.advance(hours=1)
    for i in range(container.settings.sms_daily_cap_per_phone - 1):  # the owner's first code counted too
        with from_address(app, f"203.0.113.{i + 1}") as stranger:
            assert send_code(stranger).status_code == 202
    with from_address(app, "198.51.100.7") as new_device:
        r = send_code(new_device)
        assert r.status_code == 429 and r.json()["error"]["code"] == "code_challenge"
        assert r.headers["Retry-After"] == str(23 * 3600 + 1)  # the first whole second the budget has room again
        challenge = r.json()["error"]["challenge"]
        wrong = answer(new_device, challenge, add=1)
        assert wrong.status_code == 429 and wrong.json()["error"]["challenge"]["token"] != challenge["token"]
        sent = len(sms.sent)
        assert answer(new_device, wrong.json()["error"]["challenge"]).status_code == 202 and len(sms.sent) == sent + 1
        clock.advance(minutes=5)
        reused = answer(new_device, wrong.json()["error"]["challenge"])  # an answer gets one code only
        assert reused.status_code == 429 and reused.json()["error"]["code"] == "code_challenge"
    # The owner's device: a code at once, no question, and it logs in.
    assert send_code(client).status_code == 202
    r = client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": sms.last_code(PHONE), "accept_policy": True})
    assert r.status_code == 200
    # Another account's trusted device is a stranger to this number; a forged cookie is no cookie.
    with from_address(app, "198.51.100.8") as other:
        register(other, sms, phone=STRANGER)
        assert send_code(other).json()["error"]["code"] == "code_challenge"
    with from_address(app, "198.51.100.9", jidi_device=client.cookies["jidi_device"][:-4] + "AAAA") as forged:
        assert send_code(forged).json()["error"]["code"] == "code_challenge"


@pytest.mark.promise("JD-1.1.1(2)")
def test_code_requests_do_not_reveal_whether_a_number_has_an_account(client, sms, clock):
    register(client, sms)
    clock.advance(seconds=61)
    known, unknown = send_code(client, PHONE), send_code(client, STRANGER)
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert set(known.headers) - {"x-request-id", "content-length"} == set(unknown.headers) - {"x-request-id", "content-length"}


@pytest.mark.parametrize("phone", ["123", "1391234567", "139123456789", "02012345678", "+14155550100", "abc", "139-1234-567x", "13912345678\u0000"])
def test_malformed_phone_numbers_are_refused_and_change_nothing(client, container, phone):
    r = send_code(client, phone)
    assert r.status_code == 422 and r.json()["error"]["code"] in ("invalid_phone", "invalid_input")
    assert phone not in r.text
    assert count(container, SmsCode) == 0


def test_full_width_digits_and_separators_are_the_same_number(client, sms):
    assert send_code(client, "１３９ １２３４ ５６７８").status_code == 202
    assert sms.last_code(PHONE)


@pytest.mark.promise("JD-1.1.1(1)", "ZK-1.1.1", "CN-7.2a")
def test_password_login_by_phone_username_or_email(client, sms, container):
    token = register(client, sms)
    assert client.patch("/api/v1/me", json={"username": USERNAMES[0], "email": EMAILS[0], "nickname": NICKNAMES[0]}, headers=auth(token)).status_code == 200
    assert client.put("/api/v1/me/password", json={"new_password": "correct horse 9"}, headers=auth(token)).status_code == 204
    for login in (PHONE, USERNAMES[0], USERNAMES[0].upper(), EMAILS[0]):
        r = client.post("/api/v1/auth/password-login", json={"login": login, "password": "correct horse 9"})
        assert r.status_code == 200, login
    failures = [
        client.post("/api/v1/auth/password-login", json={"login": login, "password": pw}).json()["error"]
        for login, pw in ((PHONE, "wrong password"), (STRANGER, "correct horse 9"), ("nobody_here", "x"))
    ]
    assert {f["code"] for f in failures} == {"login_failed"} and len({f["message"] for f in failures}) == 1
    # Stored as an argon2id hash, itself encrypted.
    with container.uow() as s:
        user = s.scalars(select(User)).one()
        assert b"argon2id" not in s.scalar(select(User.__table__.c.password_hash))
        assert privacy.open(user.password_hash, for_=privacy.Purpose.LOGIN, actor=privacy.Actor.system()).startswith("$argon2id$")


def test_a_password_hashed_with_older_parameters_is_rehashed_at_login(client, sms, container):
    """argon2's parameters grow over time: a hash made with weaker ones is replaced at the next correct login."""
    token = register(client, sms)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("correct horse 9")
    with container.uow() as s:
        s.scalars(select(User)).one().password_hash = weak

    def stored() -> str:
        with container.uow() as s:
            return privacy.open(s.scalars(select(User)).one().password_hash, for_=Purpose.LOGIN, actor=Actor.system())

    assert client.post("/api/v1/auth/password-login", json={"login": PHONE, "password": "wrong password"}).status_code == 401
    assert stored() == weak  # a wrong password changes nothing
    assert client.post("/api/v1/auth/password-login", json={"login": PHONE, "password": "correct horse 9"}).status_code == 200
    upgraded = stored()
    assert upgraded != weak and upgraded.startswith("$argon2id$") and not needs_rehash(upgraded)
    assert client.post("/api/v1/auth/password-login", json={"login": PHONE, "password": "correct horse 9"}).status_code == 200
    assert stored() == upgraded and client.get("/api/v1/me", headers=auth(token)).status_code == 200


@pytest.mark.promise("JD-1.1.1(1)")
def test_a_user_without_password_still_logs_in_by_code(client, sms):
    token = register(client, sms)
    assert client.get("/api/v1/me", headers=auth(token)).json()["has_password"] is False
    r = client.post("/api/v1/auth/password-login", json={"login": PHONE, "password": "anything at all"})
    assert r.status_code == 401


def test_changing_a_password_needs_the_current_one(client, sms):
    token = register(client, sms)
    client.put("/api/v1/me/password", json={"new_password": "first password"}, headers=auth(token))
    r = client.put("/api/v1/me/password", json={"new_password": "second password", "current_password": "nope"}, headers=auth(token))
    assert r.status_code == 401
    r = client.put("/api/v1/me/password", json={"new_password": "second password", "current_password": "first password"}, headers=auth(token))
    assert r.status_code == 204
    r = client.put("/api/v1/me/password", json={"new_password": "short", "current_password": "second password"}, headers=auth(token))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_field"


def test_logout_ends_the_token(client, sms):
    token = register(client, sms)
    assert client.post("/api/v1/auth/logout", headers=auth(token)).status_code == 204
    r = client.get("/api/v1/me", headers=auth(token))
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"
    assert client.get("/api/v1/me", headers=auth("made-up-token")).status_code == 401
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.promise("ZK-1.1.1")
def test_profile_fields_are_optional_validated_and_masked(client, sms, container):
    token = register(client, sms)
    me = client.get("/api/v1/me", headers=auth(token)).json()
    assert me["nickname"] is None and me["email"] is None and me["username"] is None
    r = client.patch("/api/v1/me", json={"nickname": NICKNAMES[0], "email": EMAILS[0], "username": USERNAMES[0]}, headers=auth(token))
    assert r.status_code == 200
    me = r.json()
    assert (me["nickname"], me["email"], me["username"]) == ("小*", "x***@example.com", "x***")
    for body in ({"nickname": "bad\u0000name"}, {"nickname": "x" * 33}, {"nickname": "zero\u200bwidth"}, {"email": "not-an-email"},
                 {"username": "9starts-with-digit"}, {"username": "ab"}):
        r = client.patch("/api/v1/me", json=body, headers=auth(token))
        assert r.status_code == 422, body
        assert r.json()["error"]["code"] in ("invalid_field", "invalid_input")
    assert client.get("/api/v1/me", headers=auth(token)).json()["nickname"] == "小*"
    assert client.patch("/api/v1/me", json={"email": ""}, headers=auth(token)).json()["email"] is None


def test_username_and_email_are_unique(client, sms, clock):
    first = register(client, sms, phone=PHONE)
    second = register(client, sms, phone=NEW_PHONE)
    client.patch("/api/v1/me", json={"username": USERNAMES[0], "email": EMAILS[0]}, headers=auth(first))
    assert client.patch("/api/v1/me", json={"username": USERNAMES[0].upper()}, headers=auth(second)).json()["error"]["code"] == "username_taken"
    assert client.patch("/api/v1/me", json={"email": EMAILS[0]}, headers=auth(second)).status_code == 409


def test_change_phone_with_a_code_to_the_new_number(client, sms, container, clock):
    token = register(client, sms)
    r = client.post("/api/v1/me/phone/codes", json={"phone": NEW_PHONE}, headers=auth(token))
    assert r.status_code == 202
    bad = client.put("/api/v1/me/phone", json={"phone": NEW_PHONE, "code": "12345x"}, headers=auth(token))
    assert bad.status_code == 400
    r = client.put("/api/v1/me/phone", json={"phone": NEW_PHONE, "code": sms.last_code(NEW_PHONE)}, headers=auth(token))
    assert r.status_code == 200 and r.json()["phone"] == "137****1111"
    # The old number is told, the new one now logs in, the old one makes a new account.
    assert sms.sent[-1][0] == PHONE
    with container.uow() as s:
        assert s.scalars(select(SmsMessage.template).order_by(SmsMessage.created_at)).all()[-1] == "phone_changed"
    clock.advance(seconds=61)
    assert register(client, sms, phone=NEW_PHONE)
    assert count(container, User) == 1


def test_a_number_bound_to_another_account_cannot_be_taken(client, sms, clock):
    mine = register(client, sms, phone=PHONE)
    register(client, sms, phone=NEW_PHONE)
    clock.advance(seconds=61)
    client.post("/api/v1/me/phone/codes", json={"phone": NEW_PHONE}, headers=auth(mine))
    r = client.put("/api/v1/me/phone", json={"phone": NEW_PHONE, "code": sms.last_code(NEW_PHONE)}, headers=auth(mine))
    assert r.status_code == 409 and r.json()["error"]["code"] == "phone_in_use"


def test_errors_speak_the_users_language(client):
    zh = send_code(client, "123")
    en = send_code(client, "123", **{"Accept-Language": "en-US,en;q=0.9"})
    assert zh.json()["error"]["code"] == en.json()["error"]["code"] == "invalid_phone"
    assert "mobile" in en.json()["error"]["message"]
    assert zh.json()["error"]["message"] != en.json()["error"]["message"]


def test_unknown_fields_and_bad_json_are_clean_422s(client):
    r = client.post("/api/v1/auth/sms-codes", json={"phone": PHONE, "extra": 1})
    assert r.status_code == 422 and (r.json()["error"]["fields"], r.json()["error"]["unknown_fields"]) == ([], ["extra"])
    # An unknown key is named as unknown, apart from the request's own fields that are missing.
    r = client.post("/api/v1/auth/password-login", json={"phone": PHONE, "password": "correct horse"}, headers={"Accept-Language": "en"})
    error = r.json()["error"]
    assert r.status_code == 422 and (error["fields"], error["unknown_fields"]) == (["login"], ["phone"])
    assert error["message"] == ("Some fields are missing or invalid: login. These fields are not part of this request: phone.")
    zh = client.post("/api/v1/auth/password-login", json={"login": "someone", "password": "correct horse", "phone": PHONE}).json()["error"]
    assert (zh["fields"], zh["unknown_fields"], zh["message"]) == ([], ["phone"], "以下字段不属于本请求：phone。")
    r = client.post("/api/v1/auth/sms-codes", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    assert PHONE not in client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": 5}).text


def test_password_guessing_is_slowed_per_login_name_whether_or_not_it_exists(client, sms, container, clock):
    token = register(client, sms)
    client.put("/api/v1/me/password", json={"new_password": "right password"}, headers=auth(token))
    for login in (PHONE, STRANGER):
        codes = [client.post("/api/v1/auth/password-login", json={"login": login, "password": f"guess {i}"}).status_code for i in range(10)]
        assert codes == [401] * 10
        blocked = client.post("/api/v1/auth/password-login", json={"login": login, "password": "right password"})
        assert blocked.status_code == 429 and blocked.json()["error"]["code"] == "too_many_attempts"
    clock.advance(minutes=16)
    assert client.post("/api/v1/auth/password-login", json={"login": PHONE, "password": "right password"}).status_code == 200
    # SMS login still works while passwords are blocked.
    assert register(client, sms, phone=PHONE)


def test_field_names_in_errors_are_translated_too(client, sms):
    token = register(client, sms)
    zh = client.patch("/api/v1/me", json={"nickname": "x" * 40}, headers=auth(token))
    en = client.patch("/api/v1/me", json={"nickname": "x" * 40}, headers={**auth(token), "Accept-Language": "en"})
    assert zh.status_code == en.status_code == 422
    assert "昵称" in zh.json()["error"]["message"] and "nickname" not in zh.json()["error"]["message"]
    assert "nickname" in en.json()["error"]["message"]
