"""Run one crawl: a run record, a crawl process, the completeness verdict.

``run_crawl`` may be called any number of times from one process (tests, ``nightly``):
each crawl runs in a child process (Scrapy's reactor starts once per process), which
writes services to the database through the pipeline and reports progress as JSON
lines. This side decides whether the crawl was complete and only then lets services
become ``removed``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localoffer_audit.config import Config
from localoffer_audit.store.db import open_db, utc_now
from localoffer_audit.models import RunKind, RunStatus, StageResult, StageStatus
from localoffer_audit.store import runs as run_store
from localoffer_audit.store import services as service_store

ProgressCallback = Callable[[dict[str, Any]], None]


@dataclass(slots=True)
class CrawlSummary:
    run_id: int
    status: RunStatus
    counts: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.status == RunStatus.COMPLETE

    def stage_result(self) -> StageResult:
        # The crawl's own counts line (pages, services, rate), as `crawl` draws it.
        return StageResult("crawl", StageStatus(self.status), dict(self.counts), self.run_id,
                           "; ".join(self.messages) or None)


@dataclass(slots=True)
class _ChildOutcome:
    returncode: int
    result: dict[str, Any] | None
    last_counts: dict[str, Any]
    stderr_tail: str


def run_crawl(
    config: Config,
    db_path: Path,
    *,
    parent_run_id: int | None = None,
    progress: ProgressCallback | None = None,
    accept_missing: bool = False,
) -> CrawlSummary:
    """Crawl the configured directory into the database at ``db_path``.

    ``accept_missing``: a person has checked that record pages answering 404/410 have
    really gone; the outage rule does not apply and they are confirmed at once.
    """
    db = open_db(db_path)
    try:
        run_id = run_store.start_run(db, RunKind.CRAWL, platform=config.directory.platform, parent_run_id=parent_run_id)
    finally:
        db.close()
    try:
        outcome = _run_child(config, Path(db_path), run_id, progress)
    except BaseException:
        db = open_db(db_path)
        try:
            run_store.finish_run(db, run_id, RunStatus.FAILED, note="interrupted before the crawl finished")
        finally:
            db.close()
        raise
    db = open_db(db_path)
    try:
        return _conclude(db, config, run_id, outcome, accept_missing=accept_missing)
    finally:
        db.close()


def _run_child(config: Config, db_path: Path, run_id: int, progress: ProgressCallback | None) -> _ChildOutcome:
    # The child is told who started it: by the time its imports are done this process may
    # already be gone, and its own getppid() would then name whoever adopted it.
    job = {"config": config.model_dump(mode="json"), "db_path": str(db_path), "run_id": run_id,
           "parent_pid": os.getpid()}
    with tempfile.TemporaryDirectory(prefix="localoffer-crawl-") as folder:
        job_path = Path(folder) / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        stderr_path = Path(folder) / "stderr.log"
        result: dict[str, Any] | None = None
        last_counts: dict[str, Any] = {}
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with stderr_path.open("w+", encoding="utf-8") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "localoffer_audit.crawl.child", str(job_path)],
                stdout=subprocess.PIPE,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                text=True,
                env=env,
            )
            try:
                assert process.stdout is not None
                for line in process.stdout:
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue  # a stray print from a library; not ours
                    if not isinstance(message, dict):
                        continue
                    last_counts = message.get("counts", last_counts)
                    if message.get("type") == "result":
                        result = message
                    if progress is not None:
                        progress(dict(last_counts))
                returncode = process.wait()
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            stderr.seek(0)
            tail = [line for line in stderr.read().splitlines() if line.strip()][-5:]
    return _ChildOutcome(returncode, result, last_counts, "\n".join(tail))


def _conclude(db, config: Config, run_id: int, outcome: _ChildOutcome, *, accept_missing: bool = False) -> CrawlSummary:  # noqa: ANN001
    counts: dict[str, Any] = dict(outcome.result["counts"] if outcome.result else outcome.last_counts)
    messages: list[str] = list(outcome.result.get("messages", [])) if outcome.result else []
    seen = service_store.services_seen_in_run(db, run_id)
    counts["services_seen"] = seen
    # Kept apart so the directory's own count of its records is compared with records only.
    counts["advice_pages_seen"] = service_store.advice_pages_seen_in_run(db, run_id)
    if outcome.result is None or outcome.returncode != 0:
        last_line = outcome.stderr_tail.splitlines()[-1] if outcome.stderr_tail else "no error output"
        note = f"the crawl process failed (exit code {outcome.returncode}): {last_line}"
        service_store.settle_missing_pages(db, run_id, complete=False)
        closing = service_store.close_crawl(db, run_id, complete=False, at=utc_now())
        counts.update(closing)
        run_store.finish_run(db, run_id, RunStatus.FAILED, counts=counts, note=note)
        return CrawlSummary(run_id, RunStatus.FAILED, counts, [note, *messages])

    counts["newly_missing_pages"] = service_store.newly_missing_pages(db, run_id)
    reasons = incomplete_reasons(db, config, run_id, outcome.result["finish_reason"], counts,
                                 accept_missing=accept_missing)
    complete = not reasons
    restored = service_store.settle_missing_pages(db, run_id, complete=complete, accept_missing=accept_missing)
    if restored:
        counts["missing_pages_restored"] = restored
    counts.update(service_store.close_crawl(db, run_id, complete=complete, at=utc_now()))
    status = RunStatus.COMPLETE if complete else RunStatus.INCOMPLETE
    if not complete:
        messages = [f"INCOMPLETE crawl, nothing marked removed: {'; '.join(reasons)}", *messages]
    run_store.finish_run(db, run_id, status, counts=counts, note="; ".join(reasons) or None)
    return CrawlSummary(run_id, status, counts, messages)


def incomplete_reasons(  # noqa: ANN001
    db, config: Config, run_id: int, finish_reason: str, counts: dict[str, Any], *, accept_missing: bool = False
) -> list[str]:
    """Why this crawl cannot be trusted to say what was removed (empty: it can)."""
    reasons = []
    if finish_reason == "closespider_pagecount":
        reasons.append(f"stopped at the limit of {config.crawl.max_pages} pages ([crawl] max_pages)")
    elif finish_reason == "closespider_timeout":
        reasons.append(f"stopped after {config.crawl.max_run_minutes:g} minutes ([crawl] max_run_minutes)")
    elif finish_reason != "finished":
        reasons.append(f"the crawl ended early ({finish_reason})")
    reasons.extend(error_reasons(config, counts))
    if counts.get("pagination_dead_ends"):
        reasons.append(
            f"{counts['pagination_dead_ends']} 'next' link(s) led back to a listing page already read with nothing "
            "else leading on (pagination loop): later listing pages may be unseen"
        )
    if counts.get("listing_cap_reached"):
        reasons.append(f"stopped at the limit of {config.directory.max_listing_pages} listing pages")
    seen = counts.get("services_seen", 0)
    if seen == 0:
        reasons.append("no services found")
    if (stated := stated_size_reason(config, counts)) is not None:
        reasons.append(stated)
    previous = run_store.last_complete_run(db, RunKind.CRAWL, before=run_id)
    if previous is not None:
        previous_seen = int(previous.counts.get("services_seen", 0) or 0)
        ratio = config.crawl.min_complete_ratio
        if previous_seen and seen < ratio * previous_seen:
            reasons.append(
                f"saw {seen} services, fewer than {ratio:.0%} of the {previous_seen} "
                f"seen by the last complete crawl (run #{previous.id})"
            )
        if not accept_missing and (outage := outage_reason(config, counts, previous)) is not None:
            reasons.append(outage)
    return reasons


def stated_size_reason(config: Config, counts: dict[str, Any]) -> str | None:
    """The directory's own count of its records ("400 results", an API's total) against
    what the crawl found: a first crawl has no earlier crawl to compare with, and every
    later crawl is cross-checked the same way."""
    stated = int(counts.get("stated_total") or 0)
    # Records only: the information and advice pages read are not among "400 results",
    # and counting them would hide as many records not reached.
    seen = int(counts.get("services_seen") or 0) - int(counts.get("advice_pages_seen") or 0)
    ratio = config.crawl.min_complete_ratio
    if stated <= 0 or seen == 0 or seen >= ratio * stated:
        return None
    source = counts.get("stated_total_source") or "the directory"
    return (
        f"found {seen} services, but the directory says it has {stated} ({source}): "
        f"{stated - seen} not reached, fewer than {ratio:.0%} found ([crawl] min_complete_ratio)"
    )


def outage_reason(config: Config, counts: dict[str, Any], previous: run_store.Run) -> str | None:
    """A large share of the record pages read live by the last complete crawl answering
    404/410 at once is the site's fault (a broken deployment, a lost database), not a mass
    removal: the crawl is incomplete, and the pages keep their earlier state."""
    newly = int(counts.get("newly_missing_pages") or 0)
    before = int(previous.counts.get("services_seen", 0) or 0) - int(previous.counts.get("page_missing", 0) or 0)
    ratio = config.crawl.max_new_missing_ratio
    if newly <= service_store.MIN_MISSING_WAVE or before <= 0 or newly <= ratio * before:
        return None
    return (
        f"{newly} record pages that were live at the last complete crawl (run #{previous.id}) now answer "
        f"'not found' ({newly / before:.0%} of {before}, more than {ratio:.0%}, [crawl] max_new_missing_ratio): "
        "this looks like a fault on the directory's side, so no page is treated as gone. If they really have "
        "gone, run `localoffer-audit nightly --accept-missing` once"
    )


def error_reasons(config: Config, counts: dict[str, Any]) -> list[str]:
    """Which of the crawl's errors make it incomplete.

    Service pages failing after retries are tolerated up to ``[crawl]
    max_page_error_ratio`` of the service pages asked for (their earlier content is
    kept); any listing-page error, uncaught callback error or storage error is not.
    """
    reasons = []
    errors = int(counts.get("errors") or 0)
    listing = int(counts.get("listing_errors") or 0)
    callbacks = int(counts.get("callback_errors") or 0)
    pages = int(counts.get("service_page_errors") or 0)
    asked = int(counts.get("service_pages") or 0)
    other = errors - listing - callbacks - pages
    if listing:
        reasons.append(f"{listing} listing page(s) failed")
    if callbacks:
        reasons.append(f"{callbacks} uncaught error(s) in the crawler (a bug: see the messages)")
    if other > 0:
        reasons.append(f"{other} other error(s)")
    limit = config.crawl.max_page_error_ratio
    if pages and (asked == 0 or pages > limit * asked + 1e-9):
        reasons.append(
            f"{pages} of {asked} service page(s) failed, more than {limit:.0%} ([crawl] max_page_error_ratio)"
        )
    return reasons
