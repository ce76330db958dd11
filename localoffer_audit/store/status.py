"""What the database holds, for `localoffer-audit status`."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from localoffer_audit.store.runs import Run, recent_runs
from localoffer_audit.store.services import ADVICE_PAGE
from localoffer_audit.store.totals import links_by_verdict, open_problems_by_severity, totals


@dataclass(slots=True)
class StatusSummary:
    runs: list[Run]
    services_by_state: dict[str, int] = field(default_factory=dict)
    # The directory's information and advice pages, counted apart from its services.
    advice_pages_by_state: dict[str, int] = field(default_factory=dict)
    links_by_verdict: dict[str, int] = field(default_factory=dict)
    open_findings_by_severity: dict[str, int] = field(default_factory=dict)
    managers: int = 0
    qa_samples: int = 0
    emails_by_status: dict[str, int] = field(default_factory=dict)


def _grouped(db: Database, sql: str) -> dict[str, int]:
    return {str(key): int(count) for key, count in db.execute(sql).fetchall()}


_BY_STATE = "SELECT s.state, COUNT(*) FROM services s WHERE {kind} GROUP BY s.state ORDER BY s.state"


def status_summary(db: Database, run_limit: int = 5) -> StatusSummary:
    # Links, open findings and managers are the totals every output prints (store/totals.py).
    return StatusSummary(
        runs=recent_runs(db, run_limit),
        services_by_state=_grouped(db, _BY_STATE.format(kind=f"NOT {ADVICE_PAGE.format(s='s')}")),
        advice_pages_by_state=_grouped(db, _BY_STATE.format(kind=ADVICE_PAGE.format(s="s"))),
        links_by_verdict=links_by_verdict(db),
        open_findings_by_severity=open_problems_by_severity(db),
        managers=totals(db).managers_mapped,
        qa_samples=db.execute("SELECT COUNT(*) FROM qa_samples").fetchone()[0],
        emails_by_status=_grouped(db, "SELECT status, COUNT(*) FROM emails GROUP BY status ORDER BY status"),
    )
