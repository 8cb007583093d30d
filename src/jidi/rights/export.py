"""A copy of someone's data: a zip with a machine-readable JSON file and a human-readable HTML file.

Both are rendered from the data map's rows (jidi.privacy.datamap), so every catalogued field of every table
that holds the person appears, labelled with its category, legal basis and retention, without a list here. The
other facts recorded with a row (status, times…) are labelled in the reader's language by the feature that owns the
table (`Feature.labels`), or else from the shared vocabulary below, COLUMN_LABELS (a test fails for a column without a
label; another, for a shared label that only one feature's tables use: that one belongs in the feature's declaration). Times are China time: in the JSON as ISO 8601 with +08:00, on pages as text.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from jidi.i18n import N_, china_date, china_datetime, gettext_for, install_formats, translations
from jidi.privacy import LABELS
from jidi.privacy.datamap import RELATION_LABELS, Restricted, RowView
from jidi.privacy.sharing import ROLE_LABELS, ShareSummary

FORMAT = "jidi-personal-data/2"
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))  # mainland China: UTC+8 all year

# What the non-personal columns shown with a person's records mean, by column name ("table.column" first): the names
# several features' tables share, and the privacy core's own tables. A column of one feature only is labelled by it.
COLUMN_LABELS = {
    "action": N_("Action"),
    "actor_role": N_("Handled by"),
    "amount_fen": N_("Amount (fen)"),
    "at": N_("Time"),
    "attempts": N_("Wrong codes entered"),
    "closed_at": N_("Closed at"),
    "created_at": N_("Created at"),
    "day": N_("Date"),
    "decided_at": N_("Decided at"),
    "delivered_as": N_("Delivered to"),
    "ended_at": N_("Ended at"),
    "event_id": N_("Event reference"),
    "exception": N_("Problem"),
    "expires_at": N_("Expires at"),
    "id_type": N_("ID document type"),
    "kind": N_("Type"),
    "consent_ledger.topic": N_("Consent to"),
    "consent_ledger.action": N_("Given or withdrawn"),
    "consent_ledger.how": N_("How"),
    "consent_ledger.at": N_("At"),
    "operator": N_("Recorded by"),
    "purpose": N_("Purpose"),
    "received_at": N_("Received at"),
    "region_code": N_("Region code"),
    "relationship": N_("Relationship"),
    "role": N_("Role"),
    "sent_at": N_("Sent at"),
    "seq": N_("Step"),
    "settled_at": N_("Settled at"),
    "status": N_("Status"),
    "updated_at": N_("Last changed at"),
    "verified_at": N_("Verified at"),
    "version": N_("Version"),
    "waybill_no": N_("Waybill number"),
}


class ColumnLabels:
    """The label (a gettext id) of each non-personal column shown with a person's rows: the declaration of the feature
    that owns the table (`Feature.labels`: "table.column", else the column name for all its tables), else the shared
    vocabulary (COLUMN_LABELS: "table.column", else the column name)."""

    def __init__(self, features: Iterable[Any]):
        self.by_table: dict[str, Mapping[str, str]] = {}
        for feature in features:
            if feature.labels:
                for table in feature.tables():
                    self.by_table[table] = feature.labels

    def __call__(self, table: str, column: str) -> str | None:
        own = self.by_table.get(table, {})
        key = f"{table}.{column}"
        return own.get(key) or COLUMN_LABELS.get(key) or own.get(column) or COLUMN_LABELS.get(column)


def china_time(value: dt.datetime) -> str:
    """A time as stored (UTC) in China time, ISO 8601 with its +08:00 offset."""
    return value.astimezone(CHINA_TIME).isoformat()


def readable_time(iso: str) -> str:
    """An ISO 8601 time as people read it, in China time: 2026-12-05 09:30."""
    return china_datetime(dt.datetime.fromisoformat(iso))


def _detail(table: str, column: str, value, gettext, labels: ColumnLabels) -> dict:
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
    return {"field": column, "label": gettext(labels(table, column) or column), "value": machine, "text": text}


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
             generated_at: dt.datetime, labels: ColumnLabels) -> dict:
    """The JSON document: one section per table and relation, one entry per record, one item per field; the records
    kept by law; and every organisation the data was handed to. `labels` names the other facts of each row (the
    rights service's, `c.rights.labels`)."""
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
            "details": [_detail(v.table, col, value, gettext, labels) for col, value in v.details.items()],
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
