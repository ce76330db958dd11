"""`nightly` end to end on the demo world, and what happens when a run goes wrong."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.config import Config, config_from_dict
from localoffer_audit.store.db import open_db
from localoffer_audit.demo import DemoWorld, run_demo_in_thread, to_toml
from localoffer_audit.exitcodes import ExitCode
from localoffer_audit.store.lock import run_lock
from localoffer_audit.findings.managers import import_mapping
from localoffer_audit.models import RunStatus
from localoffer_audit.nightly import NightlySummary, run_nightly

from .support.cli_logging import restore_logging  # noqa: F401  (a fixture)
from .support.nightly import _write_config

CONTENT_RULES_SCORED = {
    "stale_date", "missing_date", "past_event", "covid_notice", "closure_wording", "no_contact_route",
    "short_description", "placeholder_text", "invalid_postcode",
}


@dataclass
class TwoNights:
    config: Config
    # Night 1 ran as cron runs it: the command in a subprocess, stdout and stderr pipes.
    first: subprocess.CompletedProcess[str]
    second: NightlySummary
    manifest_day0: dict
    manifest_day1: dict




def _nightly_command(config_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`localoffer-audit --config FILE nightly ARGS` with no terminal (pipes), as under cron."""
    return subprocess.run(
        [sys.executable, "-m", "localoffer_audit.cli", "--config", str(config_path), "nightly", *args],
        capture_output=True, text=True, timeout=280, stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoNights]:
    out = tmp_path_factory.mktemp("nightly")
    world = DemoWorld(seed=7, services=150)
    with run_demo_in_thread(world, workdir=out / "demo-web") as demo:
        config = config_from_dict(demo.config_dict(out))
        db = open_db(config.database.path)
        import_mapping(db, demo.write_managers_csv(out / "managers.csv"))
        db.close()
        day0 = demo.manifest()
        first = _nightly_command(_write_config(config, out / "localoffer-audit.toml"), "--today", day0["world"]["day0_date"])
        demo.set_day(1)
        day1 = demo.manifest()
        second = run_nightly(config, today=date.fromisoformat(day0["world"]["day0_date"]) + timedelta(days=1))
        # The world keeps serving while the module's tests run.
        yield TwoNights(config, first, second, day0, day1)


STAGES = ["crawl", "links", "findings", "managers", "worklists", "email"]


def _stage_lines(stdout: str) -> dict[str, str]:
    """The summary's stage lines by stage name ("  crawl      complete   5.9s  ...")."""
    lines = {}
    for line in stdout.splitlines():
        words = line.split()
        if line.startswith("  ") and words and words[0] in STAGES:
            lines[words[0]] = line
    return lines


def _findings(config: Config) -> list[dict]:
    db = open_db(config.database.path)
    try:
        return list(db.query("SELECT service_id, rule, subject, status, severity FROM findings"))
    finally:
        db.close()


@pytest.mark.slow
def test_two_nights_complete_with_documented_exit_codes(two_nights: TwoNights) -> None:
    # The first night of a directory with faults opens serious findings: the command exits 3.
    first = two_nights.first
    assert first.returncode == ExitCode.NEW_SERIOUS_FINDINGS, first.stdout + first.stderr[-3000:]
    assert re.match(r"Run #\d+: COMPLETE\n", first.stdout), first.stdout
    stages = _stage_lines(first.stdout)
    assert list(stages) == STAGES
    assert all(stages[name].split()[1] == "complete" for name in STAGES[:-1]), stages
    serious = re.search(r"^New serious findings: (\d+)$", first.stdout, re.MULTILINE)
    assert serious and int(serious.group(1)) > 0, first.stdout
    second = two_nights.second
    assert second.status == RunStatus.COMPLETE, second.messages
    assert [s.name for s in second.stages] == STAGES
    expected = ExitCode.NEW_SERIOUS_FINDINGS if second.new_serious else ExitCode.OK
    assert second.exit_code == expected


@pytest.mark.slow
def test_the_stored_stage_rows_are_the_nights_stage_results(two_nights: TwoNights) -> None:
    # One type end to end: what nightly returned is what it stored and what the report reads.
    from localoffer_audit.models import StageResult
    from localoffer_audit.store.runs import get_run

    second = two_nights.second
    assert all(isinstance(s, StageResult) and s.seconds is not None for s in second.stages)
    db = open_db(two_nights.config.database.path)
    try:
        run = get_run(db, second.run_id)
    finally:
        db.close()
    assert run is not None
    assert [set(row) for row in run.stages] == [{"stage", "status", "seconds", "run_id", "counts", "message"}] * len(STAGES)
    assert run.stage_results() == second.stages
    by_name = {s.name: s for s in second.stages}
    # The stages recording a run of their own name it; the others have none.
    assert all(by_name[name].run_id for name in ("crawl", "links", "findings"))
    assert not any(by_name[name].run_id for name in ("managers", "worklists", "email"))


