"""The feature contract: a feature's declaration (`feature = Feature(...)` in its package) is what wires it into jidi,
and the import contracts (layers, the privacy core, independent features) hold."""
from __future__ import annotations

import dataclasses
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

from fastapi.testclient import TestClient
from huey import MemoryHuey

import jidi
from jidi import cli, models
from jidi import features as feature_registry
from jidi.bootstrap import Container
from jidi.kit.feature import resolve
from jidi.web import app as web_app
from jidi.web.app import create_app
from tools import import_contracts

ROOT = Path(__file__).resolve().parents[1]
CORE_WITH_TABLES = {"privacy", "events"}  # below the features: their tables are the platform's own


def _api_paths(feature) -> set[str]:
    return {"/api/v1" + route.path for ref in feature.api for route in resolve(ref).routes}


def _plain_pages(feature) -> set[str]:
    """The feature's pages that a GET without parameters reaches."""
    return {route.path for ref in feature.pages for route in resolve(ref).routes if "GET" in route.methods and "{" not in route.path}


def _answered(app, paths: set[str]) -> set[str]:
    client = TestClient(app, base_url="https://testserver")
    return {path for path in paths if client.get(path, follow_redirects=False).status_code != 404}


def test_every_package_with_tables_is_a_registered_feature_or_the_core():
    with_models = {info.name for info in pkgutil.iter_modules(jidi.__path__)
                   if info.ispkg and (Path(jidi.__path__[0]) / info.name / "models.py").exists()}
    declaring = {f.name for f in feature_registry.registered() if f.models}
    assert with_models - CORE_WITH_TABLES == declaring
    for feature in feature_registry.registered():
        assert feature.models in ((), (f"jidi.{feature.name}.models",))


def test_the_schema_is_the_core_and_the_declared_models():
    owners = {table.name: mapper.class_.__module__ for mapper in models.Base.registry.mappers
              for table in [mapper.local_table]}
    declared = {m for f in feature_registry.registered() for m in f.models} | {f"jidi.{c}.models" for c in CORE_WITH_TABLES}
    assert set(owners.values()) == declared
    assert set(models.metadata.tables) == set(owners)


def test_routes_are_mounted_from_each_declaration(container, monkeypatch):
    everything = feature_registry.registered()
    app = create_app(container)
    documented = set(app.openapi()["paths"])
    for feature in everything:
        assert _api_paths(feature) <= documented, feature.name
        assert _answered(app, _plain_pages(feature)) == _plain_pages(feature), feature.name
    # Without its declaration, a feature is not there: none of its routes is mounted.
    for feature in everything:
        if feature.api or feature.pages:
            monkeypatch.setattr(web_app, "registered", lambda left_out=feature: tuple(f for f in everything if f is not left_out))
            app = create_app(container)
            assert not _api_paths(feature) & set(app.openapi()["paths"]), feature.name
            assert not _answered(app, _plain_pages(feature)), feature.name


def test_the_container_holds_the_declared_services_under_typed_attributes(container):
    declared = {name: ref for f in feature_registry.registered() for name, ref in f.services.items()}
    typed = {f.name for f in dataclasses.fields(Container) if not f.init} - {"queue", "tasks", "events", "datamap"}
    assert typed <= set(declared)  # a new feature's services may be untyped here for a while (its diff stays its own)
    for name, ref in declared.items():
        factory = resolve(ref)
        assert isinstance(getattr(container, name), factory if isinstance(factory, type) else object), name


def test_each_features_jobs_are_registered(container):
    for feature in feature_registry.registered():
        if feature.jobs:
            names = resolve(feature.jobs)(MemoryHuey("probe", immediate=True), container)
            assert names and all(hasattr(container.tasks, name) for name in names), feature.name


def test_each_template_has_one_home():
    folders = [ROOT / "src/jidi/web/templates", ROOT / "src/jidi/kit/templates"]
    folders += [f.template_dir for f in feature_registry.registered() if f.template_dir]
    names = [p.relative_to(folder).as_posix() for folder in folders for p in folder.rglob("*.html")]
    assert len(names) == len(set(names))
    assert not (ROOT / "src/jidi/web/templates/base.html").exists()


def test_the_import_contracts_cover_every_feature_without_naming_it_and_hold():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    # The contracts say `<features>`, which the linter expands to the packages that declare a feature: the registry's.
    assert import_contracts.feature_packages() == sorted(f.package for f in feature_registry.registered())
    independence = next(c for c in contracts if c["type"] == "feature_independence")
    assert independence["modules"] == ["<features>"]
    layers = next(c for c in contracts if c["type"] == "feature_layers")["layers"]
    assert "<features>" in layers
    # Only the listed exceptions name a feature; the lists of modules never do.
    listed = {m.strip() for c in contracts for key in ("layers", "modules", "forbidden_modules")
              for item in c.get(key, []) for m in item.split(":")}
    assert not listed & {f.package for f in feature_registry.registered()}
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_each_features_commands_are_part_of_jidi():
    for feature in feature_registry.registered():
        for ref in feature.cli:
            command = resolve(ref)
            assert cli.main.commands[command.name] is command, feature.name


def _probe_demo(c, customer_id):
    return [f"probe demo for a customer: {customer_id is not None}"]


def test_a_features_demo_data_is_loaded_from_its_declaration(container, monkeypatch):
    from jidi import demo  # noqa: PLC0415
    from jidi.kit.feature import Feature  # noqa: PLC0415

    probe = Feature(name="probe", demo="tests.test_features:_probe_demo")
    monkeypatch.setattr(demo, "registered", lambda: (*feature_registry.registered(), probe))
    assert "probe demo for a customer: True" in demo.load(container)
