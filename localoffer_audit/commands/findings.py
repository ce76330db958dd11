"""`content`, `findings` (list, dismiss, import-dismissals, dismissals) and `rules`."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from localoffer_audit.catalogue import ALL_RULES
from localoffer_audit.findings.lifecycle import (
    DISMISSAL_KINDS,
    dismiss_finding,
    dismissals_report,
    export_record,
    import_dismissals,
    list_findings,
    run_findings,
    write_findings_csv,
)
from localoffer_audit.models import FindingStatus, Severity
from localoffer_audit.commands.common import AppContext, pass_app


def _parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date written as YYYY-MM-DD") from exc


@click.command()
@click.option("--today", callback=_parse_day, metavar="YYYY-MM-DD",
              help="Judge dates as if today were this day (default: today).")
@pass_app
def content(app: AppContext, today: date | None) -> None:
    """Run the content rules and bring the findings up to date.

    Reads the services the last crawl stored and the link checker's confirmed verdicts,
    opens new findings, marks fixed the ones a complete run no longer sees, and reopens
    any that came back. After an incomplete crawl nothing is marked fixed.

    Example:

    \b
        localoffer-audit content
        localoffer-audit findings list --severity high
    """
    config = app.config()
    with app.writing() as db:
        summary = run_findings(db, config, today=today or date.today())
    counts = summary.counts
    open_counts = ", ".join(f"{k} {v}" for k, v in _by_severity(counts.get("open_by_severity", {}))) or "none"
    # Findings now carried by another finding of the same entry are no fix: said apart.
    closed_apart = f", {counts['folded']} now part of another finding" if counts.get("folded") else ""
    if counts.get("switched_off"):
        closed_apart += f", {counts['switched_off']} closed because their check is switched off"
    click.echo(
        f"Content run #{summary.run_id} {summary.status}: {counts['new']} new, {counts['reopened']} reopened, "
        f"{counts['fixed']} fixed{closed_apart}. Open: {open_counts}."
    )
    if summary.status == "complete":
        return
    if summary.crawl_status is None:
        # Not an error: a new database, before the first crawl.
        click.echo("No crawl has run yet: run `localoffer-audit crawl` first.", err=True)
    else:
        click.echo("The latest crawl was incomplete, so no finding was marked fixed.", err=True)


def _by_severity(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(s.value, counts[s.value]) for s in Severity if counts.get(s.value)]


@click.group(invoke_without_command=True)
@click.pass_context
def findings(ctx: click.Context) -> None:
    """List, export and dismiss findings. Without a subcommand: the open findings.

    Example:

    \b
        localoffer-audit findings
        localoffer-audit findings list --rule link_broken --format csv > broken.csv
        localoffer-audit findings dismiss 42 --reason "Page works in a browser" --by "A. Officer"
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command)


@findings.command("list")
@click.option("--rule", help="Only this rule id (see `localoffer-audit rules`).")
@click.option("--severity", type=click.Choice([s.value for s in Severity]), help="Only this severity.")
@click.option("--status", type=click.Choice([*(s.value for s in FindingStatus), "all"]),
              help="Only this status (default: open and reopened).")
@click.option("--manager", metavar="EMAIL", help="Only services owned by this content manager.")
@click.option("--service", "service_id", metavar="ID", help="Only this service (directory id).")
@click.option("--include-dismissed", is_flag=True, help="Also list dismissed findings.")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="csv and json are stable formats (docs/findings-export.md).")
@pass_app
def list_command(
    app: AppContext,
    rule: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    manager: str | None = None,
    service_id: str | None = None,
    include_dismissed: bool = False,
    output_format: str = "table",
) -> None:
    """List findings, most serious and oldest first, as a table, CSV or JSON.

    Example:

    \b
        localoffer-audit findings list --severity high
        localoffer-audit findings list --manager jo@example.gov.uk --format csv > jo.csv
        localoffer-audit findings list --status fixed --format json
    """
    config = app.config_if_present()
    with app.database() as db:
        rows = list_findings(
            db, config, rule=rule, severity=severity, status=status, manager=manager,
            service_id=service_id, include_dismissed=include_dismissed,
        )
        managers = _content_managers(db, config) if output_format in ("csv", "json") else {}
    if output_format == "csv":
        write_findings_csv(rows, sys.stdout, managers)
    elif output_format == "json":
        click.echo(json.dumps([export_record(r, managers.get(r.service_id)) for r in rows], indent=2, ensure_ascii=False))
    elif not rows:
        click.echo("No findings match.")
    else:
        for row in rows:
            flags = " (dismissed)" if row.dismissed else "" if row.confirmed else " (unconfirmed)"
            click.echo(
                f"#{row.id:<6} {row.severity:<8} {row.status:<8} {row.rule:<26} {row.service_id:<14} "
                f"{_cut(row.service_name, 30):<30} since {row.first_seen_at[:10]}{flags}"
            )
            click.echo(f"        {_cut(row.detail, 150)}")
        click.echo(f"{len(rows)} finding(s).")


