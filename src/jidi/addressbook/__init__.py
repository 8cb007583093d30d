"""The address book: a customer's saved senders and recipients (JD-1.1.2(4))."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link
from jidi.kit.permissions import Kind, Permission

FORM_PAGE = "/address-book/new"

feature = Feature(
    "addressbook",
    title=("地址簿", "Address book"),
    models=("jidi.addressbook.models",),
    services={"addressbook": "jidi.addressbook.service:AddressBook"},
    api=("jidi.addressbook.api:router",),
    pages=("jidi.addressbook.views:router",),
    templates=True,
    needs=("devices",),
    # Each asked for only when the customer starts the feature, after saying why (JD-1.1.2(4)b-d, CN-3.4.9, ZK-1.2.4);
    # everything can always be typed instead (JD-1.1.2(4)a).
    permissions=(
        Permission(Kind.GEOLOCATION, N_("To fill in the district of an address from where you are now. Your position is "
                                        "turned into a district on jidi's server, used once and not stored; no map or "
                                        "location service is asked."), FORM_PAGE, N_("Fill the district from my location")),
        Permission(Kind.CONTACTS, N_("To fill in a name and mobile number from a contact you pick in your phone's contacts. "
                                     "Only the contact you pick is read, only into this form."), FORM_PAGE,
                   N_("Pick from my contacts")),
        Permission(Kind.CAMERA, N_("To read a name, number and address from a photo of a label or a note. The photo is read "
                                   "on jidi's server to fill in the form and is not stored."), FORM_PAGE,
                   N_("Read from a photo")),
        Permission(Kind.MICROPHONE, N_("To say a name, number and address instead of typing them. Your browser turns the speech "
                                       "into text (some browsers use their maker's speech service for this); jidi receives "
                                       "only the text."), FORM_PAGE, N_("Voice entry")),
    ),
    links=(Link(N_("Address book"), "/address-book", "account", 20, count="jidi.addressbook.service:entry_count",
                testid="me-address-book"),),
    # Labels of the facts shown with its rows in "my data" (jidi.rights.export).
    labels={
        "is_default": N_("Default entry"),
    },
)
