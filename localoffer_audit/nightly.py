"""The nightly job: crawl -> link check -> content and findings -> worklists -> email -> report.

Each stage is its own library function recording its own run and giving its outcome as
a ``models.StageResult``; this module runs them in order under a lock, times them, stores
each result in the night's ``runs.stages`` and decides what may run after a problem:

- a stage that raises, or a crawl that is incomplete, stops the stages that would change
  findings (link check, findings, worklists, email): the previous complete state stays
  as it was, and the run summary says why;
- a link check that is incomplete (its failures spiked: a checker or network fault
  first) stops the findings, worklists and email the same way, so nothing is marked
  fixed, and no finding is opened, on the strength of a check that is not trusted;
- the run report is always written, so the team sees what happened;
- the run's start, every stage's outcome and the final status and exit code are logged
  at INFO, for the log file a scheduled run leaves behind.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from localoffer_audit.links.early import EarlyLinkCheck
from localoffer_audit.links.stage import Checker, run_link_checks, settings_for
from localoffer_audit.config import Config
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.store.db import open_db
from localoffer_audit.exitcodes import ExitCode
from localoffer_audit.findings.lifecycle import run_findings
from localoffer_audit.store.lock import run_lock
from localoffer_audit.preflight import preflight_for_writing
from localoffer_audit.outputs.mail import prepare_and_send
from localoffer_audit.findings.managers import refresh_mapping
from localoffer_audit.models import RunKind, RunStatus, StageResult, StageStatus
from localoffer_audit.store.report import new_serious_since_last_report
from localoffer_audit.store.runs import finish_run, last_complete_run, mark_abandoned_runs, record_exit, record_stage, start_run
from localoffer_audit.outputs.report import run_snapshot, starter_example_warning, write_run_report
from localoffer_audit.outputs.worklists import build_worklists, worklists_stage_result

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
# The crawl stage given the nightly run id; the national run passes the crawl it already made.
CrawlStage = Callable[[int], StageResult]


@dataclass(slots=True)
class NightlySummary:
    run_id: int
    status: RunStatus
    # Every stage's result, timed, in the order they ran (skipped ones too).
    stages: list[StageResult]
    new_serious: int = 0
    report_path: Path | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        if self.status == RunStatus.FAILED:
            return ExitCode.ERROR
        if self.status == RunStatus.INCOMPLETE:
            return ExitCode.INCOMPLETE
        if self.new_serious:
            return ExitCode.NEW_SERIOUS_FINDINGS
        return ExitCode.OK


def describe_counts(counts: Mapping[str, Any]) -> str:
    """A stage's plain counts as "name value, ..." (nested breakdowns are left out)."""
    return ", ".join(f"{key} {value}" for key, value in counts.items() if isinstance(value, int | float))


def _log_outcome(outcome: StageResult) -> None:
    details = [part for part in (describe_counts(outcome.counts), outcome.message) if part]
    log.info("stage %s: %s in %.1fs%s", outcome.name, outcome.status, outcome.seconds or 0.0,
             f" ({'; '.join(details)})" if details else "")


def run_nightly(
    config: Config,
    db_path: Path | None = None,
    *,
    today: date | None = None,
    send_email: bool | None = None,
    progress: Progress | None = None,
    link_progress: Callable[[int, int, Any], None] | None = None,
    accept_missing: bool = False,
    crawl_stage: CrawlStage | None = None,
    link_checker: Checker | None = None,
    crawl_progress: Callable[[dict[str, Any]], None] | None = None,
) -> NightlySummary:
    """Run every stage once, under the database's run lock (LockedError if held).

    ``accept_missing``: a person has checked that the record pages answering 404/410
    have really gone, so neither the outage rule nor the held wave applies tonight.

    ``crawl_stage`` and ``link_checker`` let the national run (localoffer_audit/national)
    report a crawl made earlier and answer link checks from its shared cache; every other
    stage, and every guard between them, is this one.
    """
    db_path = db_path or config.database.path
    today = today or date.today()
    send = config.email.enabled if send_email is None else send_email
    say = progress or (lambda message: None)
    # Before any stage: room on the disk, the database and output writable, the file not damaged.
    preflight_for_writing(db_path, output_folder=config.output.folder)
    with run_lock(db_path):
        db = open_db(db_path, check=True)
        try:
            return _run_stages(db, config, db_path, today=today, send=send, say=say, link_progress=link_progress,
                               accept_missing=accept_missing,
                               crawl_stage=crawl_stage, link_checker=link_checker, crawl_progress=crawl_progress)
        finally:
            db.close()


