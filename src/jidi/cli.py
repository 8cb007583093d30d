"""The `jidi` command: serve, migrate, demo data, worker, key rotation, audit verification, staff accounts, privacy tools."""
from __future__ import annotations

import sys

import click

from jidi.config import Settings
from jidi.features import registered
from jidi.kit.feature import resolve


def _container():
    from jidi.bootstrap import bootstrap  # noqa: PLC0415
    from jidi.privacy.residency import ResidencyError  # noqa: PLC0415

    try:
        return bootstrap(Settings())
    except ResidencyError as err:  # a deployment decision, not a bug: say what to declare, without a traceback
        raise click.ClickException(str(err)) from err


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """jidi (寄递): express delivery with privacy by design."""
    ctx.obj = _container  # what the features' commands build their container with (jidi.kit.cli)


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from jidi.migrate import describe, upgrade  # noqa: PLC0415

    c = _container()
    # The ledger's carrier: migration 0023 moves the accounts' old consents onto the consent ledger with the key ring.
    click.echo(describe(*upgrade(c.engine, carry_consents=c.consents.carry_legacy)))
    _reapply(c)
    c.audit.seal(c.uow)  # records from before the chain was keyed are adopted at once


def _reapply(c) -> None:
    shredded, erased = c.reapply_tombstones()
    if shredded or erased:
        click.echo(f"erasures re-applied after a restore: {shredded} data keys shredded, {erased} accounts erased")


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
@click.option("--workers", default=None, type=click.IntRange(min=1), help="Server processes (default: JIDI_WORKERS, 1).")
def serve(host: str, port: int, workers: int | None) -> None:
    """Serve the web app and API (each server process re-applies the tombstones before it answers)."""
    import os  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415

    settings = Settings()
    workers = workers or settings.workers
    if workers > 1 and not settings.redis_url:
        click.echo(f"warning: {workers} server processes without JIDI_REDIS_URL: each counts the rate limits on its own", err=True)
    # Links that leave the page (the label's QR code, e-mails) need the public address: unless JIDI_BASE_URL says
    # otherwise, it is the address served here. Set in the environment, so every worker process reads it.
    os.environ.setdefault("JIDI_BASE_URL", serving_url(host, port))
    _container().engine.dispose()  # refuse to start here, with a clear message, on what each server process would refuse
    # No access log: its lines carry the client's address and the path (a waybill number, an order id). Forwarded
    # addresses are read by the app itself, from JIDI_TRUSTED_PROXIES only.
    uvicorn.run("jidi.web.app:app_from_env", factory=True, host=host, port=port, proxy_headers=False,
                workers=workers, access_log=False)


def serving_url(host: str, port: int) -> str:
    """http://host:port as a browser on this machine reaches it (a wildcard address is reached at the loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@main.command()
@click.option("--workers", default=2, type=int)
def worker(workers: int) -> None:
    """Run a job-queue consumer (production: as many as needed, against one Redis)."""
    from jidi.jobs import run_worker  # noqa: PLC0415

    c = _container()
    _reapply(c)  # no job may work on a restored backup's erased subjects
    run_worker(c.queue, workers)


@main.group()
def keys() -> None:
    """Key management."""


@keys.command("init")
def keys_init() -> None:
    """Create the key ring: the key file JIDI_KEY_SOURCE names (mode 0600), or with JIDI_KEY_SOURCE=env print one
    to store in the secret manager that gives every host JIDI_KEYS. Every host and worker must use the same ring."""
    from jidi.privacy.rotation import KeyRingError, init  # noqa: PLC0415

    settings = Settings()
    try:
        ring = init(settings.key_source)
    except KeyRingError as e:
        click.echo(str(e), err=True)
        sys.exit(1)
    if ring is None:
        click.echo(f"key ring created in {settings.key_source} (mode 0600); keep a copy apart from the database backups")
    else:
        click.echo(ring)


@keys.command("rotate")
@click.option("--resume", is_flag=True, help="Only re-wrap keys left on older versions; add no new version.")
@click.option("--batch", default=500, type=int)
def keys_rotate(resume: bool, batch: int) -> None:
    """Add a new master key version and re-wrap every subject key under it, in batches (resumable)."""
    from jidi.privacy.rotation import rotate  # noqa: PLC0415

    c = _container()
    version, done = rotate(c, new_version=not resume, batch=batch, progress=lambda n: click.echo(f"re-wrapped {n} subject keys"))
    click.echo(f"master key version {version} is current; {done} subject keys re-wrapped")


@keys.command("retire")
@click.argument("version", type=int)
def keys_retire(version: int) -> None:
    """Remove an old master key version once nothing is wrapped by it (after `jidi keys rotate` and the backup window)."""
    from jidi.privacy.rotation import KeyRingError, retire  # noqa: PLC0415

    try:
        retire(_container(), version)
    except KeyRingError as e:
        click.echo(str(e), err=True)
        sys.exit(1)
    click.echo(f"master key version {version} retired: backups that need it can no longer be opened")


@main.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Seal what is new, then check the keyed chain against the checkpoints in the ledger; name any edited, removed,
    reordered or forged record, and records cut off the end or truncated."""
    c = _container()
    problems = c.audit.verify(c.uow)
    if problems:
        for p in problems:
            click.echo(str(p), err=True)
        sys.exit(1)
    click.echo("audit log intact")


