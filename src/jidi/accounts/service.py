"""Account use cases. Each public method is one transaction: it writes its rows and audit records together
and queues its messages to go out only after the commit.

Nothing here reveals whether a phone number has an account: requesting a code answers the same way for
every valid number, and SMS login creates the account on the first successful check (JD-1.1.1(2)).
"""
from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import secrets
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from jidi import errors, privacy, ratelimit, values
from jidi.accounts.models import AuthSession, SmsCode, User, WechatLink
from jidi.accounts.wechat import WechatIdentity
from jidi.i18n import N_
from jidi.kit import gates
from jidi.privacy import (
    Actor, Agreement, Notice, Personal, Purpose, Role, hash_password, needs_rehash, new_totp_secret, totp_now, totp_ok, totp_uri, verify_password,
)
from jidi.ratelimit import Limit

# Password guessing: this many failures for one login name within 15 minutes block it until the oldest is 15 minutes old.
LOGIN_FAILURES = Limit.of("login_failures", "10 per 15 minutes")
OWN_NUMBER = Limit.of("sms_own_number", "1/minute")
# A challenge answers one request only.
CHALLENGE_USED = Limit.of("sms_challenge_used", "1 per 15 minutes")
CHALLENGE_TTL_SECONDS = 600


class _Attempt:
    error: errors.AppError | None = None

    def fail(self, error: errors.AppError) -> None:
        self.error = error


@dataclasses.dataclass
class LoginResult:
    user_id: uuid.UUID
    token: str
    created: bool


@dataclasses.dataclass
class Profile:
    """An account as its owner sees it: every personal value masked until revealed."""

    user_id: uuid.UUID
    role: str
    phone: Personal | None
    username: Personal | None
    email: Personal | None
    nickname: Personal | None
    has_password: bool
    wechat_bound: bool
    policy_version: str | None
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class AccountFacts:
    """What another feature may know of an account without reading its table: no personal value, only the keyed
    index of its verified phone (to find the person's rows in the feature's own tables)."""
    id: uuid.UUID
    role: Role
    active: bool
    phone_index: bytes | None


# What WeChat's authorisation prompt asks (in WeChat's language of the mainland): recorded with the consent.
WECHAT_PROFILE_NOTICE = Notice("wechat-profile-1", "允许 jidi 获取你的微信昵称和头像，用于在你的 jidi 账号中显示。"
                                                   "你可以随时在“我的个人信息”中撤回，撤回后我们删除已保存的昵称和头像。")


