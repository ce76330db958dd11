"""Links as stored: what to check, what the last checks said, and saving new results."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from localoffer_audit.store.db import to_json
from localoffer_audit.store.fingerprints import save_page_snapshots
from localoffer_audit.models import LinkResult, LinkVerdict, RunKind, RunStatus, ServiceState
from localoffer_audit.redact import mask_value

# Verdicts meaning "the link itself failed" (the ones confirmation is about).
FAILURE_VERDICTS = ("broken", "server_error", "timeout")


@dataclass(slots=True)
class StoredLink:
    """A link of a live service, with what its last check said."""

    url: str
    host: str | None
    verdict: str | None
    confirmed: bool
    consecutive_failures: int
    last_checked_at: str | None
    last_ok_at: str | None
    first_failed_at: str | None
    verdict_changed_at: str | None
    service_count: int


@dataclass(slots=True)
class LinkUpdate:
    """One checked link to store: the result and the state computed from its history."""

    result: LinkResult
    confirmed: bool
    consecutive_failures: int
    first_failed_at: str | None
    verdict_changed_at: str | None
    last_ok_at: str | None
    checked_at: str


def links_of_live_services(db: Database) -> list[StoredLink]:
    """Every distinct URL that a live service carries, with its service count."""
    rows = db.query(
        """
        SELECT l.url, l.host, l.verdict, l.confirmed, l.consecutive_failures, l.last_checked_at,
               l.last_ok_at, l.first_failed_at, l.verdict_changed_at,
               COUNT(DISTINCT p.service_id) AS services
        FROM links l
        JOIN link_places p ON p.url = l.url
        JOIN services s ON s.id = p.service_id
        WHERE s.state = ?
        GROUP BY l.url
        ORDER BY l.url
        """,
        [str(ServiceState.LIVE)],
    )
    return [
        StoredLink(
            url=row["url"],
            host=row["host"],
            verdict=row["verdict"],
            confirmed=bool(row["confirmed"]),
            consecutive_failures=row["consecutive_failures"] or 0,
            last_checked_at=row["last_checked_at"],
            last_ok_at=row["last_ok_at"],
            first_failed_at=row["first_failed_at"],
            verdict_changed_at=row["verdict_changed_at"],
            service_count=row["services"],
        )
        for row in rows
    ]


def host_failure_shares(db: Database) -> dict[str, float]:
    """Per host, the share of its checked links whose last verdict was a failure."""
    placeholders = ", ".join("?" for _ in FAILURE_VERDICTS)
    rows = db.execute(
        f"""
        SELECT host, AVG(CASE WHEN verdict IN ({placeholders}) THEN 1.0 ELSE 0.0 END)
        FROM links WHERE verdict IS NOT NULL AND host IS NOT NULL GROUP BY host
        """,
        list(FAILURE_VERDICTS),
    ).fetchall()
    return {str(host).lower(): float(share) for host, share in rows}


def previous_failure_share(db: Database, before_run_id: int) -> float | None:
    """The failure share recorded by the last finished link-check run before this one.

    A run kept incomplete by the spike guard counts too: if its failures are still there
    a run later they are real, and this run is no longer a jump.
    """
    row = db.execute(
        """
        SELECT json_extract(counts, '$.failure_share') FROM runs
        WHERE kind = ? AND status IN (?, ?) AND id < ?
          AND json_extract(counts, '$.failure_share') IS NOT NULL
        ORDER BY id DESC LIMIT 1
        """,
        [str(RunKind.LINKS), str(RunStatus.COMPLETE), str(RunStatus.INCOMPLETE), before_run_id],
    ).fetchone()
    return float(row[0]) if row else None


def set_service_counts(db: Database, counts: Iterable[tuple[str, int]]) -> None:
    with db.atomic():
        db.conn.executemany("UPDATE links SET service_count = ? WHERE url = ?", [(n, url) for url, n in counts])


def save_link_results(db: Database, run_id: int, updates: Sequence[LinkUpdate]) -> None:
    """Add each result to the history and make it the link's current state (one transaction)."""
    with db.atomic():
        for update in updates:
            result = update.result
            # A redirect may hand out a URL with a password in it: never stored in clear.
            final_url = mask_value(result.final_url)
            cursor = db.execute(
                """
                INSERT INTO link_checks (run_id, url, checked_at, verdict, status_code, final_url,
                    redirect_chain, error, detail, elapsed_ms, attempts, method, confirmed)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    run_id,
                    result.url,
                    update.checked_at,
                    str(result.verdict),
                    result.status_code,
                    final_url,
                    to_json(mask_value(result.redirect_chain)),
                    mask_value(result.error),
                    mask_value(result.detail),
                    result.elapsed_ms,
                    result.attempts,
                    result.method,
                    int(update.confirmed),
                ],
            )
            values: dict[str, Any] = {
                "verdict": str(result.verdict),
                "status_code": result.status_code,
                "final_url": final_url,
                "confirmed": int(update.confirmed),
                "consecutive_failures": update.consecutive_failures,
                "last_ok_at": update.last_ok_at,
                "last_check_id": cursor.lastrowid,
                "last_checked_at": update.checked_at,
                "first_failed_at": update.first_failed_at,
                "verdict_changed_at": update.verdict_changed_at,
            }
            assignments = ", ".join(f"{column} = ?" for column in values)
            db.execute(f"UPDATE links SET {assignments} WHERE url = ?", [*values.values(), result.url])
        save_page_snapshots(db, [(u.result, u.checked_at) for u in updates])


def confirm_link_results(db: Database, run_id: int, urls: Sequence[str]) -> None:
    """Confirm results this run stored provisionally (it ended without a failure spike)."""
    with db.atomic():
        for start in range(0, len(urls), 500):
            chunk = list(urls[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            db.execute(f"UPDATE links SET confirmed = 1 WHERE url IN ({marks})", chunk)
            db.execute(f"UPDATE link_checks SET confirmed = 1 WHERE run_id = ? AND url IN ({marks})", [run_id, *chunk])


def resume_checked_since(db: Database, run_id: int, *, now: datetime, within_hours: float = 18) -> str | None:
    """When this run resumes interrupted link checks: the start of the earliest links run
    since the last finished one (complete or incomplete) that never finished, if it
    started within ``within_hours``; results stored since then need not be checked again."""
    row = db.execute(
        "SELECT MAX(id) FROM runs WHERE kind = ? AND status IN (?, ?) AND id < ?",
        [str(RunKind.LINKS), str(RunStatus.COMPLETE), str(RunStatus.INCOMPLETE), run_id],
    ).fetchone()
    last_finished = row[0] or 0
    cutoff = (now - timedelta(hours=within_hours)).isoformat(timespec="seconds")
    rows = db.execute(
        "SELECT started_at FROM runs WHERE kind = ? AND id > ? AND id < ? AND status NOT IN (?, ?) ORDER BY id",
        [str(RunKind.LINKS), last_finished, run_id, str(RunStatus.COMPLETE), str(RunStatus.INCOMPLETE)],
    ).fetchall()
    for (started_at,) in rows:
        try:
            when = datetime.fromisoformat(started_at)
        except (TypeError, ValueError):
            continue
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        if when.isoformat(timespec="seconds") >= cutoff:
            return when.isoformat(timespec="seconds")
    return None


def latest_checks(db: Database, run_id: int) -> list[dict[str, Any]]:
    """The rows a run stored in the history (for reports and tests)."""
    return list(db.query("SELECT * FROM link_checks WHERE run_id = ? ORDER BY id", [run_id]))


def slow_or_hanging_urls(db: Database, slow_ms: int) -> set[str]:
    """URLs whose last check timed out or took at least ``slow_ms``: the link check
    starts them first, so their waits overlap the rest of the run."""
    rows = db.execute(
        """
        SELECT l.url FROM links l JOIN link_checks c ON c.id = l.last_check_id
        WHERE l.verdict = ? OR c.elapsed_ms >= ?
        """,
        [str(LinkVerdict.TIMEOUT), slow_ms],
    ).fetchall()
    return {row[0] for row in rows}
