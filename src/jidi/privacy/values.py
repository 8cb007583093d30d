"""`Personal`: a personal value that shows itself masked everywhere it can leak.

str(), repr(), format(), logging, Jinja2/markupsafe rendering and pydantic/JSON serialisation all give the
masked form. The plaintext is only handed out by the privacy core's one opening API (`jidi.privacy.open`), which
checks the purpose against the catalog. A Personal refuses to be pickled, so it cannot slip into a job queue.

A value read from a row is opened lazily: it holds its sealed bytes (`_seal`, see jidi.privacy.sealing) until
its plaintext is first needed, so rows can be loaded without decrypting fields nobody looks at.
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, NoReturn

from markupsafe import escape
from pydantic_core import core_schema
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

from jidi.privacy.masking import mask

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

    from jidi.privacy.catalog import FieldSpec
    from jidi.privacy.sealing import Seal


class Personal:
    __slots__ = ("_text", "spec", "_row_ref", "_seal")

    def __init__(self, plain: str | None, spec: FieldSpec, row_ref: tuple[str, str] | None = None,
                 seal: Seal | None = None):
        self._text = plain
        self.spec = spec
        # (subject id, row id) as strings, so an audit record can name whose value was opened.
        self._row_ref = row_ref
        self._seal = seal

    @property
    def _plain(self) -> str:
        if self._text is None:
            assert self._seal is not None  # a value without plaintext was read from a row, so it has its seal
            self._text = self._seal.open()
        return self._text

    @property
    def readable(self) -> bool:
        """False once the subject's key is shredded (erased): the value can no longer be opened or shown."""
        from jidi.privacy.sealing import SubjectShredded  # noqa: PLC0415

        try:
            self._plain  # noqa: B018  (reading it opens it)
        except SubjectShredded:
            return False
        return True

    @property
    def subject_id(self) -> uuid.UUID | None:
        return uuid.UUID(self._row_ref[0]) if self._row_ref else None

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


class Sealed(TypeDecorator[bytes]):
    """The column type of a personal field: it stores only the ciphertext the privacy core sealed at flush."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: object, dialect: Dialect) -> bytes | None:
        if value is None or isinstance(value, bytes):
            return value
        if isinstance(value, Personal) and value._seal is not None:
            return value._seal.blob
        # Plaintext never reaches the database: only a session set up by the privacy core seals at flush.
        raise TypeError("a personal value was not sealed before it was written")

    def compare_values(self, x: object, y: object) -> bool:
        return x is y
