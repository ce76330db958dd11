"""A password inside a URL on the directory's pages never reaches the database (issue 13
item 8, the links and services tables): the crawl stores the masked form, the link
checker checks it and stores masked redirect targets too. The directory's own login comes
only from the environment (tests/test_secrets.py checks that side)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.links.stage import run_link_checks
from localoffer_audit.models import RunStatus
from localoffer_audit.store.db import open_db

from .support.crawl_sites import FakeSite, crawl_config, fsd_start, serve

SECRET = "Tr0ub4dor-pw"


@dataclass
class LeakySite(FakeSite):
    """Record pages that link to a members' area with its login written into the URL, and
    a link that redirects to such a URL."""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/members":
            return web.Response(text="<html><body><h1>Members</h1><p>Welcome to the members' area.</p></body></html>",
                                content_type="text/html")
        if request.path == "/moved":
            raise web.HTTPFound(f"http://jo:{SECRET}@{request.host.replace('127.0.0.1', 'localhost')}/members")
        return await super().handle(request)

    def service_html(self, n: int, host: str) -> str:
        # Another name for the loopback host: an outside site to the crawl, not the directory.
        outside = host.replace("127.0.0.1", "localhost")
        extra = (f'<p><a href="http://jo:{SECRET}@{outside}/members">Members</a> '
                 f'<a href="http://{outside}/moved">Old members page</a></p>')
        html = super().service_html(n, host).replace("</main>", extra + "</main>")
        if n == 2:  # the website field itself carries the login
            html = html.replace(f'href="https://provider{n}.example.org/"', f'href="https://jo:{SECRET}@provider{n}.example.org/"')
        return html


def test_credentials_in_page_links_are_stored_masked(tmp_path: Path) -> None:
    site = LeakySite(services=3)
    db_path = tmp_path / "a.db"
    with serve(site) as base:
        data = crawl_config(fsd_start(base))
        # Only the loopback links are checked (there is no internet here).
        data["links"] = {"allow_private_addresses": True, "exclude": ["https://", "mailto:", "tel:"],
                         "retries": 0, "confirm_delay_seconds": 0}
        config = config_from_dict(data)
        assert run_crawl(config, db_path).status == RunStatus.COMPLETE
        db = open_db(db_path)
        try:
            run_link_checks(db, config)
        finally:
            db.close()
    host = base.split("://", 1)[1].replace("127.0.0.1", "localhost")
    raw = sqlite3.connect(db_path)
    try:
        dump = "\n".join(raw.iterdump())
        links = dict(raw.execute("SELECT url, verdict FROM links").fetchall())
        finals = {url: final for url, final in raw.execute("SELECT url, final_url FROM links").fetchall()}
        website = raw.execute("SELECT website FROM services WHERE website LIKE '%provider2%'").fetchone()[0]
        places = {row[0] for row in raw.execute("SELECT url FROM link_places")}
    finally:
        raw.close()
    assert SECRET not in dump and "jo:" not in dump
    masked = f"http://***@{host}/members"
    assert masked in links and masked in places
    # Checked: the members' page answers; a login the checker lacks is never "broken".
    assert links[masked] in ("ok", "blocked")
    assert finals[f"http://{host}/moved"] == masked
    assert website == "https://***@provider2.example.org/"
