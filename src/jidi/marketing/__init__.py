"""Marketing and notifications' marketing side (promises area 9): consent per channel, opt-out by settings page,
customer service and SMS reply, do-not-disturb hours, and operators' campaigns with no automated decisions."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link, SmsTemplate
from jidi.privacy import MARKETING

feature = Feature(
    "marketing",
    title=("营销消息", "Marketing messages"),
    models=("jidi.marketing.models",),
    services={"marketing": "jidi.marketing.service:Marketing"},
    needs=("accounts", "addressbook", "notify", "shipping"),
    pages=("jidi.marketing.views:router",),
    jobs="jidi.marketing.jobs:register",
    templates=True,
    consent_purposes=MARKETING,
    on_withdrawal="jidi.marketing.service:on_withdrawal",
    demo="jidi.marketing.demo:load",
    # The confirmation of an opt-out by SMS reply (JD-6.4.2(1), A7): a service message, sent whatever marketing consent says.
    sms=(SmsTemplate("marketing_opted_out", N_("[jidi] You will no longer receive marketing SMS. Service messages about your parcels are "
                                               "not affected.")),),
    links=(
        Link(N_("Marketing messages"), "/settings/marketing", "settings", 20, note=N_("SMS, in-app, push, call, e-mail: each on its own"),
             testid="me-marketing"),
        Link(N_("Messages"), "/messages", "settings", 30, testid="me-messages"),
        Link(N_("Marketing opt-out by phone"), "/staff/marketing/opt-out", "actions", 50, testid="staff-marketing-opt-out", page="staff",
             roles=("support_agent", "admin")),
        Link(N_("Marketing campaigns"), "/staff/marketing", "actions", 60, testid="staff-marketing", page="staff", roles=("admin",)),
    ),
    # Which batch of a campaign a message went out in, on which channel, held until when; quiet hours; inbox.
    labels={
        "marketing_deliveries.batch": N_("Sending batch"),
        "marketing_deliveries.channel": N_("Channel"),
        "marketing_deliveries.not_before": N_("Held until"),
        "marketing_quiet_hours.start_hour": N_("Do not disturb from (hour, China time)"),
        "marketing_quiet_hours.end_hour": N_("Do not disturb until (hour, China time)"),
        "marketing_inbox.read": N_("Read"),
    },
)
