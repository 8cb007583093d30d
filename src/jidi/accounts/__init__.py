"""Accounts: registration and login (SMS code, password, WeChat), profile, staff with a second factor."""

from limits import parse_many

from jidi.i18n import N_
from jidi.kit.feature import Feature, Link, Setting, SmsTemplate

feature = Feature(
    "accounts",
    title=("账号注册与登录", "Registering and logging in"),
    models=("jidi.accounts.models",),
    services={"accounts": "jidi.accounts.service:Accounts"},
    needs=("notify",),
    api=("jidi.accounts.api:router",),
    pages=("jidi.accounts.views:router",),
    templates=True,
    cli=("jidi.accounts.cli:staff",),
    sms=(
        SmsTemplate("login_code", N_("[jidi] Your verification code is {code}. It expires in 5 minutes. Never tell it to anyone."),
                    code_purpose="login"),
        SmsTemplate("change_phone_code", N_("[jidi] Your code to bind this number to your account is {code}. It expires in 5 minutes."),
                    code_purpose="change_phone"),
        SmsTemplate("phone_changed", N_("[jidi] The mobile number of your account was changed. If this was not you, contact customer service.")),
    ),
    links=(Link(N_("My account"), "/profile", "account", 10, note=N_("Mobile number, password, WeChat"), testid="me-profile"),),
    # Labels of the facts shown with its rows in "my data" (jidi.rights.export).
    labels={
        "cancelled_at": N_("Cancelled at"),
        "profile_authorised": N_("Profile shared by WeChat"),
        "revoked_at": N_("Ended at"),
        "used_at": N_("Used at"),
    },
    # SMS code limits (README "SMS codes"): a requester waits longer after each code to one number; asks for this many
    # codes a day in all; a number gets this many codes a day from requesters it does not trust before a question.
    settings=(
        Setting("sms_code_limits", str, "1/minute;2/3 minutes;3/7 minutes;4/15 minutes;5/31 minutes;6/day",
                "codes one requester may ask for one number (moving windows)", check=parse_many),
        Setting("sms_daily_cap_per_client", int, 50, "codes one requester may ask for in 24 hours, to any numbers", ge=1),
        Setting("sms_daily_cap_per_phone", int, 10, "codes a number gets from client addresses in 24 hours before each further "
                "one needs the answer to a question", ge=1),
        Setting("sms_code_max_attempts", int, 5, "wrong entries a verification code takes before it is void", ge=1, le=20),
        Setting("session_ttl_seconds", int, 14 * 24 * 3600, "how long a customer's login lasts (seconds)", ge=60),
        Setting("trusted_device_days", int, 90, "how long a device stays trusted after a login on it", ge=1, le=400),
    ),
)
