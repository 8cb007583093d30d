"""Errors users see: a stable code, an HTTP status, and a message translated into the user's language.

Messages never contain the values the user sent (no phone numbers, names or codes), so an error can be
logged or shown without leaking personal data.
"""
from __future__ import annotations

import math
import uuid

from jidi.i18n import N_


def id_or_not_found(raw: uuid.UUID | str) -> uuid.UUID:
    """An id from a URL or form; anything that is not a UUID is simply not found."""
    if isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise not_found() from None


class AppError(Exception):
    """`retry_after`: the seconds until the request may succeed, required for a 429 (sent as Retry-After).
    `details`: more fields for the API's error object (e.g. a challenge to answer)."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None, *, retry_after: int | None = None,
                 details: dict | None = None, **params: object):
        super().__init__(code)
        self.code = code
        self.message = message
        self.params = params
        if status is not None:
            self.status = status
        if self.status == 429 and (retry_after is None or retry_after < 1):
            raise ValueError(f"{code}: a 429 needs the seconds until a retry can succeed")
        self.retry_after = retry_after
        self.details = details or {}

    @property
    def headers(self) -> dict[str, str]:
        """The headers every answer carrying this error needs (Retry-After for a 429)."""
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}

    def render(self, gettext) -> str:
        # A field label is itself a message id (marked with N_), so it is translated too.
        params = {k: gettext(v) if k == "field" else v for k, v in self.params.items()}
        return gettext(self.message).format(**params)


def invalid_phone() -> AppError:
    return AppError("invalid_phone", N_("Enter a valid mainland China mobile number (11 digits, starting with 1)."), 422)


def invalid_field(field_label: str) -> AppError:
    return AppError("invalid_field", N_("Please check the field: {field}."), 422, field=field_label)


def masked_value(field_label: str) -> AppError:
    return AppError("masked_value", N_("The {field} contains *, as a masked value does: enter the full value (a masked one "
                                       "would replace the real one)."), 422, field=field_label)


def code_invalid() -> AppError:
    return AppError("code_invalid", N_("The verification code is wrong or has expired. Check it or request a new one."), 400)


def code_locked() -> AppError:
    return AppError("code_locked", N_("Too many wrong attempts for this code. Please request a new one."), 400)


def code_too_soon(seconds: int) -> AppError:
    return AppError("code_too_soon", N_("Please wait {seconds} seconds before requesting another code."), 429,
                    retry_after=seconds, seconds=seconds)


def code_daily_limit(seconds: int) -> AppError:
    return AppError("code_daily_limit", N_("Too many codes were requested from your network. Please try again in {minutes} minutes."),
                    429, retry_after=seconds, minutes=math.ceil(seconds / 60))


def code_challenge(seconds: int, question: str, token: str, wrong: bool = False) -> AppError:
    """Many codes went to this number today (perhaps not asked for by its owner): one more needs the answer to a
    question, or a device the number has logged in on."""
    message = (N_("The answer was not right. Please answer the new question to get a code.") if wrong else
               N_("Many codes were sent to this number today. Please answer the question to get another one."))
    return AppError("code_challenge", message, 429, retry_after=seconds,
                    details={"challenge": {"token": token, "question": question}})


def too_many_attempts(seconds: int) -> AppError:
    return AppError("too_many_attempts", N_("Too many failed logins. Please wait {minutes} minutes or log in with an SMS code."), 429,
                    retry_after=seconds, minutes=math.ceil(seconds / 60))


def policy_not_accepted() -> AppError:
    return AppError("policy_not_accepted", N_("Please read and accept the privacy policy to continue."), 400)


def login_failed() -> AppError:
    return AppError("login_failed", N_("The login name or password is incorrect."), 401)


def staff_login_failed() -> AppError:
    return AppError("staff_login_failed", N_("The user name, password or authenticator code is incorrect."), 401)


def not_authenticated() -> AppError:
    return AppError("not_authenticated", N_("Please log in first."), 401)


def forbidden() -> AppError:
    return AppError("forbidden", N_("You do not have permission to do this."), 403)


def purpose_not_allowed() -> AppError:
    return AppError("purpose_not_allowed", N_("This data may not be opened for that purpose by your role."), 403)


def consent_required() -> AppError:
    return AppError("consent_required", N_("This needs the person's consent, which is not given (or was withdrawn)."), 403)


def csrf_failed() -> AppError:
    return AppError("csrf_failed", N_("The form has expired. Please reload the page and try again."), 403)


def phone_in_use() -> AppError:
    return AppError("phone_in_use", N_("This mobile number is already bound to another account."), 409)


def username_taken() -> AppError:
    return AppError("username_taken", N_("This user name is taken. Please choose another."), 409)


def email_taken() -> AppError:
    return AppError("email_taken", N_("This e-mail address cannot be used. Please choose another."), 409)


def same_phone() -> AppError:
    return AppError("same_phone", N_("This is already your mobile number."), 409)


def not_found() -> AppError:
    return AppError("not_found", N_("The page or item was not found."), 404)


def account_unavailable() -> AppError:
    return AppError("account_unavailable", N_("This account cannot be used. Please contact customer service."), 403)


def wechat_failed() -> AppError:
    return AppError("wechat_failed", N_("WeChat login did not complete. Please try again."), 400)


def invalid_region() -> AppError:
    return AppError("invalid_region", N_("Choose a province, city and district from the list."), 422)


def item_prohibited() -> AppError:
    return AppError("item_prohibited", N_("This item may not be sent by express under the postal rules (prohibited category)."), 422)


def invalid_waybill() -> AppError:
    return AppError("invalid_waybill", N_("This is not a valid waybill number. Please check it."), 422)


def order_not_cancellable() -> AppError:
    return AppError("order_not_cancellable", N_("This order can no longer be cancelled: the parcel has been picked up."), 409)


def not_payable() -> AppError:
    return AppError("not_payable", N_("This order is not waiting for payment."), 409)


def pickup_not_allowed() -> AppError:
    return AppError("pickup_not_allowed", N_("This parcel cannot be picked up now: it is unpaid, cancelled or already picked up."), 409)


def invalid_id_number() -> AppError:
    return AppError("invalid_id_number", N_("The ID number is not valid for the chosen ID type."), 422)


def pickup_identity_mismatch() -> AppError:
    return AppError("pickup_identity_mismatch", N_("This parcel was already picked up with a different ID document. Check the ID "
                                                   "shown; the pickup was not changed."), 409)


def identity_required() -> AppError:
    return AppError("identity_required", N_("Real-name pickup: the sender's ID must be checked, or the parcel cannot be accepted."), 422)


def merchant_key_invalid() -> AppError:
    return AppError("merchant_key_invalid", N_("The merchant API key is missing or invalid."), 401)


def region_mismatch() -> AppError:
    return AppError("region_mismatch", N_("The district you chose is not in the chosen province. Please choose it again."), 422)


def address_book_full(limit: int) -> AppError:
    return AppError("address_book_full", N_("Your address book is full ({limit} entries). Please delete an entry first."), 409, limit=limit)


def choose_parties() -> AppError:
    return AppError("choose_parties", N_("Choose a sender and a recipient from your address book."), 422)
