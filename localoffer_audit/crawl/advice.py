"""The directory's own information and advice pages: told apart from its records.

A council's Local Offer is a directory of services *and* the council's guidance for
families ("What is an EHCP?", "Preparing for adulthood"). Guidance pages are mixed into
the directory: FSD lists ``advice.page`` items among its results (``crawl/fsd.py``);
a LocalGov Drupal site lists guide and service pages beside its directory entries, or
links them from an "Information and advice" block on the directory's page. Their links
are checked like a record's, but they have no provider: their findings are the Local
Offer team's, and the per-entry rules (contacts, dates, duplicates) do not apply.

How a page is known as guidance, from the markup real software prints, not one site's:

- **Drupal's node type.** Drupal themes print the content type of the page on
  ``<body class="page-node-type-X">`` and of each node on ``<article class="node
  node--type-X">`` (also the rows of a listing, in the ``search_result`` view mode).
  LocalGov Drupal's guidance types are ``localgov_guides_overview`` / ``_page``,
  ``localgov_services_landing`` / ``_sublanding`` / ``_page``, step-by-step and
  publication pages; its directory entries are ``localgov_directories_venue``,
  ``_page``, ``_org`` and ``localgov_directory_promo_page``. Drupal's own basic
  ``page`` and ``article`` types are guidance too.
- **A listing row marked as guidance**: the row holding the link has a class word
  ``advice``, ``guidance`` or ``guide`` (a badge's row class, as FSD-style templates print).
- **A block headed as guidance** on a listing page ("Information and advice", "Advice
  and guidance", "Help and guidance"): its on-site links that are not records.

A page whose kind nothing says is left as the listing took it (a record).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from parsel import Selector

from localoffer_audit.crawl.common import absolute_url, finalise, host_of, is_chrome
from localoffer_audit.models import ADVICE_PAGE_KIND, ServiceItem

# Stored pages of this kind carry ``extra.page_kind = "advice"`` (ServiceItem.is_advice_page).
ADVICE_KIND = ADVICE_PAGE_KIND
ENTRY_KIND = "entry"

# Drupal content types (as printed in classes: underscores become hyphens).
GUIDANCE_NODE_TYPES = frozenset({
    "localgov-guides-overview", "localgov-guides-page",
    "localgov-services-landing", "localgov-services-sublanding", "localgov-services-page",
    "localgov-step-by-step-overview", "localgov-step-by-step-page",
    "localgov-publication-page", "localgov-publication-cover-page",
})
# Drupal's basic page and article: guidance on a LocalGov site, but a bespoke Drupal
# directory may keep its records in them, so they never overrule configured selectors.
PLAIN_NODE_TYPES = frozenset({"page", "article"})
ENTRY_NODE_TYPES = frozenset({
    "localgov-directories-venue", "localgov-directories-page", "localgov-directories-org",
    "localgov-directory-promo-page",
})
_BODY_TYPE = re.compile(r"(?:^|\s)page-node-type-([a-z0-9-]+)")
_NODE_TYPE = re.compile(r"(?:^|\s)node--type-([a-z0-9-]+)")
# A listing row's class that says it is guidance, not a record: the word itself
# ("result-item advice"), a BEM modifier ("search-result--advice") or the word naming
# the row ("guidance-item", "advice_card"). Not any class that contains the word:
# "service-type-advice-and-support" is a record's category, common on SEND directories.
_GUIDANCE_CLASS = re.compile(
    r"(?:[a-z0-9]+(?:-[a-z0-9]+)*--)?(?:advice|guidance|guides?)(?:[-_](?:page|item|row|card|teaser|result|entry|article))?"
)
# How far up from a link its row can be (a row is a few wrappers around the title link).
_ROW_DEPTH = 5
# A row links its record, perhaps a website and a category or two; more is a list of rows.
_ROW_LINKS = 4
# Headings of a guidance block: short, and about advice or guidance (not "Contact information").
_ADVICE_HEADING = re.compile(
    r"^\s*(?:(?:information|help|support),?\s+(?:and|&)\s+(?:advice|guidance)|(?:advice|guidance)(?:\s+(?:and|&)\s+"
    r"(?:information|guidance|support|help))?|guides?|useful (?:information|guides)|information for (?:families|parents"
    r"(?: and carers)?|young people)|(?:send|local offer) (?:advice|guidance|guides|information))\s*$",
    re.I,
)
_HEADINGS = "self::h2 or self::h3 or self::h4"
# A leaflet or form linked from a guidance block is a document, not a page to read (its
# link is checked where a page links it).
_FILE_PATH = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|odt|rtf|csv|zip|jpe?g|png|gif|svg|mp3|mp4)$", re.I)
_HEADING_TAGS = ("h2", "h3", "h4")


def kind_of_node_type(node_type: str, *, plain_is_advice: bool = True) -> str | None:
    if node_type in GUIDANCE_NODE_TYPES or (plain_is_advice and node_type in PLAIN_NODE_TYPES):
        return ADVICE_KIND
    if node_type in ENTRY_NODE_TYPES:
        return ENTRY_KIND
    return None


def page_kind(sel: Selector, *, plain_is_advice: bool = True) -> str | None:
    """What the page says it is: ``advice``, ``entry`` (a directory record) or None.
    With ``plain_is_advice`` false, a basic page or article says nothing."""
    body = _BODY_TYPE.search(" ".join(sel.xpath("//body/@class").getall()))
    if body:
        return kind_of_node_type(body.group(1), plain_is_advice=plain_is_advice)
    # Without the body class: the page's own node (the full view of the main article).
    for article in sel.xpath("//article[contains(@class, 'node--type-')]"):
        classes = article.attrib.get("class") or ""
        if "node--view-mode-full" in classes or not article.xpath("ancestor::article"):
            found = _NODE_TYPE.search(classes)
            if found and "node--view-mode-search-result" not in classes and "node--view-mode-teaser" not in classes:
                return kind_of_node_type(found.group(1), plain_is_advice=plain_is_advice)
    return None


def row_kind(anchor: Selector) -> str | None:
    """What a listing row says its link is (the Drupal node type of the row, or a class word).

    The row is the link's nearest wrappers holding one record: the climb stops at an
    element holding more than one heading or several links (the list of all rows)."""
    element = anchor.root
    for _ in range(_ROW_DEPTH):
        element = element.getparent()
        if element is None or not isinstance(element.tag, str) or element.tag in ("body", "main", "ul", "ol", "table"):
            return None
        if len(element.xpath(".//h2 | .//h3 | .//h4")) > 1 or len(set(element.xpath(".//a/@href"))) > _ROW_LINKS:
            return None
        classes = element.get("class") or ""
        found = _NODE_TYPE.search(classes)
        if found:
            return kind_of_node_type(found.group(1))
        if any(_GUIDANCE_CLASS.fullmatch(token) for token in classes.lower().split()):
            return ADVICE_KIND
    return None


def listing_row_kinds(sel: Selector, page_url: str, wanted: set[str] | None = None) -> dict[str, str]:
    """URL -> kind for the links on a listing page whose row says what it is (only the
    URLs in ``wanted``, when given: the climb up each row is the costly part)."""
    kinds: dict[str, str] = {}
    for anchor in sel.xpath("//a[@href]"):
        url = absolute_url(anchor.attrib.get("href"), page_url)
        if not url:
            continue
        url = url.split("#")[0]
        if (wanted is None or url in wanted) and url not in kinds and (kind := row_kind(anchor)) is not None:
            kinds[url] = kind
    return kinds


def advice_block_links(sel: Selector, page_url: str) -> list[str]:
    """On-site links in the page's guidance blocks ("Information and advice": a heading
    and the links after it, up to the next heading), outside site chrome."""
    host = host_of(page_url)
    found: list[str] = []
    for heading in sel.xpath(f"//*[{_HEADINGS}]"):
        # The wording first: the chrome test is the costly one, and most headings are records'.
        if not _ADVICE_HEADING.match(" ".join(heading.xpath(".//text()").getall())) or is_chrome(heading):
            continue
        # The heading may sit alone in a title wrapper: step out of it (twice at most).
        anchor_point = heading
        for _ in range(3):
            anchors = _anchors_after(anchor_point)
            if anchors:
                break
            parents = anchor_point.xpath("..")
            if not parents or parents[0].root.tag in ("body", "main"):
                break
            anchor_point = parents[0]
        for anchor in anchors:
            url = absolute_url(anchor.attrib.get("href"), page_url)
            if (url and url.startswith(("http://", "https://")) and host_of(url) == host and not is_chrome(anchor)
                    and not _FILE_PATH.search(urlsplit(url).path)):
                url = url.split("#")[0]
                if url != page_url.split("#")[0] and url not in found:
                    found.append(url)
    return found


def _anchors_after(point: Selector) -> list[Selector]:
    """Links in the siblings after ``point``, up to the next heading sibling."""
    anchors: list[Selector] = []
    for sibling in point.xpath("following-sibling::*"):
        if sibling.root.tag in _HEADING_TAGS or sibling.xpath(f"./*[1][{_HEADINGS}]"):
            break
        anchors.extend(sibling.xpath("self::a[@href] | .//a[@href]"))
    return anchors


def as_advice(item: ServiceItem) -> ServiceItem:
    """A parsed page stored as guidance: no provider, so its findings go to the default
    owner, the Local Offer team ([managers] default_owner_*), never to an address the
    page happens to print (a guidance page names SENDIASS, a helpline...)."""
    item.extra["page_kind"] = ADVICE_KIND
    item.contacts = []
    item.organisation = None
    return finalise(item)
