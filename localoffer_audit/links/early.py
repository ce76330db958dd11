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
and every result goes back to the stage, which confirms and stores them as it stores
its own. A link fed early whose service the crawl then found gone is checked but not
stored (the stage does not ask for it).

Links on the directory's own hosts wait for the crawl to end: the crawl is already
asking that host as often as its politeness settings allow.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from localoffer_audit.config import Config
from localoffer_audit.links.checker import TIME_LIMITED, MoreURLs, ProgressCallback, check_urls
from localoffer_audit.links.settings import LinkCheckSettings
from localoffer_audit.links.stage import SLOW_LINK_MS, due_links
from localoffer_audit.models import LinkResult, LinkVerdict
from localoffer_audit.store.db import open_db
from localoffer_audit.store.links import host_failure_shares, slow_or_hanging_urls

log = logging.getLogger(__name__)

# How often the database is asked for links the crawl has stored since, seconds.
POLL_SECONDS = 1.0


def directory_hosts(config: Config) -> frozenset[str]:
    """The host names of the directory's start URLs (the hosts the crawl is asking)."""
    return frozenset((urlsplit(url).hostname or "").lower() for url in config.directory.start_urls) - {""}


class EarlyLinkCheck:
    """One ``check_urls`` run fed while the crawl goes on; see the module docstring.
    Links are chosen by the link stage's own selection (``due_links``)."""

    def __init__(self, db_path: Path, config: Config, settings: LinkCheckSettings) -> None:
        self.db_path = db_path
        self.config = config
        self.settings = replace(settings, max_run_seconds=0)  # the stage applies its own limit after the crawl
        self.stage_limit = settings.max_run_seconds
        self.wait_for_crawl = directory_hosts(config)
        self.fed: set[str] = set()
        self.results: dict[str, LinkResult] = {}  # written by the checker's thread only
        self.loop = asyncio.new_event_loop()
        self.feed: MoreURLs | None = None
        self.run: asyncio.Task[list[LinkResult]] | None = None
        self.poller: asyncio.Task[None] | None = None
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
            self.loop.close()
            return
        self.started.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    async def _begin(self) -> None:
        db = open_db(self.db_path)
        try:
            baseline = host_failure_shares(db)
            first = slow_or_hanging_urls(db, SLOW_LINK_MS)
        finally:
            db.close()
        self.feed = asyncio.Queue()
        self.run = asyncio.ensure_future(check_urls(
            [], self.settings, host_failure_baseline=baseline, on_result=self._keep, first=first, more=self.feed,
        ))
        self.poller = asyncio.ensure_future(self._poll())

    def _keep(self, result: LinkResult) -> None:
        self.results[result.url] = result

    async def _poll(self) -> None:
        assert self.feed is not None
        while True:
            try:
                due = await asyncio.to_thread(self._due)
            except Exception:  # noqa: BLE001 - a failed look is tried again; the stage checks what is missed
                log.warning("links during the crawl: could not read the links stored so far", exc_info=True)
                due = []
            new = [(url, failing) for url, failing in due if url not in self.fed and not self._waits(url)]
            if new:
                self.fed.update(url for url, _ in new)
                await self.feed.put(([url for url, _ in new], [url for url, failing in new if failing]))
            await asyncio.sleep(POLL_SECONDS)

    def _due(self) -> list[tuple[str, bool]]:
        db = open_db(self.db_path)  # a connection of the poll's own thread
        try:
            return due_links(db, self.config, datetime.now(UTC))
        finally:
            db.close()

    def _waits(self, url: str) -> bool:
        try:
            return (urlsplit(url.strip()).hostname or "").lower() in self.wait_for_crawl
        except ValueError:
            return False

    async def _finish(self, urls: Sequence[str], failed_last_time: Collection[str]) -> dict[str, LinkResult]:
        assert self.feed is not None and self.run is not None and self.poller is not None
        self.poller.cancel()
        missing = [url for url in dict.fromkeys(urls) if url not in self.fed]
        self.fed.update(missing)
        failing = set(failed_last_time)
        await self.feed.put((missing, [url for url in missing if url in failing]))
        await self.feed.put(None)
        await self.run
        return self.results

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
        """Stop, dropping whatever was not handed to the link stage (an incomplete crawl)."""
        if not self.thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._cancel(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()

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
        checked by this run (started during the crawl, the rest fed now)."""
        wanted = list(dict.fromkeys(urls))
        done_early = dict(self.results)  # a copy: the checker's thread may be adding to it
        self.done_during_crawl = sum(1 for url in wanted if url in done_early)
        finishing: Future[dict[str, LinkResult]] = asyncio.run_coroutine_threadsafe(
            self._finish(urls, failed_last_time), self.loop)
        try:
            found = await asyncio.wait_for(asyncio.wrap_future(finishing), self.stage_limit or None)
        except TimeoutError:
            log.warning("link check stopped at its time limit; links not checked yet are left unverified")
            asyncio.run_coroutine_threadsafe(self._cancel(), self.loop).result()
            found = self.results
        answers = [found.get(url) or LinkResult(url, LinkVerdict.EXCLUDED, attempts=0, unverified=True,
                                                detail=TIME_LIMITED) for url in wanted]
        for done, result in enumerate(answers, 1):
            if on_result is not None:
                on_result(result)
            if progress is not None:
                progress(done, len(answers), result)
        return answers

