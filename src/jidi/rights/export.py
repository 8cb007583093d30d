"""A copy of someone's data: a zip with a machine-readable JSON file and a human-readable HTML file.

Both are rendered from the data map's rows (jidi.privacy.datamap), so every catalogued field of every table
that holds the person appears, labelled with its category, legal basis and retention, without a list here. The
other facts recorded with a row (status, times…) are labelled from COLUMN_LABELS in the reader's language (a test
fails for a column without one). Times are China time: in the JSON as ISO 8601 with +08:00, on pages as text.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import json
import zipfile
from pathlib import Path

import jinja2

from jidi.i18n import N_, china_date, china_datetime, gettext_for, install_formats, translations
from jidi.privacy import LABELS
from jidi.privacy.datamap import RELATION_LABELS, Restricted, RowView
from jidi.privacy.sharing import ROLE_LABELS, ShareSummary

FORMAT = "jidi-personal-data/2"
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))  # mainland China: UTC+8 all year

# What the non-personal columns shown with a person's records mean, by column name ("table.column" first).
COLUMN_LABELS = {
    "action": N_("Action"),
    "activated_at": N_("Active since"),
    "actor_role": N_("Handled by"),
    "at": N_("Time"),
    "attempts": N_("Wrong codes entered"),
    "cancelled_at": N_("Cancelled at"),
    "channel": N_("Given through"),
    "closed_at": N_("Closed at"),
    "collected_at": N_("Collected at"),
    "content_type": N_("File type"),
    "created_at": N_("Created at"),
    "day": N_("Date"),
    "decided_at": N_("Decided at"),
    "declared_value_fen": N_("Declared value (fen)"),
    "delivered_as": N_("Delivered to"),
    "dest_region": N_("Destination region"),
    "downloads": N_("Downloads"),
    "due_on": N_("Due date"),
    "due_provisional": N_("Due date is provisional"),
    "ended_at": N_("Ended at"),
    "ended_by": N_("Ended by"),
    "erase_after": N_("To be erased after"),
    "event_id": N_("Event reference"),
    "event_time": N_("Event time"),
    "exception": N_("Problem"),
    "expires_at": N_("Expires at"),
    "fee_accepted_at": N_("Fee accepted at"),
    "fee_fen": N_("Fee (fen)"),
    "granted_at": N_("Given at"),
    "hits": N_("Lookups counted"),
    "id_type": N_("ID document type"),
    "is_default": N_("Default entry"),
    "item_category": N_("Item category"),
    "kind": N_("Type"),
    "consent_ledger.topic": N_("Consent to"),
    "consent_ledger.action": N_("Given or withdrawn"),
    "consent_ledger.how": N_("How"),
    "consent_ledger.at": N_("At"),
    "calendar_days.name": N_("Holiday name"),
    "merchant_order_ref": N_("Merchant's order reference"),
    # Device permissions turned off in jidi (jidi.devices).
    "device_permission_switches.kind": N_("Device permission"),
    "device_permission_switches.allowed": N_("Allowed in jidi"),
    "device_permission_switches.changed_at": N_("Changed at"),
    # Marketing (jidi.marketing): which batch of a campaign a message went out in, on which channel, held until when.
    "marketing_deliveries.batch": N_("Sending batch"),
    "marketing_deliveries.channel": N_("Channel"),
    "marketing_deliveries.not_before": N_("Held until"),
    "marketing_quiet_hours.start_hour": N_("Do not disturb from (hour, China time)"),
    "marketing_quiet_hours.end_hour": N_("Do not disturb until (hour, China time)"),
    "marketing_inbox.read": N_("Read"),
    "operator": N_("Recorded by"),
    "origin_region": N_("Origin region"),
    "paid_at": N_("Paid at"),
    "payment_mode": N_("Payment"),
    "picked_up_at": N_("Picked up at"),
    "pickup_from": N_("Pickup window from"),
    "pickup_until": N_("Pickup window until"),
    "price_fen": N_("Price (fen)"),
    "insurance_fen": N_("Insurance premium (fen)"),
    "profile_authorised": N_("Profile shared by WeChat"),
    "purpose": N_("Purpose"),
    "quantity": N_("Quantity"),
    "received_at": N_("Received at"),
    "refusal_ground": N_("Ground for refusal"),
    "region_code": N_("Region code"),
    "relationship": N_("Relationship"),
    "reused_identity": N_("Verified identity reused"),
    "revoked_at": N_("Ended at"),
    "role": N_("Role"),
    "scope": N_("Scope"),
    "sent_at": N_("Sent at"),
    "seq": N_("Step"),
    "service_type": N_("Service"),
    "site_code": N_("Site code"),
    "site_name": N_("Site"),
    "size_bytes": N_("Size (bytes)"),
    "status": N_("Status"),
    "status_at": N_("Status since"),
    "step": N_("Step"),
    "template": N_("Message type"),
    "updated_at": N_("Last changed at"),
    "uploaded_at": N_("Uploaded at"),
    "used_at": N_("Used at"),
    "verified_at": N_("Verified at"),
    "version": N_("Version"),
    "waybill_no": N_("Waybill number"),
    "weight_g": N_("Weight (g)"),
    "window_start": N_("Counted from"),
    "withdrawn_at": N_("Withdrawn at"),
}


def column_label(table: str, column: str) -> str | None:
    return COLUMN_LABELS.get(f"{table}.{column}") or COLUMN_LABELS.get(column)


def china_time(value: dt.datetime) -> str:
    """A time as stored (UTC) in China time, ISO 8601 with its +08:00 offset."""
    return value.astimezone(CHINA_TIME).isoformat()


def readable_time(iso: str) -> str:
    """An ISO 8601 time as people read it, in China time: 2026-12-05 09:30."""
    return china_datetime(dt.datetime.fromisoformat(iso))


def _detail(table: str, column: str, value, gettext) -> dict:
    machine: object
    if isinstance(value, dt.datetime):
        machine, text = china_time(value), china_datetime(value)
    elif isinstance(value, bool):
        machine, text = value, gettext("Yes") if value else gettext("No")
    elif isinstance(value, dt.date):
        machine = text = value.isoformat()
    else:
        machine = value if isinstance(value, int) else str(value)
        text = str(value)
    return {"field": column, "label": gettext(column_label(table, column) or column), "value": machine, "text": text}


@functools.cache
def _env(locale: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                             extensions=["jinja2.ext.i18n"])
    gettext = gettext_for(locale)
    env.install_gettext_callables(gettext,  # type: ignore[attr-defined]  # added by the i18n extension
                                  lambda s, p, n: gettext(s if n == 1 else p), newstyle=True,
                                  pgettext=translations(locale).pgettext)
    install_formats(env)
    env.filters["readable_time"] = readable_time
    return env


def _pick(pair: tuple[str, str], locale: str) -> str:
    return pair[0] if locale.startswith("zh") else pair[1]


def document(views: list[RowView], restricted: list[Restricted], shared: list[ShareSummary], *, locale: str,
             generated_at: dt.datetime) -> dict:
    """The JSON document: one section per table and relation, one entry per record, one item per field; the records
    kept by law; and every organisation the data was handed to."""
    gettext = gettext_for(locale)
    sections: dict[tuple[str, str], dict] = {}
    for v in views:
        key = (v.table, v.relation.value)
        sec = sections.setdefault(key, {
            "table": v.table, "label": _pick(v.label, locale), "relation": v.relation.value,
            "relation_label": _pick(RELATION_LABELS[v.relation], locale), "records": [], "count": 0,
        })
        sec["count"] += 1
        if not v.fields and not v.details:
            continue  # held by another account: counted, not shown
        sec["records"].append({
            "id": v.row_id,
            "fields": [{
                "field": f.spec.column, "label": _pick((f.spec.label_zh, f.spec.label_en), locale),
                "category": f.spec.category.value, "category_label": _pick(LABELS[f.spec.category], locale),
                "legal_basis": _pick(LABELS[f.spec.basis], locale),
                "retention": f.spec.retention.zh if locale.startswith("zh") else f.spec.retention.en,
                "sensitive": f.spec.sensitive,
                "value": None if f.withheld or f.value is None else str(f.value),
                "withheld": f.withheld,
            } for f in v.fields],
            "details": [_detail(v.table, col, value, gettext) for col, value in v.details.items()],
        })
    return {
        "format": FORMAT,
        "generated_at": china_time(generated_at),
        "locale": locale,
        "sections": list(sections.values()),
        "restricted": [{
            "table": r.table, "label": _pick(r.label, locale), "id": r.row_id,
            "legal_basis": r.law_zh if locale.startswith("zh") else r.law_en, "kept_until": china_date(r.until),
        } for r in restricted],
        "shared_with": [{
            "recipient": _pick(x.recipient.label, locale),
            "role": _pick(ROLE_LABELS[x.recipient.role], locale),
            "purpose": _pick(LABELS[x.recipient.purpose], locale),
            "legal_basis": _pick(LABELS[x.recipient.basis], locale),
            "fields": [_pick((f.label_zh, f.label_en), locale) for f in x.fields],
            "times": x.records, "first": china_time(x.first), "last": china_time(x.last),
            "deletion_requested": x.deletion_asked, "deletion_notified": x.deletion_notified,
        } for x in shared],
    }


def archive(doc: dict, locale: str) -> bytes:
    html = _env(locale).get_template("export.html").render(doc=doc, locale=locale,
                                                           generated_at=dt.datetime.fromisoformat(doc["generated_at"]))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("my-data.json", json.dumps(doc, ensure_ascii=False, indent=1))
        zf.writestr("my-data.html", html)
    return buf.getvalue()
