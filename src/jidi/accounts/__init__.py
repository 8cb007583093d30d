"""Accounts: registration and login (SMS code, password, WeChat), profile, staff with a second factor."""

from jidi.kit.feature import Feature

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
)
