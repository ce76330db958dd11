"""The link checker under faults of its own and of hostile input (issue 13).

Real parts only: loopback aiohttp servers, a real SQLite file, the open-file limit set
with ``resource`` in a child process. A local shortage (EMFILE, ENOMEM...) is never the
site's verdict; a working URL with a space is ok; an undecodable or endless body is not;
a killed stage keeps what it checked and a resumed one does not ask again.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from localoffer_audit.links.checker import LinkCheckSettings, check_urls
from localoffer_audit.links.stage import run_link_checks
from localoffer_audit.models import LinkVerdict

from .support.links import ThreadedServer, add_services, link, make_config

REQUESTS: list[str] = []


async def handler(request: web.Request) -> web.StreamResponse:
    REQUESTS.append(request.path)
    path = request.path
    if path == "/Annual Report 2023.pdf":
        return web.Response(body=b"%PDF-1.4 report", content_type="application/pdf")
    if path.startswith("/slow/"):
        await asyncio.sleep(0.02)
    if path.startswith("/Annual"):
        return web.Response(status=404, text="no such file")
    if path == "/not-gzip":
        return web.Response(body=b"this is not gzip at all" * 50,
                            headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
    if path == "/good-gzip":
        body = gzip.compress(b"<html><title>Fine</title><body><p>" + b"A real page. " * 40 + b"</p></body></html>")
        return web.Response(body=body, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
    if path == "/trickle-forever":
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        await response.write(b"<html><title>Slow</title><body>")
        for _ in range(600):
            await response.write(b"<p>still coming</p>" * 4)
            await asyncio.sleep(0.05)
        return response
    if path == "/to-directory":
        # An outside site sending the visitor to the directory's private address.
        raise web.HTTPFound(request.query["to"])
    return web.Response(text=f"<html><title>Page {path}</title><body><h1>Welcome</h1><p>Real page {path} "
                             f"with enough words to be a page.</p></body></html>", content_type="text/html")


@pytest.fixture
def server():
    REQUESTS.clear()
    srv = ThreadedServer(handler)
    yield srv
    srv.stop()


def settings_for_port(port: int, **changes) -> LinkCheckSettings:
    base = LinkCheckSettings(
        user_agent="localoffer-audit/test", connect_timeout=1, read_timeout=1, total_timeout=2,
        retries=0, backoff=0, confirm_delay=0, check_https=False, soft_404_probe=False,
        hosts={"provider.test": ["127.0.0.1"], "outside.test": ["127.0.0.1"]}, hosts_only=True,
        port_map={80: port},
    )
    return replace(base, **changes)


def check(urls, settings):
    return asyncio.run(check_urls(urls, settings))


# --- item 4: URLs as browsers send them ------------------------------------------------


def test_a_working_link_with_spaces_is_ok_and_keeps_its_href(server) -> None:
    href = "http://provider.test/Annual Report 2023.pdf"
    [result] = check([href], settings_for_port(server.port))
    assert result.verdict is LinkVerdict.OK, result
    assert result.url == href  # the href as written, for the fix list
    assert "/Annual%20Report%202023.pdf" in str(result.final_url)
    assert "/Annual Report 2023.pdf" in REQUESTS


def test_a_missing_file_with_spaces_is_still_broken(server) -> None:
    [result] = check(["http://provider.test/Annual Report 1999.pdf"], settings_for_port(server.port))
    assert result.verdict is LinkVerdict.BROKEN and result.status_code == 404


def test_only_an_href_a_browser_cannot_follow_is_malformed(server) -> None:
    results = check(["http://provider .test/x", "http://provider.test:99999/x", "http://[::1/x"], settings_for_port(server.port))
    for result in results:
        assert result.verdict is LinkVerdict.BROKEN and "malformed URL" in (result.error or ""), result
    assert REQUESTS == []


# --- item 10: bodies that are not what they claim ----------------------------------------


def test_a_body_that_is_not_valid_gzip_is_not_ok(server) -> None:
    [bad, good] = check(["http://provider.test/not-gzip", "http://provider.test/good-gzip"], settings_for_port(server.port))
    assert bad.verdict is LinkVerdict.SERVER_ERROR and "not valid gzip" in (bad.error or ""), bad
    assert not bad.confirmed  # a soft failure: confirmed only by a recheck or a second run
    assert good.verdict is LinkVerdict.OK, good


def test_a_page_that_trickles_forever_is_not_ok(server) -> None:
    [result] = check(["http://provider.test/trickle-forever"], settings_for_port(server.port))
    assert result.verdict is LinkVerdict.TIMEOUT, result
    assert not result.confirmed


def test_the_trusted_directory_host_only_on_its_port_and_never_via_an_outside_redirect(server) -> None:
    own = f"http://127.0.0.1:{server.port}/service/1"
    other_port = f"http://127.0.0.1:{server.port + 1 if server.port < 65535 else server.port - 1}/admin"
    settings = settings_for_port(
        server.port, trusted_hosts=frozenset({"127.0.0.1"}), trusted_ports={"127.0.0.1": frozenset({server.port})}
    )
    via_outside = f"http://outside.test/to-directory?to={own}"
    direct, elsewhere, redirected = check([own, other_port, via_outside], settings)
    assert direct.verdict is LinkVerdict.OK, direct
    assert elsewhere.verdict is LinkVerdict.INTERNAL_ADDRESS, elsewhere
    assert redirected.verdict is LinkVerdict.INTERNAL_ADDRESS, redirected
    assert REQUESTS.count("/service/1") == 1 and "/admin" not in REQUESTS


# --- items 1+2: the checker's own resource limits ----------------------------------------

CHILD = textwrap.dedent(
    """
    import asyncio, json, os, resource, sys
    from dataclasses import replace
    from localoffer_audit.links.checker import LinkCheckSettings, check_urls

    port, hosts, soft, exhaust = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "exhaust"
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    names = [f"h{i}.test" for i in range(hosts)]
    settings = LinkCheckSettings(
        user_agent="localoffer-audit/test", connect_timeout=2, read_timeout=2, total_timeout=5,
        retries=1, backoff=0, confirm_delay=0, check_https=False, soft_404_probe=False,
        hosts={n: ["127.0.0.1"] for n in names}, hosts_only=True, port_map={80: port}, concurrency=100,
    )
    urls = [f"http://{n}/page/{k}" for n in names for k in range(3)]
    peak = 0
    held = []

    async def main():
        global peak
        if exhaust:
            # Use up every free descriptor but a few: connections must fail with EMFILE.
            try:
                while True:
                    held.append(open(os.devnull))
            except OSError:
                for _ in range(3):
                    held.pop().close()
        async def watch():
            global peak
            while True:
                peak = max(peak, len(os.listdir("/proc/self/fd")))
                await asyncio.sleep(0.01)
        watcher = asyncio.ensure_future(watch())
        results = await check_urls(urls, settings)
        watcher.cancel()
        return results

    results = asyncio.run(main())
    print(json.dumps({
        "peak_fds": peak,
        "results": [[r.url, str(r.verdict), r.unverified, r.error, r.detail] for r in results],
    }))
    """
)


def run_child(tmp_path: Path, port: int, hosts: int, soft: int, mode: str) -> dict:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    done = subprocess.run(
        [sys.executable, str(script), str(port), str(hosts), str(soft), mode],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_many_hosts_under_a_low_open_file_limit_stay_within_it(tmp_path: Path, server) -> None:
    # 400 hosts, 1,200 links, 128 open files: the pool is sized from the limit, so no
    # connection ever fails for want of a descriptor.
    out = run_child(tmp_path, server.port, 400, 128, "normal")
    verdicts = {tuple(r[1:3]) for r in out["results"]}
    assert verdicts == {("ok", False)}, [r for r in out["results"] if r[1] != "ok" or r[2]][:5]
    assert out["peak_fds"] < 128
    assert len(REQUESTS) == 1200


def test_running_out_of_open_files_leaves_links_unverified_never_broken(tmp_path: Path, server) -> None:
    out = run_child(tmp_path, server.port, 30, 256, "exhaust")
    local = [r for r in out["results"] if "Too many open files" in f"{r[3]} {r[4]}" or "EMFILE" in f"{r[3]} {r[4]}"]
    assert local, "the test did not exhaust the descriptors"
    for url, verdict, unverified, error, detail in out["results"]:
        if not unverified:
            # Whatever got a verdict got it from the site, not from our shortage.
            assert verdict == "ok", (url, verdict, error, detail)
    for url, verdict, unverified, error, _detail in local:
        assert unverified, (url, verdict, error)


# --- item 2: saved as they come, a resumed run does not ask again ------------------------


KILLED_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from localoffer_audit.links.stage import run_link_checks
    from localoffer_audit.store.db import open_db
    from tests.support.links import make_config

    tmp, port = Path(sys.argv[1]), int(sys.argv[2])
    config = make_config(tmp, port, recheck_ok_after_days=0)
    run_link_checks(open_db(tmp / "audit.db"), config)
    """
)


