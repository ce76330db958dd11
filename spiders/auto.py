"""``platform = "auto"``: read the start page, decide the platform, walk it as that platform.

The start page is fetched once (through the same middleware, robots.txt and politeness
as every other page), ``crawl/detect.py`` says what it is and why, and the spider of that
platform takes over from the same answer: nothing is fetched twice. A site it cannot
tell is a listing error naming the reason, so the crawl is incomplete, never empty and
"complete".
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse

from localoffer_audit.config import GenericSelectors
from localoffer_audit.crawl.detect import detect_platform
from localoffer_audit.crawl.sizes import sitemap_urls
from localoffer_audit.crawl.spiderbase import AuditSpider
from localoffer_audit.spiders.fsd import FsdSpider
from localoffer_audit.spiders.generic import GenericSpider
from localoffer_audit.spiders.oruk import OrukSpider


class AutoSpider(AuditSpider):
    name = "auto"
    platform = "auto"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delegate: AuditSpider | None = None

    async def start(self) -> AsyncIterator[Any]:
        if self.start_urls and self.may_request_listing(self.start_urls[0]):
            # Detection reads the first start URL; the platform's spider then walks them all.
            yield scrapy.Request(
                self.start_urls[0], callback=self.detect, errback=self.listing_failed, meta={"start": True}, priority=10
            )

    def detect(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse) or response.status != 200:
            # The platform's own listing checks word the failure (status, not a page...).
            self.listing_status_ok(response)
            return
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        detection = detect_platform(response.url, content_type, response.text)
        services = response.url.split("?", 1)[0].rstrip("/") + "/services"
        is_json = "json" in content_type.lower() or response.text.lstrip().startswith(("{", "["))
        if detection.platform is None and is_json and not response.meta.get("services_tried") and "/services" not in response.url:
            # An ORUK API's base may answer JSON that says nothing (an empty object); its
            # /services says what it is. An HTML page that lists nothing keeps its reason.
            self.counted(response, listing=True)
            yield scrapy.Request(services, callback=self.detect, errback=self.listing_failed,
                                 meta={"start": True, "services_tried": response.url}, priority=10)
            return
        if detection.platform is None:
            self.counted(response, listing=True)
            self.report.error(
                f"could not tell which platform {response.url} runs on: {detection.reason}; "
                "set [directory] platform (and [directory.generic] selectors) in the config",
                listing=True,
            )
            return
        self.report.detected_platform = detection.platform
        self.report.note(f"platform detected: {detection.platform}: {detection.reason}")
        self.delegate = self._delegate(detection)
        yield from self.delegate.take_over(response)
        if detection.listing is not None and detection.listing.record_prefix and not self.report.stated_total:
            # The page prints no count: the site's sitemap may list every record page.
            parts = urlsplit(response.url)
            yield scrapy.Request(f"{parts.scheme}://{parts.netloc}/sitemap.xml", callback=self.read_sitemap,
                                 errback=self.no_sitemap, meta={"prefix": detection.listing.record_prefix}, priority=-10)

    def read_sitemap(self, response: Response) -> None:
        """Record pages a sitemap lists, as the directory's own count of its records."""
        self.counted(response)
        if not isinstance(response, TextResponse):
            return
        prefix = response.meta["prefix"]
        entries = sitemap_urls(response.text)
        records = {url for url in entries if _is_record_url(url, prefix)}
        if "<sitemapindex" in response.text[:2000].lower():
            self.report.note(f"{response.url} is a sitemap index: its record pages were not counted")
            return
        if records and len(records) > self.report.stated_total:
            self.report.stated_total = len(records)
            self.report.stated_total_source = f"{len(records)} record pages under {prefix} in {response.url}"

    def no_sitemap(self, failure: Any) -> None:
        """A site without a sitemap is no error: there is just no count to compare with."""
        self.report.note(f"no sitemap read ({failure.request.url}): the crawl is compared with no count of the directory's own")

    def _delegate(self, detection: Any) -> AuditSpider:
        assert self.config is not None
        directory = self.config.directory.model_copy(update={"platform": detection.platform})
        if detection.platform == "generic" and directory.generic is None:
            listing = detection.listing
            directory = directory.model_copy(update={"generic": GenericSelectors.model_construct(
                service_link=listing.service_link, next_page=listing.next_page, page_links=listing.page_links,
                id_pattern=listing.id_pattern, fields={},
            )})
            self.report.note(
                "inferred [directory.generic] selectors: "
                f"service_link = {listing.service_link!r}, next_page = {listing.next_page!r}, "
                f"page_links = {listing.page_links!r}, id_pattern = {listing.id_pattern!r}; record fields read from the page structure"
            )
        config = self.config.model_copy(update={"directory": directory})
        spiders: dict[str, type[AuditSpider]] = {"fsd": FsdSpider, "oruk": OrukSpider, "generic": GenericSpider}
        delegate = spiders[detection.platform](config=config, report=self.report)
        # One budget of listing pages and one set of seen records for the whole crawl.
        delegate.listing_requests = self.listing_requests
        delegate.seen_services = self.seen_services
        delegate.listed_ids = self.listed_ids
        return delegate


def _is_record_url(url: str, prefix: str) -> bool:
    """A URL of the record shape: under the records' path, or their page with a query."""
    parts = urlsplit(url)
    if prefix.endswith("?"):
        return parts.path == prefix[:-1] and bool(parts.query)
    return parts.path.startswith(prefix) and parts.path.rstrip("/") != prefix.rstrip("/")
