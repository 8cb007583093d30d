"""Masking rules: how a personal value is shown when it is not explicitly revealed (A11 in PROMISES.md)."""
from __future__ import annotations

import enum
import re
import unicodedata


class Mask(enum.Enum):
    PHONE = "phone"            # 138****5678
    NAME = "name"              # 张*
    ID_NUMBER = "id_number"    # 1****************X
    ADDRESS = "address"        # down to the district: 北京市海淀区****
    EMAIL = "email"            # z***@example.com
    HANDLE = "handle"          # first character, then ***
    HIDDEN = "hidden"          # ******
    # On a printed waybill label (seen by everyone who handles the parcel), stricter than on screens:
    PHONE_LABEL = "phone_label"      # 138******78: at least six digits hidden
    ADDRESS_LABEL = "address_label"  # 苏州街20号院****: street and house number kept, building, unit and room hidden


MASK_CHAR = "*"  # every rule hides with it


def looks_masked(value: str) -> bool:
    """Whether a value holds the mask character (also as its full-width or small form): what a client read back from
    a masked answer, never a real phone number, name, address, e-mail or ID number. Input of such a value is refused,
    or writing a masked answer back would overwrite the real value with its mask."""
    return MASK_CHAR in unicodedata.normalize("NFKC", value)


_DISTRICT = re.compile(r"^(.*?(?:省|自治区|市|特别行政区))?(.*?(?:市|自治州|地区|盟))?(.*?(?:区|县|旗|市))?")


# ADDRESS_LABEL. The first part of an address that leads to a door inside a compound or building: a building,
# unit, floor or room with its number (2号楼, 3单元, 401室, 12层, A座, 5F). It and everything after it is hidden.
_NUMBERING = r"[0-9A-Za-z一二三四五六七八九十百零〇两甲乙丙丁#]+"
_INNER = re.compile(rf"{_NUMBERING}[-—]?(?:号楼|号房|栋|幢|座|单元|室|层|楼|户|房)|\d+[Ff](?![A-Za-z])")
# The parts a label may keep end with a street-level or compound-level word: a road or street, a house number
# (20号, 20号院), a village or an estate. The address is kept up to the last of these before the first inner part.
_KEEP_UNTIL = re.compile(r"号院|号|路|街|道|巷|弄|胡同|村|镇|乡|小区|花园|家园|公寓|大厦|广场|苑|院|园")


def _address_label(value: str) -> str:
    value = unicodedata.normalize("NFKC", value).strip()  # full-width digits and letters as ASCII
    inner = _INNER.search(value)
    head = value[: inner.start()] if inner else value
    ends = [m.end() for m in _KEEP_UNTIL.finditer(head)]
    if not ends:
        # Nothing street-like before the building part: keep only the region names written at its start.
        m = _DISTRICT.match(head)
        kept = "".join(g for g in (m.groups() if m else ()) if g)
    else:
        kept = head[: ends[-1]]
    return kept if kept == value else kept + "****"


def mask(rule: Mask, value: str) -> str:
    value = value or ""
    if not value:
        return ""
    if rule is Mask.PHONE:
        digits = value.removeprefix("+86")
        if len(digits) < 8:
            return "*" * len(digits)
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if rule is Mask.PHONE_LABEL:
        digits = value.removeprefix("+86")
        if len(digits) < 8:
            return "*" * len(digits)
        head = min(3, len(digits) - 2 - 6)  # keep the last two and up to three leading digits; hide six or more
        return digits[:head] + "*" * (len(digits) - head - 2) + digits[-2:]
    if rule is Mask.ADDRESS_LABEL:
        return _address_label(value)
    if rule is Mask.NAME:
        return value[0] + "*" * max(1, len(value) - 1)
    if rule is Mask.ID_NUMBER:
        if len(value) <= 2:
            return "*" * len(value)
        return value[0] + "*" * (len(value) - 2) + value[-1]
    if rule is Mask.ADDRESS:
        m = _DISTRICT.match(value)
        kept = "".join(g for g in (m.groups() if m else ()) if g)
        return (kept or "") + "****"
    if rule is Mask.EMAIL:
        local, _, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if domain else "***"
    if rule is Mask.HANDLE:
        return value[0] + "***"
    return "******"
