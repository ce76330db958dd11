"""The history of one link or one service: "since when has this been broken, and who was told?"

For a link: every check of it (date, verdict, status, error, confirmed), then every
finding about it with its lifecycle. For a service: its record, then every finding with
its lifecycle. A lifecycle is the finding's events (opened, fixed, reopened, dismissed,
with their notes), the first worklist of each manager that listed it, and every email
that listed it and was sent, merged in date order.

The same history is printed by ``localoffer-audit history`` and written as HTML pages
(one per service with findings, one per link a finding is about, and an index) next to
the worklists, which link each service card to its page.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from localoffer_audit.config import Config
from localoffer_audit.errors import AuditError
from localoffer_audit.outputs.labels import verdict_label
from localoffer_audit.outputs.templates import render
from localoffer_audit.parsing.urls import canonical_link_url
from localoffer_audit.store.history import (
    Told,
    finding_events,
    findings_about_link,
    findings_of_service,
    findings_of_services,
    link_checks,
    service_record,
    services_linking,
    services_with_findings,
    who_was_told,
)

# The folder, inside the worklists folder, that holds the history pages.
HISTORY_FOLDER = "history"

_TOLD_WORDING = {"emailed": "emailed", "escalation": "listed in the escalation digest", "worklist": "on the worklist"}
_EVENT_WORDING = {
    "opened": "Found", "confirmed": "Confirmed", "fixed": "Fixed", "reopened": "Back again", "dismissed": "Dismissed",
    "evidence_changed": "Evidence changed", "dismissal_lapsed": "Dismissal lapsed",
    "folded": "Now part of another problem on this entry", "unfolded": "Listed on its own again",
    "switched_off": "Closed: its check was switched off in the config",
    "switched_on": "Listed again: its check was switched back on",
    _TOLD_WORDING["emailed"]: "Emailed",
    _TOLD_WORDING["escalation"]: "In the escalation digest", _TOLD_WORDING["worklist"]: "On the worklist",
}


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
    ids = [f["id"] for f in findings]
    events = finding_events(db, ids)
    told = who_was_told(db, ids)
    return [_one_history(f, events.get(f["id"], []), told.get(f["id"], [])) for f in findings]


def _one_history(finding: dict[str, Any], events: list[dict[str, Any]], told: list[Told]) -> FindingHistory:
    merged = [(row["at"], row["event"], row["note"] or "") for row in events]
    merged += [(item.at, _TOLD_WORDING[item.how], f"to {item.who}") for item in told]
    merged.sort(key=lambda event: event[0] or "")
    return FindingHistory(finding, merged)


def link_history(db: Database, url: str) -> History:
    checks = link_checks(db, [url]).get(url, [])
    findings = findings_about_link(db, url)
    services = services_linking(db, url)
    if not checks and not findings and not services:
        raise AuditError(f"no link {url} in this database (give the URL exactly as the fix list shows it)")
    return History("link", url, checks=checks, services=services, findings=_finding_histories(db, findings))


def service_history(db: Database, service_id: str) -> History:
    record = service_record(db, service_id)
    if record is None:
        raise AuditError(f"no service with id {service_id} in this database (`localoffer-audit findings` shows service ids)")
    return History("service", service_id, service=record, findings=_finding_histories(db, findings_of_service(db, service_id)))


def history_of(db: Database, what: str) -> History:
    what = what.strip()
    # Links are stored by their canonical key (scheme and host in lower case, default port
    # dropped), so "HTTPS://Example.org/x" as typed finds "https://example.org/x".
    return link_history(db, canonical_link_url(what)) if looks_like_url(what) else service_history(db, what)


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


# --- HTML pages -----------------------------------------------------------------------


def _stem(text: str) -> str:
    readable = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50] or "x"
    return f"{readable}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"


def service_page_name(service_id: str) -> str:
    """The file name of a service's history page (stable, safe whatever the id holds)."""
    return f"service-{_stem(service_id)}.html"


def link_page_name(url: str) -> str:
    return f"link-{_stem(url.split('://', 1)[-1])}.html"


@dataclass(slots=True)
class CheckSpan:
    """Consecutive checks with the same outcome, shown as one row ("2 Dec to 30 Dec, 29 checks")."""

    first: str
    last: str
    verdict: str
    status_code: int | None
    why: str
    confirmed: bool
    count: int
    final_url: str | None


