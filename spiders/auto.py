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
from localoffer_audit.crawl.sizes import SITEMAP_FILE_MAX_BYTES, SitemapUnreadable, read_sitemap
from localoffer_audit.crawl.spiderbase import AuditSpider
from localoffer_audit.spiders.fsd import FsdSpider
from localoffer_audit.spiders.generic import GenericSpider
from localoffer_audit.spiders.oruk import OrukSpider


# Bounds on following a sitemap index (a hostile or huge one is a note, never a hang).
MAX_SITEMAP_DEPTH = 2
MAX_CHILD_SITEMAPS = 100
MAX_SITEMAP_BYTES = 100_000_000


class AutoSpider(AuditSpider):
    name = "auto"
    platform = "auto"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delegate: AuditSpider | None = None
        # The sitemap count: record pages over every sitemap read, and the bounds' tallies.
        self.sitemap_records: set[str] = set()
        self.sitemaps_asked: set[str] = set()
        self.sitemaps_read = 0
        self.sitemap_bytes = 0
        self.sitemap_root = ""
        self.sitemaps_unread: list[str] = []

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
            sitemap = f"{parts.scheme}://{parts.netloc}/sitemap.xml"
            self.sitemaps_asked.add(sitemap)
            yield scrapy.Request(sitemap, callback=self.read_sitemap, errback=self.no_sitemap,
                                 meta={"prefix": detection.listing.record_prefix}, priority=-10)

    def read_sitemap(self, response: Response) -> Iterator[Any]:
        """Record pages a sitemap lists, as the directory's own count of its records.

        A sitemap index (``<sitemapindex>``, often paged ``?page=2``, sometimes gzipped
        ``.xml.gz``) is followed within bounds: on this site only, each sitemap once, at
        most MAX_CHILD_SITEMAPS of them, MAX_SITEMAP_DEPTH indexes deep and
        MAX_SITEMAP_BYTES unpacked in all. Going past a bound, or a sitemap that cannot be
        read, is one line in the crawl's messages; the count then says too little, never
        too much, so it can never make a crawl incomplete by itself.
        """
        self.counted(response)
        if response.status != 200:
            self._unread_sitemap(response.request, f"answered HTTP {response.status}")
            return
        budget = min(SITEMAP_FILE_MAX_BYTES, MAX_SITEMAP_BYTES - self.sitemap_bytes)
        try:
            sitemap = read_sitemap(response.body, budget)
        except SitemapUnreadable as exc:
            self._unread_sitemap(response.request, str(exc))
            return
        self.sitemap_bytes += len(response.body)
        prefix = response.meta["prefix"]
        if sitemap.is_index:
            yield from self._follow_sitemap_index(response, sitemap.locs, prefix)
            return
        self.sitemap_records.update(url for url in sitemap.locs if _is_record_url(url, prefix))
        count = len(self.sitemap_records)
        if count and count > self.report.stated_total:
            self.report.stated_total = count
            where = self.sitemap_root or response.url
            files = f" and the sitemaps it lists ({self.sitemaps_read + 1} read)" if self.sitemap_root else ""
            self.report.stated_total_source = f"{count} record pages under {prefix} in {where}{files}"
        self.sitemaps_read += 1

    def _follow_sitemap_index(self, response: Response, locs: list[str], prefix: str) -> Iterator[Any]:
        depth = response.meta.get("sitemap_depth", 0) + 1
        if depth > MAX_SITEMAP_DEPTH:
            self.report.note(f"sitemap index {response.url} is nested more than {MAX_SITEMAP_DEPTH} deep: not followed")
            return
        self.sitemap_root = self.sitemap_root or response.url
        children = [url for url in dict.fromkeys(locs) if self.is_on_site(url) and url not in self.sitemaps_asked]
        if len(children) < len(set(locs)):
            skipped = len(set(locs)) - len(children)
            self.report.note(f"sitemap index {response.url}: {skipped} of its sitemaps are on another site or already read")
        room = MAX_CHILD_SITEMAPS - len(self.sitemaps_asked)
        if len(children) > room:
            self.report.note(
                f"sitemap index {response.url} lists {len(children)} sitemaps; read {max(room, 0)} "
                f"(at most {MAX_CHILD_SITEMAPS} in all): the record pages it lists may be undercounted"
            )
            children = children[: max(room, 0)]
        for url in children:
            self.sitemaps_asked.add(url)
            yield scrapy.Request(url, callback=self.read_sitemap, errback=self.no_sitemap, priority=-10,
                                 meta={"prefix": prefix, "sitemap_depth": depth})

    def no_sitemap(self, failure: Any) -> None:
        """A site without a sitemap is no error: there is just no count to compare with."""
        self._unread_sitemap(failure.request, failure.getErrorMessage()[:200])

    def _unread_sitemap(self, request: Any, reason: str) -> None:
        if not request.meta.get("sitemap_depth"):
            self.report.note(f"no sitemap read ({request.url}: {reason}): the crawl is compared with no count of the directory's own")
            return
        # The sitemaps of an index: one line for all of them when the crawl closes.
        self.sitemaps_unread.append(f"{request.url}: {reason}")

    def closed(self, reason: str) -> None:
        if self.sitemaps_unread:
            self.report.note(
                f"{len(self.sitemaps_unread)} of the sitemaps listed in {self.sitemap_root} could not be read "
                f"(first: {self.sitemaps_unread[0]}); the record pages they list are not counted"
            )

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
