"""The procrastinate app and its tasks: thin wrappers over the national library.

Queues follow the work's shape: ``councils`` (one crawl job, later one finish job, per
council per night: few, each a child process or a nightly run) and ``links`` (many small
link-check batches, each holding its politeness group as ``lock``). Run workers on both,
or on one each: link workers need only PostgreSQL, council workers need the councils'
SQLite stores too (docs/national.md).

- ``queueing_lock`` keeps every job once in the queue (crawl and finish per council and
  night, each batch): enqueuing twice, or a retry racing a re-offer, queues nothing new.
- A worker killed mid-job leaves the job ``doing`` with a heartbeat that stops; the
  periodic ``retry_stalled`` task (on every worker, deferred once per period by the
  database) gives such jobs back to the queue once the heartbeat is older than the lease.
  Every job is idempotent: a retried crawl crawls again into the same store, a retried
  batch checks only what it had not stored, a retried finish of a finished night does
  nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued

from localoffer_audit.national import batches, councils, nights, timing
from localoffer_audit.national.registry import Registry, load_registry

log = logging.getLogger(__name__)

COUNCILS_QUEUE = "councils"
LINKS_QUEUE = "links"
# Stalled-job recovery and repairs: every worker takes these, whatever queues it was given,
# so a machine left running only link workers still recovers what a dead one left.
MAINTENANCE_QUEUE = "maintenance"
T = TypeVar("T")


class NationalApp:
    """The procrastinate App with the national tasks bound to one registry and database."""

    def __init__(self, conninfo: str, registry_path: Path, *, registry: Registry | None = None,
                 lease_seconds: float = timing.LEASE_SECONDS, stalled_check_seconds: int = timing.STALLED_CHECK_SECONDS, schedule: str | None = None) -> None:
        self.conninfo = conninfo
        self.registry_path = registry_path
        self._registry = registry
        self.lease_seconds = lease_seconds
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))
        self._register(stalled_check_seconds, schedule)

    @property
    def registry(self) -> Registry:
        # Read when first needed in this process, so every worker sees the file as it is.
        if self._registry is None:
            self._registry = load_registry(self.registry_path)
        return self._registry

    async def db(self, action: Callable[..., T], *args: Any) -> T:
        """Run a blocking database action on its own connection, off the event loop."""

        def run() -> T:
            with psycopg.connect(self.conninfo, autocommit=True) as conn:
                return action(conn, *args)

        return await asyncio.to_thread(run)

    # --- deferring ---------------------------------------------------------------------

    async def defer_crawl(self, night: date, slug: str) -> bool:
        try:
            await self.crawl_task.configure(queueing_lock=f"crawl:{night}:{slug}").defer_async(
                night=night.isoformat(), slug=slug)
            return True
        except AlreadyEnqueued:
            return False

    async def defer_batches(self, batch_ids: list[int]) -> None:
        if not batch_ids:
            return

        def groups(conn: psycopg.Connection) -> list[tuple[int, str]]:
            return [(int(i), str(g)) for i, g in conn.execute(
                "SELECT id, grp FROM national_batches WHERE id = ANY(%s) ORDER BY id", [batch_ids]).fetchall()]

        for batch_id, group in await self.db(groups):
            try:
                # The group is the lock: one batch per group in flight, on any worker.
                await self.batch_task.configure(lock=f"links:{group}", queueing_lock=f"batch:{batch_id}").defer_async(
                    batch_id=batch_id)
            except AlreadyEnqueued:
                pass
        await self.db(councils.mark_deferred, batch_ids)

    async def defer_finish(self, night: date, slug: str) -> None:
        try:
            await self.finish_task.configure(queueing_lock=f"finish:{night}:{slug}").defer_async(
                night=night.isoformat(), slug=slug)
        except AlreadyEnqueued:
            pass

    async def release_ready(self, night: date, batch_id: int | None = None) -> list[str]:
        ready = await self.db(nights.ready_to_finish, night, batch_id)
        for slug in ready:
            await self.defer_finish(night, slug)
        return ready

    # --- tasks ---------------------------------------------------------------------------

    def _register(self, stalled_check_seconds: int, schedule: str | None) -> None:
        app = self.app
        # Unforeseen errors (the database briefly away) are retried; a crawl's own failure is
        # not an error here: it is recorded and the council finishes without it.
        retry = procrastinate.RetryStrategy(max_attempts=3, exponential_wait=5)

        @app.task(name="national.crawl_council", queue=COUNCILS_QUEUE, retry=retry)
        async def crawl_council(night: str, slug: str) -> str:
            when = date.fromisoformat(night)
            outcome = await self.db(councils.crawl_and_plan, self.registry, slug, when)
            await self.defer_batches(outcome.batches)
            if outcome.finish_now:
                await self.defer_finish(when, slug)
            await self.release_ready(when)
            return outcome.status

        @app.task(name="national.check_batch", queue=LINKS_QUEUE, retry=retry)
        async def check_batch(batch_id: int) -> dict[str, object]:
            counts = await batches.check_batch(self.conninfo, self.registry, batch_id)
            if counts.get("night"):
                await self.release_ready(date.fromisoformat(str(counts["night"])), batch_id)
            return counts

        @app.task(name="national.finish_council", queue=COUNCILS_QUEUE, retry=retry)
        async def finish_council(night: str, slug: str) -> dict[str, Any]:
            return await self.db(councils.finish, self.registry, slug, date.fromisoformat(night))

        cron = f"* * * * * */{stalled_check_seconds}" if stalled_check_seconds < 60 else "* * * * *"

        @app.periodic(cron=cron, periodic_id="retry_stalled")
        @app.task(name="national.retry_stalled", queue=MAINTENANCE_QUEUE, queueing_lock="national.retry_stalled")
        async def retry_stalled(timestamp: int) -> int:
            retried = await self.retry_stalled_jobs()
            await self.repair()
            return retried

        if schedule:

            @app.periodic(cron=schedule, periodic_id="nightly_enqueue")
            @app.task(name="national.enqueue", queue=MAINTENANCE_QUEUE, queueing_lock="national.enqueue")
            async def scheduled_enqueue(timestamp: int) -> int:
                return len(await self.enqueue(datetime.fromtimestamp(timestamp, UTC).date()))

        self.crawl_task = crawl_council
        self.batch_task = check_batch
        self.finish_task = finish_council

    async def retry_stalled_jobs(self) -> int:
        """Give back to the queue the jobs of workers whose heartbeat is older than the lease."""
        stalled = list(await self.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=self.lease_seconds))
        for job in stalled:
            log.warning("job %s #%s was left running by a worker that stopped answering: retried", job.task_name, job.id)
            await self.app.job_manager.retry_job(job)
        return len(stalled)

    async def repair(self) -> None:
        """Offer again what a job cut off between two steps left without a job: councils
        whose links are all in, finishes and crawls whose job is gone. The queueing locks,
        and the checks below for a job still running, keep this from queueing twice."""
        for night, slug, stage in await self.db(nights.orphaned_nights):
            if stage == "links":
                await self.release_ready(night)
            elif stage == "finishing":
                await self.defer_finish(night, slug)
            elif stage == "queued":
                await self.defer_crawl(night, slug)

    async def enqueue(self, night: date, slugs: list[str] | None = None) -> list[str]:
        """Queue tonight's crawl per council; councils already queued tonight are not queued again."""
        chosen = slugs or self.registry.slugs
        for slug in chosen:
            self.registry.council(slug)  # an unknown slug is a one-line error
        added = await self.db(nights.add_nights, night, chosen)

        def still_queued(conn: psycopg.Connection) -> list[str]:
            rows = conn.execute("SELECT slug FROM national_nights WHERE night = %s AND stage = 'queued' AND slug = ANY(%s)",
                                [night, chosen]).fetchall()
            return [r[0] for r in rows]

        # A council added but never deferred (an enqueue cut short) is offered again; the
        # queueing lock keeps one crawl job per council in the queue whatever happens.
        for slug in await self.db(still_queued):
            await self.defer_crawl(night, slug)
        return added
