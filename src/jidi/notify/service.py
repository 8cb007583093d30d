"""Queue an SMS in the caller's transaction; an event (jidi.events) has it delivered once the transaction commits,
retried until the provider takes it."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from jidi.db import utcnow
from jidi.events import Event, handles
from jidi.i18n import N_, gettext_for
from jidi.notify.models import SmsMessage
from jidi.notify.providers import SMS_GATEWAY
from jidi import privacy
from jidi.privacy import Actor, Personal, Purpose, SubjectShredded

TEMPLATES = {
    "login_code": N_("[jidi] Your verification code is {code}. It expires in 5 minutes. Never tell it to anyone."),
    "change_phone_code": N_("[jidi] Your code to bind this number to your account is {code}. It expires in 5 minutes."),
    "lookup_code": N_("[jidi] Your code to view a parcel's details is {code}. It expires in 5 minutes. Never tell it to anyone."),
    "rights_code": N_("[jidi] Your code to confirm a request about your personal data is {code}. It expires in 5 minutes. Never tell it to anyone."),
    "family_code": N_("[jidi] Your code is {code}. Giving it to someone lets them see parcels sent to this number and collect them for you "
                      "(family number). Give it only to a relative you trust. You can end this at any time in jidi. It expires in 5 minutes."),
    "guardian_code": N_("[jidi] Your code as a parent or guardian is {code}. Entering it confirms your consent to, or withdrawal of "
                        "consent from, a child's jidi account. Read the privacy policy first. It expires in 5 minutes."),
    "rights_due_changed": N_("[jidi] The official holidays of {year} are published: your request about your personal data will be "
                             "answered by {date}. See My requests in jidi."),
    "phone_changed": N_("[jidi] The mobile number of your account was changed. If this was not you, contact customer service."),
    # A material change of the privacy policy (jidi.policy, JD-9.2): a service message every customer gets.
    "policy_changed": N_("[jidi] Our privacy policy has an important change, effective {date}. Read what changed: {url}"),
    # The confirmation of an opt-out by SMS reply (JD-6.4.2(1), A7): a service message, sent whatever marketing consent says.
    "marketing_opted_out": N_("[jidi] You will no longer receive marketing SMS. Service messages about your parcels are not affected."),
    # Route updates to a parcel's sender and recipient (jidi.tracking): service messages, not marketing.
    "route_picked_up": N_("[jidi] Parcel {waybill_no} has been picked up. Track it with its waybill number on jidi."),
    "route_out_for_delivery": N_("[jidi] Parcel {waybill_no} is out for delivery."),
    "route_delivered": N_("[jidi] Parcel {waybill_no} has been delivered."),
    "route_exception": N_("[jidi] There is a problem with parcel {waybill_no}: {reason}. Track it with its waybill number on jidi."),
}


class Notifier:
    def __init__(self, container):
        self.c = container

    @staticmethod
    def add_templates(templates: dict[str, str]) -> None:
        """Templates of another feature's service messages (English msgids, N_), under names of its own."""
        for name, text in templates.items():
            if TEMPLATES.setdefault(name, text) != text:
                raise ValueError(f"SMS template {name!r} is defined twice")

    def queue_sms(self, session: Session, *, subject_id: uuid.UUID | None, phone: str | Personal, template: str, locale: str,
                  **params) -> uuid.UUID:
        """Queue a message to `phone` about `subject_id` (None: a number with no account, its own one-off subject)."""
        text = gettext_for(locale)(TEMPLATES[template]).format(**params)
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
