"""Any platform, walked with the selectors of [directory.generic] in the config."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response, TextResponse
from w3lib.url import canonicalize_url

from localoffer_audit.crawl.advice import ADVICE_KIND, ENTRY_KIND, as_advice, page_kind
from localoffer_audit.crawl.fsd import ResultsPage
from localoffer_audit.crawl.generic import PLATFORM, parse_generic_listing, parse_generic_service, service_id_from_url
from localoffer_audit.crawl.structured import parse_structured_service
from localoffer_audit.crawl.spiderbase import AuditSpider
from localoffer_audit.models import ServiceItem


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
            self.seen_listings.add(canonicalize_url(url))
            if self.may_request_listing(url):
                yield self.listing_request(url, self.parse_listing, start=True)

    def take_over(self, response: Response) -> Iterator[Any]:
        """platform = "auto" read the first start page and inferred selectors: walk on from it."""
        for index, url in enumerate(self.start_urls):
            self.seen_listings.add(canonicalize_url(url))
            if index and self.may_request_listing(url):
                yield self.listing_request(url, self.parse_listing, start=True)
        yield from self.parse_listing(response)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        page = self.read_listing(response, self._parse_listing_page)
        if page is None:
            return
        yield from self.follow_services(page, response, self.parse_service)
        yield from self.follow_advice(page, self.parse_advice)
        if page.repeats_earlier:
            return  # an earlier page again under another URL: its links lead nowhere new
        if page.next_url:
            key = canonicalize_url(page.next_url)
            if key in self.seen_listings:
                # Without numbered page links, "next" is the only way on.
                self.pagination_loop(response.url, page.next_url, walk_goes_on=bool(page.pages))
            else:
                self.seen_listings.add(key)
                if self.may_request_listing(page.next_url):
                    yield self.listing_request(page.next_url, self.parse_listing)
        for other in page.pages:
            key = canonicalize_url(other.url)
            if key not in self.seen_listings:
                self.seen_listings.add(key)
                if self.may_request_listing(other.url):
                    yield self.listing_request(other.url, self.parse_listing)

    def parse_service(self, response: Response) -> Iterator[Any]:
        yield from self.service_items(response, self._read_service, self._missing_service)

    def _parse_listing_page(self, response: Response) -> ResultsPage:
        return parse_generic_listing(response, self.selectors)  # type: ignore[arg-type]

    def _read_service(self, response: TextResponse) -> ServiceItem:
        assert self.selectors is not None
        # No field selectors (or a guidance page, which has none of the record's fields):
        # the page is read from its structure, which also says whether it is guidance.
        # With selectors, only a guidance content type overrules them (records may be
        # kept in a basic Drupal page).
        if not self.selectors.fields or page_kind(response.selector, plain_is_advice=False) == ADVICE_KIND:
            item = parse_structured_service(response, self.parse_settings)
            item.directory_id = service_id_from_url(response.url, self.selectors.id_pattern)
            # Listed like a record, but the page says it is guidance: stored as such.
            return as_advice(item) if item.is_advice_page else item
        return parse_generic_service(response, self.selectors, self.parse_settings)

    def parse_advice(self, response: Response) -> Iterator[Any]:
        yield from self.service_items(response, self._read_advice, self._missing_service)

    def _read_advice(self, response: TextResponse) -> ServiceItem:
        """A page an "Information and advice" block or a guidance row links: guidance,
        unless its own markup says it is a directory entry (then it is read as one)."""
        if page_kind(response.selector) == ENTRY_KIND:
            return self._read_service(response)
        return as_advice(parse_structured_service(response, self.parse_settings))

    def _missing_service(self, response: Response) -> ServiceItem:
        return self.missing_item(response.meta["directory_id"], response, response.meta.get("name") or "")
