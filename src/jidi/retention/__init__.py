"""Retention: data leaves when its time is up (JD-5.2.1a/c, CN-4.4, ZK-4.2.1).

* `rules` — the schedule, collected from the models' `__retention__` declarations: every table, its end event, its
  period and what happens then (`jidi retention schedule`);
* `sweep` — `RetentionSweep`, which applies the time-based rules in batches (`jidi retention run`, nightly job),
  knowing no feature: only the declarations and the hooks they name;
* `models` — the anonymous `delivery_statistics` that finished orders are counted into.
"""

from jidi.kit.feature import Feature

feature = Feature(
    "retention",
    models=("jidi.retention.models",),
    services={"retention": "jidi.retention.sweep:RetentionSweep"},
    jobs="jidi.retention.jobs:register",
)
