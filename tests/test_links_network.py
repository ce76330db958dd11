"""The link checker against real local servers: one test per behaviour of the outside web.

Every server runs on loopback; test hostnames reach it through a hosts file and a port
map, exactly as a council's test rig would configure it. Timeouts are short so hanging
and hostile servers end in a verdict quickly.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import socket
import ssl
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import pytest_asyncio
import trustme
from aiohttp import web

from localoffer_audit.links import checker as links_module
from localoffer_audit.links.checker import LinkCheckSettings, _retry_after_seconds, check_urls
from localoffer_audit.models import LinkVerdict

pytestmark = pytest.mark.asyncio

FILLER = (
    "Our family support service helps children and young people with special educational needs "
    "and disabilities, and their parents and carers, across the county. We run drop-in sessions, "
    "short breaks and a weekly play group. Call us or email to find out more about what we offer. "
)


def page(title: str, body: str = FILLER) -> str:
    return f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{body}</p></body></html>"


COUNTERS: dict[str, int] = {}


def bump(key: str) -> int:
    COUNTERS[key] = COUNTERS.get(key, 0) + 1
    return COUNTERS[key]


# (host, path) of every request the outside web answered, for tests that count them.
REQUESTS: list[tuple[str, str]] = []


async def outside_web(request: web.Request) -> web.StreamResponse:
    host = (request.host or "").split(":")[0]
    path = request.path
    REQUESTS.append((host, path))
    if path.startswith("/hop/"):
        # /hop/N redirects to /hop/N-1; /hop/0 is a real page: N hops in all.
        left = int(path.rsplit("/", 1)[1])
        if left > 0:
            raise web.HTTPMovedPermanently(f"/hop/{left - 1}")
        return web.Response(text=page("Family support"), content_type="text/html")
    if host == "catchall.test":
        # Answers 200 with the same generic page for every path, real or not.
        if path == "/":
            return web.Response(text=page("Catchall Trust home", FILLER * 2), content_type="text/html")
        return web.Response(text=page("Catchall Trust", "Welcome to Catchall Trust. " + FILLER), content_type="text/html")
    if host == "parked.test":
        return web.Response(
            text=page("parked.test", "This domain may be for sale. Buy this domain today. Related searches: holidays, loans"),
            content_type="text/html",
        )
    if host == "other.test":
        return web.Response(text=page("Another organisation"), content_type="text/html")
    if host == "charity.test" and path == "/support-us":
        return web.Response(
            text=page("Support us", "Donate today, buy raffle tickets, shop at our charity sale. " + FILLER),
            content_type="text/html",
        )
    if path in ("/", "/ok", "/page", "/r-end", "/target/"):
        return web.Response(text=page("Family support"), content_type="text/html")
    if path == "/lost-property":
        return web.Response(
            text=page("Lost property", "Items not found within 28 days are given to charity. " + FILLER),
            content_type="text/html",
        )
    if path == "/slow":
        await asyncio.sleep(0.4)
        return web.Response(text=page("Slow but fine"), content_type="text/html")
    if path == "/r1":
        raise web.HTTPMovedPermanently("/r2")
    if path == "/r2":
        raise web.HTTPMovedPermanently("/r-end")
    if path == "/temp":
        raise web.HTTPFound("/ok")
    if path == "/target":
        raise web.HTTPMovedPermanently("/target/")
    if path == "/missing":
        return web.Response(status=404, text=page("Not found"), content_type="text/html")
    if path == "/gone":
        return web.Response(status=410, text="gone")
    if path == "/error":
        return web.Response(status=500, text="Internal Server Error")
    if path == "/flaky":
        if bump("flaky") == 1:
            return web.Response(status=503, text="try later")
        return web.Response(text=page("Recovered"), content_type="text/html")
    if path == "/busy":
        if bump("busy") == 1:
            return web.Response(status=429, text="slow down", headers={"Retry-After": "1"})
        return web.Response(text=page("Busy but fine"), content_type="text/html")
    if path == "/junk-retry-after":
        # A 429 whose Retry-After is whatever the test asks for, then a real page.
        if bump(f"junk:{request.query_string}") == 1:
            return web.Response(status=429, text="slow down", headers={"Retry-After": request.query["v"]})
        return web.Response(text=page("Busy but fine"), content_type="text/html")
    if path == "/down-then-up":
        # Fails every attempt of the first check (3 with retries=2), then recovers.
        if bump(f"down:{request.query_string}") <= 3:
            return web.Response(status=503, text="Service Unavailable")
        return web.Response(text=page("Back again"), content_type="text/html")
    if path == "/busy-forever":
        return web.Response(status=429, text="slow down", headers={"Retry-After": "3600"})
    if path in ("/leaflet-405.pdf", "/leaflet-404.pdf"):
        if request.method == "HEAD":
            return web.Response(status=405 if "405" in path else 404)
        return web.Response(body=b"%PDF-1.4 ...", content_type="application/pdf")
    if path == "/challenge":
        return web.Response(
            status=403,
            text="<html><head><title>Just a moment...</title></head><body>"
            "<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1'></script></body></html>",
            content_type="text/html",
            headers={"cf-mitigated": "challenge", "Server": "cloudflare", "cf-ray": "8a1b2c3d4e5f-LHR"},
        )
    if path == "/vendor-404":
        return web.Response(status=404, text=page("Page not found"), content_type="text/html",
                            headers={"Server": "cloudflare", "cf-ray": "8a1b2c3d4e5f-LHR"})
    if path == "/picky":
        # Refuses clients that do not say they accept HTML, as some real servers do.
        if "text/html" not in request.headers.get("Accept", ""):
            return web.Response(status=403, text="<html><title>403 Forbidden</title></html>", content_type="text/html")
        return web.Response(text=page("Picky but fine"), content_type="text/html")
    if path == "/cookie-gate":
        if request.cookies.get("visited") != "yes":
            response = web.HTTPFound("/cookie-gate")
            response.set_cookie("visited", "yes")
            raise response
        return web.Response(text=page("Welcome back"), content_type="text/html")
    if path == "/waf-406":
        return web.Response(status=406, text="Not Acceptable! An appropriate representation could not be found.")
    if path == "/hang":
        await asyncio.sleep(3600)
    if path == "/soft":
        return web.Response(text=page("Page not found | Example Council"), content_type="text/html")
    if path == "/old-service":
        raise web.HTTPMovedPermanently("/")
    if path == "/loop1":
        raise web.HTTPFound("/loop2")
    if path == "/loop2":
        raise web.HTTPFound("/loop1")
    if path == "/away":
        raise web.HTTPMovedPermanently("http://other.test/")
    if path == "/to-metadata":
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")
    if path == "/trickle":
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        for _ in range(3600):
            await response.write(b"<")
            await asyncio.sleep(1)
        return response
    if path == "/endless":
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        chunk = (page("Endless") * 50).encode()
        while True:
            await response.write(chunk)
    if path == "/bomb":
        return web.Response(body=gzip_bomb(), headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
    return web.Response(status=404, text=page("Page not found"), content_type="text/html")


@functools.cache
def gzip_bomb() -> bytes:
    """About 200 KB of gzip that inflates to 200 MB (built in chunks, never held whole)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(b"<html><body>")]
    chunk = b" " * 1_000_000
    parts += [compressor.compress(chunk) for _ in range(200)]
    parts.append(compressor.flush())
    return b"".join(parts)


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.runners: list[web.AppRunner] = []
        self.ca = trustme.CA()

    async def serve(self, ssl_context: ssl.SSLContext | None = None) -> int:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", outside_web)
        runner = web.AppRunner(app, shutdown_timeout=0.1, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        self.runners.append(runner)
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def server_ssl(self, ca: trustme.CA, *names: str) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*names).configure_cert(context)
        return context

    async def close(self) -> None:
        for runner in self.runners:
            await runner.cleanup()


