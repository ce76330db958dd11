"""Tonight's link checks for one council: what its stage will ask, and who checks it.

After a complete crawl a council needs a result for every link its own link stage will
ask about (the same selection as single-council mode: OK results younger than its
``recheck_ok_after_days`` are reused from its store, everything else is asked). For each
such URL, nationally:

- an OK verdict in the national cache younger than the council's age limit is reused;
- otherwise the first council to need the URL tonight claims it (one row in
  ``national_queue``; the primary key makes the claim race-free), and later councils
  wait for that one check.

Claimed URLs are cut into batches per politeness group. Links to the council's own
directory hosts (trusted by its SSRF guard only) and links its config excludes are not
shared: its own stage checks them, as in single-council mode.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import psycopg
from sqlite_utils import Database

from localoffer_audit.links.settings import directory_hosts_to_trust
from localoffer_audit.models import LinkVerdict
from localoffer_audit.national.groups import politeness_group
from localoffer_audit.national.registry import Council, NationalSettings
from localoffer_audit.store.links import StoredLink, links_of_live_services


@dataclass(slots=True)
class CouncilPlan:
    asked: int          # links the council's stage will ask about tonight
    shared: int         # of those, answered nationally (cache or queue)
    claimed: int        # of those, first needed by this council tonight (it queues the check)
    batches: list[int]  # national_batches ids this council created


def _age(stamp: str | None, now: datetime) -> timedelta:
    if not stamp:
        return timedelta.max
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return timedelta.max
    return now - (when if when.tzinfo else when.replace(tzinfo=UTC))


def asked_urls(stored: list[StoredLink], recheck_days: int, now: datetime) -> list[str]:
    """The links the council's stage will ask about (its OK results still fresh are not)."""
    limit = timedelta(days=recheck_days)
    return [
        link.url for link in stored
        if not (link.verdict == LinkVerdict.OK and _age(link.last_checked_at, now) < limit)
    ]


def is_local(url: str, trusted_hosts: frozenset[str], exclude: list[str]) -> bool:
    """Checked by the council's own stage, not shared: its own directory's hosts (trusted
    by its SSRF guard alone) and what its config excludes."""
    if any(url.startswith(prefix) for prefix in exclude):
        return True
    try:
        host = (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return False
    return bool(host) and host in trusted_hosts


def plan_council(
    conn: psycopg.Connection, db: Database, council: Council, settings: NationalSettings, *,
    night: date, now: datetime | None = None,
) -> CouncilPlan:
    """Record the council's demand and claim the URLs nobody checks yet (one transaction)."""
    now = now or datetime.now(UTC)
    config = council.config
    asked = asked_urls(links_of_live_services(db), config.links.recheck_ok_after_days, now)
    trusted = directory_hosts_to_trust(config)
    shared = [url for url in asked if not is_local(url, trusted, list(config.links.exclude))]
    fresh_after = now - timedelta(days=config.links.recheck_ok_after_days)
    batches: list[int] = []
    with conn.transaction():
        conn.execute("DELETE FROM national_demand WHERE night = %s AND slug = %s", [night, council.slug])
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO national_demand (night, slug, url) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [(night, council.slug, url) for url in shared],
            )
        # Fresh OK verdicts in the cache are reused; every other URL needs tonight's check.
        rows = conn.execute(
            """
            SELECT d.url FROM national_demand d
            LEFT JOIN national_link_cache c ON c.url = d.url
            WHERE d.night = %s AND d.slug = %s
              AND NOT (c.verdict IS NOT NULL AND c.verdict = 'ok' AND c.checked_at > %s)
            """,
            [night, council.slug, fresh_after],
        ).fetchall()
        needed = [row[0] for row in rows]
        groups = {url: politeness_group(url, settings.group_by_domain) for url in needed}
        claimed: list[str] = []
        with conn.cursor() as cur:
            for url in needed:
                cur.execute(
                    "INSERT INTO national_queue (night, url, grp) VALUES (%s, %s, %s) "
                    "ON CONFLICT DO NOTHING RETURNING url",
                    [night, url, groups[url]],
                )
                if cur.fetchone() is not None:
                    claimed.append(url)
        by_group: dict[str, list[str]] = defaultdict(list)
        for url in claimed:
            by_group[groups[url]].append(url)
        for group, urls in sorted(by_group.items()):
            for start in range(0, len(urls), settings.batch_size):
                chunk = urls[start : start + settings.batch_size]
                batch_id = conn.execute(
                    "INSERT INTO national_batches (night, grp, slug, size) VALUES (%s, %s, %s, %s) RETURNING id",
                    [night, group, council.slug, len(chunk)],
                ).fetchone()[0]  # type: ignore[index]
                conn.execute(
                    "UPDATE national_queue SET batch_id = %s WHERE night = %s AND url = ANY(%s)",
                    [batch_id, night, chunk],
                )
                batches.append(int(batch_id))
        conn.execute(
            "UPDATE national_nights SET stage = 'links', links_total = %s, links_claimed = %s, updated_at = now() "
            "WHERE night = %s AND slug = %s",
            [len(asked), len(claimed), night, council.slug],
        )
    return CouncilPlan(asked=len(asked), shared=len(shared), claimed=len(claimed), batches=batches)
