"""Findings as stored: their lifecycle rows, events, dismissals, and listings.

The visibility rule (``VISIBLE_FINDING``, the one definition, used by store/worklists.py
and store/report.py too): a finding is on a worklist when its status is open or
reopened, it is confirmed, and no active dismissal of that finding carries the finding's
current ``evidence_key``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from localoffer_audit.store.db import from_json, inserted_id, to_json, utc_now
from localoffer_audit.models import LinkVerdict, RunKind, RunStatus

log = logging.getLogger(__name__)

OPEN_STATUSES = ("open", "reopened")

# SQL conditions over a ``findings`` row aliased ``f``.
# Dismissed: an active dismissal made on the finding's current evidence (a dismissal of
# earlier evidence does not hide the finding).
DISMISSED_FINDING = """
    EXISTS (SELECT 1 FROM dismissals d
            WHERE d.active = 1 AND d.finding_id = f.id AND d.evidence_key IS f.evidence_key)
"""
# Visible: what worklists, emails, reports and the default listing show.
VISIBLE_FINDING = f"(f.status IN ('open', 'reopened') AND f.confirmed = 1 AND NOT {DISMISSED_FINDING})"


@dataclass(slots=True)
class ServiceRef:
    id: str
    url: str
    name: str
    organisation: str | None
    state: str
    http_status: int | None
    removed_at: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    # Complete crawls in a row that found the page 404/410, and whether it was read live
    # before that (its stored content is then the entry's last known one).
    missing_crawls: int = 0
    read_before_missing: bool = False


@dataclass(slots=True)
class LinkObservation:
    """One outbound link of one live service, with the link checker's latest verdict."""

    service_id: str
    url: str
    verdict: str | None
    status_code: int | None
    final_url: str | None
    confirmed: bool
    last_checked_at: str | None
    error: str | None
    detail: str | None
    places: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class StoredFinding:
    id: int
    service_id: str
    rule: str
    subject: str
    severity: str
    status: str
    evidence_key: str | None


@dataclass(slots=True)
class FindingRow:
    """A finding as listed and exported (docs/findings-export.md)."""

    id: int
    service_id: str
    service_url: str
    service_name: str
    organisation: str | None
    rule: str
    severity: str
    subject: str
    title: str
    detail: str
    fix_hint: str
    status: str
    confirmed: bool
    dismissed: bool
    first_seen_at: str
    last_seen_at: str
    fixed_at: str | None
    reopened_at: str | None
    times_reopened: int
    evidence_key: str | None
    evidence: dict[str, Any] = field(default_factory=dict)


# --- reading what the findings are made from ----------------------------------------


def service_index(db: Database) -> dict[str, ServiceRef]:
    """Every service ever seen, by id, with its state."""
    rows = db.query(
        "SELECT id, url, name, organisation, state, http_status, removed_at, extra, missing_crawls, "
        "status_before_missing FROM services ORDER BY id"
    )
    return {
        row["id"]: ServiceRef(
            id=row["id"], url=row["url"], name=row["name"], organisation=row["organisation"], state=row["state"],
            http_status=row["http_status"], removed_at=row["removed_at"], extra=from_json(row["extra"], {}),
            missing_crawls=row["missing_crawls"], read_before_missing=row["status_before_missing"] is not None,
        )
        for row in rows
    }


def link_observations(db: Database) -> list[LinkObservation]:
    """Every checked (service, URL) pair of live services, places grouped."""
    rows = db.query(
        """
        SELECT lp.service_id, lp.url, lp.field, lp.element, lp.attribute, lp.anchor_text,
               l.verdict, l.status_code, l.final_url, l.confirmed, l.last_checked_at,
               lc.error, lc.detail
        FROM link_places lp
        JOIN services s ON s.id = lp.service_id AND s.state = 'live'
        JOIN links l ON l.url = lp.url
        LEFT JOIN link_checks lc ON lc.id = l.last_check_id
        WHERE l.verdict IS NOT NULL
        ORDER BY lp.service_id, lp.url, lp.id
        """
    )
    found: dict[tuple[str, str], LinkObservation] = {}
    unknown: set[str] = set()
    for row in rows:
        key = (row["service_id"], row["url"])
        observation = found.get(key)
        if observation is None:
            if LinkVerdict.parse(row["verdict"]) is None and key[1] not in unknown:
                # Written by a newer version, or damaged: every rule leaves it out (LinkVerdict.parse).
                unknown.add(key[1])
                log.warning("link %s has a stored verdict %r this version does not know; no finding is made "
                            "from it", row["url"], row["verdict"])
            observation = found[key] = LinkObservation(
                service_id=row["service_id"], url=row["url"], verdict=row["verdict"],
                status_code=row["status_code"], final_url=row["final_url"], confirmed=bool(row["confirmed"]),
                last_checked_at=row["last_checked_at"], error=row["error"], detail=row["detail"],
            )
        place = {"field": row["field"], "element": row["element"], "attribute": row["attribute"],
                 "anchor_text": row["anchor_text"]}
        if place not in observation.places:
            observation.places.append(place)
    return list(found.values())