def test_a_killed_stage_keeps_what_it_checked_and_a_resume_skips_it(db, tmp_path: Path, server) -> None:
    # recheck_ok_after_days = 0: ok results are normally checked again every run, so
    # "not asked again" below is the resume at work.
    config = make_config(tmp_path, server.port, recheck_ok_after_days=0)
    urls = [f"http://provider.test/slow/{i}" for i in range(250)]
    add_services(db, {f"s{i}": [url] for i, url in enumerate(urls)})
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD, str(tmp_path), str(server.port)],
        cwd=Path(__file__).resolve().parent.parent, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while sum(p.startswith("/slow/") for p in REQUESTS) < 170 and time.monotonic() < deadline:
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)  # as the OOM killer would
    finally:
        child.wait(10)
    asked_before = sum(p.startswith("/slow/") for p in REQUESTS)
    assert asked_before < 250, "the stage finished before it was killed"
    kept = db.execute("SELECT COUNT(*) FROM links WHERE verdict = 'ok'").fetchone()[0]
    assert kept >= 100, kept  # saved in batches as they came, not lost with the stage
    REQUESTS.clear()

    summary = run_link_checks(db, config)
    assert summary.status == "complete", summary
    asked = sum(p.startswith("/slow/") for p in REQUESTS)
    assert asked == 250 - kept, (asked, kept, asked_before)
    assert summary.counts["reused"] == kept
    assert db.execute("SELECT COUNT(*) FROM links WHERE verdict = 'ok'").fetchone()[0] == 250
    assert "resumed an interrupted run" in (summary.note or "")

    # The next run, with a finished run since, checks everything again.
    REQUESTS.clear()
    run_link_checks(db, config)
    assert sum(p.startswith("/slow/") for p in REQUESTS) == 250


