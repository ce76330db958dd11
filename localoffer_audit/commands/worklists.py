"""`worklists` and `email`: each content manager's fix list, as files and by email."""

from __future__ import annotations

from pathlib import Path

import click

from localoffer_audit.outputs.mail import prepare_and_send
from localoffer_audit.outputs.worklists import build_worklists
from localoffer_audit.commands.common import AppContext, pass_app


@click.command()
@click.option("--manager", metavar="EMAIL", help="Only this content manager's list.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the lists (default: the worklists/ folder in [output] folder).",
)
@pass_app
def worklists(app: AppContext, manager: str | None, out_dir: Path | None) -> None:
    """Write each content manager's fix list as HTML and CSV.

    One list per manager: their open, confirmed findings grouped by service, most
    serious and oldest first, with where to edit, the exact link or field, what is
    wrong, since when and what to do, plus what is new and what was fixed since their
    last list. Also writes index.html (every list), history/ (a history page per
    entry with a problem, linked from its card) and, when serious problems have been
    open too long, escalation.html.

    These lists are previews: "new" and "fixed" are measured from the list each
    manager last saw (written by `nightly` or sent by `email --send`), and writing
    them here changes no manager's "since your last list".

    Example:

    \b
        localoffer-audit worklists
        localoffer-audit worklists --manager sam.smith@council.gov.uk --out /tmp/lists
    """
    config = app.config()
    folder = out_dir or config.output.folder / "worklists"
    with app.writing() as db:
        # A preview: the nightly run's lists and sent emails set the baselines.
        results = build_worklists(db, config, out_dir=folder, manager=manager, record=False)
    if not results:
        click.echo("No worklist to write: nobody has anything to fix" + (f" ({manager})." if manager else "."))
        return
    for result in results:
        click.echo(
            f"{result.manager.name} <{result.manager.email}>: {result.open} open in "
            f"{result.services} service{'' if result.services == 1 else 's'}, "
            f"{result.new} new, {result.fixed} fixed -> {result.html_path}"
        )
    click.echo(f"Wrote {len(results)} worklist{'' if len(results) == 1 else 's'} (HTML and CSV).")


@click.command()
@click.option("--send", is_flag=True, help="Really send by SMTP. Without it, write .eml previews only.")
@click.option("--manager", metavar="EMAIL", help="Only this content manager's message.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the .eml files (default: the emails/ folder in [output] folder).",
)
@pass_app
def email(app: AppContext, send: bool, manager: str | None, out_dir: Path | None) -> None:
    """Email each content manager their fix list (preview unless --send).

    One multipart (text and HTML) message per manager with something to fix, and an
    escalation digest for the default owner. Every message is logged in the database;
    an unchanged list is not re-sent within [email] resend_after_days; a message that
    could not be sent stays queued and is retried on the next run. The SMTP password
    is read from the environment variable named by [email] password_env.

    Example:

    \b
        localoffer-audit email
        LOCALOFFER_AUDIT_SMTP_PASSWORD=... localoffer-audit email --send
    """
    config = app.config()
    folder = out_dir or config.output.folder / "emails"
    with app.writing() as db:
        summary = prepare_and_send(db, config, send=send, out_dir=folder, manager=manager)
    for outcome in summary.outcomes:
        line = f"{outcome.status:<9} {outcome.kind:<10} {outcome.manager_email}: {outcome.subject}"
        if outcome.error:
            line += f" ({outcome.error})"
        if outcome.unchanged_since_last_sent:
            line += " (unchanged since last sent: --send would skip it)"
        click.echo(line)
    for warning in summary.warnings:
        click.echo(f"Warning: {warning}", err=True)
    counts = ", ".join(f"{status} {count}" for status, count in summary.counts.items()) or "nothing to send"
    where = f" Previews in {folder}." if not send and summary.outcomes else ""
    click.echo(f"Emails: {counts}.{where}")


COMMANDS = [worklists, email]
