"""Tracking: route events from scanners and partner systems, the public masked lookup, route SMS."""

from jidi.kit.feature import Feature

feature = Feature(
    "tracking",
    title=("物流跟踪", "Tracking"),
    models=("jidi.tracking.models",),
    services={"tracking": "jidi.tracking.service:Tracking"},
    needs=("notify",),
    api=("jidi.tracking.api:router",),
    pages=("jidi.tracking.views:router",),
    handlers=("jidi.tracking.service",),
    templates=True,
    cli=("jidi.tracking.cli:tracking",),
)
