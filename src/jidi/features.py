"""The registry of features: every package under jidi that declares `feature = Feature(...)` in its __init__.py
(jidi.kit.feature), found by looking. bootstrap, the web app, models, jobs and the command line loop over it."""
from __future__ import annotations

import functools
import importlib
import pkgutil

import jidi
from jidi.kit.feature import Feature


@functools.cache
def registered() -> tuple[Feature, ...]:
    found: dict[str, Feature] = {}
    for info in pkgutil.iter_modules(jidi.__path__):
        if info.ispkg:
            declared = getattr(importlib.import_module(f"jidi.{info.name}"), "feature", None)
            if isinstance(declared, Feature):
                if declared.name != info.name:
                    raise ValueError(f"jidi.{info.name} declares a feature named {declared.name!r}")
                found[declared.name] = declared
    for feature in found.values():
        if missing := set(feature.needs) - found.keys():
            raise ValueError(f"feature {feature.name!r} needs {sorted(missing)}, which are not registered")
    return tuple(found[name] for name in sorted(found))