NAMES = ["provider.test", "catchall.test", "parked.test", "other.test", "charity.test", "secure.test"]


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[World, LinkCheckSettings]]:
    COUNTERS.clear()
    REQUESTS.clear()
    w = World(tmp_path)
    http_port = await w.serve()
    https_port = await w.serve(w.server_ssl(w.ca, *NAMES))
    ca_file = tmp_path / "ca.pem"
    w.ca.cert_pem.write_to_path(str(ca_file))
    settings = LinkCheckSettings(
        user_agent="localoffer-audit/test (+https://council.example/contact)",
        connect_timeout=1,
        read_timeout=1,
        total_timeout=2,
        retries=2,
        backoff=0.05,
        max_retry_after=2,
        max_body_bytes=64_000,
        max_decoded_bytes=256_000,
        hosts={name: ["127.0.0.1"] for name in NAMES},
        hosts_only=True,
        port_map={80: http_port, 443: https_port},
        ca_file=ca_file,
        confirm_delay=0,
    )
    yield w, settings
    await w.close()


async def one(url: str, settings: LinkCheckSettings):
    [result] = await check_urls([url], settings)
    return result


@pytest.mark.parametrize(
    ("url", "verdict"),
    [
        ("http://provider.test/missing", LinkVerdict.BROKEN),
        ("http://provider.test/gone", LinkVerdict.BROKEN),
        ("http://provider.test/vendor-404", LinkVerdict.BROKEN),
        ("https://provider.test/ok", LinkVerdict.OK),
        ("https://provider.test/slow", LinkVerdict.OK),
        ("https://provider.test/lost-property", LinkVerdict.OK),
        ("https://provider.test/temp", LinkVerdict.OK),
        ("https://provider.test/target", LinkVerdict.OK),
        ("https://provider.test/r1", LinkVerdict.REDIRECTED),
        ("https://provider.test/leaflet-405.pdf", LinkVerdict.OK),
        ("https://provider.test/leaflet-404.pdf", LinkVerdict.OK),
        ("https://provider.test/challenge", LinkVerdict.BLOCKED),
        ("https://provider.test/picky", LinkVerdict.OK),
        ("https://provider.test/waf-406", LinkVerdict.BLOCKED),
        ("https://provider.test/soft", LinkVerdict.SOFT_404),
        ("https://provider.test/old-service", LinkVerdict.SOFT_404),
        ("https://catchall.test/services/holiday-club", LinkVerdict.SOFT_404),
        ("https://catchall.test/", LinkVerdict.OK),
        ("https://parked.test/", LinkVerdict.PARKED),
        ("https://charity.test/support-us", LinkVerdict.OK),
        ("https://provider.test/loop1", LinkVerdict.BROKEN),
        ("https://provider.test/cookie-gate", LinkVerdict.OK),
        ("https://provider.test/away", LinkVerdict.MOVED_OFFSITE),
        ("https://provider.test/to-metadata", LinkVerdict.INTERNAL_ADDRESS),
        ("http://secure.test/page", LinkVerdict.INSECURE),
        ("https://nowhere.test/", LinkVerdict.BROKEN),
        ("http://exa mple.test/", LinkVerdict.BROKEN),
        ("http://", LinkVerdict.BROKEN),
        ("https://[not-an-ip/", LinkVerdict.BROKEN),
        ("http://169.254.169.254/latest/meta-data/", LinkVerdict.INTERNAL_ADDRESS),
        ("http://127.0.0.1/", LinkVerdict.INTERNAL_ADDRESS),
        ("mailto:info@provider.test.org.uk", LinkVerdict.OK),
        ("mailto:info@@provider", LinkVerdict.INVALID_EMAIL),
        ("tel:0800 123 4567", LinkVerdict.OK),
        ("tel:0300 123 4567", LinkVerdict.OK),
        ("tel:01632 96", LinkVerdict.INVALID_PHONE),
        ("ftp://files.provider.test/a.pdf", LinkVerdict.UNSUPPORTED),
    ],
)
async def test_verdict_for_each_behaviour(world, url: str, verdict: LinkVerdict) -> None:
    _, settings = world
    result = await one(url, settings)
    assert result.verdict is verdict, result