def _run_stages(
    db: Database, config: Config, db_path: Path, *, today: date, send: bool, say: Progress,
    link_progress: Callable[[int, int, Any], None] | None = None, accept_missing: bool = False,
    crawl_stage: CrawlStage | None = None,
    link_checker: Checker | None = None,
    crawl_progress: Callable[[dict[str, Any]], None] | None = None,
) -> NightlySummary:
    abandoned = mark_abandoned_runs(db)
    run_id = start_run(db, RunKind.NIGHTLY, platform=config.directory.platform)
    log.info("nightly run #%d started: database %s, directory %s, today %s", run_id, db_path,
             ", ".join(config.directory.start_urls), today.isoformat())
    summary = NightlySummary(run_id=run_id, status=RunStatus.RUNNING, stages=[])
    if abandoned:
        summary.messages.append(f"{abandoned} earlier run(s) had been interrupted and are marked failed.")
    if (example := starter_example_warning(config)) is not None:
        summary.messages.append(example)
    out_dir = config.output.folder

    def record(outcome: StageResult) -> StageResult:
        summary.stages.append(outcome)
        record_stage(db, run_id, outcome)
        _log_outcome(outcome)
        return outcome

    def stage(name: str, action: Callable[[], StageResult]) -> StageResult:
        say(f"{name}...")
        log.info("stage %s started", name)
        started = time.monotonic()
        try:
            result = action()
        except Exception as exc:  # a stage's failure must not lose the run record
            log.error("stage %s failed:\n%s", name, traceback.format_exc())
            result = StageResult(name, StageStatus.FAILED, message=f"{type(exc).__name__}: {exc}")
        seconds = round(time.monotonic() - started, 2)
        outcome = record(result.timed(seconds))
        say(f"{name}: {outcome.status} in {seconds:.1f}s" + (f" ({outcome.message})" if outcome.message else ""))
        return outcome

    def skip(name: str, why: str) -> None:
        record(StageResult(name, StageStatus.SKIPPED, message=why, seconds=0.0))

    # Why the stages that change findings must not run any more (None: they may).
    blocked: str | None = None

    def guarded(name: str, action: Callable[[], StageResult]) -> StageResult | None:
        nonlocal blocked
        if blocked is not None:
            skip(name, blocked)
            return None
        outcome = stage(name, action)
        if outcome.status == StageStatus.FAILED:
            blocked = f"the {name} stage failed"
        return outcome

    # Links checked while the crawl runs (not in the national run: it checks links itself).
    early = _early_link_check(config, db_path) if crawl_stage is None and link_checker is None else None
    try:
        crawl = guarded("crawl", lambda: crawl_stage(run_id) if crawl_stage else _crawl(config, db_path, run_id, accept_missing, crawl_progress))
        if crawl is not None and crawl.status == StageStatus.INCOMPLETE:
            blocked = "the crawl was incomplete"
        links = guarded("links", lambda: _links(db, config, run_id, link_progress, link_checker, early))
    finally:
        if early is not None:
            early.close()  # what the link stage did not take (a crawl that failed) is dropped
    if links is not None and links.status == StageStatus.INCOMPLETE:
        # The spike guard: far more failures than last time is a checker or network fault
        # first. Findings from it would fix and open link findings on untrusted evidence.
        blocked = "the link check was incomplete" + (f": {links.message}" if links.message else "")
    findings = guarded("findings", lambda: _findings(db, config, run_id, today, accept_missing))
    if findings is not None and findings.status != StageStatus.FAILED and findings.run_id is not None:
        # New since the last night that reported, not only tonight: a night killed after
        # opening serious findings told nobody, so tonight's alert carries them.
        summary.new_serious = new_serious_since_last_report(db, run_id, config.nightly.alert_severity)
    if config.managers.mapping_file is not None:
        managers = guarded("managers", lambda: _managers(db, config))
        if managers is not None and managers.message:
            summary.messages.append(managers.message)
    guarded("worklists", lambda: _worklists(db, config, out_dir, today, run_id))
    if send or config.email.enabled:
        guarded("email", lambda: _email(db, config, out_dir, send, today, run_id))
    else:
        skip("email", "email is off ([email] enabled = false)")
    if blocked is not None:
        earlier = last_complete_run(db, RunKind.NIGHTLY, before=run_id) is not None
        summary.messages.append(
            f"{blocked[0].upper()}{blocked[1:]}. The later stages did not run, so findings, worklists and email "
            "were not updated; "
            + ("the previous complete state is unchanged." if earlier else "there is no complete run yet to fall back on.")
        )

    failed = [s for s in summary.stages if s.status == StageStatus.FAILED]
    if failed:
        summary.status = RunStatus.FAILED
        summary.messages.extend(f"Stage {s.name} failed: {s.message}" for s in failed)
    elif any(s.status == StageStatus.INCOMPLETE for s in summary.stages):
        summary.status = RunStatus.INCOMPLETE
        summary.messages.extend(
            f"Stage {s.name} was incomplete: {s.message}" for s in summary.stages if s.status == StageStatus.INCOMPLETE and s.message
        )
    else:
        summary.status = RunStatus.COMPLETE

    counts = {"snapshot": run_snapshot(db, today), "new_serious": summary.new_serious}
    finish_run(db, run_id, summary.status, counts=counts, note=" ".join(summary.messages) or None)
    record_exit(db, run_id, int(summary.exit_code), alerted=summary.exit_code == ExitCode.NEW_SERIOUS_FINDINGS)
    try:
        summary.report_path = write_run_report(db, config, out_dir, run_id=run_id)
    except Exception:  # the report is a view; failing to draw it must not hide the run's result
        log.error("run report could not be written:\n%s", traceback.format_exc())
        summary.messages.append("The run report could not be written (see the log).")
    for message in summary.messages:
        log.info("nightly run #%d: %s", run_id, message)
    log.info("nightly run #%d finished: %s, exit code %d, new serious findings %d, report %s", run_id,
             summary.status, int(summary.exit_code), summary.new_serious, summary.report_path or "not written")
    return summary


