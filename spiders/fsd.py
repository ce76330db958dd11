"""FSD (Open Objects / Idox kb5) directories: results pages -> service records."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from localoffer_audit.crawl.advice import ADVICE_KIND, as_advice
from localoffer_audit.crawl.structured import parse_structured_service
from localoffer_audit.crawl.fsd import (
    PLATFORM,
    canonical_service_url,
    listing_key,
    parse_fsd_results,
    parse_fsd_service,
)
from localoffer_audit.crawl.spiderbase import AuditSpider
from localoffer_audit.models import ServiceItem


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

    def take_over(self, response: Response) -> Iterator[Any]:
        """platform = "auto" read the first start page and found FSD: walk on from it."""
        for index, url in enumerate(self.start_urls):
            self.seen_listings.add(listing_key(url))
            if index and self.may_request_listing(url):
                yield self.listing_request(url, self.parse_listing, start=True)
        yield from self.parse_listing(response)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        page = self.read_listing(response, parse_fsd_results)
        if page is None:
            return
        yield from self.follow_services(page, response, self.parse_service)
        yield from self.follow_advice(page, self.parse_advice, lambda advice_id: f"{ADVICE_KIND}:{advice_id}")
        if page.repeats_earlier:
            return  # the first page again under another URL: its links lead nowhere new
        if page.next_points_back and page.next_url:
            self.pagination_loop(response.url, page.next_url, walk_goes_on=bool(page.higher_pages))
        for other in page.higher_pages:
            key = listing_key(other.url)
            if key in self.seen_listings:
                continue
            self.seen_listings.add(key)
            if self.may_request_listing(other.url):
                yield self.listing_request(other.url, self.parse_listing)

    def parse_advice(self, response: Response) -> Iterator[Any]:
        yield from self.service_items(response, self._read_advice, self._missing_service)

    def _read_advice(self, response: TextResponse) -> ServiceItem:
        item = parse_structured_service(response, self.parse_settings)
        item.platform = PLATFORM
        return as_advice(item)

    def parse_service(self, response: Response) -> Iterator[Any]:
        yield from self.service_items(response, self._read_service, self._missing_service)

    def _read_service(self, response: TextResponse) -> ServiceItem:
        item = parse_fsd_service(response, self.parse_settings)
        # One URL per record, whichever channel listed it first tonight.
        item.url = canonical_service_url(response.url)
        return item

    def _missing_service(self, response: Response) -> ServiceItem:
        missing = self.missing_item(response.meta["directory_id"], response, response.meta.get("name") or "")
        missing.url = canonical_service_url(missing.url)
        return missing
