"""The history of one link or one service: "since when has this been broken, and who was told?"

For a link: every check of it (date, verdict, status, error, confirmed), then every
finding about it with its lifecycle. For a service: its record, then every finding with
its lifecycle. A lifecycle is the finding's events (opened, fixed, reopened, dismissed,
with their notes) and every worklist email that listed it and was sent, merged in date
order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from localoffer_audit.errors import AuditError
from localoffer_audit.store.emails import SENT


@dataclass(slots=True)
class FindingHistory:
    finding: dict[str, Any]
    # (when, what, detail) in date order.
    events: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(slots=True)
class History:
    kind: str  # "link" or "service"
    key: str
    service: dict[str, Any] | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    findings: list[FindingHistory] = field(default_factory=list)


def looks_like_url(text: str) -> bool:
    return "://" in text or text.lower().startswith(("mailto:", "tel:"))


def _finding_histories(db: Database, findings: list[dict[str, Any]]) -> list[FindingHistory]:
    result = []
    for finding in findings:
        events = [
            (row["at"], row["event"], row["note"] or "")
            for row in db.query("SELECT at, event, note FROM finding_events WHERE finding_id = ? ORDER BY id", [finding["id"]])
        ]
        for row in db.query(
            "SELECT e.sent_at, e.manager_email, e.kind FROM emails e, json_each(e.finding_ids) j "
            "WHERE e.status = ? AND CAST(j.value AS INTEGER) = ? ORDER BY e.sent_at",
            [SENT, finding["id"]],
        ):
            what = "listed in the escalation digest" if row["kind"] == "escalation" else "emailed"
            events.append((row["sent_at"], what, f"to {row['manager_email']}"))
        events.sort(key=lambda event: event[0] or "")
        result.append(FindingHistory(finding, events))
    return result


def link_history(db: Database, url: str) -> History:
    checks = list(db.query(
        "SELECT checked_at, verdict, status_code, final_url, error, detail, attempts, confirmed FROM link_checks "
        "WHERE url = ? ORDER BY checked_at, id", [url]))
    findings = list(db.query(
        "SELECT f.*, s.name AS service_name FROM findings f JOIN services s ON s.id = f.service_id "
        "WHERE f.subject = ? ORDER BY f.id", [url]))
    services = list(db.query(
        "SELECT DISTINCT s.id, s.name, s.state FROM link_places p JOIN services s ON s.id = p.service_id "
        "WHERE p.url = ? ORDER BY s.name", [url]))
    if not checks and not findings and not services:
        raise AuditError(f"no link {url} in this database (give the URL exactly as the fix list shows it)")
    return History("link", url, checks=checks, services=services, findings=_finding_histories(db, findings))


def service_history(db: Database, service_id: str) -> History:
    rows = list(db.query("SELECT id, name, url, state, first_seen_at, last_seen_at FROM services WHERE id = ?", [service_id]))
    if not rows:
        raise AuditError(f"no service with id {service_id} in this database (`localoffer-audit findings` shows service ids)")
    findings = list(db.query(
        "SELECT f.*, s.name AS service_name FROM findings f JOIN services s ON s.id = f.service_id "
        "WHERE f.service_id = ? ORDER BY f.first_seen_at, f.id", [service_id]))
    return History("service", service_id, service=rows[0], findings=_finding_histories(db, findings))


def history_of(db: Database, what: str) -> History:
    what = what.strip()
    return link_history(db, what) if looks_like_url(what) else service_history(db, what)


def format_history(history: History) -> str:
    lines: list[str] = []
    if history.kind == "link":
        lines.append(f"Link {history.key}")
        if history.services:
            lines.append("  On: " + "; ".join(f"{s['name']} ({s['id']}, {s['state']})" for s in history.services))
        lines.append(f"Checks ({len(history.checks)}):")
        for check in history.checks:
            status = f" HTTP {check['status_code']}" if check["status_code"] else ""
            why = check["error"] or check["detail"] or ""
            confirmed = ", confirmed" if check["confirmed"] else ""
            lines.append(f"  {check['checked_at'][:16].replace('T', ' ')}  {check['verdict']}{status}{confirmed}"
                         + (f"  {why}" if why else ""))
        if not history.checks:
            lines.append("  never checked")
    else:
        service = history.service or {}
        lines.append(f"Service {service.get('name')} ({history.key}), {service.get('state')}: {service.get('url')}")
        lines.append(f"  In the directory from {str(service.get('first_seen_at'))[:10]} to {str(service.get('last_seen_at'))[:10]}")
    lines.append(f"Findings ({len(history.findings)}):")
    for item in history.findings:
        f = item.finding
        lines.append(f"  #{f['id']} {f['severity']} {f['title']} [{f['status']}] on {f['service_name']}: {f['subject']}")
        for at, event, note in item.events:
            lines.append(f"      {(at or '')[:16].replace('T', ' ')}  {event}" + (f"  {note}" if note else ""))
    if not history.findings:
        lines.append("  none")
    return "\n".join(lines)
