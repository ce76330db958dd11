"""One link-check batch: the URLs of one politeness group, checked by the existing checker.

The job holds its group as procrastinate's ``lock``, so no other batch of the group runs
anywhere meanwhile; inside, ``check_urls`` keeps its own per-host limit, delays,
retries, soft-404 probe and delayed recheck, and the SSRF guard of the council that
claimed the batch (without the trust its own directory's hosts get: the result is
shared). Results are written to the national cache as they come (every FLUSH_SECONDS,
those in so far, in one transaction and one pipeline with their queue rows and check
log): a batch retried after its worker died checks only the URLs it had not stored yet.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from datetime import date

import psycopg
from psycopg.types.json import Jsonb

from localoffer_audit.links.checker import check_urls
from localoffer_audit.links.stage import settings_for
from localoffer_audit.models import LinkResult
from localoffer_audit.national.cache import host_failure_baseline, result_to_json, store_results
from localoffer_audit.national.registry import Registry

log = logging.getLogger(__name__)

# Results are written at least this often (seconds), so a killed batch loses little.
FLUSH_SECONDS = 0.5


def _load(conn: psycopg.Connection, batch_id: int) -> tuple[date, str, str, list[str]] | None:
    """The batch's night, group, claiming council and the URLs it has not stored yet
    (none when it is done: a retry after the batch finished only releases councils)."""
    row = conn.execute("SELECT night, grp, slug, state FROM national_batches WHERE id = %s", [batch_id]).fetchone()
    if row is None:
        return None
    night, group, slug, state = row
    if state == "done":
        return night, group, slug, []
    urls = [r[0] for r in conn.execute(
        "SELECT url FROM national_queue WHERE batch_id = %s AND state = 'todo' ORDER BY url", [batch_id]
    ).fetchall()]
    conn.execute("UPDATE national_batches SET attempts = attempts + 1 WHERE id = %s", [batch_id])
    return night, group, slug, urls


def _save(conn: psycopg.Connection, night: date, group: str, batch_id: int, results: list[LinkResult]) -> None:
    pid = os.getpid()
    # Not a verdict (its host paused, the checker's own fault, the time limit): the cache
    # keeps its previous state, councils keep theirs.
    unverified = [r for r in results if r.unverified]
    verdicts = [r for r in results if not r.unverified]
    with conn.transaction(), conn.cursor() as cur:
        if unverified:
            cur.executemany("UPDATE national_queue SET state = 'unverified', result = %s WHERE night = %s AND url = %s",
                            [(Jsonb(result_to_json(r)), night, r.url) for r in unverified])
        if verdicts:
            store_results(cur, night=night, group=group, results=verdicts)
            cur.executemany("UPDATE national_queue SET state = 'done', result = NULL WHERE night = %s AND url = %s",
                            [(night, r.url) for r in verdicts])
            cur.executemany(
                "INSERT INTO national_check_log (night, url, batch_id, verdict, worker_pid) VALUES (%s, %s, %s, %s, %s)",
                [(night, r.url, batch_id, str(r.verdict), pid) for r in verdicts],
            )


async def check_batch(conninfo: str, registry: Registry, batch_id: int) -> dict[str, object]:
    """Check the batch's URLs not stored yet; the night it belongs to and counts."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        loaded = _load(conn, batch_id)
        if loaded is None:
            return {"checked": 0, "night": None}
        night, group, slug, urls = loaded
        if not urls:
            conn.execute("UPDATE national_batches SET state = 'done', finished_at = COALESCE(finished_at, now()) "
                         "WHERE id = %s", [batch_id])
            return {"checked": 0, "night": night.isoformat()}
        baseline = host_failure_baseline(conn, group)
    # The claiming council's settings, without the trust its own directory's hosts get.
    settings = dataclasses.replace(settings_for(registry.council(slug).config), trusted_hosts=frozenset(),
                                   trusted_ports={})
    pending: list[LinkResult] = []
    stored = 0
    done = asyncio.Event()
    with psycopg.connect(conninfo, autocommit=True) as conn:

        async def writer() -> None:
            # One writer, so the connection is never used by two threads at once.
            nonlocal stored
            while True:
                finished = done.is_set()
                if pending:
                    taken = list(pending)
                    pending.clear()
                    await asyncio.to_thread(_save, conn, night, group, batch_id, taken)
                    stored += len(taken)
                if finished:
                    return
                try:
                    await asyncio.wait_for(done.wait(), FLUSH_SECONDS)
                except TimeoutError:
                    pass

        writing = asyncio.create_task(writer())
        try:
            await check_urls(urls, settings, host_failure_baseline=baseline, on_result=pending.append)
        finally:
            done.set()
            await writing
        conn.execute("UPDATE national_batches SET state = 'done', finished_at = now() WHERE id = %s", [batch_id])
    log.info("batch %d (%s): %d links stored", batch_id, group, stored)
    return {"checked": stored, "night": night.isoformat()}
