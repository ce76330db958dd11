"""`init` and `status`: set up a working folder and see what the database holds."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from localoffer_audit.config import starter_config_text
from localoffer_audit.store.status import StatusSummary, status_summary
from localoffer_audit.commands.common import AppContext, pass_app
from localoffer_audit.errors import AuditError
from localoffer_audit.models import RunKind, StageStatus


@click.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.option("--url", "url", default=None, metavar="URL",
              help="Your directory's listing page or API: look at it once and write the platform found "
                   "(and, for another platform, the selectors inferred) into the config.")
@click.option("--allow-private", is_flag=True, hidden=True, help="Let --url reach a private address (tests).")
@pass_app
def init(app: AppContext, force: bool, url: str | None, allow_private: bool) -> None:
    """Write a commented starter config file.

    The file goes to --config, $LOCALOFFER_AUDIT_CONFIG or ./localoffer-audit.toml.
    Edit its [directory] section to point at your council's directory, or give
    --url: the page is read once, and the config names what was found and why (an
    Open Objects FSD, an Open Referral UK API, or another site with selectors inferred
    from its listing), or says plainly that it could not tell. Check the result with
    `localoffer-audit crawl --dry-run`.

    Example:

    \b
        localoffer-audit init
        localoffer-audit init --url https://www.example.gov.uk/send-local-offer
        localoffer-audit --config /etc/localoffer-audit.toml init --force
    """
    path = app.config_path
    if path.exists() and not force:
        raise AuditError(f"{path} already exists; pass --force to overwrite it")
    text = starter_config_text()
    found = None
    if url is not None:
        from localoffer_audit.crawl.probe import ProbeError, config_for, probe

        try:
            found = probe(url, allow_private=allow_private)
        except ProbeError as exc:
            raise AuditError(str(exc)) from exc
        text = config_for(found, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if found is None:
        click.echo(f"Wrote {path}. Edit [directory] start_urls for your site.")
    elif found.detection.platform is None:
        click.echo(f"Wrote {path} with platform = \"auto\": could not tell the platform ({found.detection.reason}).")
    else:
        click.echo(f"Wrote {path}: platform {found.detection.platform} ({found.detection.reason}). "
                   "Check it with `localoffer-audit crawl --dry-run`.")



@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--runs", "run_limit", default=5, show_default=True, help="How many recent runs to list.")
@pass_app
def status(app: AppContext, as_json: bool, run_limit: int) -> None:
    """Show what the database holds: recent runs, services, links, findings.

    Example:

    \b
        localoffer-audit status
        localoffer-audit --db council.db status --json
    """
    db_path = app.database_path()
    if not db_path.exists():
        click.echo(f"No database at {db_path} yet: nothing has run.")
        return
    with app.database() as db:
        summary = status_summary(db, run_limit)
    if as_json:
        click.echo(json.dumps(asdict(summary), indent=2))
    else:
        click.echo(format_status(db_path, summary))


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in counts.items()) or "none"


def format_status(db_path: Path, summary: StatusSummary) -> str:
    lines = [f"Database: {db_path}"]
    if summary.runs:
        lines.append("Recent runs:")
        for run in summary.runs:
            finished = run.finished_at or "not finished"
            counts = " ".join(f"{k}={v}" for k, v in run.counts.items() if not isinstance(v, dict | list))
            # Each stage of a nightly run records a run of its own: say whose, so the ids read in order.
            of = f" (stage of nightly #{run.parent_run_id})" if run.parent_run_id else ""
            lines.append(f"  #{run.id} {run.kind:<8} {run.status:<10} {run.started_at} -> {finished}{of} {counts}".rstrip())
            # A night that did not complete says which stages went wrong and why, as its report does.
            if run.kind == RunKind.NIGHTLY:
                lines.extend(
                    f"      {stage.name} {stage.status}: {stage.message or 'no reason recorded'}"
                    for stage in run.stage_results()
                    if stage.status in (StageStatus.INCOMPLETE, StageStatus.FAILED)
                )
    else:
        lines.append("Recent runs: none yet")
    lines.append(f"Services: {_counts(summary.services_by_state)}")
    if summary.advice_pages_by_state:
        lines.append(f"Information and advice pages: {_counts(summary.advice_pages_by_state)}")
    links = sum(summary.links_by_verdict.values())
    lines.append(f"Links on live services and information and advice pages: {links:,}" + (f" ({_counts(summary.links_by_verdict)})" if links else ""))
    problems = sum(summary.open_findings_by_severity.values())
    lines.append(f"Open problems: {problems:,}" + (f" ({_counts(summary.open_findings_by_severity)})" if problems else ""))
    lines.append(f"Content managers in the mapping file: {summary.managers}")
    lines.append(f"QA samples: {summary.qa_samples}")
    lines.append(f"Emails: {_counts(summary.emails_by_status)}")
    return "\n".join(lines)


COMMANDS = [init, status]