async def test_hard_evidence_is_confirmed_at_once_and_chain_recorded(world) -> None:
    _, settings = world
    missing, redirected, nxdomain = await check_urls(
        ["http://provider.test/missing", "https://provider.test/r1", "https://nowhere.test/x"], settings
    )
    assert missing.confirmed and missing.status_code == 404
    assert nxdomain.confirmed and "no such host" in (nxdomain.error or "")
    assert [hop["status"] for hop in redirected.redirect_chain] == [301, 301, 200]
    assert redirected.final_url == "https://provider.test/r-end"


async def test_persistent_500_is_server_error_confirmed_only_by_delayed_recheck(world) -> None:
    _, settings = world
    first = await one("https://provider.test/error", settings)
    assert first.verdict is LinkVerdict.SERVER_ERROR and not first.confirmed
    assert first.attempts == settings.retries + 1
    confirmed = await one("https://provider.test/error", replace(settings, confirm_delay=0.2))
    assert confirmed.verdict is LinkVerdict.SERVER_ERROR and confirmed.confirmed
    assert "failed again" in (confirmed.detail or "")


async def test_503_that_recovers_and_429_with_retry_after(world) -> None:
    _, settings = world
    flaky, busy = await check_urls(["https://provider.test/flaky", "https://provider.test/busy"], settings)
    assert flaky.verdict is LinkVerdict.OK and flaky.attempts == 2
    assert busy.verdict is LinkVerdict.OK and busy.attempts == 2
    forever = await one("https://provider.test/busy-forever", settings)
    # Retry-After beyond the cap: stop asking, and never call it broken.
    assert forever.verdict is LinkVerdict.BLOCKED and forever.attempts == 1


