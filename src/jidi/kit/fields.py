"""The request fields of the JSON API that carry personal data, codes or reference data, declared once.

The rules themselves are the validators the services share with the forms (`jidi.values`, the region
table, the waybill check): each type here documents in the OpenAPI exactly what its validator accepts (pattern,
lengths, enum, format), built from the same data where there is some (the phone-number metadata, the region table,
the tariff's categories), so that a request valid by the schema is not refused as invalid. Refusals keep the
validators' specific codes (invalid_phone, invalid_region, …). tests/test_api_fuzz.py generates schema-valid
requests and checks that none is answered 422.
"""
from __future__ import annotations

from typing import Annotated

import phonenumbers
from fastapi import Path
from pydantic import Field, WithJsonSchema

from jidi import regions, waybill
from jidi.privacy.masking import MASK_CHAR
from jidi.values import HIDDEN as _HIDDEN, PLAIN as _PLAIN, USERNAME_RE

# The mask character and the two that read as it (NFKC): a personal field refuses them (jidi.privacy.looks_masked).
_MASKS = "".join(f"\\u{ord(ch):04x}" for ch in (MASK_CHAR, "\ufe61", "\uff0a"))


def _text_pattern() -> str:
    """Some text, not only blanks, and no mask character."""
    banned = _HIDDEN + _MASKS
    return rf"^[^{banned}]*[^\s{banned}][^{banned}]*$"


def _mobile_pattern() -> str:
    """Mainland mobile numbers as the phone-number library validates them (its metadata for China)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    # Optional in the library's stubs; its metadata for China has a mobile pattern.
    assert metadata is not None and metadata.mobile is not None
    national = metadata.mobile.national_number_pattern
    assert national is not None
    return r"^(?:\+86)?(?:" + national.replace(r"\d", "[0-9]") + ")$"


PHONE_EXAMPLE = "13800000000"  # a well-formed number, so the docs (and the API fuzz test) can reach the happy path
WAYBILL_EXAMPLE = "JD1234567890128"
WAYBILL_FORMAT = "jidi-waybill"
REGION_COMPONENT = "RegionCode"

Phone = Annotated[str, Field(
    min_length=1, max_length=20, examples=[PHONE_EXAMPLE], json_schema_extra={"pattern": _mobile_pattern()},
    description="Mainland China mobile number: 11 digits, optionally after +86 (spaces, hyphens and full-width digits "
                "between them are accepted too)",
)]
SmsCode = Annotated[str, Field(min_length=1, max_length=10, examples=["123456"], json_schema_extra={"pattern": "^[0-9]{6}$"},
                               description="The 6-digit code sent by SMS")]
TotpCode = Annotated[str, Field(min_length=1, max_length=10, examples=["123456"], json_schema_extra={"pattern": "^[0-9]{6}$"},
                                description="The authenticator app's current 6-digit code")]
NewPassword = Annotated[str, Field(min_length=1, max_length=128, json_schema_extra={"minLength": 8, "pattern": rf"^{_PLAIN}*$"},
                                   description="8 to 128 characters, no control characters")]
Username = Annotated[str, Field(max_length=64, examples=["courier_fan"], json_schema_extra={
    "maxLength": 32, "pattern": "^(?:|" + USERNAME_RE.pattern.strip("^$") + ")$"},
    description="3–32 letters, digits, '_', '.' or '-', starting with a letter; an empty string clears it")]
Email = Annotated[str, Field(max_length=254, examples=["someone@example.net"], json_schema_extra={
    "pattern": rf"^(?:|[^@\s{_MASKS}{_HIDDEN}]{{1,64}}@[A-Za-z0-9-]{{1,63}}(?:\.[A-Za-z0-9-]{{1,63}})+)$"},
    description="An e-mail address; an empty string clears it")]
Nickname = Annotated[str, Field(max_length=64, examples=["快递员小王"], json_schema_extra={
    "maxLength": 32, "pattern": rf"^[^{_MASKS}{_HIDDEN}]*$"}, description="Up to 32 characters; an empty string clears it")]


def plain_text(max_length: int, min_length: int = 1, **kw):
    """Text with no control or formatting characters."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length, json_schema_extra={"pattern": rf"^{_PLAIN}*$"}, **kw)]


def _personal(max_length: int, **kw):
    """A name, a street address or an item: 1 to max_length characters, not only blanks, no mask character."""
    return Annotated[str, Field(min_length=1, max_length=max_length, json_schema_extra={"pattern": _text_pattern()}, **kw)]


def optional_personal(max_length: int, **kw):
    """As a name or an address (no mask character, not only blanks), or an empty string where a field is needed only
    for some choices of the request (e.g. the bank of a VAT invoice)."""
    return Annotated[str, Field(max_length=max_length, json_schema_extra={"pattern": f"^$|{_text_pattern()}"}, **kw)]


LoginName = plain_text(254, description="Phone number, user name or e-mail")
Password = plain_text(128)
CurrentPassword = plain_text(128, min_length=0)
StaffUsername = plain_text(64, examples=["courier_wang"])
PersonName = _personal(30, examples=["王小明"])
LegalName = _personal(40, examples=["王小明"], description="The legal name on the ID")
StreetAddress = _personal(120, examples=["苏州街20号院2号楼"], description="Street, building, room")
ItemName = _personal(60, examples=["书"])


IdNumber = Annotated[str, Field(
    min_length=1, max_length=30, examples=["110108190001010019"], json_schema_extra={"pattern": r"^ *(?:[0-9A-Za-z] *){5,20}$"},
    description="Checked against the ID type: a resident ID (18 characters) by its GB 11643 check digit, other documents "
                "5–20 letters and digits; stored encrypted, never returned",
)]

_WAYBILL_DOC = {"pattern": f"^{waybill.PREFIX}[0-9]{{{waybill.DIGITS + 1}}}$", "format": WAYBILL_FORMAT}
_WAYBILL_DESCRIPTION = (f"{waybill.PREFIX} and {waybill.DIGITS + 1} digits, the last a Luhn check digit over the others (format "
                        f"`{WAYBILL_FORMAT}`); spaces, hyphens and lower case are accepted too")
Waybill = Annotated[str, Field(min_length=1, max_length=30, examples=[WAYBILL_EXAMPLE], json_schema_extra=_WAYBILL_DOC,
                               description=_WAYBILL_DESCRIPTION)]
WaybillPath = Annotated[str, Path(min_length=1, max_length=30, examples=[WAYBILL_EXAMPLE], json_schema_extra=_WAYBILL_DOC,
                                  description=_WAYBILL_DESCRIPTION)]

RegionCode = Annotated[str, Field(min_length=6, max_length=6, examples=["110108"]),
                       WithJsonSchema({"allOf": [{"$ref": f"#/components/schemas/{REGION_COMPONENT}"}]})]



def components() -> dict[str, dict]:
    """Schemas the types above refer to, for the OpenAPI document."""
    return {REGION_COMPONENT: {
        "type": "string", "enum": regions.leaves(),
        "description": "A GB/T 2260 code precise enough for an address: a district, or a city without districts",
    }}
