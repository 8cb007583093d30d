"""`jidi tracking`: route-event sources."""
from __future__ import annotations

import click

from jidi.kit.cli import container


@click.group()
def tracking() -> None:
    """Route-event sources (scanners, partner systems)."""


@tracking.command("add-source")
@click.argument("name")
@click.option("--kind", type=click.Choice(["scanner", "partner"]), default="scanner")
def tracking_add_source(name: str, kind: str) -> None:
    """Register a scanner fleet or partner system; prints its API key (X-Api-Key) once."""
    source_id, key = container().tracking.create_source(name, kind)
    click.echo(f"created {kind} source {source_id}. Its API key for POST /api/v1/tracking/events (X-Api-Key); "
               f"it is not shown again:\n{key}")
