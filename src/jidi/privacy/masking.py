"""Masking rules: how a personal value is shown when it is not explicitly revealed (A11 in PROMISES.md)."""
from __future__ import annotations

import enum
import re


class Mask(enum.Enum):
    PHONE = "phone"            # 138****5678
    NAME = "name"              # 张*
    ID_NUMBER = "id_number"    # 1****************X
    ADDRESS = "address"        # down to the district: 北京市海淀区****
    EMAIL = "email"            # z***@example.com
    HANDLE = "handle"          # first character, then ***
    HIDDEN = "hidden"          # ******


_DISTRICT = re.compile(r"^(.*?(?:省|自治区|市|特别行政区))?(.*?(?:市|自治州|地区|盟))?(.*?(?:区|县|旗|市))?")


def mask(rule: Mask, value: str) -> str:
    value = value or ""
    if not value:
        return ""
    if rule is Mask.PHONE:
        digits = value.removeprefix("+86")
        if len(digits) < 8:
            return "*" * len(digits)
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
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
