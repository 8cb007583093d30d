"""Translations: English message ids, Simplified Chinese by default, from gettext catalogs under jidi/locale; and
how dates, lists and durations are written for a person in either language.

The .po files are the source of truth; they are compiled in memory at first use, so no build step is needed.
A short English word can mean two things ("To" a phone number, "To" a place): such messages carry a context
(`NC_` in Python, `pgettext` in templates) so that each meaning gets its own translation.
"""
from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
from collections.abc import Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.units import format_unit

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_DIR = Path(__file__).parent / "locale"
# Every date and time shown to a person is China time (UTC+8 all year).
CHINA = ZoneInfo("Asia/Shanghai")


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


class ContextMessage(str):
    """A message id that is translated within its context (see NC_)."""

    context: str

    def __new__(cls, context: str, message: str) -> ContextMessage:
        self = super().__new__(cls, message)
        self.context = context
        return self


def NC_(context: str, message: str) -> str:
    """Mark a message with a context for extraction (`-k NC_:1c,2`); the gettext of gettext_for translates it within
    that context wherever it is shown."""
    return ContextMessage(context, message)


@functools.cache
def translations(locale: str) -> gettext.NullTranslations:
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@functools.cache
def gettext_for(locale: str):
    catalog = translations(locale)

    def gettext(message: str) -> str:
        context = getattr(message, "context", None)
        return catalog.pgettext(context, message) if context else catalog.gettext(message)

    return gettext


def china_datetime(value: dt.datetime | None) -> str:
    """A moment as a person in China reads it: date and minute, China time ("" for none)."""
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if value else ""


def china_day(value: dt.datetime | dt.date) -> dt.date:
    """The day in China of a moment (a date is already one)."""
    return value.astimezone(CHINA).date() if isinstance(value, dt.datetime) else value


def china_date(value: dt.datetime | dt.date | None) -> str:
    """The day in China of a moment, as a person reads it ("" for none)."""
    return china_day(value).isoformat() if value is not None else ""


def join_list(items: Iterable[str], locale: str) -> str:
    """A list as the language writes it: "A、B和C", "A, B, and C"."""
    return format_list([str(i) for i in items], locale=_babel(locale))


def duration(value: dt.timedelta, locale: str) -> str:
    """A period in the largest whole unit it is a number of: 168 hours are "7天" / "7 days", 36 hours stay hours
    (unlike babel's format_timedelta, nothing is rounded: these are promises)."""
    seconds = int(value.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            return format_unit(seconds // size, f"duration-{unit}", locale=_babel(locale))
    return format_unit(seconds, "duration-second", locale=_babel(locale))


def yuan(fen: int | None) -> str:
    """An amount in fen as a person reads it: yuan with fen precision, "¥12.30" ("" for none)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100}.{abs(fen) % 100:02d}"


def install_formats(env: jinja2.Environment) -> None:
    """The filters pages write dates, lists and durations with (China time; the language is the template's
    `locale`). `items|join_list(show)` shows each item with the function `show`, e.g. `_`."""
    env.filters["china_datetime"] = china_datetime
    env.filters["china_date"] = china_date
    env.filters["yuan"] = yuan
    env.filters["join_list"] = jinja2.pass_context(
        lambda ctx, items, show=str: join_list(map(show, items), ctx["locale"]))
    env.filters["duration"] = jinja2.pass_context(lambda ctx, value: duration(value, ctx["locale"]))


def _babel(locale: str) -> str:
    return locale if locale in LOCALES else DEFAULT_LOCALE


def negotiate(requested: str | None, accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """An explicit choice (cookie or ?lang=) wins; otherwise Accept-Language; otherwise the default."""
    if loc := _match(requested):
        return loc
    if accept_language:
        weighted = []
        for part in accept_language.split(","):
            lang, _, q = part.strip().partition(";q=")
            try:
                weighted.append((float(q or 1), lang.strip()))
            except ValueError:
                continue
        for _, lang in sorted(weighted, key=lambda x: -x[0]):
            loc = _match(lang)
            if loc:
                return loc
    return default


def _match(tag: str | None) -> str | None:
    if not tag:
        return None
    tag = tag.replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    return None