async def test_a_vendor_header_alone_is_not_a_challenge(world) -> None:
    _, settings = world
    result = await one("http://provider.test/vendor-404", settings)
    assert result.verdict is LinkVerdict.BROKEN


async def test_never_answering_server_times_out_unconfirmed(world) -> None:
    _, settings = world
    started = time.monotonic()
    result = await one("https://provider.test/hang", replace(settings, retries=1))
    assert result.verdict is LinkVerdict.TIMEOUT and not result.confirmed
    assert time.monotonic() - started < 2 * settings.total_timeout + 1.5


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_refused_connection_is_broken_but_not_confirmed(world) -> None:
    _, settings = world
    refused = replace(settings, port_map={80: _closed_port()})
    result = await one("http://provider.test/", refused)
    assert result.verdict is LinkVerdict.BROKEN and not result.confirmed
    assert "refused" in (result.error or "")


async def test_self_signed_certificate_is_tls_error(world, tmp_path: Path) -> None:
    w, settings = world
    stranger = trustme.CA()  # not the CA the checker trusts
    port = await w.serve(w.server_ssl(stranger, "provider.test"))
    result = await one("https://provider.test/ok", replace(settings, port_map={443: port}))
    assert result.verdict is LinkVerdict.TLS_ERROR and result.confirmed


async def test_private_addresses_allowed_only_when_configured(world) -> None:
    _, settings = world
    port = settings.port_map[80]
    allowed = replace(settings, allow_private_addresses=True, hosts_only=False)
    result = await one(f"http://127.0.0.1:{port}/ok", allowed)
    assert result.verdict is LinkVerdict.OK


async def test_excluded_prefixes_are_not_fetched(world) -> None:
    _, settings = world
    result = await one("https://provider.test/hang", replace(settings, exclude=("https://provider.test/",)))
    assert result.verdict is LinkVerdict.EXCLUDED and result.elapsed_ms is not None and result.elapsed_ms < 500


@pytest.mark.parametrize("path", ["/trickle", "/endless", "/bomb"])
async def test_hostile_servers_end_in_a_verdict_within_time_and_memory(world, path: str) -> None:
    _, settings = world
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = await one(f"https://provider.test{path}", settings)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - started
    assert result.verdict in (LinkVerdict.OK, LinkVerdict.TIMEOUT), result
    assert elapsed < settings.total_timeout * (settings.retries + 1) + 1
    # Bounded: the raw body limit plus the decoded limit, with room for the interpreter.
    assert peak < 8 * (settings.max_body_bytes + settings.max_decoded_bytes) + 2_000_000, peak