# --- item 7: an overall time limit for the stage -----------------------------------------


def test_the_stage_time_limit_leaves_the_rest_unverified_and_the_stage_incomplete(db, tmp_path: Path, server) -> None:
    config = make_config(tmp_path, server.port, max_stage_minutes=1)
    urls = [f"http://provider.test/page/{i}" for i in range(20)] + ["http://provider.test/trickle-forever"]
    add_services(db, {f"s{i}": [url] for i, url in enumerate(urls)})
    from localoffer_audit.links.stage import settings_for

    settings = replace(settings_for(config), max_run_seconds=1.0, total_timeout=30, read_timeout=30, per_host=1)
    summary = run_link_checks(db, config, settings=settings)
    assert summary.status == "incomplete", summary
    assert summary.counts["time_limited"] >= 1
    assert "max_stage_minutes" in (summary.note or "")
    assert link(db, "http://provider.test/trickle-forever")["verdict"] is None  # unverified: not stored


def test_max_stage_minutes_must_be_finite_and_bounded(tmp_path: Path) -> None:
    from localoffer_audit.config import config_from_dict
    from localoffer_audit.errors import AuditError

    for bad in (float("inf"), 0, 100_000):
        with pytest.raises((AuditError, ValueError)):
            config_from_dict({"directory": {"start_urls": ["https://d.test/"]}, "links": {"max_stage_minutes": bad}},
                             source=tmp_path / "x.toml")


# --- a checker at fault on more than a handful of links: the stage is incomplete -------


@pytest.mark.parametrize(("faulty", "status"), [(5, "complete"), (6, "incomplete")])
def test_more_than_a_handful_of_checker_faults_make_the_stage_incomplete(db, tmp_path: Path, server, monkeypatch, faulty, status) -> None:
    from localoffer_audit.links import checker as links_module

    real = links_module._Checker._success_verdict

    async def buggy(self, base, url, answer, page, notes):
        if "/bug/" in url:
            raise MemoryError("injected: out of memory while classifying")
        return await real(self, base, url, answer, page, notes)

    monkeypatch.setattr(links_module._Checker, "_success_verdict", buggy)
    config = make_config(tmp_path, server.port)
    urls = [f"http://provider.test/bug/{i}" for i in range(faulty)] + [f"http://provider.test/page/{i}" for i in range(10)]
    add_services(db, {f"s{i}": [url] for i, url in enumerate(urls)})
    summary = run_link_checks(db, config)
    assert summary.status == status, summary
    assert summary.counts["checker_errors"] == faulty
    assert summary.counts["ok"] == 10
    for i in range(faulty):
        assert link(db, f"http://provider.test/bug/{i}")["verdict"] is None  # never stored as the site's
    assert db.execute("SELECT COUNT(*) FROM link_checks WHERE url LIKE '%/bug/%'").fetchone()[0] == 0
