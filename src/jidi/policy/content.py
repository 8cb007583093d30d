"""The structured content of the privacy policy: the facts it states, gathered from what the code declares.

* the catalog (jidi.privacy.catalog): every personal field, grouped by the feature whose tables hold it, with its
  purposes, legal basis, retention and sensitivity; staff-only fields are not a customer's data and are left out;
* the declared recipients (jidi.privacy.sharing `recipient()`, and the features' `recipients`);
* the retention declarations (`__retention__` on the models, as `jidi retention schedule` reads them);
* the operator profile (jidi.policy.operators) and the settings the brand rules live in (rights deadline, fees);
* the rights the rights feature offers (jidi.rights.kinds), the cookies the site sets, SDKs (none), minors,
  cross-border and the latest personal-information impact assessment.

The content is plain JSON (lists and dicts, every text a [zh, en] pair): a version stores it, the classifier diffs two
of them (jidi.policy.classify), and the written sections (jidi.policy.document) turn it into a policy.
"""
from __future__ import annotations

import importlib

from jidi.db import Base
from jidi.kit import cookies
from jidi.policy.operators import OperatorProfile
from jidi.privacy import LABELS, LegalBasis, Purpose
from jidi.privacy.sharing import RECIPIENTS, ROLE_LABELS
from jidi.rights.kinds import KIN_RIGHTS, KINDS, SELF_KINDS
from jidi.i18n import gettext_for

SCHEMA = 1


def _title(feature: str) -> tuple[str, str]:
    """(zh, en): the feature's own declaration (`Feature.title`), else its package name (a test fails for that)."""
    declaration = getattr(importlib.import_module(f"jidi.{feature}"), "feature", None) if feature.isidentifier() else None
    return getattr(declaration, "title", ()) or (feature, feature)


def _pair(item) -> list[str]:
    zh, en = LABELS[item]
    return [zh, en]


def _msg(message: str) -> list[str]:
    return [gettext_for("zh_CN")(message), gettext_for("en")(message)]


def _table_owners() -> dict[str, str]:
    """table name -> the package (the feature, or the privacy core) whose models module declares it."""
    return {m.class_.__tablename__: m.class_.__module__.split(".")[1] for m in Base.registry.mappers}


def _feature_recipients(packages: set[str]) -> list:
    """Recipients the features declare on their `feature = Feature(...)` (the hook, beside `recipient()`)."""
    out = []
    for name in sorted(packages):
        declared = getattr(importlib.import_module(f"jidi.{name}"), "feature", None)
        out += list(getattr(declared, "recipients", ()))
    return out


def _retention_rules(settings, personal_tables: set[str]) -> list[dict]:
    rules = []
    for mapper in sorted(Base.registry.mappers, key=lambda m: m.class_.__tablename__):
        table = mapper.class_.__tablename__
        declared = getattr(mapper.class_, "__retention__", ())
        if not isinstance(declared, tuple):
            declared = (declared,)
        for d in declared:
            if not hasattr(d, "period_of") or (table not in personal_tables and d.name != "audit"):
                continue
            period = d.period_of(settings)
            label = getattr(mapper.class_, "__label__", None)
            text = [f"{label[0]}：{d.zh}", f"{label[1]}: {d.en}"] if label else [d.zh, d.en]
            rules.append({"rule": d.name, "action": d.action.value, "text": text,
                          "days": None if period is None else round(period.total_seconds() / 86400, 2)})
    return rules


def gather(catalog, settings, profile: OperatorProfile, *, impact_assessment: dict | None = None) -> dict:
    """The policy's facts as of now."""
    owners = _table_owners()
    fields = sorted((s for s in catalog.fields.values() if not s.staff_only), key=lambda s: s.key)
    by_feature: dict[str, list] = {}
    for spec in fields:
        by_feature.setdefault(owners.get(spec.table, "privacy"), []).append(spec)
    purposes_used = sorted({p for s in fields for p in s.purposes}, key=lambda p: p.value)
    collection = [{
        "feature": name,
        "title": list(_title(name)),
        "items": [{"field": s.key, "label": [s.label_zh, s.label_en], "category": s.category.value,
                   "purposes": sorted(p.value for p in s.purposes), "basis": s.basis.value, "sensitive": s.sensitive,
                   "retention": [s.retention.zh, s.retention.en], "retention_days": s.retention.days}
                  for s in specs],
    } for name, specs in sorted(by_feature.items())]
    declared = dict(RECIPIENTS)
    for r in _feature_recipients(set(owners.values())):
        declared.setdefault(r.key, r)
    recipients = [{"key": r.key, "name": [r.name_zh, r.name_en], "role": r.role.value, "role_label": list(ROLE_LABELS[r.role]),
                   "purpose": r.purpose.value, "basis": r.basis.value, "fields": sorted(r.fields)}
                  for _k, r in sorted(declared.items())]
    return {
        "schema": SCHEMA,
        "operator": profile.as_content(),
        "purposes": [{"key": p.value, "label": _pair(p),
                      "bases": sorted({s.basis.value for s in fields if p in s.purposes})} for p in purposes_used],
        "bases": {b.value: _pair(b) for b in LegalBasis},
        "purpose_labels": {p.value: _pair(p) for p in Purpose},
        "collection": collection,
        "recipients": recipients,
        "sdks": [],
        # The cookie declaration the site is held to (jidi.kit.cookies: a test fails for an undeclared cookie).
        "cookies": [{"name": k.name, "purpose": _msg(k.purpose), "lifetime": _msg(k.lifetime), "first_party": k.first_party,
                     "necessary": k.essential} for k in cookies.COOKIES],
        "retention": _retention_rules(settings, {s.table for s in fields}),
        "rights": {
            "kinds": [{"key": k, "label": _msg(KINDS[k])} for k in SELF_KINDS],
            "next_of_kin": [{"key": k, "label": _msg(KINDS[k])} for k in KIN_RIGHTS],
            "deadline": {"rule": settings.rights_deadline, "days": settings.rights_deadline_days},
            "free_per_year": settings.rights_free_requests_per_year,
            "fee_fen": settings.rights_fee_fen,
            "export_hours": settings.rights_export_ttl_hours,
            "channels": sorted({c.kind + ":" + c.value for c in profile.contacts} | {"web:/privacy/me"}),
        },
        "minors": {"age": profile.minors_age, "written_consent": profile.minors_written_consent},
        "cross_border": {"storage": "mainland_china", "transfers": []},
        "impact_assessment": impact_assessment or {"high_risk": False, "summary": ["", ""]},
    }
