"""Run records: one row per run of a stage (or of the whole nightly job)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from localoffer_audit.store.db import from_json, inserted_id, to_json, utc_now
from localoffer_audit.models import RunKind, RunStatus, StageResult
from localoffer_audit.redact import mask_credentials, mask_value


@dataclass(slots=True)
class Run:
    id: int
    kind: str
    status: str
    started_at: str
    finished_at: str | None
    platform: str | None
    parent_run_id: int | None
    counts: dict[str, Any] = field(default_factory=dict)
    # The stored rows, as recorded (``stage_results()`` reads them as StageResult).
    stages: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    def stage_results(self) -> list[StageResult]:
        """The stages of a nightly run; a run of a stage on its own (`crawl`, `check`,
        `content`) is its one stage, with its outcome and note (not timed)."""
        if self.kind == RunKind.NIGHTLY:
            return [StageResult.from_record(stage) for stage in self.stages]
        return [StageResult.from_record({"stage": self.kind, "status": self.status, "run_id": self.id,
                                         "counts": self.counts, "message": self.note})]


def _run_from_row(row: dict[str, Any]) -> Run:
    return Run(
        id=row["id"],
        kind=row["kind"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        platform=row["platform"],
        parent_run_id=row["parent_run_id"],
        counts=from_json(row["counts"], {}),
        stages=from_json(row["stages"], []),
        note=row["note"],
    )


def start_run(
    db: Database, kind: RunKind, *, platform: str | None = None, parent_run_id: int | None = None
) -> int:
    with db.atomic():
        table = db.table("runs")
        table.insert(
            {
                "kind": str(kind),
                "status": str(RunStatus.RUNNING),
                "started_at": utc_now(),
                "platform": platform,
                "parent_run_id": parent_run_id,
                "counts": "{}",
                "stages": "[]",
            }
        )
        return inserted_id(table)


def finish_run(
    db: Database,
    run_id: int,
    status: RunStatus,
    *,
    counts: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    with db.atomic():
        updates: dict[str, Any] = {"status": str(status), "finished_at": utc_now()}
        if counts is not None:
            updates["counts"] = to_json(mask_value(counts))
        if note is not None:
            updates["note"] = mask_credentials(note)  # an error message may quote a URL with a password
        db["runs"].update(run_id, updates)  # type: ignore[union-attr]


def record_stage(db: Database, run_id: int, stage: StageResult | dict[str, Any]) -> None:
    """Append one stage's timing and counts to a run (nightly runs have several)."""
    if isinstance(stage, StageResult):
        stage = stage.as_record()
    with db.atomic():
        row = db.execute("SELECT stages FROM runs WHERE id = ?", [run_id]).fetchone()
        stages = from_json(row[0], []) if row else []
        stages.append(mask_value(stage))
        db.execute("UPDATE runs SET stages = ? WHERE id = ?", [to_json(stages), run_id])


def get_run(db: Database, run_id: int) -> Run | None:
    rows = list(db.query("SELECT * FROM runs WHERE id = ?", [run_id]))
    return _run_from_row(rows[0]) if rows else None


def recent_runs(db: Database, limit: int = 10, kind: RunKind | None = None) -> list[Run]:
    if kind is None:
        rows = db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [limit])
    else:
        rows = db.query("SELECT * FROM runs WHERE kind = ? ORDER BY id DESC LIMIT ?", [str(kind), limit])
    return [_run_from_row(row) for row in rows]


def last_complete_run(db: Database, kind: RunKind, *, before: int | None = None) -> Run | None:
    sql = "SELECT * FROM runs WHERE kind = ? AND status = ?"
    params: list[Any] = [str(kind), str(RunStatus.COMPLETE)]
    if before is not None:
        sql += " AND id < ?"
        params.append(before)
    rows = list(db.query(sql + " ORDER BY id DESC LIMIT 1", params))
    return _run_from_row(rows[0]) if rows else None


def mark_abandoned_runs(db: Database) -> int:
    """Runs left 'running' by a killed process become 'failed' (call under the run lock)."""
    with db.atomic():
        cursor = db.execute(
            "UPDATE runs SET status = ?, finished_at = ?, note = COALESCE(note, 'process ended before the run finished') "
            "WHERE status = ?",
            [str(RunStatus.FAILED), utc_now(), str(RunStatus.RUNNING)],
        )
        return cursor.rowcount


def record_exit(db: Database, run_id: int, exit_code: int, *, alerted: bool) -> None:
    """What a finished nightly told the team: its exit code, and when it alerted (exit 3).
    The next night counts its news from the last night that reported (0 or 3)."""
    with db.atomic():
        db.execute("UPDATE runs SET exit_code = ?, alerted_at = ? WHERE id = ?",
                   [exit_code, utc_now() if alerted else None, run_id])
