"""The retention schedule: every table, the event its rows' time runs from, how long, and what happens then.

Each model declares its own rules next to its fields (`__retention__`: a `jidi.privacy.Retained`, or several; or a
`jidi.privacy.PartOf` for rows that go with a row of another table). `declared()` collects them: `RetentionSweep`
applies the rules whose action is `delete` or `anonymise`, `jidi retention schedule` prints all of them (and every
personal field of the catalog with the rule that enforces its declared `Retention`), and a test fails when a table
of the schema has no rule.

The order is the sweep's: anonymisations first, then deletions, children before the rows they refer to (so a
proof document's rule runs before its request's, and an ended family binding goes in the run that removes the
waybill whose proxy collection kept it); then what others remove, and what is kept.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import cast

from sqlalchemy import ColumnElement, Table, and_, or_, true

from jidi.config import Settings
from jidi.db import Base
from jidi.privacy import SWEPT, Action, PartOf, Retained

SUBJECT_KEYS = "subject_keys"
_ORDER = {Action.ANONYMISE: 0, Action.DELETE: 1, Action.ACCOUNT: 2, Action.OWNER: 3, Action.KEEP: 4}


@dataclasses.dataclass(frozen=True)
class Part:
    """Rows of `table` that go with a row of the rule's table, matched on `link` (own column -> that table's)."""

    table: Table
    link: dict[str, str]
    shreds: str | None


@dataclasses.dataclass(frozen=True)
class Rule:
    """One line of the schedule: a model's declaration, with the table it is about and that table's parts."""

    declared: Retained
    table: Table
    parts: tuple[Part, ...] = ()

    name = property(lambda self: self.declared.name)
    after = property(lambda self: self.declared.after)
    action = property(lambda self: self.declared.action)
    zh = property(lambda self: self.declared.zh)
    en = property(lambda self: self.declared.en)
    by = property(lambda self: self.declared.by)
    catalog_after = property(lambda self: self.declared.catalog_after)
    shreds = property(lambda self: self.declared.shreds)

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables it removes rows from (or keeps): its own first."""
        shreds = self.shreds or any(p.shreds for p in self.parts)
        return (self.table.name, *(p.table.name for p in self.parts), *((SUBJECT_KEYS,) if shreds else ()))

    def period_of(self, settings) -> dt.timedelta | None:
        return self.declared.period_of(settings)

    def due(self, cutoff: dt.datetime):
        """The rows whose time is up: a clock column before `cutoff`, and the declaration's own condition."""
        clocks = [self.table.c[c] < cutoff for c in self.declared.clocks]
        # `where` is declared in jidi.retained (which does not import SQLAlchemy) as returning `object`: a condition.
        where = cast(ColumnElement[bool], self.declared.where(cutoff)) if self.declared.where else true()
        return and_(or_(*clocks), where) if clocks else where


def declared(base=Base) -> tuple[Rule, ...]:
    """Every rule the models of `base` declare, in the sweep's order."""
    models = {m.class_.__tablename__: m.class_ for m in base.registry.mappers}
    parts: dict[str, list[Part]] = {}
    found: list[tuple[Retained, Table]] = []
    for table in reversed(base.metadata.sorted_tables):  # children first
        declaration = getattr(models.get(table.name), "__retention__", ())
        if isinstance(declaration, PartOf):
            parts.setdefault(declaration.table, []).append(Part(table, declaration.link, declaration.shreds))
            continue
        found += [(d, table) for d in (declaration if isinstance(declaration, tuple) else (declaration,))]
    rules = [Rule(d, t, tuple(sorted(parts.get(t.name, ()), key=lambda p: p.table.name))) for d, t in found]
    for r in rules:
        if r.action in SWEPT:
            _check_swept(r)
    return tuple(sorted(rules, key=lambda r: _ORDER[r.action]))


def _check_swept(rule: Rule) -> None:
    problem = None
    if rule.declared.period is None:
        problem = "has no period"
    elif len(rule.table.primary_key.columns) != 1:
        problem = "needs a table with a one-column primary key"
    elif any(not p.link for p in rule.parts):
        problem = "has a part without a link"
    elif (rule.action is Action.ANONYMISE) != bool(rule.declared.anonymise):
        problem = "anonymises with a hook, and only then"
    if problem:
        raise ValueError(f"retention rule {rule.name} on {rule.table.name} {problem}")


def by_name(rules: tuple[Rule, ...] | None = None) -> dict[str, Rule]:
    return {r.name: r for r in rules or declared()}


def rules_for(table: str, rules: tuple[Rule, ...] | None = None) -> list[Rule]:
    return [r for r in rules or declared() if table in r.tables]


@dataclasses.dataclass(frozen=True)
class FieldLine:
    field: str                    # table.column
    label_zh: str
    label_en: str
    declared_zh: str              # the catalog's Retention: what the privacy policy says
    declared_en: str
    declared_days: int
    rule: str                     # the rule that enforces it
    by: str
    effective_days: float | None  # what the sweep is configured to do, in days; None: not the sweep's (see `by`)

    @property
    def mismatch(self) -> bool:
        """The configured period differs from what the catalog, and so the privacy policy, declares."""
        return self.effective_days is not None and abs(self.effective_days - self.declared_days) >= 1


def enforcing(table: str, after: str, rules: tuple[Rule, ...] | None = None) -> Rule:
    """The rule that enforces a catalog Retention (`after` event) for a field of `table`."""
    candidates = [r for r in rules_for(table, rules) if after in r.catalog_after]
    if len(candidates) != 1:
        raise LookupError(f"no single retention rule for {table} after '{after}': {[r.name for r in candidates]}")
    return candidates[0]


def field_lines(catalog, settings: Settings) -> list[FieldLine]:
    """Every personal field of the catalog with its declared retention and the rule that applies it."""
    out, rules = [], declared()
    for spec in sorted(catalog.fields.values(), key=lambda s: s.key):
        rule = enforcing(spec.table, spec.retention.after, rules)
        period = rule.period_of(settings) if rule.action in SWEPT else None
        out.append(FieldLine(spec.key, spec.label_zh, spec.label_en, spec.retention.zh, spec.retention.en, spec.retention.days,
                             rule.name, rule.by, period.total_seconds() / 86400 if period is not None else None))
    return out


def _fmt(period: dt.timedelta | None) -> str:
    if period is None:
        return ""
    seconds = int(period.total_seconds())
    if seconds == 0:
        return "0"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def schedule(catalog, settings: Settings, tables: set[str] | None = None) -> dict:
    """The printable schedule (`jidi retention schedule`, later the privacy policy): every rule, with the period
    configured now, and every personal field with its declared retention and the rule that enforces it."""
    out_rules = []
    for r in declared():
        if tables is not None and not set(r.tables) & tables:
            continue
        out_rules.append({"rule": r.name, "tables": list(r.tables), "after": r.after, "action": r.action.value,
                          "period": _fmt(r.period_of(settings)), "zh": r.zh, "en": r.en, "by": r.by})
    fields = [dataclasses.asdict(f) | {"mismatch": f.mismatch} for f in field_lines(catalog, settings)]
    return {"rules": out_rules, "fields": fields}
