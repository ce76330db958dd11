"""FSD (Open Objects / Idox kb5) directories: results pages -> service records."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from localoffer_audit.crawl.common import finalise
from localoffer_audit.crawl.structured import parse_structured_service
from localoffer_audit.crawl.fsd import (
    ADVICE_KIND,
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
        yield from self.follow_advice(page)
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

    def follow_advice(self, page: Any) -> Iterator[Any]:
        """The directory's information/advice pages, once each, when configured: part of
        the Local Offer families read, so their links are checked too."""
        if self.config is None or not self.config.directory.read_advice_pages:
            return
        for advice_id, url in page.advice.items():
            directory_id = f"{ADVICE_KIND}:{advice_id}"
            if self.is_on_site(url) and self.new_service(directory_id):
                yield self.service_request(url, self.parse_advice, directory_id=directory_id, name="")

    def parse_advice(self, response: Response) -> Iterator[Any]:
        yield from self.service_items(response, self._read_advice, self._missing_service)

    def _read_advice(self, response: TextResponse) -> ServiceItem:
        item = parse_structured_service(response, self.parse_settings)
        item.platform = PLATFORM
        item.extra["page_kind"] = ADVICE_KIND
        # A guidance page has no provider: with no contact and no organisation its findings
        # go to the default owner, the Local Offer team ([managers] default_owner_*).
        item.contacts = []
        item.organisation = None
        return finalise(item)

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
