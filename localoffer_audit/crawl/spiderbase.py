"""What every spider shares: the config, the report, failure handling, bounds.

Spiders (in ``spiders/``) only walk pages; they call the pure parsers of this package
and yield ServiceItems. Everything that can go wrong with a page is counted in the
report with a one-line message, never raised: one bad page must not stop the crawl.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from localoffer_audit.config import Config
from localoffer_audit.models import ServiceItem
from localoffer_audit.crawl.common import FailedServicePage, ParseSettings, finalise
from localoffer_audit.crawl.fsd import ResultsPage
from localoffer_audit.crawl.report import CrawlReport
from localoffer_audit.crawl.sizes import stated_count

MISSING_STATUSES = (404, 410)
# Bot protection (Cloudflare and the like) answers automated clients with these.
BLOCKED_STATUSES = (401, 403, 429, 503)
BLOCKED_HINT = (
    " (the site may be blocking automated clients: ask its owner to allow the User-Agent in [crawl] user_agent)"
)


class AuditSpider(scrapy.Spider):
    """Base for the platform spiders. ``config`` and ``report`` come from the runner."""

    platform = ""

    def __init__(self, *args: Any, config: Config | None = None, report: CrawlReport | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.config = config
        self.report = report or CrawlReport()
        self.parse_settings = ParseSettings.from_config(config) if config is not None else ParseSettings()
        self.start_urls = list(config.directory.start_urls) if config is not None else []
        # Off-site links are never followed: only the directory's own hosts.
        self.allowed_domains = sorted({urlsplit(url).hostname or "" for url in self.start_urls} - {""})
        self.max_listing_pages = config.directory.max_listing_pages if config is not None else 2000
        self.seen_services: set[str] = set()
        # Every record id any listing page has listed: a listing page is known by what it
        # lists, so one that adds none of its own is a loop whatever its URL says.
        self.listed_ids: set[str] = set()
        self.listing_requests = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> AuditSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # An exception a callback did not catch must not pass as a quiet log line.
        crawler.signals.connect(spider.callback_failed, signal=signals.spider_error)
        return spider

    def take_over(self, response: Response) -> Iterator[Any]:
        """Walk on from the first start page, already fetched by ``platform = "auto"``."""
        raise NotImplementedError(f"the {self.platform} spider cannot take over from platform detection")

    # --- bounds and bookkeeping -----------------------------------------------------

    def is_on_site(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return host in self.allowed_domains

    def may_request_listing(self, url: str) -> bool:
        """Listing pages are capped; reaching the cap makes the crawl incomplete."""
        if not self.is_on_site(url):
            return False
        if self.listing_requests >= self.max_listing_pages:
            if not self.report.listing_cap_reached:
                self.report.listing_cap_reached = True
                self.report.note(
                    f"stopped after {self.max_listing_pages} listing pages ([directory] max_listing_pages); "
                    "the crawl is incomplete"
                )
            return False
        self.listing_requests += 1
        return True

    def listing_request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.listing_failed, meta=meta, priority=10)

    def service_request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        """The request for one listed service; ``meta`` must hold its ``directory_id``."""
        self.report.service_pages += 1
        return scrapy.Request(url, callback=callback, errback=self.service_failed, meta=meta, dont_filter=True)

    def new_service(self, directory_id: str) -> bool:
        if directory_id in self.seen_services:
            self.report.duplicates += 1
            return False
        self.seen_services.add(directory_id)
        return True

    def counted(self, response: Response, *, listing: bool = False) -> None:
        self.report.pages += 1
        if listing:
            self.report.listing_pages += 1
        self.report.emit()

    # --- listing pages --------------------------------------------------------------

    def read_listing(self, response: Response, parse: Callable[[Response], ResultsPage]) -> ResultsPage | None:
        """The parsed listing page, or None when it failed (reported as a listing error)."""
        if not self.listing_status_ok(response):
            return None
        try:
            page = parse(response)
        except Exception as exc:  # noqa: BLE001 - a bad page is reported, never fatal
            self.report.error(
                f"listing page {response.url} could not be read: {exc.__class__.__name__}: {exc}", listing=True
            )
            return None
        if not page.services:
            # A start page without results means the site or its layout changed; a later
            # page without results can be an honest empty last page.
            if response.meta.get("start"):
                self.report.error(f"listing page {response.url} lists no services", listing=True)
            else:
                self.report.note(f"listing page {response.url} lists no services")
        if response.meta.get("start"):
            self.read_stated_total(response)
        ids = {link.directory_id for link in page.services}
        page.repeats_earlier = bool(ids) and not response.meta.get("start") and ids <= self.listed_ids
        self.listed_ids |= ids
        if page.repeats_earlier:
            self.repeated_listing(response.url, len(ids))
        return page

    def read_stated_total(self, response: Response) -> None:
        """The results count a start page prints ("Displaying 1 - 10 of 400"), kept for the
        completeness check; the largest over several start URLs is not summed: they may overlap."""
        if not isinstance(response, TextResponse):
            return
        found = stated_count(response.text)
        if found is not None and found[0] > self.report.stated_total:
            count, line = found
            self.report.stated_total = count
            self.report.stated_total_source = f'"{line}" on {response.url}'

    def repeated_listing(self, page_url: str, listed: int) -> None:
        """A listing page reached as a further page lists only records already listed.

        The site gave the first page again under another URL (it ignores its page
        numbers, or a "next" link points back): whatever comes after it cannot be
        reached, so the crawl is incomplete and this page's links are not followed.
        """
        self.report.pagination_loops += 1
        self.report.pagination_dead_ends += 1
        self.report.note(
            f"pagination loop: listing page {page_url} lists only records already listed on earlier pages "
            f"({listed} of them): later listing pages may be unseen, so the crawl is incomplete (the site may "
            "be ignoring its page numbers)"
        )

    def follow_services(self, page: ResultsPage, response: Response, callback: Any) -> Iterator[scrapy.Request]:
        """A request for each service the page lists that is on this site and new tonight."""
        for link in page.services:
            if not self.is_on_site(link.url):
                self.report.note(f"not followed: {link.url} is a record on another site (listed on {response.url})")
                continue
            if self.new_service(link.directory_id):
                yield self.service_request(link.url, callback, directory_id=link.directory_id, name=link.name)

    @property
    def reads_advice(self) -> bool:
        return self.config is not None and self.config.directory.read_advice_pages

    def follow_advice(self, page: ResultsPage, callback: Any, id_of: Callable[[str], str] = str) -> Iterator[scrapy.Request]:
        """The directory's information/advice pages the listing page links, once each,
        when configured: part of the Local Offer families read, so their links are checked
        too. ``id_of`` turns the page's own id into the stored directory id."""
        if not self.reads_advice:
            return
        for advice_id, url in page.advice.items():
            directory_id = id_of(advice_id)
            # Linked from every listing page: once is no duplicate record.
            if directory_id in self.seen_services:
                continue
            if self.is_on_site(url) and self.new_service(directory_id):
                yield self.service_request(url, callback, directory_id=directory_id, name="", advice=True)

    def pagination_loop(self, page_url: str, next_url: str, *, walk_goes_on: bool) -> None:
        """A "next" link on ``page_url`` points back to a listing page already read.

        When other links lead on from this page (FSD's numbered offsets) no page is
        missed and it is only a note. When the "next" link was the only way on, the
        pages after it (if any) cannot be reached: the crawl is incomplete, since
        marking the services listed there as removed would be wrong.
        """
        self.report.pagination_loops += 1
        if walk_goes_on:
            self.report.note(f"pagination loop: 'next' on {page_url} points back to {next_url}; other page links lead on")
            return
        self.report.pagination_dead_ends += 1
        self.report.note(
            f"pagination loop: 'next' on {page_url} points back to {next_url}, already read, and nothing else leads on: "
            "later listing pages may be unseen, so the crawl is incomplete (if this is the last page and the site "
            "links it back to the first, make the next-page selector match nothing there)"
        )

    # --- service pages --------------------------------------------------------------

    def service_items(
        self,
        response: Response,
        read: Callable[[TextResponse], ServiceItem],
        missing: Callable[[Response], ServiceItem],
    ) -> Iterator[ServiceItem | FailedServicePage]:
        """What one service page gives: the service, a page-missing record, or a failure.

        ``read`` parses a readable page (the directory id is set here); ``missing``
        builds the record of a listed service whose page answered 404/410.
        """
        directory_id = response.meta["directory_id"]
        self.counted(response)
        if response.status in MISSING_STATUSES:
            yield missing(response)
            return
        if response.status != 200:
            yield self.service_page_failed(directory_id, response.url, f"answered HTTP {response.status}")
            return
        if problem := _not_a_page(response):
            if response.meta.get("advice"):
                # A guidance link that leads to a document (a PDF leaflet) is not a page to read.
                self.report.note(f"not read: advice link {response.url} {problem}")
                return
            yield self.service_page_failed(directory_id, response.url, problem)
            return
        if _looks_truncated(response):
            # Stored as read (lxml recovers what it can), but said out loud.
            self.report.truncated_pages += 1
            self.report.note(f"service page {response.url} looks truncated (no closing </html>); stored what was there")
        try:
            item = read(response)  # type: ignore[arg-type]  # _not_a_page made sure it is text
        except Exception as exc:  # noqa: BLE001 - a bad page is reported, never fatal
            yield self.service_page_failed(
                directory_id, response.url, f"could not be read: {exc.__class__.__name__}: {exc}"
            )
            return
        item.directory_id = directory_id
        if item.is_advice_page and not self.reads_advice:
            # Listed like a record, but the page says it is guidance ([directory] read_advice_pages is off).
            self.report.note(f"not stored: {response.url} is an information/advice page and [directory] read_advice_pages is off")
            return
        if not item.name:
            yield self.service_page_failed(
                directory_id, response.url, "has no record name (not a record page, or truncated)"
            )
            return
        yield item

    def service_page_failed(self, directory_id: str, url: str, problem: str) -> FailedServicePage:
        """Report a service page that failed after retries; the pipeline keeps what was stored before."""
        self.report.error(f"service page {url} {problem}", service_page=True)
        return FailedServicePage(directory_id=directory_id, url=url)

    def missing_item(self, directory_id: str, response: Response, name: str, **extra: Any) -> ServiceItem:
        """A listed service whose own page answered 404/410: recorded, not dropped."""
        return finalise(
            ServiceItem(
                directory_id=directory_id,
                url=response.request.url if response.request is not None else response.url,
                name=name,
                platform=self.platform,
                http_status=response.status,
                extra=dict(extra),
            )
        )

    # --- failures ---------------------------------------------------------------------

    def listing_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]  # Scrapy attaches it to the Failure
        self.report.error(f"listing page {request.url} failed: {_describe(failure)}", listing=True)

    def service_failed(self, failure: Failure) -> Iterator[FailedServicePage]:
        """Errback of a service page that could not be downloaded (timeout, refused, robots.txt, too big)."""
        request = failure.request  # type: ignore[attr-defined]  # Scrapy attaches it to the Failure
        yield self.service_page_failed(request.meta["directory_id"], request.url, f"failed: {_describe(failure)}")

    def callback_failed(self, failure: Failure, response: Response, spider: scrapy.Spider) -> None:
        """``spider_error``: a callback raised. A bug, not a bad page: the crawl becomes incomplete."""
        if spider is not self:
            return
        self.report.error(
            f"uncaught error while reading {response.url}: {failure.value.__class__.__name__}: {_describe(failure)}",
            callback=True,
        )

    def listing_status_ok(self, response: Response) -> bool:
        self.counted(response, listing=True)
        if response.status != 200:
            hint = BLOCKED_HINT if response.status in BLOCKED_STATUSES else ""
            self.report.error(f"listing page {response.url} answered HTTP {response.status}{hint}", listing=True)
            return False
        if problem := _not_a_page(response):
            self.report.error(f"listing page {response.url} {problem}", listing=True)
            return False
        return True


def _not_a_page(response: Response) -> str | None:
    """Why a 200 answer cannot be read as a page (None when it can)."""
    if not response.body.strip():
        return "was empty"
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").strip()
    readable = any(kind in content_type.lower() for kind in ("html", "xml", "json", "text/"))
    if not isinstance(response, TextResponse) or (content_type and not readable):
        return f"is not a web page (Content-Type {content_type or 'unknown'})"
    return None


def _looks_truncated(response: Response) -> bool:
    content_type = response.headers.get(b"Content-Type", b"") or b""
    if b"html" not in content_type.lower():
        return False
    return b"</html" not in response.body[-4096:].lower()


def _describe(failure: Failure) -> str:
    value = failure.value
    text = str(value).strip() or value.__class__.__name__
    return text.splitlines()[0][:300]
