"""The email log: every message previewed, queued, sent or superseded.

Statuses: ``preview`` (written as .eml, not sent), ``queued`` (to be sent; a failed
attempt stays queued with its error and is retried on the next run), ``sent``, and
``superseded`` (a queued message replaced by a newer list for the same manager before
it could be delivered; the newer one carries everything still open).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from localoffer_audit.store.db import from_json, inserted_id, to_json, utc_now

PREVIEW = "preview"
QUEUED = "queued"
SENT = "sent"
SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class EmailRecord:
    id: int
    kind: str
    manager_email: str
    subject: str
    content_hash: str
    status: str
    created_at: str
    sent_at: str | None
    attempts: int
    last_error: str | None
    finding_ids: list[int]


def _record(row: dict) -> EmailRecord:
    return EmailRecord(
        id=row["id"],
        kind=row["kind"],
        manager_email=row["manager_email"],
        subject=row["subject"],
        content_hash=row["content_hash"],
        status=row["status"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        finding_ids=from_json(row["finding_ids"], []),
    )


def last_sent_by_manager(db: Database, kinds: tuple[str, ...]) -> dict[str, EmailRecord]:
    """Each manager's most recently sent message of one of these kinds."""
    rows = db.query(
        """
        SELECT e.* FROM emails e
        JOIN (
            SELECT manager_email, MAX(id) AS id FROM emails
            WHERE kind IN (SELECT value FROM json_each(?)) AND status = ? GROUP BY manager_email
        ) last ON last.id = e.id
        """,
        [to_json(list(kinds)), SENT],
    )
    return {row["manager_email"]: _record(row) for row in rows}


def queued_emails(db: Database) -> list[EmailRecord]:
    return [_record(row) for row in db.query("SELECT * FROM emails WHERE status = ? ORDER BY id", [QUEUED])]


def add_email(
    db: Database,
    *,
    kind: str,
    manager_email: str,
    subject: str,
    content_hash: str,
    status: str,
    finding_ids: list[int],
    eml_path: str | None,
) -> int:
    with db.atomic():
        table = db.table("emails")
        table.insert(
            {
                "kind": kind,
                "manager_email": manager_email,
                "subject": subject,
                "content_hash": content_hash,
                "status": status,
                "created_at": utc_now(),
                "attempts": 0,
                "eml_path": eml_path,
                "finding_ids": to_json(sorted(finding_ids)),
            }
        )
        return inserted_id(table)


def refresh_queued(db: Database, email_id: int, *, subject: str, eml_path: str | None) -> None:
    """A queued message about to be retried: its subject and preview file may be newer."""
    with db.atomic():
        db.execute("UPDATE emails SET subject = ?, eml_path = ? WHERE id = ?", [subject, eml_path, email_id])


def mark_sent(db: Database, email_id: int) -> None:
    with db.atomic():
        db.execute(
            "UPDATE emails SET status = ?, sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
            [SENT, utc_now(), email_id],
        )


def mark_attempt_failed(db: Database, email_id: int, error: str, *, counted: bool = True) -> None:
    """The message stays queued, with the error, for the next run to retry.

    ``counted=False``: the message never reached a server (the relay was down), so it
    is not an attempt: a relay outage must not make every list look stuck.
    """
    with db.atomic():
        db.execute(
            "UPDATE emails SET attempts = attempts + ?, last_error = ? WHERE id = ?",
            [1 if counted else 0, error[:500], email_id],
        )


def mark_superseded(db: Database, email_id: int, note: str) -> None:
    with db.atomic():
        db.execute(
            "UPDATE emails SET status = ?, last_error = COALESCE(last_error || ' / ', '') || ? WHERE id = ?",
            [SUPERSEDED, note, email_id],
        )


def reminder_counts(db: Database) -> dict[int, int]:
    """Finding id -> how many sent worklist emails listed it."""
    rows = db.execute(
        "SELECT CAST(j.value AS INTEGER), COUNT(*) FROM emails e, json_each(e.finding_ids) j "
        "WHERE e.kind = 'worklist' AND e.status = ? GROUP BY 1",
        [SENT],
    ).fetchall()
    return {int(finding_id): int(count) for finding_id, count in rows}


def stuck_emails(db: Database, min_attempts: int) -> list[EmailRecord]:
    """Queued messages that failed at least ``min_attempts`` times (a wrong address, a
    relay that refuses us): the Local Offer team should hear about them."""
    rows = db.query(
        "SELECT * FROM emails WHERE status = ? AND attempts >= ? AND kind != 'escalation' ORDER BY id",
        [QUEUED, min_attempts],
    )
    return [_record(row) for row in rows]
