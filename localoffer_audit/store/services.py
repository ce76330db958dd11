"""Services as stored: turning rows back into ServiceItem for the checks and reports."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from localoffer_audit.store.db import from_json, to_json
from localoffer_audit.parsing.urls import canonical_link_url
from localoffer_audit.models import ADVICE_PAGE_KIND, Contact, LinkPlace, ServiceItem, ServiceState, ShownDate
from localoffer_audit.redact import mask_credentials


# An information and advice page the crawl read (crawl/advice.py stores it with
# ``extra.page_kind = "advice"``): a row of the services table that is not a service.
# ``{s}`` is the services table's alias in the query.
ADVICE_PAGE = "COALESCE(json_extract({s}.extra, '$.page_kind'), '') = '" + ADVICE_PAGE_KIND + "'"


def service_from_row(row: dict[str, Any], links: list[LinkPlace] | None = None) -> ServiceItem:
    return ServiceItem(
        directory_id=row["id"],
        url=row["url"],
        name=row["name"],
        organisation=row["organisation"],
        description=row["description"],
        categories=from_json(row["categories"], []),
        age_range=row["age_range"],
        cost=row["cost"],
        contacts=[Contact(**c) for c in from_json(row["contacts"], [])],
        website=row["website"],
        address=row["address"],
        postcode=row["postcode"],
        dates=[
            ShownDate(label=d["label"], raw=d["raw"], value=date.fromisoformat(d["value"]) if d.get("value") else None)
            for d in from_json(row["dates"], [])
        ],
        links=links or [],
        fields=from_json(row["fields"], {}),
        http_status=row["http_status"] or 200,
        platform=row["platform"] or "",
        extra=from_json(row["extra"], {}),
        content_hash=row["content_hash"] or "",
    )


def live_services(db: Database, *, with_links: bool = True) -> list[ServiceItem]:
    """Every service currently listed (live or with a missing page), links included."""
    places: dict[str, list[LinkPlace]] = {}
    if with_links:
        for place in db.query(
            "SELECT service_id, url, field, element, attribute, anchor_text FROM link_places ORDER BY id"
        ):
            places.setdefault(place["service_id"], []).append(
                LinkPlace(
                    url=place["url"],
                    field=place["field"],
                    element=place["element"],
                    attribute=place["attribute"],
                    anchor_text=place["anchor_text"],
                )
            )
    rows = db.query(
        "SELECT * FROM services WHERE state IN (?, ?) ORDER BY id",
        [str(ServiceState.LIVE), str(ServiceState.PAGE_MISSING)],
    )
    return [service_from_row(row, places.get(row["id"], [])) for row in rows]


# --- writing what a crawl saw ----------------------------------------------------------

# Events written to service_history (docs/schema.md).
EVENT_NEW = "new"
EVENT_CHANGED = "changed"
EVENT_PAGE_MISSING = "page_missing"
EVENT_REMOVED = "removed"
EVENT_RETURNED = "returned"
# Returned by record_crawled_service only (no history row): seen again, nothing new.
SEEN_UNCHANGED = "unchanged"
SEEN_TWICE = "duplicate"
# Returned by record_failed_service_page: what became of a service whose page failed.
KEPT_AFTER_ERROR = "kept"
NOT_STORED = "not_stored"

MISSING_PAGE_STATUSES = (404, 410)


def _content_columns(item: ServiceItem) -> dict[str, Any]:
    """The stored columns of a crawled service, with the user name and password of any
    URL in them masked (a page can link to ``https://user:secret@host/``): a secret the
    directory's pages leak is not copied into the database, its backups and Datasette."""
    columns = {
        "url": item.url,
        "name": item.name,
        "organisation": item.organisation,
        "description": item.description,
        "categories": to_json(item.categories),
        "age_range": item.age_range,
        "cost": item.cost,
        "contacts": to_json([asdict(c) for c in item.contacts]),
        "website": item.website,
        "address": item.address,
        "postcode": item.postcode,
        "dates": to_json(
            [{"label": d.label, "raw": d.raw, "value": d.value.isoformat() if d.value else None} for d in item.dates]
        ),
        "fields": to_json(item.fields),
        "extra": to_json(item.extra),
        "platform": item.platform,
        "content_hash": item.content_hash,
    }
    return {name: mask_credentials(value) if isinstance(value, str) else value for name, value in columns.items()}


def _history(db: Database, service_id: str, run_id: int, at: str, event: str, content_hash: str | None) -> None:
    db.execute(
        "INSERT INTO service_history (service_id, run_id, at, event, content_hash) VALUES (?, ?, ?, ?, ?)",
        [service_id, run_id, at, event, content_hash],
    )


def replace_link_places(db: Database, service_id: str, run_id: int, places: list[LinkPlace], at: str) -> None:
    """The service's links become exactly ``places``; each link gets (or refreshes) its
    links row under its canonical URL (one row for `HTTPS://Example.org/x` and
    `https://example.org/x`), and each place keeps its href as written.

    URLs are stored with any credentials in them masked (``https://***@host/``); the link
    checker never needs them (a login it lacks makes a link "blocked", never "broken").
    """
    places = [replace(p, url=mask_credentials(p.url)) for p in places]
    db.execute("DELETE FROM link_places WHERE service_id = ?", [service_id])
    keys = {place.url: canonical_link_url(place.url) for place in places}
    for url in dict.fromkeys(keys.values()):
        db.execute(
            "INSERT INTO links (url, host, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET last_seen_at = excluded.last_seen_at",
            [url, _link_host(url), at, at],
        )
    db.conn.executemany(
        "INSERT INTO link_places (service_id, url, href, field, element, attribute, anchor_text, run_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(service_id, keys[p.url], p.url, p.field, p.element, p.attribute, p.anchor_text, run_id) for p in places],
    )


def _link_host(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme == "mailto":
        return parts.path.rpartition("@")[2].lower() or None
    return (parts.hostname or "").lower() or None


def record_crawled_service(db: Database, run_id: int, item: ServiceItem, at: str) -> list[str]:
    """Upsert one crawled service; return the history events it caused.

    Call inside ``db.atomic()`` (the pipeline batches many items per transaction). A
    page answering 404/410 keeps the content stored before and becomes
    ``page_missing``; an entry seen twice in one run is counted once.
    """
    row = db.execute(
        "SELECT state, content_hash, last_seen_run, extra, http_status FROM services WHERE id = ?", [item.directory_id]
    ).fetchone()
    page_missing = item.http_status in MISSING_PAGE_STATUSES
    state = str(ServiceState.PAGE_MISSING if page_missing else ServiceState.LIVE)
    events: list[str] = []
    if row is None:
        columns = _content_columns(item)
        columns.update(
            id=item.directory_id,
            http_status=item.http_status,
            state=state,
            first_seen_at=at,
            last_seen_at=at,
            last_changed_at=at,
            first_seen_run=run_id,
            last_seen_run=run_id,
            missing_seen_run=run_id if page_missing else None,
        )
        names = ", ".join(columns)
        db.execute(f"INSERT INTO services ({names}) VALUES ({', '.join('?' for _ in columns)})", list(columns.values()))
        events.append(EVENT_NEW)
        if page_missing:
            events.append(EVENT_PAGE_MISSING)
        else:
            replace_link_places(db, item.directory_id, run_id, item.links, at)
    else:
        previous_state, previous_hash, last_seen_run, previous_extra, previous_status = row
        if last_seen_run == run_id:
            return [SEEN_TWICE]
        if page_missing:
            extra = {**from_json(previous_extra, {}), **item.extra}
            # A page read live until now keeps its status, so that a crawl found incomplete
            # (an outage) can put the entry back as it was (close_crawl).
            before = previous_status if previous_state == str(ServiceState.LIVE) else None
            db.execute(
                "UPDATE services SET http_status = ?, state = ?, extra = ?, last_seen_at = ?, last_seen_run = ?, "
                "removed_at = NULL, removed_run = NULL, missing_seen_run = ?, "
                "status_before_missing = COALESCE(?, status_before_missing) WHERE id = ?",
                [item.http_status, state, to_json(extra), at, run_id, run_id, before, item.directory_id],
            )
            if previous_state != str(ServiceState.PAGE_MISSING):
                events.append(EVENT_PAGE_MISSING)
        else:
            columns = _content_columns(item)
            # The page answers: any run of "page missing" crawls is over.
            columns.update(http_status=item.http_status, state=state, last_seen_at=at, last_seen_run=run_id,
                           missing_crawls=0, missing_since_run=None, missing_seen_run=None, status_before_missing=None)
            changed = previous_hash != item.content_hash
            if changed:
                columns["last_changed_at"] = at
            assignments = ", ".join(f"{name} = ?" for name in columns)
            db.execute(
                f"UPDATE services SET {assignments}, removed_at = NULL, removed_run = NULL WHERE id = ?",
                [*columns.values(), item.directory_id],
            )
            replace_link_places(db, item.directory_id, run_id, item.links, at)
            if previous_state != str(ServiceState.LIVE):
                events.append(EVENT_RETURNED)
            if changed:
                events.append(EVENT_CHANGED)
    for event in events:
        _history(db, item.directory_id, run_id, at, event, item.content_hash or None)
    return events or [SEEN_UNCHANGED]


def record_failed_service_page(db: Database, run_id: int, directory_id: str, at: str) -> str:
    """A listed service whose page failed after retries: seen tonight, content kept.

    A live (or page-missing) service keeps everything stored before and only gets its
    ``last_seen_at``/``last_seen_run`` bumped, so it counts as seen and is not marked
    removed: one permanently broken record must not make a crawl useless. Returns
    ``KEPT_AFTER_ERROR``, ``SEEN_TWICE``, or ``NOT_STORED`` for a service never stored
    (there is no content to store) or stored as removed (it stays removed until its page
    can be read again). Call inside ``db.atomic()``.
    """
    row = db.execute("SELECT state, last_seen_run FROM services WHERE id = ?", [directory_id]).fetchone()
    if row is None or row[0] not in (str(ServiceState.LIVE), str(ServiceState.PAGE_MISSING)):
        return NOT_STORED
    if row[1] == run_id:
        return SEEN_TWICE
    db.execute(
        "UPDATE services SET last_seen_at = ?, last_seen_run = ? WHERE id = ?", [at, run_id, directory_id]
    )
    return KEPT_AFTER_ERROR


def services_seen_in_run(db: Database, run_id: int) -> int:
    """Entries seen by a crawl: services and information and advice pages alike."""
    return db.execute("SELECT COUNT(*) FROM services WHERE last_seen_run = ?", [run_id]).fetchone()[0]


def advice_pages_seen_in_run(db: Database, run_id: int) -> int:
    """Of those, the information and advice pages (not records: the directory's own
    "400 results" does not count them)."""
    return db.execute(
        f"SELECT COUNT(*) FROM services s WHERE s.last_seen_run = ? AND {ADVICE_PAGE.format(s='s')}", [run_id]
    ).fetchone()[0]


def newly_missing_pages(db: Database, run_id: int) -> int:
    """Record pages read live before this crawl that answered 404/410 in it."""
    return db.execute(
        "SELECT COUNT(*) FROM services WHERE missing_seen_run = ? AND state = ? AND missing_crawls = 0 "
        "AND status_before_missing IS NOT NULL",
        [run_id, str(ServiceState.PAGE_MISSING)],
    ).fetchone()[0]


# Complete crawls in a row that must find a record page missing before it is a finding.
MISSING_CONFIRMATIONS = 2
# A handful of record pages going at once is ordinary housekeeping, whatever the share:
# neither an outage (crawl/runner.py) nor a wave held for a person (findings/lifecycle.py).
MIN_MISSING_WAVE = 5


def settle_missing_pages(db: Database, run_id: int, *, complete: bool, accept_missing: bool = False) -> int:
    """After a crawl, before close_crawl: the streak of each record page that answered
    404/410 in it. A complete crawl adds one to each (``missing_crawls``; with
    ``accept_missing``, a person checked that the pages have gone, they are confirmed at
    once). From an incomplete crawl a page that went missing in it is put back as it was
    (live, its status and content as before, no history event): returns how many.
    """
    with db.atomic():
        if complete:
            streak = f"MAX(missing_crawls + 1, {MISSING_CONFIRMATIONS})" if accept_missing else "missing_crawls + 1"
            db.execute(
                f"UPDATE services SET missing_crawls = {streak}, missing_since_run = COALESCE(missing_since_run, ?) "
                "WHERE missing_seen_run = ? AND state = ?",
                [run_id, run_id, str(ServiceState.PAGE_MISSING)],
            )
            restored = 0
        else:
            reverted = [row[0] for row in db.execute(
                "SELECT id FROM services WHERE missing_seen_run = ? AND state = ? AND missing_crawls = 0 "
                "AND status_before_missing IS NOT NULL",
                [run_id, str(ServiceState.PAGE_MISSING)],
            ).fetchall()]
            for service_id in reverted:
                db.execute(
                    "UPDATE services SET state = ?, http_status = status_before_missing, status_before_missing = NULL, "
                    "missing_seen_run = NULL, extra = json_remove(extra, '$.oruk_detail_missing') WHERE id = ?",
                    [str(ServiceState.LIVE), service_id],
                )
                db.execute(
                    "DELETE FROM service_history WHERE service_id = ? AND run_id = ? AND event = ?",
                    [service_id, run_id, EVENT_PAGE_MISSING],
                )
            restored = len(reverted)
    return restored


def close_crawl(db: Database, run_id: int, *, complete: bool, at: str) -> dict[str, int]:
    """After a crawl: count listed services it did not see; remove them only if it was complete.

    ``missing`` is every live (or page-missing) service not seen by this run. From an
    incomplete crawl nothing changes state: a site that was down, blocked or cut
    short must not make services look removed.
    """
    with db.atomic():
        missing = [
            row[0]
            for row in db.execute(
                "SELECT id FROM services WHERE state IN (?, ?) AND (last_seen_run IS NULL OR last_seen_run != ?)",
                [str(ServiceState.LIVE), str(ServiceState.PAGE_MISSING), run_id],
            ).fetchall()
        ]
        removed = 0
        if complete:
            for service_id in missing:
                db.execute(
                    "UPDATE services SET state = ?, removed_at = ?, removed_run = ? WHERE id = ?",
                    [str(ServiceState.REMOVED), at, run_id, service_id],
                )
                _history(db, service_id, run_id, at, EVENT_REMOVED, None)
                removed += 1
    return {"missing": len(missing), "removed": removed}


def service_history(db: Database, service_id: str) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM service_history WHERE service_id = ? ORDER BY id", [service_id]))
