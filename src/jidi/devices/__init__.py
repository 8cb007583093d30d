"""Device permissions in jidi's own settings (JD-6.4.1, CN-8.3.1a, ZK-1.2b, JD-6.6c): each permission a feature
declares (jidi.kit.permissions) can be turned off in jidi; the settings page that lists them with their purpose
and state is the app's (jidi.web.pages: it reads every feature's declaration)."""

from jidi.i18n import N_
from jidi.kit.feature import Feature

feature = Feature(
    "devices",
    models=("jidi.devices.models",),
    services={"devices": "jidi.devices.service:Devices"},
    # Labels of the facts shown with its rows in "my data" (jidi.rights.export).
    labels={
        "device_permission_switches.kind": N_("Device permission"),
        "device_permission_switches.allowed": N_("Allowed in jidi"),
        "device_permission_switches.changed_at": N_("Changed at"),
    },
)
