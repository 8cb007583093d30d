"""A feature's declaration: everything it brings to jidi, stated once as `feature = Feature(...)` in its package's
`__init__.py`. The app assembly (jidi.features) finds the declarations and wires them: tables, services, routes,
jobs, event handlers, templates and commands. Adding a feature touches its own package, its migration and its
translations, nothing else.

Parts are named as "module:attribute" strings and imported only when the assembly asks for them, so declaring a
feature imports nothing: reading `jidi.shipping.states` does not pull in the shipping API and its routes. (The demo
data of the first features is one story across them and stays with the app assembly, in jidi.demo; a feature added
later brings its own part through `demo`.)
"""
from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from jidi.kit.permissions import Permission


@dataclasses.dataclass(frozen=True)
class Link:
    """An entry a feature adds to a shared page's list: 我的 (/me, `page="me"`) or the staff console (`page="staff"`).
    Titles and notes are English gettext ids (`N_`), shown in the reader's language."""

    title: str
    url: str
    section: str = "account"  # /me: "parcels", "account" or "settings"; the staff console: "actions"
    order: int = 50  # place within its section, smallest first
    note: str = ""  # the line under the title (a gettext id)
    # "module:function"; function(container, user_id) -> a number or text shown under the title instead of the note.
    count: str | None = None
    testid: str = ""
    page: str = "me"
    roles: tuple[str, ...] = ()  # staff console: the staff roles (jidi.privacy.Role values) that see it


@dataclasses.dataclass(frozen=True)
class SmsTemplate:
    """A text message the feature sends through jidi.notify, by name: an English gettext id with {placeholders}
    (translated in the .po files, so both languages are declared), e.g. SmsTemplate("route_delivered", N_("…"))."""

    name: str
    text: str
    # A verification code's purpose this template sends the code for (jidi.accounts: request_code(…, purpose)).
    code_purpose: str = ""


@dataclasses.dataclass(frozen=True)
class Setting:
    """A setting only this feature reads: read from the environment variable JIDI_<NAME>, exposed by jidi.config as
    `settings.<name>` (`c.settings.<name>`), and listed in the README's configuration table (a test compares)."""

    name: str
    type: Any  # int, bool, str, Literal[...], Path…
    default: Any
    description: str  # for the README table: what it does (English)
    ge: int | None = None
    le: int | None = None
    # The default per operator profile (JIDI_OPERATOR), when the brands differ; the default above otherwise.
    by_operator: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    check: Callable[[Any], object] | None = None  # raises ValueError for a value the type allows but jidi refuses

    @property
    def env(self) -> str:
        return f"JIDI_{self.name.upper()}"


@dataclasses.dataclass(frozen=True)
class Feature:
    name: str  # the package under jidi
    # (zh, en): what people call it, e.g. in the privacy policy's collection list ("营销消息", "Marketing messages").
    title: tuple[str, str] | tuple[()] = ()
    models: tuple[str, ...] = ()  # modules whose tables the feature owns
    # Container attribute → "module:factory"; factory(container) builds the service. Services find each other
    # through the container when called, so they are built in any order.
    services: Mapping[str, str] = dataclasses.field(default_factory=dict)
    needs: tuple[str, ...] = ()  # features whose services this one calls: they must be registered too
    api: tuple[str, ...] = ()  # "module:router" of the JSON API, mounted under /api/v1
    pages: tuple[str, ...] = ()  # "module:router" of server-rendered pages
    jobs: str | None = None  # "module:register"; register(queue, container) -> {name: task}
    handlers: tuple[str, ...] = ()  # modules whose @handles register the feature's event handlers
    templates: bool = False  # the package has a templates/ folder of page templates
    cli: tuple[str, ...] = ()  # "module:command": click commands and groups added to `jidi`
    # "module:load"; load(container, demo_customer_id) -> lines to print (or None), after jidi.demo's own story.
    # It makes only what is missing, as jidi.demo does: `jidi demo` run twice adds nothing.
    demo: str | None = None
    # Hooks for what the privacy work declares per feature (empty until it does): retention rules of the feature's
    # tables, the recipients it shares personal data with, the purposes it asks consent for.
    retention: tuple[Any, ...] = ()
    recipients: tuple[Any, ...] = ()
    # The consent topics the feature asks for (jidi.privacy Purpose on consent, Separate, Agreement), and the
    # "module:function" called as function(container, session, subject_id, topic) when one of them is withdrawn, in
    # the withdrawal's transaction: it stops what the consent allowed (what was done before stays, JD-6.4.3b).
    consent_purposes: tuple[Any, ...] = ()
    on_withdrawal: str | None = None
    # The device permissions its pages ask the browser for (jidi.kit.permissions.Permission: kind, purpose, page):
    # a script its templates load may use no permission API the feature does not declare (JD-6.6a).
    permissions: tuple[Permission, ...] = ()
    # Labels of the non-personal facts shown with the feature's rows in a person's copy of their data ("my data"):
    # "table.column" (or a column name, for every table of the feature) -> English gettext id. Personal columns need
    # none: the catalog's personal(...) names them. Columns the kit's shared vocabulary names (created_at, status…;
    # jidi.rights.export.COLUMN_LABELS) need none either.
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    links: tuple[Link, ...] = ()  # entries on 我的 (/me) and the staff console
    sms: tuple[SmsTemplate, ...] = ()  # the text messages it sends
    settings: tuple[Setting, ...] = ()  # the settings only it reads

    @property
    def package(self) -> str:
        return f"jidi.{self.name}"

    def tables(self) -> tuple[str, ...]:
        """The names of the tables the feature's models define."""
        from jidi.db import Base  # noqa: PLC0415  (the models register on it when their modules are imported)

        for module in self.models:
            importlib.import_module(module)
        return tuple(sorted(m.class_.__tablename__ for m in Base.registry.mappers if m.class_.__module__ in self.models))

    @property
    def template_dir(self) -> Path | None:
        if not self.templates:
            return None
        file = importlib.import_module(self.package).__file__
        assert file is not None  # a feature is a regular package, loaded from a file
        return Path(file).parent / "templates"


def links_for(features: Iterable[Feature], page: str, *, role: str | None = None, own: Iterable[Link] = ()) -> list[Link]:
    """The entries the features (and the page itself: `own`) declare for a page ("me", "staff"), in order; on the
    staff console only those the role sees."""
    found = [link for link in (*own, *(link for f in features for link in f.links))
             if link.page == page and (role is None or role in link.roles)]
    return sorted(found, key=lambda link: (link.order, link.url))


def resolve(ref: str) -> Any:
    """The object a "module:attribute" reference names."""
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)
