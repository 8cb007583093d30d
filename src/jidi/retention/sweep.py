"""The retention sweep: applies every time-based rule of `jidi.retention.rules`, in batches.

Each batch is one transaction: for finished orders the statistics upsert, the deletes of the order, its parties,
pickup record, proxy collection and route events, and the shredding of its subject keys commit together, so an
order is counted exactly once and never lost. A crash leaves whole batches done; running again continues with
what is left (rules select by time, so a rerun, or a restore from backup, simply finds the rows again).

On PostgreSQL a batch of orders is one statement: a `FOR UPDATE SKIP LOCKED` CTE picks the batch (skipping any
order that route-event ingestion holds locked right now: the next run gets it), then `INSERT … ON CONFLICT DO
UPDATE` and `DELETE … USING` CTEs do the rest. SQLite, which has no data-modifying CTEs but only one writer at a
time, runs the same steps as separate statements in one transaction.

Every run (not a dry run) writes one audit record, action "retention", holding counts only.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import time
from collections.abc import Callable

from sqlalchemy import Date, String, and_, cast, delete, exists, func, literal, or_, select, true, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from jidi.accounts.models import AuthSession, SmsCode, User
from jidi.accounts.service import CODE_TEMPLATES
from jidi.addressbook.models import AddressEntry
from jidi.events.models import EventRecord
from jidi.family.models import FamilyBinding, ProxyCollection
from jidi.notify.models import SmsMessage
from jidi.privacy import Actor
from jidi.privacy.models import AuditRecord, Restriction, ShareRecord, SubjectKey
from jidi.retention import rules
from jidi.retention.models import TERMINAL, DeliveryStatistic
from jidi.rights.models import KinProof, RightsRequest
from jidi.shipping.models import Order, OrderParty, PickupRecord
from jidi.tracking.models import RouteEvent

log = logging.getLogger("jidi.retention")
CHINA_TZ = "Asia/Shanghai"  # statistics days are China days (UTC+8 all year)
_CODE_TEMPLATES = tuple(CODE_TEMPLATES.values())

O, P, PR, PX, E, K, S = (m.__table__ for m in (Order, OrderParty, PickupRecord, ProxyCollection, RouteEvent, SubjectKey,
                                                 DeliveryStatistic))


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
        handlers: dict[str, Callable[[rules.Rule, dt.datetime, Report], None]] = {
            "sms_codes": self._sms_codes, "auth_sessions": self._auth_sessions, "sms_outbox": self._sms_outbox,
            "orders_delivered": self._orders, "orders_returned": self._orders,
            "orders_cancelled": self._orders, "family_pending": self._family_pending, "family_ended": self._family_ended,
            "rights_requests": self._rights_requests, "rights_kin_proofs": self._kin_proofs, "restrictions": self._restrictions,
            "share_register": self._share_register, "events": self._events,
        }
        try:
            for rule in rules.RULES:
                if rule.action in rules.SWEPT:
                    report.rules.setdefault(rule.name, {t: 0 for t in rule.tables})
                    handlers[rule.name](rule, now, report)
            report.kept = self._kept(now)
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

    def _kept(self, now: dt.datetime) -> dict[str, int]:
        st = self.c.settings
        with self.c.uow() as s:
            return {
                # The audit log is append-only and hash-chained: nothing is deleted, however old (see README).
                "audit_log_past_retention": s.scalar(select(func.count()).select_from(AuditRecord)
                                                     .where(AuditRecord.at < now - dt.timedelta(days=st.retention_audit_days))),
                # Orders still in flight long after the waybill period: never touched, reported for a person to look at.
                "orders_in_flight_past_period": s.scalar(select(func.count()).select_from(O).where(
                    O.c.status.not_in(TERMINAL), O.c.created_at < now - dt.timedelta(days=st.retention_waybill_days))),
            }

    def _done(self, rule: rules.Rule, report: Report, counts: dict[str, int]) -> None:
        report.add(rule.name, counts)
        if self.after_batch:
            self.after_batch(rule.name, counts)

    # -- simple deletes ---------------------------------------------------------------------------------------
    def _delete(self, rule: rules.Rule, report: Report, model, where, returning: tuple = (),
                then: Callable[[Session, list], dict[str, int]] | None = None) -> None:
        """Delete the rows of `model` matching `where`, a batch per transaction, until none is left; `then` runs in the
        batch's transaction with the `returning` columns of the deleted rows."""
        table = model.__table__
        pk = table.primary_key.columns.values()[0]
        if report.dry_run:
            with self.c.uow() as s:
                report.add(rule.name, {table.name: s.scalar(select(func.count()).select_from(table).where(where))})
            return
        while True:
            with self.c.uow() as s:
                pick = select(pk).where(where).limit(self.batch)
                if self._pg:
                    pick = pick.with_for_update(skip_locked=True)
                stmt = delete(table).where(pk.in_(pick))
                if returning:
                    rows = s.execute(stmt.returning(*returning)).all()
                    n = len(rows)
                    counts = {table.name: n, **(then(s, rows) if then and rows else {})}
                else:
                    n = s.execute(stmt).rowcount
                    counts = {table.name: n}
            self._done(rule, report, counts)
            if n < self.batch:
                return

    def _sms_codes(self, rule, now, report):
        t = SmsCode.__table__
        self._delete(rule, report, SmsCode, t.c.expires_at < now - rule.period_of(self.c.settings))

    def _auth_sessions(self, rule, now, report):
        t = AuthSession.__table__
        self._delete(rule, report, AuthSession, or_(t.c.expires_at <= now, t.c.revoked_at <= now))

    def _sms_outbox(self, rule, now, report):
        t = SmsMessage.__table__
        cutoff = now - rule.period_of(self.c.settings)
        where = and_(t.c.created_at < cutoff, or_(t.c.sent_at.is_(None), t.c.sent_at < cutoff))

        def shred_one_off(s: Session, rows) -> dict[str, int]:
            # A code sent to a number without an account was sealed under a one-off subject made for that message
            # (accounts.request_code): shred it with the message. Account holders, parties and relatives keep theirs.
            subjects = {r.subject_id for r in rows if r.template in _CODE_TEMPLATES}
            if not subjects:
                return {"subject_keys": 0}
            n = s.execute(delete(K).where(
                K.c.subject_id.in_(subjects),
                ~exists().where(User.__table__.c.id == K.c.subject_id),
                ~exists().where(t.c.subject_id == K.c.subject_id),  # another message still waiting under it
                ~exists().where(FamilyBinding.__table__.c.subject_id == K.c.subject_id),
                ~exists().where(AddressEntry.__table__.c.subject_id == K.c.subject_id),
            )).rowcount
            return {"subject_keys": n}

        self._delete(rule, report, SmsMessage, where, returning=(t.c.subject_id, t.c.template), then=shred_one_off)

    def _events(self, rule, now, report):
        t = EventRecord.__table__  # their deliveries go with them (ON DELETE CASCADE)
        self._delete(rule, report, EventRecord, t.c.delivered_at < now - rule.period_of(self.c.settings))

    @staticmethod
    def _shred(s: Session, rows) -> dict[str, int]:
        return {"subject_keys": s.execute(delete(K).where(K.c.subject_id.in_([r.subject_id for r in rows]))).rowcount}

    def _family_pending(self, rule, now, report):
        t = FamilyBinding.__table__
        where = and_(t.c.status == "pending", t.c.created_at < now - rule.period_of(self.c.settings))
        self._delete(rule, report, FamilyBinding, where, returning=(t.c.subject_id,), then=self._shred)

    def _family_ended(self, rule, now, report):
        t = FamilyBinding.__table__
        where = and_(t.c.status == "ended", t.c.ended_at < now - rule.period_of(self.c.settings),
                     ~exists().where(PX.c.binding_id == t.c.id))
        self._delete(rule, report, FamilyBinding, where, returning=(t.c.subject_id,), then=self._shred)

    # -- the rights centre's records ------------------------------------------------------------------------
    def _rights_requests(self, rule, now, report):
        t = RightsRequest.__table__
        # Its history, copy and proofs go with it (ON DELETE CASCADE); the proofs' own rule has run first.
        self._delete(rule, report, RightsRequest, and_(t.c.closed_at.is_not(None),
                                                      t.c.closed_at < now - rule.period_of(self.c.settings)))

    def _kin_proofs(self, rule, now, report):
        t, r = KinProof.__table__, RightsRequest.__table__
        closed = select(r.c.id).where(r.c.closed_at.is_not(None), r.c.closed_at < now - rule.period_of(self.c.settings))
        self._delete(rule, report, KinProof, t.c.request_id.in_(closed), returning=(t.c.subject_id,), then=self._shred)

    def _restrictions(self, rule, now, report):
        self._delete(rule, report, Restriction, Restriction.__table__.c.until < now)

    def _share_register(self, rule, now, report):
        t = ShareRecord.__table__
        # A record whose recipient has yet to be told of a deletion is the notice itself: it waits for it.
        self._delete(rule, report, ShareRecord, and_(t.c.shared_at < now - rule.period_of(self.c.settings),
                                                     or_(t.c.deletion_asked_at.is_(None), t.c.deletion_notified_at.is_not(None))))

    # -- finished orders: anonymise -----------------------------------------------------------------------------
    def _orders(self, rule, now, report):
        state, _ = rules.ORDER_RULES[rule.name]
        # The state inline, not a parameter: only then can PostgreSQL prove the partial index ix_orders_retention
        # applies (also in a generic plan of a prepared statement) and walk it in status_at order.
        where = and_(O.c.status == literal(state, literal_execute=True), O.c.status_at < now - rule.period_of(self.c.settings))
        if report.dry_run:
            with self.c.uow() as s:
                report.add(rule.name, self._order_counts(s, where))
            return
        batch = self._orders_batch_pg if self._pg else self._orders_batch_sqlite
        while True:
            with self.c.uow() as s:
                counts = batch(s, where)
            self._done(rule, report, counts)
            if counts["orders"] < self.batch:
                return

    @staticmethod
    def _stats_upsert(src, dialect: str):
        """INSERT … SELECT the batch `src` grouped into statistics rows; a row that exists is added to."""
        if dialect == "postgresql":
            insert, day = pg_insert, cast(func.timezone(CHINA_TZ, src.c.status_at), Date)
        else:
            insert, day = sqlite_insert, func.date(src.c.status_at, "+8 hours")
        origin = func.substr(src.c.origin_region, 1, 4, type_=String) + "00"  # GB/T 2260 city level: PPCC00
        dest = func.substr(src.c.dest_region, 1, 4, type_=String) + "00"
        keys = (day, origin, dest, src.c.service_type, src.c.status)
        # SQLite: the SELECT of an upsert needs a WHERE clause to parse.
        grouped = select(*keys, func.count(), func.coalesce(func.sum(src.c.weight_g), 0)).where(true()).group_by(*keys)
        ins = insert(S).from_select(["day", "origin_city", "dest_city", "service_type", "terminal_state", "parcels", "weight_g"],
                                    grouped)
        return ins.on_conflict_do_update(
            index_elements=[c.name for c in S.primary_key.columns],
            set_={"parcels": S.c.parcels + ins.excluded.parcels, "weight_g": S.c.weight_g + ins.excluded.weight_g},
        )

    def _orders_batch_pg(self, s: Session, where) -> dict[str, int]:
        b = (select(O.c.id, O.c.waybill_no, O.c.subject_id, O.c.status, O.c.status_at, O.c.origin_region, O.c.dest_region,
                    O.c.service_type, O.c.weight_g)
             .where(where).order_by(O.c.status_at).limit(self.batch).with_for_update(skip_locked=True).cte("b"))
        stats = self._stats_upsert(b, "postgresql").returning(S.c.parcels).cte("stats")
        ev = delete(E).where(E.c.waybill_no == b.c.waybill_no, E.c.order_id == b.c.id).returning(E.c.order_id).cte("ev")
        pa = delete(P).where(P.c.order_id == b.c.id).returning(P.c.subject_id).cte("pa")
        pk = delete(PR).where(PR.c.order_id == b.c.id).returning(PR.c.subject_id).cte("pk")
        px = delete(PX).where(PX.c.order_id == b.c.id).returning(PX.c.id).cte("px")
        subjects = union_all(select(b.c.subject_id), select(pa.c.subject_id), select(pk.c.subject_id))
        keys = delete(K).where(K.c.subject_id.in_(subjects)).returning(K.c.subject_id).cte("keys")
        gone = delete(O).where(O.c.id == b.c.id).returning(O.c.id).cte("gone")
        parts = {"orders": gone, "order_parties": pa, "pickup_records": pk, "proxy_collections": px, "route_events": ev,
                 "subject_keys": keys, "delivery_statistics": stats}
        row = s.execute(select(*(select(func.count()).select_from(c).scalar_subquery().label(n) for n, c in parts.items()))).one()
        return dict(row._mapping)

    def _orders_batch_sqlite(self, s: Session, where) -> dict[str, int]:
        # One writer at a time (BEGIN IMMEDIATE): the batch, picked by a total order, is the same in every statement.
        ids = select(O.c.id).where(where).order_by(O.c.status_at, O.c.id).limit(self.batch)
        src = select(O).where(O.c.id.in_(ids)).subquery()
        counts = {"delivery_statistics": s.execute(self._stats_upsert(src, "sqlite")).rowcount}
        subjects = union_all(select(O.c.subject_id).where(O.c.id.in_(ids)), select(P.c.subject_id).where(P.c.order_id.in_(ids)),
                             select(PR.c.subject_id).where(PR.c.order_id.in_(ids)))
        counts["subject_keys"] = s.execute(delete(K).where(K.c.subject_id.in_(subjects))).rowcount
        counts["route_events"] = s.execute(delete(E).where(
            E.c.waybill_no.in_(select(O.c.waybill_no).where(O.c.id.in_(ids))), E.c.order_id.in_(ids))).rowcount
        for name, t in (("proxy_collections", PX), ("pickup_records", PR), ("order_parties", P)):
            counts[name] = s.execute(delete(t).where(t.c.order_id.in_(ids))).rowcount
        counts["orders"] = s.execute(delete(O).where(O.c.id.in_(ids))).rowcount
        return counts

    def _order_counts(self, s: Session, where) -> dict[str, int]:
        """Dry run: what the rule would remove now."""
        ids = select(O.c.id).where(where)
        subjects = union_all(select(O.c.subject_id).where(where), select(P.c.subject_id).where(P.c.order_id.in_(ids)),
                             select(PR.c.subject_id).where(PR.c.order_id.in_(ids))).subquery()
        count = lambda t, *w: s.scalar(select(func.count()).select_from(t).where(*w))  # noqa: E731
        return {
            "orders": count(O, where),
            "order_parties": count(P, P.c.order_id.in_(ids)),
            "pickup_records": count(PR, PR.c.order_id.in_(ids)),
            "proxy_collections": count(PX, PX.c.order_id.in_(ids)),
            "route_events": count(E.join(O, and_(O.c.waybill_no == E.c.waybill_no, O.c.id == E.c.order_id)), where),
            "subject_keys": count(K, K.c.subject_id.in_(select(subjects.c[0]))),
        }
