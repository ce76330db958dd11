"""The store: opens the SQLite database and owns its schema.

This module and the query helpers in ``localoffer_audit/store/`` are the only places
with SQL. The schema is a list of named migrations (sqlite-utils ``Migrations``),
applied in order when the database is opened; each runs in a transaction, so a failed
migration leaves the database as it was. docs/schema.md describes every table.

Writes elsewhere go through ``with db.atomic():`` so a crash mid-write leaves the
previous state intact.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import Table
from sqlite_utils.migrations import Migrations

from localoffer_audit.errors import StoreError
from localoffer_audit.parsing.urls import canonical_link_url

migrations = Migrations("localoffer_audit")

# Migrations renamed so that their names sort in the order they run (m101 ran before
# m060). sqlite-utils records applied migrations by name, so a database made under the
# old names has its records renamed before the pending ones are worked out; without that
# the renamed migrations would run twice. Old name -> new name; never reuse an old name.
RENAMED_MIGRATIONS = {
    "m101_qa_sample_item_findings": "m002_qa_sample_item_findings",
    "m060_links_check_history": "m003_links_check_history",
}


def inserted_id(table: Table) -> int:
    """The integer primary key of the row ``table.insert`` just wrote."""
    if table.last_pk is None:
        raise StoreError(f"no row was inserted into {table.name}")
    return int(table.last_pk)


def utc_now() -> str:
    """Timestamps are stored as ISO 8601 text in UTC, which sorts and compares as text."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def from_json(text: str | None, default: Any = None) -> Any:
    if text is None or text == "":
        return default
    return json.loads(text)


def open_db(path: Path | str, *, check: bool = False) -> Database:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date.

    ``":memory:"`` gives an in-memory database for tests. Raises StoreError with a
    one-line explanation when the file is not an SQLite database, is damaged, or cannot
    be written. ``check`` (writing commands) runs ``PRAGMA quick_check`` first, so a
    damaged file is found before any stage writes into it.
    """
    if str(path) == ":memory:":
        db = Database(memory=True)
    else:
        path = Path(path)
        if path.exists() and path.is_dir():
            raise StoreError(f"{path} is a folder; --db needs a database file path")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the database folder {path.parent} ({exc.strerror}); "
                             "point --db or [database] path at a writable folder") from exc
        db = Database(path)
    try:
        # Any read of the schema fails at once if the file is not SQLite.
        db.execute("PRAGMA schema_version").fetchone()
        if str(path) != ":memory:":
            # WAL lets `status`, Datasette and reports read while a run is writing.
            db.enable_wal()
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 10000")
        if check:
            problems = [row[0] for row in db.execute("PRAGMA quick_check(5)").fetchall()]
            if problems != ["ok"]:
                raise sqlite3.DatabaseError(f"database disk image is malformed: {problems[0]}")
        _rename_applied_migrations(db)
        migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StoreError(_describe_store_error(Path(str(path)), exc)) from exc
    return db


def _describe_store_error(path: Path, exc: sqlite3.DatabaseError) -> str:
    """One line naming the file, what is wrong and what to do."""
    text = str(exc)
    if "malformed" in text or "corrupt" in text:
        return (f"{path} is damaged ({text}); nothing was written: restore it from a backup, "
                "or move it aside to start a new database")
    if "readonly" in text or "read-only" in text:
        return f"{path} cannot be written ({text}): make the file and its folder writable for this user"
    if "disk is full" in text or "disk I/O" in text:
        return f"{path} cannot be written ({text}): free some disk space and run again"
    if "unable to open" in text:
        return f"{path} cannot be opened ({text}): check the folder exists and is writable for this user"
    return f"{path} is not a usable SQLite database ({text}); point --db at another file"


def _rename_applied_migrations(db: Database) -> None:
    """Bring a database's record of applied migrations up to their current names."""
    table = migrations.migrations_table
    if not db[table].exists():
        return
    applied = {row[0] for row in db.execute(f"SELECT name FROM [{table}] WHERE migration_set = ?", [migrations.name])}
    renames = [(new, old) for old, new in RENAMED_MIGRATIONS.items() if old in applied and new not in applied]
    if renames:
        with db.atomic():
            db.conn.executemany(
                f"UPDATE [{table}] SET name = ? WHERE migration_set = ? AND name = ?",
                [(new, migrations.name, old) for new, old in renames],
            )


