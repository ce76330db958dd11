"""The README's first command: `localoffer-audit demo` audits the demo world end to end."""

from __future__ import annotations

import email
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.store.db import open_db
from localoffer_audit.exitcodes import ExitCode

from .support.cli_logging import restore_logging  # noqa: F401  (a fixture)


@pytest.mark.slow
def test_demo_command_writes_the_whole_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "demo-output"
    completed = subprocess.run(
        [sys.executable, "-m", "localoffer_audit.cli", "demo", "--out", str(out), "--services", "120", "--seed", "3"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Open:" in completed.stdout and "report.html" in completed.stdout
    output = out / "output"
    report = BeautifulSoup((output / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert len(report.select("#history tbody tr")) == 2, "two nights should be in the history"
    assert report.select("svg polyline")
    index = BeautifulSoup((output / "worklists" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert index.select("a[href$='.html']"), "the worklist index links each manager's list"
    previews = sorted((output / "emails").glob("*.eml"))
    assert previews
    message = email.message_from_bytes(previews[0].read_bytes())
    assert message["To"] and message.is_multipart()
    assert sorted(p.suffix for p in (output / "qa").glob("qa-sample-*")) == [".csv", ".html"]
    for name in ("localoffer-audit.toml", "demo-manifest.json", "managers.csv", "localoffer-audit.db"):
        assert (out / name).exists(), name
    # Both nights completed, as the command says and the database records.
    said = re.findall(r"^  night (\d): run #(\d+) (\w+), \d+ new serious findings$", completed.stdout, re.MULTILINE)
    assert [(night, status) for night, _, status in said] == [("1", "complete"), ("2", "complete")], completed.stdout
    db = open_db(out / "localoffer-audit.db")
    try:
        nights = list(db.query("SELECT id, status, stages FROM runs WHERE kind = 'nightly' ORDER BY id"))
        assert [(str(r["id"]), r["status"]) for r in nights] == [(run_id, "complete") for _, run_id, _ in said]
        findings = {s["stage"]: s for s in json.loads(nights[1]["stages"])}["findings"]
        # Night 2 saw the world move on: it fixed findings and opened new ones...
        assert findings["counts"]["fixed"] > 0 and findings["counts"]["new"] > 0, findings
        # ...and the findings themselves say so.
        content_run = findings["run_id"]
        fixed = db.execute("SELECT COUNT(*) FROM finding_events WHERE run_id = ? AND event = 'fixed'", [content_run]).fetchone()[0]
        opened = db.execute("SELECT COUNT(*) FROM findings WHERE first_seen_run = ?", [content_run]).fetchone()[0]
        assert (fixed, opened) == (findings["counts"]["fixed"], findings["counts"]["new"])
        still_fixed = db.execute("SELECT COUNT(*) FROM findings WHERE status = 'fixed' AND fixed_at IS NOT NULL").fetchone()[0]
        assert still_fixed == fixed
    finally:
        db.close()


@pytest.mark.slow
def test_demo_exits_non_zero_naming_the_night_and_stage_that_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    def broken_checker(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr("localoffer_audit.nightly.run_link_checks", broken_checker)
    out = tmp_path / "demo-output"
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--services", "12", "--seed", "3"])
    assert result.exit_code == ExitCode.ERROR, result.output
    assert re.search(
        r"^Error: demo night 1 \(run #1\) did not complete \(failed\): stage links failed "
        r"\(OSError: network unreachable\)\. The demo stopped there\.$", result.stderr, re.MULTILINE,
    ), result.stderr
    assert "Open:" not in result.stdout  # no claim that there is a finished demo to open
    db = open_db(out / "localoffer-audit.db")
    try:
        nights = list(db.query("SELECT status FROM runs WHERE kind = 'nightly'"))
    finally:
        db.close()
    assert nights == [{"status": "failed"}], "night 2 must not run on top of a failed night"
