"""One council's work in the national run: its crawl (then its plan), and its finish.

Both run the single-council code unchanged on the council's own SQLite store:

- ``crawl_and_plan`` runs the existing crawl stage (``run_crawl``) under the store's run
  lock, records the outcome nationally and, after a complete crawl, plans the council's
  shared link checks (``plan.py``);
- ``finish`` runs the council's ``run_nightly`` with two things swapped in: the crawl
  stage reports the crawl already made, and the link stage's checker answers from the
  national link cache (links not shared are checked by the council's own checker, as
  today). The link stage's confirmation, spike guard and history, the findings,
  worklists, email and report are the single-council code, guarded as today.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg

from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.links.checker import ProgressCallback, check_urls, checker_error_result
from localoffer_audit.links.settings import LinkCheckSettings
from localoffer_audit.links.stage import Checker
from localoffer_audit.models import LinkResult, RunStatus, StageResult, StageStatus
from localoffer_audit.national import nights
from localoffer_audit.national.cache import result_from_json
from localoffer_audit.national.plan import plan_council
from localoffer_audit.national.registry import Registry
from localoffer_audit.nightly import run_nightly
from localoffer_audit.preflight import preflight_for_writing
from localoffer_audit.store.db import open_db
from localoffer_audit.store.lock import run_lock

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CrawlOutcome:
    status: str                       # complete / incomplete / failed / skipped (already done)
    batches: list[int] = field(default_factory=list)
    finish_now: bool = False          # nothing shared to wait for (or the crawl did not complete)


def crawl_and_plan(conn: psycopg.Connection, registry: Registry, slug: str, night: date) -> CrawlOutcome:
    council = registry.council(slug)
    before = nights.start_crawl(conn, night, slug)
    if before is None:
        raise LookupError(f"council {slug!r} has no night {night} queued")
    if before in ("links", "finishing", "done", "failed"):
        # A retried job whose crawl and plan were already stored: only re-offer its batches.
        return CrawlOutcome("skipped", batches=_undeferred_batches(conn, night, slug), finish_now=before == "finishing")
    config = council.config
    try:
        preflight_for_writing(council.db_path, output_folder=config.output.folder)
        with run_lock(council.db_path):
            result = run_crawl(config, council.db_path)
    except Exception as exc:  # this council is held back; the others go on
        log.exception("council %s: crawl failed", slug)
        nights.set_stage(conn, night, slug, "finishing", crawl_status="failed",
                         message=f"crawl failed: {type(exc).__name__}: {exc}"[:500])
        return CrawlOutcome("failed", finish_now=True)
    message = "; ".join(result.messages) or None
    nights.set_stage(conn, night, slug, "crawling", crawl_run_id=result.run_id, crawl_status=str(result.status),
                     crawl_counts=dict(result.counts), message=message)
    if result.status != RunStatus.COMPLETE:
        nights.set_stage(conn, night, slug, "finishing")
        return CrawlOutcome(str(result.status), finish_now=True)
    db = open_db(council.db_path)
    try:
        plan = plan_council(conn, db, council, registry.settings, night=night)
    finally:
        db.close()
    log.info("council %s: %d links asked, %d shared, %d claimed in %d batches", slug, plan.asked, plan.shared,
             plan.claimed, len(plan.batches))
    return CrawlOutcome("complete", batches=plan.batches)


def _undeferred_batches(conn: psycopg.Connection, night: date, slug: str) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM national_batches WHERE night = %s AND slug = %s AND NOT deferred AND state = 'todo' ORDER BY id",
        [night, slug],
    ).fetchall()
    return [int(row[0]) for row in rows]


def mark_deferred(conn: psycopg.Connection, batch_ids: Sequence[int]) -> None:
    conn.execute("UPDATE national_batches SET deferred = true WHERE id = ANY(%s)", [list(batch_ids)])


def national_results(conn: psycopg.Connection, night: date, slug: str) -> dict[str, LinkResult]:
    """Tonight's answer for each shared link of the council: tonight's check (or the reason
    it stayed unverified), else the cached verdict it was planned to reuse."""
    rows = conn.execute(
        """
        SELECT d.url, q.state, q.result, c.result
        FROM national_demand d
        LEFT JOIN national_queue q ON q.night = d.night AND q.url = d.url
        LEFT JOIN national_link_cache c ON c.url = d.url
        WHERE d.night = %s AND d.slug = %s
        """,
        [night, slug],
    ).fetchall()
    found: dict[str, LinkResult] = {}
    for url, state, unverified, cached in rows:
        if state == "unverified" and unverified:
            found[url] = result_from_json(unverified)
        elif state in (None, "done") and cached:
            found[url] = result_from_json(cached)
    return found


def cache_checker(found: Mapping[str, LinkResult]) -> Checker:
    """A checker for the council's link stage: national answers first, and its own
    checker (its settings, its SSRF guard) for what is not shared."""

    async def check(
        urls: Sequence[str], settings: LinkCheckSettings, *, progress: ProgressCallback | None = None,
        host_failure_baseline: Mapping[str, float] | None = None,
        on_result: Callable[[LinkResult], None] | None = None,
        first: Collection[str] = (), failed_last_time: Collection[str] = (),
    ) -> list[LinkResult]:
        distinct = list(dict.fromkeys(urls))
        local = [url for url in distinct if url not in found]
        if local:
            log.info("%d links not shared nationally are checked by the council's own checker", len(local))
        own = {r.url: r for r in await check_urls(
            local, settings, host_failure_baseline=host_failure_baseline, first=first, failed_last_time=failed_last_time,
        )} if local else {}
        results: list[LinkResult] = []
        for done, url in enumerate(distinct, start=1):
            result = found.get(url) or own.get(url) or checker_error_result(url, LookupError("no national result"))
            results.append(result)
            if on_result is not None:
                on_result(result)
            if progress is not None:
                progress(done, len(distinct), result)
        return results

    return check


def finish(conn: psycopg.Connection, registry: Registry, slug: str, night: date) -> dict[str, Any]:
    """Run the council's nightly from its recorded crawl and the national answers."""
    council = registry.council(slug)
    row = nights.get_night(conn, night, slug)
    if row is None:
        raise LookupError(f"council {slug!r} has no night {night} queued")
    if row["stage"] == "done":
        return {"status": row["result"], "skipped": True}
    crawl_status = row["crawl_status"] or "failed"
    crawl_counts = dict(row["crawl_counts"] or {})

    def recorded_crawl(_parent_run_id: int) -> StageResult:
        if crawl_status == "failed":
            raise RuntimeError(row["message"] or "the crawl failed")
        return StageResult("crawl", StageStatus(crawl_status), crawl_counts, row["crawl_run_id"], row["message"])

    found = national_results(conn, night, slug)
    summary = run_nightly(council.config, council.db_path, today=night, crawl_stage=recorded_crawl,
                          link_checker=cache_checker(found))
    nights.set_stage(conn, night, slug, "done", result=str(summary.status), exit_code=int(summary.exit_code),
                     nightly_run_id=summary.run_id, message=" ".join(summary.messages)[:2000] or None)
    return {"status": str(summary.status), "run_id": summary.run_id}
