"""What every platform's parser shares: settings, link places, text of HTML, hashes."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from localoffer_audit.config import DEFAULT_DATE_LABELS
from localoffer_audit.models import LinkPlace, ServiceItem
from localoffer_audit.crawl.pagetools import in_page_tools, page_tool_reason
from localoffer_audit.crawl.text import clean
from localoffer_audit.parsing.contact_values import decode_cloudflare_email
from localoffer_audit.parsing.contact_values import is_map_link_text
from localoffer_audit.parsing.hrefs import href_problem
from localoffer_audit.parsing.html_text import element_text

# Schemes whose links are recorded; anything else (javascript:, data:) is not a link.
RECORDED_SCHEMES = ("http", "https", "mailto", "tel")
# Links that lead back to the listing, whatever the site calls them.
_BACK_TO_RESULTS = re.compile(r"^\s*(<\s*)?(back|return)\s+to\s+(the\s+)?(search\s+)?(results|search|list|directory)", re.I)
# Elements that are site chrome even when they sit inside the record's region.
CHROME_XPATH = (
    "ancestor-or-self::*[self::nav or self::footer or self::script or self::style or self::form"
    " or contains(concat(' ', normalize-space(@class), ' '), ' breadcrumb')"
    " or contains(@class, 'breadcrumb') or contains(@id, 'breadcrumb')"
    " or @role='navigation' or @role='contentinfo' or @role='banner' or @aria-label='breadcrumb'"
    " or (self::header and not(@id='hit-header') and not(ancestor::main) and not(ancestor::article))"
    " or @id='header' or @id='footer' or contains(@class, 'site-header') or contains(@class, 'site-footer')"
    " or contains(@class, 'cookie') or contains(@id, 'cookie') or contains(@class, 'skip-link')]"
)


def is_chrome(selector: Selector) -> bool:
    """Site chrome (navigation, header, footer, forms...) or a block of page tools
    (print, share, shortlist, feedback: ``pagetools.py``), even inside the record."""
    return bool(selector.xpath(CHROME_XPATH)) or in_page_tools(selector)


@dataclass(frozen=True, slots=True)
class FailedServicePage:
    """A listed service whose page failed after retries (5xx, timeout, unreadable, no name).

    The pipeline keeps the content stored before and counts the service as seen, so one
    broken record neither looks removed nor makes the night's crawl useless.
    """

    directory_id: str
    url: str


@dataclass(frozen=True, slots=True)
class ParseSettings:
    """What the pure parsers need from the config."""

    date_labels: tuple[str, ...] = DEFAULT_DATE_LABELS
    # Hosts of the directory itself: links there are navigation, not outbound links.
    own_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config) -> ParseSettings:  # noqa: ANN001 - Config, imported lazily by callers
        hosts = frozenset(host_of(url) for url in config.directory.start_urls)
        return cls(date_labels=tuple(config.directory.date_labels), own_hosts=hosts)

    def is_own(self, url: str, page_url: str) -> bool:
        host = host_of(url)
        return host in self.own_hosts or host == host_of(page_url)


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def absolute_url(href: str | None, base: str) -> str | None:
    """The absolute URL of an href, or None for empty, fragment-only or unusable hrefs."""
    if href is None:
        return None
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    # A Cloudflare-protected mailto: /cdn-cgi/l/email-protection#<hex>
    if "/cdn-cgi/l/email-protection#" in href:
        email = decode_cloudflare_email(href.rsplit("#", 1)[1])
        return f"mailto:{email}" if email else None
    try:
        url = urljoin(base, href)
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in RECORDED_SCHEMES else None




def is_back_to_results(anchor_text: str) -> bool:
    return bool(_BACK_TO_RESULTS.match(anchor_text))


def is_template_link(anchor: Selector, anchor_text: str) -> bool:
    """Links the site's template adds to every record (a map for the postcode): not
    content a content manager wrote or can fix."""
    return is_map_link_text(anchor_text) or "map-link" in (anchor.attrib.get("class") or "")


def decode_cloudflare_spans(selector: Selector) -> None:
    """Replace Cloudflare email spans with the address they hide, in place."""
    for span in selector.css("[data-cfemail]"):
        email = decode_cloudflare_email(span.attrib.get("data-cfemail", ""))
        if email is None:
            continue
        node = span.root
        # lxml: drop the children, set the text, keep the tail.
        for child in list(node):
            node.remove(child)
        node.text = email
        node.attrib.pop("data-cfemail", None)


def _raw_text(selector: Selector) -> str:
    root = selector.root
    if isinstance(root, str):
        return root
    return element_text(root)


def text_of(selector: Selector | Iterable[Selector]) -> str:
    """Visible text of an element; block boundaries and <br> become spaces, inline ones nothing."""
    if isinstance(selector, Selector):
        selector = [selector]
    return clean(" ".join(_raw_text(sel) for sel in selector))


def lines_of(selector: Selector) -> list[str]:
    """Text of an element split at <br> and block elements, one cleaned line each."""
    return [line for line in (clean(part) for part in _raw_text(selector).split("\n")) if line]


def html_fragment_text(html: str | None) -> str:
    """Plain text of an HTML fragment (an ORUK description with markup in it)."""
    if not html:
        return ""
    if "<" not in html:
        return clean(html)
    return text_of(Selector(text=f"<div>{html}</div>").xpath("//div[1]"))


@dataclass(slots=True)
class LinkCollector:
    """Collects a record's links with their places, once per (url, field, element, attribute)."""

    page_url: str
    settings: ParseSettings
    places: list[LinkPlace] = field(default_factory=list)
    _seen: set[tuple[str, str, str, str]] = field(default_factory=set)

    def add(
        self,
        url: str | None,
        field_name: str,
        *,
        element: str = "a",
        attribute: str = "href",
        anchor_text: str | None = None,
        always: bool = False,
    ) -> None:
        """Record a link unless it is navigation on the directory's own host.

        ``always`` records own-host links too: the Website field is always recorded,
        because a "website" that is the directory's own page is itself a finding.
        """
        if not url:
            return
        if not always and url.startswith(("http://", "https://")) and self.settings.is_own(url, self.page_url):
            return
        key = (url, field_name, element, attribute)
        if key in self._seen:
            return
        self._seen.add(key)
        self.places.append(
            LinkPlace(url=url, field=field_name, element=element, attribute=attribute, anchor_text=anchor_text or None)
        )

    def add_anchors(self, region: Selector, field_name: str, *, always: bool = False) -> None:
        """Every <a href> (and <area href>) inside ``region`` that is not site chrome."""
        for anchor in region.xpath(".//a[@href] | .//area[@href]"):
            self.add_anchor(anchor, field_name, always=always)

    def add_anchor(self, anchor: Selector, field_name: str, *, always: bool = False) -> None:
        if anchor.xpath(CHROME_XPATH):
            return
        anchor_text = text_of(anchor)
        if is_back_to_results(anchor_text) or is_template_link(anchor, anchor_text):
            return
        element = anchor.root.tag if isinstance(anchor.root.tag, str) else "a"
        href = anchor.attrib.get("href")
        if href_problem(href):
            # "htttp://..." or "www.example.org": broken for the family who clicks it, so
            # recorded as written (the link checker says why and how to fix it), never
            # dropped as an unknown scheme or taken for a page of this site.
            self.add(href.strip(), field_name, element=element, anchor_text=anchor_text, always=True)  # type: ignore[union-attr]
            return
        url = absolute_url(href, self.page_url)
        if page_tool_reason(anchor, anchor_text, url, self.page_url):
            return
        self.add(url, field_name, element=element, anchor_text=anchor_text, always=always)

    def add_email(self, email: str | None, field_name: str, *, element: str, attribute: str = "text") -> None:
        if email:
            self.add(f"mailto:{email}", field_name, element=element, attribute=attribute, anchor_text=email)


def content_hash(item: ServiceItem) -> str:
    """A stable hash of what the entry says (not where or when it was fetched)."""
    data = asdict(item)
    # Where the entry was read (a listing's channel parameters vary) is not what it says.
    for volatile in ("content_hash", "http_status", "url"):
        data.pop(volatile, None)
    encoded = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:32]


def finalise(item: ServiceItem) -> ServiceItem:
    item.content_hash = content_hash(item)
    return item