async def test_trickling_headers_time_out(tmp_path: Path) -> None:
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for byte in b"HTTP/1.1 200 OK\r\n":
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.5)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = LinkCheckSettings(
        connect_timeout=1, read_timeout=5, total_timeout=1.5, retries=0, confirm_delay=0,
        hosts={"slowloris.test": ["127.0.0.1"]}, hosts_only=True, port_map={80: port},
    )
    started = time.monotonic()
    result = await one("http://slowloris.test/", settings)
    assert result.verdict is LinkVerdict.TIMEOUT
    assert time.monotonic() - started < 3
    server.close()


async def test_host_paused_after_a_spike_leaves_links_unverified(world) -> None:
    _, settings = world
    urls = [f"https://provider.test/error?n={i}" for i in range(8)]
    results = await check_urls(
        urls, replace(settings, retries=0, host_pause_after=3, per_host=1),
        host_failure_baseline={"provider.test": 0.0},
    )
    checked = [r for r in results if not r.unverified]
    assert len(checked) == 3 and all(r.verdict is LinkVerdict.SERVER_ERROR for r in checked)
    assert sum(r.unverified for r in results) == 5
    # A host that was failing before is a dead host, not a spike: everything is checked.
    again = await check_urls(urls, replace(settings, retries=0, host_pause_after=3), host_failure_baseline={"provider.test": 1.0})
    assert not any(r.unverified for r in again)


async def test_ten_redirects_are_followed_and_an_eleventh_ends_the_check(world) -> None:
    _, settings = world
    assert settings.max_redirects == 10
    within, beyond = await check_urls(["https://provider.test/hop/10", "https://provider.test/hop/11"], settings)
    # Ten permanent redirects to a working page on the same site: "update the link".
    assert within.verdict is LinkVerdict.REDIRECTED and within.final_url == "https://provider.test/hop/0"
    assert [hop["status"] for hop in within.redirect_chain] == [301] * 10 + [200]
    # Eleven: the check stops after ten redirects, says why, and keeps the whole chain.
    assert beyond.verdict is LinkVerdict.BROKEN and beyond.confirmed
    assert beyond.error == "more than 10 redirects"
    assert [hop["url"] for hop in beyond.redirect_chain] == [f"https://provider.test/hop/{n}" for n in range(11, 0, -1)]
    assert [hop["status"] for hop in beyond.redirect_chain] == [301] * 11
    assert ("provider.test", "/hop/0") in REQUESTS and REQUESTS.count(("provider.test", "/hop/0")) == 1  # only by the first


PROBE_PATH = re.compile(r"^/[0-9a-f]{20}-[0-9a-f]{8}$")


async def test_the_soft_404_probe_is_asked_once_per_site_per_run(world) -> None:
    _, settings = world
    urls = [f"https://catchall.test/services/club-{i}" for i in range(5)]
    urls += [f"https://provider.test/ok?n={i}" for i in range(4)] + ["https://provider.test/page"]
    results = await check_urls(urls, replace(settings, per_host=3))
    assert all(r.verdict is LinkVerdict.SOFT_404 for r in results[:5])  # each judged against the probe
    assert all(r.verdict is LinkVerdict.OK for r in results[5:])
    probes = Counter(host for host, path in REQUESTS if PROBE_PATH.match(path))
    assert probes == Counter({"catchall.test": 1, "provider.test": 1})
    # A new run asks again (a site may have changed since).
    await check_urls(urls[:1], settings)
    assert sum(1 for host, path in REQUESTS if host == "catchall.test" and PROBE_PATH.match(path)) == 2


async def test_per_host_limit_is_respected(world) -> None:
    _, settings = world
    urls = [f"https://provider.test/slow?n={i}" for i in range(6)]
    started = time.monotonic()
    results = await check_urls(urls, replace(settings, per_host=2, soft_404_probe=False))
    elapsed = time.monotonic() - started
    assert all(r.verdict is LinkVerdict.OK for r in results)
    # Six 0.4 s answers, two at a time: at least three rounds.
    assert elapsed >= 1.15


async def test_progress_reports_every_url(world) -> None:
    _, settings = world
    seen: list[tuple[int, int]] = []
    urls = ["https://provider.test/ok", "mailto:a@b.org.uk", "https://provider.test/missing", "https://provider.test/ok"]
    results = await check_urls(urls, settings, progress=lambda done, total, result: seen.append((done, total)))
    assert len(results) == 3
    assert seen == [(1, 3), (2, 3), (3, 3)]


