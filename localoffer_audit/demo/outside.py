"""The simulated outside web: every provider site, one aiohttp app, dispatch on Host.

The same app listens on an http and an https port (and on a second loopback address
for the self-signed host). What a URL does comes from the world's state for the night:
host-level behaviours first (parked, bot protection, HEAD quirks, hostile hosts...),
then the URL's own behaviour (404, 410, 500, transient 503/429, redirects...). Unknown
paths on a working host answer an ordinary 404. Everything is bounded on this side too.
"""

from __future__ import annotations

import asyncio
import random
import threading
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from aiohttp import web

from localoffer_audit.demo import vocab
from localoffer_audit.demo.behaviours import HOST_BEHAVIOURS
from localoffer_audit.demo.fsd import CHROME_PATHS
from localoffer_audit.demo.repurposed import planted_page
from localoffer_audit.demo.world import DayState, HostSpec, Org, Plant, stable_random

ENDLESS_LIMIT_BYTES = 50 * 1024 * 1024
TRICKLE_LIMIT_SECONDS = 120
BOMB_INFLATED_BYTES = 256 * 1024 * 1024
PRIVATE_TARGETS = {"www.moorside-intranet-portal.org.uk": "http://169.254.169.254/latest/meta-data/"}
PRIVATE_DEFAULT = "http://10.0.0.1/admin/login"
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """About 250 KB of gzip that inflates to 256 MB of zeros (built once, on first use)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(BOMB_INFLATED_BYTES // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


class OutsideWorld(Protocol):
    """What the outside web reads of a world: one DemoWorld, or several sharing one web
    (demo/region.py)."""

    hosts: dict[str, HostSpec]

    @property
    def state(self) -> DayState: ...

    @property
    def day(self) -> int: ...

    def org_by_host(self, host: str) -> Org | None: ...

    def plant_on(self, host: str, day: int) -> Plant | None: ...


@dataclass
class RequestLog:
    """Every request the outside web answered, counted as it arrived, and the most
    requests ever in flight at once per site. A site is scheme and host
    (``https://www.example.org.uk``): the unit a link checker's per-host limit counts
    (its http and https ports are two). Read it from any thread."""

    requests: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (site, path?query, User-Agent)
    in_flight: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def arrived(self, site: str, path: str, agent: str) -> None:
        with self.lock:
            self.requests[(site, path, agent)] += 1
            self.in_flight[site] += 1
            self.peak[site] = max(self.peak[site], self.in_flight[site])

    def left(self, site: str) -> None:
        with self.lock:
            self.in_flight[site] -= 1

    def reset(self) -> None:
        """Forget what was counted (requests still in flight stay counted as in flight)."""
        with self.lock:
            self.requests.clear()
            self.peak.clear()

    def snapshot(self) -> tuple[Counter[tuple[str, str, str]], Counter[str]]:
        """A copy of (requests, peak per site)."""
        with self.lock:
            return Counter(self.requests), Counter(self.peak)


def _page(title: str, body: str, host: str) -> str:
    return (
        f"<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>{title}</title></head>"
        f"<body><header><a href=\"/\">{host}</a> <nav><a href=\"/about-us\">About us</a> <a href=\"/contact\">Contact</a></nav></header>"
        f"<main><h1>{title}</h1>{body}</main><footer><p>Registered charity or company details. <a href=\"/privacy\">Privacy</a></p></footer></body></html>"
    )


def real_page(host: str, path: str, org: str | None = None) -> str:
    """A provider's ordinary page; like a real provider's site it names the provider
    (title and footer) when the world knows whose site it is."""
    rng = stable_random("page", host, path)
    paragraphs = "".join(
        f"<p>{s}</p>" for s in rng.sample([
            "We support children, young people and families across Northmoor.",
            "Our sessions are friendly, inclusive and run by experienced staff.",
            "Get in touch to find out more or to book a place.",
            "We are proud to be part of the local community and work with schools, health services and the council.",
            "Please read our safeguarding policy and privacy notice.",
            "News: we have updated our timetable for this term.",
        ], 3)
    )
    title = path.strip("/").split("/")[-1].replace("-", " ").capitalize() or "Welcome"
    if org:
        return _page(f"{title} | {org}", paragraphs, host).replace(
            "<p>Registered charity or company details.", f"<p>&copy; {org}. Registered charity or company details.", 1)
    return _page(title, paragraphs, host)


def not_found_page(host: str) -> str:
    rng = stable_random("404", host)
    title, text = rng.choice(vocab.NOT_FOUND_PAGES)
    return _page(title.format(name=host), f"<p>{text}</p><p><a href=\"/\">Go to the home page</a></p>", host)


def parked_page(host: str) -> str:
    rng = stable_random("parked", host)
    title, text = rng.choice(vocab.PARKED_PAGES)
    return (
        f"<!DOCTYPE html><html><head><title>{title.format(host=host)}</title></head><body>"
        f"<div class=\"parking\"><h1>{host}</h1><p>{text.format(host=host)}</p>"
        "<ul class=\"related\"><li><a href=\"/search?q=childcare\">Childcare</a></li><li><a href=\"/search?q=nursery\">Nursery</a></li></ul></div></body></html>"
    )


CHALLENGE = (
    "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title></head><body>"
    "<div id=\"challenge-body\"><h1>Checking if the site connection is secure</h1>"
    "<p>{host} needs to review the security of your connection before proceeding.</p>"
    "<noscript>Enable JavaScript and cookies to continue</noscript></div></body></html>"
)


def make_outside_app(world: OutsideWorld, log: RequestLog | None = None) -> web.Application:
    """The outside web's app; ``log`` (if given) counts every request it answers."""
    app = web.Application()
    rng = random.Random()

    async def handle(request: web.Request) -> web.StreamResponse:
        host = (request.host or "").split(":")[0].lower().rstrip(".")
        path = request.rel_url.raw_path_qs if hasattr(request.rel_url, "raw_path_qs") else str(request.rel_url)
        if log is None:
            return await answer(request, host, path)
        site = f"{'https' if request.secure else 'http'}://{host}"
        log.arrived(site, path, request.headers.get("User-Agent", ""))
        try:
            return await answer(request, host, path)
        finally:
            log.left(site)

    async def answer(request: web.Request, host: str, path: str) -> web.StreamResponse:
        spec = world.hosts.get(host)
        if spec is None:
            return web.Response(status=421, text=f"Misdirected request: no site called {host}\n")
        low, high = spec.latency_ms
        await asyncio.sleep(rng.uniform(low, high) / 1000)
        return await respond(request, spec, path)

    async def respond(request: web.Request, spec: HostSpec, path: str) -> web.StreamResponse:
        host = spec.name
        behaviour = spec.behaviour
        html_type = "text/html"
        head = request.method == "HEAD"
        if behaviour == "no_answer":
            await asyncio.sleep(600)
            raise web.HTTPServiceUnavailable()
        if behaviour == "bot_403":
            return web.Response(status=403, text=CHALLENGE.format(host=host), content_type=html_type,
                                headers={"Server": "cloudflare", "cf-mitigated": "challenge", "CF-RAY": "8c1f2e3d4b5a6978-LHR"})
        if behaviour in {"parked", "parked_lander"}:
            if behaviour == "parked_lander" and not path.startswith("/lander"):
                raise web.HTTPFound("/lander")
            return web.Response(text=parked_page(host), content_type=html_type)
        if behaviour == "moved_offsite":
            raise web.HTTPMovedPermanently(f"https://{spec.moved_to}/")
        if behaviour == "insecure_redirect" and not request.secure:
            raise web.HTTPMovedPermanently(f"https://{host}{path}")
        if behaviour == "private_redirect":
            raise web.HTTPFound(PRIVATE_TARGETS.get(host, PRIVATE_DEFAULT))
        if behaviour == "trickle":
            if head:
                await asyncio.sleep(600)
            return await trickle(request)
        if behaviour == "endless_body":
            return await endless(request)
        if behaviour == "gzip_bomb":
            body = await asyncio.get_running_loop().run_in_executor(None, gzip_bomb)
            response = web.Response(body=b"" if head else body, content_type=html_type, headers={"Content-Encoding": "gzip"})
            return response
        if head and behaviour == "head_405":
            return web.Response(status=405, headers={"Allow": "GET, POST"})
        if head and behaviour == "head_404":
            return web.Response(status=404)
        if behaviour == "slow":
            pass  # the host's latency range already holds the delay
        return await url_behaviour(request, spec, path)

    def ordinary_page(host: str, path: str) -> str:
        org = world.org_by_host(host)
        plant = world.plant_on(host, world.day)
        if plant is not None:
            return planted_page(plant.kind, host, plant.org)
        return real_page(host, path, org.name if org else None)

    async def url_behaviour(request: web.Request, spec: HostSpec, path: str) -> web.StreamResponse:
        host = spec.name
        state = world.state
        behaviour = state.paths.get((host, path))
        if behaviour is None:
            if path == "/" or (host == vocab.COUNCIL_HOST and path in CHROME_PATHS) or path.startswith("/lander"):
                behaviour = "ok"
            elif path.startswith("/moved/") or path.startswith("/new/"):
                behaviour = "ok"
            elif path.startswith("/r1/"):
                raise web.HTTPMovedPermanently("/moved/" + path[4:])
            elif path.startswith("/loop-b/"):
                raise web.HTTPMovedPermanently("/" + path[len("/loop-b/"):])
            else:
                behaviour = "missing"
        if behaviour in HOST_BEHAVIOURS:
            behaviour = "ok"  # the host's own behaviour was applied before this point
        if behaviour in {"ok", "document"}:
            if path.lower().endswith(".pdf") or behaviour == "document":
                return web.Response(body=PDF_BYTES, content_type="application/pdf")
            return web.Response(text=ordinary_page(host, path), content_type="text/html")
        if behaviour in {"not_found", "missing"}:
            return web.Response(status=404, text=not_found_page(host), content_type="text/html")
        if behaviour == "gone":
            return web.Response(status=410, text=_page("Gone", "<p>This page has been removed.</p>", host), content_type="text/html")
        if behaviour == "server_error":
            return web.Response(status=500, text="<h1>Internal Server Error</h1><p>An error occurred while processing your request.</p>", content_type="text/html")
        if behaviour in {"transient_503", "rate_limited_429"}:
            # Counted per URL for the night, whoever asks, when the answer is made: a
            # request its client gave up on during the host's latency was cancelled
            # (handler_cancellation) and never counts, so the next request gets the 503,
            # as on a real site. Not a time window: load cannot stretch it.
            key = f"{host}{path}"
            hits = state.transient_hits.get(key, 0)
            state.transient_hits[key] = hits + 1
            if hits == 0:
                status = 503 if behaviour == "transient_503" else 429
                return web.Response(status=status, headers={"Retry-After": "1"}, text="Service temporarily unavailable, please try again shortly.\n")
            return web.Response(text=ordinary_page(host, path), content_type="text/html")
        if behaviour == "soft_404_page":
            return web.Response(text=not_found_page(host), content_type="text/html")
        if behaviour == "home_redirect":
            cls = web.HTTPMovedPermanently if len(path) % 2 else web.HTTPFound
            raise cls("/")
        if behaviour == "redirect_chain":
            raise web.HTTPMovedPermanently("/r1" + path.split("?")[0])
        if behaviour == "temporary_redirect":
            raise web.HTTPFound("/new" + path.split("?")[0])
        if behaviour == "redirect_loop":
            raise web.HTTPMovedPermanently("/loop-b" + path)
        return web.Response(status=404, text=not_found_page(host), content_type="text/html")

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        text = _page("What's on", "<p>" + "Events coming soon. " * 50 + "</p>", "trickle").encode()
        for i in range(min(len(text), TRICKLE_LIMIT_SECONDS)):
            if request.transport is None or request.transport.is_closing():
                break  # the checker gave up: writing on would only fill the log with send errors
            await response.write(text[i:i + 1])
            await asyncio.sleep(1)
        return response

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "audio/mpeg" if request.path.endswith("live") else "text/html"})
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        chunk = bytes(64 * 1024)
        sent = 0
        while sent < ENDLESS_LIMIT_BYTES:
            await response.write(chunk)
            sent += len(chunk)
        return response

    app.router.add_route("*", "/{tail:.*}", handle)
    return app
