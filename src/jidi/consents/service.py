"""My consents and the proof of consent, over the privacy core's consent engine (jidi.privacy.consent).

Each topic a person decides on their own (marketing per channel, each separate consent) is listed with its state;
one not given comes with the exact text to show and a single-use offer token that the grant must post back (with the
text's hash), so a forged, replayed or stale post records nothing. The privacy officer (and `jidi consent proof`)
replays the exact text, version, way and time of a consent; each such look-up is audited.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from jidi import errors
from jidi.i18n import N_, gettext_for
from jidi.privacy import CONSENTABLE, Actor, Notice, Purpose, Role, Separate, Topic
from jidi.privacy.consent import Event, Offer, Proof, topic_of, unknown_topic

# The version of the texts below: a changed text gets a new version (and a new hash in the ledger anyway).
NOTICE_VERSION = "2026-12-06"

# What a person is told, in their language, when asked for each consent: the purpose, the data, how to withdraw.
TEXTS: dict[Topic, str] = {
    Purpose.MARKETING_SMS: N_("We may send you offers and news about our services by SMS to your mobile number. You can "
                              "withdraw at any time on this page or by replying N, BP or BR to such a message; service "
                              "messages (verification codes, parcel updates) are not affected."),
    Purpose.MARKETING_IN_APP: N_("We may show you offers and news about our services as in-app messages. You can withdraw "
                                 "at any time on this page."),
    Purpose.MARKETING_PUSH: N_("We may send you offers and news about our services as push notifications. You can withdraw "
                               "at any time on this page."),
    Purpose.MARKETING_CALL: N_("We may phone your mobile number about offers and news about our services. You can withdraw "
                               "at any time on this page or during such a call."),
    Purpose.MARKETING_EMAIL: N_("We may send you offers and news about our services by e-mail to your e-mail address. You "
                                "can withdraw at any time on this page or through the link in such an e-mail."),
    Separate.SENSITIVE_ID_NUMBER: N_("Separate consent to sensitive personal information: we process your ID document number "
                                     "only where a law requires real-name checks (e.g. sending a parcel). Refusing means only "
                                     "those services are unavailable. You can withdraw at any time."),
    Separate.SENSITIVE_BANK_CARD: N_("Separate consent to sensitive personal information: we process your bank card details "
                                     "only to take and refund payments you make. You can withdraw at any time; card payment "
                                     "is then unavailable."),
    Separate.SENSITIVE_LOCATION: N_("Separate consent to sensitive personal information: we use your precise location only "
                                    "to fill in an address and to find couriers near you, when you ask. You can withdraw "
                                    "at any time."),
    Separate.SENSITIVE_MINOR: N_("Separate consent of a guardian: we process the personal information of a child under 14 "
                                 "only with the consent of the child's guardian, for the services the child uses. The "
                                 "guardian can withdraw at any time."),
    Separate.THIRD_PARTY: N_("Separate consent to giving your personal information to another processor, named with its "
                             "contact, purpose, means and the data concerned before anything is given. You can withdraw at "
                             "any time."),
    Separate.PUBLIC_DISCLOSURE: N_("Separate consent to making your personal information public. We do not disclose "
                                   "personal information publicly without it. You can withdraw at any time."),
    Separate.CROSS_BORDER: N_("Separate consent to transferring your personal information outside mainland China, to a "
                              "recipient named with its contact, purpose and the data concerned, after a security review. "
                              "Your data stays in mainland China without it. You can withdraw at any time."),
}


@dataclasses.dataclass(frozen=True)
class Choice:
    """One topic on the person's consents page."""

    topic: Topic
    separate: bool
    live: bool
    last: Event | None
    text: str            # the exact text shown (to be agreed to, or the one agreed to)
    offer: Offer | None  # for a topic not given: the single-use token its grant must post back


def topic_choice(value: str) -> Topic:
    """A topic a person decides on their own page: marketing per channel, a separate consent."""
    try:
        topic = topic_of(value)
    except ValueError:
        raise unknown_topic() from None
    if topic not in CONSENTABLE:
        raise unknown_topic()
    return topic


class ConsentCenter:
    def __init__(self, container):
        self.c = container

    def notice(self, topic: Topic, locale: str) -> Notice:
        if topic not in TEXTS:
            raise unknown_topic()
        return Notice(NOTICE_VERSION, gettext_for(locale)(TEXTS[topic]))

    def mine(self, user_id: uuid.UUID, locale: str) -> list[Choice]:
        out = []
        with self.c.uow() as s:
            states = self.c.consents.states(s, user_id)
            for topic in CONSENTABLE:
                last = states[topic]
                live = last is not None and last.live
                notice = self.notice(topic, locale)
                offer = None if live else self.c.consents.offer(s, user_id, topic, notice)
                text = notice.text
                if live and last is not None and last.sha256:
                    text = self.c.consents.text(s, last.sha256) or text
                out.append(Choice(topic, isinstance(topic, Separate), live, last, text, offer))
        return out

    def offer(self, user_id: uuid.UUID, topic_value: str, locale: str) -> tuple[Offer, str]:
        """A fresh offer for one topic (the API asks one at a time: consents are never bundled)."""
        topic = topic_choice(topic_value)
        notice = self.notice(topic, locale)
        with self.c.uow() as s:
            return self.c.consents.offer(s, user_id, topic, notice), notice.text

    def give(self, user_id: uuid.UUID, topic_value: str, token: str, sha256: str, *, how: str, how_ref: str = "") -> Event:
        topic = topic_choice(topic_value)
        with self.c.uow() as s:
            return self.c.consents.grant(s, user_id, topic, token=token, sha256=sha256, how=how, how_ref=how_ref)

    def withdraw(self, user_id: uuid.UUID, topic_value: str, *, how: str, how_ref: str = "") -> Event:
        topic = topic_choice(topic_value)
        with self.c.uow() as s:
            return self.c.consents.withdraw(s, user_id, topic, how=how, how_ref=how_ref)

    def history(self, user_id: uuid.UUID) -> list[Event]:
        with self.c.uow() as s:
            return self.c.consents.history(s, user_id)

    # -- proof of consent --------------------------------------------------------------------------------------
    def account_for(self, who: str) -> uuid.UUID:
        """An account id, or the account a login name (mobile number, user name, e-mail) names."""
        who = (who or "").strip()
        try:
            return uuid.UUID(who)
        except ValueError:
            pass
        found = self.c.accounts.user_id_for_login(who)
        if found is None:
            raise errors.not_found()
        return found

    def proof(self, actor: Actor, who: str, topic_value: str) -> tuple[uuid.UUID, Proof | None]:
        """The proof of one person's consent to one topic, for the privacy officer (or the system: the command line).
        Audited, as a look-up of the person's records."""
        if actor.user_id is not None and actor.role is not Role.PRIVACY_OFFICER:
            raise errors.forbidden()
        try:
            topic = topic_of((topic_value or "").strip())
        except ValueError:
            raise unknown_topic() from None
        user_id = self.account_for(who)
        with self.c.uow() as s:
            proof = self.c.consents.proof(s, user_id, topic)
            self.c.audit.record(s, actor=actor, action="consent_proof", subject_id=user_id, purpose=Purpose.RIGHTS_REQUEST.value,
                                detail=topic.value, basis="legal_obligation")
        return user_id, proof


def when(at: dt.datetime) -> str:
    """China time, as every date a person sees."""
    return at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
