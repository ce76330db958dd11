"""A listing page's record links and pagination, inferred from its structure.

A directory's listing page repeats one kind of link, one per record: the same path with
a different last segment (``/send-local-offer/directory/stay-and-play``) or the same page
with a different id (``service.page?id=...``). Inference groups the page's on-site links
(outside navigation, header, footer and page tools) by that shape and takes the group
with the most distinct records; pagination is a ``rel="next"`` link, a pager's "next"
item, or numbered links that differ from this page only by a page parameter. The result
is a set of ``[directory.generic]`` selectors, written out for the officer to confirm and
checked against the page they came from.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from parsel import Selector

from localoffer_audit.crawl.common import absolute_url, is_chrome, text_of

# Query parameters that number the pages of one listing.
PAGE_PARAMS = ("page", "p", "pg", "pageno", "page_number", "sr", "start", "offset", "startrow")
_NEXT_TEXT = re.compile(r"^\s*(next( page)?|›|»|>|››|next ›|next »)\s*[›»>]?\s*$", re.I)
# Links that are never records whatever their shape.
_NOT_RECORD_PATH = re.compile(r"\.(pdf|docx?|xlsx?|jpe?g|png|gif|svg|css|js|xml|zip)$|/(search|login|user|contact|feedback|sitemap)\b", re.I)
MIN_RECORDS = 2


@dataclass(slots=True)
class InferredListing:
    service_link: str
    next_page: str | None
    page_links: str | None
    id_pattern: str | None
    record_urls: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    # What every record URL starts with ("/send-local-offer/", "/kb5/x/service.page?"):
    # to count a sitemap's record pages.
    record_prefix: str = ""


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def is_page_link(url: str, page_url: str) -> bool:
    """Another page of the same listing: same path, same query but for a page parameter."""
    a, b = urlsplit(url), urlsplit(page_url)
    if a.path != b.path or a.netloc != b.netloc:
        return False
    qa = {k: v for k, v in _query(url).items() if k.lower() not in PAGE_PARAMS}
    qb = {k: v for k, v in _query(page_url).items() if k.lower() not in PAGE_PARAMS}
    return qa == qb and any(k.lower() in PAGE_PARAMS for k in _query(url))


def _shape(url: str) -> tuple[str, ...]:
    """What a group of record links has in common: the path without its last segment, or
    the path and the names of the query parameters."""
    parts = urlsplit(url)
    if parts.query:
        return ("query", parts.path, *sorted(k for k, _ in parse_qsl(parts.query, keep_blank_values=True)))
    path = parts.path.rstrip("/")
    head = path.rsplit("/", 1)[0] if "/" in path.strip("/") else ""
    return ("path", head + "/")


def _candidates(sel: Selector, page_url: str) -> list[tuple[Selector, str]]:
    host = urlsplit(page_url).netloc
    found = []
    for anchor in sel.xpath("//a[@href]"):
        url = absolute_url(anchor.attrib.get("href"), page_url)
        if not url or not url.startswith(("http://", "https://")):
            continue
        parts = urlsplit(url)
        if parts.netloc != host or url.split("#")[0] == page_url.split("#")[0] or is_chrome(anchor):
            continue
        if _NOT_RECORD_PATH.search(parts.path):
            continue
        found.append((anchor, url.split("#")[0]))
    return found


def _common_class(elements: list[Selector]) -> str | None:
    classes = None
    for element in elements:
        names = set((element.attrib.get("class") or "").split())
        classes = names if classes is None else classes & names
    return sorted(classes)[0] if classes else None


def _record_selector(anchors: list[Selector], shape: tuple[str, ...]) -> str:
    parents = [a.xpath("..")[0] for a in anchors]
    parent_class = _common_class(parents)
    if parent_class and len({p.root.tag for p in parents}) == 1:
        return f"{parents[0].root.tag}.{parent_class} > a::attr(href)"
    anchor_class = _common_class(anchors)
    if anchor_class:
        return f"a.{anchor_class}::attr(href)"
    if shape[0] == "query":
        needle = f"{shape[1].rsplit('/', 1)[-1]}?"
    else:
        needle = shape[1]
    return (
        f"//a[contains(@href, '{needle}')][not(ancestor::nav or ancestor::header or ancestor::footer)]/@href"
    )


def _selects(sel: Selector, selector: str, page_url: str) -> set[str]:
    results = sel.xpath(selector) if selector.startswith(("/", "(")) else sel.css(selector)
    urls = set()
    for value in results.getall():
        url = absolute_url(value, page_url)
        if url:
            urls.add(url.split("#")[0])
    return urls


def infer_listing(html: str, page_url: str) -> InferredListing | None:
    """Selectors for this listing page, or None when no repeated record link is found."""
    sel = Selector(text=html)
    candidates = _candidates(sel, page_url)
    pages = [(a, u) for a, u in candidates if is_page_link(u, page_url)]
    page_urls = {u for _, u in pages}
    groups: dict[tuple[str, ...], list[tuple[Selector, str]]] = defaultdict(list)
    own_path = urlsplit(page_url).path
    for anchor, url in candidates:
        if url in page_urls:
            continue
        shape = _shape(url)
        # Links to this listing with other filters (facets) are not records.
        if shape[0] == "query" and shape[1] == own_path:
            continue
        groups[shape].append((anchor, url))

    def weight(item: tuple[tuple[str, ...], list[tuple[Selector, str]]]) -> tuple[int, int]:
        members = item[1]
        in_headings = sum(1 for a, _ in members if a.xpath("ancestor::h2 | ancestor::h3 | ancestor::h4"))
        return (len({u for _, u in members}), in_headings)

    ranked = sorted(groups.items(), key=weight, reverse=True)
    if not ranked or weight(ranked[0])[0] < MIN_RECORDS:
        return None
    shape, members = ranked[0]
    anchors = [a for a, _ in members]
    urls = list(dict.fromkeys(u for _, u in members))
    reasons = [f"{len(urls)} links of one shape ({_describe(shape)}) on the start page"]
    selector = _record_selector(anchors, shape)
    if _selects(sel, selector, page_url) != set(urls):
        selector = _record_selector([], shape)
    id_pattern = None
    if shape[0] == "query" and "id" in shape[2:]:
        id_pattern = r"[?&]id=([^&#]+)"
    next_page = None
    if sel.css("a[rel~=next]"):
        next_page = "a[rel~=next]::attr(href)"
        reasons.append("a rel=next link leads to the next page")
    elif sel.css("li.pager__item--next a"):
        next_page = "li.pager__item--next a::attr(href)"
        reasons.append("the pager's next item leads to the next page")
    else:
        for anchor, _url in candidates:
            if _NEXT_TEXT.match(text_of(anchor)):
                next_page = "//a[starts-with(normalize-space(.), 'Next') or normalize-space(.)='›' or normalize-space(.)='»']/@href"
                reasons.append("a 'Next' link leads to the next page")
                break
    page_links = None
    if pages:
        params = sorted({k for _, u in pages for k in _query(u) if k.lower() in PAGE_PARAMS})
        tests = " or ".join(f"contains(@href, '{p}=')" for p in params)
        page_links = f"//a[{tests}][not(ancestor::header or ancestor::footer)]/@href"
        reasons.append(f"numbered page links ({', '.join(params)}=) lead to {len(page_urls)} other page(s)")
    prefix = f"{shape[1]}?" if shape[0] == "query" else shape[1]
    return InferredListing(selector, next_page, page_links, id_pattern, urls, reasons, prefix)


def _describe(shape: tuple[str, ...]) -> str:
    if shape[0] == "query":
        return f"{shape[1]}?{'&'.join(f'{k}=' for k in shape[2:])}"
    return f"{shape[1]}..."
