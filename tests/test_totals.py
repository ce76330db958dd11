"""Services and the directory's information and advice pages are counted apart.

A crawl with `[directory] read_advice_pages` on stores each guidance page in the
services table (`extra.page_kind = "advice"`, crawl/advice.py). They are entries whose
links are checked, not services: the totals every output prints (store/totals.py), the
`status` lines, the run snapshot, the "reviewed in the last year" trend and the crawl's
check against the directory's own "400 results" all keep them apart. Real SQLite store,
filled through the crawl's own store functions.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlite_utils import Database

from localoffer_audit.commands.core import format_status
from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.advice import as_advice
from localoffer_audit.crawl.common import finalise
from localoffer_audit.crawl.runner import stated_size_reason
from localoffer_audit.models import Contact, LinkPlace, RunKind, ServiceItem, ShownDate
from localoffer_audit.outputs.report import review_counts
from localoffer_audit.store.db import utc_now
from localoffer_audit.store.report import count_snapshot
from localoffer_audit.store.runs import start_run
from localoffer_audit.store.services import advice_pages_seen_in_run, record_crawled_service, services_seen_in_run
from localoffer_audit.store.status import status_summary
from localoffer_audit.store.totals import LABELS, entries_and_advice_pages, live_service_ids, totals

TODAY = date(2026, 12, 3)


def service(service_id: str, website: str) -> ServiceItem:
    return finalise(
        ServiceItem(
            directory_id=service_id,
            url=f"https://lo.example/service.page?id={service_id}",
            name=f"Holiday club {service_id}",
            organisation="Play Ltd",
            description="A holiday club for children with SEND.",
            contacts=[Contact(name="Jo", phone="01632 960000")],
            dates=[ShownDate(label="Last reviewed", raw="1 October 2026", value=date(2026, 10, 1))],
            links=[LinkPlace(url=website, field="website")],
        )
    )


def advice_page(page_id: str, links: list[str]) -> ServiceItem:
    return as_advice(
        ServiceItem(
            directory_id=f"advice:{page_id}",
            url=f"https://lo.example/advice.page?id={page_id}",
            name=f"What is an EHCP? ({page_id})",
            description="An education, health and care plan sets out the support a child needs.",
            links=[LinkPlace(url=url, field="description") for url in links],
        )
    )


def fill(db: Database) -> int:
    """Three live services and one removed; two live guidance pages and one removed."""
    run = start_run(db, RunKind.CRAWL)
    entries = [
        service("s1", "https://play.example/"),
        service("s2", "https://play.example/"),  # the same address twice: one link
        service("s3", "https://swim.example/"),
        service("s4", "https://gone.example/"),
        advice_page("a1", ["https://sendiass.example/", "https://play.example/"]),
        advice_page("a2", ["https://www.gov.uk/children-with-special-educational-needs"]),
        advice_page("a3", ["https://old-guide.example/"]),
    ]
    with db.atomic():
        for entry in entries:
            record_crawled_service(db, run, entry, utc_now())
    for removed in ("s4", "advice:a3"):
        db["services"].update(removed, {"state": "removed"})
    return run


def test_totals_count_services_and_advice_pages_apart(db: Database) -> None:
    fill(db)
    counted = totals(db)
    assert (counted.live_services, counted.advice_pages) == (3, 2)
    assert live_service_ids(db) == {"s1", "s2", "s3"}
    # The links of guidance pages are checked like a record's, so they count among the links.
    assert counted.links == 4  # play, swim, sendiass, gov.uk; the removed entries' links are not
    assert set(counted.as_dict()) == set(LABELS)
    assert LABELS["advice_pages"] == "information and advice pages"


def test_the_words_every_output_uses() -> None:
    assert entries_and_advice_pages(398, 16) == "398 live services and 16 information and advice pages"
    assert entries_and_advice_pages(1, 1) == "1 live service and 1 information and advice page"
    assert entries_and_advice_pages(1200, 0) == "1,200 live services"


def test_status_and_the_run_snapshot_keep_them_apart(db: Database, tmp_path: Path) -> None:
    fill(db)
    summary = status_summary(db)
    assert summary.services_by_state == {"live": 3, "removed": 1}
    assert summary.advice_pages_by_state == {"live": 2, "removed": 1}
    printed = format_status(tmp_path / "audit.db", summary)
    assert "Services: live 3, removed 1" in printed
    assert "Information and advice pages: live 2, removed 1" in printed
    snapshot = count_snapshot(db)
    assert snapshot["services"] == {"live": 3, "removed": 1}
    assert snapshot["advice_pages"] == {"live": 2, "removed": 1}
    assert (snapshot["totals"]["live_services"], snapshot["totals"]["advice_pages"]) == (3, 2)


def test_reviewed_in_the_last_year_counts_services_only(db: Database) -> None:
    # A guidance page shows no review date and no date rule reads it: it is not a
    # service "with no date", it is not a service at all.
    fill(db)
    assert review_counts(db, TODAY) == {"within_year": 3, "older": 0, "no_date": 0}


def test_the_directory_s_own_count_is_compared_with_records_only(db: Database, tmp_path: Path) -> None:
    run = fill(db)
    seen, advice = services_seen_in_run(db, run), advice_pages_seen_in_run(db, run)
    assert (seen, advice) == (7, 3)
    config = config_from_dict({"directory": {"name": "Test", "start_urls": ["https://lo.example/"]},
                               "database": {"path": str(tmp_path / "a.db")}})
    ratio = config.crawl.min_complete_ratio
    # The directory says it has as many records as were seen with the guidance pages:
    # the records alone fall short of it once the ratio is crossed.
    stated = int(seen / ratio)
    counts = {"services_seen": seen, "advice_pages_seen": advice, "stated_total": stated}
    reason = stated_size_reason(config, counts)
    assert reason is not None and f"found {seen - advice} services, but the directory says it has {stated}" in reason
    assert stated_size_reason(config, {**counts, "stated_total": seen - advice}) is None
