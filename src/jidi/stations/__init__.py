"""Service stations and parcel lockers (issue 12): delivery into them only with the recipient's consent, a pickup code
by SMS (also to the family numbers the recipient authorised), collection, reminders and the return to the sender after
the holding period; and the map of service points with navigation links (ZK-1.2.2), location read only on that page."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link
from jidi.kit.permissions import Kind, Permission
from jidi.stations.notices import SMS

feature = Feature(
    "stations",
    title=("驿站和快递柜", "Service stations and parcel lockers"),
    models=("jidi.stations.models",),
    services={"stations": "jidi.stations.service:Stations"},
    needs=("accounts", "devices", "family", "notify", "shipping", "tracking"),
    api=("jidi.stations.api:router",),
    pages=("jidi.stations.views:router",),
    jobs="jidi.stations.jobs:register",
    templates=True,
    demo="jidi.stations.demo:load",
    sms=SMS,
    links=(Link(N_("Delivery to lockers and stations"), "/settings/delivery", "settings", 40,
                note=N_("Whether parcels may be left in a locker or station for you"), testid="me-delivery"),
           Link(N_("Service points"), "/service-points", "parcels", 70, note=N_("Stations and lockers near you"), testid="me-points")),
    # Asked for only on the map, only when the person asks for the nearest point, after saying why (ZK-1.2.2, JD-6.6b).
    permissions=(
        Permission(Kind.GEOLOCATION, N_("To show where you are on the map of service points and sort them by distance. Your "
                                        "position stays in your browser on that page and is never sent to jidi."),
                   "/service-points", N_("Show the nearest to me")),
    ),
    # The facts shown with its rows in "my data" (jidi.rights.export): delivery choices and parcels held at points.
    labels={
        "delivery_standing_choices.allow_locker": N_("Lockers allowed"),
        "delivery_standing_choices.allow_station": N_("Stations allowed"),
        "delivery_parcel_choices.choice": N_("Deliver to"),
        "delivery_parcel_choices.chosen_at": N_("Chosen at"),
        "held_parcels.code_salt": N_("Pickup code check value (not the code)"),
        "held_parcels.held_at": N_("Held since"),
        "held_parcels.due_at": N_("Holding period ends at"),
        "held_parcels.reminders": N_("Reminders sent"),
        "held_parcels.last_reminded_at": N_("Last reminded at"),
        "held_parcels.collected_at": N_("Picked up at the point at"),
        "held_parcels.returned_at": N_("Returned to the sender at"),
    },
)