@main.command()
@click.argument("username")
def totp(username: str) -> None:
    """Development only: print a demo staff member's current authenticator code."""
    from jidi import demo as demo_data  # noqa: PLC0415
    from jidi import errors  # noqa: PLC0415
    from jidi.migrate import current  # noqa: PLC0415

    c = _container()
    if not current(c.engine):
        click.echo("the database has no schema yet: run `make run` (or `jidi migrate` and `jidi demo`) first.", err=True)
        sys.exit(1)
    try:
        click.echo(c.accounts.current_totp(username))
    except errors.AppError as err:
        # The name typed is not echoed: a staff username is personal data.
        reason = ("authenticator codes are not printed in production" if err.code == "forbidden"
                  else "no staff account with that username has an authenticator")
        click.echo(f"{reason}. The demo staff are: {', '.join(demo_data.DEMO_STAFF)}.", err=True)
        sys.exit(1)


@main.group()
def privacy() -> None:
    """Residue scans and erasures after a restore."""


@privacy.command("residue")
@click.argument("subject")
@click.option("--phone", help="Also look for this mobile number (its keyed hash, and in plaintext).")
@click.option("--email", help="Also look for this e-mail address.")
@click.option("--username", help="Also look for this username.")
def privacy_residue(subject: str, phone: str | None, email: str | None, username: str | None) -> None:
    """What remains of SUBJECT (a user id) in every table, the outbox, the job queue and the audit log."""
    import uuid  # noqa: PLC0415

    from jidi.privacy import residue  # noqa: PLC0415

    try:
        subject_id = uuid.UUID(subject)
    except ValueError:
        raise click.BadParameter("SUBJECT is a user id (a UUID)") from None
    c = _container()
    identifiers = {k: v.strip().lower() if k != "phone" else v.strip() for k, v in
                   (("phone", phone), ("email", email), ("username", username)) if v}
    with c.uow() as s:
        findings = residue.scan(s, c.vault, c.datamap, subject_id, identifiers, queue=c.queue)
    unexpected = [f for f in findings if not f.kept]
    for f in findings:
        click.echo(f"{'KEPT' if f.kept else 'FOUND'} {f.where}: {f.count} × {f.what}" + (f" — {f.kept}" if f.kept else ""))
    if not findings:
        click.echo("nothing found")
    sys.exit(1 if unexpected else 0)


@privacy.command("reapply-tombstones")
def privacy_reapply() -> None:
    """After restoring a backup: shred and erase again everyone erased since (also run by `jidi migrate`)."""
    c = _container()
    _reapply(c)
    click.echo("tombstones applied")


@main.group()
def retention() -> None:
    """Retention: data leaves when its time is up (the schedule, and the sweep that applies it)."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would go now; change nothing, write no audit record.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def retention_run(dry_run: bool, as_json: bool) -> None:
    """Apply every time-based rule now (the nightly job does the same); print rows removed per rule and table."""
    import json  # noqa: PLC0415

    c = _container()
    report = c.retention.run(dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, sort_keys=True))
        return
    verb = "would remove" if dry_run else "removed"
    click.echo(f"retention {'dry run' if dry_run else 'run'} at {report.started_at:%Y-%m-%d %H:%M} UTC "
               f"({report.seconds:.1f} s); rows {verb}:")
    for rule, counts in report.rules.items():
        shown = ", ".join(f"{table} {n}" for table, n in counts.items() if n) or "nothing"
        click.echo(f"  {rule:<24} {shown}")
    click.echo("kept on purpose:")
    click.echo(f"  audit records older than the audit period: {report.kept['audit_log_past_retention']} "
               "(the audit log is append-only and hash-chained; nothing is deleted from it)")
    click.echo(f"  orders still in flight after the waybill period: {report.kept['orders_in_flight_past_period']} "
               "(never touched by retention; look into them)")


@retention.command("schedule")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en")
@click.option("--json", "as_json", is_flag=True, help="Every rule and every personal field, as JSON.")
def retention_schedule(lang: str, as_json: bool) -> None:
    """Print the retention schedule: every table with its rule, then every personal field with its period."""
    import json  # noqa: PLC0415

    from jidi import models  # noqa: PLC0415
    from jidi.retention.rules import schedule  # noqa: PLC0415

    c = _container()
    data = schedule(c.catalog, c.settings, set(models.metadata.tables))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    text = "zh" if lang == "zh" else "en"
    click.echo("tables:")
    for r in data["rules"]:
        period = r["period"] or "-"
        click.echo(f"  {r['rule']:<24} {r['action']:<9} {period:<10} after {r['after']:<24} {', '.join(r['tables'])}")
        click.echo(f"      {r[text]}  [{r['by']}]")
    click.echo("personal fields:")
    for f in data["fields"]:
        flag = "  ** configured period differs from the policy text **" if f["mismatch"] else ""
        click.echo(f"  {f['field']:<34} {f['label_' + text]}: {f['declared_' + text]}  [{f['rule']}]{flag}")


# Each feature's commands, as its declaration lists them (jidi.kit.feature).
for _feature in registered():
    for _ref in _feature.cli:
        main.add_command(resolve(_ref))
