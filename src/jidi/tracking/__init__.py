"""Tracking: route events from scanners and partner systems, the public masked lookup, route SMS."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, SmsTemplate

feature = Feature(
    "tracking",
    title=("物流跟踪", "Tracking"),
    models=("jidi.tracking.models",),
    services={"tracking": "jidi.tracking.service:Tracking"},
    needs=("notify",),
    api=("jidi.tracking.api:router",),
    pages=("jidi.tracking.views:router",),
    handlers=("jidi.tracking.service",),
    templates=True,
    cli=("jidi.tracking.cli:tracking",),
    # Route updates to a parcel's sender and recipient: service messages, not marketing.
    sms=(
        SmsTemplate("route_picked_up", N_("[jidi] Parcel {waybill_no} has been picked up. Track it with its waybill number on jidi.")),
        SmsTemplate("route_out_for_delivery", N_("[jidi] Parcel {waybill_no} is out for delivery.")),
        SmsTemplate("route_delivered", N_("[jidi] Parcel {waybill_no} has been delivered.")),
        SmsTemplate("route_exception", N_("[jidi] There is a problem with parcel {waybill_no}: {reason}. Track it with its waybill number "
                                          "on jidi.")),
    ),
    # Labels of the facts shown with its rows in "my data" (jidi.rights.export).
    labels={
        "event_time": N_("Event time"),
        "site_code": N_("Site code"),
        "site_name": N_("Site"),
    },
)
