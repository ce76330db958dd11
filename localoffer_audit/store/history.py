"""What the store remembers about one link or one service, read in bulk.

The history of a thing is its checks (link_checks), its findings and each finding's
events (finding_events), the emails that listed a finding (emails.finding_ids) and the
worklists that listed it (worklists.finding_ids). The last two hold ids in JSON: they
are read once per call and indexed here, so writing a page for every service costs a
handful of queries, not a scan of the email log per finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from localoffer_audit.store.db import from_json, to_json
from localoffer_audit.store.emails import SENT


@dataclass(frozen=True, slots=True)
class Told:
    """Somebody was shown a finding: in an email sent to them, or on their worklist."""

    at: str
    how: str  # "worklist" (first on a recorded list), "emailed" or "escalation"
    who: str


def link_checks(db: Database, urls: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Every check of each URL, oldest first."""
    found: dict[str, list[dict[str, Any]]] = {}
    for row in db.query(
        "SELECT url, checked_at, verdict, status_code, final_url, error, detail, attempts, confirmed "
        "FROM link_checks WHERE url IN (SELECT value FROM json_each(?)) ORDER BY url, checked_at, id",
        [to_json(sorted(set(urls)))],
    ):
        found.setdefault(row.pop("url"), []).append(row)
    return found


def services_linking(db: Database, url: str) -> list[dict[str, Any]]:
    return list(db.query(
        "SELECT DISTINCT s.id, s.name, s.state, s.url FROM link_places p JOIN services s ON s.id = p.service_id "
        "WHERE p.url = ? ORDER BY s.name, s.id", [url]))


def service_record(db: Database, service_id: str) -> dict[str, Any] | None:
    rows = list(db.query(
        "SELECT id, name, url, organisation, state, first_seen_at, last_seen_at, removed_at FROM services WHERE id = ?",
        [service_id]))
    return rows[0] if rows else None


_FINDING_SELECT = "SELECT f.*, s.name AS service_name, s.url AS service_url FROM findings f JOIN services s ON s.id = f.service_id"


def findings_about_link(db: Database, url: str) -> list[dict[str, Any]]:
    return list(db.query(f"{_FINDING_SELECT} WHERE f.subject = ? ORDER BY f.id", [url]))


def findings_of_service(db: Database, service_id: str) -> list[dict[str, Any]]:
    return list(db.query(f"{_FINDING_SELECT} WHERE f.service_id = ? ORDER BY f.first_seen_at, f.id", [service_id]))


def findings_of_services(db: Database, service_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for row in db.query(
        f"{_FINDING_SELECT} WHERE f.service_id IN (SELECT value FROM json_each(?)) ORDER BY f.first_seen_at, f.id",
        [to_json(sorted(set(service_ids)))],
    ):
        found.setdefault(row["service_id"], []).append(row)
    return found


def services_with_findings(db: Database) -> list[dict[str, Any]]:
    """Every service that has ever had a finding, with how many are visible now."""
    from localoffer_audit.store.findings import VISIBLE_FINDING

    return list(db.query(
        f"SELECT s.id, s.name, s.state, COUNT(f.id) AS findings, SUM(CASE WHEN {VISIBLE_FINDING} THEN 1 ELSE 0 END) "
        "AS open FROM services s JOIN findings f ON f.service_id = s.id GROUP BY s.id ORDER BY s.name, s.id"))


def finding_events(db: Database, finding_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for row in db.query(
        "SELECT finding_id, at, event, note, run_id FROM finding_events "
        "WHERE finding_id IN (SELECT value FROM json_each(?)) ORDER BY finding_id, id",
        [to_json(sorted(set(finding_ids)))],
    ):
        found.setdefault(row.pop("finding_id"), []).append(row)
    return found


def who_was_told(db: Database, finding_ids: Iterable[int]) -> dict[int, list[Told]]:
    """For each finding: every sent email that listed it, and the first recorded worklist
    of each manager that listed it (a list written every night is one event, not 365)."""
    wanted = set(finding_ids)
    told: dict[int, list[Told]] = {}
    for row in db.query(
        "SELECT sent_at, created_at, manager_email, kind, finding_ids FROM emails WHERE status = ? ORDER BY id", [SENT]
    ):
        how = "escalation" if row["kind"] == "escalation" else "emailed"
        for fid in from_json(row["finding_ids"], []):
            if fid in wanted:
                told.setdefault(fid, []).append(Told(row["sent_at"] or row["created_at"], how, row["manager_email"]))
    seen: set[tuple[int, str]] = set()
    for row in db.query("SELECT created_at, manager_email, finding_ids FROM worklists ORDER BY id"):
        for fid in from_json(row["finding_ids"], []):
            if fid in wanted and (fid, row["manager_email"]) not in seen:
                seen.add((fid, row["manager_email"]))
                told.setdefault(fid, []).append(Told(row["created_at"], "worklist", row["manager_email"]))
    return told
