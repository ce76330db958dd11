"""The same total is the same number wherever it is printed.

Issue 17 measured the demo's link total as 1380, 1020 and 1012 in different places and
its content managers as 13 and 14. Each total is now one query (store/totals.py); on a
real demo run (subprocess, loopback servers, real SQLite) the report, the worklist
index, the email previews, `status` and the demo's own summary must agree, and every
output the README names must exist and be linked from the report.
"""

from __future__ import annotations

import csv
import email
import io
import re
import subprocess
import sys
from email.policy import default as default_policy
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from localoffer_audit.demo import DemoWorld
from localoffer_audit.demo.manifest import build_manifest
from localoffer_audit.store.db import open_db
from localoffer_audit.store.totals import totals


def _number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in:\n{text}"
    return int(found.group(1).replace(",", ""))


@pytest.mark.slow
def test_a_demo_run_prints_one_figure_for_each_total(tmp_path: Path) -> None:
    out = tmp_path / "demo-output"
    demo = subprocess.run(
        [sys.executable, "-m", "localoffer_audit.cli", "demo", "--out", str(out), "--services", "90", "--seed", "5"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    output = out / "output"
    db = open_db(out / "localoffer-audit.db")
    try:
        truth = totals(db)
    finally:
        db.close()
    assert truth.live_services > 0 and truth.links > truth.links_to_fix > 0 and truth.open_problems > 0
    # The demo reads the directory's information and advice pages: counted apart from the
    # services, as many as its ground truth lists (they once showed as "414 live services").
    last_night = DemoWorld(seed=5, services=90)
    last_night.set_day(1)  # the demo's second night, the state every output shows
    expected = build_manifest(last_night)
    assert truth.advice_pages == len(expected["advice_pages"]) > 0
    pages = f"{truth.live_services:,} live services and {truth.advice_pages:,} information and advice pages"

    # The demo's own summary line.
    said = demo.stdout
    assert _number(r"(\d[\d,]*) live services", said) == truth.live_services
    assert pages in said
    assert _number(r"(\d[\d,]*) links on them", said) == truth.links
    assert _number(r"(\d[\d,]*) open problems", said) == truth.open_problems
    managers = _number(r"open problems for (\d+) content managers", said)

    # `status`.
    status = subprocess.run(
        [sys.executable, "-m", "localoffer_audit.cli", "--config", str(out / "localoffer-audit.toml"), "status"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert status.returncode == 0, status.stderr
    assert _number(r"Links on live services and information and advice pages: ([\d,]+)", status.stdout) == truth.links
    assert _number(r"Open problems: ([\d,]+)", status.stdout) == truth.open_problems
    assert _number(r"Content managers in the mapping file: (\d+)", status.stdout) == truth.managers_mapped
    assert f"Services: live {truth.live_services}" in status.stdout
    assert f"Information and advice pages: live {truth.advice_pages}" in status.stdout

    # The run report's first screen, its tables and its outputs.
    report = BeautifulSoup((output / "report.html").read_text(encoding="utf-8"), "html.parser")
    first = report.select_one("#plain-summary").get_text(" ", strip=True)
    assert _number(r"Checked ([\d,]+) live services", first) == truth.live_services
    assert f"Checked {pages}, and" in first
    assert _number(r"and ([\d,]+) links on them", first) == truth.links
    assert _number(r"([\d,]+) links? needs? a fix", first) == truth.links_to_fix
    assert _number(r"([\d,]+) problems open in all", first) == truth.open_problems
    assert _number(r"(\d+) content managers have something to fix", first) == managers
    by_manager = report.select("#by-manager tbody tr")
    assert len(by_manager) == managers
    assert sum(int(row.select("td")[-1].get_text()) for row in by_manager) == truth.open_problems
    assert sum(int(row.select_one("td.num").get_text()) for row in report.select("#links-plain tbody tr")) == truth.links
    assert sum(int(td.get_text()) for td in report.select("#by-severity tbody td")) == truth.open_problems

    # The worklist index.
    index = BeautifulSoup((output / "worklists" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert int(index.select_one("#total-open").get_text()) == truth.open_problems
    assert index.select_one("#checked").get_text() == pages
    assert _number(r"for (\d+) content managers? with something to fix", index.select_one("#totals").get_text()) == managers

    # The email previews: one fix list per manager with something to fix, adding up.
    lists = [email.message_from_bytes(p.read_bytes(), policy=default_policy)
             for p in sorted((output / "emails").glob("worklist-*.eml"))]
    assert len(lists) == managers
    assert sum(_number(r": (\d+) problems? to fix", str(m["Subject"])) for m in lists) == truth.open_problems

    # Every output the README names exists and the report links it.
    links = {a.get_text(): a["href"] for a in report.select("#outputs a")}
    for label in ("Worklists", "History pages", "Emails", "QA packs", "Findings export"):
        assert label in links, (label, links)
        assert (output / links[label]).exists(), (label, links[label])
    # The demo shows what a council would see: the edit link on each card, the escalation digest.
    assert "Escalation digest" in links and (output / links["Escalation digest"]).exists()
    page = BeautifulSoup(next((output / "worklists").glob("priya-*.html")).read_text(encoding="utf-8"), "html.parser")
    assert all("edit.page?id=" in a["href"] for a in page.select("a.edit-page")) and page.select("a.edit-page")
    export = (output / links["Findings export"]).read_text(encoding="utf-8")
    assert export.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(export[1:])))
    # The export also lists findings waiting for confirmation; the confirmed ones are the open problems.
    assert sum(1 for row in rows if row["confirmed"] == "1" and row["dismissed"] == "0") == truth.open_problems
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    demo_section = readme[readme.index("### `localoffer-audit demo`"):readme.index("### `localoffer-audit init`")]
    for shown in ("report.html", "worklists/index.html", "worklists/history/index.html", "emails/", "qa-sample-1.html",
                  "findings.csv"):
        assert shown in demo_section and shown.split("/")[-1] in said, shown
