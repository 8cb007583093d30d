"""The SMS a held parcel sends: the pickup code to the recipient and to the family numbers the recipient authorised,
the reminders, and the notice of the return. Service messages about a parcel (not marketing). They join the notifier's
templates through the feature's declaration (Feature.sms)."""
from __future__ import annotations

from jidi.i18n import N_
from jidi.kit.feature import SmsTemplate

_TEXTS = {
    "pickup_code": N_("[jidi] Parcel {waybill_no} is waiting for you at {point} ({address}), open {hours}. Pickup code "
                      "{code}. Please collect it by {due}; after that it goes back to the sender."),
    "pickup_code_family": N_("[jidi] A parcel for your family member ({waybill_no}) is waiting at {point} ({address}). "
                             "Pickup code {code}, until {due}. You receive it because they made you a family number in jidi."),
    "pickup_reminder": N_("[jidi] Reminder: parcel {waybill_no} is still waiting at {point}. Pickup code {code}. Please "
                          "collect it by {due}."),
    "pickup_returned": N_("[jidi] Parcel {waybill_no} was not collected from {point} in time and is going back to the sender."),
}

SMS = tuple(SmsTemplate(name, text) for name, text in _TEXTS.items())
