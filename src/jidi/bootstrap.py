"""The composition root: builds the container of real (or, in tests, fake) adapters from settings."""
from __future__ import annotations

import dataclasses
import functools
import importlib
import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from huey.api import Huey
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from jidi import models
from jidi.config import Settings
from jidi.db import make_engine, make_session_factory, unit_of_work, utcnow
from jidi.events import EventBus
from jidi.features import registered
from jidi.i18n import china_day
from jidi.jobs import make_queue, register_tasks
from jidi.kit.feature import Feature, resolve
from jidi.notify.providers import SMS_GATEWAY, SmsProvider, provider_for
from jidi.privacy import (
    AuditLog, Catalog, Consents, DataMap, Finder, PolicySource, Secrets, SettingsPolicy, ShareRegister, Vault, load_key_ring,
    open_ledger,
)
from jidi.privacy.consent import refuse_bulk_changes
from jidi.ratelimit import RateLimiter

if TYPE_CHECKING:
    from jidi.accounts.service import Accounts
    from jidi.accounts.wechat import WechatProvider
    from jidi.addressbook.service import AddressBook
    from jidi.consents.service import ConsentCenter
    from jidi.family.lookup import Lookup
    from jidi.family.service import Family
    from jidi.notify.service import Notifier
    from jidi.retention.sweep import RetentionSweep
    from jidi.policy.service import Policies
    from jidi.rights.service import Rights
    from jidi.shipping.service import Shipping
    from jidi.tracking.service import Tracking
    from jidi.workdays.calendar import WorkdayCalendar


@dataclasses.dataclass
class Container:
    """The adapters built from settings, then each feature's services (set by `bootstrap` from the declarations)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalog: Catalog
    vault: Vault
    finder: Finder
    audit: AuditLog
    shares: ShareRegister
    consents: Consents
    secrets: Secrets
    sms: SmsProvider
    wechat: WechatProvider
    clock: Callable[[], dt.datetime]
    limiter: RateLimiter
    # The registered features' declarations (jidi.features), for services that read what every feature declares (SMS
    # templates, labels, links) without importing any.
    features: tuple[Feature, ...]
    queue: Huey = dataclasses.field(init=False)
    tasks: SimpleNamespace = dataclasses.field(init=False)
    events: EventBus = dataclasses.field(init=False)
    datamap: DataMap = dataclasses.field(init=False)
    # The features' services, one per entry of their declarations' `services` (tests/test_features.py checks that each
    # attribute here is one). Typed for the checker only: the layers keep features out of this module's imports.
    # A new feature's services need no line here (its diff stays in its package); they are typed once listed.
    notifier: Notifier = dataclasses.field(init=False)
    accounts: Accounts = dataclasses.field(init=False)
    addressbook: AddressBook = dataclasses.field(init=False)
    consent_center: ConsentCenter = dataclasses.field(init=False)
    shipping: Shipping = dataclasses.field(init=False)
    tracking: Tracking = dataclasses.field(init=False)
    family: Family = dataclasses.field(init=False)
    lookup: Lookup = dataclasses.field(init=False)
    workdays: WorkdayCalendar = dataclasses.field(init=False)
    rights: Rights = dataclasses.field(init=False)
    policy: Policies = dataclasses.field(init=False)
    retention: RetentionSweep = dataclasses.field(init=False)

    if TYPE_CHECKING:
        def __getattr__(self, name: str) -> Any: ...  # a service of a feature not listed above (set by bootstrap)

    def uow(self) -> AbstractContextManager[Session]:
        return unit_of_work(self.sessions)

    def reapply_tombstones(self) -> tuple[int, int]:
        """Shred and erase again everyone erased since a restored backup was taken: run before serving or working.
        Returns (data keys shredded, accounts erased)."""
        from jidi.privacy.tombstones import reapply  # noqa: PLC0415

        return reapply(self.uow, self.vault, self.datamap, self.clock(), events=self.events)


def bootstrap(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    cipher=None,
    sms: SmsProvider | None = None,
    wechat=None,
    clock: Callable[[], dt.datetime] = utcnow,
    policy: PolicySource | None = None,
) -> Container:
    from jidi.accounts.wechat import SimulatedWechat  # noqa: PLC0415

    settings = settings or Settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = engine or make_engine(settings.database_url)
    keys = load_key_ring(settings.key_source, development=settings.env != "production")
    catalog = Catalog.from_base(models.Base)
    ledger = open_ledger(settings.ledger_url, settings.tombstone_path)
    vault = Vault(keys, catalog, cipher, ledger.tombstones)
    sms = sms or provider_for(settings.sms_provider)
    consents = Consents(keys, Secrets(keys), clock, policy or SettingsPolicy(lambda: settings.policy_version))
    c = Container(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        catalog=catalog,
        vault=vault,
        finder=Finder(vault),
        audit=AuditLog(keys, ledger.checkpoints),
        # Every recipient declared, with where its deletion notices go.
        # Abroad only under a reviewed transfer (the settings, read when it matters) and the person's separate consent.
        shares=ShareRegister(catalog, vault.pseudonym, vault.blind_index, {SMS_GATEWAY.key: sms},
                             transfers=lambda: _transfers(settings), consent_live=consents.is_live),
        # The privacy policy's current version and text: from the settings until the policy package provides them.
        consents=consents,
        secrets=Secrets(keys),
        sms=sms,
        wechat=wechat or SimulatedWechat(),
        clock=clock,
        # Counts by keyed hashes only: the limiter hashes client addresses, waybill numbers and login names itself.
        limiter=RateLimiter(settings.redis_url, hasher=vault.blind_index, clock=clock),
        features=registered(),
    )
    vault.attach(c.sessions)
    refuse_bulk_changes(c.sessions)
    c.queue = make_queue(settings.queue_url, settings.var_dir)
    c.tasks = register_tasks(c.queue, c)
    c.events = EventBus(c)
    c.datamap = DataMap(models.Base, catalog, c.shares)
    # Each feature's services, as its declaration lists them (jidi.kit.feature); its event handlers register on import.
    for feature in registered():
        for attribute, factory in feature.services.items():
            setattr(c, attribute, resolve(factory)(c))
        for module in feature.handlers:
            importlib.import_module(module)
        if feature.on_withdrawal:
            handler = functools.partial(resolve(feature.on_withdrawal), c)
            for topic in feature.consent_purposes:
                c.consents.on_withdrawal(topic, handler)
    _check_residency(settings, clock)
    return c


def _transfers(settings: Settings) -> list:
    """The declared cross-border transfers; ResidencyError when one cannot be read."""
    from jidi.privacy import residency  # noqa: PLC0415

    try:
        return [residency.Transfer.parse(raw) for raw in settings.cross_border_transfers]
    except ValueError as err:
        raise residency.ResidencyError([str(err)]) from err


def _check_residency(settings: Settings, clock: Callable[[], dt.datetime]) -> None:
    """Refuse to start when personal data would leave mainland China without a declared, reviewed transfer."""
    from jidi.privacy import residency  # noqa: PLC0415
    from jidi.privacy.sharing import RECIPIENTS  # noqa: PLC0415

    transfers = _transfers(settings)
    today = china_day(clock())
    problems = residency.check(settings.storage_country, [(r.key, r.country) for r in RECIPIENTS.values()], transfers, today)
    if problems:
        raise residency.ResidencyError(problems)
