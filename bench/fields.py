"""Per-field cost of the vault in the steady state (subject keys already unwrapped and cached).

seal = Vault.set on users.phone: AES-256-GCM under the subject's data key plus the HMAC-SHA256 blind index.
open = Vault.get + Vault.use on the same field. Each is measured with the real cipher and the no-op cipher.
"""
from __future__ import annotations

import gc
import time
import uuid

from sqlalchemy import event

from bench.harness import Phones, Variant, emit, interleave, log, median, paired_ratio, size
from jidi.accounts.models import User
from jidi import privacy
from jidi.privacy import Actor, Personal, Purpose


def _subjects(v: Variant, n: int, phones: Phones) -> list[tuple[User, str]]:
    """n users whose subject keys exist in the database and sit in the vault's key cache."""
    users = []
    with v.container.uow() as s:
        for _ in range(n):
            user = User(id=uuid.uuid4(), role="customer", status="active")
            v.container.vault.create_subject(s, user.id)
            users.append((user, phones()))
    for user, _ in users:  # the commit put each key in the cache
        assert v.container.vault._cache.get(user.id) is not None, "subject key not cached after commit"
    return users


def _timed(fn) -> float:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        fn()
        return time.perf_counter_ns() - t0
    finally:
        gc.enable()


def run(on: Variant, off: Variant, phones: Phones) -> list[dict]:
    sz = size()
    log(f"fields: {sz.field_rounds} rounds x {sz.field_ops} seals/opens per cipher")
    work = {}
    for v in (on, off):
        users = _subjects(v, sz.field_subjects, phones)
        ops = [users[i % len(users)] for i in range(sz.field_ops)]
        work[v.label] = (v, v.container.sessions(), ops)

    spec = on.container.catalog.spec("users", "phone")
    system = Actor.system()

    def seal(label):
        """What a flush does for each personal field: encrypt under the subject's key, and the blind index."""
        v, s, ops = work[label]
        vault = v.container.vault

        def go():
            for user, phone in ops:
                vault.seal(s, phone, spec, user.id, user.id)
                vault.blind_index(spec.blind_index, phone)
        return lambda: _timed(go) / len(ops) / 1000  # µs per field

    def open_(label):
        """A value as a row loads it (sealed bytes, key known), opened through the one API: decrypt."""
        v, s, ops = work[label]
        vault = v.container.vault
        sealed = [vault.seal(s, phone, spec, user.id, user.id) for user, phone in ops]

        def go():
            for value in sealed:
                privacy.open(Personal(None, spec, value._row_ref, value._seal), for_=Purpose.LOGIN, actor=system)
        return lambda: _timed(go) / len(ops) / 1000

    # Steady state means no database work at all: count the statements while measuring.
    statements = 0

    def count(*_a, **_k):
        nonlocal statements
        statements += 1

    engine = on.container.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for label in (on.label, off.label):  # warm up, and make sure each cipher opens what it sealed
            seal(label)()
            v, s, ops = work[label]
            user, phone = ops[-1]
            value = v.container.vault.seal(s, phone, spec, user.id, user.id)
            assert privacy.open(Personal(None, spec, value._row_ref, value._seal), for_=Purpose.LOGIN, actor=system) == phone
            open_(label)()
        seals = interleave({on.label: seal(on.label), off.label: seal(off.label)}, sz.field_rounds)
        opens = interleave({on.label: open_(on.label), off.label: open_(off.label)}, sz.field_rounds)
    finally:
        event.remove(engine, "before_cursor_execute", count)
        for _, s, _ in work.values():
            s.close()
    assert statements == 0, f"{statements} SQL statements ran during the per-field benchmark: keys were not cached"

    lines = []
    for name, what, results in (
        ("vault.seal_per_field", "sealing users.phone at flush: encrypt + HMAC blind index", seals),
        ("vault.open_per_field", "privacy.open(users.phone) of a loaded value: decrypt", opens),
    ):
        a, b = median(results[on.label]), median(results[off.label])
        lines.append(emit(
            name, a, "us/field", baseline=round(b, 3), ratio=round(paired_ratio(results[on.label], results[off.label]), 3),
            ratio_is=f"{on.label} time / {off.label} time", variant=on.label, baseline_variant=off.label,
            crypto_us=round(a - b, 3), rounds=sz.field_rounds, ops_per_round=sz.field_ops,
            note=f"{what}; subject keys cached (0 SQL statements while measuring); median of rounds, "
                 f"{on.label} and {off.label} interleaved",
        ))
    return lines
