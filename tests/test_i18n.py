"""Translations: every message marked for translation has a Simplified Chinese translation, and the app speaks
Chinese by default and English on request (?lang=en, remembered in a cookie, or Accept-Language).

The message template is extracted afresh from the code, exactly as `make i18n-extract` does it, so a string added
later without a translation fails here. To fix: `make i18n-update`, then fill in the new empty msgstr entries of
src/jidi/locale/zh_CN/LC_MESSAGES/messages.po.
"""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from jidi import errors
from jidi.i18n import DEFAULT_LOCALE, LOCALE_DIR, gettext_for
from jidi.kit.deps import LANG_COOKIE
from jidi.features import registered
from jidi.notify.service import templates
from tests.pii import PHONES

SMS_TEMPLATES = templates(registered())

ROOT = Path(__file__).resolve().parent.parent
ZH_PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
CJK = re.compile(r"[\u4e00-\u9fff]")

# msgids whose Chinese is legitimately the same text (brand names, codes). Keep this short.
SAME_IN_CHINESE: set[str] = set()


# -- the catalogs ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The message template, extracted now from the code with the Makefile's i18n-extract settings."""
    out = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "N_", "-k", "NC_:1c,2", "-o", str(out),
        "--no-location", "--sort-output", str(ROOT / "src" / "jidi"),
    ])
    with out.open("rb") as fh:
        return read_po(fh)


