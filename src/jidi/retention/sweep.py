"""The retention sweep: applies every time-based rule the models declare (`jidi.retention.rules`), in batches.

It knows no feature: a rule says which rows are due (clock column, period, condition), which rows go with them
(their parts), whose data keys are shredded with them, and, to anonymise, the owning feature's hook that counts a
batch into anonymous statistics first.

Each batch is one transaction: for finished orders the statistics upsert, the deletes of the order and its parts
(parties, pickup record, proxy collection, route events), and the shredding of its subject keys commit together, so
an order is counted exactly once and never lost. A crash leaves whole batches done; running again continues with
what is left (rules select by time, so a rerun, or a restore from backup, simply finds the rows again).

On PostgreSQL a batch to anonymise is one statement: a `FOR UPDATE SKIP LOCKED` CTE picks the batch (skipping any
row that someone holds locked right now, e.g. route-event ingestion: the next run gets it), then `INSERT … ON
CONFLICT DO UPDATE` and `DELETE … USING` CTEs do the rest. SQLite, which has no data-modifying CTEs but only one
writer at a time, runs the same steps as separate statements in one transaction.

A rule that deletes shreds the keys of the deleted rows' subjects that no row still refers to (a one-off subject
made for one SMS code message goes with it; an account holder's stays). Anonymised rows' subjects are their own,
one-off, and always shredded.

Every run (not a dry run) writes one audit record, action "retention", holding counts only.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import pkgutil
import time
from collections.abc import Callable

from sqlalchemy import and_, delete, exists, func, select, union_all
from sqlalchemy.orm import Session

from jidi.db import one_of
from jidi.privacy import Action, Actor
from jidi.privacy.models import SubjectKey
from jidi.retention import rules

log = logging.getLogger("jidi.retention")
K = SubjectKey.__table__


@dataclasses.dataclass
class Report:
    """What a run did (or, dry, would do): rows per rule and table, and what was deliberately kept."""

    dry_run: bool
    started_at: dt.datetime
    rules: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    kept: dict[str, int] = dataclasses.field(default_factory=dict)
    complete: bool = False
    seconds: float = 0.0

    def add(self, rule: str, counts: dict[str, int]) -> None:
        mine = self.rules.setdefault(rule, {})
        for table, n in counts.items():
            mine[table] = mine.get(table, 0) + n

    def total(self, table: str) -> int:
        return sum(c.get(table, 0) for c in self.rules.values())

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "complete": self.complete, "started_at": self.started_at.isoformat(),
                "seconds": round(self.seconds, 3), "rules": self.rules, "kept": self.kept}


class RetentionSweep:
    def __init__(self, container, *, batch: int | None = None,
                 after_batch: Callable[[str, dict[str, int]], None] | None = None):
        self.c = container
        self.batch = batch or container.settings.retention_batch
        # Called after each committed batch (progress output; tests inject a crash here).
        self.after_batch = after_batch

    @property
    def _pg(self) -> bool:
        return self.c.engine.dialect.name == "postgresql"

    # -- the run ----------------------------------------------------------------------------------------------
    def run(self, *, dry_run: bool = False) -> Report:
        now = self.c.clock()
        report = Report(dry_run=dry_run, started_at=now)
        t0 = time.perf_counter()
        declared = rules.declared()
        try:
            for rule in declared:
                if rule.action in rules.SWEPT:
                    report.rules.setdefault(rule.name, {t: 0 for t in rule.tables})
                    due = rule.due(now - rule.period_of(self.c.settings))
                    if rule.action is Action.ANONYMISE:
                        self._anonymise(rule, due, report)
                    else:
                        self._delete(rule, due, report)
            report.kept = self._kept(declared, now)
            report.complete = True
        finally:
            report.seconds = time.perf_counter() - t0
            if not dry_run:
                try:
                    self._record(report)  # also when interrupted: what was committed before the failure
                except Exception:
                    if report.complete:
                        raise
                    log.exception("retention: the audit record of an interrupted run could not be written")
        return report

    def _record(self, report: Report) -> None:
        done = {r: {t: n for t, n in c.items() if n} for r, c in report.rules.items()}
        detail = {"complete": report.complete, "rules": {r: c for r, c in done.items() if c}, "kept": report.kept}
        with self.c.uow() as s:
            self.c.audit.record(s, actor=Actor.system(), action="retention", subject_id=None, purpose="retention",
                                detail=json.dumps(detail, sort_keys=True, separators=(",", ":")))

    def _kept(self, declared: tuple[rules.Rule, ...], now: dt.datetime) -> dict[str, int]:
        """What the rules deliberately leave although past their period (the audit log, orders in flight)."""
        kept = {}
        with self.c.uow() as s:
            for rule in declared:
                if rule.declared.overdue:
                    name, overdue = rule.declared.overdue
                    cutoff = now - rule.period_of(self.c.settings)
                    kept[name] = s.scalar(select(func.count()).select_from(rule.table).where(overdue(cutoff)))
        return kept

    def _done(self, rule: rules.Rule, report: Report, counts: dict[str, int]) -> None:
        report.add(rule.name, counts)
        if self.after_batch:
            self.after_batch(rule.name, counts)

    @staticmethod
    def _matching(part: rules.Part, table, rows):
        """The rows of `part` that belong to the rows of `table` selected by `rows` (a WHERE clause)."""
        return and_(*(part.table.c[own].in_(select(table.c[theirs]).where(rows)) for own, theirs in part.link.items()))

    # -- delete -----------------------------------------------------------------------------------------------
    def _delete(self, rule: rules.Rule, due, report: Report) -> None:
        """Delete the due rows and their parts, a batch per transaction, until none is left."""
        table = rule.table
        pk = table.primary_key.columns.values()[0]
        if report.dry_run:
            with self.c.uow() as s:
                counts = {table.name: s.scalar(select(func.count()).select_from(table).where(due))}
                for part in rule.parts:
                    counts[part.table.name] = s.scalar(select(func.count()).select_from(part.table)
                                                       .where(self._matching(part, table, due)))
            report.add(rule.name, counts)
            return
        while True:
            with self.c.uow() as s:
                pick = select(pk).where(due).limit(self.batch)
                ids = list(s.scalars(pick.with_for_update(skip_locked=True) if self._pg else pick))
                counts, subjects = self._delete_rows(s, rule, one_of(pk, ids, self._pg)) if ids else ({}, [])
                if subjects:
                    counts[rules.SUBJECT_KEYS] = self._shred_unused(s, subjects)
            self._done(rule, report, counts)
            if len(ids) < self.batch:
                return

    def _delete_rows(self, s: Session, rule: rules.Rule, rows) -> tuple[dict[str, int], list]:
        """Delete the rows of the rule's table selected by `rows`, parts first; the subjects they were sealed under."""
        counts, subjects = {}, []
        for part in (*rule.parts, rule):
            table = part.table
            where = rows if part is rule else self._matching(part, rule.table, rows)
            if part.shreds:
                deleted = s.execute(delete(table).where(where).returning(table.c[part.shreds])).scalars().all()
                counts[table.name] = len(deleted)
                subjects += deleted
            else:
                counts[table.name] = s.execute(delete(table).where(where)).rowcount
        return counts, subjects

    def _shred_unused(self, s: Session, subjects: list) -> int:
        """Shred those of `subjects` that no row of any table still refers to (routine retention: no tombstone)."""
        in_use = [~exists().where(tm.table.c[tm.subject_column] == K.c.subject_id)
                  for tm in self.c.datamap.maps.values() if tm.subject_column]
        shredded = s.execute(delete(K).where(K.c.subject_id.in_(set(subjects)), *in_use)
                             .returning(K.c.subject_id)).scalars().all()
        self.c.vault.forget(s, shredded, tombstone=False)
        return len(shredded)

    # -- anonymise ----------------------------------------------------------------------------------------------
    def _anonymise(self, rule: rules.Rule, due, report: Report) -> None:
        count_into = pkgutil.resolve_name(rule.declared.anonymise)
        if report.dry_run:
            with self.c.uow() as s:
                report.add(rule.name, self._anonymise_counts(s, rule, due))
            return
        batch = self._anonymise_batch_pg if self._pg else self._anonymise_batch_sqlite
        while True:
            with self.c.uow() as s:
                counts = batch(s, rule, due, count_into)
            self._done(rule, report, counts)
            if counts[rule.table.name] < self.batch:
                return

    def _anonymise_batch_pg(self, s: Session, rule: rules.Rule, due, count_into) -> dict[str, int]:
        t = rule.table
        pk = t.primary_key.columns.values()[0]
        clock = t.c[rule.declared.clocks[0]]
        b = select(*t.c).where(due).order_by(clock).limit(self.batch).with_for_update(skip_locked=True).cte("b")
        stats = count_into(b, "postgresql")
        ctes = {stats.table.name: stats.returning(*stats.table.primary_key.columns).cte("stats")}
        subjects = [select(b.c[rule.shreds])] if rule.shreds else []
        for i, part in enumerate(rule.parts):
            pt = part.table
            match = and_(*(pt.c[own] == b.c[theirs] for own, theirs in part.link.items()))
            returned = pt.c[part.shreds] if part.shreds else pt.primary_key.columns.values()[0]
            ctes[pt.name] = delete(pt).where(match).returning(returned).cte(f"part{i}")
            if part.shreds:
                subjects.append(select(ctes[pt.name].c[0]))
        if subjects:
            ctes[rules.SUBJECT_KEYS] = delete(K).where(K.c.subject_id.in_(union_all(*subjects))).returning(K.c.subject_id).cte("keys")
        ctes[t.name] = delete(t).where(pk == b.c[pk.name]).returning(pk).cte("gone")
        row = s.execute(select(*(select(func.count()).select_from(c).scalar_subquery().label(n) for n, c in ctes.items()))).one()
        return dict(row._mapping)

    def _anonymise_batch_sqlite(self, s: Session, rule: rules.Rule, due, count_into) -> dict[str, int]:
        # One writer at a time (BEGIN IMMEDIATE): the batch, picked by a total order, is the same in every statement.
        t = rule.table
        pk = t.primary_key.columns.values()[0]
        ids = select(pk).where(due).order_by(t.c[rule.declared.clocks[0]], pk).limit(self.batch)
        stats = count_into(select(t).where(pk.in_(ids)).subquery(), "sqlite")
        counts = {stats.table.name: s.execute(stats).rowcount}
        subjects = self._subjects(rule, pk.in_(ids))
        if subjects is not None:
            counts[rules.SUBJECT_KEYS] = s.execute(delete(K).where(K.c.subject_id.in_(subjects))).rowcount
        for part in rule.parts:
            counts[part.table.name] = s.execute(delete(part.table).where(self._matching(part, t, pk.in_(ids)))).rowcount
        counts[t.name] = s.execute(delete(t).where(pk.in_(ids))).rowcount
        return counts

    def _subjects(self, rule: rules.Rule, rows):
        """The subjects the rows selected by `rows` and their parts are sealed under, or None."""
        t = rule.table
        selects = [select(t.c[rule.shreds]).where(rows)] if rule.shreds else []
        selects += [select(p.table.c[p.shreds]).where(self._matching(p, t, rows)) for p in rule.parts if p.shreds]
        return union_all(*selects) if selects else None

    def _anonymise_counts(self, s: Session, rule: rules.Rule, due) -> dict[str, int]:
        """Dry run: what the rule would remove now."""
        t = rule.table
        count = lambda table, *w: s.scalar(select(func.count()).select_from(table).where(*w))  # noqa: E731
        counts = {t.name: count(t, due)}
        for part in rule.parts:
            counts[part.table.name] = count(part.table, self._matching(part, t, due))
        subjects = self._subjects(rule, due)
        if subjects is not None:
            counts[rules.SUBJECT_KEYS] = count(K, K.c.subject_id.in_(select(subjects.subquery().c[0])))
        return counts
