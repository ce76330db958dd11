"""StageResult: the one shape of a stage's outcome, stored in runs.stages and read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from localoffer_audit.models import RunKind, RunStatus, StageResult, StageStatus
from localoffer_audit.store.db import open_db
from localoffer_audit.store.runs import finish_run, get_run, record_stage, start_run


def test_a_result_is_stored_with_the_rows_keys_and_read_back_unchanged(tmp_path: Path) -> None:
    db = open_db(tmp_path / "audit.db")
    try:
        run_id = start_run(db, RunKind.NIGHTLY)
        crawl = StageResult("crawl", StageStatus.INCOMPLETE, {"pages": 12}, run_id=7,
                            message="the directory answered 503", seconds=2.5)
        skipped = StageResult("links", StageStatus.SKIPPED, message="the crawl was incomplete", seconds=0.0)
        record_stage(db, run_id, crawl)
        record_stage(db, run_id, skipped)
        run = get_run(db, run_id)
    finally:
        db.close()
    assert run is not None
    assert run.stages[0] == {"stage": "crawl", "status": "incomplete", "seconds": 2.5, "run_id": 7,
                             "counts": {"pages": 12}, "message": "the directory answered 503"}
    assert run.stage_results() == [crawl, skipped]
    assert not run.stage_results()[0].complete


def test_a_run_of_a_stage_on_its_own_is_its_one_stage(tmp_path: Path) -> None:
    db = open_db(tmp_path / "audit.db")
    try:
        run_id = start_run(db, RunKind.LINKS)
        finish_run(db, run_id, RunStatus.COMPLETE, counts={"checked": 3}, note="2 links left unverified")
        run = get_run(db, run_id)
    finally:
        db.close()
    assert run is not None
    assert run.stage_results() == [
        StageResult("links", StageStatus.COMPLETE, {"checked": 3}, run_id=run_id, message="2 links left unverified")
    ]


@pytest.mark.parametrize("status", ["", "half-done", None])
def test_a_row_with_a_status_we_do_not_know_is_never_read_as_complete(status: str | None) -> None:
    assert StageResult.from_record({"stage": "crawl", "status": status}).status == StageStatus.FAILED


def test_each_stage_summary_gives_its_result() -> None:
    from localoffer_audit.crawl.runner import CrawlSummary
    from localoffer_audit.findings.lifecycle import FindingsSummary
    from localoffer_audit.links.stage import LinkCheckSummary

    crawl = CrawlSummary(3, RunStatus.INCOMPLETE, {"pages": 4}, ["too few services", "listing capped"])
    assert crawl.stage_result() == StageResult("crawl", StageStatus.INCOMPLETE, {"pages": 4}, 3,
                                               "too few services; listing capped")
    links = LinkCheckSummary(4, "complete", {"checked": 9}, note="1 left unverified")
    assert links.stage_result() == StageResult("links", StageStatus.COMPLETE, {"checked": 9}, 4, "1 left unverified")
    # A complete findings run has no message; an incomplete one says why.
    assert FindingsSummary(5, RunStatus.COMPLETE, note="x").stage_result().message is None
    assert FindingsSummary(5, RunStatus.INCOMPLETE, note="wave held").stage_result().message == "wave held"


def test_status_says_why_a_night_did_not_complete(runner, tmp_path: Path) -> None:
    from localoffer_audit.cli import main

    db = open_db(tmp_path / "audit.db")
    try:
        night = start_run(db, RunKind.NIGHTLY)
        record_stage(db, night, StageResult("crawl", StageStatus.INCOMPLETE, {"pages": 3},
                                            message="found 40 services, fewer than 80% of the last complete crawl's 400"))
        record_stage(db, night, StageResult("links", StageStatus.SKIPPED, message="the crawl was incomplete"))
        finish_run(db, night, RunStatus.INCOMPLETE)
        complete = start_run(db, RunKind.NIGHTLY)
        record_stage(db, complete, StageResult("crawl", StageStatus.COMPLETE, {"pages": 400}, seconds=3.0))
        finish_run(db, complete, RunStatus.COMPLETE)
    finally:
        db.close()
    result = runner.invoke(main, ["--db", "audit.db", "status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # Only the stage that went wrong, on the line under its night; a skipped stage follows from it.
    why = [n for n, line in enumerate(lines) if line.startswith("      ")]
    assert [lines[n].strip() for n in why] == [
        "crawl incomplete: found 40 services, fewer than 80% of the last complete crawl's 400"
    ]
    assert lines[why[0] - 1].startswith(f"  #{night} nightly  incomplete")
