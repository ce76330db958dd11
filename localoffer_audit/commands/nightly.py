"""`nightly`, `report` and `browse`: the scheduled job and its views."""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import click

from localoffer_audit.outputs.browse import datasette_metadata_path, datasette_missing_message
from localoffer_audit.errors import LockedError
from localoffer_audit.exitcodes import ExitCode
from localoffer_audit.nightly import NightlySummary, describe_counts, run_nightly
from localoffer_audit.preflight import preflight_for_writing
from localoffer_audit.outputs.report import write_run_report
from localoffer_audit.commands.check import LiveProgress
from localoffer_audit.commands.common import AppContext, add_log_file, exit_with, pass_app, progress_enabled
from localoffer_audit.commands.crawl import CrawlProgress

log = logging.getLogger(__name__)


@click.command()
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Date the content rules treat as today (default: today).")
@click.option("--send/--no-send", "send", default=None, help="Send email (default: [email] enabled in the config).")
@click.option("--accept-missing", is_flag=True,
              help="You have checked that the service pages now answering 'not found' have really gone: "
                   "tonight they are not treated as an outage or held, and become findings at once.")
@pass_app
def nightly(app: AppContext, today, send: bool | None, accept_missing: bool) -> None:
    """Run the whole audit once: crawl, check links, check content, update findings,
    write worklists, send email (if configured) and the run report. Links are checked
    while the crawl runs ([links] check_during_crawl) and stored only once the crawl
    is complete.

    Safe under cron: one run at a time per database (a second exits with code 4), no
    terminal needed, progress only when run at a terminal (each stage, and the crawl's
    and link check's live counts), a non-zero exit on failure.
    Exit codes: 0 done, 1 a stage failed, 3 new findings at or above
    [nightly] alert_severity (new since the last night that reported, so a night
    that was killed still alerts on the next), 4 another run holds the lock, 5
    incomplete (the crawl saw too little to trust, or many service pages went
    'not found' at once (an outage), or the link check's failures spiked: findings,
    worklists and email were not updated, so nothing was marked fixed; or a wave of
    missing service pages is held for a person (see --accept-missing); or the
    email could not be delivered: the mail server was down, the lists stay queued).
    The log file ([nightly] log_file, default <output>/nightly.log) records each
    stage and the final status and exit code.

    Example:

    \b
        localoffer-audit nightly
        localoffer-audit --config /etc/localoffer-audit.toml nightly --no-send
    """
    config = app.config()
    # Disk space, database and output folder first: a full or read-only disk is one line.
    preflight_for_writing(app.database_path(), output_folder=config.output.folder)
    add_log_file(config.nightly.log_file or config.output.folder / "nightly.log")
    # The crawl's counts line, as `crawl` draws it; the next stage message ends it first.
    crawl_progress = CrawlProgress() if progress_enabled() else None

    def say(message: str) -> None:
        if crawl_progress is not None:
            crawl_progress.close()
        click.echo(message, err=True)

    # The link stage's live line (counts, rate, ETA), named by its stage, as `check` draws it.
    link_progress = LiveProgress(sys.stderr, prefix="links: ") if progress_enabled() else None
    try:
        summary = run_nightly(
            config, app.database_path(), today=today.date() if today else None, send_email=send,
            progress=say if progress_enabled() else None, link_progress=link_progress,
            crawl_progress=crawl_progress, accept_missing=accept_missing,
        )
    except LockedError as exc:  # exit 4 (cli.py); the log file should say why this night did nothing
        log.info("nightly did not run (exit code %d): %s", int(ExitCode.LOCKED), exc)
        raise
    click.echo(format_summary(summary))
    if summary.exit_code != ExitCode.OK:
        exit_with(summary.exit_code)


def format_summary(summary: NightlySummary) -> str:
    lines = [f"Run #{summary.run_id}: {summary.status.upper()}"]
    for stage in summary.stages:
        counts = describe_counts(stage.counts)
        detail = f" — {stage.message}" if stage.message else ""
        lines.append(f"  {stage.name:<10} {stage.status:<10} {stage.seconds:>7.1f}s  {counts}{detail}")
    lines.extend(f"! {message}" for message in summary.messages)
    if summary.new_serious:
        lines.append(f"New serious findings: {summary.new_serious}")
    if summary.report_path:
        lines.append(f"Report: {summary.report_path}")
    return "\n".join(lines)


@click.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), help="Folder for report.html (default: [output] folder).")
@click.option("--run", "run_id", type=int, help="Nightly run to report on (default: the latest).")
@pass_app
def report(app: AppContext, out_dir: Path | None, run_id: int | None) -> None:
    """Write the HTML run summary: totals by verdict, rule and severity, new and fixed
    findings, per category and per content manager, and a trend chart over runs.

    Example:

    \b
        localoffer-audit report
        localoffer-audit report --out /var/www/localoffer-audit --run 12
    """
    config = app.config()
    db = app.open_db()
    try:
        path = write_run_report(db, config, out_dir or config.output.folder, run_id=run_id)
    finally:
        db.close()
    click.echo(f"Wrote {path}")


@click.command()
@click.option("--port", default=8001, show_default=True, help="Port for Datasette on 127.0.0.1.")
@click.option("--open", "open_browser", is_flag=True, help="Open a browser at the database.")
@pass_app
def browse(app: AppContext, port: int, open_browser: bool) -> None:
    """Browse the database in Datasette, with canned queries (open findings by manager,
    broken links by host, stale services). Needs the optional extra:
    pip install 'localoffer-audit[browse]'.

    Example:

    \b
        localoffer-audit browse
        localoffer-audit --db council.db browse --port 8010 --open
    """
    if shutil.which("datasette") is None and not _datasette_importable():
        raise click.ClickException(datasette_missing_message())
    db_path = app.database_path()
    if not db_path.exists():
        raise click.ClickException(f"No database at {db_path}; run `localoffer-audit nightly` first")
    command = [sys.executable, "-m", "datasette", "serve", str(db_path), "--host", "127.0.0.1", "--port", str(port),
               "--metadata", str(datasette_metadata_path(db_path)), "--setting", "sql_time_limit_ms", "5000"]
    if open_browser:
        command.append("--open")
    click.echo(f"Datasette on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
    code = _serve(command)
    if code != 0:  # Datasette's own exit code (Ctrl-C ends it non-zero), passed on for scripts
        exit_with(code)


def _serve(command: list[str]) -> int:
    """Run Datasette until it ends. A SIGTERM (a service manager stopping `browse`) reaches
    this process only, so it is passed on: Datasette must not outlive the command."""
    process = subprocess.Popen(command)
    previous = signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        return process.wait()
    except KeyboardInterrupt:  # Ctrl-C reached Datasette too: let it finish
        return process.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _datasette_importable() -> bool:
    try:
        import datasette  # noqa: F401
    except ImportError:
        return False
    return True


COMMANDS = [nightly, report, browse]
