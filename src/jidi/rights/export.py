"""A copy of someone's data: a zip with a machine-readable JSON file and a human-readable HTML file.

Both are rendered from the data map's rows (jidi.privacy.datamap), so every catalogued field of every table
that holds the person appears, labelled with its category, legal basis and retention, without a list here.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import json
import zipfile
from pathlib import Path

import jinja2

from jidi.i18n import china_date, gettext_for, install_formats, translations
from jidi.privacy import LABELS
from jidi.privacy.datamap import RELATION_LABELS, Restricted, RowView
from jidi.privacy.sharing import ROLE_LABELS, ShareSummary

FORMAT = "jidi-personal-data/1"


@functools.cache
def _env(locale: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                             extensions=["jinja2.ext.i18n"])
    gettext = gettext_for(locale)
    env.install_gettext_callables(gettext, lambda s, p, n: gettext(s if n == 1 else p), newstyle=True,
                                  pgettext=translations(locale).pgettext)
    install_formats(env)
    return env


def _pick(pair: tuple[str, str], locale: str) -> str:
    return pair[0] if locale.startswith("zh") else pair[1]


def document(views: list[RowView], restricted: list[Restricted], shared: list[ShareSummary], *, locale: str,
             generated_at: dt.datetime) -> dict:
    """The JSON document: one section per table and relation, one entry per record, one item per field; the records
    kept by law; and every organisation the data was handed to."""
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
            "details": v.details,
        })
    return {
        "format": FORMAT,
        "generated_at": generated_at.isoformat(),
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
            "times": x.records, "first": x.first.isoformat(), "last": x.last.isoformat(),
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