@pytest.mark.slow
def test_log_file_records_each_stage_and_the_final_status(two_nights: TwoNights) -> None:
    run_id = int(re.match(r"Run #(\d+)", two_nights.first.stdout).group(1))
    log = (two_nights.config.output.folder / "nightly.log").read_text(encoding="utf-8")
    assert f"nightly run #{run_id} started" in log
    for name in STAGES[:-1]:
        assert re.search(rf"INFO localoffer_audit\.nightly: stage {name}: complete in \d+\.\ds", log), name
    # The 150 services and the advice pages the demo's config reads ([directory] read_advice_pages).
    seen = 150 + len(two_nights.manifest_day0["advice_pages"])
    assert re.search(rf"stage crawl: complete in [\d.]+s \(.*services_seen {seen}\b", log)
    assert "stage email: skipped in 0.0s (email is off" in log
    assert re.search(rf"nightly run #{run_id} finished: complete, exit code 3, new serious findings [1-9]", log)


@pytest.mark.slow
def test_no_progress_output_without_a_terminal(two_nights: TwoNights) -> None:
    first = two_nights.first
    for stream in (first.stdout, first.stderr):
        assert "\r" not in stream
        # The progress a terminal gets: "crawl..." and "crawl: complete in 5.9s".
        assert not re.search(r"^(crawl|links|findings|managers|worklists|email)(\.\.\.|: \w+ in )", stream, re.MULTILINE), stream
    assert "Traceback" not in first.stderr


@pytest.mark.slow
def test_history_shows_what_the_world_fixed_and_broke(two_nights: TwoNights) -> None:
    def expected(manifest: dict) -> set[tuple[str, str]]:
        return {
            (service_id, rule)
            for service_id, service in manifest["services"].items()
            for rule in service["expected_rules"]
            if rule in CONTENT_RULES_SCORED
        }

    day0, day1 = expected(two_nights.manifest_day0), expected(two_nights.manifest_day1)
    fixed_in_world, new_in_world = day0 - day1, day1 - day0
    assert fixed_in_world and new_in_world, "the demo world should change between nights"
    rows = _findings(two_nights.config)
    fixed = {(r["service_id"], r["rule"]) for r in rows if r["status"] == "fixed" and r["rule"] in CONTENT_RULES_SCORED}
    still_open = {(r["service_id"], r["rule"]) for r in rows if r["status"] in ("open", "reopened")}
    # Everything the auditor calls fixed (and not still open under another subject) was
    # fixed in the world...
    assert fixed - still_open <= fixed_in_world, (fixed - still_open) - fixed_in_world
    # ...and it notices nearly all of what was fixed and what is new.
    assert len(fixed & fixed_in_world) >= 0.9 * len(fixed_in_world)
    assert len(new_in_world & still_open) >= 0.9 * len(new_in_world)
    second_counts = next(s.counts for s in two_nights.second.stages if s.name == "findings")
    assert second_counts["fixed"] >= len(fixed & fixed_in_world) and second_counts["new"] > 0


@pytest.mark.slow
def test_report_and_worklists_written(two_nights: TwoNights) -> None:
    out = two_nights.config.output.folder
    report = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert report.select_one("#run-status").get_text().strip().endswith("complete.")
    assert report.select("svg polyline"), "trend chart missing after two runs"
    fixed_rows = report.select("#changes-fixed tbody tr")
    assert fixed_rows, "the second night fixed findings; the report should list them"
    assert (out / "worklists" / "index.html").exists()


def _config_for_dead_site(config: Config, tmp_path: Path) -> Config:
    data = config.model_dump(mode="json", exclude_none=True)
    data["directory"]["start_urls"] = ["http://127.0.0.1:9/kb5/gone/directory/results.page?localofferchannel=0"]
    data["crawl"]["retries"] = 0
    data["output"]["folder"] = str(tmp_path / "out")
    return config_from_dict(data)