def applied_migrations(db: Database) -> list[str]:
    return [m.name for m in migrations.applied(db)]


@migrations()
def m001_initial_schema(db: Database) -> None:
    statements = [
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            platform TEXT,
            parent_run_id INTEGER REFERENCES runs(id),
            counts TEXT NOT NULL DEFAULT '{}',
            stages TEXT NOT NULL DEFAULT '[]',
            note TEXT
        )""",
        "CREATE INDEX idx_runs_kind_status ON runs(kind, status)",
        """
        CREATE TABLE services (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            name TEXT NOT NULL,
            organisation TEXT,
            description TEXT,
            categories TEXT NOT NULL DEFAULT '[]',
            age_range TEXT,
            cost TEXT,
            contacts TEXT NOT NULL DEFAULT '[]',
            website TEXT,
            address TEXT,
            postcode TEXT,
            dates TEXT NOT NULL DEFAULT '[]',
            fields TEXT NOT NULL DEFAULT '{}',
            extra TEXT NOT NULL DEFAULT '{}',
            platform TEXT,
            http_status INTEGER,
            content_hash TEXT,
            state TEXT NOT NULL DEFAULT 'live',
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            last_changed_at TEXT,
            first_seen_run INTEGER REFERENCES runs(id),
            last_seen_run INTEGER REFERENCES runs(id),
            removed_at TEXT,
            removed_run INTEGER REFERENCES runs(id)
        )""",
        "CREATE INDEX idx_services_state ON services(state)",
        "CREATE INDEX idx_services_organisation ON services(organisation)",
        """
        CREATE TABLE service_history (
            id INTEGER PRIMARY KEY,
            service_id TEXT NOT NULL REFERENCES services(id),
            run_id INTEGER REFERENCES runs(id),
            at TEXT NOT NULL,
            event TEXT NOT NULL,
            content_hash TEXT
        )""",
        "CREATE INDEX idx_service_history_service ON service_history(service_id)",
        """
        CREATE TABLE links (
            url TEXT PRIMARY KEY,
            host TEXT,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            last_checked_at TEXT,
            verdict TEXT,
            status_code INTEGER,
            final_url TEXT,
            confirmed INTEGER NOT NULL DEFAULT 0,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            last_ok_at TEXT,
            last_check_id INTEGER
        )""",
        "CREATE INDEX idx_links_host ON links(host)",
        "CREATE INDEX idx_links_verdict ON links(verdict)",
        """
        CREATE TABLE link_places (
            id INTEGER PRIMARY KEY,
            service_id TEXT NOT NULL REFERENCES services(id),
            url TEXT NOT NULL REFERENCES links(url),
            field TEXT NOT NULL,
            element TEXT NOT NULL,
            attribute TEXT NOT NULL,
            anchor_text TEXT,
            run_id INTEGER REFERENCES runs(id)
        )""",
        "CREATE INDEX idx_link_places_service ON link_places(service_id)",
        "CREATE INDEX idx_link_places_url ON link_places(url)",
        """
        CREATE TABLE link_checks (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            url TEXT NOT NULL REFERENCES links(url),
            checked_at TEXT NOT NULL,
            verdict TEXT NOT NULL,
            status_code INTEGER,
            final_url TEXT,
            redirect_chain TEXT NOT NULL DEFAULT '[]',
            error TEXT,
            detail TEXT,
            elapsed_ms INTEGER,
            attempts INTEGER NOT NULL DEFAULT 1,
            method TEXT,
            confirmed INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX idx_link_checks_url ON link_checks(url, checked_at)",
        """
        CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            service_id TEXT NOT NULL REFERENCES services(id),
            rule TEXT NOT NULL,
            subject TEXT NOT NULL,
            severity TEXT NOT NULL,
            title TEXT NOT NULL,
            message TEXT NOT NULL,
            fix_hint TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '{}',
            evidence_key TEXT,
            status TEXT NOT NULL,
            confirmed INTEGER NOT NULL DEFAULT 1,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            fixed_at TEXT,
            reopened_at TEXT,
            first_seen_run INTEGER REFERENCES runs(id),
            last_seen_run INTEGER REFERENCES runs(id),
            times_reopened INTEGER NOT NULL DEFAULT 0,
            UNIQUE (service_id, rule, subject)
        )""",
        "CREATE INDEX idx_findings_status ON findings(status)",
        """
        CREATE TABLE finding_events (
            id INTEGER PRIMARY KEY,
            finding_id INTEGER NOT NULL REFERENCES findings(id),
            run_id INTEGER REFERENCES runs(id),
            at TEXT NOT NULL,
            event TEXT NOT NULL,
            note TEXT
        )""",
        "CREATE INDEX idx_finding_events_finding ON finding_events(finding_id)",
        """
        CREATE TABLE dismissals (
            id INTEGER PRIMARY KEY,
            finding_id INTEGER NOT NULL REFERENCES findings(id),
            kind TEXT NOT NULL,
            reason TEXT NOT NULL,
            dismissed_by TEXT NOT NULL,
            at TEXT NOT NULL,
            evidence_key TEXT,
            active INTEGER NOT NULL DEFAULT 1
        )""",
        "CREATE INDEX idx_dismissals_finding ON dismissals(finding_id)",
        """
        CREATE TABLE managers (
            email TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            source TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """
        CREATE TABLE manager_assignments (
            id INTEGER PRIMARY KEY,
            match_type TEXT NOT NULL,
            match_value TEXT NOT NULL,
            manager_email TEXT NOT NULL REFERENCES managers(email),
            source_line INTEGER,
            imported_at TEXT NOT NULL,
            UNIQUE (match_type, match_value)
        )""",
        """
        CREATE TABLE worklists (
            id INTEGER PRIMARY KEY,
            manager_email TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            created_at TEXT NOT NULL,
            finding_ids TEXT NOT NULL DEFAULT '[]',
            content_hash TEXT NOT NULL
        )""",
        "CREATE INDEX idx_worklists_manager ON worklists(manager_email, created_at)",
        """
        CREATE TABLE emails (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            manager_email TEXT NOT NULL,
            subject TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            eml_path TEXT,
            finding_ids TEXT NOT NULL DEFAULT '[]'
        )""",
        "CREATE INDEX idx_emails_manager ON emails(manager_email, status)",
        """
        CREATE TABLE qa_samples (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            seed INTEGER NOT NULL,
            strata TEXT NOT NULL,
            params TEXT NOT NULL DEFAULT '{}',
            population_size INTEGER NOT NULL,
            sample_size INTEGER NOT NULL,
            label TEXT
        )""",
        """
        CREATE TABLE qa_sample_items (
            sample_id INTEGER NOT NULL REFERENCES qa_samples(id),
            service_id TEXT NOT NULL REFERENCES services(id),
            stratum TEXT NOT NULL,
            inclusion_probability REAL NOT NULL,
            stratum_population INTEGER NOT NULL,
            stratum_sample INTEGER NOT NULL,
            PRIMARY KEY (sample_id, service_id)
        )""",
        """
        CREATE TABLE qa_reviews (
            id INTEGER PRIMARY KEY,
            sample_id INTEGER NOT NULL REFERENCES qa_samples(id),
            service_id TEXT NOT NULL REFERENCES services(id),
            reviewer TEXT NOT NULL,
            outcome TEXT NOT NULL,
            problems TEXT,
            notes TEXT,
            reviewed_at TEXT,
            imported_at TEXT NOT NULL,
            source_file TEXT,
            source_line INTEGER,
            UNIQUE (sample_id, service_id)
        )""",
    ]
    for statement in statements:
        db.execute(statement)


@migrations()
def m002_qa_sample_item_findings(db: Database) -> None:
    # The tool's open findings for each sampled service when the sample was drawn: the
    # hints printed in the review pack, and what reviewers' verdicts are compared with
    # (later findings would compare the tool's present with the reviewers' past).
    db.execute("ALTER TABLE qa_sample_items ADD COLUMN findings_at_draw TEXT NOT NULL DEFAULT '[]'")


@migrations()
def m003_links_check_history(db: Database) -> None:
    """What the link checker keeps on each link beyond its latest verdict."""
    for statement in [
        # How many live services carry the URL (a broken link on 30 entries matters more).
        "ALTER TABLE links ADD COLUMN service_count INTEGER NOT NULL DEFAULT 0",
        # When the current run of failures started (NULL while the link works).
        "ALTER TABLE links ADD COLUMN first_failed_at TEXT",
        # When the verdict last changed (first check included).
        "ALTER TABLE links ADD COLUMN verdict_changed_at TEXT",
        "CREATE INDEX idx_link_checks_run ON link_checks(run_id)",
    ]:
        db.execute(statement)


@migrations()
def m200_services_missing_streak(db: Database) -> None:
    """A record page answering 404/410 is confirmed across crawls before it is a finding
    (docs/crawl.md, "Outages and missing pages")."""
    for statement in [
        # Consecutive complete crawls whose request for the page answered 404/410.
        "ALTER TABLE services ADD COLUMN missing_crawls INTEGER NOT NULL DEFAULT 0",
        # The first complete crawl of that streak (NULL while the page answers).
        "ALTER TABLE services ADD COLUMN missing_since_run INTEGER REFERENCES runs(id)",
        # The latest crawl (complete or not) whose request for the page answered 404/410.
        "ALTER TABLE services ADD COLUMN missing_seen_run INTEGER REFERENCES runs(id)",
        # The page's status before it went missing (NULL: it was never read live): an
        # incomplete crawl puts it back, and its stored content is the entry's last known one.
        "ALTER TABLE services ADD COLUMN status_before_missing INTEGER",
    ]:
        db.execute(statement)


@migrations()
def m201_runs_exit_code(db: Database) -> None:
    """What a finished nightly told the team: its exit code, and when it alerted (exit 3),
    so findings opened by a night that was killed still alert on the next completed one."""
    db.execute("ALTER TABLE runs ADD COLUMN exit_code INTEGER")
    db.execute("ALTER TABLE runs ADD COLUMN alerted_at TEXT")


@migrations()
def m220_link_pages(db: Database) -> None:
    """What each web link's page looked like: now, at the check before, and at its last
    good check (store/fingerprints.py; the safeguarding checks compare them)."""
    db.execute(
        """
        CREATE TABLE link_pages (
            url TEXT PRIMARY KEY,
            current TEXT,
            current_at TEXT,
            previous TEXT,
            previous_at TEXT,
            baseline TEXT,
            baseline_at TEXT
        )"""
    )


@migrations()
def m260_links_by_canonical_url(db: Database) -> None:
    """Links keyed by their canonical URL (parsing/urls.py: scheme and host case, default
    port, empty path), so `HTTPS://Example.org/x` and `https://example.org/x` are one link
    checked once; each place keeps the href as written for the fix list. Rows stored under
    another spelling move to their key with their checks, places and findings, so an
    upgrade neither forgets a link's history nor closes and reopens its findings."""
    db.execute("ALTER TABLE link_places ADD COLUMN href TEXT")
    db.execute("UPDATE link_places SET href = url")
    columns = [row[1] for row in db.execute("PRAGMA table_info(links)").fetchall() if row[1] != "url"]
    listed = ", ".join(columns)
    # Every table that names a link by its URL (link_pages only where that migration ran first).
    keyed_by_link = [t for t in ("link_places", "link_checks", "link_pages") if db[t].exists()]
    for (old,) in db.execute("SELECT url FROM links").fetchall():
        new = canonical_link_url(old)
        if new == old:
            continue
        # Two spellings of one link: the row already under the key wins, the other's
        # history joins it.
        db.execute(f"INSERT OR IGNORE INTO links (url, {listed}) SELECT ?, {listed} FROM links WHERE url = ?", [new, old])
        for table in keyed_by_link:
            # A table with one row per link (link_pages) keeps the row already under the key.
            db.execute(f"UPDATE OR IGNORE [{table}] SET url = ? WHERE url = ?", [new, old])
            db.execute(f"DELETE FROM [{table}] WHERE url = ?", [old])
        # A finding under each spelling for one service: the one kept under the old
        # spelling is closed by the next complete run, as any finding no longer seen.
        db.execute(
            "UPDATE OR IGNORE findings SET subject = ? WHERE subject = ? AND rule LIKE 'link\\_%' ESCAPE '\\'",
            [new, old],
        )
        db.execute("DELETE FROM links WHERE url = ?", [old])
