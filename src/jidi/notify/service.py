"""Queue an SMS in the caller's transaction (its text one of the templates the features declare, `Feature.sms`); an event (jidi.events) has it delivered once the transaction commits,
retried until the provider takes it."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from jidi.db import utcnow
from jidi.events import Event, handles
from jidi.i18n import gettext_for
from jidi.notify.models import SmsMessage
from jidi.notify.providers import SMS_GATEWAY
from jidi import privacy
from jidi.privacy import Actor, Personal, Purpose, SubjectShredded

def templates(features) -> dict[str, str]:
    """Every SMS template the features declare (`Feature.sms`), by name: name -> English gettext id."""
    found: dict[str, str] = {}
    for feature in features:
        for t in feature.sms:
            if t.name in found:
                raise ValueError(f"SMS template {t.name!r} is declared twice (feature {feature.name!r})")
            found[t.name] = t.text
    return found


class Notifier:
    def __init__(self, container):
        self.c = container
        self.templates = templates(container.features)

    def queue_sms(self, session: Session, *, subject_id: uuid.UUID | None, phone: str | Personal, template: str, locale: str,
                  **params) -> uuid.UUID:
        """Queue a message to `phone` about `subject_id` (None: a number with no account, its own one-off subject).
        `template` names one a feature declares (`Feature.sms`)."""
        text = gettext_for(locale)(self.templates[template]).format(**params)
        msg = SmsMessage(id=uuid.uuid4(), subject_id=subject_id, template=template, phone=phone, body=text)
        session.add(msg)
        self.c.events.record(session, "sms.queued", message_id=str(msg.id))
        return msg.id

    def deliver(self, session: Session, message_id: str) -> None:
        """Open the number and text for the SMS provider (recorded in the share register), hand them over, mark
        sent. A message already sent, or erased since, is not sent again."""
        msg = session.get(SmsMessage, uuid.UUID(message_id))
        if msg is None or msg.status == "sent":
            return
        phone, text = self.c.shares.disclose(
            session, SMS_GATEWAY, [msg.phone, msg.body],
            reference=message_id, now=self.c.clock())
        self.c.sms.deliver(phone, text, message_id)
        msg.status, msg.sent_at = "sent", utcnow()

    def outbox(self, session: Session, limit: int = 50) -> list[dict]:
        """The development outbox: newest first, number masked, text opened for display on a fake phone."""
        rows = session.scalars(select(SmsMessage).order_by(SmsMessage.created_at.desc()).limit(limit)).all()
        out = []
        for m in rows:
            try:
                phone, text = m.phone, privacy.open(m.body, for_=Purpose.NOTIFICATION, actor=Actor.system())
            except SubjectShredded:  # its person was erased: the message can no longer be read
                phone = text = None
            out.append({"id": str(m.id), "phone": phone, "text": text, "erased": phone is None, "status": m.status,
                        "created_at": m.created_at})
        return out


@handles("sms.queued", "notify.deliver_sms")
def _deliver_queued(container, session: Session, event: Event) -> None:
    container.notifier.deliver(session, event.payload["message_id"])