def check_spans(checks: list[dict[str, Any]]) -> list[CheckSpan]:
    spans: list[CheckSpan] = []
    for check in checks:
        why = check.get("error") or check.get("detail") or ""
        if why == f"HTTP {check.get('status_code')}":
            why = ""  # the status column says it already
        key = (check["verdict"], check.get("status_code"), why, bool(check.get("confirmed")), check.get("final_url"))
        last = spans[-1] if spans else None
        if last is not None and (last.verdict, last.status_code, last.why, last.confirmed, last.final_url) == key:
            last.last, last.count = check["checked_at"], last.count + 1
        else:
            spans.append(CheckSpan(check["checked_at"], check["checked_at"], check["verdict"], check.get("status_code"),
                                   why, bool(check.get("confirmed")), 1, check.get("final_url")))
    return spans


def _page_context(
    history: History, checks_by_url: dict[str, list[dict[str, Any]]], config: Config, service_pages: dict[str, str]
) -> dict[str, Any]:
    findings = []
    for item in history.findings:
        f = item.finding
        is_link = str(f["rule"]).startswith("link_")
        findings.append({
            "id": f["id"], "title": f["title"], "message": f["message"], "severity": f["severity"],
            "status": f["status"], "subject": f["subject"], "is_link": is_link,
            "since": f["reopened_at"] if f["status"] == "reopened" and f["reopened_at"] else f["first_seen_at"],
            "link_page": link_page_name(f["subject"]) if is_link else None,
            "service_name": f["service_name"], "service_id": f["service_id"],
            "service_page": service_page_name(f["service_id"]),
            "events": [(at, _EVENT_WORDING.get(event, event[:1].upper() + event[1:]), note)
                       for at, event, note in item.events],
            # First time each person was emailed about it, and whose worklists listed it.
            "emailed": list({note[3:]: at for at, event, note in reversed(item.events)
                             if event in (_TOLD_WORDING["emailed"], _TOLD_WORDING["escalation"])}.items())[::-1],
            "listed_for": list(dict.fromkeys(note[3:] for _, event, note in item.events
                                             if event == _TOLD_WORDING["worklist"])),
        })
    return {
        "history": history,
        "findings": findings,
        "spans": check_spans(history.checks) if history.kind == "link" else [],
        "link_spans": {url: check_spans(rows) for url, rows in checks_by_url.items()},
        "verdict_label": verdict_label,
        "linked_services": service_pages,
        "directory_name": config.directory.name,
        "generated_at": datetime.now(UTC).strftime("%-d %B %Y %H:%M UTC"),
    }


@dataclass(slots=True)
class HistoryPages:
    folder: Path
    services: int
    links: int

    @property
    def index(self) -> Path:
        return self.folder / "index.html"


def write_history_pages(db: Database, config: Config, folder: Path) -> HistoryPages:
    """A page for every service that has ever had a finding and every link a finding is
    about, plus ``index.html``. Pages of things that no longer have findings are left
    as they were (an old link's page still answers "who was told")."""
    folder.mkdir(parents=True, exist_ok=True)
    listed = services_with_findings(db)
    by_service = findings_of_services(db, [row["id"] for row in listed])
    all_findings = [f for rows in by_service.values() for f in rows]
    ids = [f["id"] for f in all_findings]
    events, told = finding_events(db, ids), who_was_told(db, ids)
    urls = sorted({f["subject"] for f in all_findings if str(f["rule"]).startswith("link_")})
    checks = link_checks(db, urls)
    template_context: dict[str, Any] = {"directory_name": config.directory.name}
    pages = {row["id"]: service_page_name(row["id"]) for row in listed}

    def histories(findings: list[dict[str, Any]]) -> list[FindingHistory]:
        return [_one_history(f, events.get(f["id"], []), told.get(f["id"], [])) for f in findings]

    for row in listed:
        service = service_record(db, row["id"])
        history = History("service", row["id"], service=service, findings=histories(by_service.get(row["id"], [])))
        own = {url: checks.get(url, []) for url in {f["subject"] for f in by_service.get(row["id"], [])} if url in checks}
        _write(folder / service_page_name(row["id"]), render("history.html", **_page_context(history, own, config, pages)))
    by_url: dict[str, list[dict[str, Any]]] = {}
    for f in all_findings:
        if str(f["rule"]).startswith("link_"):
            by_url.setdefault(f["subject"], []).append(f)
    for url in urls:
        history = History("link", url, checks=checks.get(url, []), services=services_linking(db, url),
                          findings=histories(by_url.get(url, [])))
        _write(folder / link_page_name(url), render("history.html", **_page_context(history, {}, config, pages)))
    rows = [dict(row, page=service_page_name(row["id"])) for row in listed]
    _write(folder / "index.html", render("history_index.html", services=rows, **template_context,
                                         generated_at=datetime.now(UTC).strftime("%-d %B %Y %H:%M UTC")))
    return HistoryPages(folder, len(listed), len(urls))


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
