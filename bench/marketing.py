"""A marketing campaign to 100,000 users on all five channels, 30% opted out per channel (issue 11).

Setup (not timed): a throwaway PostgreSQL database; N active customers inserted set-based (random bytes in their
personal columns: nothing opens them); the consent ledger gets, per channel, a grant for every user and a withdrawal
for 25% of them (records with their real HMACs, bulk-copied). A campaign on all channels, segment "everyone".

Measured:
* `marketing.queue_rate`: `Marketing.queue` — the audience, the live consents per channel (one ledger query per 1,000
  accounts), the delivery rows in batches of 1,000, one job per batch queued after the commit — messages queued per
  second, end to end.
* then another 5% per channel withdraw (ledger records written straight in, as a withdrawal that lands after the
  campaign was queued: nothing marks the waiting deliveries, so only the check at hand-over can stop them), 30% in all;
* `marketing.send_rate`: the queued jobs run as the worker runs them (dequeued from the Huey queue, executed), each
  checking the consents of its batch at hand-over: messages handed over per second.
* `marketing.sent_to_opted_out`: messages handed to an opted-out channel; the benchmark fails unless it is 0, and
  unless every account with a live consent got its message on that channel.

The SMS, call, e-mail and push gateways are counting fakes that record whom they were handed a message for (the
users' personal columns are random bytes); the in-app channel is the real one (rows in marketing_inbox). The clock is
a fixed daytime in China, so quiet hours defer nothing. JIDI_BENCH_MARKETING_USERS overrides N (100,000; 2,000 in
smoke mode).
"""
from __future__ import annotations

import datetime as dt
import os
import random
import time
import uuid
from pathlib import Path

import psycopg

from bench.harness import emit, log, settings_for, size, throwaway_database
from jidi.bootstrap import bootstrap
from jidi.marketing.channels import CHINA, Channel
from jidi.marketing.service import notice
from jidi.marketing.senders import _Inbox
from jidi.privacy import Actor, Role
from jidi.privacy.consent import _mac
from jidi.privacy.models import ConsentRecord

BEFORE, AFTER = 0.25, 0.05  # opted out before the campaign is queued, and between queueing and sending


class CountingGateway:
    def __init__(self):
        self.users: list[uuid.UUID] = []

    def send(self, s, user_id, campaign_id, text, reference, now) -> bool:
        self.users.append(user_id)
        return True


class InboxCounter(_Inbox):
    def __init__(self):
        self.users: list[uuid.UUID] = []

    def send(self, s, user_id, campaign_id, text, reference, now) -> bool:
        self.users.append(user_id)
        return super().send(s, user_id, campaign_id, text, reference, now)


def _daytime() -> dt.datetime:
    return dt.datetime.now(CHINA).replace(hour=10, minute=0, second=0, microsecond=0).astimezone(dt.timezone.utc)


def _copy_records(url: str, c, records: list[tuple[uuid.UUID, Channel, str, str]], at: dt.datetime) -> None:
    """Ledger records (subject, channel, action, text hash) with their real MACs, bulk-copied in this order."""
    key = c.consents._mac_key
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY consent_ledger (subject, topic, action, version, text_sha256, how, how_ref, at, nonce, mac) FROM STDIN") as cp:
            for uid, ch, action, digest in records:
                rec = ConsentRecord(subject=c.consents.pseudonym(uid), topic=ch.purpose.value, action=action,
                                    version=notice(ch, "zh_CN").version, text_sha256=digest if action == "grant" else None,
                                    how="page", how_ref="bench", at=at, nonce=None)
                cp.write_row((rec.subject, rec.topic, rec.action, rec.version, rec.text_sha256, rec.how, rec.how_ref, rec.at,
                              None, _mac(key, rec)))
        conn.commit()


