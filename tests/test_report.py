from pathlib import Path

from bs4 import BeautifulSoup

from localoffer_audit.config import config_from_dict
from localoffer_audit.outputs.report import Series, trend_svg, write_run_report

CONFIG = {"directory": {"start_urls": ["https://directory.example.gov.uk/kb5/x/directory/results.page"]}}


def test_trend_svg_draws_each_series() -> None:
    svg = trend_svg(["#1 1 Nov", "#2 2 Nov", "#3 3 Nov"], [Series("high", [5, 3, 1], "#c00"), Series("low", [1, 1, 2], "#00c")])
    soup = BeautifulSoup(svg, "html.parser")
    assert len(soup.select("polyline")) == 2 and len(soup.select("circle")) == 6
    assert "#1 1 Nov" in svg and "#3 3 Nov" in svg


def test_trend_svg_escapes_labels() -> None:
    assert "<b>" not in trend_svg(["<b>"], [Series("<script>", [1], "#000")])


def test_report_of_empty_database_says_no_run_yet(db, tmp_path: Path) -> None:
    path = write_run_report(db, config_from_dict(CONFIG), tmp_path)
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    assert "No nightly run yet." in soup.get_text()


def test_report_escapes_service_names(db, tmp_path: Path) -> None:
    from localoffer_audit.models import RunKind, RunStatus
    from localoffer_audit.store.runs import finish_run, record_stage, start_run

    nightly = start_run(db, RunKind.NIGHTLY)
    content = start_run(db, RunKind.CONTENT, parent_run_id=nightly)
    with db.atomic():
        db["services"].insert({"id": "x1", "url": "https://d.example/service.page?id=x1", "name": "<script>alert(1)</script>",
                               "first_seen_at": "2026-11-01", "last_seen_at": "2026-11-01", "categories": '["Play"]'})
        db["findings"].insert({"id": 1, "service_id": "x1", "rule": "stale_date", "subject": "review date", "severity": "high",
                               "title": "Entry not reviewed recently", "message": "m", "fix_hint": "h", "status": "open",
                               "first_seen_at": "2026-11-01", "last_seen_at": "2026-11-01", "evidence_key": "k"})
        db["finding_events"].insert({"finding_id": 1, "run_id": content, "at": "2026-11-01", "event": "opened"})
    record_stage(db, nightly, {"stage": "findings", "status": "complete", "run_id": content, "counts": {}, "seconds": 1})
    finish_run(db, nightly, RunStatus.COMPLETE, counts={"snapshot": {}})
    html = write_run_report(db, config_from_dict(CONFIG), tmp_path).read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("#changes-opened tbody tr td a").get_text() == "<script>alert(1)</script>"
    assert soup.select_one("#by-category tbody tr td").get_text() == "Play"


def test_report_for_an_unknown_run_is_an_error(db, tmp_path: Path) -> None:
    import pytest

    from localoffer_audit.errors import AuditError

    with pytest.raises(AuditError, match="no nightly run #99"):
        write_run_report(db, config_from_dict(CONFIG), tmp_path, run_id=99)
