"""Translations: English message ids, Simplified Chinese by default, from gettext catalogs under jidi/locale.

The .po files are the source of truth; they are compiled in memory at first use, so no build step is needed.
"""
from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


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


def gettext_for(locale: str):
    return translations(locale).gettext


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
