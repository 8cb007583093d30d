"""Masking rules: how a personal value is shown when it is not explicitly revealed (A11 in PROMISES.md)."""
from __future__ import annotations

import enum
import re
import unicodedata


class Mask(enum.Enum):
    PHONE = "phone"            # 138****5678
    NAME = "name"              # 张*: the first character and one *, whatever the length
    ID_NUMBER = "id_number"    # 1****************X
    EMAIL = "email"            # z***@example.com
    HANDLE = "handle"          # first character, then ***
    HIDDEN = "hidden"          # ******
    BANK_CARD = "bank_card"    # **** **** **** 0128: the last four digits only
    # On a printed waybill label (seen by everyone who handles the parcel), stricter than on screens:
    PHONE_LABEL = "phone_label"      # 138******78: at least six digits hidden
    ADDRESS_LABEL = "address_label"  # 苏州街****: the road or community name only, from the house number on hidden


MASK_CHAR = "*"  # every rule hides with it


def looks_masked(value: str) -> bool:
    """Whether a value holds the mask character (also as its full-width or small form): what a client read back from
    a masked answer, never a real phone number, name, address, e-mail or ID number. Input of such a value is refused,
    or writing a masked answer back would overwrite the real value with its mask."""
    return MASK_CHAR in unicodedata.normalize("NFKC", value)


# ADDRESS_LABEL. The detailed address (GB/T 41833-2022, A11) begins at the first house-level token: any digit
# (with a No., #, 第 or 甲乙丙丁 before it), a Chinese numeral that counts a house, lane, building, unit, floor,
# room or village group (十八号, 三单元, 二组), or Latin letters naming one (A座, B2). It and all after it are hidden.
_CN_NUMERAL = "零〇一二三四五六七八九十百千两壹贰叁肆伍陆柒捌玖拾佰仟"
_UNIT = r"号|弄|栋|幢|座|单元|室|层|楼|组|队|户|排|期|区|房"
_HOUSE = re.compile(
    rf"(?:No\.?\s*|#|第)?[甲乙丙丁]?\d"
    rf"|[{_CN_NUMERAL}]+(?=(?:{_UNIT})|[-—#/\s]|$)"
    rf"|[A-Za-z]+(?=\d|[-—#]|(?:{_UNIT}))"
)
# A unit or room named by a word (GB/T 41833-2022: unit and room are hidden), even without any digit: 甲单元, 西单元,
# "Unit B", "Flat C", "Room twelve". English addresses run from the room up to the road, so everything from the first such
# word on is hidden; what stays before it is cut back to the last road or estate word as below.
_UNIT_WORD = re.compile(
    r"单元|室|\b(?:Room|Rm|Unit|Flat|Apt|Apartment|Suite|Ste|Block|Blk|Building|Bldg|Tower|Floor|Fl|Entrance)\b",
    re.IGNORECASE,
)
# What may stay before it ends with a road, village or community word; text after the last one (a shop, a
# person's name, a note) is hidden too, and with no such word nothing of the detail is kept.
_KEEP_UNTIL = re.compile(
    r"路|街|道|巷|胡同|条|里|村|屯|庄|寨|镇|乡|小区|社区|花园|家园|公寓|大厦|广场|中心|苑|院|园|城|湾|坊"
    r"|\b(?:Road|Street|Avenue|Lane|Hutong|Village)\b",
    re.IGNORECASE,
)
HIDDEN_PART = "****"


def _address_label(value: str) -> str:
    value = unicodedata.normalize("NFKC", value).strip()  # full-width digits and letters as ASCII
    cuts = [m.start() for m in (_HOUSE.search(value), _UNIT_WORD.search(value)) if m]
    head = value[: min(cuts)] if cuts else value
    # Numbers of other scripts (Suzhou numerals, …) that NFKC leaves alone count as digits too.
    head = head[: next((i for i, ch in enumerate(head) if unicodedata.category(ch)[0] == "N"), len(head))]
    ends = [m.end() for m in _KEEP_UNTIL.finditer(head)]
    # Always followed by the mask: whether anything was hidden is not told either.
    return (head[: ends[-1]] if ends else "") + HIDDEN_PART


def _label_phone(value: str) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value).removeprefix("+86") if ch.isdigit())
    if len(digits) < 8:
        return "*" * len(digits)
    head = min(3, len(digits) - 2 - 6)  # keep the last two and up to three leading digits; hide six or more
    return digits[:head] + "*" * (len(digits) - head - 2) + digits[-2:]


def mask(rule: Mask, value: str | None) -> str:
    value = value or ""
    if not value:
        return ""
    if rule is Mask.PHONE:
        digits = value.removeprefix("+86")
        if len(digits) < 8:
            return "*" * len(digits)
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if rule is Mask.PHONE_LABEL:
        return _label_phone(value)
    if rule is Mask.ADDRESS_LABEL:
        return _address_label(value)
    if rule is Mask.NAME:
        # One fixed form, so that the length is not told; a one-character name keeps no character at all.
        value = value.strip()
        return value[0] + "*" if len(value) > 1 else "**"
    if rule is Mask.ID_NUMBER:
        if len(value) <= 2:
            return "*" * len(value)
        return value[0] + "*" * (len(value) - 2) + value[-1]
    if rule is Mask.EMAIL:
        local, _, domain = value.partition("@")
        return (local[:1] + "***@" + domain) if domain else "***"
    if rule is Mask.HANDLE:
        return value[0] + "***"
    if rule is Mask.BANK_CARD:
        digits = "".join(ch for ch in value if ch.isdigit())
        return "**** **** **** " + digits[-4:] if len(digits) >= 8 else "*" * len(digits)
    return "******"
