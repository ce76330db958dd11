"""Any other platform, read with the selectors of ``[directory.generic]`` alone.

A selector starting with ``/`` or ``(`` is XPath, anything else CSS (parsel's
``::text`` and ``::attr(name)`` work). A selector may select elements (their text is
the value and links inside them are recorded) or strings (used as they are).
Only what the selectors select is read, so site chrome never gets in.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from parsel import Selector, SelectorList
from scrapy.http import TextResponse

from localoffer_audit.config import GenericSelectors
from localoffer_audit.crawl.advice import ADVICE_KIND, ENTRY_KIND, advice_block_links, listing_row_kinds
from localoffer_audit.models import Contact, ServiceItem
from localoffer_audit.crawl.common import LinkCollector, ParseSettings, absolute_url, finalise, lines_of, text_of
from localoffer_audit.crawl.dates import find_labelled_dates, match_date_label, shown_date
from localoffer_audit.crawl.fsd import PageLink, ResultsPage, ServiceLink
from localoffer_audit.crawl.text import clean, clean_phone, email_as_shown
from localoffer_audit.parsing.contact_values import clean_postcode, find_postcode

PLATFORM = "generic"
_DATE_FIELD = re.compile(r"(date|updated|reviewed|added|modified)", re.I)


def select(node: Selector | TextResponse, selector: str) -> SelectorList:
    """XPath for selectors starting with / or (, CSS otherwise."""
    stripped = selector.strip()
    if stripped.startswith(("/", "(")):
        return node.xpath(stripped)
    return node.css(stripped)


def _is_element(result: Selector) -> bool:
    return not isinstance(result.root, str)


def _values(results: SelectorList) -> list[str]:
    values = []
    for result in results:
        value = text_of(result) if _is_element(result) else clean(result.root)
        if value:
            values.append(value)
    return values


def _hrefs(results: SelectorList, base: str) -> list[str]:
    urls = []
    for result in results:
        if _is_element(result):
            href = result.attrib.get("href")
            candidates = [href] if href else result.xpath(".//a/@href").getall()
        else:
            candidates = [result.root]
        for candidate in candidates:
            url = absolute_url(candidate, base)
            if url and url not in urls:
                urls.append(url)
    return urls


def service_id_from_url(url: str, id_pattern: str | None) -> str:
    """The id the pattern's first group takes from the URL, else the URL's path and query."""
    if id_pattern:
        match = re.search(id_pattern, url)
        if match:
            return match.group(1) if match.groups() else match.group(0)
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def parse_generic_listing(response: TextResponse, generic: GenericSelectors) -> ResultsPage:
    page = ResultsPage(url=response.url, offset=0)
    seen: set[str] = set()
    results = select(response, generic.service_link)
    for result in results:
        for url in _hrefs(SelectorList([result]), response.url):
            if not url.startswith(("http://", "https://")):
                continue
            service_id = service_id_from_url(url, generic.id_pattern)
            if service_id in seen:
                page.duplicates += 1
                continue
            seen.add(service_id)
            page.services.append(ServiceLink(service_id, url, text_of(result) if _is_element(result) else ""))
    if generic.next_page:
        next_urls = [u for u in _hrefs(select(response, generic.next_page), response.url) if u.startswith("http")]
        page.next_url = next_urls[0] if next_urls else None
        page.next_points_back = page.next_url == response.url
    if generic.page_links:
        for url in _hrefs(select(response, generic.page_links), response.url):
            if url.startswith("http") and url != response.url and all(p.url != url for p in page.pages):
                page.pages.append(PageLink(0, url))
    _set_apart_advice(page, response, generic.id_pattern)
    return page


def _set_apart_advice(page: ResultsPage, response: TextResponse, id_pattern: str | None) -> None:
    """Guidance among the records (a row marked as a guide or service page) and the
    links of the page's "Information and advice" blocks go to ``page.advice``."""
    blocks = advice_block_links(response.selector, response.url)
    wanted = {link.url.split("#")[0] for link in page.services} | set(blocks)
    kinds = listing_row_kinds(response.selector, response.url, wanted)
    records = []
    for link in page.services:
        if kinds.get(link.url.split("#")[0]) == ADVICE_KIND:
            page.advice.setdefault(link.directory_id, link.url)
        else:
            records.append(link)
    page.services = records
    listed = {link.url.split("#")[0] for link in records} | {p.url for p in page.pages} | {page.next_url or ""}
    listing_path = urlsplit(response.url).path
    record_paths = {urlsplit(link.url).path for link in page.services}
    for url in blocks:
        # Not a record, another page or facet of this listing, nor an entry by its row.
        if url in listed or urlsplit(url).path in (listing_path, *record_paths) or kinds.get(url) == ENTRY_KIND:
            continue
        # Another kind of page: its id is its whole path and query (page.aspx?id=5 is not record 5).
        page.advice.setdefault(service_id_from_url(url, None), url)


_SIMPLE_FIELDS = {"organisation", "cost", "age_range"}


def parse_generic_service(
    response: TextResponse, generic: GenericSelectors, settings: ParseSettings | None = None
) -> ServiceItem:
    settings = settings or ParseSettings()
    links = LinkCollector(response.url, settings)
    item = ServiceItem(
        directory_id=service_id_from_url(response.url, generic.id_pattern),
        url=response.url,
        name="",
        platform=PLATFORM,
        http_status=response.status,
    )
    contact = Contact()
    for name, selector in generic.fields.items():
        try:
            results = select(response, selector)
        except ValueError as exc:  # a selector parsel rejects: say which one
            item.extra.setdefault("selector_errors", []).append(f"{name}: {exc}")
            continue
        values = _values(results)
        value = " ".join(values)
        if name == "website":
            urls = _hrefs(results, response.url) or [v if "://" in v else f"https://{v}" for v in values[:1] if "." in v]
            for url in urls:
                links.add(url, "website", anchor_text=value or None, always=True)
            item.website = urls[0] if urls else None
        elif name == "email":
            hrefs = [u.removeprefix("mailto:") for u in _hrefs(results, response.url) if u.startswith("mailto:")]
            contact.email = email_as_shown(hrefs, value)
            if contact.email:
                links.add_email(contact.email, "contact_email", element="a" if hrefs else "text")
        elif name in ("phone", "telephone"):
            contact.phone = clean_phone(value)
        elif name in ("contact_name", "contact"):
            contact.name = value or None
        elif name == "position":
            contact.position = value or None
        elif name == "name":
            item.name = values[0] if values else ""
        elif name == "description":
            item.description = value or None
        elif name == "categories":
            item.categories = values
        elif name == "address":
            item.address = ", ".join(line for r in results for line in (lines_of(r) if _is_element(r) else [clean(r.root)]) if line) or None
        elif name == "postcode":
            item.postcode = clean_postcode(value)
        elif name in _SIMPLE_FIELDS:
            setattr(item, name, value or None)
        elif _DATE_FIELD.search(name) or match_date_label(name.replace("_", " "), settings.date_labels):
            for raw in values:
                # "Reviewed 3rd March 2023" selected whole: keep the date part.
                found = find_labelled_dates(raw, (*settings.date_labels, name.replace("_", " ")))
                raw_date = found[0].raw if found else raw
                item.dates.append(shown_date(name.replace("_", " "), raw_date))
        else:
            item.fields[name] = value
        if name not in ("website", "email"):
            for result in results:
                if _is_element(result):
                    if result.root.tag == "a":
                        links.add_anchor(result, name)
                    links.add_anchors(result, name)
    if item.postcode is None and item.address:
        item.postcode = find_postcode(item.address)
    if any((contact.name, contact.phone, contact.email, contact.position)):
        item.contacts = [contact]
    item.links = links.places
    return finalise(item)