class Accounts:
    def __init__(self, container):
        self.c = container
        # The SMS template of each verification code's purpose ("login", "lookup", "guardian"…): the templates features
        # declare with a `code_purpose` (jidi.kit.feature.SmsTemplate).
        self.code_templates = {t.code_purpose: t.name for f in container.features for t in f.sms if t.code_purpose}

    @property
    def vault(self):
        return self.c.vault

    # -- for other features: the account's facts, in the caller's transaction ---------------------------------
    def facts(self, s: Session, user_id: uuid.UUID) -> AccountFacts | None:
        user = s.get(User, user_id)
        return AccountFacts(user.id, Role(user.role), user.status == "active", user.phone_bidx) if user else None

    def phone_index_of(self, user_id: uuid.UUID):
        """The same, as a scalar subquery for another feature's statement: no round trip of its own."""
        return select(User.phone_bidx).where(User.id == user_id).scalar_subquery()

    def phone_index(self, s: Session, user_id: uuid.UUID) -> bytes | None:
        """The keyed index of the account's verified phone (None: no account, or no phone)."""
        return s.scalar(select(User.phone_bidx).where(User.id == user_id))

    def email(self, s: Session, user_id: uuid.UUID) -> Personal | None:
        """The account's e-mail as a Personal (opened only for a purpose its catalog entry lists); None if none."""
        user = s.get(User, user_id)
        return user.email if user is not None and user.status == "active" else None

    def customer_ids(self, s: Session) -> list[uuid.UUID]:
        """The active customer accounts' ids (an audience to segment: ids only, no personal value)."""
        return list(s.scalars(select(User.id).where(User.role == Role.CUSTOMER.value, User.status == "active")))

    def phone(self, s: Session, user_id: uuid.UUID | None) -> Personal | None:
        """The account's phone number as a Personal (masked unless opened for a purpose); None without an account.
        An erased account's number is not readable (Personal.readable)."""
        user = s.get(User, user_id) if user_id is not None else None
        return user.phone if user is not None else None

    def _user_by_index(self, s: Session, field: str, value: str, *, include_erased: bool = False) -> User | None:
        """The account with this phone, username or e-mail. An account erased on request whose row a restored backup
        brought back is no account (until the erasure is re-applied), unless `include_erased` (the value is taken)."""
        column = {"phone": User.phone, "username": User.username, "email": User.email}[field]
        user: User | None = self.c.finder.one(s, column, value, include_erased=include_erased)
        return user

    def _user_by_bidx(self, s: Session, domain: str, index: bytes) -> User | None:
        """The active account whose phone, username or e-mail has this keyed index (a remembered login's)."""
        column = {"phone": User.phone_bidx, "username": User.username_bidx, "email": User.email_bidx}[domain]
        user = s.scalar(select(User).where(column == index))
        return user if user is not None and self._active(user.status, user.id) else None

    def user_id_for_phone_index(self, s: Session, index: bytes | None) -> uuid.UUID | None:
        """The active account whose verified phone has this keyed index (e.g. an order party's), for another feature's
        lookup in the caller's transaction; None if none."""
        user = self._user_by_bidx(s, "phone", index) if index else None
        return user.id if user is not None else None

    def _active(self, status: str, user_id: uuid.UUID) -> bool:
        """Whether an account may log in or use a session: active, and not erased on request (a row or a session that a
        restored backup brought back, before the erasure is re-applied)."""
        return status == "active" and not self.vault.is_erased(user_id)

    # -- one-time codes ------------------------------------------------------------------------------
    def trusted_device(self, user_id: uuid.UUID) -> str:
        """A token for a device the user has just logged in on (an HttpOnly cookie): it may ask for codes to the
        account's number even when strangers have used up the number's budget."""
        return self.c.secrets.seal_blob("device", {"u": str(user_id)}, self.c.settings.trusted_device_days * 86400)

    def _device_owner(self, device: str | None, phone_idx: bytes) -> uuid.UUID | None:
        """The account a trusted-device token was given to, if that account (still) has this number."""
        found = self.c.secrets.open_blob("device", device)
        if not found:
            return None
        with self.c.uow() as s:
            user = s.get(User, uuid.UUID(found["u"]))
            return user.id if user is not None and user.status == "active" and user.phone_bidx == phone_idx else None

    def _challenge(self, phone_idx: bytes, wait: int, wrong: bool) -> errors.AppError:
        a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
        token = self.c.secrets.seal_blob("sms_challenge", {"p": phone_idx.hex(), "a": a + b, "n": secrets.token_hex(16)},
                                         CHALLENGE_TTL_SECONDS)
        return errors.code_challenge(wait, f"{a} + {b} = ?", token, wrong)

    def _challenge_answered(self, challenge: tuple[str, str] | None, phone_idx: bytes) -> bool:
        token, answer = challenge or ("", "")
        found = self.c.secrets.open_blob("sms_challenge", token)
        if not found or found["p"] != phone_idx.hex() or answer.strip() != str(found["a"]):
            return False
        return self.c.limiter.hit(CHALLENGE_USED, found["n"]) == 0

    def _sms_limits(self) -> tuple[Limit, Limit, Limit]:
        st = self.c.settings
        return (Limit.of("sms_requester_phone", st.sms_code_limits), Limit.of("sms_requester", f"{st.sms_daily_cap_per_client}/day"),
                Limit.of("sms_phone_untrusted", f"{st.sms_daily_cap_per_phone}/day"))

    def request_code(self, raw_phone: str, purpose: str, client_address: str, locale: str, *, for_user: uuid.UUID | None = None,
                     by_user: uuid.UUID | None = None, device: str | None = None, challenge: tuple[str, str] | None = None,
                     own_number: bool = False) -> int:
        """Send a 6-digit code by SMS; returns the seconds before this requester may ask for another.

        `for_user`: the account whose number this is or will be (its subject seals the message). The requester is the
        logged-in account asking (`by_user`, or `for_user`), else a trusted device of the number's account (`device`),
        else the client address. Each requester waits longer after each code to one number and has a daily total;
        a number takes a day's budget of codes from client addresses, after which each further code needs the answer
        to a question (`challenge`: its token and the answer) — so nobody can use up someone else's logins, and
        the number's owner, on a trusted device or answering the question, always gets a code. A logged-in account's
        codes to its own number (`own_number`: nobody else's phone rings) only wait a minute between them.
        """
        phone = values.phone(raw_phone)
        if purpose not in self.code_templates:
            raise errors.invalid_field(N_("purpose"))
        phone_idx = self.c.finder.index(SmsCode.phone_bidx, phone)
        requester: tuple[ratelimit.Part, ...]
        if (asking := by_user or for_user) is not None:
            requester = ("user", str(asking))
        elif (owner := self._device_owner(device, phone_idx)) is not None:
            requester = ("device", str(owner))
        else:
            requester = ("client", ratelimit.client_address(client_address))
        per_number, per_requester, untrusted = self._sms_limits()
        if own_number:
            per_number = OWN_NUMBER
        limiter = self.c.limiter
        if wait := limiter.retry_after(per_number, *requester, phone_idx):
            raise errors.code_too_soon(wait)
        if wait := limiter.retry_after(per_requester, *requester):
            raise errors.code_daily_limit(wait)
        anonymous = requester[0] == "client"
        if anonymous and (wait := limiter.retry_after(untrusted, phone_idx)):
            if not self._challenge_answered(challenge, phone_idx):
                raise self._challenge(phone_idx, wait, wrong=challenge is not None)
        if wait := limiter.hit(per_number, *requester, phone_idx):  # another request just took the last slot
            raise errors.code_too_soon(wait)
        limiter.hit(per_requester, *requester)
        if anonymous:
            limiter.hit(untrusted, phone_idx)
        st = self.c.settings
        now = self.c.clock()
        with self.c.uow() as s:
            # Only the newest code for a number and purpose is valid.
            s.execute(
                update(SmsCode)
                .where(SmsCode.phone_bidx == phone_idx, SmsCode.purpose == purpose, SmsCode.used_at.is_(None))
                .values(used_at=now)
            )
            code = self.c.secrets.new_code()
            row = SmsCode(id=uuid.uuid4(), phone_bidx=phone_idx, purpose=purpose, attempts=0,
                          created_at=now, expires_at=now + dt.timedelta(seconds=st.sms_code_ttl_seconds))
            row.code_hash = self.c.secrets.otp_hash(row.id.bytes + phone_idx, code)
            s.add(row)
            owner = for_user or (u.id if (u := self._user_by_index(s, "phone", phone)) else None)
            subject = owner  # None: a number with no account, its message gets a one-off subject
            template = self.code_templates[purpose]
            self.c.notifier.queue_sms(s, subject_id=subject, phone=phone, template=template, locale=locale, code=code)
        return limiter.retry_after(per_number, *requester, phone_idx)

    def check_code(self, purpose: str, code: str, *, phone: str | None = None, phone_idx: bytes | None = None) -> None:
        """Check and use up a code that `request_code` sent for another feature ("lookup", "family"), for a
        number given in full or by its blind index. Raises code_invalid / code_locked like a login."""
        if purpose not in self.code_templates or (phone is None and phone_idx is None):
            raise errors.code_invalid()
        self._consume_code(values.phone(phone) if phone is not None else None, purpose, code, phone_idx=phone_idx)

    def _consume_code(self, phone: str | None, purpose: str, code: str, *, phone_idx: bytes | None = None) -> None:
        """Check a code in its own transaction, so a wrong guess is counted even though the caller fails."""
        code = values.code(code)
        phone_idx = phone_idx or self.c.finder.index(SmsCode.phone_bidx, phone)
        with self.c.uow() as s:
            failure = self._use_code(s, phone_idx, purpose, code)
        if failure:
            raise failure

    def _use_code(self, s: Session, phone_idx: bytes, purpose: str, code: str) -> errors.AppError | None:
        """Use up the code, or count the wrong guess: the error is returned, to be raised once this is committed."""
        now = self.c.clock()
        row = s.scalar(
            select(SmsCode)
            .where(SmsCode.phone_bidx == phone_idx, SmsCode.purpose == purpose, SmsCode.used_at.is_(None))
            .order_by(SmsCode.created_at.desc()).limit(1)
        )
        if row is None or row.expires_at <= now:
            return errors.code_invalid()
        if row.attempts >= self.c.settings.sms_code_max_attempts:
            return errors.code_locked()
        if not self.c.secrets.otp_matches(row.code_hash, row.id.bytes + phone_idx, code):
            row.attempts += 1
            return errors.code_locked() if row.attempts >= self.c.settings.sms_code_max_attempts else errors.code_invalid()
        row.used_at = now
        return None

    # -- login -----------------------------------------------------------------------------------------
    def login_with_code(self, raw_phone: str, code: str, accept_policy: bool, channel: str, kind: str = "web",
                        locale: str = "zh_CN") -> LoginResult:
        phone = values.phone(raw_phone)
        if not accept_policy:
            raise errors.policy_not_accepted()
        self._consume_code(phone, "login", code)
        with self.c.uow() as s:
            user = self._user_by_index(s, "phone", phone, include_erased=True)
            created = user is None
            if created:
                user = User(id=uuid.uuid4(), role=Role.CUSTOMER.value, status="active")
                user.phone = phone
                s.add(user)
                s.flush()
            self._ensure_usable(user, Role.CUSTOMER)
            self._record_policy_acceptance(s, user.id, channel, locale)
            token = self._new_session(s, user.id, kind)
        return LoginResult(user.id, token, created)

    @staticmethod
    def _login_key(login: str) -> tuple[str, str] | None:
        """Which index a login name is looked up in (phone, e-mail or user name), and its normal form."""
        if not login or len(login) > 254:
            return None
        if "@" in login:
            return "email", login.lower()
        if login.isdigit() or login.startswith("+"):
            try:
                return "phone", values.phone(login)
            except errors.AppError:
                return None
        return "username", login.lower()

    def remember_login(self, user_id: uuid.UUID, login: str) -> str | None:
        """The "remember my login name" cookie's value after `login` logged in to the account (JD-3.1.2(1), A13): the
        keyed hash (HMAC-SHA256, the key never leaves the server) of the login name under which the account's index
        finds it, so the name cannot be read back from the cookie, not even by someone using the same computer; the
        server maps it to the account."""
        found = self._login_key((login or "").strip())
        if found is None:
            return None
        domain = found[0]
        with self.c.uow() as s:
            user = s.get(User, user_id)
            index = getattr(user, f"{domain}_bidx", None) if user is not None else None
        if not index:
            return None
        return f"{domain}.{base64.urlsafe_b64encode(index).decode().rstrip('=')}"

    def _remembered_user(self, s: Session, remembered: str | None) -> User | None:
        domain, _, digest = (remembered or "").partition(".")
        if domain not in ("phone", "username", "email") or len(digest) != 43:
            return None
        try:
            index = base64.urlsafe_b64decode(digest + "=")
        except ValueError:
            return None
        user = self._user_by_bidx(s, domain, index)
        return user if user is not None and user.role == Role.CUSTOMER.value else None

    def remembered_login(self, remembered: str | None) -> Personal | None:
        """The login name a remembered-login cookie stands for, as a personal value: it shows itself masked (138****8000)."""
        with self.c.uow() as s:
            user = self._remembered_user(s, remembered)
            if user is None:
                return None
            return {"phone": user.phone, "username": user.username, "email": user.email}[remembered.partition(".")[0]]  # type: ignore[union-attr]

    def login_with_password(self, login: str, password: str, kind: str = "web", remembered: str | None = None) -> LoginResult:
        """A password login by login name, or (`remembered`, with no name) by the remembered-login cookie's value."""
        login = (login or "").strip()
        by_cookie = not login and bool(remembered)
        with self._guarded_login(("remembered:" + (remembered or "")) if by_cookie else login.lower()) as (s, attempt):
            user = None
            if by_cookie:
                user = self._remembered_user(s, remembered)
            elif (found := self._login_key(login)) is not None:
                user = self._user_by_index(s, *found)
            ok = self._password_matches(s, user, password)
            if not ok or user is None or user.role != Role.CUSTOMER.value:
                attempt.fail(errors.login_failed())  # raised, and counted, after the transaction
            else:
                self._ensure_usable(user, Role.CUSTOMER)
                token = self._new_session(s, user.id, kind)
        return LoginResult(user.id, token, False)

    def _password_matches(self, s: Session, user: User | None, password: str) -> bool:
        """Whether the password is the account's; a hash made with older (weaker) argon2 parameters than today's is
        replaced by one with today's, in the login's transaction: the one moment the password is known."""
        stored = None
        if user is not None and user.password_hash is not None:
            stored = privacy.open(user.password_hash, for_=Purpose.LOGIN, actor=Actor.system())
        # Always run argon2, so a missing account takes as long as a wrong password.
        ok = verify_password(stored, password or "")
        if ok and user is not None and stored is not None and needs_rehash(stored):
            user.password_hash = hash_password(password)
        return ok

    @contextlib.contextmanager
    def _guarded_login(self, login_name: str):
        """A transaction for one password login; a failure is counted per login name (jidi.ratelimit) and raised
        after it. A name with too many recent failures is refused before its password is even checked — the same for
        names with and without an account."""
        attempt = _Attempt()
        name = ratelimit.login_name(login_name)
        if wait := self.c.limiter.retry_after(LOGIN_FAILURES, name):
            raise errors.too_many_attempts(wait)
        with self.c.uow() as s:
            yield s, attempt
        if attempt.error is not None:
            self.c.limiter.hit(LOGIN_FAILURES, name)
            raise attempt.error

    def _ensure_usable(self, user: User, role: Role) -> None:
        if user.role != role.value or not self._active(user.status, user.id):
            raise errors.account_unavailable()

    # How each login channel records the acceptance in the consent ledger (jidi.privacy.consent.HOW), and where.
    _POLICY_HOW = {"web": ("page", "login"), "api": ("api", "/auth/sms-login"), "wechat": ("wechat", "bind"), "demo": ("demo", "")}

    def _record_policy_acceptance(self, s: Session, subject_id: uuid.UUID, channel: str, locale: str = "zh_CN") -> None:
        """The policy accepted at login (the box ticked): a ledger record of the version and the text shown, once per
        version and text (JD-4.2d)."""
        how, ref = self._POLICY_HOW[channel]
        self.c.consents.record_grant(s, subject_id, Agreement.PRIVACY_POLICY, self.c.consents.policy.current(locale, s),
                                     how=how, how_ref=ref)

    def customers_to_notify(self, s: Session, after: uuid.UUID | None = None, limit: int = 1000) -> list[tuple[uuid.UUID, Personal]]:
        """Active customer accounts with a mobile number, in id order from `after`: (user id, sealed number) for a
        notice every customer gets (a material change of the privacy policy, JD-9.2)."""
        q = select(User).where(User.role == Role.CUSTOMER.value, User.status == "active", User.phone_bidx.is_not(None))
        if after is not None:
            q = q.where(User.id > after)
        return [(u.id, u.phone) for u in s.scalars(q.order_by(User.id).limit(limit)) if self._active(u.status, u.id)]

    def _new_session(self, s: Session, user_id: uuid.UUID, kind: str) -> str:
        ttl = self.c.settings.staff_session_ttl_seconds if kind == "staff" else self.c.settings.session_ttl_seconds
        token = self.c.secrets.new_token()
        now = self.c.clock()
        s.add(AuthSession(id=uuid.uuid4(), user_id=user_id, kind=kind, token_hash=self.c.secrets.token_hash(token),
                          created_at=now, expires_at=now + dt.timedelta(seconds=ttl)))
        return token

    def authenticate(self, token: str | None, kinds: tuple[str, ...], *, path: str | None = None) -> tuple[uuid.UUID, Role] | None:
        """The user behind a session cookie or bearer token, if it is live and of an accepted kind. With `path` (a page
        or API call that needs the user), a customer's account held by a gate (jidi.kit.gates) raises the gate's error."""
        if not token or len(token) > 200:
            return None
        held = None
        with self.c.uow() as s:
            row = s.execute(
                select(AuthSession.kind, AuthSession.expires_at, AuthSession.revoked_at, User.id, User.role, User.status)
                .join(User, User.id == AuthSession.user_id)
                .where(AuthSession.token_hash == self.c.secrets.token_hash(token))
            ).one_or_none()
            if path is not None and row is not None and row.role == Role.CUSTOMER.value and row.status == "active" and gates.GATES:
                held = gates.held(self.c, s, row.id, path)
        if held is not None and row.kind in kinds and row.revoked_at is None and row.expires_at > self.c.clock():
            raise held
        if row is None or row.kind not in kinds or row.revoked_at is not None or row.expires_at <= self.c.clock():
            return None
        if not self._active(row.status, row.id):
            return None
        return row.id, Role(row.role)

    def logout(self, token: str | None) -> None:
        if not token:
            return
        with self.c.uow() as s:
            s.execute(update(AuthSession).where(AuthSession.token_hash == self.c.secrets.token_hash(token), AuthSession.revoked_at.is_(None))
                      .values(revoked_at=self.c.clock()))

    # -- profile ---------------------------------------------------------------------------------------
    def profile(self, user_id: uuid.UUID) -> Profile:
        with self.c.uow() as s:
            user = s.get(User, user_id)
            if user is None:
                raise errors.not_authenticated()
            accepted = self.c.consents.states(s, user_id)[Agreement.PRIVACY_POLICY]
            consent = accepted.version if accepted is not None and accepted.live else None
            bound = s.scalar(select(func.count()).select_from(WechatLink).where(WechatLink.user_id == user_id)) > 0
            return Profile(user.id, user.role, user.phone, user.username, user.email, user.nickname, user.password_hash is not None, bound, consent, user.created_at)

    def reveal_own(self, user_id: uuid.UUID, field: str) -> str:
        """The owner's own full value, shown to them on request (audited like any reveal)."""
        if field not in ("phone", "username", "email", "nickname"):
            raise errors.not_found()
        with self.c.uow() as s:
            user = s.get(User, user_id)
            value = getattr(user, field) if user else None
            if value is None:
                raise errors.not_found()
            return privacy.open(value, for_=Purpose.SELF_SERVICE, actor=Actor(user_id, Role(user.role)))

    def update_profile(self, user_id: uuid.UUID, *, nickname: str | None = None, username: str | None = None, email: str | None = None) -> None:
        """Set the given fields; an empty string clears an optional field (ZK-1.1.1: all of them are optional)."""
        with self.c.uow() as s:
            user = s.get(User, user_id)
            if user is None:
                raise errors.not_authenticated()
            if nickname is not None:
                user.nickname = values.nickname(nickname) if nickname.strip() else None
            if username is not None:
                value = values.username(username).lower() if username.strip() else None
                if value and (other := self._user_by_index(s, "username", value, include_erased=True)) and other.id != user_id:
                    raise errors.username_taken()
                user.username = value
            if email is not None:
                value = values.email(email).lower() if email.strip() else None
                if value and (other := self._user_by_index(s, "email", value, include_erased=True)) and other.id != user_id:
                    raise errors.email_taken()
                user.email = value
            user.updated_at = self.c.clock()

    def set_password(self, user_id: uuid.UUID, new_password: str, current_password: str | None = None) -> None:
        new_password = values.password(new_password)
        with self.c.uow() as s:
            user = s.get(User, user_id)
            if user is None:
                raise errors.not_authenticated()
            if user.password_hash is not None:
                stored = privacy.open(user.password_hash, for_=Purpose.LOGIN, actor=Actor.system())
                if not verify_password(stored, current_password or ""):
                    raise errors.login_failed()
            user.password_hash = hash_password(new_password)

    def request_phone_change(self, user_id: uuid.UUID, raw_phone: str, client_address: str, locale: str) -> int:
        return self.request_code(raw_phone, "change_phone", client_address, locale, for_user=user_id)

    def change_phone(self, user_id: uuid.UUID, raw_phone: str, code: str, locale: str) -> None:
        phone = values.phone(raw_phone)
        self._consume_code(phone, "change_phone", code)
        with self.c.uow() as s:
            user = s.get(User, user_id)
            if user is None:
                raise errors.not_authenticated()
            other = self._user_by_index(s, "phone", phone, include_erased=True)
            if other is not None:
                raise errors.same_phone() if other.id == user_id else errors.phone_in_use()
            old = user.phone
            user.phone = phone
            if old is not None:
                self.c.notifier.queue_sms(s, subject_id=user.id, phone=old,
                                          template="phone_changed", locale=locale)

    def demo_customer(self, phone: str, password: str, nickname: str) -> uuid.UUID:
        """The demo customer for `make run` (development only): an account as SMS registration creates it."""
        if self.c.settings.env == "production":
            raise errors.forbidden()
        with self.c.uow() as s:
            user = User(id=uuid.uuid4(), role=Role.CUSTOMER.value, status="active")
            user.phone = values.phone(phone)
            user.nickname = nickname
            user.password_hash = hash_password(password)
            s.add(user)
            s.flush()
            self._record_policy_acceptance(s, user.id, "demo")
        return user.id

    def current_totp(self, username: str) -> str:
        """A staff member's current authenticator code (development only, for the demo logins)."""
        if self.c.settings.env == "production":
            raise errors.forbidden()
        with self.c.uow() as s:
            user = self._user_by_index(s, "username", username.lower())
            if user is None or user.totp_secret is None:
                raise errors.not_found()
            return totp_now(privacy.open(user.totp_secret, for_=Purpose.SECURITY, actor=Actor.system()))

    # -- staff -----------------------------------------------------------------------------------------
    def create_staff(self, role: Role, username: str, password: str) -> tuple[uuid.UUID, str, str]:
        """A staff account (CLI only). Returns its id, TOTP secret and provisioning URI, shown once."""
        if not role.is_staff:
            raise errors.invalid_field(N_("role"))
        username = values.username(username).lower()
        password = values.password(password)
        secret = new_totp_secret()
        with self.c.uow() as s:
            if self._user_by_index(s, "username", username, include_erased=True):
                raise errors.username_taken()
            user = User(id=uuid.uuid4(), role=role.value, status="active")
            user.username = username
            user.password_hash = hash_password(password)
            user.totp_secret = secret
            s.add(user)
        return user.id, secret, totp_uri(secret, username)

    def staff_login(self, username: str, password: str, totp_code: str) -> LoginResult:
        """Password plus a TOTP second factor (ZK-4.1.1f, JD-5.1.2(1)a)."""
        name = (username or "").strip().lower()
        with self._guarded_login("staff:" + name) as (s, attempt):
            user = self._user_by_index(s, "username", name) if name and len(name) <= 64 else None
            ok = self._password_matches(s, user, password)
            if ok and user is not None and Role(user.role).is_staff and user.status == "active":
                secret = privacy.open(user.totp_secret, for_=Purpose.SECURITY, actor=Actor.system())
                ok = totp_ok(secret, (totp_code or "").strip())
            else:
                ok = False
            if not ok:
                attempt.fail(errors.staff_login_failed())  # raised, and counted, after the transaction
            else:
                token = self._new_session(s, user.id, "staff")
        return LoginResult(user.id, token, False)

    def staff_find_customer(self, raw_phone: str) -> Profile | None:
        """A support agent's lookup by full phone number: the customer's profile, masked."""
        phone = values.phone(raw_phone)
        with self.c.uow() as s:
            user = self._user_by_index(s, "phone", phone)
        if user is None or user.role != Role.CUSTOMER.value:
            return None
        return self.profile(user.id)

    def staff_reveal(self, actor: Actor, customer_id: uuid.UUID, field: str, purpose: Purpose) -> str:
        """A staff member opens one full value for a purpose their role allows; the reveal is audited."""
        with self.c.uow() as s:
            user = s.get(User, customer_id)
            if user is None or user.role != Role.CUSTOMER.value or field not in ("phone", "username", "email", "nickname"):
                raise errors.not_found()
            value = getattr(user, field)
            if value is None:
                raise errors.not_found()
            return privacy.open(value, for_=purpose, actor=actor)

    # -- for the rights centre ------------------------------------------------------------------------
    def request_own_code(self, user_id: uuid.UUID, purpose: str, client_address: str, locale: str) -> int:
        """A code to the account's own phone, to re-verify the holder before something sensitive."""
        with self.c.uow() as s:
            user = s.get(User, user_id)
            phone = user.phone if user is not None and user.status == "active" else None
            if phone is None:
                raise errors.not_authenticated()
            plain = privacy.open(phone, for_=Purpose.NOTIFICATION, actor=Actor.system())
        return self.request_code(plain, purpose, client_address, locale, for_user=user_id, own_number=True)

    def check_own_code(self, user_id: uuid.UUID, purpose: str, code: str) -> None:
        """Check a code that `request_own_code` sent (in its own transaction, as `check_code`)."""
        with self.c.uow() as s:
            failure = self.use_own_code(s, user_id, purpose, code)
        if failure:
            raise failure

    def use_own_code(self, s: Session, user_id: uuid.UUID, purpose: str, code: str) -> errors.AppError | None:
        """`check_own_code` in the caller's transaction, which must commit before raising the error returned, so a
        wrong guess stays counted."""
        user = s.get(User, user_id)
        if user is None or user.phone_bidx is None or purpose not in self.code_templates:
            return errors.code_invalid()
        return self._use_code(s, user.phone_bidx, purpose, values.code(code))

    def user_id_for_phone(self, raw_phone: str) -> uuid.UUID | None:
        phone = values.phone(raw_phone)
        with self.c.uow() as s:
            user = self._user_by_index(s, "phone", phone)
            return user.id if user is not None else None

    def user_id_for_login(self, login: str) -> uuid.UUID | None:
        """The account a login name names (a mobile number, user name or e-mail), for staff tools; None if none."""
        login = (login or "").strip()
        if not login or len(login) > 254:
            return None
        with self.c.uow() as s:
            if "@" in login:
                user = self._user_by_index(s, "email", login.lower())
            elif login.isdigit() or login.startswith("+"):
                try:
                    user = self._user_by_index(s, "phone", values.phone(login))
                except errors.AppError:
                    return None
            else:
                user = self._user_by_index(s, "username", login.lower())
            return user.id if user is not None else None

    def suspend(self, s: Session, user_id: uuid.UUID, now: dt.datetime) -> None:
        """Account cancellation takes effect at once (JD-5.2.2a): no login, no sessions, no processing; every consent is
        withdrawn (JD-6.4.3a), so nothing resting on one is processed even if the cancellation is taken back."""
        s.execute(update(User).where(User.id == user_id).values(status="cancelled", cancelled_at=now))
        self.c.consents.withdraw_all(s, user_id, how="account_closed")
        s.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)).values(revoked_at=now))

    def resume(self, s: Session, user_id: uuid.UUID) -> None:
        s.execute(update(User).where(User.id == user_id, User.status == "cancelled").values(status="active", cancelled_at=None))

    @staticmethod
    def is_erased(s: Session, user_id: uuid.UUID | None) -> bool:
        user = s.get(User, user_id) if user_id else None
        return user is None or user.status == "erased"

    def withdraw_wechat_profile(self, s: Session, user_id: uuid.UUID, now: dt.datetime) -> None:
        for link in s.scalars(select(WechatLink).where(WechatLink.user_id == user_id)):
            link.profile_authorised = False
            link.nickname = None
            link.avatar_url = None
        if self.c.consents.is_live(s, user_id, Agreement.WECHAT_PROFILE):
            self.c.consents.withdraw(s, user_id, Agreement.WECHAT_PROFILE, how="page", how_ref="rights: withdrawal request")

    def withdraw_email(self, s: Session, user_id: uuid.UUID, now: dt.datetime) -> None:
        user = s.get(User, user_id)
        user.email = None
        user.updated_at = now

    # -- WeChat ----------------------------------------------------------------------------------------
    def wechat_login(self, ident: WechatIdentity, kind: str = "web") -> LoginResult | None:
        """Log in the account bound to this WeChat identity, or None when it is not bound yet."""
        with self.c.uow() as s:
            link = s.scalar(select(WechatLink).where(self.c.finder.where(WechatLink.openid, ident.openid)))
            if link is None:
                return None
            user = s.get(User, link.user_id)
            self._ensure_usable(user, Role.CUSTOMER)
            self._store_wechat_profile(s, link, ident)
            token = self._new_session(s, user.id, kind)
        return LoginResult(user.id, token, False)

    def bind_wechat(self, user_id: uuid.UUID, ident: WechatIdentity, accept_policy: bool) -> None:
        """Bind a WeChat identity to an account, only once the user has accepted the policy (JD-1.3b)."""
        if not accept_policy:
            raise errors.policy_not_accepted()
        with self.c.uow() as s:
            if s.scalar(select(WechatLink.id).where(self.c.finder.where(WechatLink.openid, ident.openid))):
                raise errors.wechat_failed()
            link = WechatLink(id=uuid.uuid4(), user_id=user_id)
            link.openid = ident.openid
            link.unionid = ident.unionid
            self._store_wechat_profile(s, link, ident)
            s.add(link)
            self._record_policy_acceptance(s, user_id, "wechat")

    def _store_wechat_profile(self, s: Session, link: WechatLink, ident: WechatIdentity) -> None:
        # Nickname and avatar only with the user's authorisation this time; withdrawing it clears them.
        link.profile_authorised = ident.profile_authorised
        link.nickname = ident.nickname
        link.avatar_url = ident.avatar_url
        if ident.profile_authorised:  # WeChat's own prompt asked; the ledger keeps what it said (once per text)
            self.c.consents.record_grant(s, link.user_id, Agreement.WECHAT_PROFILE, WECHAT_PROFILE_NOTICE, how="wechat",
                                         how_ref="profile authorised")
