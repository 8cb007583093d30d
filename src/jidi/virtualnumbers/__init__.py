"""Virtual numbers (隐私号, CN-3.4.7): couriers and consumers call each other through an AXB binding made when a courier
task is assigned and released a set time after it closes; the customer sees the courier's virtual number on the order
page. The provider (a carrier's number-privacy platform; a simulator in the embedded default) is a declared recipient."""

from jidi.i18n import N_
from jidi.kit.feature import Feature
from jidi.virtualnumbers.providers import CARRIER

feature = Feature(
    "virtualnumbers",
    title=("隐私号(虚拟号码)", "Virtual phone numbers"),
    models=("jidi.virtualnumbers.models",),
    services={"virtual_numbers": "jidi.virtualnumbers.service:VirtualNumbers"},
    needs=("shipping",),
    api=("jidi.virtualnumbers.api:router",),
    pages=("jidi.virtualnumbers.views:router",),
    jobs="jidi.virtualnumbers.jobs:register",
    handlers=("jidi.virtualnumbers.service",),
    templates=True,
    recipients=(CARRIER,),
    demo="jidi.virtualnumbers.demo:load",
    # The facts shown with its rows in "my data" (jidi.rights.export): the number bindings and the calls through them.
    labels={
        "virtual_number_bindings.party_role": N_("Whose number it connects"),
        "virtual_number_bindings.provider": N_("Virtual number provider"),
        "virtual_number_bindings.subs_id": N_("Provider's binding reference"),
        "virtual_number_bindings.virtual_number": N_("Virtual number"),
        "virtual_number_bindings.unbound_at": N_("Unbound at"),
        "virtual_number_bindings.unbind_reason": N_("Why it was unbound"),
        "virtual_call_records.call_id": N_("Call reference"),
        "virtual_call_records.caller": N_("Called by"),
        "virtual_call_records.outcome": N_("Outcome"),
        "virtual_call_records.started_at": N_("Answered at"),
        "virtual_call_records.released_at": N_("Hung up at"),
        "virtual_call_records.duration_seconds": N_("Duration (seconds)"),
    },
)
