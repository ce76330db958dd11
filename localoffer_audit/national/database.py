"""The national PostgreSQL database: where to find it, and its tables.

Credentials come only from the environment (``$LOCALOFFER_AUDIT_DATABASE_URL``, a libpq
URL or key=value string; or libpq's own PGHOST/PGPASSWORD...), never from a file the
registry names. The tables here hold only what councils share: tonight's plan per
council, the link queue, the national link cache and its check log. Each council's own
services, findings and worklists stay in its own SQLite store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import psycopg.conninfo
from procrastinate.schema import SchemaManager

from localoffer_audit.errors import AuditError

DATABASE_ENV_VAR = "LOCALOFFER_AUDIT_DATABASE_URL"
# Any fixed number: concurrent first starts of several workers create the tables once.
SCHEMA_LOCK_KEY = 7_305_118_001


class NationalDatabaseError(AuditError):
    """The national database is not configured or cannot be reached."""


def database_url() -> str:
    url = os.environ.get(DATABASE_ENV_VAR, "").strip()
    if not url:
        raise NationalDatabaseError(
            f"set ${DATABASE_ENV_VAR} to the national PostgreSQL database "
            "(e.g. postgresql://audit@db.example.org/localoffer; the password in PGPASSWORD or ~/.pgpass)"
        )
    return url


def describe(url: str) -> str:
    """Where the database is, for messages: host, port and database name only. A libpq
    string can carry the password in ``password=`` or ``?password=``, which URL masking
    does not see, so nothing else of it is ever printed."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(the configured database)"
    host = parts.get("host") or "localhost"
    port = f":{parts['port']}" if parts.get("port") else ""
    name = f"/{parts['dbname']}" if parts.get("dbname") else ""
    return f"{host}{port}{name}"


@contextmanager
def connect(url: str | None = None) -> Iterator[psycopg.Connection]:
    """A short-lived connection (autocommit off: each ``with conn.transaction()`` commits)."""
    url = url or database_url()
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise NationalDatabaseError(
            f"cannot reach the national database {describe(url)}: {str(exc).strip().splitlines()[0]}"
        ) from exc
    try:
        yield conn
    finally:
        conn.close()


TABLES = """
CREATE TABLE IF NOT EXISTS national_nights (
    night date NOT NULL,
    slug text NOT NULL,
    stage text NOT NULL,            -- queued, crawling, links, finishing, done, failed
    result text,                    -- the council's nightly status when done
    exit_code integer,
    message text,
    crawl_run_id integer,
    crawl_status text,
    crawl_counts jsonb,
    nightly_run_id integer,
    links_total integer,
    links_claimed integer,
    attempts integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (night, slug)
);
-- Which URLs each council needs a result for tonight (its stage will ask for them).
CREATE TABLE IF NOT EXISTS national_demand (
    night date NOT NULL,
    slug text NOT NULL,
    url text NOT NULL,
    PRIMARY KEY (night, slug, url)
);
CREATE INDEX IF NOT EXISTS national_demand_url ON national_demand (night, url);
-- One row per URL checked nationally tonight: the first council to need it claims it.
CREATE TABLE IF NOT EXISTS national_queue (
    night date NOT NULL,
    url text NOT NULL,
    grp text NOT NULL,
    batch_id bigint,
    state text NOT NULL DEFAULT 'todo',   -- todo, done (a verdict in the cache), unverified
    result jsonb,                         -- an unverified result, kept as the checker said it
    PRIMARY KEY (night, url)
);
CREATE INDEX IF NOT EXISTS national_queue_batch ON national_queue (batch_id);
CREATE INDEX IF NOT EXISTS national_queue_open ON national_queue (night, state, grp);
CREATE TABLE IF NOT EXISTS national_batches (
    id bigserial PRIMARY KEY,
    night date NOT NULL,
    grp text NOT NULL,
    slug text NOT NULL,             -- whose link settings check it (the council that claimed it)
    size integer NOT NULL,
    deferred boolean NOT NULL DEFAULT false,
    state text NOT NULL DEFAULT 'todo',   -- todo, done
    attempts integer NOT NULL DEFAULT 0,
    finished_at timestamptz
);
-- The national link cache, keyed by the URL as services carry it.
CREATE TABLE IF NOT EXISTS national_link_cache (
    url text PRIMARY KEY,
    grp text NOT NULL,
    verdict text NOT NULL,
    confirmed boolean NOT NULL,
    consecutive_failures integer NOT NULL DEFAULT 0,
    result jsonb NOT NULL,          -- the LinkResult with its evidence
    checked_at timestamptz NOT NULL,
    night date NOT NULL
);
CREATE INDEX IF NOT EXISTS national_link_cache_grp ON national_link_cache (grp);
-- Every check made (a retried batch re-checks only what it had not stored): the evidence
-- for "one check per URL per night", and the status command's throughput.
CREATE TABLE IF NOT EXISTS national_check_log (
    id bigserial PRIMARY KEY,
    night date NOT NULL,
    url text NOT NULL,
    batch_id bigint NOT NULL,
    verdict text NOT NULL,
    worker_pid integer NOT NULL,
    checked_at timestamptz NOT NULL DEFAULT now()
);
"""


def ensure_schema(conn: psycopg.Connection) -> None:
    """Create procrastinate's schema and ours if missing (safe from several processes at once)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEMA_LOCK_KEY])
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if not (row and row[0]):
            conn.execute(SchemaManager.get_schema())  # type: ignore[arg-type]
        conn.execute(TABLES)  # type: ignore[arg-type]
