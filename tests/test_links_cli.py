"""`localoffer-audit check` from the command line: each option changes what is checked
or how hard the sites are pressed, measured on a loopback server that logs every
request and how many were in flight at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.store.db import open_db

from .support.links import ThreadedServer, add_services

# How long each answer takes: long enough that requests overlap when they may.
ANSWER_SECONDS = 0.3


class LoggingSite:
    """Answers 404 for paths starting /gone, else a real page; logs (host, path) and
    the most requests in flight at once, per host and in total."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()

    async def handle(self, request: web.Request) -> web.Response:
        host = (request.host or "").split(":")[0]
        self.requests.append((host, request.path))
        self.in_flight[host] += 1
        self.in_flight["*"] += 1
        for key in (host, "*"):
            self.peak[key] = max(self.peak[key], self.in_flight[key])
        try:
            await asyncio.sleep(ANSWER_SECONDS)
        finally:
            self.in_flight[host] -= 1
            self.in_flight["*"] -= 1
        if request.path.startswith("/gone"):
            return web.Response(status=404, text="Not found")
        return web.Response(
            text=f"<html><title>Page {request.path}</title><body><h1>Welcome</h1><p>Real page {request.path}</p></body></html>",
            content_type="text/html",
        )

    def paths(self) -> list[str]:
        return sorted(path for _, path in self.requests)


@pytest.fixture
def site() -> Iterator[tuple[LoggingSite, ThreadedServer]]:
    logging_site = LoggingSite()
    server = ThreadedServer(logging_site.handle)
    yield logging_site, server
    server.stop()


def setup(tmp_path: Path, port: int, links: dict[str, list[str]]) -> None:
    """A config in ``tmp_path`` reaching the loopback server, and a database whose live
    services carry ``links``; the CLI runs in ``tmp_path``."""
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 provider.test other.test\n")
    (tmp_path / "localoffer-audit.toml").write_text(
        "\n".join([
            "[directory]", 'start_urls = ["https://directory.test/"]',
            "[database]", f'path = "{tmp_path / "audit.db"}"',
            "[links]", f'hosts_file = "{hosts}"', "hosts_file_only = true",
            f"port_map = {{ 80 = {port} }}", "retries = 0", "confirm_delay_seconds = 0", "check_https = false",
            "soft_404_probe = false",
        ])
    )
    database = open_db(tmp_path / "audit.db")
    add_services(database, links)
    database.close()


def check(*options: str) -> str:
    result = CliRunner().invoke(main, ["check", *options])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOCALOFFER_AUDIT_CONFIG", raising=False)
    return tmp_path


def test_check_prints_a_summary(in_tmp: Path, site) -> None:
    _, server = site
    setup(in_tmp, server.port, {"s1": ["http://provider.test/ok", "http://provider.test/gone"]})
    output = check()
    assert "Link check run #1: complete" in output
    assert "2 links on live services and information and advice pages: 2 checked, 0 recent OK results reused" in output
    assert "broken" in output and "ok" in output


def test_only_failed_checks_only_the_failing_links(in_tmp: Path, site) -> None:
    log, server = site
    setup(in_tmp, server.port, {"s1": ["http://provider.test/ok", "http://provider.test/gone", "http://provider.test/also-ok"]})
    check("--max-age", "0")  # everything once
    log.requests.clear()
    output = check("--only-failed", "--max-age", "0")  # --max-age 0 would recheck the OK links too
    assert log.paths() == ["/gone"]
    assert "1 checked" in output


def test_max_age_decides_which_ok_results_are_reused(in_tmp: Path, site) -> None:
    log, server = site
    setup(in_tmp, server.port, {"s1": ["http://provider.test/ok", "http://provider.test/gone"]})
    check()
    log.requests.clear()
    output = check()  # default recheck age (7 days): the OK result is reused, the failure checked again
    assert log.paths() == ["/gone"] and "1 checked, 1 recent OK results reused" in output
    log.requests.clear()
    output = check("--max-age", "30")
    assert log.paths() == ["/gone"] and "1 recent OK results reused" in output
    log.requests.clear()
    output = check("--max-age", "0")  # nothing is recent enough: the OK link is asked again
    assert log.paths() == ["/gone", "/ok"] and "2 checked, 0 recent OK results reused" in output


@pytest.mark.parametrize("per_host", [1, 3])
def test_per_host_caps_requests_at_once_to_one_site(in_tmp: Path, site, per_host: int) -> None:
    log, server = site
    setup(in_tmp, server.port, {"s1": [f"http://provider.test/p{i}" for i in range(6)]})
    check("--per-host", str(per_host))
    assert len(log.requests) == 6
    assert log.peak["provider.test"] == per_host


@pytest.mark.parametrize(("concurrency", "peak"), [(1, 1), (4, 4)])
def test_concurrency_caps_requests_at_once_in_total(in_tmp: Path, site, concurrency: int, peak: int) -> None:
    log, server = site
    links = [f"http://provider.test/p{i}" for i in range(4)] + [f"http://other.test/q{i}" for i in range(4)]
    setup(in_tmp, server.port, {"s1": links})
    check("--concurrency", str(concurrency), "--per-host", "2")
    assert len(log.requests) == 8
    assert log.peak["*"] == peak
    assert max(log.peak["provider.test"], log.peak["other.test"]) <= min(2, concurrency)
