"""Notifications: SMS through a provider interface; the embedded default keeps messages in an outbox."""

from jidi.i18n import N_
from jidi.kit.feature import Feature

feature = Feature(
    "notify",
    title=("短信通知与验证码", "SMS notices and verification codes"),
    models=("jidi.notify.models",),
    services={"notifier": "jidi.notify.service:Notifier"},
    handlers=("jidi.notify.service",),
    # Labels of the facts shown with its rows in "my data" (jidi.rights.export).
    labels={
        "template": N_("Message type"),
    },
)
