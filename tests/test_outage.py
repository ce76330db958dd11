"""Trust under faults (issue 13, items 3 and 9): an outage of the directory's record pages is
not a mass removal, a missing page is confirmed across two crawls, a wave of missing pages
waits for a person, and the exit-3 alert survives a night that was killed.

Everything runs for real: a small FSD-shaped directory on loopback (its listing keeps
working while its record pages answer 404), the crawl in its child process, the findings
lifecycle and `nightly` on a real SQLite file, aiosmtpd as the mail server.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from localoffer_audit.config import Config, config_from_dict
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.demo import to_toml
from localoffer_audit.exitcodes import ExitCode
from localoffer_audit.findings.lifecycle import run_findings
from localoffer_audit.models import RunStatus
from localoffer_audit.nightly import run_nightly
from localoffer_audit.store.db import open_db

from .support.crawl_sites import FakeSite, crawl_config, fsd_start, record_id, serve

TODAY = date(2025, 6, 2)
OWNER = "localoffer@testshire.example"


class Inbox:
    """An aiosmtpd handler that keeps every recipient it was sent to."""

    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def site_config(base: str, tmp_path: Path, *, smtp_port: int | None = None, **sections: Any) -> Config:
    data = crawl_config(fsd_start(base))
    data.update({
        "database": {"path": str(tmp_path / "audit.db")},
        "output": {"folder": str(tmp_path / "out")},
        # The outside links are not this test's subject (and there is no internet here).
        "links": {"exclude": ["http://", "https://", "mailto:", "tel:"]},
        "managers": {"default_owner_email": OWNER},
        # The site's own findings are medium (stale dates, short descriptions): they are the alert.
        "nightly": {"alert_severity": "medium"},
    })
    if smtp_port is not None:
        data["email"] = {"enabled": True, "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "security": "none",
                         "pause_seconds": 0, "from_address": "audit@testshire.example"}
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return config_from_dict(data)


def rows(config: Config, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    db = open_db(config.database.path)
    try:
        return list(db.query(sql, params or []))
    finally:
        db.close()


def findings(config: Config) -> dict[tuple[str, str, str], str]:
    return {(r["service_id"], r["rule"], r["subject"]): r["status"]
            for r in rows(config, "SELECT service_id, rule, subject, status FROM findings")}


def events(config: Config) -> list[tuple[int, str]]:
    return [(r["finding_id"], r["event"]) for r in rows(config, "SELECT finding_id, event FROM finding_events ORDER BY id")]


def test_record_pages_all_answering_404_is_an_outage_not_a_mass_removal(tmp_path: Path, inbox) -> None:
    handler, port = inbox
    site = FakeSite(services=30)
    with serve(site) as base:
        config = site_config(base, tmp_path, smtp_port=port)
        first = run_nightly(config, today=TODAY)
        assert first.status == RunStatus.COMPLETE, first.messages
        before, events_before = findings(config), events(config)
        assert before and set(before.values()) == {"open"}
        mailed = list(handler.recipients)
        assert mailed == [OWNER]

        # The listing still works; every record page answers 404.
        site.missing = set(range(1, 31))
        outage = run_nightly(config, today=TODAY)
        stages = {s.name: s for s in outage.stages}
        assert stages["crawl"].status == "incomplete", stages["crawl"]
        assert "max_new_missing_ratio" in (stages["crawl"].message or "")
        assert [stages[n].status for n in ("findings", "worklists", "email")] == ["skipped"] * 3
        assert outage.exit_code == ExitCode.INCOMPLETE
        assert findings(config) == before and events(config) == events_before
        assert handler.recipients == mailed
        # The entries keep the state they had: live, their last status, no "page missing" event.
        services = rows(config, "SELECT state, http_status, missing_crawls FROM services")
        assert {(r["state"], r["http_status"], r["missing_crawls"]) for r in services} == {("live", 200, 0)}
        assert rows(config, "SELECT * FROM service_history WHERE event = 'page_missing'") == []

        # The site comes back: no wave of findings, nothing fixed or reopened, nobody mailed.
        site.missing = set()
        back = run_nightly(config, today=TODAY)
        assert back.status == RunStatus.COMPLETE, back.messages
        assert findings(config) == before and events(config) == events_before
        assert handler.recipients == mailed


def test_a_missing_page_is_a_finding_only_after_two_complete_crawls(tmp_path: Path) -> None:
    site = FakeSite(services=30)
    with serve(site) as base:
        config = site_config(base, tmp_path)
        db_path = config.database.path

        def night() -> dict[tuple[str, str, str], str]:
            assert run_crawl(config, db_path).status == RunStatus.COMPLETE
            db = open_db(db_path)
            try:
                run_findings(db, config, today=TODAY)
            finally:
                db.close()
            return findings(config)

        first = night()
        three, five = record_id(3), record_id(5)
        assert any(key[0] == three for key in first)

        site.missing = {3}
        second = night()
        # One crawl's 404: no finding yet, and the entry's earlier findings are not fixed.
        assert second == first
        [row] = rows(config, "SELECT missing_crawls, missing_since_run, state FROM services WHERE id = ?", [three])
        crawl_runs = [r["id"] for r in rows(config, "SELECT id FROM runs WHERE kind = 'crawl' ORDER BY id")]
        assert (row["missing_crawls"], row["missing_since_run"], row["state"]) == (1, crawl_runs[-1], "page_missing")

        site.missing = {3, 5}  # 3 stays missing; 5 answers 404 for one night only
        third = night()
        assert third[(three, "page_missing", "service page")] == "open"
        assert not [key for key in third if key[0] == five and key[1] == "page_missing"]
        assert {k: v for k, v in third.items() if k[0] == five} == {k: v for k, v in first.items() if k[0] == five}
        [row] = rows(config, "SELECT missing_crawls, missing_since_run FROM services WHERE id = ?", [three])
        assert (row["missing_crawls"], row["missing_since_run"]) == (2, crawl_runs[-1])

        site.missing = {3}
        fourth = night()
        assert not [key for key in fourth if key[0] == five and key[1] == "page_missing"]
        # No churn for the page that came back: its findings were never fixed nor reopened.
        five_events = [e for fid, e in events(config) for r in rows(config, "SELECT id FROM findings WHERE service_id = ?", [five])
                       if r["id"] == fid]
        assert set(five_events) == {"opened"}
        [row] = rows(config, "SELECT missing_crawls, state FROM services WHERE id = ?", [five])
        assert (row["missing_crawls"], row["state"]) == (0, "live")


def test_a_wave_of_missing_pages_is_held_for_a_person(tmp_path: Path) -> None:
    site = FakeSite(services=40)
    with serve(site) as base:
        config = site_config(base, tmp_path)
        assert run_nightly(config, today=TODAY).status == RunStatus.COMPLETE
        before = findings(config)
        # 8 of 40 pages go: not an outage (not more than 20%), but a wave (more than 5 and 5%).
        site.missing = set(range(1, 9))
        second = run_nightly(config, today=TODAY)
        assert second.status == RunStatus.COMPLETE, second.messages
        assert findings(config) == before  # not confirmed yet

        third = run_nightly(config, today=TODAY)
        stages = {s.name: s for s in third.stages}
        assert stages["crawl"].status == "complete"
        assert stages["findings"].status == "incomplete"
        assert "held for a person" in (stages["findings"].message or "")
        assert third.exit_code == ExitCode.INCOMPLETE
        assert findings(config) == before  # nothing opened, nothing of those entries fixed
        report = (config.output.folder / "report.html").read_text(encoding="utf-8")
        assert "held for a person" in report

        # A person checked: the pages really have gone.
        fourth = run_nightly(config, today=TODAY, accept_missing=True)
        assert fourth.status == RunStatus.COMPLETE, fourth.messages
        now = findings(config)
        assert {k[0] for k, v in now.items() if k[1] == "page_missing" and v == "open"} == {
            record_id(n) for n in range(1, 9)}


def _write_config(config: Config, path: Path) -> Path:
    path.write_text(to_toml(config.model_dump(mode="json", exclude_none=True)), encoding="utf-8")
    return path


def test_a_night_killed_after_opening_findings_still_alerts_on_the_next(tmp_path: Path, inbox) -> None:
    handler, good_port = inbox
    site = FakeSite(services=12)
    # A mail server that accepts the connection and never greets: the email stage hangs
    # there, after the findings stage has committed, long enough to kill the night.
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(5)
    with serve(site) as base:
        config = site_config(base, tmp_path, smtp_port=hanging.getsockname()[1])
        config_path = _write_config(config, tmp_path / "localoffer-audit.toml")
        process = subprocess.Popen(
            [sys.executable, "-m", "localoffer_audit.cli", "--config", str(config_path), "nightly",
             "--today", TODAY.isoformat()],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and process.poll() is None:
                if _findings_stage_done(config.database.path):
                    break
                time.sleep(0.2)
            assert process.poll() is None, "the night ended before it could be killed"
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        finally:
            hanging.close()
        opened = rows(config, "SELECT COUNT(*) AS n FROM findings WHERE status = 'open'")[0]["n"]
        assert opened > 0
        [killed] = rows(config, "SELECT status, exit_code FROM runs WHERE kind = 'nightly'")
        assert (killed["status"], killed["exit_code"]) == ("running", None)

        # The next night opens nothing new, yet what the killed night opened was never told.
        config = site_config(base, tmp_path, smtp_port=good_port)
        second = run_nightly(config, today=TODAY)
        assert second.status == RunStatus.COMPLETE, second.messages
        assert second.new_serious == opened
        assert second.exit_code == ExitCode.NEW_SERIOUS_FINDINGS
        nights = rows(config, "SELECT id, status, exit_code, alerted_at FROM runs WHERE kind = 'nightly' ORDER BY id")
        assert [(n["status"], n["exit_code"]) for n in nights] == [("failed", None), ("complete", 3)]
        assert nights[1]["alerted_at"]

        # Told once: the night after has nothing new.
        third = run_nightly(config, today=TODAY)
        assert (third.new_serious, third.exit_code) == (0, ExitCode.OK)
        assert rows(config, "SELECT exit_code, alerted_at FROM runs WHERE id = ?", [third.run_id])[0] == {
            "exit_code": 0, "alerted_at": None}


def _findings_stage_done(db_path: Path) -> bool:
    if not db_path.exists():
        return False
    try:
        connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        try:
            row = connection.execute(
                "SELECT COUNT(*) FROM runs c JOIN runs n ON n.id = c.parent_run_id "
                "WHERE n.kind = 'nightly' AND c.kind = 'content' AND c.status = 'complete'"
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return False
    return bool(row and row[0])


def test_a_complete_night_stored_before_exit_codes_counts_as_reported(tmp_path: Path) -> None:
    """A database from before runs.exit_code: its last complete night told the team, so
    the first night after the upgrade does not alert again with the whole backlog."""
    site = FakeSite(services=6)
    with serve(site) as base:
        config = site_config(base, tmp_path)
        first = run_nightly(config, today=TODAY)
        assert first.exit_code == ExitCode.NEW_SERIOUS_FINDINGS and first.new_serious > 0
        raw = sqlite3.connect(config.database.path)
        with raw:  # as the older version left it
            raw.execute("UPDATE runs SET exit_code = NULL, alerted_at = NULL WHERE id = ?", [first.run_id])
        raw.close()
        second = run_nightly(config, today=TODAY)
    assert (second.status, second.new_serious, second.exit_code) == (RunStatus.COMPLETE, 0, ExitCode.OK)
