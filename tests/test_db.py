import sqlite3
from pathlib import Path

import pytest

from localoffer_audit.store.db import applied_migrations, migrations, open_db
from localoffer_audit.errors import StoreError
from localoffer_audit.models import RunKind, RunStatus
from localoffer_audit.store.runs import (
    finish_run,
    get_run,
    last_complete_run,
    mark_abandoned_runs,
    record_stage,
    start_run,
)
from localoffer_audit.store.status import status_summary

EXPECTED_TABLES = {
    "runs", "services", "service_history", "links", "link_places", "link_checks", "findings",
    "finding_events", "dismissals", "managers", "manager_assignments", "worklists", "emails",
    "qa_samples", "qa_sample_items", "qa_reviews",
}


def test_schema_migrates_from_empty(db_path: Path) -> None:
    db = open_db(db_path)
    assert EXPECTED_TABLES <= set(db.table_names())
    assert applied_migrations(db) == [m.name for m in migrations._migrations]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    db.close()


def test_reopening_applies_nothing_twice(db_path: Path) -> None:
    open_db(db_path).close()
    db = open_db(db_path)
    names = applied_migrations(db)
    assert len(names) == len(set(names)) == len(migrations._migrations)
    assert migrations.pending(db) == []
    db.close()


def test_file_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("this is a shopping list, not a database\n" * 20)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        open_db(bogus)


def test_folder_as_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        open_db(tmp_path)


def test_run_lifecycle(db) -> None:
    run_id = start_run(db, RunKind.CRAWL, platform="fsd")
    assert get_run(db, run_id).status == RunStatus.RUNNING
    record_stage(db, run_id, {"stage": "crawl", "seconds": 1.5})
    finish_run(db, run_id, RunStatus.COMPLETE, counts={"services": 3})
    run = get_run(db, run_id)
    assert run.status == "complete" and run.counts == {"services": 3}
    assert run.stages == [{"stage": "crawl", "seconds": 1.5}]
    assert last_complete_run(db, RunKind.CRAWL).id == run_id
    assert last_complete_run(db, RunKind.CRAWL, before=run_id) is None


def test_abandoned_runs_become_failed(db) -> None:
    run_id = start_run(db, RunKind.NIGHTLY)
    assert mark_abandoned_runs(db) == 1
    assert get_run(db, run_id).status == RunStatus.FAILED


def test_crash_mid_write_leaves_previous_state(db) -> None:
    run_id = start_run(db, RunKind.CRAWL)
    finish_run(db, run_id, RunStatus.COMPLETE, counts={"services": 1})
    with pytest.raises(RuntimeError):
        with db.atomic():
            db.execute("UPDATE runs SET status = 'failed' WHERE id = ?", [run_id])
            raise RuntimeError("process died here")
    assert get_run(db, run_id).status == RunStatus.COMPLETE


def test_foreign_keys_are_enforced(db) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        with db.atomic():
            db.execute(
                "INSERT INTO service_history (service_id, at, event) VALUES ('no-such-service', 'x', 'new')"
            )


def test_status_summary_of_empty_database(db) -> None:
    summary = status_summary(db)
    assert summary.runs == [] and summary.services_by_state == {} and summary.managers == 0
