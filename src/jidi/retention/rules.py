"""The retention schedule: every table, the event its rows' time runs from, how long, and what happens then.

`RULES` is the single source: `RetentionSweep` runs the rules whose action is `delete` or `anonymise`,
`jidi retention schedule` prints all of them (and every personal field of the catalog with the rule that
enforces its declared `Retention`), and a test fails when a table of the schema has no rule.

End events of an order (A2, JD-5.2.1a/c): an order's time runs from its terminal state, `orders.status_at`:

* delivered — the waybill record period after delivery (`retention_waybill_days`, default `RETAIN_WAYBILL`);
* returned (to the sender) — the same period after the return: it was picked up, so the real-name pickup and
  waybill records exist and the same record-keeping applies;
* cancelled — `retention_cancelled_days` after cancellation (default 31 days): it was cancelled before pickup,
  so there is no pickup record and its route holds only the cancellation, and nothing but a dispute about the cancellation needs it;
* refused and returning are not terminal (a refused parcel goes back to the sender); every other status is in
  flight, and in-flight orders are never touched.

Then the order is anonymised: counted into `delivery_statistics`, and the order, its parties, pickup record,
proxy collection and route events are deleted and its subjects (order, parties, pickup) shredded.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from jidi.config import Settings
from jidi.privacy import RETAIN_SMS
from jidi.rights.models import RETAIN_PROOF, RETAIN_REQUEST
from jidi.shipping import states

# Fixed periods of the housekeeping rules: each is what its feature's own checks need, and no more.
SMS_CODE_GRACE = dt.timedelta(minutes=10)        # after expiry
SMS_OUTBOX = dt.timedelta(days=RETAIN_SMS.days)  # after sending (or, never sent, after queueing)
FAMILY_PENDING = dt.timedelta(days=7)            # a relative who has not agreed in a week: drop their number
FAMILY_ENDED = dt.timedelta(days=31)             # an ended binding (no number left) disappears a month later
EVENTS = dt.timedelta(days=7)                    # a delivered event: a week for an operator to trace what it caused

# What happens when the time is up: the sweep deletes or anonymises (SWEPT); the account's cancellation purge takes
# it (ACCOUNT, jidi.rights); the feature that owns the table deletes it on its own clock (OWNER); or it is kept.
DELETE, ANONYMISE, ACCOUNT, OWNER, KEEP = "delete", "anonymise", "account", "owner", "keep"
SWEPT = (DELETE, ANONYMISE)


def _fixed(period: dt.timedelta) -> Callable[[Settings], dt.timedelta]:
    return lambda _settings: period


@dataclasses.dataclass(frozen=True)
class Rule:
    """One line of the schedule. `tables` are the tables the rule removes rows from (the first one is the table
    it selects on); `period` is None for rules that are not a matter of time in the sweep."""

    name: str
    tables: tuple[str, ...]
    after: str
    action: str
    zh: str
    en: str
    period: Callable[[Settings], dt.timedelta] | None = None
    by: str = "jidi.retention"
    # The catalog `Retention.after` events this rule enforces for the personal fields of its tables.
    catalog_after: tuple[str, ...] = ()

    def period_of(self, settings: Settings) -> dt.timedelta | None:
        return self.period(settings) if self.period else None


def _days(settings_field: str) -> Callable[[Settings], dt.timedelta]:
    return lambda settings: dt.timedelta(days=getattr(settings, settings_field))


ORDER_TABLES = ("orders", "order_parties", "pickup_records", "proxy_collections", "route_events", "subject_keys")
ORDER_RULES = {
    # rule name -> (terminal state, settings field of its period)
    "orders_delivered": (states.DELIVERED, "retention_waybill_days"),
    "orders_returned": (states.RETURNED, "retention_waybill_days"),
    "orders_cancelled": (states.CANCELLED, "retention_cancelled_days"),
}
RIGHTS = "account cancellation (rights package, JD-5.2.1b)"

RULES: tuple[Rule, ...] = (
    Rule("sms_codes", ("sms_codes",), "expired", DELETE,
         "过期 10 分钟后删除", "Deleted 10 minutes after expiry", _fixed(SMS_CODE_GRACE)),
    Rule("auth_sessions", ("auth_sessions",), "expired or revoked", DELETE,
         "登录会话过期或注销后删除", "Deleted once expired or logged out", _fixed(dt.timedelta(0))),
    Rule("sms_outbox", ("sms_outbox", "subject_keys"), "sent", DELETE,
         RETAIN_SMS.zh + "(未发出的:排队后 1 天);无账号号码的一次性密钥随之销毁",
         RETAIN_SMS.en + " (never sent: 1 day after queueing); the one-off key of a number without an account is shredded",
         _fixed(SMS_OUTBOX), catalog_after=("collected",)),
    Rule("orders_delivered", ORDER_TABLES, "delivered", ANONYMISE,
         "签收后满运单保存期:计入匿名统计,运单、收寄双方、实名收寄记录、代取记录、路由删除,密钥销毁",
         "When the waybill period after delivery ends: counted into anonymous statistics; the order, its parties, "
         "real-name pickup record, proxy collection and route deleted; its keys shredded",
         _days("retention_waybill_days"), catalog_after=("delivered",)),
    Rule("orders_returned", ORDER_TABLES, "returned to the sender", ANONYMISE,
         "退回寄件人后满运单保存期:同上", "When the waybill period after the return ends: as for delivered orders",
         _days("retention_waybill_days")),
    Rule("orders_cancelled", ORDER_TABLES, "cancelled", ANONYMISE,
         "取消后满保存期(未揽收,无实名收寄记录):同上", "When the period after cancellation ends (never picked up): as for delivered orders",
         _days("retention_cancelled_days")),
    Rule("family_pending", ("family_bindings", "subject_keys"), "binding requested", DELETE,
         "亲友 7 天内未同意的亲情号申请:删除,号码密钥销毁",
         "A family number the relative has not agreed to within 7 days: deleted, its key shredded", _fixed(FAMILY_PENDING)),
    Rule("family_ended", ("family_bindings",), "binding ended", DELETE,
         "已解除的亲情号(号码已删除)31 天后删除;有代取记录引用的,随该运单一起到期",
         "An ended family binding (its number already deleted) is deleted after 31 days, or with the waybill whose proxy "
         "collection refers to it", _fixed(FAMILY_ENDED)),
    # Not a matter of time for the sweep.
    Rule("accounts", ("users", "wechat_links", "consents", "verified_identities", "address_entries"), "account closed", ACCOUNT,
         "账号存续期间及注销后一个月", "While the account exists and one month after it is cancelled", by=RIGHTS,
         catalog_after=("account_closed",)),
    Rule("family_active", ("family_bindings",), "binding ended", ACCOUNT,
         "绑定有效期间;解除时立即删除号码", "While the binding is active; the number is deleted the moment it ends",
         by="jidi.family (ending a binding), " + RIGHTS, catalog_after=("ended",)),
    Rule("subject_keys", ("subject_keys",), "data deleted", ACCOUNT,
         "随所保护的数据一并销毁", "Shredded with the data it protects (the rules above, and account cancellation)", by="the rules above, " + RIGHTS),
    Rule("rights_kin_proofs", ("rights_kin_proofs", "subject_keys"), "request closed", DELETE,
         "近亲属申请证明材料:" + RETAIN_PROOF.zh + "删除,密钥销毁",
         "Next-of-kin proof documents: deleted " + RETAIN_PROOF.en.lower() + ", their key shredded",
         _fixed(dt.timedelta(days=RETAIN_PROOF.days)), catalog_after=("closed",)),
    Rule("rights_requests", ("rights_requests", "rights_request_events"), "request closed",
         DELETE, RETAIN_REQUEST.zh + ":请求及其处理记录删除", RETAIN_REQUEST.en + ": the request and its history are deleted",
         _fixed(dt.timedelta(days=RETAIN_REQUEST.days)), catalog_after=("closed",)),
    Rule("rights_exports", ("data_exports",), "expired", OWNER,
         "个人信息副本:下载期满即删除", "Copies of one's data: deleted when the download period ends",
         by="jidi.rights (housekeeping job, every 15 minutes)", catalog_after=("collected",)),
    Rule("restrictions", ("restrictions",), "legal hold ends", DELETE,
         "因法定留存而限制处理的记录:留存期满后删除限制记录(所限制的记录按其自身规则删除)",
         "Records kept only under a legal hold after a deletion request: the restriction is deleted when the hold ends "
         "(the held record goes by its own rule)", _fixed(dt.timedelta(0))),
    Rule("events", ("events", "event_deliveries"), "delivered", DELETE,
         "功能之间的事件(仅含编号)送达所有处理方 7 天后删除;未送达的一直重试,不删除",
         "Events between features (ids only) deleted 7 days after every handler took them; undelivered ones are retried, "
         "never deleted", _fixed(EVENTS)),
    Rule("share_register", ("share_register",), "shared", DELETE,
         "对外提供个人信息的记录(仅含化名):保存 3 年;尚未通知接收方删除的,通知后再删",
         "Records of personal data handed to others (pseudonyms only): kept 3 years; one whose deletion notice has "
         "not gone out yet stays until it has", _days("retention_audit_days")),
    Rule("tombstones", ("tombstones",), "erased on request", KEEP,
         "应请求删除的主体清单:用于从备份恢复后再次删除", "Subjects erased on request: re-applied after any restore from backup",
         by="jidi.privacy"),
    Rule("audit_log", ("audit_log", "audit_head"), "recorded", KEEP,
         "至少保存 3 年(个人信息保护法第五十六条);只追加、哈希链,不删除;仅含化名",
         "Kept at least 3 years (PIPL art. 56); append-only and hash-chained, never deleted; pseudonyms only",
         _days("retention_audit_days"), by="jidi.privacy.audit (never deleted; the sweep reports how many are past the period)"),
    Rule("delivery_statistics", ("delivery_statistics",), "counted", KEEP,
         "匿名统计,不含个人信息", "Anonymous statistics, no personal data"),
    Rule("merchants", ("merchants",), "relationship ended", KEEP,
         "商户渠道(企业信息,非个人信息),停用不删除", "Merchant channels (business data, not personal): deactivated, not deleted",
         by="jidi.shipping"),
    Rule("calendar", ("calendar_years", "calendar_days"), "loaded", KEEP,
         "法定节假日安排(非个人信息)", "The official holiday schedule (not personal)", by="jidi.workdays"),
    Rule("tracking_sources", ("tracking_sources",), "relationship ended", KEEP,
         "扫描设备与合作方系统(非个人信息),停用不删除;路由记录引用它们",
         "Scanner fleets and partner systems (not personal): deactivated, not deleted; route events refer to them",
         by="jidi.tracking"),
)

BY_NAME = {r.name: r for r in RULES}


def rules_for(table: str) -> list[Rule]:
    return [r for r in RULES if table in r.tables]


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


def enforcing(table: str, after: str) -> Rule:
    """The rule that enforces a catalog Retention (`after` event) for a field of `table`."""
    candidates = [r for r in rules_for(table) if after in r.catalog_after]
    if len(candidates) != 1:
        raise LookupError(f"no single retention rule for {table} after '{after}': {[r.name for r in candidates]}")
    return candidates[0]


def field_lines(catalog, settings: Settings) -> list[FieldLine]:
    """Every personal field of the catalog with its declared retention and the rule that applies it."""
    out = []
    for spec in sorted(catalog.fields.values(), key=lambda s: s.key):
        rule = enforcing(spec.table, spec.retention.after)
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
    for r in RULES:
        if tables is not None and not set(r.tables) & tables:
            continue
        out_rules.append({"rule": r.name, "tables": list(r.tables), "after": r.after, "action": r.action,
                          "period": _fmt(r.period_of(settings)), "zh": r.zh, "en": r.en, "by": r.by})
    fields = [dataclasses.asdict(f) | {"mismatch": f.mismatch} for f in field_lines(catalog, settings)]
    return {"rules": out_rules, "fields": fields}
