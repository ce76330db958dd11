"""Any platform, walked with the selectors of [directory.generic] in the config."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response

from localoffer_audit.crawl.generic import PLATFORM, parse_generic_listing, parse_generic_service
from localoffer_audit.crawl.spiderbase import AuditSpider


class GenericSpider(AuditSpider):
    name = "generic"
    platform = PLATFORM

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selectors = self.config.directory.generic if self.config is not None else None
        self.seen_listings: set[str] = set()

    async def start(self) -> AsyncIterator[Any]:
        if self.selectors is None:
            self.report.error("platform 'generic' needs [directory.generic] selectors", listing=True)
            return
        for url in self.start_urls:
            self.seen_listings.add(url)
            if self.may_request_listing(url):
                yield self.listing_request(url, self.parse_listing, start=True)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if not self.listing_status_ok(response):
            return
        try:
            page = parse_generic_listing(response, self.selectors)
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
            if self.is_on_site(link.url) and self.new_service(link.directory_id):
                yield self.service_request(link.url, self.parse_service, directory_id=link.directory_id, name=link.name)
        if page.next_url:
            if page.next_url in self.seen_listings:
                self.report.pagination_loops += 1
                self.report.note(f"pagination loop: next page of {response.url} is {page.next_url}, already read")
            else:
                self.seen_listings.add(page.next_url)
                if self.may_request_listing(page.next_url):
                    yield self.listing_request(page.next_url, self.parse_listing)

    def parse_service(self, response: Response) -> Iterator[Any]:
        directory_id = response.meta["directory_id"]
        outcome = self.service_outcome(response)
        if outcome == "missing":
            yield self.missing_item(directory_id, response, response.meta.get("name") or "")
            return
        if outcome != "ok":
            return
        try:
            item = parse_generic_service(response, self.selectors, self.parse_settings)
        except Exception as exc:  # noqa: BLE001
            self.parse_failed("service page", response, exc)
            return
        item.directory_id = directory_id
        if self.usable(item, response):
            yield item
