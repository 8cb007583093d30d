"""Waybill lookup by phone proof (JD-1.1.2(2)a/b, Ambiguity A10).

Anyone may see a parcel's details (masked) after proving the full number of its sender or its recipient
with an SMS code. Logged-in users whose verified number is on the waybill need no code (shipping's
`order_for`). Nothing here tells whether a waybill exists or whether a number is on it:

* asking for a code always gets the same answer; the SMS goes out only when the number is the sender's or
  the recipient's (and a refused send, e.g. a resend too soon, is not told either);
* a lookup fails with one error, `lookup_failed`, whatever was wrong: malformed or unknown waybill number,
  a number not on the waybill, a wrong, expired or locked code;
* both steps are rate-limited per client address and per waybill number (jidi.ratelimit, by keyed hashes
  only), so neither waybill numbers nor phone numbers can be enumerated.
"""
from __future__ import annotations

import math
import uuid

from jidi import errors, ratelimit, values, waybill
from jidi.i18n import N_
from jidi.ratelimit import Limit

# Attempts allowed in an hour: (per client address, per waybill number).
LIMITS = {step: (Limit.of(f"lookup_{step}_client", f"{per_client}/hour"), Limit.of(f"lookup_{step}_waybill", f"{per_waybill}/hour"))
          for step, per_client, per_waybill in (("code", 10, 5), ("check", 20, 10))}


def lookup_failed() -> errors.AppError:
    return errors.AppError(
        "lookup_failed",
        N_("The waybill number, mobile number or verification code is not right, or the code has expired. Please check them."),
        400,
    )


def lookup_too_many(seconds: int) -> errors.AppError:
    return errors.AppError("lookup_too_many", N_("Too many lookups. Please try again in {minutes} minutes."), 429,
                           retry_after=seconds, minutes=math.ceil(seconds / 60))


class Lookup:
    def __init__(self, container):
        self.c = container

    def _count(self, step: str, raw_waybill: str, client_address: str) -> str:
        """Count this attempt, or refuse it when the client or the waybill number is over its limit.
        Returns the normalised waybill number."""
        number = waybill.normalise(raw_waybill)[:40]
        counted = ((LIMITS[step][0], ratelimit.client_address(client_address)), (LIMITS[step][1], ratelimit.waybill_no(number)))
        if wait := max(self.c.limiter.retry_after(limit, ident) for limit, ident in counted):
            raise lookup_too_many(wait)
        for limit, ident in counted:
            self.c.limiter.hit(limit, ident)
        return number

    @staticmethod
    def _phone(raw_phone: str) -> str | None:
        try:
            return values.phone(raw_phone)
        except errors.AppError:
            return None

    def request_code(self, raw_waybill: str, raw_phone: str, client_address: str, locale: str) -> None:
        """Send a lookup code to the number if it is the waybill's sender's or recipient's. Answers the same
        in every case (only the rate limit can refuse, and it does not depend on the number)."""
        number = self._count("code", raw_waybill, client_address)
        phone = self._phone(raw_phone)
        if phone is None or self.c.shipping.order_for_phone(number, phone=phone) is None:
            return
        try:
            self.c.accounts.request_code(phone, "lookup", client_address, locale)
        except errors.AppError:
            return  # a resend too soon or a daily cap would tell that the number matched

    def lookup(self, raw_waybill: str, raw_phone: str, code: str, client_address: str):
        """The parcel (an OrderView, masked) for a number proved by its code; one error for every failure."""
        number = self._count("check", raw_waybill, client_address)
        phone = self._phone(raw_phone)
        view = self.c.shipping.order_for_phone(number, phone=phone) if phone else None
        if phone is None or view is None:
            raise lookup_failed()
        try:
            self.c.accounts.check_code("lookup", code, phone=phone)
        except errors.AppError:
            raise lookup_failed() from None
        return view

    def for_account(self, user_id: uuid.UUID, raw_waybill: str, client_address: str):
        """A logged-in user's lookup: their verified number must be the sender's or recipient's (JD-1.1.2(2)a)."""
        number = self._count("check", raw_waybill, client_address)
        try:
            return self.c.shipping.order_for(user_id, number)
        except errors.AppError:
            raise lookup_failed() from None
