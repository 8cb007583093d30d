"""`jidi staff`: staff accounts."""
from __future__ import annotations

import click

from jidi.kit.cli import container
from jidi.privacy import Role


@click.group()
def staff() -> None:
    """Staff accounts."""


@staff.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["courier", "support_agent", "privacy_officer", "admin"]), required=True)
@click.password_option()
def staff_create(username: str, role: str, password: str) -> None:
    """Create a staff account; prints its authenticator (TOTP) secret once."""
    _, secret, uri = container().accounts.create_staff(Role(role), username, password)
    click.echo(f"created {role} {username}. Add this to the authenticator app now; it is not shown again:\n{secret}\n{uri}")