def _content_managers(db, config) -> dict[str, str]:
    from localoffer_audit.findings.managers import content_managers

    return content_managers(db, config)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@findings.command()
@click.argument("finding_id", type=int)
@click.option("--reason", required=True, help="Why: what you checked and found.")
@click.option("--by", "dismissed_by", required=True, metavar="NAME", help="Who is dismissing it.")
@click.option("--wont-fix", is_flag=True, help="Right, but left as it is on purpose (default: false alarm).")
@pass_app
def dismiss(app: AppContext, finding_id: int, reason: str, dismissed_by: str, wont_fix: bool) -> None:
    """Mark a finding as a false alarm (or, with --wont-fix, as left on purpose).

    It stays off worklists until its evidence changes (for a link: a different status
    code, verdict or final address).

    Example:

    \b
        localoffer-audit findings dismiss 42 --reason "Opens fine in a browser" --by "Jo Bloggs"
        localoffer-audit findings dismiss 43 --wont-fix --reason "Provider asked us to keep it" --by "Jo Bloggs"
    """
    kind = DISMISSAL_KINDS[1] if wont_fix else DISMISSAL_KINDS[0]
    with app.writing() as db:
        dismiss_finding(db, finding_id, reason=reason, by=dismissed_by, kind=kind)
    said = "won't fix" if wont_fix else "false alarm"
    click.echo(f"Finding #{finding_id} dismissed as {said}.")


@findings.command("import-dismissals")
@click.argument("csv_file", type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def import_dismissals_command(app: AppContext, csv_file: Path) -> None:
    """Dismiss many findings from a CSV file: finding_id, kind, reason, dismissed_by.

    kind is false_alarm (the default when empty) or wont_fix. Every row is checked first;
    if any is bad, nothing is imported and each problem is listed with its line number.

    Example:

    \b
        localoffer-audit findings import-dismissals reviewed.csv
    """
    with app.writing() as db:
        result = import_dismissals(db, csv_file)
    click.echo(f"Imported {result.imported} dismissal(s) from {csv_file}.")


@findings.command("dismissals")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
def dismissals_command(app: AppContext, as_json: bool) -> None:
    """Report dismissals per rule and kind, so rules with many false alarms stand out.

    Example:

    \b
        localoffer-audit findings dismissals
    """
    with app.database() as db:
        report = dismissals_report(db)
    if as_json:
        click.echo(json.dumps({
            "by_rule": [
                {"rule": c.rule, "kind": c.kind, "active": c.active, "lapsed": c.lapsed,
                 "rule_findings": report.findings_by_rule.get(c.rule, 0)}
                for c in report.counts
            ],
            "recent": [
                {"id": d.id, "finding_id": d.finding_id, "service_id": d.service_id, "rule": d.rule,
                 "subject": d.subject, "kind": d.kind, "reason": d.reason, "dismissed_by": d.dismissed_by,
                 "at": d.at, "active": d.active}
                for d in report.recent
            ],
        }, indent=2, ensure_ascii=False))
        return
    if not report.counts:
        click.echo("No dismissals yet.")
        return
    click.echo("Dismissals by rule (false alarms as a share of the rule's findings):")
    for count in report.counts:
        share = f"{report.share_dismissed(count.rule):.0%}" if count.kind == "false_alarm" else ""
        click.echo(f"  {count.rule:<26} {count.kind:<12} {count.active:>4} active {count.lapsed:>4} lapsed  {share}")
    click.echo("Most recent:")
    for item in report.recent:
        state = "" if item.active else " (lapsed)"
        click.echo(f"  #{item.finding_id} {item.rule} {item.service_id}: {item.kind} by {item.dismissed_by}: "
                   f"{_cut(item.reason, 80)}{state}")


@click.command()
@pass_app
def rules(app: AppContext) -> None:
    """List every rule: id, default severity (or the configured one), title, and whether it is on.

    Use the ids in [content.rules.<id>] in the config to switch a rule off or change its
    severity; docs/rules.md explains each rule.

    Example:

    \b
        localoffer-audit rules
    """
    config = app.config_if_present()
    settings = config.content.rules if config is not None else {}
    for rule in ALL_RULES.values():
        setting = settings.get(rule.id)
        severity = setting.severity if setting is not None and setting.severity else rule.severity
        state = "off" if setting is not None and not setting.enabled else "on"
        click.echo(f"{rule.id:<26} {severity:<8} {state:<3}  {rule.title}")


COMMANDS = [content, findings, rules]
