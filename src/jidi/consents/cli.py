"""`jidi consent`: the proof of a person's consent, and a check of the consent ledger."""
from __future__ import annotations

import click

from jidi import errors
from jidi.consents.service import when
from jidi.i18n import gettext_for
from jidi.kit.cli import container
from jidi.privacy import Actor


@click.group()
def consent() -> None:
    """The consent ledger."""


@consent.command("proof")
@click.argument("who")
@click.argument("purpose")
def proof(who: str, purpose: str) -> None:
    """Replay the exact text, version, way and time of WHO's (account id or login name) consent to PURPOSE."""
    c = container()
    try:
        user_id, found = c.consent_center.proof(Actor.system(), who, purpose)
    except errors.AppError as err:
        raise click.ClickException(err.render(gettext_for("en"))) from None
    if found is None:
        raise click.ClickException(f"account {user_id} never gave the consent '{purpose}'")
    g = found.granted
    click.echo(f"account:   {user_id}\nconsent:   {found.topic.value}\nversion:   {g.version}\n"
               f"given:     {when(g.at)} China time, {g.how}{f' ({g.how_ref})' if g.how_ref else ''}\n"
               f"sha256:    {g.sha256 or '-'}{' (matches the text kept)' if found.text_matches else ''}")
    click.echo(f"withdrawn: {when(found.withdrawn.at)} China time, {found.withdrawn.how}" if found.withdrawn else "withdrawn: no")
    click.echo("text shown:")
    click.echo(found.text if found.text is not None else "(not kept: recorded before the consent ledger)")


@consent.command("verify")
def verify() -> None:
    """Check every record's MAC and every text's hash."""
    c = container()
    with c.uow() as s:
        problems = c.consents.verify(s)
    for p in problems:
        click.echo(p)
    if problems:
        raise SystemExit(1)
    click.echo("consent ledger: every record and text checks out")
