"""The README's first command: `localoffer-audit demo` audits the demo world end to end."""

from __future__ import annotations

import email
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup


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
