"""The consent check on the opening path: µs per `privacy.open` of users.phone for a use on the contract (the catalog
check only) and for a use on consent (one indexed look-up in the consent ledger, its record's HMAC checked), and per
value when `open_all` opens a batch of 100 subjects' values for a use on consent (one look-up for all of them).

Values are loaded rows' (sealed bytes, subject keys cached), already decrypted once, so the numbers are the opening
path's own cost, not AES-GCM's (that is `vault.open_per_field`).
"""
from __future__ import annotations

import gc
import time
import uuid

from sqlalchemy import select

from bench.harness import Phones, Variant, emit, interleave, log, median, paired_ratio, size
from jidi import privacy
from jidi.accounts.models import User
from jidi.privacy import Actor, Notice, Purpose

NOTICE = Notice("bench", "We may send you offers by SMS. Withdraw at any time.")
BATCH = 100


def _timed(fn, n: int) -> float:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        fn()
        return (time.perf_counter_ns() - t0) / n / 1000  # µs per opening
    finally:
        gc.enable()


def run(v: Variant, phones: Phones) -> list[dict]:
    sz = size()
    n = max(BATCH, sz.field_subjects)
    ids = []
    with v.container.uow() as s:
        for _ in range(n):
            user = User(id=uuid.uuid4(), role="customer", status="active")
            user.phone = phones()
            s.add(user)
            ids.append(user.id)
        s.flush()
        for uid in ids:
            v.container.consents.record_grant(s, uid, Purpose.MARKETING_SMS, NOTICE, how="page", how_ref="bench")
    ops = sz.field_ops
    log(f"consent: {sz.field_rounds} rounds x {ops} openings, {n} subjects with a live marketing-SMS consent")
    s = v.container.sessions()
    s.begin()
    users = list(s.scalars(select(User).where(User.id.in_(ids))))
    values = [u.phone for u in users]
    system = Actor.system()
    privacy.open_all(values, for_=Purpose.NOTIFICATION, actor=system)  # decrypt once: measure the path, not AES
    plan = [values[i % len(values)] for i in range(ops)]

    def one(purpose):
        def measure():
            for x in values:  # untimed: every subject checked once in this transaction already
                privacy.open(x, for_=purpose, actor=system)
            return _timed(lambda: [privacy.open(x, for_=purpose, actor=system) for x in plan], len(plan))
        return measure

    def first(purpose):
        """Each opening the subject's first in its transaction: the answers kept for the transaction are dropped."""
        def go():
            for x in plan:
                s.info.pop("jidi_consent_live", None)
                privacy.open(x, for_=purpose, actor=system)
        return lambda: _timed(go, len(plan))

    def batched():
        batches = [values[i:i + BATCH] for i in range(0, len(values) - BATCH + 1, BATCH)] or [values]
        rounds = max(1, ops // BATCH)
        work = [batches[i % len(batches)] for i in range(rounds)]
        count = sum(len(b) for b in work)
        return _timed(lambda: [privacy.open_all(b, for_=Purpose.MARKETING_SMS, actor=system) for b in work], count)

    try:
        results = interleave({"contract": one(Purpose.NOTIFICATION), "consent": first(Purpose.MARKETING_SMS),
                              "consent_again": one(Purpose.MARKETING_SMS), "consent_batch": batched}, sz.field_rounds)
        t0 = time.perf_counter_ns()
        for _ in range(ops):
            s.execute(select(1))
        roundtrip = (time.perf_counter_ns() - t0) / ops / 1000
    finally:
        s.rollback()
        s.close()
    a, b, c, d = (median(results[k]) for k in ("consent", "contract", "consent_batch", "consent_again"))
    common = dict(rounds=sz.field_rounds, ops_per_round=ops, variant=v.label, database="postgresql")
    return [
        emit("consent.open_contract_purpose", b, "us/opening", **common,
             note="privacy.open(users.phone, for_=notification): the basis is the contract, no consent looked up"),
        emit("consent.open_consent_purpose", a, "us/opening", baseline=round(b, 3),
             ratio=round(paired_ratio(results["consent"], results["contract"]), 3), ratio_is="consent / contract", **common,
             db_select1_us=round(roundtrip, 3),
             note="privacy.open(users.phone, for_=marketing_sms), the subject's first in its transaction: one indexed "
                  "consent-ledger query and an HMAC (db_select1_us: a bare SELECT 1 round trip, measured after)"),
        emit("consent.open_consent_purpose_again", d, "us/opening", baseline=round(b, 3), **common,
             note="privacy.open(users.phone, for_=marketing_sms) of a subject already checked in this transaction"),
        emit("consent.open_all_consent_purpose", c, "us/value", baseline=round(b, 3), batch=BATCH, **common,
             note=f"privacy.open_all of {BATCH} subjects' phones for marketing_sms: one ledger query per batch"),
    ]
