"""The declarations of the retention schedule, made on the models: what happens to a table's rows when their time
is up (`__retention__ = Retained(...)`, or `PartOf(...)` for rows that go with another table's row).

A low module of its own, so that any model (the event outbox's included) can declare its retention; `jidi.retention`
collects the declarations and sweeps, and the privacy core re-exports them beside the catalog's `Retention`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable


class Action(enum.StrEnum):
    """What happens to a table's rows when their time is up."""

    DELETE = "delete"        # the retention sweep deletes them
    ANONYMISE = "anonymise"  # the sweep counts them into anonymous statistics (the owning feature's hook), then deletes
    ACCOUNT = "account"      # the account's cancellation purge takes them (jidi.rights)
    OWNER = "owner"          # the feature that owns the table deletes them on its own clock
    KEEP = "keep"            # kept: not personal, or kept by law or design


SWEPT = (Action.DELETE, Action.ANONYMISE)
BY_ACCOUNT_PURGE = "account cancellation (rights package, JD-5.2.1b)"


def setting_days(name: str) -> Callable[[object], dt.timedelta]:
    """A period configured in days by the setting `name` (`jidi.config.Settings`)."""
    return lambda settings: dt.timedelta(days=getattr(settings, name))


@dataclasses.dataclass(frozen=True)
class Retained:
    """One line of the retention schedule, declared on the model whose rows it is about (`__retention__`, one or a
    tuple). `jidi.retention` collects the declarations: the sweep applies those it is the actor of (`SWEPT`), and
    `jidi retention schedule` prints them all.

    A row is due when one of its `clock` columns is older than now − `period` and `where(cutoff)`, if given, holds.
    The data keys of its subjects (column `shreds`) are shredded with it: when deleted, those no other row still
    uses; when anonymised, all (an order's subjects are its own). `anonymise` names the owning feature's hook,
    "module:function", which returns the INSERT … SELECT that counts a batch of due rows (a selectable with the
    table's columns) into anonymous statistics. `overdue` names a count the sweep reports, and the rows it counts:
    rows past the period that the rule does not touch (kept on purpose, or in flight), for a person to look into.
    """

    name: str
    after: str                   # the end event, in words
    action: Action
    zh: str
    en: str
    clock: str | tuple[str, ...] = ()
    period: dt.timedelta | Callable[[object], dt.timedelta] | None = None
    where: Callable[[dt.datetime], object] | None = None
    shreds: str | None = None
    anonymise: str | None = None
    overdue: tuple[str, Callable[[dt.datetime], object]] | None = None
    by: str = "jidi.retention"
    catalog_after: tuple[str, ...] = ()  # the catalog `Retention.after` events it enforces for the table's fields

    @property
    def clocks(self) -> tuple[str, ...]:
        return (self.clock,) if isinstance(self.clock, str) else self.clock

    def period_of(self, settings) -> dt.timedelta | None:
        return self.period(settings) if callable(self.period) else self.period


@dataclasses.dataclass(frozen=True)
class PartOf:
    """The rows of a model that are part of a row of `table` (`__retention__ = PartOf(...)`): they go with it, matched
    on `link` (this table's column -> that table's column), and their subjects' keys (`shreds`) are shredded."""

    table: str
    link: dict[str, str] = dataclasses.field(default_factory=dict)
    shreds: str | None = None
