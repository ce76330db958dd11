"""Forget old nights: the national tables grow by every link carried every night.

Keeps the link cache (one row per URL, the verdicts councils reuse) and everything of the
last ``keep_nights`` nights; deletes older nights' plans, queues, batches and check logs,
and the national jobs that finished before then (with their events and periodic records).
Councils' own stores keep their full history: nothing there is touched.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import psycopg

TABLES = ("national_demand", "national_queue", "national_batches", "national_check_log", "national_nights")


def prune(conn: psycopg.Connection, *, keep_nights: int, today: date | None = None) -> dict[str, int]:
    cutoff = (today or date.today()) - timedelta(days=keep_nights)
    since = datetime.combine(cutoff, time.min, tzinfo=UTC)
    removed: dict[str, int] = {}
    with conn.transaction():
        for table in TABLES:
            removed[table] = conn.execute(f"DELETE FROM {table} WHERE night < %s", [cutoff]).rowcount
        conn.execute("DELETE FROM procrastinate_periodic_defers WHERE defer_timestamp < %s", [int(since.timestamp())])
        removed["jobs"] = conn.execute(
            """
            DELETE FROM procrastinate_jobs j
            WHERE j.task_name LIKE 'national.%%' AND j.status IN ('succeeded', 'cancelled', 'aborted')
              AND NOT EXISTS (SELECT 1 FROM procrastinate_events e WHERE e.job_id = j.id AND e.at >= %s)
              AND NOT EXISTS (SELECT 1 FROM procrastinate_periodic_defers p WHERE p.job_id = j.id)
            """,
            [since],
        ).rowcount
    return removed