async def test_trusted_hosts_pass_the_ssrf_guard(world) -> None:
    _, settings = world
    port = settings.port_map[80]
    url = f"http://127.0.0.1:{port}/ok"
    assert (await one(url, settings)).verdict is LinkVerdict.INTERNAL_ADDRESS
    trusted = replace(settings, trusted_hosts=frozenset({"127.0.0.1"}))
    assert (await one(url, trusted)).verdict is LinkVerdict.OK


async def test_free_slots_go_to_the_host_with_most_work_left() -> None:
    from localoffer_audit.links.politeness import WORK_LEFT, PrioritySlots

    slots = PrioritySlots(1)
    served: list[int] = []

    async def request(work_left: int) -> None:
        WORK_LEFT.set(lambda: work_left)
        async with slots:
            served.append(work_left)
            await asyncio.sleep(0.01)

    async with slots:  # hold the only slot while three hosts queue up
        tasks = [asyncio.ensure_future(request(n)) for n in (1, 30, 5)]
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    assert served == [30, 5, 1]


# --- the checker's own faults are never the site's -------------------------------------


async def test_a_checker_error_leaves_the_link_unverified_never_failed(world, monkeypatch, caplog) -> None:
    _, settings = world
    real = links_module._Checker._success_verdict

    async def buggy(self, base, url, answer, page, notes):
        if "bug" in url:
            raise RuntimeError("injected bug in a classifier")
        return await real(self, base, url, answer, page, notes)

    monkeypatch.setattr(links_module._Checker, "_success_verdict", buggy)
    urls = ["https://provider.test/ok?bug=1", "https://provider.test/ok", "https://provider.test/error"]
    with caplog.at_level(logging.ERROR, logger="localoffer_audit.links.checker"):
        bugged, fine, failing = await check_urls(urls, replace(settings, confirm_delay=0.2, per_host=1))
    assert bugged.unverified and not bugged.confirmed
    assert bugged.verdict not in (LinkVerdict.SERVER_ERROR, LinkVerdict.BROKEN, LinkVerdict.TIMEOUT)
    assert (bugged.detail or "").startswith("checker error: RuntimeError: injected bug")
    assert any("checker error on https://provider.test/ok?bug=1" in r.getMessage() for r in caplog.records)
    assert fine.verdict is LinkVerdict.OK
    # The checker's fault does not mark the host as paused: its real failure is still
    # rechecked and confirmed in the run.
    assert failing.verdict is LinkVerdict.SERVER_ERROR and failing.confirmed


async def test_a_checker_error_on_the_delayed_recheck_confirms_nothing(world, monkeypatch, caplog) -> None:
    _, settings = world
    real = links_module._Checker.check
    calls: dict[str, int] = {}

    async def second_call_fails(self, url):
        calls[url] = calls.get(url, 0) + 1
        if calls[url] == 2:
            raise KeyError("injected bug on the recheck")
        return await real(self, url)

    monkeypatch.setattr(links_module._Checker, "check", second_call_fails)
    with caplog.at_level(logging.ERROR, logger="localoffer_audit.links.checker"):
        result = await one("https://provider.test/error", replace(settings, confirm_delay=0.2))
    assert calls["https://provider.test/error"] == 2
    assert result.verdict is LinkVerdict.SERVER_ERROR and not result.confirmed
    assert "delayed recheck not made (checker error: KeyError" in (result.detail or "")
    assert any("delayed recheck" in r.getMessage() for r in caplog.records)


async def test_an_unexpected_value_error_in_a_request_is_not_a_malformed_url(world, monkeypatch) -> None:
    _, settings = world

    async def broken_request(*args, **kwargs):
        raise ValueError("injected: a bad header of ours")

    monkeypatch.setattr(links_module, "fetch", functools.partial(_fetch_raising, broken_request))
    result = await one("https://provider.test/ok", settings)
    assert result.unverified and "checker error" in (result.detail or "")


