"""The API's base models: strict request bodies, and the error body every operation documents."""
from __future__ import annotations

from typing import ClassVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from jidi.values import FREE_TEXT_PATTERN, LINE_BREAKS, PLAIN_TEXT_PATTERN, has_control_characters


class Challenge(BaseModel):
    token: str = Field(description="Send it back as challenge_token, with the answer as challenge_answer")
    question: str = Field(description="A question to answer, e.g. 3 + 4 = ?", examples=["3 + 4 = ?"])


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable machine-readable code, e.g. code_invalid")
    message: str = Field(description="A message in the request's language (Accept-Language: zh-CN or en)")
    fields: list[str] | None = Field(None, description="invalid_input: the request's own fields that are missing or invalid")
    unknown_fields: list[str] | None = Field(None, description="invalid_input: keys sent that are not fields of this request")
    challenge: Challenge | None = Field(None, description="code_challenge: answer it to get the code")


class ErrorResponse(BaseModel):
    error: ErrorDetail


def errors_for(*statuses: int) -> dict:
    return {s: {"model": ErrorResponse} for s in (*statuses, 422)}


class Strict(BaseModel):
    # strict: a JSON true is not a weight of 1, nor "12" a quantity; a request is taken as its schema says or refused
    model_config = ConfigDict(extra="forbid", strict=True)
    # Fields of free text of one's own (e.g. a request's details), where line breaks and tabs are text.
    MULTILINE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _integral_numbers(cls, value, info: ValidationInfo):
        # JSON Schema counts 3165.0 as an integer, and strict mode alone would refuse it.
        if isinstance(value, float) and value.is_integer() and info.field_name:
            annotation = cls.model_fields[info.field_name].annotation
            if annotation is int or int in get_args(annotation):
                return int(value)
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value, info: ValidationInfo):
        # NUL and other control characters are never meaningful in these fields (and PostgreSQL cannot store
        # NUL in text): every field rejects them up front with a 422 naming the field, not the value.
        allowed = LINE_BREAKS if info.field_name in cls.MULTILINE else ""
        if isinstance(value, str) and has_control_characters(value, allowed):
            raise ValueError("control characters")
        return value

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        # The check above applies to every text field, so the schema says so wherever a field declares nothing
        # stricter: a request valid by the OpenAPI is then never refused for a control character.
        schema = handler.resolve_ref_schema(handler(core_schema))
        for name, prop in schema.get("properties", {}).items():
            for variant in (prop, *prop.get("anyOf", ())):
                if variant.get("type") == "string" and not variant.keys() & {"pattern", "enum", "const", "format"}:
                    variant["pattern"] = FREE_TEXT_PATTERN if name in cls.MULTILINE else PLAIN_TEXT_PATTERN
        return schema
