"""Virtual numbers (隐私号, CN-3.4.7): couriers and consumers call each other through an AXB binding made when a courier
task is assigned and released a set time after it closes; the customer sees the courier's virtual number on the order
page. The provider (a carrier's number-privacy platform; a simulator in the embedded default) is a declared recipient."""

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
)