def latest_crawl_status(db: Database) -> str | None:
    row = db.execute(
        "SELECT status FROM runs WHERE kind = ? AND status != ? ORDER BY id DESC LIMIT 1",
        [str(RunKind.CRAWL), str(RunStatus.RUNNING)],
    ).fetchone()
    return row[0] if row else None


# --- the lifecycle ------------------------------------------------------------------


def stored_findings(db: Database) -> dict[tuple[str, str, str], StoredFinding]:
    rows = db.query("SELECT id, service_id, rule, subject, severity, status, evidence_key FROM findings")
    return {
        (row["service_id"], row["rule"], row["subject"]): StoredFinding(
            id=row["id"], service_id=row["service_id"], rule=row["rule"], subject=row["subject"],
            severity=row["severity"], status=row["status"], evidence_key=row["evidence_key"],
        )
        for row in rows
    }


def insert_finding(db: Database, values: dict[str, Any]) -> int:
    columns = list(values)
    cursor = db.execute(
        f"INSERT INTO findings ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [values[c] for c in columns],
    )
    return int(cursor.lastrowid)  # type: ignore[arg-type]


def update_finding(db: Database, finding_id: int, values: dict[str, Any]) -> None:
    update_findings(db, [(finding_id, values)])


def update_findings(db: Database, updates: list[tuple[int, dict[str, Any]]]) -> None:
    """Many updates at once; rows with the same set of columns share one statement."""
    groups: dict[tuple[str, ...], list[list[Any]]] = {}
    for finding_id, values in updates:
        columns = tuple(values)
        groups.setdefault(columns, []).append([values[c] for c in columns] + [finding_id])
    for columns, params in groups.items():
        assignments = ", ".join(f"{column} = ?" for column in columns)
        db.conn.executemany(f"UPDATE findings SET {assignments} WHERE id = ?", params)


def increment_reopened(db: Database, finding_ids: Iterable[int]) -> None:
    """Count one more reopening for each finding (``times_reopened``)."""
    db.conn.executemany(
        "UPDATE findings SET times_reopened = times_reopened + 1 WHERE id = ?", [(i,) for i in finding_ids]
    )


def add_events(db: Database, events: Iterable[dict[str, Any]]) -> None:
    db.conn.executemany(
        "INSERT INTO finding_events (finding_id, run_id, at, event, note) VALUES (?, ?, ?, ?, ?)",
        [(e["finding_id"], e["run_id"], e["at"], e["event"], e.get("note")) for e in events],
    )


def deactivate_dismissals(db: Database, finding_id: int, current_evidence_key: str | None) -> int:
    """Dismissals of an earlier evidence lapse: the finding is back on worklists."""
    cursor = db.execute(
        "UPDATE dismissals SET active = 0 WHERE finding_id = ? AND active = 1 AND evidence_key IS NOT ?",
        [finding_id, current_evidence_key],
    )
    return cursor.rowcount


def open_counts_by_severity(db: Database) -> dict[str, int]:
    rows = db.execute(
        "SELECT severity, COUNT(*) FROM findings WHERE status IN ('open', 'reopened') AND confirmed = 1 "
        "GROUP BY severity"
    ).fetchall()
    return {str(severity): int(count) for severity, count in rows}


# --- listing ------------------------------------------------------------------------


def _row(row: dict[str, Any]) -> FindingRow:
    return FindingRow(
        id=row["id"], service_id=row["service_id"], service_url=row["service_url"] or "",
        service_name=row["service_name"] or "", organisation=row["organisation"], rule=row["rule"],
        severity=row["severity"], subject=row["subject"], title=row["title"], detail=row["message"],
        fix_hint=row["fix_hint"], status=row["status"], confirmed=bool(row["confirmed"]),
        dismissed=bool(row["dismissed"]), first_seen_at=row["first_seen_at"], last_seen_at=row["last_seen_at"],
        fixed_at=row["fixed_at"], reopened_at=row["reopened_at"], times_reopened=row["times_reopened"],
        evidence_key=row["evidence_key"], evidence=from_json(row["evidence"], {}),
    )


_SEVERITY_ORDER = "CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END"


def open_findings(
    db: Database,
    *,
    rule: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    service_id: str | None = None,
    include_dismissed: bool = False,
) -> list[FindingRow]:
    """Findings for listing and export: open and reopened unless ``status`` says otherwise
    (a FindingStatus value or "all"); most serious, then oldest, first.

    Unconfirmed findings are listed too (``confirmed`` says which); dismissed findings
    only with ``include_dismissed``.
    """
    where = []
    params: list[Any] = []
    if not status:
        where.append("f.status IN ('open', 'reopened')")
    elif status != "all":
        where.append("f.status = ?")
        params.append(status)
    if rule:
        where.append("f.rule = ?")
        params.append(rule)
    if severity:
        where.append("f.severity = ?")
        params.append(severity)
    if service_id:
        where.append("f.service_id = ?")
        params.append(service_id)
    if not include_dismissed:
        where.append(f"NOT {DISMISSED_FINDING}")
    sql = f"""
        SELECT f.*, s.url AS service_url, s.name AS service_name, s.organisation,
               {DISMISSED_FINDING} AS dismissed
        FROM findings f LEFT JOIN services s ON s.id = f.service_id
        {"WHERE " + " AND ".join(where) if where else ""}
        ORDER BY {_SEVERITY_ORDER}, f.first_seen_at, f.id
    """
    return [_row(row) for row in db.query(sql, params)]