def _crawl(
    config: Config, db_path: Path, parent: int, accept_missing: bool = False,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> StageResult:
    return run_crawl(config, db_path, parent_run_id=parent, accept_missing=accept_missing,
                     progress=progress).stage_result()


def _early_link_check(config: Config, db_path: Path) -> EarlyLinkCheck | None:
    if not config.links.check_during_crawl:
        return None
    try:
        return EarlyLinkCheck(db_path, config, settings_for(config)).start()
    except Exception:  # the link stage after the crawl checks everything itself
        log.warning("could not start checking links during the crawl; they are checked after it:\n%s",
                    traceback.format_exc())
        return None


def _links(
    db: Database, config: Config, parent: int, progress: Callable[[int, int, Any], None] | None = None,
    checker: Checker | None = None, early: EarlyLinkCheck | None = None,
) -> StageResult:
    summary = run_link_checks(db, config, parent_run_id=parent, progress=progress,
                              checker=early.checker if early else checker)
    if early is not None:
        summary.counts["done_during_crawl"] = early.done_during_crawl
    return summary.stage_result()


def _findings(db: Database, config: Config, parent: int, today: date, accept_missing: bool = False) -> StageResult:
    return run_findings(db, config, today=today, parent_run_id=parent, accept_missing=accept_missing).stage_result()


def _managers(db: Database, config: Config) -> StageResult:
    path = config.managers.mapping_file
    assert path is not None
    return refresh_mapping(db, path)


def _worklists(db: Database, config: Config, out_dir: Path, today: date, run_id: int) -> StageResult:
    return worklists_stage_result(
        build_worklists(db, config, out_dir=out_dir / "worklists", today=today, run_id=run_id)
    )


def _email(
    db: Database, config: Config, out_dir: Path, send: bool, today: date, run_id: int | None = None
) -> StageResult:
    return prepare_and_send(db, config, send=send, out_dir=out_dir / "emails", today=today, run_id=run_id).stage_result()
