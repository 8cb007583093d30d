"""The `jidi` command: serve, migrate, demo data, worker, key rotation, audit verification, staff accounts."""
from __future__ import annotations

import sys

import click

from jidi.config import Settings


def _container():
    from jidi.bootstrap import bootstrap  # noqa: PLC0415

    return bootstrap(Settings())


@click.group()
def main() -> None:
    """jidi (寄递): express delivery with privacy by design."""


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from jidi.migrate import upgrade  # noqa: PLC0415

    c = _container()
    upgrade(c.engine)
    click.echo("database is up to date")


@main.command()
def demo() -> None:
    """Load demo data (development) and print the demo logins."""
    from jidi import demo as demo_data  # noqa: PLC0415

    c = _container()
    for line in demo_data.load(c):
        click.echo(line)


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
def serve(host: str, port: int) -> None:
    """Serve the web app and API."""
    import uvicorn  # noqa: PLC0415

    uvicorn.run("jidi.web.app:app_from_env", factory=True, host=host, port=port, proxy_headers=False)


@main.command()
@click.option("--workers", default=2, type=int)
def worker(workers: int) -> None:
    """Run a job-queue consumer (production: as many as needed, against one Redis)."""
    from jidi.jobs import run_worker  # noqa: PLC0415

    run_worker(_container().queue, workers)


@main.group()
def keys() -> None:
    """Key management."""


@keys.command("rotate")
@click.option("--resume", is_flag=True, help="Only re-wrap keys left on older versions; add no new version.")
@click.option("--batch", default=500, type=int)
def keys_rotate(resume: bool, batch: int) -> None:
    """Add a new master key version and re-wrap every subject key under it, in batches (resumable)."""
    from jidi.privacy.rotation import rotate  # noqa: PLC0415

    c = _container()
    version, done = rotate(c, new_version=not resume, batch=batch, progress=lambda n: click.echo(f"re-wrapped {n} subject keys"))
    click.echo(f"master key version {version} is current; {done} subject keys re-wrapped")


@main.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the hash chain; name any edited, removed or reordered record."""
    from jidi.privacy.audit import verify  # noqa: PLC0415

    c = _container()
    with c.uow() as s:
        problems = verify(s)
    if problems:
        for p in problems:
            click.echo(str(p), err=True)
        sys.exit(1)
    click.echo("audit log intact")


@main.group()
def staff() -> None:
    """Staff accounts."""


@staff.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["courier", "support_agent", "privacy_officer", "admin"]), required=True)
@click.password_option()
def staff_create(username: str, role: str, password: str) -> None:
    """Create a staff account; prints its authenticator (TOTP) secret once."""
    from jidi.privacy import Role  # noqa: PLC0415

    c = _container()
    _, secret, uri = c.accounts.create_staff(Role(role), username, password)
    click.echo(f"created {role} {username}. Add this to the authenticator app now; it is not shown again:\n{secret}\n{uri}")


@main.group()
def merchant() -> None:
    """Merchant channels that import orders."""


@merchant.command("create")
@click.argument("name")
def merchant_create(name: str) -> None:
    """Register a merchant; prints its API key (X-Api-Key for POST /api/v1/merchant/orders) once."""
    merchant_id, key = _container().shipping.create_merchant(name)
    click.echo(f"created merchant {merchant_id}. Its API key; it is not shown again:\n{key}")


@main.group()
def tracking() -> None:
    """Route-event sources (scanners, partner systems)."""


@tracking.command("add-source")
@click.argument("name")
@click.option("--kind", type=click.Choice(["scanner", "partner"]), default="scanner")
def tracking_add_source(name: str, kind: str) -> None:
    """Register a scanner fleet or partner system; prints its API key (X-Api-Key) once."""
    source_id, key = _container().tracking.create_source(name, kind)
    click.echo(f"created {kind} source {source_id}. Its API key for POST /api/v1/tracking/events (X-Api-Key); "
               f"it is not shown again:\n{key}")


@main.command()
@click.argument("username")
def totp(username: str) -> None:
    """Development only: print a demo staff member's current authenticator code."""
    click.echo(_container().accounts.current_totp(username))
