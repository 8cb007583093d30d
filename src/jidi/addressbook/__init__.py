"""The address book: a customer's saved senders and recipients (JD-1.1.2(4))."""

from jidi.kit.feature import Feature

feature = Feature(
    "addressbook",
    models=("jidi.addressbook.models",),
    services={"addressbook": "jidi.addressbook.service:AddressBook"},
    api=("jidi.addressbook.api:router",),
    pages=("jidi.addressbook.views:router",),
    templates=True,
)
