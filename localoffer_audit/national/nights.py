"""Each council's night in the national database: its stage, and moving it on.

A council's night goes queued -> crawling -> links (waiting for its shared link checks)
-> finishing -> done. A crawl that fails or is incomplete goes straight to finishing:
the council's own nightly then skips the stages that change findings, as in
single-council mode, and only that council is held back.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

STAGES = ("queued", "crawling", "links", "finishing", "done", "failed")


def add_nights(conn: psycopg.Connection, night: date, slugs: list[str]) -> list[str]:
    """Add tonight's row per council; the councils newly added (enqueuing twice adds none)."""
    added: list[str] = []
    with conn.transaction(), conn.cursor() as cur:
        for slug in slugs:
            cur.execute(
                "INSERT INTO national_nights (night, slug, stage) VALUES (%s, %s, 'queued') "
                "ON CONFLICT DO NOTHING RETURNING slug",
                [night, slug],
            )
            if cur.fetchone() is not None:
                added.append(slug)
    return added


def get_night(conn: psycopg.Connection, night: date, slug: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute("SELECT * FROM national_nights WHERE night = %s AND slug = %s", [night, slug]).fetchone()


def set_stage(conn: psycopg.Connection, night: date, slug: str, stage: str, **values: Any) -> None:
    assert stage in STAGES
    columns = {"stage": stage, **{k: Jsonb(v) if isinstance(v, dict) else v for k, v in values.items()}}
    assignments = ", ".join(f"{name} = %({name})s" for name in columns)
    conn.execute(
        f"UPDATE national_nights SET {assignments}, updated_at = now() WHERE night = %(night)s AND slug = %(slug)s",
        {**columns, "night": night, "slug": slug},
    )


def start_crawl(conn: psycopg.Connection, night: date, slug: str) -> str | None:
    """Mark the crawl started (counting attempts); the stage it was in before."""
    row = conn.execute(
        "UPDATE national_nights n SET stage = CASE WHEN n.stage IN ('queued', 'crawling') THEN 'crawling' ELSE n.stage END, "
        "attempts = n.attempts + 1, updated_at = now() "
        "FROM national_nights old WHERE old.night = n.night AND old.slug = n.slug AND n.night = %s AND n.slug = %s "
        "RETURNING old.stage",
        [night, slug],
    ).fetchone()
    return row[0] if row else None


def ready_to_finish(conn: psycopg.Connection, night: date) -> list[str]:
    """Councils whose every shared link has its result tonight: moved to finishing, once."""
    rows = conn.execute(
        """
        UPDATE national_nights n SET stage = 'finishing', updated_at = now()
        WHERE n.night = %(night)s AND n.stage = 'links'
          AND NOT EXISTS (
            SELECT 1 FROM national_demand d
            JOIN national_queue q ON q.night = d.night AND q.url = d.url
            WHERE d.night = n.night AND d.slug = n.slug AND q.state = 'todo')
        RETURNING n.slug
        """,
        {"night": night},
    ).fetchall()
    return sorted(row[0] for row in rows)


def orphaned_nights(conn: psycopg.Connection) -> list[tuple[date, str, str]]:
    """(night, council, stage) of unfinished nights with no job of theirs queued or running."""
    rows = conn.execute(
        """
        SELECT n.night, n.slug, n.stage FROM national_nights n
        WHERE n.stage IN ('queued', 'links', 'finishing')
          AND NOT EXISTS (
            SELECT 1 FROM procrastinate_jobs j
            WHERE j.status IN ('todo', 'doing')
              AND j.task_name IN ('national.crawl_council', 'national.finish_council')
              AND j.args->>'night' = n.night::text AND j.args->>'slug' = n.slug)
          AND (n.stage <> 'links' OR NOT EXISTS (
            SELECT 1 FROM national_demand d JOIN national_queue q ON q.night = d.night AND q.url = d.url
            WHERE d.night = n.night AND d.slug = n.slug AND q.state = 'todo'))
        ORDER BY n.night, n.slug
        """
    ).fetchall()
    return [(night, slug, stage) for night, slug, stage in rows]
