"""What the database holds, for `localoffer-audit status`."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from localoffer_audit.store.runs import Run, recent_runs


@dataclass(slots=True)
class StatusSummary:
    runs: list[Run]
    services_by_state: dict[str, int] = field(default_factory=dict)
    links_by_verdict: dict[str, int] = field(default_factory=dict)
    open_findings_by_severity: dict[str, int] = field(default_factory=dict)
    managers: int = 0
    qa_samples: int = 0
    emails_by_status: dict[str, int] = field(default_factory=dict)


def _grouped(db: Database, sql: str) -> dict[str, int]:
    return {str(key): int(count) for key, count in db.execute(sql).fetchall()}


def status_summary(db: Database, run_limit: int = 5) -> StatusSummary:
    return StatusSummary(
        runs=recent_runs(db, run_limit),
        services_by_state=_grouped(db, "SELECT state, COUNT(*) FROM services GROUP BY state ORDER BY state"),
        links_by_verdict=_grouped(
            db, "SELECT COALESCE(verdict, 'unchecked'), COUNT(*) FROM links GROUP BY 1 ORDER BY 2 DESC"
        ),
        open_findings_by_severity=_grouped(
            db,
            "SELECT severity, COUNT(*) FROM findings WHERE status IN ('open', 'reopened') AND confirmed = 1 "
            "GROUP BY severity ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 "
            "WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END",
        ),
        managers=db.execute("SELECT COUNT(*) FROM managers").fetchone()[0],
        qa_samples=db.execute("SELECT COUNT(*) FROM qa_samples").fetchone()[0],
        emails_by_status=_grouped(db, "SELECT status, COUNT(*) FROM emails GROUP BY status ORDER BY status"),
    )
