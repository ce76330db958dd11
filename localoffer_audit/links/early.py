"""Links checked while the crawl runs: the nightly overlaps its crawl and link check.

The crawl stores services as it goes (crawl/pipeline.py, a batch at least every second).
Meanwhile this module asks the database every POLL_SECONDS for the links the link
stage would check (the same selection: links of live services, recent OK results
reused) and feeds the new ones to one ``check_urls`` run in a thread of its own. So a
hanging link's timeout, its confirmation delay and its recheck pass while the crawl is
still going, instead of after it.

Nothing is stored while the crawl runs. An incomplete crawl changes nothing: the
nightly then skips the link stage and these results are dropped (``close``). After a
complete crawl the link stage selects its links as always and asks this run instead of
``check_urls`` (``checker``): the links it has not been fed yet go in as a last batch,
the results so far are handed to the stage at once and the rest as they come (every
half second), and the stage confirms and stores them as it stores its own, in batches
as they come. A link fed early whose service the crawl then found gone is checked but
not stored (the stage does not ask for it). Should this run have failed, the stage's
links are checked the ordinary way. The stage's time limit counts from the crawl's end.

Links on the directory's own hosts wait for the crawl to end: the crawl is already
asking that host as often as its politeness settings allow.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlite_utils import Database

from localoffer_audit.config import Config
from localoffer_audit.links.checker import MoreURLs, ProgressCallback, check_urls, checker_error_result
from localoffer_audit.links.settings import LinkCheckSettings
from localoffer_audit.links.stage import SLOW_LINK_MS, due_links
from localoffer_audit.models import LinkResult
from localoffer_audit.store.db import open_db
from localoffer_audit.store.links import host_failure_shares, slow_or_hanging_urls

log = logging.getLogger(__name__)

# How often the database is asked for links the crawl has stored since, seconds; less
# often when asking takes long (a large directory): at most 1/POLL_SHARE_LIMIT of the time.
POLL_SECONDS = 1.0
POLL_SHARE_LIMIT = 10
# How often results are handed to the link stage while it waits, seconds.
HAND_OVER_SECONDS = 0.5


class EarlyLinkCheck:
    """One ``check_urls`` run fed while the crawl goes on; see the module docstring.
    Links are chosen by the link stage's own selection (``due_links``)."""

    def __init__(self, db_path: Path, config: Config, settings: LinkCheckSettings) -> None:
        self.db_path = db_path
        self.config = config
        self.settings = settings
        self.wait_for_crawl = config.directory.hosts()  # the hosts the crawl is asking
        self.fed: set[str] = set()
        self.results: dict[str, LinkResult] = {}  # written by the checker's thread only
        self.loop = asyncio.new_event_loop()
        self.feed: MoreURLs | None = None
        self.run: asyncio.Task[list[LinkResult]] | None = None
        self.poller: asyncio.Task[None] | None = None
        # The database is read in one thread of its own, on one connection.
        self.reader = ThreadPoolExecutor(1, thread_name_prefix="early-link-check-db")
        self.db: Database | None = None
        self.thread = threading.Thread(target=self._serve, name="early-link-check", daemon=True)
        self.started = threading.Event()
        self.failed: BaseException | None = None
        # Of the links the stage asked for, how many were done before it started.
        self.done_during_crawl = 0

    # --- the checker's thread ---------------------------------------------------------

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._begin())
        except BaseException as exc:  # noqa: BLE001 - handed to start(), in the nightly's thread
            self.failed = exc
            self.started.set()
            self._close_reader()
            self.loop.close()
            return
        self.started.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()
        self._close_reader()

    async def _begin(self) -> None:
        baseline, slow, due = await self.loop.run_in_executor(self.reader, self._first_look)
        self.feed = asyncio.Queue()
        # Started first, as the stage would: the slow or hanging links it would check now.
        first = slow & {url for url, _failing in due}
        self.run = asyncio.ensure_future(check_urls(
            [], self.settings, host_failure_baseline=baseline, on_result=self._keep, first=first, more=self.feed,
        ))
        await self._feed_new(due)
        self.poller = asyncio.ensure_future(self._poll())

    def _keep(self, result: LinkResult) -> None:
        self.results[result.url] = result

    def _open(self) -> Database:
        if self.db is None:
            self.db = open_db(self.db_path)
        return self.db

    def _first_look(self) -> tuple[dict[str, float], set[str], list[tuple[str, bool]]]:
        db = self._open()
        return host_failure_shares(db), slow_or_hanging_urls(db, SLOW_LINK_MS), self._due()

    def _due(self) -> list[tuple[str, bool]]:
        return due_links(self._open(), self.config, datetime.now(UTC))

    def _close_reader(self) -> None:
        def close() -> None:
            if self.db is not None:
                self.db.close()
                self.db = None

        self.reader.submit(close).result()
        self.reader.shutdown()

    async def _feed_new(self, due: list[tuple[str, bool]]) -> None:
        assert self.feed is not None
        new = [(url, failing) for url, failing in due if url not in self.fed and not self._waits(url)]
        if new:
            self.fed.update(url for url, _ in new)
            await self.feed.put(([url for url, _ in new], [url for url, failing in new if failing]))

    async def _poll(self) -> None:
        while True:
            asked = time.monotonic()
            try:
                due = await self.loop.run_in_executor(self.reader, self._due)
            except Exception:  # noqa: BLE001 - a failed look is tried again; the stage checks what is missed
                log.warning("links during the crawl: could not read the links stored so far", exc_info=True)
                due = []
            await self._feed_new(due)
            # A large directory's selection takes a while: asked at most a tenth of the time.
            await asyncio.sleep(max(POLL_SECONDS, POLL_SHARE_LIMIT * (time.monotonic() - asked)))

    def _waits(self, url: str) -> bool:
        try:
            return (urlsplit(url.strip()).hostname or "").lower() in self.wait_for_crawl
        except ValueError:
            return False

    async def _finish(self, urls: Sequence[str], failed_last_time: Collection[str]) -> None:
        """The crawl has ended: the stage's links not fed yet go in, and the feed ends."""
        assert self.feed is not None and self.run is not None and self.poller is not None
        self.poller.cancel()
        missing = [url for url in dict.fromkeys(urls) if url not in self.fed]
        self.fed.update(missing)
        failing = set(failed_last_time)
        await self.feed.put((missing, [url for url in missing if url in failing]))
        await self.feed.put(None)
        await self.run

    async def _cancel(self) -> None:
        for task in (self.poller, self.run):
            if task is not None and not task.done():
                task.cancel()
        await asyncio.gather(*(t for t in (self.poller, self.run) if t is not None), return_exceptions=True)

    # --- the nightly's thread ---------------------------------------------------------

    def start(self) -> EarlyLinkCheck:
        self.thread.start()
        self.started.wait()
        if self.failed is not None:
            self.thread.join()
            raise self.failed
        log.info("links during the crawl: checking links as the crawl stores them")
        return self

    def close(self) -> None:
        """Stop, dropping whatever was not handed to the link stage (an incomplete crawl), and
        let go of the results."""
        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._cancel(), self.loop).result()
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join()
        # The results are let go: the nightly holds this object until its end, and a large
        # directory's results (5,000 services: 11,500 links) would otherwise stay in memory
        # through the findings stage, the night's peak.
        self.results = {}
        self.fed = set()
        self.run = None
        self.poller = None

    async def checker(
        self,
        urls: Sequence[str],
        settings: LinkCheckSettings,
        *,
        progress: ProgressCallback | None = None,
        host_failure_baseline: Mapping[str, float] | None = None,
        on_result: Callable[[LinkResult], None] | None = None,
        first: Collection[str] = (),
        failed_last_time: Collection[str] = (),
    ) -> list[LinkResult]:
        """The link stage's checker (links/stage.py ``Checker``): the links it asks for,
        checked by this run (started during the crawl, the rest fed now), handed over as
        they are done. ``settings``, ``first`` and ``host_failure_baseline`` were this
        run's from its start; should the run have failed, the links are checked anew with
        the stage's own."""
        wanted = list(dict.fromkeys(urls))
        handed: dict[str, LinkResult] = {}

        def hand_over(found: Mapping[str, LinkResult]) -> None:
            for url in wanted:
                if url in found and url not in handed:
                    handed[url] = found[url]
                    if on_result is not None:
                        on_result(found[url])
                    if progress is not None:
                        progress(len(handed), len(wanted), found[url])

        self.done_during_crawl = sum(1 for url in wanted if url in self.results)
        finishing: Future[None] = asyncio.run_coroutine_threadsafe(self._finish(urls, failed_last_time), self.loop)
        waiting = asyncio.wrap_future(finishing)
        while not waiting.done():
            hand_over(dict(self.results))  # a copy: the checker's thread may be adding to it
            await asyncio.wait([waiting], timeout=HAND_OVER_SECONDS)
        try:
            waiting.result()
        except Exception:  # noqa: BLE001 - a fault of our own: the links are checked the ordinary way
            log.exception("links checked during the crawl: the run failed; checking the remaining links now")
            rest = [url for url in wanted if url not in handed]
            await check_urls(rest, settings, host_failure_baseline=host_failure_baseline, first=first,
                             failed_last_time=failed_last_time, on_result=lambda r: hand_over({r.url: r}))
        hand_over(dict(self.results))
        # Every URL fed gets a result (the time limit's included); one that did not would
        # be a fault of ours: unverified, never the site's failure.
        hand_over({url: checker_error_result(url, RuntimeError("no result from the run during the crawl"))
                   for url in wanted if url not in handed})
        return [handed[url] for url in wanted]
