"""What goes on content managers' worklists, and the lists already made.

The visibility rule (store/findings.py ``VISIBLE_FINDING``): a finding is on a worklist
when it is open or reopened, confirmed, and not dismissed for its current evidence. A dismissal
applies to the finding it was made on (not to other services with the same evidence)
and only while the finding's ``evidence_key`` is the one dismissed: when the evidence
changes (a different status code, verdict or final URL) the finding comes back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from sqlite_utils import Database

from localoffer_audit.store.db import from_json, inserted_id, to_json, utc_now
from localoffer_audit.store.findings import VISIBLE_FINDING

VISIBLE_STATUSES = ("open", "reopened")

_FINDING_COLUMNS = """
    f.id, f.service_id, f.rule, f.subject, f.severity, f.title, f.message, f.fix_hint,
    f.evidence_key, f.status, f.first_seen_at, f.last_seen_at, f.reopened_at, f.fixed_at,
    f.times_reopened, s.name AS service_name, s.url AS service_url, s.organisation,
    s.state AS service_state
"""


@dataclass(frozen=True, slots=True)
class FindingRow:
    id: int
    service_id: str
    rule: str
    subject: str
    severity: str
    title: str
    message: str
    fix_hint: str
    evidence_key: str | None
    status: str
    first_seen_at: str
    last_seen_at: str
    reopened_at: str | None
    fixed_at: str | None
    times_reopened: int
    service_name: str
    service_url: str
    organisation: str | None
    service_state: str


@dataclass(frozen=True, slots=True)
class PlaceRow:
    field: str
    element: str
    attribute: str
    anchor_text: str | None
    # The href as the entry writes it (the link's key is its canonical URL).
    href: str | None = None


@dataclass(frozen=True, slots=True)
class StoredWorklist:
    id: int
    manager_email: str
    created_at: str
    finding_ids: list[int]
    content_hash: str


def _finding(row: dict[str, Any]) -> FindingRow:
    return FindingRow(**{f.name: row[f.name] for f in fields(FindingRow)})


def visible_findings(db: Database) -> list[FindingRow]:
    """Every finding that belongs on a worklist now (see the module doc)."""
    rows = db.query(
        f"SELECT {_FINDING_COLUMNS} FROM findings f JOIN services s ON s.id = f.service_id "
        f"WHERE {VISIBLE_FINDING} ORDER BY f.id"
    )
    return [_finding(row) for row in rows]


def findings_by_ids(db: Database, ids: Iterable[int]) -> list[FindingRow]:
    """Findings by id whatever their state (for "fixed since your last list")."""
    rows = db.query(
        f"SELECT {_FINDING_COLUMNS} FROM findings f JOIN services s ON s.id = f.service_id "
        "WHERE f.id IN (SELECT value FROM json_each(?)) ORDER BY f.id",
        [to_json(sorted(set(ids)))],
    )
    return [_finding(row) for row in rows]


def places_of_visible_links(db: Database) -> dict[tuple[str, str], list[PlaceRow]]:
    """(service id, URL) -> where that link sits in the entry, for visible link findings."""
    rows = db.query(
        f"""
        SELECT DISTINCT lp.service_id, lp.url, lp.field, lp.element, lp.attribute, lp.anchor_text, lp.href
        FROM link_places lp
        JOIN findings f ON f.service_id = lp.service_id AND f.subject = lp.url
        WHERE f.rule LIKE 'link\\_%' ESCAPE '\\' AND {VISIBLE_FINDING}
        ORDER BY lp.service_id, lp.url, lp.field, lp.anchor_text
        """
    )
    places: dict[tuple[str, str], list[PlaceRow]] = {}
    for row in rows:
        places.setdefault((row["service_id"], row["url"]), []).append(
            PlaceRow(row["field"], row["element"], row["attribute"], row["anchor_text"], row["href"])
        )
    return places


def latest_worklists(db: Database, *, exclude_run_id: int | None = None) -> dict[str, StoredWorklist]:
    """Each manager's most recent recorded worklist (leaving out those recorded by run
    ``exclude_run_id``: a nightly's email stage compares with the lists before tonight's)."""
    rows = db.query(
        """
        SELECT w.* FROM worklists w
        JOIN (SELECT manager_email, MAX(id) AS id FROM worklists
              WHERE run_id IS NULL OR run_id != COALESCE(?, -1) GROUP BY manager_email) latest
          ON latest.id = w.id
        """,
        [exclude_run_id],
    )
    return {
        row["manager_email"]: StoredWorklist(
            id=row["id"],
            manager_email=row["manager_email"],
            created_at=row["created_at"],
            finding_ids=from_json(row["finding_ids"], []),
            content_hash=row["content_hash"],
        )
        for row in rows
    }


def record_worklist(
    db: Database, manager_email: str, finding_ids: list[int], content_hash: str, run_id: int | None = None
) -> int:
    with db.atomic():
        table = db.table("worklists")
        table.insert(
            {
                "manager_email": manager_email,
                "run_id": run_id,
                "created_at": utc_now(),
                "finding_ids": to_json(sorted(finding_ids)),
                "content_hash": content_hash,
            }
        )
        return inserted_id(table)


def manager_names(db: Database) -> dict[str, str]:
    """Names of managers known to the store (for lists of managers who no longer own anything)."""
    return {row["email"]: row["name"] for row in db.query("SELECT email, name FROM managers")}