def run(tmp: Path) -> None:
    n = int(os.environ.get("JIDI_BENCH_MARKETING_USERS", "2000" if size().mode == "smoke" else "100000"))
    rng = random.Random(11)
    with throwaway_database() as url:
        settings = settings_for(url, tmp).model_copy(update={"queue_url": f"sqlite:///{tmp / 'marketing-queue.db'}"})
        now = _daytime()
        c = bootstrap(settings, clock=lambda: now)
        try:
            t = time.perf_counter()
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("""
                    INSERT INTO users (id, role, status, phone, phone_bidx, created_at, updated_at)
                    SELECT gen_random_uuid(), 'customer', 'active', uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()),
                           sha256(uuid_send(gen_random_uuid())), now(), now()
                    FROM generate_series(1, %(n)s)""", {"n": n})
                users = [r[0] for r in conn.execute("SELECT id FROM users WHERE role = 'customer' ORDER BY id")]
            with c.uow() as s:
                digests = {ch: c.consents.keep_text(s, notice(ch, "zh_CN")) for ch in Channel}
            grants = [(u, ch, "grant", digests[ch]) for ch in Channel for u in users]
            out_before = {ch: set(rng.sample(users, int(n * BEFORE))) for ch in Channel}
            _copy_records(url, c, grants + [(u, ch, "withdraw", "") for ch in Channel for u in sorted(out_before[ch])],
                          now - dt.timedelta(days=1))
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
            setup_s = time.perf_counter() - t
            log(f"marketing: {n} users, {len(grants)} grants, 25% withdrawn per channel ({setup_s:.1f} s)")

            admin = Actor(c.accounts.create_staff(Role.ADMIN, "bench-admin", "Bench-admin-2026")[0], Role.ADMIN)
            cid = c.marketing.create(admin, "bench", c.marketing.segment(None, None), [ch.value for ch in Channel],
                                     "双十二寄件八折", "20% off parcels")
            fakes = {ch: CountingGateway() for ch in Channel if ch is not Channel.IN_APP}
            inbox = InboxCounter()
            c.marketing.senders = {**fakes, Channel.IN_APP: inbox}

            t = time.perf_counter()
            queued = c.marketing.queue(admin, cid)
            queue_s = time.perf_counter() - t
            emit("marketing.queue_rate", queued / queue_s, "messages/s", messages=queued, users=n, channels=len(Channel),
                 seconds=round(queue_s, 2), opted_out_before=BEFORE,
                 note="audience, live consents per 1,000 accounts per channel, delivery rows, one job per 1,000 queued after commit")

            still = {ch: [u for u in users if u not in out_before[ch]] for ch in Channel}
            out_after = {ch: set(rng.sample(still[ch], int(n * AFTER))) for ch in Channel}
            _copy_records(url, c, [(u, ch, "withdraw", "") for ch in Channel for u in sorted(out_after[ch])], now)

            t = time.perf_counter()
            jobs = 0
            while (task := c.queue.dequeue()) is not None:
                c.queue.execute(task)
                jobs += 1
            send_s = time.perf_counter() - t
            got = {ch: fakes[ch].users if ch in fakes else inbox.users for ch in Channel}
            sent = sum(len(v) for v in got.values())
            wrong = {ch.value: len(set(got[ch]) & (out_before[ch] | out_after[ch])) for ch in Channel}
            emit("marketing.send_rate", sent / send_s, "messages/s", messages=sent, jobs=jobs, seconds=round(send_s, 2),
                 opted_out_after_queueing=AFTER, note="each job checks its batch's consents at hand-over; gateways are counting fakes, in-app real")
            emit("marketing.sent_to_opted_out", sum(wrong.values()), "messages", per_channel=wrong,
                 opted_out_per_channel=round(BEFORE + AFTER, 2), setup_s=round(setup_s, 1))
            assert sum(wrong.values()) == 0, f"messages sent to an opted-out channel: {wrong}"
            for ch in Channel:
                expected = set(users) - out_before[ch] - out_after[ch]
                assert set(got[ch]) == expected and len(got[ch]) == len(expected), f"{ch.value}: not every live consent got its message"
            counts = c.marketing.counts(cid)
            assert counts.get("no_consent") == len(Channel) * int(n * AFTER), counts
        finally:
            c.engine.dispose()