def get_finding(db: Database, finding_id: int) -> FindingRow | None:
    rows = list(db.query(
        f"""SELECT f.*, s.url AS service_url, s.name AS service_name, s.organisation, {DISMISSED_FINDING} AS dismissed
            FROM findings f LEFT JOIN services s ON s.id = f.service_id WHERE f.id = ?""",
        [finding_id],
    ))
    return _row(rows[0]) if rows else None


def finding_ids_present(db: Database, ids: Iterable[int]) -> set[int]:
    rows = db.execute(
        "SELECT id FROM findings WHERE id IN (SELECT value FROM json_each(?))", [to_json(sorted(set(ids)))]
    ).fetchall()
    return {int(row[0]) for row in rows}


def evidence_keys(db: Database, ids: Iterable[int]) -> dict[int, str | None]:
    rows = db.execute(
        "SELECT id, evidence_key FROM findings WHERE id IN (SELECT value FROM json_each(?))",
        [to_json(sorted(set(ids)))],
    ).fetchall()
    return {int(row[0]): row[1] for row in rows}


def insert_dismissals(db: Database, dismissals: list[dict[str, Any]], run_id: int | None = None) -> list[int]:
    """Store dismissals (each already carrying its finding's evidence_key) with an event each.

    An earlier active dismissal of the same finding is replaced, so each finding has at
    most one active dismissal.
    """
    ids = []
    now = utc_now()
    with db.atomic():
        for dismissal in dismissals:
            db.execute("UPDATE dismissals SET active = 0 WHERE finding_id = ? AND active = 1", [dismissal["finding_id"]])
            table = db.table("dismissals")
            table.insert({**dismissal, "at": dismissal.get("at") or now, "active": 1})
            ids.append(inserted_id(table))
            db.table("finding_events").insert({
                "finding_id": dismissal["finding_id"], "run_id": run_id, "at": now, "event": "dismissed",
                "note": f"{dismissal['kind']} by {dismissal['dismissed_by']}: {dismissal['reason']}",
            })
    return ids


@dataclass(slots=True)
class DismissalCount:
    rule: str
    kind: str
    active: int
    lapsed: int


@dataclass(slots=True)
class DismissalRecord:
    id: int
    finding_id: int
    service_id: str
    rule: str
    subject: str
    kind: str
    reason: str
    dismissed_by: str
    at: str
    active: bool


def dismissal_counts(db: Database) -> list[DismissalCount]:
    rows = db.query(
        """
        SELECT f.rule, d.kind,
               COUNT(DISTINCT CASE WHEN d.active THEN d.finding_id END) AS active,
               COUNT(DISTINCT CASE WHEN NOT d.active AND NOT EXISTS (
                   SELECT 1 FROM dismissals n WHERE n.finding_id = d.finding_id AND n.active = 1
               ) THEN d.finding_id END) AS lapsed
        FROM dismissals d JOIN findings f ON f.id = d.finding_id
        -- each finding once: a finding dismissed again replaces its earlier dismissal,
        -- which is neither a second false alarm nor "lapsed"
        GROUP BY f.rule, d.kind ORDER BY COUNT(DISTINCT d.finding_id) DESC, f.rule, d.kind
        """
    )
    return [DismissalCount(row["rule"], row["kind"], int(row["active"]), int(row["lapsed"])) for row in rows]


def recent_dismissals(db: Database, limit: int = 50) -> list[DismissalRecord]:
    rows = db.query(
        """
        SELECT d.id, d.finding_id, f.service_id, f.rule, f.subject, d.kind, d.reason, d.dismissed_by, d.at, d.active
        FROM dismissals d JOIN findings f ON f.id = d.finding_id ORDER BY d.id DESC LIMIT ?
        """,
        [limit],
    )
    return [
        DismissalRecord(row["id"], row["finding_id"], row["service_id"], row["rule"], row["subject"], row["kind"],
                        row["reason"], row["dismissed_by"], row["at"], bool(row["active"]))
        for row in rows
    ]


def finding_events(db: Database, finding_id: int) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM finding_events WHERE finding_id = ? ORDER BY id", [finding_id]))


def findings_per_rule(db: Database) -> dict[str, int]:
    rows = db.execute("SELECT rule, COUNT(*) FROM findings GROUP BY rule").fetchall()
    return {str(rule): int(count) for rule, count in rows}
