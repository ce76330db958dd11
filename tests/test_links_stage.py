"""The link-check stage over a real database: selection, history, confirmation, guards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from localoffer_audit.links.stage import run_link_checks, settings_for
from localoffer_audit.cli import main
from localoffer_audit.store.links import latest_checks
from .support.links import STATE, ThreadedServer, add_services, link, make_config







@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    STATE.clear()
    srv = ThreadedServer()
    yield srv
    srv.stop()








def test_stage_stores_history_and_link_state(db, tmp_path: Path, server: ThreadedServer) -> None:
    config = make_config(tmp_path, server.port)
    STATE["/gone"] = "404"
    STATE["/down"] = "500"
    add_services(db, {
        "s1": ["http://provider.test/ok", "http://provider.test/gone", "mailto:x@@y"],
        "s2": ["http://provider.test/ok", "http://provider.test/down"],
    })
    add_services(db, {"old": ["http://provider.test/removed-only"]}, state="removed")
    summary = run_link_checks(db, config)
    assert summary.status == "complete"
    assert summary.counts["checked"] == 4 and summary.counts["total"] == 4
    assert summary.counts["ok"] == 1 and summary.counts["broken"] == 1 and summary.counts["server_error"] == 1
    ok, gone, down = (link(db, u) for u in ("http://provider.test/ok", "http://provider.test/gone", "http://provider.test/down"))
    assert ok["service_count"] == 2 and ok["verdict"] == "ok" and ok["last_ok_at"]
    assert gone["verdict"] == "broken" and gone["confirmed"] == 1 and gone["first_failed_at"]
    assert down["verdict"] == "server_error" and down["confirmed"] == 0 and down["consecutive_failures"] == 1
    assert link(db, "mailto:x@@y")["verdict"] == "invalid_email"
    assert link(db, "http://provider.test/removed-only")["verdict"] is None  # not a live service's link
    history = latest_checks(db, summary.run_id)
    assert {row["url"] for row in history} == {"http://provider.test/ok", "http://provider.test/gone",
                                               "http://provider.test/down", "mailto:x@@y"}
    assert gone["last_check_id"] in {row["id"] for row in history}

    # Second run: OK results reused, failures checked again; the 500 twice in a row is confirmed.
    second = run_link_checks(db, config)
    assert second.counts["reused"] == 1 and second.counts["checked"] == 3
    down = link(db, "http://provider.test/down")
    assert down["confirmed"] == 1 and down["consecutive_failures"] == 2
    assert down["first_failed_at"] == link(db, "http://provider.test/down")["first_failed_at"]

    # The server recovers: the link is OK again and its failure history is cleared.
    STATE["/down"] = "ok"
    third = run_link_checks(db, config, only_failed=True)
    assert third.counts["checked"] == 3  # the broken, the 500 and the bad email
    down = link(db, "http://provider.test/down")
    assert down["verdict"] == "ok" and down["consecutive_failures"] == 0 and down["first_failed_at"] is None
    assert down["verdict_changed_at"] is not None
    assert len(list(db.query("SELECT * FROM link_checks WHERE url = ?", ["http://provider.test/down"]))) == 3


def test_max_age_zero_rechecks_everything(db, tmp_path: Path, server: ThreadedServer) -> None:
    config = make_config(tmp_path, server.port)
    add_services(db, {"s1": ["http://provider.test/a", "http://provider.test/b"]})
    run_link_checks(db, config)
    assert run_link_checks(db, config).counts["reused"] == 2
    assert run_link_checks(db, config, max_age_days=0).counts["checked"] == 2


def test_failure_spike_keeps_new_failures_unconfirmed(db, tmp_path: Path, server: ThreadedServer) -> None:
    config = make_config(tmp_path, server.port, recheck_ok_after_days=0)
    urls = [f"http://provider.test/p{i}" for i in range(30)]
    add_services(db, {f"s{i}": [url] for i, url in enumerate(urls)})
    first = run_link_checks(db, config)
    assert first.status == "complete" and first.counts["failure_share"] == 0
    for i in range(15):
        STATE[f"/p{i}"] = "404"
    spiked = run_link_checks(db, config)
    assert spiked.status == "incomplete" and "unconfirmed" in (spiked.note or "")
    assert link(db, urls[0])["verdict"] == "broken" and link(db, urls[0])["confirmed"] == 0
    # Still failing a run later: not a jump any more, and failing twice confirms them.
    again = run_link_checks(db, config)
    assert again.status == "complete"
    assert link(db, urls[0])["confirmed"] == 1


def test_settings_from_config_read_the_hosts_file(tmp_path: Path) -> None:
    config = make_config(tmp_path, 8080)
    settings = settings_for(config)
    assert settings.hosts["provider.test"] == ["127.0.0.1"] and settings.port_map == {80: 8080}
    assert "link" not in settings.user_agent.lower()
    assert datetime.now(UTC) - timedelta(seconds=1) < datetime.now(UTC)


def test_only_failed_run_is_not_mistaken_for_a_spike(db, tmp_path: Path, server: ThreadedServer) -> None:
    config = make_config(tmp_path, server.port)
    urls = [f"http://provider.test/q{i}" for i in range(30)]
    add_services(db, {f"s{i}": [url] for i, url in enumerate(urls)})
    for i in range(3):
        STATE[f"/q{i}"] = "404"
    assert run_link_checks(db, config).status == "complete"
    rerun = run_link_checks(db, config, only_failed=True)
    assert rerun.counts["checked"] == 3
    assert rerun.status == "complete" and rerun.counts["failure_share"] == 0.1


def test_directory_host_is_trusted_only_when_the_crawl_may_fetch_private_addresses(tmp_path: Path) -> None:
    config = make_config(tmp_path, 8080)
    config.directory.start_urls = ["http://127.0.0.1:9999/kb5/x/directory/results.page"]
    assert settings_for(config).trusted_hosts == frozenset()
    config.crawl.allow_private_addresses = True
    assert settings_for(config).trusted_hosts == frozenset({"127.0.0.1"})


def test_live_progress_line_shows_counts_and_rate() -> None:
    import io

    from localoffer_audit.commands.check import LiveProgress
    from localoffer_audit.models import LinkResult, LinkVerdict

    stream = io.StringIO()
    progress = LiveProgress(stream, every_seconds=0)
    progress(1, 3, LinkResult("https://a.test/", LinkVerdict.OK))
    progress(2, 3, LinkResult("https://a.test/x", LinkVerdict.BROKEN))
    progress(3, 3, LinkResult("https://a.test/y", LinkVerdict.OK))
    last = stream.getvalue().split("\r")[-1]
    assert "checked 3/3" in last and "links/s" in last and "ok 2" in last and "broken 1" in last
    assert stream.getvalue().endswith("\n")


def test_check_waits_for_no_one_when_another_run_holds_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from localoffer_audit.store.lock import run_lock

    monkeypatch.chdir(tmp_path)
    (tmp_path / "localoffer-audit.toml").write_text(
        f'[directory]\nstart_urls = ["https://directory.test/"]\n[database]\npath = "{tmp_path / "audit.db"}"\n'
    )
    with run_lock(tmp_path / "audit.db"):
        result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 4 and "in use" in result.output


def test_a_checker_error_is_never_stored_or_confirmed_over_two_nights(
    db, tmp_path: Path, server: ThreadedServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in the checker (here: an exception injected for one URL) leaves the link
    unverified on every night: never a failure verdict, never confirmed, always logged."""
    import logging

    from localoffer_audit.links import checker as links_module

    real = links_module._Checker._check
    bugged = {"http://provider.test/bug", "http://provider.test/was-down"}

    async def buggy(self, url):
        if url in bugged:
            raise AttributeError("injected checker bug")
        return await real(self, url)

    config = make_config(tmp_path, server.port)
    STATE["/was-down"] = "500"
    add_services(db, {"s1": ["http://provider.test/bug", "http://provider.test/ok", "http://provider.test/was-down"]})
    run_link_checks(db, config)  # night 0, no bug: /bug is ok, /was-down a real 500 (unconfirmed)
    assert link(db, "http://provider.test/was-down")["verdict"] == "server_error"
    assert link(db, "http://provider.test/was-down")["confirmed"] == 0
    bugged.add("http://provider.test/was-down")
    monkeypatch.setattr(links_module._Checker, "_check", buggy)
    for _night in range(2):
        with caplog.at_level(logging.WARNING):
            summary = run_link_checks(db, config, max_age_days=0)
        assert summary.status == "complete"
        assert summary.counts["checker_errors"] == 2 and summary.counts["unverified"] == 2
        assert "checker itself failed" in (summary.note or "")
        assert "paused" not in (summary.note or "")
        assert any("injected checker bug" in record.getMessage() for record in caplog.records)
        bug = link(db, "http://provider.test/bug")
        assert bug["verdict"] == "ok" and bug["consecutive_failures"] == 0  # keeps its last real state
        # A link whose last real check failed keeps that state; the checker's fault does
        # not count as its second failure, so it is not confirmed.
        down = link(db, "http://provider.test/was-down")
        assert down["verdict"] == "server_error" and down["confirmed"] == 0 and down["consecutive_failures"] == 1
    assert not list(db.query("SELECT * FROM link_checks WHERE url = ? AND run_id > 1", ["http://provider.test/bug"]))
