"""Waybill numbers: a configurable prefix, a fixed number of random digits and a Luhn check digit.

Random (not sequential) digits keep numbers from being guessed one after another; the check digit lets a
lookup refuse a mistyped number before touching the database.
"""
from __future__ import annotations

import re
import secrets

from stdnum import luhn

PREFIX = "JD"
DIGITS = 12  # plus one check digit: JD + 13 digits


def new_waybill_no(prefix: str = PREFIX, digits: int = DIGITS) -> str:
    body = f"{secrets.randbelow(10 ** digits):0{digits}d}"
    return prefix + body + luhn.calc_check_digit(body)


def normalise(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw or "").upper()


def is_valid(raw: str, prefix: str = PREFIX, digits: int = DIGITS) -> bool:
    value = normalise(raw)
    body = value[len(prefix):]
    return value.startswith(prefix) and len(body) == digits + 1 and body.isdigit() and luhn.is_valid(body)
