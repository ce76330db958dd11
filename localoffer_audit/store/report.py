"""Counts for the run summary and its trend: what is open, what changed in a run."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from localoffer_audit.store.db import from_json
from localoffer_audit.models import RunKind, RunStatus, Severity
from localoffer_audit.store.findings import VISIBLE_FINDING
from localoffer_audit.store.services import ADVICE_PAGE
from localoffer_audit.store.totals import links_by_verdict, totals


def _grouped(db: Database, sql: str, params: list[Any] | None = None) -> dict[str, int]:
    return {str(key): int(count) for key, count in db.execute(sql, params or []).fetchall()}


def count_snapshot(db: Database) -> dict[str, Any]:
    """The state after a run, stored with the nightly run so trends need no re-computation.
    ``totals`` are the figures every output prints (store/totals.py defines each)."""
    return {
        # Services by state, the information and advice pages apart (store/totals.py).
        "services": _grouped(db, f"SELECT s.state, COUNT(*) FROM services s WHERE NOT {ADVICE_PAGE.format(s='s')} GROUP BY 1"),
        "advice_pages": _grouped(db, f"SELECT s.state, COUNT(*) FROM services s WHERE {ADVICE_PAGE.format(s='s')} GROUP BY 1"),
        "links": links_by_verdict(db),
        "findings_by_severity": _grouped(db, f"SELECT f.severity, COUNT(*) FROM findings f WHERE {VISIBLE_FINDING} GROUP BY 1"),
        "findings_by_rule": _grouped(db, f"SELECT f.rule, COUNT(*) FROM findings f WHERE {VISIBLE_FINDING} GROUP BY 1"),
        "totals": totals(db).as_dict(),
    }


def new_findings_at_or_above(db: Database, findings_run_id: int, severity: Severity) -> int:
    """How many findings a findings run opened or reopened at or above ``severity``."""
    serious = [str(s) for s in Severity if s.rank <= severity.rank]
    placeholders = ", ".join("?" for _ in serious)
    row = db.execute(
        "SELECT COUNT(DISTINCT f.id) FROM finding_events e JOIN findings f ON f.id = e.finding_id "
        f"WHERE e.run_id = ? AND e.event IN ('opened', 'reopened') AND f.confirmed = 1 AND f.severity IN ({placeholders})",
        [findings_run_id, *serious],
    ).fetchone()
    return int(row[0])


def new_serious_since_last_report(db: Database, nightly_run_id: int, severity: Severity) -> int:
    """Findings at or above ``severity`` opened or reopened since the last nightly that
    reported to the team (finished with exit code 0 or 3), still open and confirmed.

    A night killed after its findings stage (or ended incomplete) told nobody: what it
    opened is still news for the next night that completes, so the alert is not lost.
    """
    serious = [str(s) for s in Severity if s.rank <= severity.rank]
    placeholders = ", ".join("?" for _ in serious)
    row = db.execute(
        # A complete night stored before exit codes were (exit_code NULL) reported too.
        "SELECT id FROM runs WHERE kind = ? AND id < ? AND (exit_code IN (0, 3) OR (exit_code IS NULL AND status = ?)) "
        "ORDER BY id DESC LIMIT 1",
        [str(RunKind.NIGHTLY), nightly_run_id, str(RunStatus.COMPLETE)],
    ).fetchone()
    # Everything the reported night's own stages did (its child runs) was in its report.
    after = 0
    if row is not None:
        after = db.execute("SELECT MAX(id) FROM runs WHERE id = ? OR parent_run_id = ?", [row[0], row[0]]).fetchone()[0]
    found = db.execute(
        "SELECT COUNT(DISTINCT f.id) FROM finding_events e JOIN findings f ON f.id = e.finding_id "
        f"WHERE e.run_id > ? AND e.event IN ('opened', 'reopened') AND {VISIBLE_FINDING} "
        f"AND f.severity IN ({placeholders})",
        [after, *serious],
    ).fetchone()
    return int(found[0])


def nightly_history(db: Database, limit: int = 60) -> list[dict[str, Any]]:
    """Finished nightly runs, oldest first, with their stored snapshots."""
    rows = db.query(
        "SELECT id, status, started_at, finished_at, counts, stages, note FROM runs "
        "WHERE kind = ? AND status != 'running' ORDER BY id DESC LIMIT ?",
        [str(RunKind.NIGHTLY), limit],
    )
    history = []
    for row in rows:
        counts = from_json(row["counts"], {})
        history.append(
            {
                "id": row["id"],
                "status": row["status"],
                "started_at": row["started_at"],
                "finished_at": row["finished_at"],
                "snapshot": counts.get("snapshot", {}),
                "stages": from_json(row["stages"], []),
                "note": row["note"],
            }
        )
    return list(reversed(history))


def finding_changes_in_run(db: Database, findings_run_id: int) -> dict[str, list[dict[str, Any]]]:
    """Findings a findings run opened, reopened or fixed, with their service."""
    rows = db.query(
        "SELECT e.event, f.id, f.rule, f.severity, f.subject, f.title, s.id AS service_id, s.name AS service_name, "
        "s.url AS service_url FROM finding_events e JOIN findings f ON f.id = e.finding_id "
        "JOIN services s ON s.id = f.service_id WHERE e.run_id = ? AND e.event IN ('opened', 'reopened', 'fixed') "
        "AND f.confirmed = 1 ORDER BY e.event, CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 "
        "WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, s.name",
        [findings_run_id],
    )
    changes: dict[str, list[dict[str, Any]]] = {"opened": [], "reopened": [], "fixed": []}
    for row in rows:
        changes[row.pop("event")].append(row)
    return changes


def visible_findings_with_services(db: Database) -> list[dict[str, Any]]:
    """Open confirmed findings with the service fields the report groups by."""
    return list(
        db.query(
            "SELECT f.id, f.rule, f.severity, f.service_id, s.organisation, s.categories "
            f"FROM findings f JOIN services s ON s.id = f.service_id WHERE {VISIBLE_FINDING}"
        )
    )
