"""Link bodies are decoded as a browser decodes them (w3lib's html_to_unicode).

Many council and provider sites still label pages ISO-8859-1 while writing them in
Windows-1252, whose curly quotes sit where ISO-8859-1 has control characters. Browsers
(the WHATWG encoding standard) read such a page as Windows-1252; a decoder that trusts the
label reads "can\\x92t" and misses the page's "Sorry, we can’t find that page".
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web

from localoffer_audit.links.checker import LinkCheckSettings, check_urls
from localoffer_audit.models import LinkVerdict

pytestmark = pytest.mark.asyncio

SORRY = (
    "<!doctype html><html><head><title>Sunnyside Family Support</title></head><body>"
    "<h1>Sorry, we can\u2019t find that page</h1>"
    "<p>The page you\u2019re looking for may have moved. Try the search box or go back to our home page.</p>"
    "</body></html>"
)
HOLIDAY_CLUB = (
    "<!doctype html><html><head><title>Holiday club \u2013 Sunnyside</title></head><body>"
    "<h1>Holiday club</h1><p>We\u2019re open every weekday in the summer holidays for children aged 5 to 11, "
    "with trips, games and a hot lunch. Book through the office.</p></body></html>"
)
PAGES = {
    # Labelled ISO-8859-1, written in Windows-1252 (the curly quote is byte 0x92).
    "/latin1-label": (SORRY.encode("cp1252"), "text/html; charset=ISO-8859-1"),
    # The label only in a <meta>: the same reading.
    "/meta-label": (SORRY.replace("<head>", '<head><meta charset="iso-8859-1">').encode("cp1252"), "text/html"),
    # Honestly labelled UTF-8.
    "/utf8": (SORRY.encode("utf-8"), "text/html; charset=utf-8"),
    # A working page with the same encoding quirk stays OK.
    "/holiday-club": (HOLIDAY_CLUB.encode("cp1252"), "text/html; charset=ISO-8859-1"),
}


async def handler(request: web.Request) -> web.Response:
    body, content_type = PAGES[request.path]
    return web.Response(body=body, headers={"Content-Type": content_type})


@pytest_asyncio.fixture
async def settings() -> AsyncIterator[LinkCheckSettings]:
    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield LinkCheckSettings(
        hosts={"sunnyside.test": ["127.0.0.1"]}, hosts_only=True, port_map={80: port},
        connect_timeout=1, read_timeout=1, total_timeout=2, retries=0, confirm_delay=0, soft_404_probe=False,
    )
    await runner.cleanup()


@pytest.mark.parametrize(
    ("path", "verdict"),
    [
        ("/latin1-label", LinkVerdict.SOFT_404),
        ("/meta-label", LinkVerdict.SOFT_404),
        ("/utf8", LinkVerdict.SOFT_404),
        ("/holiday-club", LinkVerdict.OK),
    ],
)
async def test_cp1252_quotes_in_a_latin1_page_are_read_as_quotes(settings: LinkCheckSettings, path: str, verdict) -> None:
    [result] = await check_urls([f"http://sunnyside.test{path}"], settings)
    assert result.verdict is verdict, result
