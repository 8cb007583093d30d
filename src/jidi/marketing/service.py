"""Marketing use cases: consent per channel (in the consent ledger, jidi.privacy.consent), opt-out by page, by a
customer-service agent and by SMS reply, do-not-disturb hours, and operators' campaigns sent in batches by jobs.

**No automated decisions about users (JD-1.1.3b).** A campaign's audience is a segment an operator chose by
non-personal attributes (the province of the default sender address, having shipped in the last N days); nothing
scores, ranks or profiles a person, and nothing a user gets (prices, service, what they may do) depends on marketing.

**Consent is checked when a message is handed over**, in the job that sends it (`send_batch`): a delivery queued
while the consent was live and withdrawn since is dropped (`no_consent`), never sent. Queueing also skips those
without a live consent, so no delivery row is made about a person who did not agree.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from typing import cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jidi import errors
from jidi.db import after_commit
from jidi.errors import AppError
from jidi.i18n import N_
from jidi.marketing import senders as senders_mod
from jidi.marketing.channels import CHINA, Channel, channel, is_opt_out, leaves_hours_open, quiet_until, with_opt_out
from jidi.marketing.models import Campaign, Delivery, InboxMessage, PushDevice, QuietHours, SmsReply
from jidi.privacy import Actor, Notice, Purpose, Role, Topic

log = logging.getLogger("jidi.marketing")

BATCH = 1000          # deliveries per sending job
NOTICE_VERSION = "marketing-2026-12"
CAMPAIGN_ROLES = frozenset({Role.ADMIN})                       # who may write and send campaigns
OPT_OUT_ROLES = frozenset({Role.SUPPORT_AGENT, Role.ADMIN})    # who records an opt-out a customer asked for by phone
DEFERRED_RETRY = dt.timedelta(minutes=5)
DELIVERIES = cast(Table, Delivery.__table__)  # inserted in bulk through Core: a campaign queues hundreds of thousands

# The consent text shown on the settings page, per channel (its hash is kept in the ledger; the proof replays it).
_NOTICE = {
    "zh_CN": "我同意 jidi 通过{channel}向我发送优惠券、促销等营销信息。我可以随时在“营销消息”设置中关闭，也可以致电客服或回复营销短信“N”退订；"
             "关闭不影响快件路由、支付状态等服务通知。",
    "en": "I agree that jidi may send me coupons, promotions and other marketing by {channel}. I can turn this off at any time in "
          "the marketing settings, by calling customer service or by replying N to a marketing SMS; turning it off does not "
          "affect service messages such as parcel-route and payment notices.",
}
_CHANNEL_WORDS = {
    "zh_CN": {Channel.SMS: "短信", Channel.IN_APP: "站内信", Channel.PUSH: "推送通知", Channel.CALL: "电话", Channel.EMAIL: "电子邮件"},
    "en": {Channel.SMS: "SMS", Channel.IN_APP: "in-app message", Channel.PUSH: "push notification", Channel.CALL: "phone call",
           Channel.EMAIL: "e-mail"},
}


def _lang(locale: str) -> str:
    return "en" if locale.startswith("en") else "zh_CN"


def notice(ch: Channel, locale: str) -> Notice:
    lang = _lang(locale)
    return Notice(NOTICE_VERSION, _NOTICE[lang].format(channel=_CHANNEL_WORDS[lang][ch]))


_KNOWN_TEXTS = {notice(ch, lang).sha256: lang for ch in Channel for lang in _NOTICE}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def campaign_text(camp: Campaign, ch: Channel, lang: str) -> str:
    """What one person gets: the campaign's text in their language; an SMS ends with the opt-out instruction in it."""
    text = camp.text_en if lang == "en" else camp.text_zh
    return with_opt_out(text, lang) if ch is Channel.SMS else text


# -- errors -----------------------------------------------------------------------------------------------------
def unknown_channel() -> AppError:
    return AppError("invalid_field", N_("Please check the field: {field}."), 422, field=N_("channel"))


def bad_quiet_hours() -> AppError:
    return AppError("invalid_quiet_hours", N_("Do-not-disturb hours are whole hours from 0 to 23, and must leave some hours of the day open."), 422)


