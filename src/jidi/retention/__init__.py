"""Retention: data leaves when its time is up (JD-5.2.1a/c, CN-4.4, ZK-4.2.1).

* `rules` — the schedule, collected from the models' `__retention__` declarations: every table, its end event, its
  period and what happens then (`jidi retention schedule`);
* `sweep` — `RetentionSweep`, which applies the time-based rules in batches (`jidi retention run`, nightly job),
  knowing no feature: only the declarations and the hooks they name (finished orders are counted into shipping's
  anonymous `delivery_statistics` by its hook).
"""

from jidi.kit.feature import Feature, Setting

feature = Feature(
    "retention",
    services={"retention": "jidi.retention.sweep:RetentionSweep"},
    jobs="jidi.retention.jobs:register",
    settings=(Setting("retention_batch", int, 5000, "rows (orders) per transaction of the retention sweep", ge=1, le=100_000),),
)
