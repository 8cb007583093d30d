"""Every table, imported in one place so the catalog, migrations and tests see the whole schema: the privacy core's and
the event outbox's, then each registered feature's (its declaration's `models`)."""
import importlib

from jidi.db import Base
from jidi.events import models as events_models  # noqa: F401
from jidi.features import registered
from jidi.privacy import models as privacy_models  # noqa: F401

for _feature in registered():
    for _module in _feature.models:
        importlib.import_module(_module)

metadata = Base.metadata