@pytest.fixture(scope="module")
def zh_catalog():
    with ZH_PO.open("rb") as fh:
        return read_po(fh, locale="zh_CN")


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def placeholders(text: str) -> set[str]:
    """The {names} str.format fills in (raises ValueError on unbalanced braces)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_extraction_covers_python_templates_and_sms(template):
    """Guards the extraction itself: if babel.cfg or the keywords stop matching, the check below would pass on nothing."""
    ids = {i for m in template if m.id for i in _ids(m)}
    expected = {
        "Log in / Register",  # a Jinja2 template
        "jidi",  # base.html
        errors.invalid_phone().message,  # N_() in errors.py
        "Some fields are missing or invalid: {fields}.",  # N_() in web/app.py
        "password (8–128 characters)",  # an invalid_field label in jidi/values.py
        *SMS_TEMPLATES.values(),  # the features' SMS templates (Feature.sms)
    }
    assert expected <= ids, f"not extracted: {sorted(expected - ids)}"


def test_every_message_has_a_chinese_translation_with_the_same_placeholders(template, zh_catalog):
    problems = []
    for message in template:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        translated = zh_catalog.get(key, context=message.context)
        if translated is None or not all(_strings(translated)):
            problems.append(f"untranslated: {key!r}" + (f" in context {message.context!r}" if message.context else ""))
            continue
        if translated.fuzzy:
            problems.append(f"fuzzy (review it and remove the flag): {key!r}")
        for text in _strings(translated):
            try:
                got = placeholders(text)
            except ValueError:
                problems.append(f"broken braces in the translation of {key!r}: {text!r}")
                continue
            if got != placeholders(key):
                problems.append(f"placeholders differ for {key!r}: {sorted(placeholders(key))} vs {sorted(got)} in {text!r}")
            if key not in SAME_IN_CHINESE and (text == key or not CJK.search(text)):
                problems.append(f"not Chinese: {key!r} -> {text!r}")
    assert not problems, "zh_CN catalog (run `make i18n-update` and translate):\n" + "\n".join(problems)


def test_the_app_reads_the_catalog():
    assert DEFAULT_LOCALE == "zh_CN"
    zh, en = gettext_for("zh_CN"), gettext_for("en")
    assert zh("Log in / Register") == "登录 / 注册"
    assert zh("jidi") == "寄递"
    assert en("Log in / Register") == "Log in / Register"  # English falls back to the msgid


def test_sms_code_translations_keep_the_code_readable():
    """The code must stand apart from the text around it (phones and tests pick out the 6 digits)."""
    for locale in ("zh_CN", "en"):
        text = gettext_for(locale)(SMS_TEMPLATES["login_code"]).format(code="123456")
        assert re.search(r"\b123456\b", text), text
    assert gettext_for("zh_CN")(SMS_TEMPLATES["login_code"]).startswith("【寄递】")


# -- language negotiation on pages ----------------------------------------------------------------------
def assert_chinese(response):
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.text
    assert "登录 / 注册" in response.text
    assert "Log in / Register" not in response.text


def assert_english(response):
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "Log in / Register" in response.text
    assert "登录" not in response.text


def test_pages_are_in_chinese_by_default(client):
    assert_chinese(client.get("/login"))
    assert_chinese(client.get("/"))


@pytest.mark.promise("JD-3.1.1a")
def test_the_chosen_language_is_remembered_in_a_cookie(client):
    response = client.get("/login?lang=en")
    assert_english(response)
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{LANG_COOKIE}="))
    assert cookie.startswith(f"{LANG_COOKIE}=en;")
    max_age = int(re.search(r"Max-Age=(\d+)", cookie, re.I).group(1))
    assert max_age >= 30 * 86400, "the preference outlives the browser session"
    assert client.cookies.get(LANG_COOKIE) == "en"

    # Later visits without ?lang= stay English, even if the browser prefers Chinese: the user's choice wins.
    assert_english(client.get("/login"))
    assert_english(client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}))

    # Switching back is remembered the same way.
    assert_chinese(client.get("/login?lang=zh_CN"))
    assert client.cookies.get(LANG_COOKIE) == "zh_CN"
    assert_chinese(client.get("/login", headers={"Accept-Language": "en"}))

    # Without the cookie the default applies again.
    client.cookies.clear()
    assert_chinese(client.get("/login"))


def test_accept_language_picks_the_language_when_none_was_chosen(client):
    for header in ("en", "en-US,en;q=0.9", "fr-FR,en;q=0.5", "zh-CN;q=0.3, en-GB;q=0.8"):
        assert_english(client.get("/login", headers={"Accept-Language": header}))
    for header in ("zh-CN,zh;q=0.9,en;q=0.8", "zh-TW", "fr-FR", "", "*"):
        assert_chinese(client.get("/login", headers={"Accept-Language": header}))


# -- API errors and SMS ---------------------------------------------------------------------------------
def test_api_errors_are_in_chinese_by_default_and_english_on_request(client):
    english = errors.invalid_phone().message
    response = client.post("/api/v1/auth/sms-codes", json={"phone": "123"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_phone"
    assert error["message"] == gettext_for("zh_CN")(english) != english
    assert "手机号" in error["message"]

    response = client.post("/api/v1/auth/sms-codes", json={"phone": "123"}, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert response.json()["error"] == {"code": "invalid_phone", "message": english}

    response = client.post("/api/v1/auth/sms-codes?lang=en", json={"phone": "123"})
    assert response.json()["error"]["message"] == english


def test_error_placeholders_are_filled_in_both_languages(client):
    assert client.post("/api/v1/auth/sms-codes", json={"phone": PHONES[0]}).status_code == 202
    zh = client.post("/api/v1/auth/sms-codes", json={"phone": PHONES[0]}).json()["error"]
    en = client.post("/api/v1/auth/sms-codes", json={"phone": PHONES[0]}, headers={"Accept-Language": "en"}).json()["error"]
    assert zh["code"] == en["code"] == "code_too_soon"
    assert re.fullmatch(r"请\d+秒后再获取验证码。", zh["message"]), zh["message"]
    assert re.fullmatch(r"Please wait \d+ seconds before requesting another code\.", en["message"]), en["message"]


def test_sms_is_written_in_the_language_of_the_request(client, sms):
    assert client.post("/api/v1/auth/sms-codes", json={"phone": PHONES[1]}).status_code == 202
    phone, text = sms.sent[-1]
    assert phone == PHONES[1]
    assert text.startswith("【寄递】") and "5分钟" in text
    assert sms.last_code(PHONES[1]) in text

    assert client.post("/api/v1/auth/sms-codes", json={"phone": PHONES[2]}, headers={"Accept-Language": "en"}).status_code == 202
    phone, text = sms.sent[-1]
    assert phone == PHONES[2]
    assert text.startswith("[jidi] Your verification code is ")
    assert sms.last_code(PHONES[2]) in text


# -- how Chinese is written -----------------------------------------------------------------------------
# ASCII punctuation that Chinese text writes full-width (，！？（）：；), found next to a Chinese character or Chinese
# punctuation; and ASCII brackets anywhere in Chinese text ("数量(1–999)" as much as "(可选)"), but not "%(name)s".
_CHINESE_SIDE = r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]"
_ASCII_BESIDE_CHINESE = re.compile(rf"{_CHINESE_SIDE}\s*[,!?():;]|[,!?():;]\s*{_CHINESE_SIDE}|[()]")
_PERCENT_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def ascii_punctuation_in_chinese(text: str) -> bool:
    return bool(_ASCII_BESIDE_CHINESE.search(_PERCENT_PLACEHOLDER.sub("{}", text)))


def test_chinese_translations_use_full_width_punctuation(zh_catalog):
    problems = [f"{message.id!r} -> {text!r}" for message in zh_catalog if message.id
                for text in _strings(message) if CJK.search(text) and ascii_punctuation_in_chinese(text)]
    assert not problems, "use ，！？（）：； in Chinese:\n" + "\n".join(problems)


def test_the_punctuation_check_finds_what_it_should():
    for wrong in ("请检查:{field}。", "验证码已发送,请查收", "欢迎!", "数量(1–999)", "（可选)", "没有设置密码?"):
        assert ascii_punctuation_in_chinese(wrong), wrong
    for right in ("请检查：{field}。", "事件（每批最多 1,000 条）", "其他用户在 %(count)s 条记录中", "运单号 JD1234567890128"):
        assert not ascii_punctuation_in_chinese(right), right


def test_an_error_lists_the_fields_as_the_language_writes_lists(client):
    zh = client.post("/api/v1/auth/password-login", json={}).json()["error"]
    en = client.post("/api/v1/auth/password-login", json={}, headers={"Accept-Language": "en"}).json()["error"]
    assert zh["code"] == en["code"] == "invalid_input" and len(zh["fields"]) == 2
    first, second = zh["fields"]
    assert zh["message"] == f"部分信息未填写或格式有误：{first}和{second}。"
    assert en["message"] == f"Some fields are missing or invalid: {first} and {second}."


# Words whose Chinese depends on what they name (收件人 or 目的地 or 接收号码; 物品名称 or 信息项): only ever with a
# context (pgettext in templates, NC_ in Python), so that one translation cannot serve two meanings again.
AMBIGUOUS = {"To", "From", "Item"}


def test_ambiguous_words_are_always_marked_with_what_they_mean(template):
    bare = sorted(m.id for m in template if m.id in AMBIGUOUS and not m.context)
    assert not bare, f"give these a context (pgettext / NC_): {bare}"
    assert {m.id for m in template if m.context} >= AMBIGUOUS
