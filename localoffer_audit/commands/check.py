"""`check`: check every outbound link of the live services and store the verdicts."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from typing import TextIO

import click

from localoffer_audit.config import LinksConfig, key_bounds
from localoffer_audit.links.stage import LinkCheckSummary, run_link_checks, settings_for
from localoffer_audit.exitcodes import ExitCode
from localoffer_audit.models import LinkResult, RunStatus
from localoffer_audit.progress import ProgressLine, Throttle, eta_text
from localoffer_audit.commands.common import AppContext, exit_with, pass_app, progress_enabled


class LiveProgress:
    """One status line on stderr, rewritten in place and bounded to the terminal's width:
    checked/total, rate, ETA, then the verdicts so far (cut when the line is full)."""

    def __init__(self, stream: TextIO, every_seconds: float = 0.25, prefix: str = "") -> None:
        self.line = ProgressLine(stream, prefix)
        self.throttle = Throttle(every_seconds)
        self.counts: Counter[str] = Counter()

    def __call__(self, done: int, total: int, result: LinkResult) -> None:
        self.counts["unverified" if result.unverified else str(result.verdict)] += 1
        if not self.throttle.due(done, total):
            return
        elapsed = self.throttle.elapsed
        verdicts = " ".join(f"{name} {count}" for name, count in self.counts.most_common())
        parts = [f"checked {done}/{total}", f"{done / elapsed:.1f} links/s", eta_text(done, total, elapsed), verdicts]
        self.line.draw("  ".join(part for part in parts if part))
        if done == total:
            self.line.finish()


def format_summary(summary: LinkCheckSummary) -> str:
    counts = summary.counts
    lines = [f"Link check run #{summary.run_id}: {summary.status}"]
    lines.append(
        f"  {counts.get('total', 0)} links on live services and information and advice pages: {counts.get('checked', 0)} checked, "
        f"{counts.get('reused', 0)} recent OK results reused, {counts.get('unverified', 0)} unverified"
    )
    verdicts = {
        key: value for key, value in counts.items()
        if key not in {"total", "checked", "reused", "unverified", "checker_errors", "confirmed_failures",
                       "unconfirmed_failures", "failure_share"}
    }
    if verdicts:
        width = max(len(key) for key in verdicts)
        lines.append(f"  {'verdict':<{width}}  links")
        for key, value in sorted(verdicts.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {key:<{width}}  {value:>5}")
    lines.append(
        f"  failures confirmed {counts.get('confirmed_failures', 0)}, "
        f"awaiting confirmation {counts.get('unconfirmed_failures', 0)}"
    )
    if summary.note:
        lines.append(f"  NOTE: {summary.note}")
    return "\n".join(lines)


@click.command()
@click.option("--only-failed", is_flag=True, help="Check again only links whose last verdict was not ok.")
@click.option("--max-age", "max_age", type=click.IntRange(min=0), metavar="DAYS",
              help="Reuse OK results younger than DAYS (default: [links] recheck_ok_after_days; 0 checks all).")
@click.option("--concurrency", type=click.IntRange(*key_bounds(LinksConfig, "concurrency")),
              help="Requests at once in total (default: [links] concurrency).")
@click.option("--per-host", "per_host", type=click.IntRange(*key_bounds(LinksConfig, "per_host")),
              help="Requests at once per site (default: [links] per_host).")
@pass_app
def check(app: AppContext, only_failed: bool, max_age: int | None, concurrency: int | None, per_host: int | None) -> None:
    """Check every outbound link of the live services and store the verdicts.

    OK results younger than the recheck age are reused; failures are always checked
    again. Progress is shown on a terminal; a summary table is printed at the end.
    Exits 5 when the check was incomplete (failures spiked, the time limit ran out, or
    the checker failed on many links), as `nightly` does.

    Example:

    \b
        localoffer-audit check
        localoffer-audit check --only-failed --per-host 1
    """
    config = app.config()
    settings = settings_for(config)
    if concurrency is not None:
        settings = replace(settings, concurrency=concurrency)
    if per_host is not None:
        settings = replace(settings, per_host=per_host)
    with app.writing() as db:
        summary = run_link_checks(
            db, config, only_failed=only_failed, max_age_days=max_age, settings=settings,
            progress=LiveProgress(sys.stderr) if progress_enabled() else None,
        )
    click.echo(format_summary(summary))
    if summary.status == RunStatus.INCOMPLETE:
        # As `nightly` does: an incomplete check is not a clean run for cron.
        exit_with(ExitCode.INCOMPLETE)


COMMANDS = [check]
