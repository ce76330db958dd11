"""`check`: check every outbound link of the live services and store the verdicts."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import replace
from typing import TextIO

import click

from ..checks.stage import LinkCheckSummary, run_link_checks, settings_for
from ..config import Config
from ..lock import run_lock
from ..checks.settings import LinkCheckSettings
from ..models import LinkResult
from .common import AppContext, pass_app, progress_enabled


class LiveProgress:
    """One status line on stderr, rewritten in place: checked/total, rate, verdicts."""

    def __init__(self, stream: TextIO, every_seconds: float = 0.25) -> None:
        self.stream = stream
        self.every = every_seconds
        self.started = time.monotonic()
        self.last_drawn = 0.0
        self.counts: Counter[str] = Counter()

    def __call__(self, done: int, total: int, result: LinkResult) -> None:
        self.counts["unverified" if result.unverified else str(result.verdict)] += 1
        now = time.monotonic()
        if done < total and now - self.last_drawn < self.every:
            return
        self.last_drawn = now
        elapsed = max(now - self.started, 1e-6)
        verdicts = " ".join(f"{name} {count}" for name, count in self.counts.most_common())
        line = f"\rchecked {done}/{total}  {done / elapsed:.1f} links/s  {verdicts}"
        self.stream.write(line[:200].ljust(80))
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def format_summary(summary: LinkCheckSummary) -> str:
    counts = summary.counts
    lines = [f"Link check run #{summary.run_id}: {summary.status}"]
    lines.append(
        f"  {counts.get('total', 0)} links on live services: {counts.get('checked', 0)} checked, "
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
@click.option("--concurrency", type=click.IntRange(1, 2000), help="Requests at once in total (default: [links] concurrency).")
@click.option("--per-host", "per_host", type=click.IntRange(1, 100), help="Requests at once per site (default: [links] per_host).")
@pass_app
def check(app: AppContext, only_failed: bool, max_age: int | None, concurrency: int | None, per_host: int | None) -> None:
    """Check every outbound link of the live services and store the verdicts.

    OK results younger than the recheck age are reused; failures are always checked
    again. Progress is shown on a terminal; a summary table is printed at the end.

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
    with run_lock(app.database_path()):
        summary = _run(app, config, only_failed, max_age, settings)
    click.echo(format_summary(summary))


def _run(
    app: AppContext, config: Config, only_failed: bool, max_age: int | None, settings: LinkCheckSettings
) -> LinkCheckSummary:
    db = app.open_db(write=True)
    try:
        return run_link_checks(
            db, config, only_failed=only_failed, max_age_days=max_age, settings=settings,
            progress=LiveProgress(sys.stderr) if progress_enabled() else None,
        )
    finally:
        db.close()


COMMANDS = [check]
