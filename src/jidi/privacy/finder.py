"""Finding rows by a personal value: the lookups features make, named by the model's column.

A personal column declared with a blind index (`personal(..., blind_index="phone")` beside `phone_bidx =
blind_index("phone")`), or an index column of its own (`SmsCode.phone_bidx`), is looked up by its value:
`finder.where(User.phone, phone)` is `User.phone_bidx == <keyed hash of phone in the column's domain>`. The domain
comes from the model's declaration (the catalog), so a feature neither holds the hashing key nor names a domain; and
`one` never returns a subject erased on request whose row a restored backup brought back.
"""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from jidi.privacy.sealing import subject_column
from jidi.privacy.vault import Vault


def _index_of(column: InstrumentedAttribute[Any]) -> tuple[InstrumentedAttribute[Any], str]:
    """The blind-index column of a personal column (or the index column itself) and its domain."""
    info = column.property.columns[0].info
    if domain := info.get("blind_index"):
        return column, str(domain)
    spec = info.get("personal")
    if spec is None or not spec.blind_index:
        raise TypeError(f"{column} has no blind index: it cannot be looked up by value")
    index: InstrumentedAttribute[Any] = getattr(column.class_, column.key + "_bidx")
    return index, str(spec.blind_index)


class Finder:
    """Lookups by personal value, through the vault's keyed blind index (one per deployment: `Container.finder`)."""

    def __init__(self, vault: Vault):
        self._vault = vault

    def index(self, column: InstrumentedAttribute[Any], value: str) -> bytes:
        """The keyed index `column` holds for `value`: to store in an index-only column, or to hand another feature's
        service (the phone index is how features name a person's number to each other)."""
        _, domain = _index_of(column)
        return self._vault.blind_index(domain, value)

    def where(self, column: InstrumentedAttribute[Any], value: str) -> ColumnElement[bool]:
        """The condition `column holds value`, e.g. `select(WechatLink).where(finder.where(WechatLink.openid, openid))`."""
        index, domain = _index_of(column)
        return index == self._vault.blind_index(domain, value)

    def one(self, s: Session, column: InstrumentedAttribute[Any], value: str, *, include_erased: bool = False) -> Any:
        """The row of `column`'s model whose column holds `value` (a unique index), or None. A subject erased on request
        is no one, even while a restored backup still holds the row (until the erasure is re-applied), unless
        `include_erased` (e.g. the value is taken all the same)."""
        model = cast(type[Any], column.class_)
        row = s.scalar(select(model).where(self.where(column, value)))
        if row is not None and not include_erased and self._vault.is_erased(getattr(row, subject_column(row))):
            return None
        return row


__all__ = ["Finder"]
