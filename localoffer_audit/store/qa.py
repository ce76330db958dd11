"""QA samples, sampled services and reviewers' verdicts as stored."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from localoffer_audit.store.db import from_json, to_json
from localoffer_audit.models import FindingStatus


@dataclass(slots=True)
class FindingHint:
    """An open finding shown to reviewers as a hint (and compared with their verdict)."""

    rule: str
    subject: str
    severity: str
    title: str
    message: str
    first_seen_at: str


@dataclass(slots=True)
class StoredSample:
    id: int
    created_at: str
    seed: int
    strata: str
    params: dict[str, Any]
    population_size: int
    sample_size: int
    label: str | None


@dataclass(slots=True)
class StoredSampleItem:
    sample_id: int
    service_id: str
    stratum: str
    inclusion_probability: float
    stratum_population: int
    stratum_sample: int
    findings_at_draw: list[FindingHint] = field(default_factory=list)
    # From the services table (None if the service row is gone, which it never should be).
    name: str | None = None
    url: str | None = None


@dataclass(slots=True)
class StoredReview:
    sample_id: int
    service_id: str
    reviewer: str
    outcome: str
    problems: str | None
    notes: str | None
    reviewed_at: str | None
    imported_at: str
    source_file: str | None
    source_line: int | None


def recently_sampled_or_reviewed(db: Database, since: str) -> set[str]:
    """Services drawn into a sample created at or after ``since`` or reviewed since then."""
    rows = db.execute(
        """
        SELECT i.service_id FROM qa_sample_items i JOIN qa_samples s ON s.id = i.sample_id
        WHERE s.created_at >= :since
        UNION
        SELECT service_id FROM qa_reviews WHERE COALESCE(reviewed_at, imported_at) >= :since
        """,
        {"since": since},
    )
    return {row[0] for row in rows}


def open_findings_by_service(db: Database, service_ids: Iterable[str]) -> dict[str, list[FindingHint]]:
    """Confirmed open (or reopened) findings of these services, most serious first."""
    wanted = sorted(set(service_ids))
    found: dict[str, list[FindingHint]] = {sid: [] for sid in wanted}
    if not wanted:
        return found
    severity_rank = "CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END"
    # Chunked: SQLite limits the number of bound parameters.
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = db.query(
            f"""
            SELECT service_id, rule, subject, severity, title, message, first_seen_at FROM findings
            WHERE service_id IN ({marks}) AND status IN (?, ?) AND confirmed = 1
            ORDER BY service_id, {severity_rank}, first_seen_at, rule, subject
            """,
            [*chunk, str(FindingStatus.OPEN), str(FindingStatus.REOPENED)],
        )
        for row in rows:
            found[row["service_id"]].append(
                FindingHint(
                    rule=row["rule"],
                    subject=row["subject"],
                    severity=row["severity"],
                    title=row["title"],
                    message=row["message"],
                    first_seen_at=row["first_seen_at"],
                )
            )
    return found


def insert_sample(db: Database, sample: dict[str, Any], items: Sequence[dict[str, Any]]) -> int:
    """Store a sample and its items in one transaction; returns the new sample id."""
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO qa_samples (created_at, seed, strata, params, population_size, sample_size, label) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                sample["created_at"],
                sample["seed"],
                sample["strata"],
                to_json(sample["params"]),
                sample["population_size"],
                sample["sample_size"],
                sample.get("label"),
            ],
        )
        sample_id = int(cursor.lastrowid or 0)
        db.conn.executemany(
            "INSERT INTO qa_sample_items (sample_id, service_id, stratum, inclusion_probability, "
            "stratum_population, stratum_sample, findings_at_draw) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    sample_id,
                    item["service_id"],
                    item["stratum"],
                    item["inclusion_probability"],
                    item["stratum_population"],
                    item["stratum_sample"],
                    to_json(item.get("findings_at_draw", [])),
                )
                for item in items
            ],
        )
    return sample_id


def _sample_from_row(row: dict[str, Any]) -> StoredSample:
    return StoredSample(
        id=row["id"],
        created_at=row["created_at"],
        seed=row["seed"],
        strata=row["strata"],
        params=from_json(row["params"], {}),
        population_size=row["population_size"],
        sample_size=row["sample_size"],
        label=row["label"],
    )


def get_sample(db: Database, sample_id: int) -> StoredSample | None:
    rows = list(db.query("SELECT * FROM qa_samples WHERE id = ?", [sample_id]))
    return _sample_from_row(rows[0]) if rows else None


def list_samples(db: Database) -> list[StoredSample]:
    """Every sample, oldest first (the order of QA rounds)."""
    return [_sample_from_row(row) for row in db.query("SELECT * FROM qa_samples ORDER BY created_at, id")]


def sample_items(db: Database, sample_id: int) -> list[StoredSampleItem]:
    rows = db.query(
        """
        SELECT i.*, s.name AS service_name, s.url AS service_url
        FROM qa_sample_items i LEFT JOIN services s ON s.id = i.service_id
        WHERE i.sample_id = ? ORDER BY i.stratum, i.service_id
        """,
        [sample_id],
    )
    return [
        StoredSampleItem(
            sample_id=row["sample_id"],
            service_id=row["service_id"],
            stratum=row["stratum"],
            inclusion_probability=row["inclusion_probability"],
            stratum_population=row["stratum_population"],
            stratum_sample=row["stratum_sample"],
            findings_at_draw=[FindingHint(**hint) for hint in from_json(row["findings_at_draw"], [])],
            name=row["service_name"],
            url=row["service_url"],
        )
        for row in rows
    ]


def reviews_for_sample(db: Database, sample_id: int) -> list[StoredReview]:
    rows = db.query("SELECT * FROM qa_reviews WHERE sample_id = ? ORDER BY service_id", [sample_id])
    return [
        StoredReview(
            sample_id=row["sample_id"],
            service_id=row["service_id"],
            reviewer=row["reviewer"],
            outcome=row["outcome"],
            problems=row["problems"],
            notes=row["notes"],
            reviewed_at=row["reviewed_at"],
            imported_at=row["imported_at"],
            source_file=row["source_file"],
            source_line=row["source_line"],
        )
        for row in rows
    ]


def existing_review_keys(db: Database, sample_ids: Iterable[int]) -> set[tuple[int, str]]:
    wanted = sorted(set(sample_ids))
    if not wanted:
        return set()
    marks = ", ".join("?" for _ in wanted)
    rows = db.execute(f"SELECT sample_id, service_id FROM qa_reviews WHERE sample_id IN ({marks})", wanted)
    return {(row[0], row[1]) for row in rows}


def store_reviews(db: Database, reviews: Sequence[StoredReview]) -> None:
    """Insert or replace reviews, all or nothing: a corrected CSV imported again wins."""
    with db.atomic():
        db.conn.executemany(
            """
            INSERT INTO qa_reviews (sample_id, service_id, reviewer, outcome, problems, notes, reviewed_at,
                                    imported_at, source_file, source_line)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (sample_id, service_id) DO UPDATE SET
                reviewer = excluded.reviewer, outcome = excluded.outcome, problems = excluded.problems,
                notes = excluded.notes, reviewed_at = excluded.reviewed_at, imported_at = excluded.imported_at,
                source_file = excluded.source_file, source_line = excluded.source_line
            """,
            [
                (
                    r.sample_id,
                    r.service_id,
                    r.reviewer,
                    r.outcome,
                    r.problems,
                    r.notes,
                    r.reviewed_at,
                    r.imported_at,
                    r.source_file,
                    r.source_line,
                )
                for r in reviews
            ],
        )
