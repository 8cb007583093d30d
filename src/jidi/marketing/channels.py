"""Marketing channels, the purposes they rest on, the opt-out replies an SMS may carry and do-not-disturb hours.

Service messages (route updates, payment notices, answers to requests: jidi.notify) are a purpose of their own on
the contract; marketing is one purpose per channel on consent (JD-1.1.3a, JD-6.4.2(2), A8), recorded in the consent
ledger (jidi.privacy.consent). Opt-outs and do-not-disturb hours suppress marketing only.
"""
from __future__ import annotations

import datetime as dt
import enum
import unicodedata

from jidi.i18n import N_
from jidi.privacy import Purpose

CHINA = dt.timezone(dt.timedelta(hours=8), "CST")  # every time a person sees, and the hours they choose, are China time


class Channel(enum.StrEnum):
    SMS = "sms"
    IN_APP = "in_app"
    PUSH = "push"
    CALL = "call"
    EMAIL = "email"

    @property
    def purpose(self) -> Purpose:
        return PURPOSES[self]

    @property
    def label(self) -> str:
        return LABELS[self]


PURPOSES = {
    Channel.SMS: Purpose.MARKETING_SMS,
    Channel.IN_APP: Purpose.MARKETING_IN_APP,
    Channel.PUSH: Purpose.MARKETING_PUSH,
    Channel.CALL: Purpose.MARKETING_CALL,
    Channel.EMAIL: Purpose.MARKETING_EMAIL,
}
LABELS = {
    Channel.SMS: N_("Marketing SMS"),
    Channel.IN_APP: N_("Marketing in-app messages"),
    Channel.PUSH: N_("Marketing push notifications"),
    Channel.CALL: N_("Marketing calls"),
    Channel.EMAIL: N_("Marketing e-mail"),
}


def channel(value: str) -> Channel | None:
    try:
        return Channel(value)
    except ValueError:
        return None


# -- opt-out replies (JD-6.4.2(1), A7) ---------------------------------------------------------------------------
# What every marketing SMS ends with; the reply keywords it names (and the usual ones) stop marketing SMS.
OPT_OUT_SUFFIX = {"zh_CN": "回复N退订", "en": "Reply N to opt out"}
OPT_OUT_WORDS = frozenset({"N", "BP", "BR", "TD", "T", "退订", "退定"})
_TRIM = " \t\r\n\u3000.,!?;:'\"。，！？；：、“”‘’()（）[]【】"


def is_opt_out(text: str) -> bool:
    """A reply as a carrier delivers it: full-width letters (Ｎ), any case, spaces and punctuation around it."""
    folded = unicodedata.normalize("NFKC", text or "").strip(_TRIM).upper()
    return folded in OPT_OUT_WORDS


def with_opt_out(text: str, locale: str) -> str:
    """The text of a marketing SMS: the campaign's text, then the opt-out instruction (added, never left out)."""
    suffix = OPT_OUT_SUFFIX["en" if locale.startswith("en") else "zh_CN"]
    return f"{text.rstrip()} {suffix}"


# -- do-not-disturb hours (ZK-1.1.4b) ------------------------------------------------------------------------------
# Marketing is never sent at night, China time, whatever a person chose; each person may add quiet hours of their own.
QUIET_START, QUIET_END = 21, 8


def _in_window(hour: int, start: int, end: int) -> bool:
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end


def quiet_until(now: dt.datetime, own: tuple[int, int] | None) -> dt.datetime | None:
    """None when marketing may go out at `now`; else the first moment (UTC) after the quiet hours that hold now."""
    windows = [(QUIET_START, QUIET_END)] + ([own] if own and own[0] != own[1] else [])
    local = now.astimezone(CHINA)
    if not any(_in_window(local.hour, s, e) for s, e in windows):
        return None
    t = local.replace(minute=0, second=0, microsecond=0)
    for _ in range(48):  # the next hour on the clock outside every window
        t += dt.timedelta(hours=1)
        if not any(_in_window(t.hour, s, e) for s, e in windows):
            return t.astimezone(dt.timezone.utc)
    return local.astimezone(dt.timezone.utc) + dt.timedelta(days=1)  # never an open hour (refused when set): hold it


def leaves_hours_open(own: tuple[int, int]) -> bool:
    """Whether a person's own quiet hours, with the night's, leave some hour of the day for marketing."""
    return any(not _in_window(h, QUIET_START, QUIET_END) and not _in_window(h, *own) for h in range(24))
