"""`jidi policy`: generate the privacy policy, publish it as a new version, list the versions."""
from __future__ import annotations

import datetime as dt
import json

import click

from jidi import errors
from jidi.i18n import gettext_for
from jidi.kit.cli import container


@click.group()
def policy() -> None:
    """The privacy policy: generated from the catalog, published as kept versions."""


@policy.command("show")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@click.option("--json", "as_json", is_flag=True, help="The structured content and the classification, as JSON.")
def policy_show(lang: str, as_json: bool) -> None:
    """Print the policy as it would be published now, and how it differs from the latest published version."""
    draft = container().policy.draft()
    if as_json:
        click.echo(json.dumps(draft.public(), ensure_ascii=False, indent=1))
        return
    click.echo(draft.text("zh_CN" if lang == "zh" else "en"))
    click.echo(f"-- {draft.kind} compared with the latest published version" + (" (needs a fresh acceptance)" if draft.fresh_consent else ""))
    for line in draft.change_texts("zh_CN" if lang == "zh" else "en"):
        click.echo(f"   {line}")


@policy.command("publish")
@click.option("--effective", "effective", required=True, help="Effective date (China), YYYY-MM-DD: today or later.")
@click.option("--summary-zh", default="", help="Summary of the changes, in Chinese (default: what the comparison found).")
@click.option("--summary-en", default="", help="Summary of the changes, in English.")
@click.option("--high-risk-zh", default="", help="The high-risk finding of an impact assessment, in Chinese (a material change).")
@click.option("--high-risk-en", default="", help="… in English.")
def policy_publish(effective: str, summary_zh: str, summary_en: str, high_risk_zh: str, high_risk_en: str) -> None:
    """Publish the generated policy as a new version; a material one is announced to every customer."""
    try:
        day = dt.date.fromisoformat(effective)
    except ValueError:
        raise click.BadParameter("expected a date, YYYY-MM-DD", param_hint="--effective") from None
    high_risk = (high_risk_zh, high_risk_en) if high_risk_zh or high_risk_en else None
    try:
        shown = container().policy.publish(day, summary_zh, summary_en, high_risk_assessment=high_risk)
    except errors.AppError as err:
        raise click.ClickException(err.render(gettext_for("en"))) from None
    click.echo(f"published version {shown.version} ({shown.kind}), effective {shown.effective_on.isoformat()}"
               + ("; customers must accept it before it applies to them" if shown.fresh_consent else ""))


@policy.command("versions")
def policy_versions() -> None:
    """Every published version, newest first."""
    for v in container().policy.versions():
        click.echo(f"{v.version:<14} effective {v.effective_on.isoformat()}  {v.kind:<9} {v.summary[1][:80]}")
