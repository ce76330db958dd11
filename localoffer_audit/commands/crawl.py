"""`crawl`: walk the directory and store every service entry."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from localoffer_audit.config import Config
from localoffer_audit.crawl.runner import CrawlSummary, run_crawl
from localoffer_audit.store.db import open_db
from localoffer_audit.store.services import live_services
from localoffer_audit.errors import AuditError
from localoffer_audit.models import RunStatus
from localoffer_audit.commands.common import AppContext, exit_with, pass_app, progress_enabled
from localoffer_audit.exitcodes import ExitCode
from localoffer_audit.progress import ProgressLine


class CrawlFailed(AuditError):
    """The crawl process failed; the message says why."""


class CrawlProgress:
    """The crawl's line on the shared progress line (progress.py): bounded to the
    terminal's width, a few times a second at most. A crawl's total is not known until
    it ends, so it shows counts and a rate, no ETA."""

    def __init__(self) -> None:
        self.line = ProgressLine(sys.stderr, prefix="crawl: ")
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, counts: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self.last < 0.25:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-6)
        pages = int(counts.get("pages", 0) or 0)
        self.line.draw(
            f"{pages} pages, {counts.get('services_seen', 0)} services, {counts.get('errors', 0)} errors, "
            f"{pages / elapsed:.1f} pages/s, {elapsed:.0f}s"
        )

    def close(self) -> None:
        self.line.finish()


# A dry run reads this many pages at most (listing and record pages together).
DRY_RUN_PAGES = 60
DRY_RUN_SAMPLES = 3


@click.command()
@click.option("--dry-run", is_flag=True,
              help=f"Try the config without touching the database: read up to {DRY_RUN_PAGES} pages into a "
                   "throw-away database and show the platform found, the selectors used, the listing pages, "
                   "the records found, the information/advice pages read, and a few records as parsed.")
@pass_app
def crawl(app: AppContext, dry_run: bool) -> None:
    """Crawl the directory and store every service entry.

    Walks every listing page and every service page of the directory in the config
    ([directory] platform: auto, fsd, oruk or generic), politely ([crawl] settings),
    and stores what it read. A crawl that ends early, cannot read a listing page, has
    more failed service pages than [crawl] max_page_error_ratio (a failed page keeps
    its entry as last read), or sees far fewer services than the last complete crawl
    or than the directory says it has ("400 results", an API's total) is marked
    incomplete: nothing is then marked removed, and the command exits 5 (as
    `nightly` does). Progress is shown on a terminal.

    With platform = "auto" the platform is told from the start page and, for a site
    without [directory.generic] selectors, the selectors are inferred from it; the
    messages say what was found. Check them with --dry-run before a night depends on
    them: nothing is stored in your database.

    Example:

    \b
        localoffer-audit crawl
        localoffer-audit crawl --dry-run
        localoffer-audit --config council.toml --db council.db crawl
    """
    config = app.config()
    if dry_run:
        click.echo(dry_run_report(config))
        return
    progress = CrawlProgress() if progress_enabled() else None
    try:
        with app.locked():
            summary = run_crawl(config, app.database_path(), progress=progress)
    finally:
        if progress is not None:
            progress.close()
    if summary.status == RunStatus.FAILED:
        raise CrawlFailed(f"crawl run #{summary.run_id} failed: {summary.messages[0] if summary.messages else 'no reason given'}")
    click.echo(format_summary(summary))
    if summary.status == RunStatus.INCOMPLETE:
        # As `nightly` does: an incomplete crawl is not a clean run for cron.
        exit_with(ExitCode.INCOMPLETE)


def format_summary(summary: CrawlSummary) -> str:
    counts = summary.counts
    lines = [
        f"Crawl run #{summary.run_id}: {summary.status}",
        f"  pages {counts.get('pages', 0)} (listing {counts.get('listing_pages', 0)}), errors {counts.get('errors', 0)}",
        f"  services seen {counts.get('services_seen', 0)}: new {counts.get('new', 0)}, changed {counts.get('changed', 0)}, "
        f"returned {counts.get('returned', 0)}, page missing {counts.get('page_missing', 0)}",
        f"  not seen since the last crawl {counts.get('missing', 0)}, marked removed {counts.get('removed', 0)}",
    ]
    if counts.get("service_page_errors"):
        lines.append(
            f"  service pages that failed {counts['service_page_errors']} of {counts.get('service_pages', 0)} "
            f"({counts.get('kept_after_error', 0)} kept as last read)"
        )
    shown = summary.messages[:10]
    lines.extend(f"  ! {message}" for message in shown)
    if len(summary.messages) > len(shown):
        lines.append(f"  ... {len(summary.messages) - len(shown)} more (see the run's note and -v output)")
    return "\n".join(lines)


def dry_run_report(config: Config) -> str:
    """Crawl a few pages into a temporary database and say what was read."""
    trial = config.model_copy(update={"crawl": config.crawl.model_copy(update={"max_pages": DRY_RUN_PAGES})})
    with tempfile.TemporaryDirectory(prefix="localoffer-dry-run-") as folder:
        db_path = Path(folder) / "dry-run.db"
        summary = run_crawl(trial, db_path)
        db = open_db(db_path)
        try:
            stored = sorted(live_services(db), key=lambda s: s.directory_id)
        finally:
            db.close()
    # The directory's own guidance pages are read too, but are not its records.
    advice = [s for s in stored if s.is_advice_page]
    samples = [s for s in stored if not s.is_advice_page][:DRY_RUN_SAMPLES]
    counts = summary.counts
    platform = counts.get("detected_platform") or config.directory.platform
    lines = [f"Dry run (nothing stored; at most {DRY_RUN_PAGES} pages read)", f"  platform: {platform}"]
    lines.extend(f"  {m}" for m in summary.messages if m.startswith(("platform detected", "inferred [directory.generic]")))
    stated = counts.get("stated_total") or 0
    says = f" (the directory says it has {stated})" if stated else ""
    records = int(counts.get("services_seen", 0) or 0) - len(advice)
    lines.append(f"  listing pages read {counts.get('listing_pages', 0)}, records found {records}{says}")
    if advice:
        names = ", ".join(repr(s.name) for s in advice[:DRY_RUN_SAMPLES])
        lines.append(f"  information/advice pages read {len(advice)} (their links are checked, for the Local Offer team): {names}")
    for service in samples:
        contact = service.contacts[0] if service.contacts else None
        lines.append(
            f"  record {service.directory_id}: {service.name!r}; phone {contact.phone if contact else None}, "
            f"email {contact.email if contact else None}, website {service.website}, postcode {service.postcode}, "
            f"{len(service.links)} link(s)"
        )
    if not samples:
        lines.append("  no record could be read: check the start URL and the platform")
    problems = [m for m in summary.messages if not m.startswith(("platform detected", "inferred [directory.generic]"))]
    lines.extend(f"  ! {m}" for m in problems[:5])
    return "\n".join(lines)


COMMANDS = [crawl]
