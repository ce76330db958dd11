"""Links checked while the crawl runs (links/early.py), on a loopback directory and web.

The directory answers each record page slowly, so its crawl lasts seconds; every request
is logged server side with its time. Shown: links are asked while the crawl still runs
and a hanging link's timeout is confirmed by its recheck during it; the results equal
those of a night that checks links only after the crawl; links on the directory's own
host wait for the crawl to end; a crawl that turns out incomplete stores nothing of what
was checked meanwhile; ``check_urls`` fed URLs as it runs keeps its per-host limit; and a
quick failure fed as the feed ends is left to the next run rather than waited for.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from localoffer_audit.config import Config, config_from_dict
from localoffer_audit.links.checker import LinkCheckSettings, MoreURLs, check_urls
from localoffer_audit.models import LinkVerdict, RunStatus
from localoffer_audit.nightly import run_nightly

from .support.links import ThreadedServer

RECORDS = 20
PAGE_SECONDS = 0.25  # each record page: the crawl lasts about RECORDS x (this + the delay)


@dataclass
class Web:
    """One loopback server: the directory under /dir/ and provider hosts by Host name."""

    log: list[tuple[str, str, str, float]] = field(default_factory=list)  # host, method, path, time
    in_flight: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    directory_down: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    server: ThreadedServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port

    def times(self, host: str, path_start: str = "/") -> list[float]:
        return [at for h, _m, path, at in self.log if h == host and path.startswith(path_start)]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        host = (request.host or "").split(":")[0]
        self.log.append((host, request.method, request.path, time.monotonic()))
        self.in_flight[host] += 1
        self.peak[host] = max(self.peak[host], self.in_flight[host])
        try:
            return await self._answer(host, request)
        finally:
            self.in_flight[host] -= 1

    async def _answer(self, host: str, request: web.Request) -> web.StreamResponse:
        page = "<html><head><title>{0}</title></head><body><h1 class='record-title'>{0}</h1>{1}</body></html>"
        if host == "127.0.0.1":
            if request.path == "/robots.txt":
                return web.Response(text="User-agent: *\nAllow: /\n")
            if self.directory_down:
                return web.Response(status=503, text="down for maintenance")
            if request.path == "/dir/list":
                items = "".join(f'<li><a class="service-title" href="/dir/record/{i}">Service {i}</a></li>'
                                for i in range(1, RECORDS + 1))
                return web.Response(text=f"<html><body><main><ul>{items}</ul></main></body></html>",
                                    content_type="text/html")
            if request.path.startswith("/dir/record/"):
                await asyncio.sleep(PAGE_SECONDS)
                number = int(request.path.rsplit("/", 1)[1])
                return web.Response(text=page.format(f"Service {number}", record_body(number, self.port)),
                                    content_type="text/html")
            return web.Response(text=page.format("About the Local Offer", "<p>" + "About us. " * 40 + "</p>"),
                                content_type="text/html")
        if host == "down.test":  # a site in the middle of an outage
            return web.Response(status=503, text="Service unavailable")
        if host == "hang.test":
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return web.Response(status=503)
        if request.path.startswith("/gone"):
            return web.Response(status=404, text="<html><body><h1>Not found</h1></body></html>", content_type="text/html")
        return web.Response(text=page.format(f"Provider {request.path}", "<p>" + f"Our sessions {request.path}. " * 30 + "</p>"),
                            content_type="text/html")


def record_body(number: int, port: int) -> str:
    links = [f"http://provider.test:{port}/page/{number}"]
    if number == 2:
        links.append(f"http://hang.test:{port}/whats-on")
    if number == 3:
        links.append(f"http://provider.test:{port}/gone/timetable")
    anchors = "".join(f'<p>See <a href="{url}">more about this</a>.</p>' for url in links)
    if number == RECORDS:  # a website on the directory's own host
        anchors += f'<p><a class="website" href="http://127.0.0.1:{port}/dir/about">Website</a></p>'
    return (f"<div class='description'><p>Sessions for children with additional needs, every week in term "
            f"time, number {number}.</p>{anchors}</div><span class='phone'>0113 496 0{number:03d}</span>")


@pytest.fixture
def loopback_web() -> Iterator[Web]:
    world = Web()
    world.server = ThreadedServer(world.handle)
    try:
        yield world
    finally:
        world.release.set()
        world.server.stop()


def night_config(folder: Path, world: Web, *, during_crawl: bool = True, recheck_wait_share: float = 1.0) -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    hosts = folder / "hosts"
    hosts.write_text("127.0.0.1 provider.test hang.test\n", encoding="utf-8")
    return config_from_dict({
        "directory": {
            "name": "Loopback Local Offer", "platform": "generic",
            "start_urls": [f"http://127.0.0.1:{world.port}/dir/list"],
            "generic": {"service_link": "main a.service-title", "id_pattern": r"/record/(\d+)",
                        "fields": {"name": "h1.record-title::text", "description": "//div[@class='description']",
                                   "phone": ".phone::text", "website": "a.website::attr(href)"}},
        },
        "crawl": {"allow_private_addresses": True, "download_delay_seconds": 0.05, "autothrottle": False,
                  "concurrent_requests_per_domain": 1, "timeout_seconds": 10.0, "retries": 0},
        "links": {"hosts_file": str(hosts), "hosts_file_only": True, "per_host": 2, "check_https": False,
                  "soft_404_probe": False, "connect_timeout_seconds": 1.0, "read_timeout_seconds": 0.5,
                  "total_timeout_seconds": 1.5, "confirm_delay_seconds": 0.3, "retries": 1, "backoff_seconds": 0.05,
                  "check_during_crawl": during_crawl, "recheck_wait_share": recheck_wait_share},
        "database": {"path": str(folder / "audit.db")},
        "output": {"folder": str(folder / "output")},
    })


def stored_links(config: Config) -> dict[str, tuple[str, int, str]]:
    with closing(sqlite3.connect(config.database.path)) as conn:
        return {url: (verdict, confirmed, checked) for url, verdict, confirmed, checked in conn.execute(
            "SELECT url, verdict, confirmed, last_checked_at FROM links")}


def findings(config: Config) -> set[tuple[str, str]]:
    with closing(sqlite3.connect(config.database.path)) as conn:
        return {(rule, subject) for rule, subject in conn.execute("SELECT rule, subject FROM findings WHERE status = 'open'")}


def test_links_are_checked_while_the_crawl_runs_with_the_verdicts_of_a_night_that_waits(
    loopback_web: Web, tmp_path: Path
) -> None:
    port = loopback_web.port
    config = night_config(tmp_path / "during", loopback_web)
    summary = run_nightly(config, send_email=False)
    assert summary.status == RunStatus.COMPLETE, summary.messages

    last_page = max(loopback_web.times("127.0.0.1", "/dir/record/"))
    # Asked while the crawl was still fetching record pages, not after it.
    assert min(loopback_web.times("provider.test")) < last_page - 1.0
    hung = loopback_web.times("hang.test")
    assert len(hung) == 2 and hung[1] < last_page, "the timeout and its recheck both fell inside the crawl"
    # The directory's own page waited for the crawl: its host was busy being crawled.
    assert min(loopback_web.times("127.0.0.1", "/dir/about")) > last_page

    links = stored_links(config)
    assert links[f"http://hang.test:{port}/whats-on"][:2] == (LinkVerdict.TIMEOUT.value, 1)
    assert links[f"http://provider.test:{port}/gone/timetable"][:2] == (LinkVerdict.BROKEN.value, 1)
    assert links[f"http://127.0.0.1:{port}/dir/about"][0] == LinkVerdict.OK.value
    stage = next(s for s in summary.stages if s.name == "links")
    assert stage.counts["done_during_crawl"] >= RECORDS // 2  # the last pages' links are fed as it ends

    # The same world, links checked only after the crawl: the same verdicts and findings.
    # Its short link stage would leave the timeout's recheck to the next night (it more
    # than doubles the stage): told to wait, so that one night's verdicts compare.
    after = night_config(tmp_path / "after", loopback_web, during_crawl=False, recheck_wait_share=100.0)
    assert run_nightly(after, send_email=False).status == RunStatus.COMPLETE
    assert {url: v[:2] for url, v in stored_links(after).items()} == {url: v[:2] for url, v in links.items()}
    assert findings(after) == findings(config)
    assert any(rule == "link_timeout" for rule, _ in findings(config))


def test_an_incomplete_crawl_stores_nothing_checked_during_it(loopback_web: Web, tmp_path: Path) -> None:
    config = night_config(tmp_path, loopback_web)
    assert run_nightly(config, send_email=False).status == RunStatus.COMPLETE
    before = stored_links(config)
    gone = f"http://provider.test:{loopback_web.port}/gone/timetable"
    asked_before = len(loopback_web.times("provider.test", "/gone/"))

    loopback_web.directory_down = True
    summary = run_nightly(config, send_email=False)
    assert summary.status == RunStatus.INCOMPLETE
    assert [s.status for s in summary.stages if s.name == "links"] == ["skipped"]
    # The failing link (always checked again) was asked during the crawl ...
    assert len(loopback_web.times("provider.test", "/gone/")) > asked_before
    # ... and nothing of it was stored: the previous complete state stands.
    assert stored_links(config) == before and before[gone][0] == LinkVerdict.BROKEN.value
    assert not [t for t in threading.enumerate() if t.name == "early-link-check"], "the checker's thread stopped"


@pytest.mark.asyncio
async def test_urls_fed_while_the_check_runs_keep_the_per_host_limit(loopback_web: Web) -> None:
    port = loopback_web.port
    settings = LinkCheckSettings(
        connect_timeout=1.0, read_timeout=1.0, total_timeout=2.0, per_host=2, check_https=False,
        soft_404_probe=False, hosts={"provider.test": ["127.0.0.1"]}, hosts_only=True,
        trusted_hosts=frozenset({"127.0.0.1"}),
    )
    feed: MoreURLs = asyncio.Queue()
    first = [f"http://127.0.0.1:{port}/dir/record/{i}" for i in range(1, 4)]
    fed = [[f"http://127.0.0.1:{port}/dir/record/{i}" for i in range(n, n + 3)] for n in (4, 7, 10)]
    fed.append([f"http://provider.test:{port}/page/1", first[0]])  # a new host, and a URL already asked

    async def feed_slowly() -> None:
        for batch in fed:
            await asyncio.sleep(PAGE_SECONDS)  # while the host's first URLs are still being answered
            await feed.put((batch, []))
        await feed.put(None)

    feeding = asyncio.ensure_future(feed_slowly())
    results = await check_urls(first, settings, more=feed)
    await feeding
    expected = list(dict.fromkeys(first + [url for batch in fed for url in batch]))
    assert [r.url for r in results] == expected
    assert all(r.verdict is LinkVerdict.OK for r in results), results
    records = [path for host, _m, path, _t in loopback_web.log if host == "127.0.0.1"]
    assert sorted(Counter(records).values()) == [1] * 12, "each URL asked once"
    assert loopback_web.peak["127.0.0.1"] == 2, "never more than per_host at once, across batches"


def test_a_connection_left_open_in_the_process_does_not_break_the_next_night(loopback_web: Web, tmp_path: Path) -> None:
    # The nightly's "is the database writable" check used to open and close the file:
    # that dropped every lock this process held on it (POSIX locks belong to the
    # process), so the crawl's process, closing, took itself for the last user and
    # deleted the WAL index under the night's connection ("file is not a database").
    config = night_config(tmp_path, loopback_web)
    assert run_nightly(config, send_email=False).status == RunStatus.COMPLETE
    reader = sqlite3.connect(config.database.path)
    try:
        assert reader.execute("SELECT COUNT(*) FROM links").fetchone()[0] > 0
        loopback_web.directory_down = True  # an incomplete crawl: the night's shortest path
        assert run_nightly(config, send_email=False).status == RunStatus.INCOMPLETE
        assert reader.execute("PRAGMA quick_check").fetchone() == ("ok",)
    finally:
        reader.close()


@pytest.mark.asyncio
async def test_a_site_failing_across_fed_batches_is_paused_all_the_same(loopback_web: Web) -> None:
    # A site that was fine before and now fails every link is paused after
    # host_pause_after failures in a row (its other links left unverified, nothing
    # confirmed during what is likely an outage), however its links are fed: here two at
    # a time, each pair done before the next arrives.
    port = loopback_web.port
    settings = LinkCheckSettings(
        connect_timeout=1.0, read_timeout=1.0, total_timeout=2.0, per_host=1, retries=0, confirm_delay=0.0,
        check_https=False, soft_404_probe=False, host_pause_after=3, hosts={"down.test": ["127.0.0.1"]},
        hosts_only=True,
    )
    feed: MoreURLs = asyncio.Queue()
    pairs = [[f"http://down.test:{port}/service/{n}", f"http://down.test:{port}/service/{n + 1}"] for n in range(0, 8, 2)]

    async def feed_in_pairs() -> None:
        for pair in pairs:
            await feed.put((pair, []))
            await asyncio.sleep(0.3)
        await feed.put(None)

    feeding = asyncio.ensure_future(feed_in_pairs())
    results = await check_urls([], settings, host_failure_baseline={"down.test": 0.0}, more=feed)
    await feeding
    assert len(results) == 8
    checked = [r for r in results if not r.unverified]
    assert len(checked) == 3 and all(r.verdict is LinkVerdict.SERVER_ERROR for r in checked), results
    assert all("paused after 3 failures" in (r.detail or "") for r in results if r.unverified)


@pytest.mark.asyncio
async def test_a_host_in_two_batches_queued_back_to_back_is_worked_once(loopback_web: Web) -> None:
    # The second batch is waiting before the first has started its host: the host must
    # not be started twice (each copy then removed the other's entry and failed the run).
    port = loopback_web.port
    feed: MoreURLs = asyncio.Queue()
    for n in (2, 3):
        feed.put_nowait(([f"http://provider.test:{port}/page/{n}"], []))
    feed.put_nowait(None)
    settings = LinkCheckSettings(connect_timeout=1.0, read_timeout=1.0, total_timeout=2.0, per_host=2,
                                 check_https=False, soft_404_probe=False, hosts={"provider.test": ["127.0.0.1"]},
                                 hosts_only=True)
    results = await check_urls([f"http://provider.test:{port}/page/1"], settings, more=feed)
    assert [r.verdict for r in results] == [LinkVerdict.OK] * 3


@pytest.mark.asyncio
async def test_a_fed_runs_time_limit_counts_from_the_end_of_its_feed(loopback_web: Web) -> None:
    port = loopback_web.port
    settings = LinkCheckSettings(connect_timeout=0.5, read_timeout=5.0, total_timeout=10.0, per_host=2,
                                 check_https=False, soft_404_probe=False, max_run_seconds=1.0,
                                 hosts={"provider.test": ["127.0.0.1"], "hang.test": ["127.0.0.1"]}, hosts_only=True)
    feed: MoreURLs = asyncio.Queue()

    async def feed_for_two_seconds() -> None:
        for n in range(4):
            await asyncio.sleep(0.5)  # a crawl longer than the time limit
            await feed.put(([f"http://provider.test:{port}/page/{n}"], []))
        await feed.put(([f"http://hang.test:{port}/whats-on"], []))
        await feed.put(None)

    feeding = asyncio.ensure_future(feed_for_two_seconds())
    started = time.monotonic()
    results = await check_urls([], settings, more=feed)
    await feeding
    assert 2.5 < time.monotonic() - started < 6, "stopped about a second after the feed ended"
    assert [r.verdict for r in results[:4]] == [LinkVerdict.OK] * 4
    assert results[4].unverified and "time limit" in (results[4].detail or "")


@pytest.mark.asyncio
async def test_a_fed_runs_late_quick_failure_is_left_to_the_next_run_not_waited_for(loopback_web: Web) -> None:
    # A 503 fed early is rechecked while the feed (the crawl) goes on and confirmed. One
    # fed as the crawl ends would hold the night a whole confirmation delay after it,
    # beyond the horizon (one first-byte wait after the feed, times 1 + recheck_wait_share):
    # it is stored unconfirmed and the next run, finding it failing again, confirms it.
    # One in the last batch, checked after the feed has ended (the directory's own site,
    # links not fed yet), is rechecked and waited for, as in a run of its own.
    port = loopback_web.port
    settings = LinkCheckSettings(connect_timeout=0.5, read_timeout=0.5, total_timeout=2.0, per_host=3, retries=0,
                                 check_https=False, soft_404_probe=False, confirm_delay=3.0, recheck_wait_share=1.0,
                                 hosts={"provider.test": ["127.0.0.1"], "down.test": ["127.0.0.1"]}, hosts_only=True)
    early, late, last = (f"http://down.test:{port}/{name}" for name in ("early", "late", "last"))
    feed: MoreURLs = asyncio.Queue()

    async def crawl_of_four_seconds() -> None:
        await feed.put(([early], []))
        for n in range(8):
            await asyncio.sleep(0.5)
            await feed.put(([f"http://provider.test:{port}/page/{n}"], []))
        await feed.put(([late], []))
        await asyncio.sleep(0.5)  # the late link has failed by the time the crawl ends
        await feed.put(([last], []))
        await feed.put(None)

    feeding = asyncio.ensure_future(crawl_of_four_seconds())
    results = {r.url: r for r in await check_urls([], settings, more=feed)}
    await feeding
    assert results[early].verdict is LinkVerdict.SERVER_ERROR and results[early].confirmed
    assert results[early].attempts == 2  # rechecked during the feed
    assert results[late].verdict is LinkVerdict.SERVER_ERROR and not results[late].confirmed
    assert "the next run confirms it" in (results[late].detail or "")
    assert len(loopback_web.times("down.test", "/late")) == 1
    assert results[last].verdict is LinkVerdict.SERVER_ERROR and results[last].confirmed
    assert len(loopback_web.times("down.test", "/last")) == 2

    # The next run asks it once, not waiting a delay to recheck it: failing again, the
    # stage confirms it (two failing runs; through the stage: tests/test_links_timeouts.py).
    again = await check_urls([late], settings, failed_last_time=[late])
    assert again[0].verdict is LinkVerdict.SERVER_ERROR and again[0].attempts == 1
    assert len(loopback_web.times("down.test", "/late")) == 2


def _early_check_on(world: Web, folder: Path) -> tuple[Config, list[str]]:
    """A store whose live services carry three provider pages and one hanging link."""
    from localoffer_audit.store.db import open_db

    from .support.links import add_services

    config = night_config(folder, world, recheck_wait_share=100.0)  # the hanging link's recheck waited for
    urls = [f"http://provider.test:{world.port}/page/{n}" for n in range(3)] + [f"http://hang.test:{world.port}/whats-on"]
    db = open_db(config.database.path)
    add_services(db, {"s1": urls[:2], "s2": urls[2:]})
    db.close()
    return config, urls


def test_the_stage_gets_results_as_they_come_and_the_ordinary_check_if_the_early_run_failed(
    loopback_web: Web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from localoffer_audit.links import early as early_module
    from localoffer_audit.links.early import EarlyLinkCheck
    from localoffer_audit.links.stage import settings_for

    config, urls = _early_check_on(loopback_web, tmp_path / "streamed")
    run = EarlyLinkCheck(config.database.path, config, settings_for(config)).start()
    handed: list[tuple[str, float]] = []
    try:
        results = asyncio.run(run.checker(urls, settings_for(config), on_result=lambda r: handed.append((r.url, time.monotonic()))))
    finally:
        run.close()
    assert [r.url for r in results] == urls and results[3].verdict is LinkVerdict.TIMEOUT
    # The provider pages reached the stage (to be stored) while the hanging link was still waited for.
    # (Handed over every half second: earlier by any margin means not in one burst at the end.)
    assert handed[-1][0] == urls[3] and max(at for url, at in handed[:-1]) < handed[-1][1] - 0.1
    # Closed, it lets go of them (the nightly keeps the object until its end, past the findings stage).
    assert not run.thread.is_alive() and run.results == {} and run.run is None

    # A fault of ours in the run during the crawl: the stage's links are checked anyway.
    real = early_module.check_urls

    async def failing_when_fed(*args, **kwargs):  # noqa: ANN002, ANN003
        if kwargs.get("more") is not None:
            raise RuntimeError("a bug in the checker")
        return await real(*args, **kwargs)

    monkeypatch.setattr(early_module, "check_urls", failing_when_fed)
    config, urls = _early_check_on(loopback_web, tmp_path / "failed")
    run = EarlyLinkCheck(config.database.path, config, settings_for(config)).start()
    try:
        results = asyncio.run(run.checker(urls, settings_for(config)))
    finally:
        run.close()
    assert [r.verdict for r in results] == [LinkVerdict.OK] * 3 + [LinkVerdict.TIMEOUT]
