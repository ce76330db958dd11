"""The item pipeline: each crawled service goes into SQLite, in batched transactions."""

from __future__ import annotations

import time
from typing import Any

from sqlite_utils import Database

from localoffer_audit.store.db import open_db, utc_now
from localoffer_audit.models import ServiceItem
from localoffer_audit.store import services as store
from localoffer_audit.crawl.common import FailedServicePage

Stored = ServiceItem | FailedServicePage

# A batch is written when it holds this many items or is this old, whichever is first.
BATCH_ITEMS = 100
BATCH_SECONDS = 1.0


class StorePipeline:
    def __init__(self, db_path: str, run_id: int, crawler=None) -> None:  # noqa: ANN001
        self.crawler = crawler
        self.db_path = db_path
        self.run_id = run_id
        self.batch: list[Stored] = []
        self.batch_started = time.monotonic()
        self.db: Database | None = None

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206 - Scrapy's hook
        return cls(crawler.settings.get("LOCALOFFER_DB_PATH"), crawler.settings.getint("LOCALOFFER_RUN_ID"), crawler)

    def open_spider(self, spider=None) -> None:  # noqa: ANN001
        self.db = open_db(self.db_path)

    def close_spider(self, spider=None) -> None:  # noqa: ANN001
        self.flush(spider)
        if self.db is not None:
            self.db.close()
            self.db = None

    def process_item(self, item: Any, spider=None) -> Any:  # noqa: ANN001
        if isinstance(item, ServiceItem | FailedServicePage):
            self.batch.append(item)
            if len(self.batch) >= BATCH_ITEMS or time.monotonic() - self.batch_started >= BATCH_SECONDS:
                self.flush(spider)
        return item

    def flush(self, spider=None) -> None:  # noqa: ANN001
        if not self.batch or self.db is None:
            return
        # Newer Scrapy calls pipeline hooks without the spider; the crawler has it.
        spider = spider or getattr(self.crawler, "spider", None)
        report = getattr(spider, "report", None)
        at = utc_now()
        batch, self.batch = self.batch, []
        try:
            with self.db.atomic():
                counted = [(_store(self.db, self.run_id, item, at), item) for item in batch]
        except Exception as exc:  # noqa: BLE001 - reported as errors: the run becomes incomplete
            if report is not None:
                report.errors += len(batch)
                report.note(f"could not store {len(batch)} service(s): {exc.__class__.__name__}: {exc}")
            return
        if report is not None:
            for events, item in counted:
                _count(report, events, item)
        self.batch_started = time.monotonic()
        if report is not None:
            report.emit()


def _store(db, run_id: int, item: Stored, at: str) -> list[str]:  # noqa: ANN001 - a Database
    if isinstance(item, FailedServicePage):
        return [store.record_failed_service_page(db, run_id, item.directory_id, at)]
    return store.record_crawled_service(db, run_id, item, at)


def _count(report, events: list[str], item: Stored) -> None:  # noqa: ANN001 - a CrawlReport
    if store.SEEN_TWICE in events:
        report.duplicates += 1
        return
    if isinstance(item, FailedServicePage):
        # Already counted as an error by the spider; a kept service is still seen tonight.
        if store.KEPT_AFTER_ERROR in events:
            report.services_seen += 1
            report.kept_after_error += 1
        return
    report.services_seen += 1
    report.new += store.EVENT_NEW in events
    report.changed += store.EVENT_CHANGED in events
    report.returned += store.EVENT_RETURNED in events
    report.page_missing += item.http_status in store.MISSING_PAGE_STATUSES
