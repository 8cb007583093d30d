"""The composition root: builds the container of real (or, in tests, fake) adapters from settings."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from jidi import models
from jidi.config import Settings
from jidi.db import make_engine, make_session_factory, unit_of_work, utcnow
from jidi.events import EventBus
from jidi.jobs import make_queue, register_tasks
from jidi.notify.providers import SMS_GATEWAY, SmsProvider, provider_for
from jidi.ratelimit import RateLimiter
from jidi.privacy import AuditLog, Catalog, DataMap, Secrets, ShareRegister, Vault, load_key_ring, open_ledger


@dataclasses.dataclass
class Container:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalog: Catalog
    vault: Vault
    audit: AuditLog
    shares: ShareRegister
    secrets: Secrets
    sms: SmsProvider
    wechat: object
    clock: Callable[[], dt.datetime]
    limiter: RateLimiter
    queue: object = None
    tasks: object = None
    events: object = None
    notifier: object = None
    accounts: object = None
    addressbook: object = None
    shipping: object = None
    tracking: object = None
    family: object = None
    lookup: object = None
    datamap: object = None
    workdays: object = None
    rights: object = None
    retention: object = None

    def uow(self) -> AbstractContextManager[Session]:
        return unit_of_work(self.sessions)

    def reapply_tombstones(self) -> tuple[int, int]:
        """Shred and erase again everyone erased since a restored backup was taken: run before serving or working.
        Returns (data keys shredded, accounts erased)."""
        from jidi.privacy.tombstones import reapply  # noqa: PLC0415

        return reapply(self.uow, self.vault, self.datamap, self.clock())


def bootstrap(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    cipher=None,
    sms: SmsProvider | None = None,
    wechat=None,
    clock: Callable[[], dt.datetime] = utcnow,
) -> Container:
    from jidi.accounts.service import Accounts  # noqa: PLC0415
    from jidi.accounts.wechat import SimulatedWechat  # noqa: PLC0415
    from jidi.addressbook.service import AddressBook  # noqa: PLC0415
    from jidi.family.lookup import Lookup  # noqa: PLC0415
    from jidi.family.service import Family  # noqa: PLC0415
    from jidi.notify.service import Notifier  # noqa: PLC0415
    from jidi.shipping.service import Shipping  # noqa: PLC0415
    from jidi.retention.sweep import RetentionSweep  # noqa: PLC0415
    from jidi.rights.service import Rights  # noqa: PLC0415
    from jidi.tracking.service import Tracking  # noqa: PLC0415
    from jidi.workdays.calendar import WorkdayCalendar  # noqa: PLC0415

    settings = settings or Settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = engine or make_engine(settings.database_url)
    keys = load_key_ring(settings.key_source, development=settings.env != "production")
    catalog = Catalog.from_base(models.Base)
    ledger = open_ledger(settings.ledger_url, settings.tombstone_path)
    vault = Vault(keys, catalog, cipher, ledger.tombstones)
    sms = sms or provider_for(settings.sms_provider)
    c = Container(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        catalog=catalog,
        vault=vault,
        audit=AuditLog(keys, ledger.checkpoints),
        # Every recipient declared, with where its deletion notices go.
        shares=ShareRegister(catalog, vault.pseudonym, vault.blind_index, {SMS_GATEWAY.key: sms}),
        secrets=Secrets(keys),
        sms=sms,
        wechat=wechat or SimulatedWechat(),
        clock=clock,
        limiter=RateLimiter(settings.redis_url, clock=clock),
    )
    vault.attach(c.sessions)
    c.queue = make_queue(settings.queue_url, settings.var_dir)
    c.tasks = register_tasks(c.queue, c)
    c.events = EventBus(c)
    c.notifier = Notifier(c)
    c.accounts = Accounts(c)
    c.addressbook = AddressBook(c)
    c.shipping = Shipping(c)
    c.tracking = Tracking(c)
    c.family = Family(c)
    c.lookup = Lookup(c)
    c.datamap = DataMap(models.Base, catalog, c.shares)
    c.workdays = WorkdayCalendar(c.sessions)
    c.rights = Rights(c)
    c.retention = RetentionSweep(c)
    return c
