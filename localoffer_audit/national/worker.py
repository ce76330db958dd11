"""A national worker: a procrastinate worker that outlives database restarts.

procrastinate's worker stops when it loses PostgreSQL (its heartbeat or job fetch
fails). This loop opens the app again after a short wait and starts a new worker, so a
PostgreSQL restart mid-run costs the time it is down: jobs that were running when the
connection went are ``doing`` under a worker whose heartbeat stopped, and the stalled-job
recovery gives them back once the lease has passed. SIGTERM or SIGINT stops the worker
gracefully (running jobs finish first); a second one ends it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from procrastinate.app import WorkerOptions

from localoffer_audit.national.database import connect, ensure_schema
from localoffer_audit.national.jobs import MAINTENANCE_QUEUE, NationalApp

log = logging.getLogger(__name__)

# Threads for short database calls, beside one per running job.
SHORT_CALL_THREADS = 8
# Waits between attempts to reach the database again, seconds (the last one repeats).
RECONNECT_WAITS = (1, 2, 5, 10, 30)


async def run_worker(national: NationalApp, *, queues: list[str] | None, concurrency: int,
                     heartbeat_seconds: float, poll_seconds: float = 0.5, name: str | None = None,
                     wait: bool = True) -> None:
    if queues:
        queues = sorted({*queues, MAINTENANCE_QUEUE})
    options: WorkerOptions = {
        "concurrency": concurrency, "wait": wait, "install_signal_handlers": False,
        "update_heartbeat_interval": heartbeat_seconds, "stalled_worker_timeout": national.lease_seconds,
        # A worker that found nothing it may take waits for a new job's notification or
        # this poll. A batch held back by its group's lock gets no notification when the
        # lock frees, so with procrastinate's 5 s a host's batches ran up to 5 s apart.
        "fetch_job_polling_interval": poll_seconds,
    }
    # procrastinate's defaults (every queue, its own name) unless given
    if queues:
        options["queues"] = queues
    if name:
        options["name"] = name
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Crawl and finish jobs hold a thread for their whole run (waiting on the crawl child,
    # running the nightly). asyncio's default pool has cpu_count + 4 threads (6 on two
    # cores): six crawls filled it, and every other job's database call (a batch storing
    # its results, the stalled-job recovery) waited for a crawl to end. One thread per
    # running job, and some for the short database calls beside them.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=concurrency + SHORT_CALL_THREADS,
                                                 thread_name_prefix="national"))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _on_signal, stopping)
    attempt = 0
    try:
        while not stopping.is_set():
            try:
                await asyncio.to_thread(_prepare, national.conninfo)
                async with national.app.open_async():
                    await national.retry_stalled_jobs()  # what a dead worker left, before new work
                    attempt = 0
                    worker = asyncio.create_task(national.app.run_worker_async(**options))
                    stop = asyncio.create_task(stopping.wait())
                    done, _ = await asyncio.wait({worker, stop}, return_when=asyncio.FIRST_COMPLETED)
                    if stop in done:
                        worker.cancel()  # procrastinate: a cancelled worker lets running jobs finish
                        with contextlib.suppress(asyncio.CancelledError):
                            await worker
                        return
                    stop.cancel()
                    worker.result()  # raises what stopped it
                    if not wait:
                        return
                    log.warning("the worker stopped (the database connection was lost?); starting again")
            except Exception as exc:  # noqa: BLE001 - any loss of the database: wait and reconnect
                log.warning("national worker: database unreachable or lost (%s: %s); trying again in %ds",
                            type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                            RECONNECT_WAITS[min(attempt, len(RECONNECT_WAITS) - 1)])
            delay = RECONNECT_WAITS[min(attempt, len(RECONNECT_WAITS) - 1)]
            attempt += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def _on_signal(stopping: asyncio.Event) -> None:
    if stopping.is_set():
        raise SystemExit(1)  # a second signal: stop now
    log.info("national worker: stopping after the running jobs finish")
    stopping.set()


def _prepare(conninfo: str) -> None:
    with connect(conninfo) as conn:
        ensure_schema(conn)