def bad_campaign(field: str) -> AppError:
    return AppError("invalid_field", N_("Please check the field: {field}."), 422, field=field)


def campaign_sent() -> AppError:
    return AppError("campaign_already_sent", N_("This campaign has already been sent."), 409)


def invalid_callback() -> AppError:
    return AppError("invalid_signature", N_("The callback's signature does not check."), 403)


@dataclasses.dataclass(frozen=True)
class ChannelState:
    channel: Channel
    live: bool
    since: dt.datetime | None
    how: str | None
    notice: str
    token: str | None  # the offer to post back to turn it on (None while it is on)


@dataclasses.dataclass(frozen=True)
class Segment:
    province: str | None
    shipped_within_days: int | None


@dataclasses.dataclass(frozen=True)
class Preview:
    audience: int                 # accounts in the segment
    reachable: dict[Channel, int]  # of them, with a live consent on each channel now
    sms: dict[str, str]           # the SMS text per language, with the opt-out instruction


@dataclasses.dataclass(frozen=True)
class SendReport:
    sent: int = 0
    no_consent: int = 0
    deferred: int = 0
    gone: int = 0


class Marketing:
    def __init__(self, container):
        self.c = container
        self._senders: dict[Channel, senders_mod.Sender] | None = None
        self.gateways = senders_mod.gateways(container)

    @property
    def senders(self) -> Mapping[Channel, senders_mod.Sender]:
        if self._senders is None:
            self._senders = senders_mod.build(self.c, self.gateways)  # built on first use: the accounts' service is there
        return self._senders

    @senders.setter
    def senders(self, value) -> None:  # a benchmark or a test hands in its own
        self._senders = value

    # -- the language a person reads marketing in ------------------------------------------------------------
    def languages(self, s: Session, user_ids, ch: Channel) -> dict[uuid.UUID, str]:
        """Those among `user_ids` with a live consent on `ch`, each with the language of the text they agreed to (the
        settings page shows it in the page's language): marketing reaches them in it. A consent whose text is not
        known (imported from before the ledger) is answered in the deployment's default language."""
        default = _lang(self.c.settings.default_locale)
        out: dict[uuid.UUID, str] = {}
        seen: dict[str, str] = {}
        for uid, digest in self.c.consents.live_texts(s, user_ids, ch.purpose).items():
            if digest is None:
                out[uid] = default
                continue
            if digest not in seen:
                if digest in _KNOWN_TEXTS:
                    seen[digest] = _KNOWN_TEXTS[digest]
                else:  # a text of an earlier notice version: its language is the one it is written in
                    body = self.c.consents.text(s, digest)
                    seen[digest] = default if body is None else ("zh_CN" if _has_chinese(body) else "en")
            out[uid] = seen[digest]
        return out

    # -- consent per channel -------------------------------------------------------------------------------
    def states(self, user_id: uuid.UUID, locale: str) -> list[ChannelState]:
        with self.c.uow() as s:
            found = self.c.consents.states(s, user_id)
            out = []
            for ch in Channel:
                ev = found.get(ch.purpose)
                live = ev is not None and ev.live
                text = notice(ch, locale)
                token = None if live else self.c.consents.offer(s, user_id, ch.purpose, text).token
                out.append(ChannelState(ch, live, ev.at if ev else None, ev.how if ev else None, text.text, token))
            return out

    def grant(self, user_id: uuid.UUID, raw_channel: str, token: str) -> None:
        ch = channel(raw_channel) or _raise(unknown_channel())
        with self.c.uow() as s:
            self.c.consents.grant(s, user_id, ch.purpose, token=token, how="page", how_ref="/settings/marketing")

    def withdraw(self, user_id: uuid.UUID, raw_channel: str) -> None:
        ch = channel(raw_channel) or _raise(unknown_channel())
        with self.c.uow() as s:
            self.c.consents.withdraw(s, user_id, ch.purpose, how="page", how_ref="/settings/marketing")

    def agent_opt_out(self, agent: Actor, raw_phone: str, raw_channel: str) -> bool:
        """A customer asked by phone (JD-6.4.2(2)): the agent records the opt-out of one channel; the ledger names the
        agent by pseudonym and the audit log records the action. False if it was already off."""
        if agent.role not in OPT_OUT_ROLES:
            raise errors.forbidden()
        ch = channel(raw_channel) or _raise(unknown_channel())
        user_id = self.c.accounts.user_id_for_phone(raw_phone)  # an invalid number: the accounts' own clear error
        if user_id is None:
            raise errors.not_found()
        with self.c.uow() as s:
            if not self.c.consents.is_live(s, user_id, ch.purpose):
                return False
            self.c.consents.withdraw(s, user_id, ch.purpose, how="agent", how_ref=self.c.consents.pseudonym(agent.user_id))
            self.c.audit.record(s, actor=agent, action="marketing_opt_out", subject_id=user_id,
                                purpose=Purpose.CUSTOMER_SERVICE.value, detail=f"channel {ch.value}, asked by phone")
        return True

    # -- do-not-disturb hours ----------------------------------------------------------------------------------
    def quiet_hours(self, user_id: uuid.UUID) -> tuple[int, int] | None:
        with self.c.uow() as s:
            row = s.get(QuietHours, user_id)
            return (row.start_hour, row.end_hour) if row else None

    def set_quiet_hours(self, user_id: uuid.UUID, start: str | int | None, end: str | int | None) -> None:
        """Own quiet hours (China time), or none when both are empty."""
        with self.c.uow() as s:
            if start in (None, "") and end in (None, ""):
                s.execute(delete(QuietHours).where(QuietHours.user_id == user_id))
                return
            try:
                a, b = int(start), int(end)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise bad_quiet_hours() from None
            if not (0 <= a <= 23 and 0 <= b <= 23) or a == b or not leaves_hours_open((a, b)):
                raise bad_quiet_hours()
            row = s.get(QuietHours, user_id) or QuietHours(user_id=user_id)
            row.start_hour, row.end_hour, row.updated_at = a, b, self.c.clock()
            s.add(row)

    # -- push devices (simulated tokens) -----------------------------------------------------------------------
    def register_device(self, user_id: uuid.UUID) -> None:
        with self.c.uow() as s:
            s.add(PushDevice(id=uuid.uuid4(), user_id=user_id, token=senders_mod.new_push_token(), created_at=self.c.clock()))

    def devices(self, user_id: uuid.UUID) -> int:
        with self.c.uow() as s:
            return len(s.scalars(select(PushDevice.id).where(PushDevice.user_id == user_id)).all())

    def remove_devices(self, user_id: uuid.UUID) -> None:
        with self.c.uow() as s:
            s.execute(delete(PushDevice).where(PushDevice.user_id == user_id))

    # -- in-app messages --------------------------------------------------------------------------------------
    def inbox(self, user_id: uuid.UUID, locale: str) -> list[dict]:
        with self.c.uow() as s:
            rows = s.execute(select(InboxMessage, Campaign).join(Campaign, Campaign.id == InboxMessage.campaign_id)
                             .where(InboxMessage.user_id == user_id).order_by(InboxMessage.created_at.desc()).limit(50)).all()
            return [{"at": m.created_at, "text": c.text_en if _lang(locale) == "en" else c.text_zh} for m, c in rows]

    # -- replies to marketing SMS (JD-6.4.2(1), A7) -----------------------------------------------------------------
    def sms_reply(self, headers: Mapping[str, str], body: bytes) -> str:
        """An inbound-SMS callback from the gateway. Its signature must check; each gateway message is handled once.
        "N", "BP", "BR" (and 退订, TD) in any width, case or spacing stop marketing SMS to the sender's account and
        are confirmed by a service SMS. Returns the outcome; a sender with no account is ignored (logged, no number)."""
        try:
            msg = self.c.sms.inbound.parse(headers, body, self.c.clock())
        except ValueError as exc:  # the provider interface's InvalidCallback
            log.warning("inbound SMS callback refused: %s", exc)
            raise invalid_callback() from None
        with self.c.uow() as s:
            done = s.get(SmsReply, msg.message_id)
            if done is not None:
                return done.outcome
        try:
            user_id = self.c.accounts.user_id_for_phone(msg.sender)
        except AppError:
            user_id = None
        with self.c.uow() as s:
            if user_id is None:
                outcome = "unknown_sender"
                log.info("inbound SMS from a number with no account: ignored")
            elif not is_opt_out(msg.text):
                outcome = "not_opt_out"
            elif (lang := self.languages(s, [user_id], Channel.SMS).get(user_id)) is None:
                outcome = "not_live"
            else:
                self.c.consents.withdraw(s, user_id, Purpose.MARKETING_SMS, how="sms_reply", how_ref=msg.message_id[:80])
                # Confirmed in the language the person agreed to marketing SMS in.
                self.c.notifier.queue_sms(s, subject_id=user_id, phone=self.c.accounts.phone(s, user_id),
                                          template="marketing_opted_out", locale=lang)
                outcome = "opted_out"
            try:
                with s.begin_nested():
                    s.add(SmsReply(message_id=msg.message_id, outcome=outcome, received_at=self.c.clock()))
            except IntegrityError:  # the same message handled at the same moment by another process
                pass
        return outcome

    def simulate_reply(self, sender: str, text: str) -> str:
        """The embedded default's carrier: a reply typed on a phone arrives as a signed gateway callback."""
        headers, body = self.c.sms.carrier.reply(sender, text, self.c.clock())
        return self.sms_reply(headers, body)

    # -- campaigns -------------------------------------------------------------------------------------------------
    @staticmethod
    def _check_actor(actor: Actor) -> None:
        if actor.role not in CAMPAIGN_ROLES:
            raise errors.forbidden()

    @staticmethod
    def segment(province: str | None, shipped_within_days: str | int | None) -> Segment:
        from jidi import regions  # noqa: PLC0415

        p = (province or "").strip() or None
        if p is not None and p not in {r.code[:2] for r in regions.provinces()}:
            raise bad_campaign(N_("province"))
        days = None
        if shipped_within_days not in (None, ""):
            try:
                days = int(shipped_within_days)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise bad_campaign(N_("shipped in the last N days")) from None
            if not 1 <= days <= 3650:
                raise bad_campaign(N_("shipped in the last N days"))
        return Segment(p, days)

    def audience(self, s: Session, seg: Segment) -> list[uuid.UUID]:
        """The accounts in a segment: active customers, filtered by the non-personal attributes chosen. No scoring."""
        ids = self.c.accounts.customer_ids(s)
        if seg.province:
            keep = self.c.addressbook.owners_with_default_in(s, seg.province)
            ids = [i for i in ids if i in keep]
        if seg.shipped_within_days:
            keep = self.c.shipping.owners_shipped_since(s, self.c.clock() - dt.timedelta(days=seg.shipped_within_days))
            ids = [i for i in ids if i in keep]
        return ids

    @staticmethod
    def _channels(raw: list[str]) -> list[Channel]:
        chosen = [channel(r) for r in raw]
        if not chosen or any(c is None for c in chosen):
            raise bad_campaign(N_("channels"))
        return sorted(set(chosen), key=list(Channel).index)  # type: ignore[arg-type]

    @staticmethod
    def _texts(text_zh: str, text_en: str) -> tuple[str, str]:
        zh, en = (text_zh or "").strip(), (text_en or "").strip()
        if not zh or len(zh) > 300:
            raise bad_campaign(N_("text (Chinese)"))
        if not en or len(en) > 600:
            raise bad_campaign(N_("text (English)"))
        return zh, en

    def preview(self, actor: Actor, seg: Segment, raw_channels: list[str], text_zh: str, text_en: str) -> Preview:
        self._check_actor(actor)
        chans, (zh, en) = self._channels(raw_channels), self._texts(text_zh, text_en)
        with self.c.uow() as s:
            ids = self.audience(s, seg)
            reach = {ch: len(self.c.consents.live_among(s, ids, ch.purpose)) for ch in chans}
        return Preview(len(ids), reach, {"zh_CN": with_opt_out(zh, "zh_CN"), "en": with_opt_out(en, "en")})

    def create(self, actor: Actor, name: str, seg: Segment, raw_channels: list[str], text_zh: str, text_en: str) -> uuid.UUID:
        self._check_actor(actor)
        chans, (zh, en) = self._channels(raw_channels), self._texts(text_zh, text_en)
        name = (name or "").strip()
        if not name or len(name) > 80:
            raise bad_campaign(N_("name"))
        with self.c.uow() as s:
            camp = Campaign(id=uuid.uuid4(), name=name, text_zh=zh, text_en=en, channels=",".join(c.value for c in chans),
                            province=seg.province, shipped_within_days=seg.shipped_within_days, status="draft",
                            created_by=actor.user_id, created_at=self.c.clock())
            s.add(camp)
            return camp.id

    def campaigns(self) -> list[Campaign]:
        with self.c.uow() as s:
            rows = s.scalars(select(Campaign).order_by(Campaign.created_at.desc()).limit(50)).all()
            s.expunge_all()
            return list(rows)

    def counts(self, campaign_id: uuid.UUID) -> dict[str, int]:
        from sqlalchemy import func  # noqa: PLC0415

        with self.c.uow() as s:
            return dict(s.execute(select(Delivery.status, func.count()).where(Delivery.campaign_id == campaign_id)
                                  .group_by(Delivery.status)).all())

    def queue(self, actor: Actor, campaign_id: uuid.UUID | str) -> int:
        """Queue a campaign: one delivery per account of the segment and channel with a live consent now, in batches of
        BATCH, each sent by a job queued once this transaction commits. Returns the deliveries queued."""
        self._check_actor(actor)
        cid = errors.id_or_not_found(campaign_id)
        with self.c.uow() as s:
            camp = s.get(Campaign, cid, with_for_update=True)
            if camp is None:
                raise errors.not_found()
            if camp.status != "draft":
                raise campaign_sent()
            ids = self.audience(s, Segment(camp.province, camp.shipped_within_days))
            now, batch, in_batch, total, rows = self.c.clock(), 0, 0, 0, []
            for ch in (Channel(v) for v in camp.channels.split(",")):
                for start in range(0, len(ids), BATCH):
                    live = self.c.consents.live_among(s, ids[start:start + BATCH], ch.purpose)
                    for uid in ids[start:start + BATCH]:
                        if uid in live:
                            rows.append({"id": uuid.uuid4(), "campaign_id": cid, "user_id": uid, "channel": ch.value,
                                         "batch": batch, "status": "queued", "created_at": now})
                            in_batch += 1
                            if in_batch == BATCH:
                                batch, in_batch = batch + 1, 0
                    if len(rows) >= 5000:
                        s.execute(insert(DELIVERIES), rows)
                        total, rows = total + len(rows), []
            if rows:
                s.execute(insert(DELIVERIES), rows)
                total += len(rows)
            batches = batch + (1 if in_batch else 0)
            camp.status, camp.queued_at, camp.audience = "queued", now, total
            self.c.audit.record(s, actor=actor, action="marketing_campaign_sent", subject_id=None,
                                detail=f"campaign {cid}: {total} messages in {batches} batches")
            after_commit(s, lambda: self._ask_send(cid, batches))
        return total

    def _ask_send(self, cid: uuid.UUID, batches: int) -> None:
        for b in range(batches):
            self.c.tasks.marketing_send_batch(str(cid), b)

    # -- sending (the jobs) -------------------------------------------------------------------------------------------
    def send_batch(self, campaign_id: str, batch: int, *, due: bool = False) -> SendReport:
        """Send one batch: the consent of each account on each channel is checked now, at hand-over; quiet hours defer.
        The batch's job takes its queued deliveries; the periodic job (`due`) its deferred ones whose time has come, so
        the two never take the same rows (rows are also locked, SKIP LOCKED, where the database can)."""
        cid = uuid.UUID(campaign_id)
        now = self.c.clock()
        outcome: dict[tuple[str, dt.datetime | None], list[uuid.UUID]] = {}  # (status, not_before) -> delivery ids
        with self.c.uow() as s:
            camp = s.get(Campaign, cid)
            if camp is None:
                return SendReport()
            D = Delivery
            rows = s.execute(select(D.id, D.user_id, D.channel).where(
                D.campaign_id == cid, D.batch == batch,
                ((D.status == "deferred") & (D.not_before <= now)) if due else (D.status == "queued"),
            ).with_for_update(skip_locked=True)).all()
            by_channel: dict[Channel, list] = {}
            for row in rows:
                by_channel.setdefault(Channel(row.channel), []).append(row)
            quiet = dict(((q.user_id, (q.start_hour, q.end_hour)) for q in s.scalars(
                select(QuietHours).where(QuietHours.user_id.in_({r.user_id for r in rows}))))) if rows else {}
            for ch, group in by_channel.items():
                # The consent as it is now, at hand-over: whatever it was when the campaign was queued; and the
                # language the person agreed in, which the message is sent in.
                live = self.languages(s, {r.user_id for r in group}, ch)
                texts = {lang: campaign_text(camp, ch, lang) for lang in ("zh_CN", "en")}
                sender = self.senders[ch]
                for r in group:
                    if r.user_id not in live:
                        outcome.setdefault(("no_consent", None), []).append(r.id)
                        continue
                    wait = quiet_until(now, quiet.get(r.user_id))
                    if wait is not None:
                        outcome.setdefault(("deferred", wait), []).append(r.id)
                        continue
                    try:  # (a gateway that fails after the share was recorded leaves the record: the register errs on the safe side)
                        ok = sender.send(s, r.user_id, cid, texts[live[r.user_id]], str(r.id), now)
                    except Exception as exc:  # noqa: BLE001  a gateway that failed: tried again later, the rest go on
                        log.warning("marketing %s delivery failed (%s): retried later", ch.value, type(exc).__name__)
                        outcome.setdefault(("deferred", now + DEFERRED_RETRY), []).append(r.id)
                        continue
                    outcome.setdefault(("sent" if ok else "gone", None), []).append(r.id)
            for (status, not_before), ids in outcome.items():
                for start in range(0, len(ids), BATCH):
                    s.execute(update(D).where(D.id.in_(ids[start:start + BATCH])).values(
                        status=status, not_before=not_before, sent_at=now if status == "sent" else None)
                        .execution_options(synchronize_session=False))
        n = {status: len(ids) for (status, _), ids in outcome.items() if status != "deferred"}
        return SendReport(n.get("sent", 0), n.get("no_consent", 0),
                          sum(len(ids) for (status, _), ids in outcome.items() if status == "deferred"), n.get("gone", 0))

    def send_due(self) -> int:
        """The periodic job: batches holding deferred deliveries whose time has come."""
        now = self.c.clock()
        with self.c.uow() as s:
            due = s.execute(select(Delivery.campaign_id, Delivery.batch).where(
                Delivery.status == "deferred", Delivery.not_before <= now).distinct()).all()
        for cid, batch in due:
            self.send_batch(str(cid), batch, due=True)
        return len(due)

    # -- withdrawal (the consent engine calls it, in the withdrawal's transaction) ---------------------------------------
    def withdrawn(self, s: Session, subject_id: uuid.UUID, topic: Topic) -> None:
        """Stop at once: nothing still waiting for that channel goes out; a withdrawn push consent removes the devices'
        tokens. Messages already sent stay as they were (JD-6.4.3b)."""
        ch = next((c for c in Channel if c.purpose is topic), None)
        if ch is None:
            return
        s.execute(update(Delivery).where(Delivery.user_id == subject_id, Delivery.channel == ch.value,
                                         Delivery.status.in_(("queued", "deferred"))).values(status="no_consent"))
        if ch is Channel.PUSH:
            s.execute(delete(PushDevice).where(PushDevice.user_id == subject_id))


def on_withdrawal(container, session: Session, subject_id: uuid.UUID, topic: Topic) -> None:
    container.marketing.withdrawn(session, subject_id, topic)


def china_time(value: dt.datetime) -> dt.datetime:
    return value.astimezone(CHINA)


def _raise(err: AppError):
    raise err
