"""The national link cache: one verdict per canonical URL, shared by every council.

A result is stored with its evidence (status, final URL, redirect chain, error, detail,
attempts, method), when it was checked and whether it is confirmed. Councils reuse an
OK result until their own ``recheck_ok_after_days``; a failure is always checked again
(the first council that needs it tonight claims the check, the others wait for it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from localoffer_audit.links.checker import FAILURE_VERDICTS
from localoffer_audit.models import LinkResult, LinkVerdict


def result_to_json(result: LinkResult) -> dict[str, Any]:
    return {
        "url": result.url,
        "verdict": str(result.verdict),
        "status_code": result.status_code,
        "final_url": result.final_url,
        "redirect_chain": result.redirect_chain,
        "error": result.error,
        "elapsed_ms": result.elapsed_ms,
        "attempts": result.attempts,
        "method": result.method,
        "confirmed": result.confirmed,
        "checked_at": result.checked_at.isoformat() if result.checked_at else None,
        "detail": result.detail,
        "unverified": result.unverified,
    }


def result_from_json(data: dict[str, Any]) -> LinkResult:
    checked = data.get("checked_at")
    return LinkResult(
        url=data["url"],
        verdict=LinkVerdict(data["verdict"]),
        status_code=data.get("status_code"),
        final_url=data.get("final_url"),
        redirect_chain=list(data.get("redirect_chain") or []),
        error=data.get("error"),
        elapsed_ms=data.get("elapsed_ms"),
        attempts=int(data.get("attempts") or 0),
        method=data.get("method"),
        confirmed=bool(data.get("confirmed")),
        checked_at=datetime.fromisoformat(checked) if checked else None,
        detail=data.get("detail"),
        unverified=bool(data.get("unverified")),
    )


def store_results(cur: psycopg.Cursor[Any], *, night: date, group: str, results: list[LinkResult]) -> None:
    """Make each result its URL's cached verdict (idempotent: a retried write changes
    nothing). One ``executemany``: psycopg sends the rows in one pipeline, not a round
    trip each."""
    now = datetime.now(UTC)
    cur.executemany(
        """
        INSERT INTO national_link_cache AS c (url, grp, verdict, confirmed, consecutive_failures, result, checked_at, night)
        VALUES (%(url)s, %(grp)s, %(verdict)s, %(confirmed)s, %(failures)s, %(result)s, %(checked_at)s, %(night)s)
        ON CONFLICT (url) DO UPDATE SET
            grp = EXCLUDED.grp, verdict = EXCLUDED.verdict, confirmed = EXCLUDED.confirmed,
            result = EXCLUDED.result, checked_at = EXCLUDED.checked_at,
            -- a failure tonight after one on an earlier night adds to the streak; the same
            -- night written twice (a retried batch) does not
            consecutive_failures = CASE
                WHEN NOT %(failing)s THEN 0
                WHEN c.night = EXCLUDED.night THEN c.consecutive_failures
                WHEN c.verdict IN ('broken', 'server_error', 'timeout') THEN c.consecutive_failures + 1
                ELSE 1 END,
            night = EXCLUDED.night
        """,
        [_cache_row(result, night=night, group=group, now=now) for result in results],
    )


def _cache_row(result: LinkResult, *, night: date, group: str, now: datetime) -> dict[str, Any]:
    failing = result.verdict in FAILURE_VERDICTS
    return {
        "url": result.url, "grp": group, "verdict": str(result.verdict), "confirmed": result.confirmed,
        "failures": 1 if failing else 0, "failing": failing, "result": Jsonb(result_to_json(result)),
        "checked_at": result.checked_at or now, "night": night,
    }


def host_failure_baseline(conn: psycopg.Connection, group: str) -> dict[str, float]:
    """Per host of a group, the share of its cached links failing (the checker's pause guard)."""
    rows = conn.execute(
        """
        SELECT lower(split_part(split_part(url, '://', 2), '/', 1)) AS hostport,
               AVG(CASE WHEN verdict IN ('broken', 'server_error', 'timeout') THEN 1.0 ELSE 0.0 END)
        FROM national_link_cache WHERE grp = %s GROUP BY 1
        """,
        [group],
    ).fetchall()
    shares: dict[str, float] = {}
    for hostport, share in rows:
        host = str(hostport).rsplit("@", 1)[-1]
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        shares[host] = float(share)
    return shares
