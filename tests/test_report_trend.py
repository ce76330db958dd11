"""The run report's trend: open findings by severity, links needing a fix, and services
reviewed in the last year, one point per nightly run (real SQLite file)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from bs4 import BeautifulSoup

from localoffer_audit.models import RunKind, RunStatus
from localoffer_audit.outputs.report import review_counts, run_snapshot, write_run_report
from localoffer_audit.store.runs import finish_run, start_run

from .support.worklists import add_finding, add_service, make_config

TODAY = date(2026, 12, 3)


def _dates(db, service_id: str, *shown: tuple[str, str, str | None]) -> None:
    db["services"].update(service_id, {"dates": json.dumps([{"label": label, "raw": raw, "value": value}
                                                             for label, raw, value in shown])})


def _directory(db) -> None:
    for sid in ("fresh", "year", "old", "none", "gone"):
        add_service(db, sid, f"Service {sid}", state="removed" if sid == "gone" else "live")
    _dates(db, "fresh", ("Last updated", "12 October 2026", "2026-10-12"))
    # Exactly a year before the run counts as within the year; the newest shown date wins.
    _dates(db, "year", ("Review date", "3 December 2025", "2025-12-03"), ("Date added", "1 March 2019", "2019-03-01"))
    _dates(db, "old", ("Record last updated", "November 2025", None))
    # A removed entry is not counted, however fresh.
    _dates(db, "gone", ("Last updated", "1 December 2026", "2026-12-01"))


def test_review_counts_read_the_dates_the_entries_show(db) -> None:
    _directory(db)
    assert review_counts(db, TODAY) == {"within_year": 2, "older": 1, "no_date": 1}
    # A year later, nothing shown is recent any more.
    assert review_counts(db, date(2027, 12, 31)) == {"within_year": 0, "older": 3, "no_date": 1}


def _night(db, started: str, snapshot: dict) -> int:
    run = start_run(db, RunKind.NIGHTLY)
    finish_run(db, run, RunStatus.COMPLETE, counts={"snapshot": snapshot})
    db["runs"].update(run, {"started_at": started})
    return run


def _series(svg: BeautifulSoup, label: str) -> list[int]:
    return [int(re.search(r": (\d+)$", c.title.get_text()).group(1))
            for c in svg.select("circle") if c.title.get_text().startswith(label + ":")]


def test_the_trend_has_a_line_for_services_reviewed_in_the_last_year(db, tmp_path: Path) -> None:
    _directory(db)
    add_finding(db, "old", "stale_date", "review date", severity="medium")
    add_finding(db, "none", "link_broken", "https://gone.example/", severity="high")
    # A run stored before the count existed: a gap in that line, the other lines drawn.
    _night(db, "2026-11-30T02:00:00+00:00", {"findings_by_severity": {"high": 3}, "links": {"broken": 4, "ok": 9}})
    _night(db, "2026-12-01T02:00:00+00:00", run_snapshot(db, date(2026, 12, 1)))
    _dates(db, "none", ("Last updated", "2 December 2026", "2026-12-02"))
    _night(db, "2026-12-03T02:00:00+00:00", run_snapshot(db, TODAY))
    html = write_run_report(db, make_config(tmp_path), tmp_path).read_text()
    soup = BeautifulSoup(html, "html.parser")
    svg = soup.select_one("svg")
    assert "services reviewed in the last year" in svg.get_text()
    assert _series(svg, "services reviewed in the last year") == [2, 3]
    # Two polylines for that series would mean a gap; one line for a series measured throughout.
    assert len(svg.select('polyline[stroke="#1e6b35"]')) == 1
    assert _series(svg, "links needing a fix") == [4, 1, 1]
    assert _series(svg, "critical + high findings") == [3, 1, 1]
    first = soup.select_one("#plain-summary").get_text(" ", strip=True)
    assert "3 of 4 live services show a review or last-updated date in the last year; 1 older, 0 none." in first
