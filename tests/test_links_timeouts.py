"""Hanging links cost what they can still teach: counted server-side on loopback.

A link that never answers gets at most two tries in a run (the first, then one delayed
recheck started as soon as the failure is known, alongside the rest of the run); a host
that hung is never asked HEAD-then-GET; a recheck that would end after the stage has
doubled is left to the next run, and two failing runs confirm. Precision does not move: a
timeout is only ever confirmed by a second failure, and never becomes `broken`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from localoffer_audit.links.checker import LEFT_TO_NEXT_RUN, LinkCheckSettings, check_urls
from localoffer_audit.links.stage import run_link_checks
from localoffer_audit.models import LinkVerdict

from .support.links import ThreadedServer, add_services, link, make_config

PAGE = "<html><head><title>Short breaks</title></head><body><h1>Short breaks</h1><p>{}</p></body></html>"

# (host, method, path, loop time) of every request the servers received.
SEEN: list[tuple[str, str, str, float]] = []
# Set when a test ends: hanging handlers return, so the server can shut down.
RELEASE = threading.Event()


async def outside(request: web.Request) -> web.StreamResponse:
    host = (request.host or "").split(":")[0]
    SEEN.append((host, request.method, request.path, time.monotonic()))
    if host == "hang.test":
        while not RELEASE.is_set():  # accepts, never answers
            await asyncio.sleep(0.05)
        return web.Response(status=503)
    if host == "trickle.test":
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        for _ in range(600):  # headers at once, then ten bytes a second
            if RELEASE.is_set():
                break
            await response.write(b"x")
            await asyncio.sleep(0.1)
        return response
    if host == "flaky.test":
        # Per path: the Nth request of this path (1-based) gets the Nth answer of the
        # path's script, then the page: a site whose one 503 lands on our recheck.
        SCRIPTS_SEEN[request.path] = n = SCRIPTS_SEEN.get(request.path, 0) + 1
        script = FLAKY_SCRIPTS.get(request.path.split("/")[1], ())
        step = script[n - 1] if n <= len(script) else "page"
        if step == "hang":
            while not RELEASE.is_set():
                await asyncio.sleep(0.05)
            return web.Response(status=503)
        if step == "503":
            return web.Response(status=503, headers={"Retry-After": "1"}, text="Try again shortly\n")
    if request.path.startswith("/slow"):
        await asyncio.sleep(0.25)
    return web.Response(text=PAGE.format(f"Real page {request.path} " * 20), content_type="text/html")


# flaky.test's answers per first path segment, request by request, then the page.
FLAKY_SCRIPTS = {
    "hang-then-503": ("hang", "503"),  # our first try times out; the recheck meets the one 503
    "503s-then-hang": ("503", "503", "503", "hang"),  # 503 after retries; the recheck times out
}
SCRIPTS_SEEN: dict[str, int] = {}


def requests_for(host: str, path: str | None = None) -> list[str]:
    return [method for h, method, p, _ in SEEN if h == host and (path is None or p == path)]


@pytest_asyncio.fixture
async def web_port() -> AsyncIterator[int]:
    SEEN.clear()
    SCRIPTS_SEEN.clear()
    RELEASE.clear()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", outside)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    RELEASE.set()
    await runner.cleanup()


def settings_for_port(port: int, **changes) -> LinkCheckSettings:
    base = dict(
        connect_timeout=0.5, read_timeout=0.5, total_timeout=1.5, retries=2, backoff=0.01,
        confirm_delay=0.3, recheck_wait_share=100.0, check_https=False, soft_404_probe=False,
        hosts={name: ["127.0.0.1"] for name in ("hang.test", "trickle.test", "fine.test", "flaky.test")},
        hosts_only=True, port_map={80: port},
    )
    return LinkCheckSettings(**{**base, **changes})


@pytest.mark.asyncio
async def test_a_hanging_page_gets_two_tries_and_is_confirmed_by_the_delayed_recheck(web_port: int) -> None:
    [result] = await check_urls(["http://hang.test/page"], settings_for_port(web_port))
    assert result.verdict is LinkVerdict.TIMEOUT and result.confirmed, result
    assert "failed again on a delayed recheck" in (result.detail or "")
    # retries = 2 does not apply to a timeout: the recheck is its one more try.
    assert result.attempts == 2
    assert requests_for("hang.test", "/page") == ["GET", "GET"]


@pytest.mark.asyncio
async def test_a_503_met_only_by_the_recheck_of_a_timeout_confirms_nothing(web_port: int) -> None:
    # Under load our first try timed out before the site saw it; the recheck then met the
    # site's one passing 503 (Retry-After: 1). A timeout and a 503 are two different
    # failures: neither is seen twice, so nothing is confirmed, and the 503 gets the
    # retries any first 503 gets, which find the page.
    [result] = await check_urls(["http://flaky.test/hang-then-503/page"], settings_for_port(web_port))
    assert result.verdict is LinkVerdict.OK, result
    assert not (result.verdict in {LinkVerdict.SERVER_ERROR, LinkVerdict.TIMEOUT} and result.confirmed)
    assert "recovered on a delayed recheck (first: timeout)" in (result.detail or ""), result
    assert requests_for("flaky.test") == ["GET", "GET", "GET"]  # the try, the recheck, its retry


@pytest.mark.asyncio
async def test_a_timeout_on_the_recheck_of_a_503_confirms_nothing(web_port: int) -> None:
    # 503 on all three tries of the first check, then the recheck timed out (our side
    # may be the slow one): two different failures, so unconfirmed; the next run tells.
    [result] = await check_urls(["http://flaky.test/503s-then-hang/page"], settings_for_port(web_port, max_retry_after=2.0))
    assert result.verdict is LinkVerdict.TIMEOUT and not result.confirmed, result
    assert "failed differently on a delayed recheck (first: server_error)" in (result.detail or ""), result
    assert result.attempts == 4


@pytest.mark.asyncio
async def test_a_hanging_document_is_not_asked_head_then_get(web_port: int) -> None:
    [result] = await check_urls(["http://hang.test/report.pdf"], settings_for_port(web_port))
    assert result.verdict is LinkVerdict.TIMEOUT and result.confirmed, result
    # The HEAD hung: no GET after it; the recheck asks the hung host with GET only.
    assert requests_for("hang.test", "/report.pdf") == ["HEAD", "GET"]


@pytest.mark.asyncio
async def test_after_a_host_hung_its_documents_are_asked_with_one_get(web_port: int) -> None:
    urls = ["http://hang.test/page", "http://hang.test/leaflet.pdf"]
    results = await check_urls(urls, settings_for_port(web_port, per_host=1, confirm_delay=0))
    assert [r.verdict for r in results] == [LinkVerdict.TIMEOUT, LinkVerdict.TIMEOUT]
    assert not any(r.confirmed for r in results)  # no recheck in the run: nothing confirms
    # GET only (tried twice: with no delayed recheck a timeout gets one retry instead).
    assert requests_for("hang.test", "/leaflet.pdf") == ["GET", "GET"]


@pytest.mark.asyncio
async def test_without_a_recheck_a_timeout_is_retried_once_not_retries_times(web_port: int) -> None:
    [result] = await check_urls(["http://hang.test/page"], settings_for_port(web_port, confirm_delay=0, retries=3))
    assert result.verdict is LinkVerdict.TIMEOUT and not result.confirmed
    assert requests_for("hang.test", "/page") == ["GET", "GET"]


@pytest.mark.asyncio
async def test_the_recheck_starts_while_the_rest_of_the_run_goes_on(web_port: int) -> None:
    slow = [f"http://fine.test/slow/{i}" for i in range(12)]
    results = await check_urls(["http://hang.test/page", *slow], settings_for_port(web_port, per_host=1))
    assert results[0].verdict is LinkVerdict.TIMEOUT and results[0].confirmed
    assert all(r.verdict is LinkVerdict.OK for r in results[1:])
    recheck_at = [at for host, _m, _p, at in SEEN if host == "hang.test"][1]
    last_slow_at = max(at for host, _m, _p, at in SEEN if host == "fine.test")
    # 12 slow links one at a time take ~3 s; the hanging link's recheck (due 0.5 + 0.3 s
    # in) was asked before the last of them, not after them all.
    assert recheck_at < last_slow_at


@pytest.mark.asyncio
async def test_a_trickling_body_ends_as_a_timeout_after_the_read_timeout(web_port: int) -> None:
    settings = settings_for_port(web_port, confirm_delay=0, retries=0, total_timeout=30)
    started = time.monotonic()
    [result] = await check_urls(["http://trickle.test/page"], settings)
    elapsed = time.monotonic() - started
    assert result.verdict is LinkVerdict.TIMEOUT, result
    assert "too slow" in (result.error or ""), result.error
    # Stopped by the slow-body rule after read_timeout, long before the 30 s total.
    assert elapsed < 10, elapsed


@pytest.mark.asyncio
async def test_known_hanging_links_are_started_first(web_port: int) -> None:
    fine = [f"http://fine.test/slow/{i}" for i in range(4)]
    urls = [*fine, "http://hang.test/page"]
    settings = settings_for_port(web_port, concurrency=1, confirm_delay=0)
    await check_urls(urls, settings, first={"http://hang.test/page"})
    assert SEEN[0][0] == "hang.test"
    SEEN.clear()
    await check_urls(urls, settings)  # without history: the busiest host first
    assert SEEN[0][0] == "fine.test"


@pytest.mark.asyncio
async def test_a_link_that_failed_last_time_gets_no_recheck(web_port: int) -> None:
    url = "http://hang.test/page"
    [result] = await check_urls([url], settings_for_port(web_port), failed_last_time={url})
    assert result.verdict is LinkVerdict.TIMEOUT and not result.confirmed  # the stage confirms it
    assert requests_for("hang.test") == ["GET"]


@pytest.mark.asyncio
async def test_a_recheck_that_would_dominate_is_left_to_the_next_run(web_port: int) -> None:
    settings = settings_for_port(web_port, confirm_delay=3.0, recheck_wait_share=1.0)
    started = time.monotonic()
    [result] = await check_urls(["http://hang.test/page"], settings)
    assert result.verdict is LinkVerdict.TIMEOUT and not result.confirmed
    assert LEFT_TO_NEXT_RUN in (result.detail or "")
    assert requests_for("hang.test") == ["GET"]
    assert time.monotonic() - started < 3.0  # the 3 s confirmation delay was not waited for


@pytest.mark.asyncio
async def test_a_recheck_due_in_time_but_ending_late_is_left_to_the_next_run(web_port: int) -> None:
    # One at a time on hang.test: the first link times out at about 1 s (recheck due at
    # 3.6 s), the second at about 2 s (no second round for a hanging host). The stage may
    # last twice its 2 s: the recheck is *due* inside that (3.6 < 4) but would *end* a
    # timeout later (4.6), so the first rule waited 2.6 s more for it; now the next run
    # confirms both links.
    settings = settings_for_port(
        web_port, read_timeout=1.0, total_timeout=3.0, confirm_delay=2.6, recheck_wait_share=1.0, per_host=1,
    )
    started = time.monotonic()
    results = await check_urls(["http://hang.test/a", "http://hang.test/b"], settings)
    assert [r.verdict for r in results] == [LinkVerdict.TIMEOUT] * 2
    assert not any(r.confirmed for r in results)
    assert all(LEFT_TO_NEXT_RUN in (r.detail or "") for r in results), results
    assert requests_for("hang.test") == ["GET", "GET"]  # one try each: the recheck never started
    assert time.monotonic() - started < 3.6


@pytest.mark.asyncio
async def test_a_hanging_host_gets_one_round_of_rechecks(web_port: int) -> None:
    urls = [f"http://hang.test/page/{i}" for i in range(5)]
    results = await check_urls(urls, settings_for_port(web_port, per_host=2))
    assert all(r.verdict is LinkVerdict.TIMEOUT for r in results)
    rechecked = [r for r in results if r.confirmed]
    left = [r for r in results if LEFT_TO_NEXT_RUN in (r.detail or "")]
    # Two at a time on that host: the first two failures are rechecked (another round of
    # timeouts each), the other three wait for the next run, unconfirmed.
    assert (len(rechecked), len(left)) == (2, 3)
    assert not any(r.confirmed for r in left)
    for r in results:
        path = r.url.split("hang.test", 1)[1]
        assert len(requests_for("hang.test", path)) == (2 if r.confirmed else 1)


@pytest.mark.asyncio
async def test_a_host_without_https_is_asked_for_its_https_twin_once(web_port: int) -> None:
    # fine.test answers http; its https port accepts and closes at once (no TLS there).
    connections: list[float] = []

    async def refuse_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(time.monotonic())
        writer.close()

    closed = await asyncio.start_server(refuse_tls, "127.0.0.1", 0)
    tls_port = closed.sockets[0].getsockname()[1]
    try:
        urls = [f"http://fine.test/page/{i}" for i in range(6)]
        settings = settings_for_port(web_port, check_https=True, per_host=1, port_map={80: web_port, 443: tls_port})
        results = await check_urls(urls, settings)
    finally:
        closed.close()
        await closed.wait_closed()
    # The links work over http: no https is no finding (not `insecure`, not a failure).
    assert [r.verdict for r in results] == [LinkVerdict.OK] * 6
    # One twin, with one attempt per method (HEAD, then GET), for the whole host; before,
    # each of the six links' twins had HEAD and GET with their retries (36 connections).
    assert len(connections) <= 2, len(connections)


# --- across two runs, through the stage and a real database ----------------------------


@pytest.fixture
def hanging_server() -> Iterator[ThreadedServer]:
    SEEN.clear()
    SCRIPTS_SEEN.clear()
    RELEASE.clear()
    srv = ThreadedServer(outside)
    yield srv
    RELEASE.set()
    srv.stop()


def test_a_hanging_link_is_confirmed_by_two_runs_and_never_called_broken(db, tmp_path: Path, hanging_server) -> None:
    hosts = tmp_path / "hosts"
    url, fine = "http://hang.test/page", "http://fine.test/ok"
    add_services(db, {"s1": [url, fine]})
    config = make_config(
        tmp_path, hanging_server.port, read_timeout_seconds=0.5, total_timeout_seconds=1.5,
        retries=2, confirm_delay_seconds=5, recheck_wait_share=1.0,
    )
    hosts.write_text("127.0.0.1 hang.test fine.test\n")
    first = run_link_checks(db, config)
    row = link(db, url)
    # Night 1: the recheck would have taken far longer than the rest: left to the next run.
    assert row["verdict"] == "timeout" and not row["confirmed"], row
    assert first.counts["unconfirmed_failures"] == 1 and first.counts["confirmed_failures"] == 0
    assert requests_for("hang.test") == ["GET"]
    second = run_link_checks(db, config)
    row = link(db, url)
    # Night 2: failing again confirms it (two runs in a row), with one more try only.
    assert row["verdict"] == "timeout" and row["confirmed"] and row["consecutive_failures"] == 2, row
    assert second.counts["confirmed_failures"] == 1
    assert requests_for("hang.test") == ["GET", "GET"]
    checks = list(db.query("SELECT verdict, confirmed FROM link_checks WHERE url = ? ORDER BY id", [url]))
    assert [c["verdict"] for c in checks] == ["timeout", "timeout"]
