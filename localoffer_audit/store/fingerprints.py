"""Page fingerprints as stored: per web link, the snapshot of its latest check, of the
check before, and of its last *good* check (the baseline the safeguarding checks
compare with; docs/verdicts.md "Repurposed and harmful pages").

The link stage saves the latest snapshot with each result (``save_page_snapshots``);
the findings stage promotes a latest snapshot to baseline only when no service found
it repurposed or harmful (``promote_baselines``), so a page that was taken over never
becomes the thing it is compared with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from localoffer_audit.snapshots import PageSnapshot
from localoffer_audit.models import LinkResult
from localoffer_audit.store.db import from_json, to_json
from localoffer_audit.redact import mask_credentials, mask_value


@dataclass(frozen=True, slots=True)
class StoredPages:
    url: str
    current: PageSnapshot | None
    current_at: str | None
    previous: PageSnapshot | None
    previous_at: str | None
    baseline: PageSnapshot | None
    baseline_at: str | None


def _snapshot(text: str | None) -> PageSnapshot | None:
    data = from_json(text)
    if not isinstance(data, dict):
        return None
    try:
        return PageSnapshot.from_json(data)
    except (TypeError, ValueError):
        return None  # a row written by a different version: compared with nothing


def save_page_snapshots(db: Database, results: Iterable[tuple[LinkResult, str]]) -> None:
    """Make each result's page the link's latest snapshot (the one before moves to
    ``previous``). A result without a page (a failure, a document, no body) clears the
    latest snapshot, so a stale page is never judged. Call inside the caller's transaction."""
    rows = []
    for result, checked_at in results:
        page = result.page
        # Stored masked, as the links table is (a URL's user name and password never
        # reach the database): the key matches links.url, the page's final URL is masked.
        snapshot = to_json(mask_value(page.to_json())) if page is not None else None
        rows.append((mask_credentials(result.url), snapshot, checked_at if page is not None else None))
    if not rows:
        return
    db.conn.executemany(
        """
        INSERT INTO link_pages (url, current, current_at) VALUES (?, ?, ?)
        ON CONFLICT(url) DO UPDATE SET
            previous = CASE WHEN link_pages.current IS NOT NULL THEN link_pages.current ELSE link_pages.previous END,
            previous_at = CASE WHEN link_pages.current IS NOT NULL THEN link_pages.current_at ELSE link_pages.previous_at END,
            current = excluded.current,
            current_at = excluded.current_at
        """,
        rows,
    )


def stored_pages(db: Database) -> dict[str, StoredPages]:
    """Every link's stored snapshots, by URL."""
    found = {}
    for row in db.query("SELECT * FROM link_pages WHERE current IS NOT NULL"):
        found[row["url"]] = StoredPages(
            url=row["url"], current=_snapshot(row["current"]), current_at=row["current_at"],
            previous=_snapshot(row["previous"]), previous_at=row["previous_at"],
            baseline=_snapshot(row["baseline"]), baseline_at=row["baseline_at"],
        )
    return found


def promote_baselines(db: Database, urls: Sequence[str]) -> None:
    """The latest snapshot of each URL becomes its baseline (its last good check)."""
    with db.atomic():
        db.conn.executemany(
            "UPDATE link_pages SET baseline = current, baseline_at = current_at WHERE url = ? AND current IS NOT NULL",
            [(url,) for url in urls],
        )
