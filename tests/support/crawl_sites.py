"""A small FSD-shaped site and ORUK API on loopback for the crawl tests (no tests here).

Served by aiohttp in a background thread so the crawl's child process can reach it.
Knobs make it misbehave the ways real directories do: 500s, 404s, empty and truncated
pages, listings cut short.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from html import escape
from typing import Any

from aiohttp import web

BASE_PATH = "/kb5/testshire/directory/"
PAGE_SIZE = 10
OFFSITE_RECORD = "https://partner.example.org/kb5/partner/directory/service.page?id=offsite0001"


def record_id(n: int) -> str:
    # 11 URL-safe characters, like real FSD ids.
    return f"rec{n:05d}-_Ab"


@dataclass
class FakeSite:
    services: int = 25
    # Offsets (sr) at or beyond which listing pages answer 500.
    listing_500_from: int | None = None
    # Offsets whose listing page answers 500 (one page only).
    listing_500_at: set[int] = field(default_factory=set)
    missing: set[int] = field(default_factory=set)
    # Service pages answering 410 Gone.
    gone: set[int] = field(default_factory=set)
    empty: set[int] = field(default_factory=set)
    truncated: set[int] = field(default_factory=set)
    server_error: set[int] = field(default_factory=set)
    # Pages of this many bytes (padding in an HTML comment).
    huge: set[int] = field(default_factory=set)
    # Service URLs answering with a PDF instead of a page.
    binary: set[int] = field(default_factory=set)
    # Pages sent in windows-1252, declared only in the Content-Type header.
    cp1252: set[int] = field(default_factory=set)
    robots: str = "User-agent: *\nDisallow: /private/\n"
    oruk_missing: set[int] = field(default_factory=set)
    # The last results page links to one more page, which lists nothing.
    empty_extra_page: bool = False
    # An API that ignores ?page= and always claims more pages (a paging bug seen in feeds).
    oruk_ignores_page: bool = False
    # Totals that count only the current page: every page says it is the last one.
    oruk_totals_per_page: bool = False
    # A page number of JSON Infinity (int() of it raises OverflowError, not ValueError).
    oruk_infinite_page_number: bool = False
    # The results page at this offset has a "Next" link back to the first page (sr=0).
    next_back_at: int | None = None
    # Numbered page links (FSD prints them); off, "Next" is the only way on.
    numbered_pages: bool = True
    # The first results page also lists a record on another site (a partner directory).
    offsite_record: bool = False
    # Service pages answering 503 to their first request (a passing overload).
    flaky: set[int] = field(default_factory=set)
    # Seconds each service page takes to answer; the most answered at once is kept.
    service_delay: float = 0.0
    peak_in_flight: int = 0
    # (arrived, answered) on the server's monotonic clock, for every service page asked.
    service_times: list[tuple[float, float]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    user_agents: set[str] = field(default_factory=set)
    _in_flight: int = 0

    # --- FSD ---
    def service_html(self, n: int, host: str) -> str:
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Service {n} | Testshire Directory</title></head>
<body><header><h1>Testshire Directory</h1><nav><a href="https://www.testshire.gov.uk/">Council</a>
<a href="{BASE_PATH}service.page?id={record_id(0)}">Featured</a></nav></header>
<main><a href="{BASE_PATH}results.page?localofferchannel=0">Back to results</a>
<div id="hit-header"><h1>Service {n}</h1></div>
<div class="service-description"><p>Support group number {n} for families. <a href="https://provider{n}.example.org/about">About us</a></p></div>
<section class="field_section"><h2>Who to contact</h2><dl>
<dt>Contact Name</dt><dd>Person {n}</dd><dt>Telephone</dt><dd>01632 96{n:04d}</dd>
<dt>E-mail</dt><dd><a href="mailto:info{n}@provider{n}.example.org">info{n}@provider{n}.example.org</a></dd>
<dt>Website</dt><dd><a href="https://provider{n}.example.org/">provider{n}.example.org</a></dd></dl></section>
<section class="field_section"><h2>Other details</h2><dl><dt>Age range</dt><dd>0 to 25</dd>
<dt>Last updated:</dt><dd>{(n % 28) + 1:02d}/03/2022</dd></dl></section>
</main><footer><a href="https://www.testshire.gov.uk/privacy">Privacy</a></footer></body></html>"""

    def results_html(self, offset: int, channel: str) -> str:
        hits = "".join(
            f'<div class="result"><a class="flex-grow-1" href="service.page?id={record_id(n)}&amp;{channel}">{escape(f"Service {n}")}</a></div>'
            for n in range(offset + 1, min(offset + PAGE_SIZE, self.services) + 1)
        )
        if self.offsite_record and offset == 0:
            hits += f'<div class="result"><a class="flex-grow-1" href="{OFFSITE_RECORD}">Partner service</a></div>'
        pages = "".join(
            f'<li><a href="results.page?{channel}&amp;sr={o}">{o // PAGE_SIZE + 1}</a></li>'
            for o in range(0, self.services, PAGE_SIZE)
            if o != offset and abs(o - offset) <= 3 * PAGE_SIZE and self.numbered_pages
        )
        next_offset = 0 if offset == self.next_back_at else offset + PAGE_SIZE
        next_link = (
            f'<a rel="next" href="results.page?{channel}&amp;sr={next_offset}">Next</a>'
            if offset + PAGE_SIZE < self.services or (self.empty_extra_page and offset < self.services)
            or offset == self.next_back_at
            else ""
        )
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Results</title></head><body>
<header><nav><a href="home.page">Home</a></nav></header><main><h1>Local Offer</h1>{hits}
<p><a href="advice.page?id=Advice00001">What is the Local Offer?</a></p>
<ul class="pagination">{pages}</ul>{next_link}</main></body></html>"""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(str(request.rel_url))
        self.user_agents.add(request.headers.get("User-Agent", ""))
        path = request.path
        if path == "/robots.txt":
            return web.Response(text=self.robots)
        if path == BASE_PATH + "results.page":
            offset = int(request.query.get("sr", "0"))
            if offset in self.listing_500_at or (self.listing_500_from is not None and offset >= self.listing_500_from):
                return web.Response(status=500, text="Internal Server Error")
            channel = "localofferchannel=0"
            return web.Response(text=self.results_html(offset, channel), content_type="text/html")
        if path == BASE_PATH + "service.page":
            arrived = time.monotonic()
            try:
                return await self.service_page(request)
            finally:
                self.service_times.append((arrived, time.monotonic()))
        if path.startswith("/api/v1/") or path.startswith("/api/v3/"):
            return self.oruk(request, "v3" if path.startswith("/api/v3/") else "v1")
        return web.Response(status=404, text="Not found")

    async def service_page(self, request: web.Request) -> web.StreamResponse:
        rid = request.query.get("id", "")
        n = int(rid[3:8]) if rid.startswith("rec") else -1
        if not 1 <= n <= self.services or n in self.missing:
            return web.Response(status=404, text="Not found")
        if n in self.gone:
            return web.Response(status=410, text="Gone")
        if n in self.server_error:
            return web.Response(status=500, text="oops")
        if n in self.flaky and self.requests.count(str(request.rel_url)) == 1:
            return web.Response(status=503, text="Service Unavailable")
        if self.service_delay:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
            try:
                await asyncio.sleep(self.service_delay)
            finally:
                self._in_flight -= 1
        if n in self.binary:
            return web.Response(body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", content_type="application/pdf")
        if n in self.empty:
            return web.Response(text="", content_type="text/html")
        html = self.service_html(n, request.host)
        if n in self.huge:
            html = html.replace("</main>", "<!--" + "x" * 2_000_000 + "--></main>")
        if n in self.cp1252:
            html = html.replace(f"Service {n}</h1>", f"Service {n} – St Mary’s £</h1>").replace('<meta charset="utf-8">', "")
            return web.Response(body=html.encode("cp1252"), headers={"Content-Type": "text/html; charset=windows-1252"})
        if n in self.truncated:
            html = html[: html.index("<section")] + "<section class='field_section'><dl><dt>Tele"
        return web.Response(text=html, content_type="text/html")

    # --- ORUK ---
    def oruk(self, request: web.Request, version: str) -> web.Response:
        rest = request.path.split(f"/api/{version}", 1)[1]
        if rest == "/services":
            page = 1 if self.oruk_ignores_page else int(request.query.get("page", "1"))
            per_page = int(request.query.get("per_page", "50"))
            numbers = list(range((page - 1) * per_page + 1, min(page * per_page, self.services) + 1))
            content = [{"id": f"svc-{n}", "name": f"Service {n}"} for n in numbers]
            total_pages = max(1, -(-self.services // per_page))
            if self.oruk_ignores_page:
                total_pages = 99
            if self.oruk_totals_per_page:
                total_pages, page = 1, page if content else page
            if version == "v1":
                last = True if self.oruk_totals_per_page else page >= total_pages
                total = len(content) if self.oruk_totals_per_page else self.services
                body = {"totalElements": total, "totalPages": total_pages, "number": page, "size": per_page,
                        "first": page == 1, "last": last, "content": content}
            else:
                body = {"total_items": self.services, "total_pages": total_pages, "page_number": page, "size": per_page,
                        "first_page": page == 1, "last_page": page >= total_pages, "empty": not content, "contents": content}
            if self.oruk_infinite_page_number:
                body["page_number" if version == "v3" else "number"] = float("inf")
            return web.json_response(body)
        if rest.startswith("/services/svc-"):
            n = int(rest.rsplit("-", 1)[1])
            if n in self.oruk_missing or not 1 <= n <= self.services:
                return web.json_response({"error": "not found"}, status=404)
            return web.json_response(self.oruk_service(n, version))
        return web.json_response({"version": "HSDS-UK-3.0"} if version == "v3" else {}, status=200)

    def oruk_service(self, n: int, version: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": f"svc-{n}",
            "name": f"Service {n}",
            "description": f"<p>Group {n}. See <a href='https://provider{n}.example.org/more'>more</a>.</p>",
            "url": f"https://provider{n}.example.org/",
            "email": f"info{n}@provider{n}.example.org",
            "status": "active",
            "organization": {"id": f"org-{n}", "name": f"Provider {n}", "url": f"https://org{n}.example.org/"},
            "contacts": [{"id": "c1", "name": f"Person {n}", "title": "Lead", "phones": [{"id": "p1", "number": "01632 960000"}]}],
            "service_at_locations": [{"location": {"name": "Hall", ("physical_addresses" if version == "v1" else "addresses"): [
                {"address_1": "1 High Street", "city": "Testford", "postal_code": "TF1 2AB", "country": "GB"}]}}],
            "assured_date": "2023-04-01",
        }
        if version == "v1":
            data["eligibilitys"] = [{"minimum_age": 0, "maximum_age": 25}]
            data["service_taxonomys"] = [{"taxonomy": {"id": "t1", "name": "Play", "vocabulary": "x"}}]
        else:
            data["last_modified"] = "2024-01-02T10:11:12"
            data["attributes"] = [{"taxonomy_term": {"id": "t1", "name": "Play"}}]
        return data


@contextmanager
def serve(site: FakeSite) -> Iterator[str]:
    """Run the site on 127.0.0.1 in a thread; yields its base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", site.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        tcp = web.TCPSite(runner, "127.0.0.1", 0)
        await tcp.start()
        holder["runner"] = runner
        holder["port"] = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield f"http://127.0.0.1:{holder['port']}"
    finally:
        asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def crawl_config(start_url: str, platform: str = "fsd", **crawl: Any) -> dict[str, Any]:
    settings = {
        "allow_private_addresses": True,
        "download_delay_seconds": 0,
        "autothrottle": False,
        "concurrent_requests_per_domain": 8,
        "retries": 0,
        "timeout_seconds": 10,
        "contact_url": "https://www.testshire.gov.uk/localoffer-contact",
        "user_agent": "localoffer-audit (Testshire Council Local Offer checker)",
    }
    settings.update(crawl)
    # The directory's advice pages are read by default; these sites' advice links are not
    # what most crawl tests are about (FakeSite does not even serve them), so they are off
    # here, and the tests of advice pages switch them on (or drop the key for the default).
    directory = {"platform": platform, "start_urls": [start_url], "read_advice_pages": False}
    return {"directory": directory, "crawl": settings}


def fsd_start(base: str) -> str:
    return f"{base}{BASE_PATH}results.page?localofferchannel=0"


def stored_services(db_path: Path) -> dict[str, Any]:
    """Directory id -> the live ServiceItem a crawl stored in the database at ``db_path``."""
    from localoffer_audit.store.db import open_db
    from localoffer_audit.store.services import live_services

    db = open_db(db_path)
    try:
        return {s.directory_id: s for s in live_services(db)}
    finally:
        db.close()


def dump(value: Any) -> str:
    return json.dumps(value, default=str)
