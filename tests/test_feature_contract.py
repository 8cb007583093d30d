"""A feature brings its own labels, 我的 entries, staff-console entries, SMS templates and settings (jidi.kit.feature):
the shared code loops over the declarations and names no feature.

Two kinds of proof: a throwaway feature package written to a temporary folder and registered like any other, whose
declarations appear wherever they are read with no shared file edited; and invariants of the shared tables that fail
as soon as a feature's entry is put in one of them instead of in its declaration."""
from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest

import jidi
from jidi import models
from jidi.config import CoreSettings, Settings, settings_class
from jidi.features import registered
from jidi.i18n import gettext_for
from jidi.kit.feature import Link, links_for
from jidi.notify import service as notify_service
from jidi.rights import export
from jidi.web import pages

SRC = Path(jidi.__file__).parent
README = SRC.parents[1] / "README.md"


def _owners() -> dict[str, str | None]:
    """Every table -> the feature whose models define it (None: the privacy core, events and other shared tables)."""
    by_module = {m: f.name for f in registered() for m in f.models}
    return {m.class_.__tablename__: by_module.get(m.class_.__module__) for m in models.Base.registry.mappers}


# -- a feature added the contract's way -------------------------------------------------------------------------
THROWAWAY = '''
    """A feature written only for this test: one of each declaration."""
    from jidi.i18n import N_
    from jidi.kit.feature import Feature, Link, Setting, SmsTemplate


    class _Feature(Feature):
        def tables(self):
            return ("zz_parcels",)  # as if its models defined it: a real feature lists its models' module


    feature = _Feature(
        "zz_throwaway",
        links=(Link(N_("Parcel lockers"), "/zz/lockers", "parcels", 25, testid="me-zz"),
               Link(N_("Locker faults"), "/staff/zz", "actions", 5, page="staff", roles=("courier",))),
        sms=(SmsTemplate("zz_locker_code", N_("[jidi] Your locker code is {code}.")),),
        labels={"zz_parcels.locker_no": N_("Locker number")},
        settings=(Setting("zz_locker_hours", int, 48, "how long a parcel waits in a locker", ge=1, le=168),),
    )
'''


@pytest.fixture
def throwaway(tmp_path, monkeypatch):
    """jidi.zz_throwaway, a package in a temporary folder on jidi's package path, registered as features are."""
    folder = tmp_path / "zz_throwaway"
    folder.mkdir()
    (folder / "__init__.py").write_text(textwrap.dedent(THROWAWAY), encoding="utf-8")
    monkeypatch.setattr(jidi, "__path__", [*jidi.__path__, str(tmp_path)])
    registered.cache_clear()
    try:
        yield registered()
    finally:
        registered.cache_clear()
        sys.modules.pop("jidi.zz_throwaway", None)


def test_a_new_feature_package_brings_its_labels_links_sms_and_settings_with_no_shared_file_edited(throwaway, monkeypatch):
    assert "zz_throwaway" in {f.name for f in throwaway}
    # 我的 and the staff console.
    me = links_for(throwaway, "me", own=pages.OWN_LINKS)
    parcels = [link for link in me if link.section == "parcels"]
    assert "/zz/lockers" in [link.url for link in parcels]
    assert [link.order for link in parcels] == sorted(link.order for link in parcels)  # in its declared place
    courier = [link.url for link in links_for(throwaway, "staff", role="courier")]
    assert courier[0] == "/staff/zz" and "/staff/pickup" in courier
    assert "/staff/zz" not in [link.url for link in links_for(throwaway, "staff", role="privacy_officer")]
    # The SMS template, found by name as notify finds every template.
    assert notify_service.templates(throwaway)["zz_locker_code"] == "[jidi] Your locker code is {code}."
    # The label of its column in "my data", beside the shared vocabulary for its other columns.
    labels = export.ColumnLabels(throwaway)
    assert labels("zz_parcels", "locker_no") == "Locker number"
    assert labels("zz_parcels", "created_at") == export.COLUMN_LABELS["created_at"]
    assert labels("orders", "locker_no") is None  # its label is its own tables', nobody else's
    # The setting: a field of Settings, read from JIDI_ZZ_LOCKER_HOURS, checked against its bounds.
    cls = settings_class(throwaway)
    assert cls(env="test").zz_locker_hours == 48
    monkeypatch.setenv("JIDI_ZZ_LOCKER_HOURS", "72")
    assert cls(env="test").zz_locker_hours == 72
    monkeypatch.setenv("JIDI_ZZ_LOCKER_HOURS", "0")
    with pytest.raises(ValueError):
        cls(env="test")


def test_two_features_cannot_declare_one_sms_template_or_setting(throwaway):
    again = [*throwaway, next(f for f in throwaway if f.name == "zz_throwaway")]
    with pytest.raises(ValueError, match="zz_locker_code"):
        notify_service.templates(again)
    with pytest.raises(ValueError, match="zz_locker_hours"):
        settings_class(again)


# -- invariants: the shared tables hold no feature's entries ----------------------------------------------------
def test_the_shared_label_vocabulary_holds_only_what_several_features_or_the_core_use():
    owners = _owners()
    users: dict[str, set[str]] = {}  # column name -> who has a table with it ("" for a shared table)
    for m in models.Base.registry.mappers:
        for col in m.class_.__table__.columns:
            users.setdefault(col.name, set()).add(owners[m.class_.__tablename__] or "")
    wrong = []
    for key in export.COLUMN_LABELS:
        table, _, column = key.rpartition(".")
        if table:
            if owners.get(table) is not None:
                wrong.append(f"{key}: a table of {owners[table]}, which labels it in its declaration")
        elif "" not in users.get(column, set()) and len(users.get(column, set())) < 2:
            wrong.append(f"{key}: used by {sorted(users.get(column, set())) or 'no table'}, not shared")
    assert wrong == []