@pytest.mark.slow
def test_site_down_is_incomplete_and_changes_nothing(two_nights: TwoNights, tmp_path: Path) -> None:
    before = _findings(two_nights.config)
    completed = _nightly_command(_write_config(_config_for_dead_site(two_nights.config, tmp_path), tmp_path / "dead.toml"))
    assert completed.returncode == ExitCode.INCOMPLETE, completed.stdout + completed.stderr[-3000:]
    assert re.match(r"Run #\d+: INCOMPLETE\n", completed.stdout)
    stages = _stage_lines(completed.stdout)
    assert stages["crawl"].split()[1] == "incomplete" and "INCOMPLETE crawl, nothing marked removed" in stages["crawl"]
    assert [stages[name].split()[1] for name in ("links", "findings", "worklists")] == ["skipped"] * 3
    assert "previous complete state is unchanged" in completed.stdout
    log = (tmp_path / "out" / "nightly.log").read_text(encoding="utf-8")
    assert re.search(r"finished: incomplete, exit code 5", log)
    assert _findings(two_nights.config) == before
    report = BeautifulSoup((tmp_path / "out" / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert report.select_one("#run-warning") is not None
    with run_lock(two_nights.config.database.path):  # the lock was released
        pass


@pytest.mark.slow
def test_failing_stage_keeps_previous_state_and_releases_lock(
    two_nights: TwoNights, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, restore_logging: None
) -> None:
    before = _findings(two_nights.config)

    def broken_checker(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr("localoffer_audit.nightly.run_link_checks", broken_checker)
    config_path = _write_config(two_nights.config, tmp_path / "audit.toml")
    result = CliRunner().invoke(main, ["--config", str(config_path), "nightly"])
    assert result.exit_code == ExitCode.ERROR, result.output
    assert re.match(r"Run #\d+: FAILED\n", result.stdout)
    assert _stage_lines(result.stdout)["links"].split()[1] == "failed"
    assert "! Stage links failed: OSError: network unreachable" in result.stdout
    assert _findings(two_nights.config) == before
    with run_lock(two_nights.config.database.path):
        pass


def _copy_database(config: Config, tmp_path: Path) -> Path:
    """A copy of the module's database, for a test that must not leave its runs behind."""
    copy = tmp_path / "copy.db"
    source, target = sqlite3.connect(config.database.path), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return copy


@pytest.mark.slow
def test_link_check_spike_is_incomplete_and_changes_no_finding(two_nights: TwoNights, tmp_path: Path) -> None:
    """The outside web goes dark (every provider site refuses connections) while the
    directory stays up: the link check's failure share jumps, so it is incomplete, and
    nothing is marked fixed or opened from it. When the findings stage still ran after
    such a check, this world lost 6 link_timeout, 2 link_server_error and 1
    archive_candidate findings (marked fixed) and gained 8 link_broken ones: the
    already-failing links' new verdict counts as confirmed."""
    data = two_nights.config.model_dump(mode="json", exclude_none=True)
    data["database"]["path"] = str(_copy_database(two_nights.config, tmp_path))
    data["output"]["folder"] = str(tmp_path / "out")
    data["links"]["port_map"] = {"80": 9, "443": 9}  # discard port on loopback: connection refused
    data["links"]["recheck_ok_after_days"] = 0  # check every link, not only the failures
    config = config_from_dict(data)
    before = _findings(config)
    summary = run_nightly(config, today=date.fromisoformat(two_nights.manifest_day0["world"]["day0_date"]) + timedelta(days=1))
    stages = {s.name: s for s in summary.stages}
    assert stages["crawl"].status == "complete", stages["crawl"]
    assert stages["links"].status == "incomplete", stages["links"]
    # The reason reaches the summary, not just the word "incomplete".
    assert stages["links"].message and "failure share jumped from" in stages["links"].message
    assert [stages[name].status for name in ("findings", "managers", "worklists", "email")] == ["skipped"] * 4
    assert summary.status == RunStatus.INCOMPLETE and summary.exit_code == ExitCode.INCOMPLETE
    assert any(m.startswith("The link check was incomplete: failure share jumped") for m in summary.messages), summary.messages
    assert _findings(config) == before


@pytest.mark.slow
def test_killed_run_leaves_state_and_lock(two_nights: TwoNights, tmp_path: Path) -> None:
    before = _findings(two_nights.config)
    env = dict(os.environ)
    config_path = tmp_path / "slow.toml"
    # A site that hangs keeps the crawl busy long enough to kill it mid-run.
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(50)
    port = listener.getsockname()[1]
    data = two_nights.config.model_dump(mode="json", exclude_none=True)
    data["directory"]["start_urls"] = [f"http://127.0.0.1:{port}/kb5/slow/directory/results.page"]
    config_path.write_text(to_toml(data), encoding="utf-8")
    env["LOCALOFFER_AUDIT_CONFIG"] = str(config_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "localoffer_audit.cli", "nightly"], env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(4)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        listener.close()
    assert _findings(two_nights.config) == before
    with run_lock(two_nights.config.database.path):
        pass
    db = open_db(two_nights.config.database.path)
    try:
        running = db.execute("SELECT COUNT(*) FROM runs WHERE status = 'running'").fetchone()[0]
    finally:
        db.close()
    assert running >= 1  # left behind by the killed process, and noticed by the next run
    summary = run_nightly(_config_for_dead_site(two_nights.config, tmp_path), two_nights.config.database.path)
    assert any("interrupted" in message for message in summary.messages)
    db = open_db(two_nights.config.database.path)
    try:
        assert db.execute("SELECT COUNT(*) FROM runs WHERE status = 'running'").fetchone()[0] == 0
    finally:
        db.close()


def test_nightly_help_documents_exit_codes() -> None:
    result = CliRunner().invoke(main, ["nightly", "--help"])
    assert "Exit codes" in result.output and "4 another run holds the lock" in result.output


@pytest.mark.slow
@pytest.mark.browser
def test_report_renders_in_chromium(two_nights: TwoNights) -> None:
    from .support.browser import ARTIFACTS, png_size, require_chromium, screenshot

    require_chromium()
    png = screenshot(two_nights.config.output.folder / "report.html", ARTIFACTS / "run-report.png", width=1200, height=2400)
    assert png_size(png) == (1200, 2400)


def test_bad_mapping_file_keeps_the_previous_mapping(tmp_path: Path) -> None:
    from localoffer_audit.nightly import _managers
    from localoffer_audit.store.managers import stored_assignments

    good = tmp_path / "managers.csv"
    good.write_text("service_id,organisation,manager_name,manager_email\nabc123,,Sam Smith,sam.smith@council.gov.uk\n")
    config = config_from_dict(
        {"directory": {"start_urls": ["https://d.example.gov.uk/kb5/x/directory/results.page"]},
         "managers": {"mapping_file": str(good)}}
    )
    db = open_db(tmp_path / "audit.db")
    try:
        first = _managers(db, config)
        assert (first.status, first.counts["rows"], first.message) == ("complete", 1, None)
        good.write_text("service_id,organisation,manager_name,manager_email\nabc123,,Sam Smith,not-an-email\n")
        second = _managers(db, config)
        assert second.status == "complete" and second.message is not None
        assert "previous mapping is kept" in second.message and "line 2" in second.message
        assert [a.manager_email for a in stored_assignments(db)] == ["sam.smith@council.gov.uk"]
    finally:
        db.close()


def test_held_lock_exits_4_and_the_log_says_why(tmp_path: Path, restore_logging: None) -> None:
    config = config_from_dict({
        "directory": {"start_urls": ["https://d.example.gov.uk/kb5/x/directory/results.page"]},
        "database": {"path": str(tmp_path / "audit.db")},
        "output": {"folder": str(tmp_path / "out")},
    })
    config_path = _write_config(config, tmp_path / "audit.toml")
    with run_lock(config.database.path):
        result = CliRunner().invoke(main, ["--config", str(config_path), "nightly"])
    assert result.exit_code == ExitCode.LOCKED, result.output
    log = (tmp_path / "out" / "nightly.log").read_text(encoding="utf-8")
    assert "INFO localoffer_audit.commands.nightly: nightly did not run (exit code 4):" in log


@pytest.mark.slow
def test_a_night_whose_mail_server_is_down_is_incomplete_with_the_reason(two_nights: TwoNights, tmp_path: Path) -> None:
    """Everything else worked, but no list could be emailed: exit 5 and why, not COMPLETE."""
    import socket

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    data = two_nights.config.model_dump(mode="json", exclude_none=True)
    data["database"]["path"] = str(_copy_database(two_nights.config, tmp_path))
    data["output"]["folder"] = str(tmp_path / "out")
    data["email"].update({"enabled": True, "smtp_host": "127.0.0.1", "smtp_port": dead_port, "security": "none",
                          "pause_seconds": 0, "send_all_clear": True})
    config = config_from_dict(data)
    summary = run_nightly(config, today=date.fromisoformat(two_nights.manifest_day0["world"]["day0_date"]) + timedelta(days=2))
    stages = {s.name: s for s in summary.stages}
    assert stages["crawl"].status == "complete" and stages["findings"].status == "complete", stages
    assert stages["email"].status == "incomplete", stages["email"]
    assert "mail server could not be reached" in (stages["email"].message or "")
    assert summary.status == RunStatus.INCOMPLETE and summary.exit_code == ExitCode.INCOMPLETE
    assert any(m.startswith("Stage email was incomplete: Email not delivered") for m in summary.messages), summary.messages
    db = open_db(config.database.path)
    try:
        rows = list(db.query("SELECT status, attempts FROM emails WHERE status = 'queued'"))
    finally:
        db.close()
    assert rows and all(r["attempts"] == 0 for r in rows)  # the outage is no attempt
