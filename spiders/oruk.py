"""Open Referral UK APIs (v1 or v3, detected): /services pages -> /services/{id}."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from localoffer_audit.crawl.oruk import (
    PER_PAGE,
    PLATFORM,
    OrukFormatError,
    api_base,
    oruk_detail_missing,
    parse_oruk_service,
    parse_oruk_services_page,
    service_detail_url,
    services_page_url,
)
from localoffer_audit.crawl.spiderbase import AuditSpider
from localoffer_audit.models import ServiceItem


class OrukSpider(AuditSpider):
    name = "oruk"
    platform = PLATFORM

    async def start(self) -> AsyncIterator[Any]:
        for request in self.first_requests():
            yield request

    def first_requests(self) -> Iterator[Any]:
        for url in self.start_urls:
            base = api_base(url)
            first = services_page_url(base, 1)
            if self.may_request_listing(first):
                yield self.listing_request(first, self.parse_page, base=base, page=1)

    def take_over(self, response: Response) -> Iterator[Any]:
        """platform = "auto" found an ORUK API: its pages are read from page 1 on."""
        yield from self.first_requests()

    def parse_page(self, response: Response) -> Iterator[Any]:
        if not self.listing_status_ok(response):
            return
        base, number = response.meta["base"], response.meta["page"]
        try:
            page = parse_oruk_services_page(response)
        except OrukFormatError as exc:
            self.report.error(f"listing page {response.url} is not an ORUK page: {exc}", listing=True)
            return
        except Exception as exc:  # noqa: BLE001 - a bad page is reported, never fatal (Infinity in a number)
            self.report.error(
                f"listing page {response.url} could not be read: {exc.__class__.__name__}: {exc}", listing=True
            )
            return
        if number == 1 and page.total_items and page.total_items > self.report.stated_total:
            # The API's own count, for the completeness check (servers counting only the
            # current page say too little, never too much).
            self.report.stated_total = page.total_items
            self.report.stated_total_source = f"{'total_items' if page.version == 'v3' else 'totalElements'} on {response.url}"
        new_ids = [service_id for service_id in page.ids if self.new_service(service_id)]
        for service_id in new_ids:
            yield self.service_request(
                service_detail_url(base, service_id),
                self.parse_service,
                directory_id=service_id,
                name=page.names.get(service_id, ""),
                version=page.version,
            )
        # Totals are not trusted: stop on the last-page flag, an empty page, or no new ids.
        # After a full page flagged "last" the next page is asked for anyway: some servers count only the
        # current page in their totals (LocalGov Drupal says totalPages 1 on every page).
        full_page_flagged_last = page.is_last and len(page.ids) >= PER_PAGE
        if (page.is_last and not full_page_flagged_last) or not new_ids:
            if page.total_pages and number < page.total_pages and not page.is_last:
                self.report.note(
                    f"stopped paging at page {number}: no new ids, although the API claims {page.total_pages} pages"
                )
            return
        following = services_page_url(base, number + 1)
        if self.may_request_listing(following):
            yield self.listing_request(following, self.parse_page, base=base, page=number + 1)

    def parse_service(self, response: Response) -> Iterator[Any]:
        yield from self.service_items(response, self._read_service, self._missing_service)

    def _read_service(self, response: TextResponse) -> ServiceItem:
        item = parse_oruk_service(response, self.parse_settings, version=response.meta["version"])
        item.name = item.name or response.meta.get("name") or ""
        return item

    def _missing_service(self, response: Response) -> ServiceItem:
        meta = response.meta
        return oruk_detail_missing(
            meta["directory_id"], response.request.url, meta.get("name") or "", response.status, version=meta["version"]
        )