def test_each_feature_labels_only_its_own_columns_in_both_languages():
    zh = gettext_for("zh_CN")
    wrong = []
    for feature in registered():
        tables = {t: {c.name for c in models.Base.metadata.tables[t].columns} for t in feature.tables()}
        for key, msgid in feature.labels.items():
            table, _, column = key.rpartition(".")
            ok = column in tables.get(table, set()) if table else any(column in cols for cols in tables.values())
            if not ok:
                wrong.append(f"{feature.name}: {key} is not a column of its tables")
            if zh(msgid) == msgid:
                wrong.append(f"{feature.name}: {msgid!r} has no Chinese translation")
    assert wrong == []


def test_every_page_entry_is_in_a_section_of_its_page_and_translated():
    zh = gettext_for("zh_CN")
    sections = {key for key, _ in pages.ME_SECTIONS}
    links: list[tuple[str, Link]] = [("web.pages", link) for link in pages.OWN_LINKS]
    links += [(f.name, link) for f in registered() for link in f.links]
    wrong = []
    for owner, link in links:
        if link.page == "me" and link.section not in sections:
            wrong.append(f"{owner}: {link.url} in unknown section {link.section!r}")
        if link.page == "staff" and not link.roles:
            wrong.append(f"{owner}: staff entry {link.url} for no role")
        for msgid in filter(None, (link.title, link.note)):
            if zh(msgid) == msgid:
                wrong.append(f"{owner}: {msgid!r} has no Chinese translation")
    urls = [(link.page, link.url) for _, link in links]
    assert wrong == [] and len(urls) == len(set(urls))
    # The pages themselves link no feature's page by hand: every entry comes from a declaration.
    me = (SRC / "web" / "templates" / "me.html").read_text(encoding="utf-8")
    staff = (SRC / "accounts" / "templates" / "staff_home.html").read_text(encoding="utf-8")
    assert re.findall(r'href="/[^"{]', me) == [] and re.findall(r'href="/[^"{]', staff) == []


def test_every_sms_template_sent_is_declared_and_notify_names_none():
    declared = notify_service.templates(registered())
    sent = set()
    for path in SRC.rglob("*.py"):
        sent |= set(re.findall(r'template="(\w+)"', path.read_text(encoding="utf-8")))
    # Templates chosen at run time: verification codes by purpose (Accounts.code_templates), route SMS by event.
    from jidi.tracking.events import NOTIFY  # noqa: PLC0415

    sent |= set(NOTIFY.values())
    assert sent - set(declared) == set()
    assert not hasattr(notify_service, "TEMPLATES")


def test_a_core_setting_is_read_by_more_than_one_feature_or_by_the_app_itself():
    """A setting only one feature reads is that feature's declaration (Feature.settings), not a field of jidi.config."""
    sources = {p: p.read_text(encoding="utf-8") for p in SRC.rglob("*") if p.suffix in (".py", ".html")
               and "migrations" not in p.parts and p.name != "config.py"}
    features = {f.name for f in registered()}
    wrong = []
    for name in CoreSettings.model_fields:
        readers = {p.relative_to(SRC).parts[0] for p, text in sources.items() if re.search(rf"\b{name}\b", text)}
        if len(readers) == 1 and readers <= features:
            wrong.append(f"{name}: read only by {readers.pop()}")
    assert wrong == []


def test_every_feature_setting_is_in_the_readme_with_its_default():
    """The README's configuration table lists each feature's setting, with the declared default."""
    table = README.read_text(encoding="utf-8").split("## Configuration", 1)[1].split("\n### ", 1)[0]
    rows = {var: line for line in table.splitlines() if line.startswith("|") for var in re.findall(r"`(JIDI_[A-Z_]+)`", line)}
    wrong = []
    for name, setting in Settings.declared.items():
        default = str(setting.default).lower() if isinstance(setting.default, bool) else str(setting.default)
        row = rows.get(setting.env)
        if row is None:
            wrong.append(f"{setting.env} is not in the README")
        elif f"`{default}`" not in row:
            wrong.append(f"{setting.env}: the README does not give its default `{default}`")
        for operator in setting.by_operator:
            if operator not in Settings.model_fields["operator"].annotation.__args__:
                wrong.append(f"{name}: unknown operator {operator!r}")
    known = {f"JIDI_{n.upper()}" for n in Settings.model_fields} | {"JIDI_KEYS"}
    assert wrong == [] and set(rows) - known == set()


def test_me_shows_each_declared_entry_once_in_order_with_its_count(client, sms):
    from tests.test_accounts_web import web_register  # noqa: PLC0415

    web_register(client, sms)
    page = client.get("/me?lang=zh_CN").text
    hrefs = [h for h in re.findall(r'<li><a href="(/[^"]*)"', page) if "lang=" not in h]  # not the language switch
    expected = [link.url for key, _ in pages.ME_SECTIONS for link in links_for(registered(), "me", own=pages.OWN_LINKS)
                if link.section == key]
    assert hrefs == expected and len(hrefs) == len(set(hrefs))
    assert 'data-testid="me-address-book">地址簿<span class="sub">0</span>' in page  # the address book's own count
    assert "隐私中心" in page and 'data-testid="me-logout"' in page
