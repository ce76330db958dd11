"""Shared test helpers (moved from test_links_stage.py)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from aiohttp import web
from localoffer_audit.config import config_from_dict


STATE: dict[str, str] = {}


async def site(request: web.Request) -> web.Response:
    path = request.path
    mode = STATE.get(path, "ok")
    if mode == "ok":
        return web.Response(text=f"<html><title>Page {path}</title><body><h1>Welcome</h1><p>Real page {path}</p></body></html>",
                            content_type="text/html")
    if mode == "404":
        return web.Response(status=404, text="not here")
    return web.Response(status=500, text="broken server")


class ThreadedServer:
    """An aiohttp server on loopback in its own thread (for sync code under test)."""

    def __init__(self, handler=None) -> None:  # noqa: ANN001 - an aiohttp handler
        self.handler = handler or site
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handler)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        tcp = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(tcp.start())
        self.port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def make_config(tmp_path: Path, port: int, **links):
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 provider.test other.test\n")
    data = {
        "directory": {"start_urls": ["https://directory.test/"]},
        "database": {"path": str(tmp_path / "audit.db")},
        "links": {
            "hosts_file": str(hosts), "hosts_file_only": True, "port_map": {"80": port},
            "connect_timeout_seconds": 1, "read_timeout_seconds": 1, "total_timeout_seconds": 2,
            "retries": 0, "backoff_seconds": 0, "confirm_delay_seconds": 0, "check_https": False,
            **links,
        },
    }
    return config_from_dict(data, source=tmp_path / "localoffer-audit.toml")


def add_services(db, links_by_service: dict[str, list[str]], state: str = "live") -> None:
    now = "2026-01-01T00:00:00+00:00"
    for service_id, urls in links_by_service.items():
        db["services"].insert({"id": service_id, "url": f"https://directory.test/{service_id}", "name": service_id,
                               "first_seen_at": now, "last_seen_at": now, "state": state}, replace=True)
        for url in urls:
            host = url.split("/")[2] if "://" in url else None
            db["links"].insert({"url": url, "host": host, "first_seen_at": now, "last_seen_at": now}, ignore=True)
            db["link_places"].insert({"service_id": service_id, "url": url, "field": "website",
                                      "element": "a", "attribute": "href"})


def link(db, url: str) -> dict:
    return next(db.query("SELECT * FROM links WHERE url = ?", [url]))
