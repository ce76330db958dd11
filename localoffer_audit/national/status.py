"""What the national run is doing: per council, per queue, per host, and what is stuck."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from localoffer_audit.national import timing


@dataclass(slots=True)
class NationalStatus:
    night: date
    councils: list[dict[str, Any]] = field(default_factory=list)
    queues: list[dict[str, Any]] = field(default_factory=list)
    backlogs: list[dict[str, Any]] = field(default_factory=list)
    troubled_jobs: list[dict[str, Any]] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    checks: int = 0
    distinct_checked: int = 0


def national_status(conn: psycopg.Connection, night: date, *, lease_seconds: float = timing.LEASE_SECONDS, top: int = 10) -> NationalStatus:
    status = NationalStatus(night=night)
    with conn.cursor(row_factory=dict_row) as cur:
        status.councils = cur.execute(
            """
            SELECT n.slug, n.stage, n.crawl_status, n.links_total, n.links_claimed, n.result, n.exit_code,
                   n.message, n.attempts, n.updated_at,
                   (SELECT COUNT(*) FROM national_demand d JOIN national_queue q ON q.night = d.night AND q.url = d.url
                    WHERE d.night = n.night AND d.slug = n.slug AND q.state = 'todo') AS waiting_links
            FROM national_nights n WHERE n.night = %s ORDER BY n.slug
            """,
            [night],
        ).fetchall()
        status.queues = cur.execute(
            """
            SELECT task_name, status::text AS status, COUNT(*) AS jobs FROM procrastinate_jobs
            WHERE task_name LIKE 'national.%%' GROUP BY 1, 2 ORDER BY 1, 2
            """
        ).fetchall()
        status.backlogs = cur.execute(
            """
            SELECT grp, COUNT(*) AS links, COUNT(DISTINCT batch_id) AS batches FROM national_queue
            WHERE night = %s AND state = 'todo' GROUP BY grp ORDER BY COUNT(*) DESC, grp LIMIT %s
            """,
            [night, top],
        ).fetchall()
        status.troubled_jobs = cur.execute(
            """
            SELECT j.id, j.task_name, j.status::text AS status, j.attempts, j.args, j.lock,
                   (SELECT e.type::text FROM procrastinate_events e WHERE e.job_id = j.id ORDER BY e.id DESC LIMIT 1) AS last_event
            FROM procrastinate_jobs j
            WHERE j.task_name LIKE 'national.%%' AND (j.status = 'failed' OR j.attempts > 1)
            ORDER BY j.id DESC LIMIT 50
            """
        ).fetchall()
        row = cur.execute(
            "SELECT COUNT(*) AS checks, COUNT(DISTINCT url) AS urls FROM national_check_log WHERE night = %s", [night]
        ).fetchone()
        status.checks, status.distinct_checked = int(row["checks"]), int(row["urls"])  # type: ignore[index]
        stale = cur.execute(
            """
            SELECT j.id, j.task_name, j.args FROM procrastinate_jobs j
            LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
            WHERE j.status = 'doing' AND j.task_name LIKE 'national.%%'
              AND (w.id IS NULL OR w.last_heartbeat < now() - make_interval(secs => %s))
            """,
            [lease_seconds],
        ).fetchall()
        undeferred = cur.execute(
            "SELECT COUNT(*) AS n FROM national_batches WHERE night = %s AND NOT deferred AND state = 'todo'", [night]
        ).fetchone()
    for job in stale:
        status.stuck.append(
            f"job #{job['id']} {job['task_name']} {_args(job['args'])}: its worker stopped answering "
            f"(no heartbeat for {lease_seconds:g}s); a running worker will retry it"
        )
    if undeferred and undeferred["n"]:
        status.stuck.append(
            f"{undeferred['n']} link batches were planned but not queued (their crawl job was cut short); "
            "they are queued when that crawl job is retried"
        )
    for council in status.councils:
        if council["stage"] == "links" and council["waiting_links"] == 0:
            status.stuck.append(f"{council['slug']}: all its links are checked but its finish is not queued yet")
    return status


def _args(args: Any) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((args or {}).items()))


def format_status(status: NationalStatus) -> str:
    lines = [f"National run for the night of {status.night.isoformat()}", ""]
    if not status.councils:
        lines.append("No council is queued for this night: run `localoffer-audit national enqueue`.")
        return "\n".join(lines)
    lines.append("Councils:")
    for c in status.councils:
        progress = ""
        if c["links_total"] is not None:
            progress = f", {c['links_total']} links asked ({c['links_claimed']} checked for it first"
            progress += f", {c['waiting_links']} still waiting)" if c["waiting_links"] else ")"
        result = f", result {c['result']} (exit {c['exit_code']})" if c["result"] else ""
        crawl = f", crawl {c['crawl_status']}" if c["crawl_status"] else ""
        attempts = f", crawl attempts {c['attempts']}" if c["attempts"] > 1 else ""
        lines.append(f"  {c['slug']}: {c['stage']}{crawl}{progress}{result}{attempts}")
        if c["message"] and c["stage"] in ("done", "finishing", "failed") and c["result"] != "complete":
            lines.append(f"      {c['message'][:300]}")
    lines.append("")
    lines.append("Jobs (by task and state):")
    for q in status.queues:
        lines.append(f"  {q['task_name'].removeprefix('national.')}: {q['status']} {q['jobs']}")
    lines.append("")
    lines.append(f"Link checks tonight: {status.checks} made, {status.distinct_checked} distinct URLs")
    if status.backlogs:
        lines.append("Largest link backlogs (politeness group: links waiting, batches):")
        for b in status.backlogs:
            lines.append(f"  {b['grp']}: {b['links']} links, {b['batches']} batches")
    if status.troubled_jobs:
        lines.append("")
        lines.append("Jobs failed or retried:")
        for j in status.troubled_jobs:
            lines.append(f"  #{j['id']} {j['task_name'].removeprefix('national.')} ({_args(j['args'])}): "
                         f"{j['status']}, {j['attempts']} attempts, last event {j['last_event']}")
    lines.append("")
    if status.stuck:
        lines.append("Stuck:")
        lines.extend(f"  {line}" for line in status.stuck)
    else:
        lines.append("Nothing is stuck.")
    return "\n".join(lines)
