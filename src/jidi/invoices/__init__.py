"""Invoices (发票) for paid orders: ordinary or VAT special, electronic (an SMS link to the PDF) or paper (mailed);
kept as the tax law requires, under a legal hold in erasure (JD-1.1.2(5)c, ZK-1.1.3b, JD-6.1.1(3))."""

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link, SmsTemplate

feature = Feature(
    "invoices",
    title=("发票", "Invoices"),
    models=("jidi.invoices.models",),
    services={"invoices": "jidi.invoices.service:Invoices"},
    needs=("accounts", "notify", "shipping"),
    api=("jidi.invoices.api:router",),
    pages=("jidi.invoices.views:router",),
    templates=True,
    demo="jidi.invoices.demo:load",
    # The link downloads the invoice's PDF (a bearer token; nothing personal in it).
    sms=(SmsTemplate("invoice_ready", N_("[jidi] Your invoice {number} for parcel {waybill_no} is ready. Download it: {url}")),),
    links=(Link(N_("Invoices"), "/invoices", "parcels", 50, note=N_("Ask for an invoice for a paid parcel"), testid="me-invoices"),),
    # The facts shown with its rows in "my data" (jidi.rights.export).
    labels={
        "number": N_("Invoice number"),
        "medium": N_("Electronic or paper"),
        "content": N_("Invoiced for"),
        "mail_region": N_("Mailed to region"),
        "link_expires_at": N_("Download link expires at"),
        "issued_at": N_("Issued at"),
    },
)
