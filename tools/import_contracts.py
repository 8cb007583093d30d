"""Import contracts that find the features themselves, so that a new feature is covered without editing the contract.

Where a contract in pyproject.toml lists `<features>` (as a module, or inside a layer `a : <features> : b`), it stands for
every package under src/jidi whose __init__.py declares `feature = Feature(...)` — the same packages
`jidi.features.registered()` finds (tests/test_features.py checks that both agree). The packages are found by reading
the files, not by importing jidi, so the linter sees the code as it is written.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract
from importlinter.contracts.layers import LayersContract

SRC = Path(__file__).resolve().parent.parent / "src" / "jidi"
TOKEN = "<features>"
DECLARATION = re.compile(r"^feature = Feature\(", re.MULTILINE)


def feature_packages(src: Path = SRC) -> list[str]:
    """`jidi.<name>` for each package that declares a feature, sorted."""
    return sorted(f"jidi.{init.parent.name}" for init in src.glob("*/__init__.py")
                  if DECLARATION.search(init.read_text(encoding="utf-8")))


def _expand(options: dict[str, Any], key: str, *, one_layer: bool = False) -> dict[str, Any]:
    """The options with `<features>` in `key`'s list replaced: by one item per feature, or within one layer's string."""
    features = feature_packages()
    items: list[str] = []
    for item in options.get(key, []):
        if item == TOKEN and not one_layer:
            items += features
        else:
            items.append(item.replace(TOKEN, " : ".join(features)))
    return {**options, key: items}


class FeatureLayers(LayersContract):
    """`layers`, where a layer may be `<features>`: every feature, independent siblings of one layer."""

    def __init__(self, name: str, session_options: dict[str, Any], contract_options: dict[str, Any]) -> None:
        super().__init__(name, session_options, _expand(contract_options, "layers", one_layer=True))


class FeatureIndependence(IndependenceContract):
    """`independence` over `modules`, which may be `<features>`."""

    def __init__(self, name: str, session_options: dict[str, Any], contract_options: dict[str, Any]) -> None:
        super().__init__(name, session_options, _expand(contract_options, "modules"))


class FeatureForbidden(ForbiddenContract):
    """`forbidden`, where the forbidden modules may be `<features>` (less the sources themselves)."""

    def __init__(self, name: str, session_options: dict[str, Any], contract_options: dict[str, Any]) -> None:
        options = _expand(contract_options, "forbidden_modules")
        sources = set(options.get("source_modules", []))
        options["forbidden_modules"] = [m for m in options["forbidden_modules"] if m not in sources]
        super().__init__(name, session_options, options)
