"""Value checks shared by every feature, API model and form: control characters, phone numbers, ID numbers, and the
personal text of accounts, orders and the address book. Each check returns the canonical form or raises a translated
AppError. A value with the mask character is refused in every personal field (`masked_value`): it was read from a
masked answer. The patterns here are what the API's schemas document (jidi.kit.fields), so the two never disagree."""
from __future__ import annotations

import re
import unicodedata

import phonenumbers
from stdnum.cn import ric

from jidi import errors
from jidi.i18n import N_
from jidi.privacy import looks_masked

# Characters no text field takes: control and invisible formatting characters (and, in personal fields, the mask).
HIDDEN = r"\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
PLAIN = rf"[^{HIDDEN}]"
PLAIN_TEXT_PATTERN = rf"^{PLAIN}*$"  # what jidi.kit.api.Strict documents for a text field that declares nothing stricter
# Free text of one's own (a request's details): line breaks and tabs are text, other control characters are not.
FREE_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
LINE_BREAKS = "\n\r\t"
ID_TYPES = ("resident_id", "passport", "hk_macau_permit", "taiwan_permit", "foreign_permanent_resident")
MAX_NICKNAME = 32
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,31}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$")


def phone(raw: str | None) -> str:
    """A mainland China mobile number as its 11 national digits (e.g. 13800138000)."""
    _not_masked(raw, N_("mobile number"))
    if not raw or len(raw) > 20 or _has_control_chars(raw):
        raise errors.invalid_phone()
    try:
        num = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise errors.invalid_phone() from None
    if (
        num.country_code != 86
        or not phonenumbers.is_valid_number(num)
        or phonenumbers.number_type(num) not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    ):
        raise errors.invalid_phone()
    return str(num.national_number)


def _has_control_chars(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text)


def has_control_characters(text: str, allowed: str = "") -> bool:
    """Control characters (and lone surrogates) other than those allowed: never meaningful in a request's field, and
    PostgreSQL cannot store NUL in text."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed for ch in text)


def _not_masked(raw: str | None, label: str) -> None:
    if raw and looks_masked(raw):
        raise errors.masked_value(label)


def text(raw: str | None, max_len: int, label: str) -> str:
    """Personal text (a name, a street address, an item): trimmed, NFC, 1 to max_len characters, no control or
    format characters."""
    _not_masked(raw, label)
    value = unicodedata.normalize("NFC", (raw or "").strip())
    if not value or len(value) > max_len or _has_control_chars(value):
        raise errors.invalid_field(label)
    return value


def nickname(raw: str) -> str:
    return text(raw, MAX_NICKNAME, N_("nickname (1–32 characters, no control characters)"))


def username(raw: str) -> str:
    _not_masked(raw, N_("user name"))
    value = raw.strip()
    if not USERNAME_RE.match(value):
        raise errors.invalid_field(N_("user name (3–32 letters, digits, '_', '.' or '-', starting with a letter)"))
    return value


def email(raw: str) -> str:
    _not_masked(raw, N_("e-mail address"))
    value = raw.strip()
    if len(value) > 254 or _has_control_chars(value) or not EMAIL_RE.match(value):
        raise errors.invalid_field(N_("e-mail address"))
    return value


def password(raw: str) -> str:
    if not (8 <= len(raw) <= 128) or _has_control_chars(raw):
        raise errors.invalid_field(N_("password (8–128 characters)"))
    return raw


def code(raw: str | None) -> str:
    value = (raw or "").strip()
    if not re.fullmatch(r"\d{6}", value):
        raise errors.code_invalid()
    return value


def id_number(id_type: str | None, raw: str | None) -> tuple[str, str]:
    """An ID type and its number in canonical form, checked against the type: a resident ID by its GB 11643 check
    digit, other documents 5–20 letters and digits."""
    if raw and looks_masked(raw):
        raise errors.masked_value(N_("ID number"))
    if id_type not in ID_TYPES:
        raise errors.invalid_field(N_("ID type"))
    number = re.sub(r"\s", "", raw or "").upper()
    if id_type == "resident_id":
        if not ric.is_valid(number):
            raise errors.invalid_id_number()
    elif not re.fullmatch(r"[A-Z0-9]{5,20}", number):
        raise errors.invalid_id_number()
    return id_type, number
