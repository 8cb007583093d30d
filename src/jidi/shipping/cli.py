"""`jidi merchant`: merchant channels that import orders."""
from __future__ import annotations

import click

from jidi.kit.cli import container


@click.group()
def merchant() -> None:
    """Merchant channels that import orders."""


@merchant.command("create")
@click.argument("name")
def merchant_create(name: str) -> None:
    """Register a merchant; prints its API key (X-Api-Key for POST /api/v1/merchant/orders) once."""
    merchant_id, key = container().shipping.create_merchant(name)
    click.echo(f"created merchant {merchant_id}. Its API key; it is not shown again:\n{key}")
