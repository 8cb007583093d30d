"""`Personal`: a personal value that shows itself masked everywhere it can leak.

str(), repr(), format(), logging, Jinja2/markupsafe rendering and pydantic/JSON serialisation all give the
masked form. The plaintext is only handed out by the privacy core (`Vault.use` / `Vault.reveal`), which
checks the purpose against the catalog. A Personal refuses to be pickled, so it cannot slip into a job queue.
"""
from __future__ import annotations

from typing import Any, NoReturn

from markupsafe import escape
from pydantic_core import core_schema

from jidi.privacy.catalog import FieldSpec
from jidi.privacy.masking import mask


class Personal:
    __slots__ = ("_plain", "spec", "_row_ref")

    def __init__(self, plain: str, spec: FieldSpec, row_ref: tuple[str, str] | None = None):
        self._plain = plain
        self.spec = spec
        # (subject id, row id) as strings, so an audit record can name whose value was opened.
        self._row_ref = row_ref

    @property
    def masked(self) -> str:
        return mask(self.spec.mask, self._plain)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"<Personal {self.spec.key} {self.masked}>"

    def __format__(self, format_spec: str) -> str:
        return format(self.masked, format_spec)

    def __html__(self) -> str:
        return str(escape(self.masked))

    def __reduce__(self) -> NoReturn:
        raise TypeError("personal values cannot be pickled; pass ids to jobs, not values")

    def __eq__(self, other: object) -> bool:
        raise TypeError("compare personal values through their blind index, not their plaintext")

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def __get_pydantic_core_schema__(cls, _source: Any, _handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.masked, when_used="always"),
            json_schema_input_schema=core_schema.str_schema(),
        )

    @classmethod
    def _validate(cls, value: Any) -> "Personal":
        if isinstance(value, cls):
            return value
        raise TypeError("a Personal value comes only from the privacy core")