async def _fetch_raising(raiser, session, url, method, settings, ssl_context, **kwargs):
    # fetch() itself, but with session.request replaced by something raising a bare ValueError.
    from localoffer_audit.links import http

    class Session:
        request = staticmethod(raiser)

    return await http.fetch(Session(), url, method, settings, ssl_context, **kwargs)  # type: ignore[arg-type]


# --- hostile numbers in headers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2", 2.0), (" 7 ", 7.0), ("0", 0.0),
        ("\u00b2", None), ("\u0661\u0662", None), ("\uff11", None), ("-1", None), ("1.5", None), ("1e3", None),
        ("0x10", None), ("", None), ("Wed, 21 Oct 99999 07:28:00 GMT", None),
        ("Thu, 01 Jan 1970 00:00:00 +9999", None), ("Wed, 21 Oct 2015 25:61:99 GMT", None), ("x" * 5000, None),
        ("9" * 5000, None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
async def test_retry_after_reads_ascii_digits_or_a_date_and_nothing_else(value: str, seconds: float | None) -> None:
    assert _retry_after_seconds(value) == seconds


@pytest.mark.parametrize("value", ["\u00b2", "\u0661", "-5", "soon", "Fri, 31 Dec 9999 23:59:59 -2359"])
async def test_hostile_retry_after_is_ignored_and_the_link_retried(world, value: str) -> None:
    _, settings = world
    from urllib.parse import quote

    result = await one(f"https://provider.test/junk-retry-after?v={quote(value)}", settings)
    if value.startswith("Fri"):
        # A date far in the future is beyond the cap: stop asking, never call it broken.
        assert result.verdict is LinkVerdict.BLOCKED and result.attempts == 1, result
    else:
        assert result.verdict is LinkVerdict.OK and result.attempts == 2, result
    assert not result.unverified


async def _raw_server(response: bytes) -> asyncio.base_events.Server:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(response)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", 0)


@pytest.mark.parametrize(
    "head",
    [
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: \u00b2",
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: -3",
        "HTTP/1.1 429 Too Many\r\nRetry-After: \u00b2",
        "HTTP/1.1 503 Unavailable\r\nRetry-After: \u00b2\u00b2\u00b2",
    ],
)
async def test_junk_numeric_headers_end_in_a_verdict_not_a_checker_error(head: str) -> None:
    server = await _raw_server(head.encode("utf-8") + b"\r\nConnection: close\r\n\r\n<html>hi</html>")
    port = server.sockets[0].getsockname()[1]
    settings = LinkCheckSettings(
        connect_timeout=1, read_timeout=1, total_timeout=2, retries=1, backoff=0.05, confirm_delay=0,
        hosts={"junk.test": ["127.0.0.1"]}, hosts_only=True, port_map={80: port}, check_https=False,
        soft_404_probe=False,
    )
    try:
        result = await one("http://junk.test/page", settings)
    finally:
        server.close()
    assert not result.unverified, result
    assert "checker error" not in (result.error or "") + (result.detail or "")
    if " 429 " in head:
        assert result.verdict is LinkVerdict.BLOCKED and result.attempts == 2
    elif " 503 " in head:
        assert result.verdict is LinkVerdict.SERVER_ERROR and result.attempts == 2


# --- the delayed recheck ----------------------------------------------------------------


async def test_a_503_that_recovers_by_the_delayed_recheck_is_not_confirmed(world) -> None:
    _, settings = world
    result = await one("https://provider.test/down-then-up?n=1", replace(settings, confirm_delay=0.2))
    # The first check failed all 3 attempts; the recheck (one attempt) found the page.
    assert result.verdict is LinkVerdict.OK, result
    assert result.attempts == settings.retries + 2
    assert "recovered on a delayed recheck (first: server_error)" in (result.detail or "")


async def test_the_delayed_recheck_makes_one_attempt_and_confirms_only_a_failure(world) -> None:
    _, settings = world
    confirmed = await one("https://provider.test/error", replace(settings, confirm_delay=0.2))
    assert confirmed.verdict is LinkVerdict.SERVER_ERROR and confirmed.confirmed
    assert confirmed.attempts == settings.retries + 2  # retried first, then one more attempt
