"""FSD (Open Objects / Idox kb5) directories: results pages -> service records."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response

from localoffer_audit.crawl.fsd import (
    PLATFORM,
    canonical_service_url,
    listing_key,
    parse_fsd_results,
    parse_fsd_service,
)
from localoffer_audit.crawl.spiderbase import AuditSpider


class FsdSpider(AuditSpider):
    name = "fsd"
    platform = PLATFORM

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen_listings: set[tuple[str, str, int]] = set()

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            self.seen_listings.add(listing_key(url))
            if self.may_request_listing(url):
                yield self.listing_request(url, self.parse_listing, start=True)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if not self.listing_status_ok(response):
            return
        try:
            page = parse_fsd_results(response)
        except Exception as exc:  # noqa: BLE001 - a bad page is reported, never fatal
            self.parse_failed("listing page", response, exc)
            return
        if not page.services:
            # A start page without results means the site or its layout changed; a later
            # page without results can be an honest empty last page.
            if response.meta.get("start"):
                self.report.error(f"listing page {response.url} lists no services", listing=True)
            else:
                self.report.note(f"listing page {response.url} lists no services")
        for link in page.services:
            if not self.is_on_site(link.url):
                self.report.note(f"not followed: {link.url} is a record on another site (listed on {response.url})")
                continue
            if self.new_service(link.directory_id):
                yield self.service_request(link.url, self.parse_service, directory_id=link.directory_id, name=link.name)
        if page.next_points_back:
            self.report.pagination_loops += 1
            self.report.note(f"pagination loop: 'next' on {response.url} points back to {page.next_url}")
        for other in page.higher_pages:
            key = listing_key(other.url)
            if key in self.seen_listings:
                continue
            self.seen_listings.add(key)
            if self.may_request_listing(other.url):
                yield self.listing_request(other.url, self.parse_listing)

    def parse_service(self, response: Response) -> Iterator[Any]:
        directory_id = response.meta["directory_id"]
        outcome = self.service_outcome(response)
        if outcome == "missing":
            missing = self.missing_item(directory_id, response, response.meta.get("name") or "")
            missing.url = canonical_service_url(missing.url)
            yield missing
            return
        if outcome != "ok":
            return
        try:
            item = parse_fsd_service(response, self.parse_settings)
        except Exception as exc:  # noqa: BLE001
            self.parse_failed("service page", response, exc)
            return
        item.directory_id = directory_id
        # One URL per record, whichever channel listed it first tonight.
        item.url = canonical_service_url(response.url)
        if self.usable(item, response):
            yield item
