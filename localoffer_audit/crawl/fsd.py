"""Open Objects / Idox "Family Services Directory" (FSD, kb5) pages, parsed purely.

``parse_fsd_results`` reads a results page: the service records it lists (ids
normalised; ``advice.page`` items kept apart as guidance, ``crawl/advice.py``) and its pagination links (offset ``sr``).
``parse_fsd_service`` reads a record page into a ServiceItem: every ``field_section``
``<dl>`` by label, the venue, the description, the dates shown, and every outbound link
of the record with its place. Only the record's own region is read, never site chrome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse

from localoffer_audit.models import Contact, ServiceItem, ShownDate
from localoffer_audit.crawl.common import (
    CHROME_XPATH,
    LinkCollector,
    ParseSettings,
    absolute_url,
    decode_cloudflare_spans,
    is_back_to_results,
    is_chrome,
    finalise,
    lines_of,
    text_of,
)
from localoffer_audit.crawl.dates import find_labelled_dates, match_date_label, shown_date
from localoffer_audit.crawl.pagetools import in_page_tools, page_tool_reason
from localoffer_audit.crawl.text import email_as_shown, clean, clean_phone, normalise_label, slug
from localoffer_audit.parsing.contact_values import clean_postcode, find_postcode, strip_map_text

PLATFORM = "fsd"
SERVICE_PAGE = "service.page"
RESULTS_PAGE = "results.page"
OFFSET_PARAM = "sr"
_RECORD_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_NEXT_TEXT = re.compile(r"^\s*(next|>|»|›|next page)\b", re.I)


@dataclass(frozen=True, slots=True)
class ServiceLink:
    directory_id: str
    url: str
    name: str


@dataclass(frozen=True, slots=True)
class PageLink:
    offset: int
    url: str


@dataclass(slots=True)
class ResultsPage:
    """One page of results: the records it lists and where the other pages are."""

    url: str
    offset: int
    services: list[ServiceLink] = field(default_factory=list)
    # Links to other result pages of the same search, by offset (including lower ones).
    pages: list[PageLink] = field(default_factory=list)
    # The page a "next" link points to, if the site prints one.
    next_url: str | None = None
    # A "next" link pointing back to this page or an earlier one: a pagination loop.
    next_points_back: bool = False
    # Records listed twice on this page (the same id under several channels).
    duplicates: int = 0
    # Set by the spider: a further page listing only records earlier pages listed (a loop).
    repeats_earlier: bool = False
    # The directory's own information/advice pages linked from the page (id -> URL).
    advice: dict[str, str] = field(default_factory=dict)

    @property
    def higher_pages(self) -> list[PageLink]:
        return [page for page in self.pages if page.offset > self.offset]


def _page_id(url: str, page_name: str) -> str | None:
    """The ``id`` of a ``<page_name>?id=X[&...]`` URL, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.path.endswith(page_name):
        return None
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() == "id":
            value = value.strip()
            return value if _RECORD_ID.match(value) else None
    return None


def fsd_record_id(url: str) -> str | None:
    """The record id of a ``service.page?id=X[&channel=...]`` URL, else None."""
    return _page_id(url, SERVICE_PAGE)


# Some FSD sites number their results pages (``...&page=2``, from 1) instead of
# giving an offset (``...&sr=20``): both say where in one search a page sits.
PAGE_NUMBER_PARAM = "page"
_PAGING_PARAMS = (OFFSET_PARAM, PAGE_NUMBER_PARAM)


ADVICE_PAGE = "advice.page"


def fsd_advice_id(url: str) -> str | None:
    """The id of an ``advice.page?id=X`` URL (a guidance page, not a service), else None."""
    return _page_id(url, ADVICE_PAGE)


def listing_offset(url: str) -> int:
    """Where a results page sits in its search: the ``sr`` offset, else ``page`` - 1."""
    query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    for wanted, shift in ((OFFSET_PARAM, 0), (PAGE_NUMBER_PARAM, 1)):
        for key, value in query:
            if key == wanted:
                try:
                    return max(int(value) - shift, 0)
                except ValueError:
                    return 0
    return 0


def listing_key(url: str) -> tuple[str, str, int]:
    """The same search at the same place, whatever the order of its parameters."""
    parts = urlsplit(url)
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _PAGING_PARAMS)
    return (parts.path, urlencode(query), listing_offset(url))


def same_search(url: str, other: str) -> bool:
    """Two results pages of one search (a facet or another channel is another search)."""
    return listing_key(url)[:2] == listing_key(other)[:2]


def _is_listing_url(url: str) -> bool:
    return urlsplit(url).path.endswith(RESULTS_PAGE)


def _outside_chrome(selector: Selector) -> bool:
    return not (selector.xpath(CHROME_XPATH + " | ancestor::header[not(@id='hit-header')]") or in_page_tools(selector))


def parse_fsd_results(response: TextResponse) -> ResultsPage:
    """Records and pagination links of one FSD results page."""
    page = ResultsPage(url=response.url, offset=listing_offset(response.url))
    seen: set[str] = set()
    for anchor in response.xpath("//a[@href]"):
        url = absolute_url(anchor.attrib["href"], response.url)
        if url is None or not url.startswith(("http://", "https://")):
            continue
        record_id = fsd_record_id(url)
        if record_id is not None:
            if not _outside_chrome(anchor):
                continue
            if record_id in seen:
                page.duplicates += 1
                continue
            seen.add(record_id)
            page.services.append(ServiceLink(record_id, url, text_of(anchor)))
            continue
        if (advice_id := fsd_advice_id(url)) is not None and _outside_chrome(anchor):
            page.advice.setdefault(advice_id, url)
            continue
        if _is_listing_url(url) and urlsplit(url).netloc == urlsplit(response.url).netloc:
            link = PageLink(listing_offset(url), url)
            if link.offset != page.offset and all(p.offset != link.offset for p in page.pages):
                page.pages.append(link)
            is_next = anchor.attrib.get("rel", "").lower() == "next" or bool(_NEXT_TEXT.match(text_of(anchor)))
            if is_next:
                page.next_url = url
                page.next_points_back = link.offset <= page.offset
    page.pages.sort(key=lambda p: p.offset)
    if page.next_url is None and page.higher_pages:
        page.next_url = page.higher_pages[0].url
    return page


def canonical_service_url(url: str) -> str:
    """``service.page?id=X`` without channel parameters: one URL per record."""
    parts = urlsplit(url)
    record_id = fsd_record_id(url)
    if record_id is None:
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode({"id": record_id}), ""))


# --- record pages -----------------------------------------------------------------

_PHONE_LABELS = ("telephone", "phone", "mobile", "tel", "tel.", "textphone", "minicom")
_NAME_LABELS = {"name", "contact name", "contact", "contact person", "lead contact", "main contact"}
_POSITION_LABELS = {"position", "job title", "role", "contact position"}
_ORG_LABELS = {"organisation", "organisation name", "organization", "provider", "provided by", "run by", "service provider"}
_AGE_LABELS = {"age range", "age groups", "age group", "ages", "age", "age bands", "age band", "age ranges"}
_COST_LABELS = {"cost", "costs", "fees", "fee", "cost details", "cost table", "charges", "price", "prices"}
_CATEGORY_LABELS = {"category", "categories", "service type", "type of service", "service category", "service types"}
_ADDRESS_LABELS = {"address", "venue address", "location"}
_POSTCODE_LABELS = {"postcode", "post code"}


def _is_phone_label(label: str) -> bool:
    return label in _PHONE_LABELS or any(word in label for word in ("telephone", "phone", "mobile"))


def _is_email_label(label: str) -> bool:
    return "email" in label or "e-mail" in label


def _is_website_label(label: str) -> bool:
    return "website" in label or label in {"web", "url", "web address", "web site"}


def _link_field(label: str, in_local_offer: bool) -> str:
    if in_local_offer:
        return "local_offer"
    if _is_website_label(label):
        return "website"
    if _is_email_label(label):
        return "contact_email"
    if "social" in label or label in {"facebook", "twitter", "instagram", "x", "youtube", "linkedin"}:
        return "social_media"
    if any(word in label for word in ("document", "download", "attachment", "leaflet", "file")):
        return "documents"
    return slug(label)


def _common_ancestor(elements: list[etree._Element]) -> etree._Element | None:
    """The innermost element containing all of ``elements`` (or None)."""
    if not elements:
        return None
    others = elements[1:]
    for candidate in [elements[0], *elements[0].iterancestors()]:
        if all(candidate is other or any(a is candidate for a in other.iterancestors()) for other in others):
            return candidate
    return None


def _record_name(sel: Selector) -> tuple[str, Selector | None]:
    heading = sel.css("#hit-header h1")
    if heading:
        return text_of(heading[0]), heading[0]
    headings = [h for h in sel.xpath("//h1") if _outside_chrome(h)]
    if len(headings) >= 2:
        return text_of(headings[1]), headings[1]
    if headings:
        return text_of(headings[0]), headings[0]
    title = clean(sel.xpath("//title/text()").get())
    return clean(title.split(" | ")[0]) if title else "", None


def _record_region(sel: Selector, heading: Selector | None) -> Selector:
    """The element holding the record: heading and every field section, nothing more."""
    sections = sel.xpath("//*[contains(concat(' ', normalize-space(@class), ' '), ' field_section ')]")
    elements = [s.root for s in sections if _outside_chrome(s)]
    if heading is not None:
        elements.insert(0, heading.root)
    ancestor = _common_ancestor(elements)
    if ancestor is not None and len(elements) > 1:
        return Selector(root=ancestor)
    for fallback in ("//main", "//*[@id='content']", "//*[@role='main']", "//body"):
        found = sel.xpath(fallback)
        if found:
            return found[0]
    return sel


@dataclass(slots=True)
class _Section:
    heading: str
    local_offer: bool
    venue: bool
    selector: Selector


def _sections(region: Selector) -> list[_Section]:
    found = []
    for section in region.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' field_section ')]"):
        if is_chrome(section):
            continue
        heading = text_of(section.xpath("(.//h2 | .//h3 | .//h4)[1]"))
        marker = (heading + " " + (section.attrib.get("class") or "") + " " + (section.attrib.get("id") or "")).lower()
        local_offer = "local offer" in marker or "localoffer" in marker or "local_offer" in marker
        venue = "venue" in marker or "where to go" in marker or bool(section.attrib.get("data-html-address") is not None)
        found.append(_Section(heading, local_offer, venue, section))
    return found


def _dd_for(dt: Selector) -> Selector | None:
    """The <dd> answering a <dt> (the next <dd> before another <dt>)."""
    dd = dt.xpath("following-sibling::*[1][self::dd]")
    return dd[0] if dd else None


def _description_region(region: Selector, date_labels: tuple[str, ...], page_url: str) -> list[Selector]:
    candidates = region.xpath(
        ".//*[(contains(translate(@class, 'DESCRIPTION', 'description'), 'description')"
        " or contains(translate(@id, 'DESCRIPTION', 'description'), 'description'))"
        " and not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' field_section ')])]"
    )
    # Outermost matches only (a description div may wrap a description paragraph).
    outer = [c for c in candidates if not any(o.root in c.root.iterancestors() for o in candidates if o is not c)]
    if outer:
        return outer
    paragraphs = region.xpath(
        ".//p[not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' field_section ')])"
        " and not(ancestor::*[@id='hit-header'])]"
    )
    kept = []
    for paragraph in paragraphs:
        text = text_of(paragraph)
        if is_chrome(paragraph) or not text or is_back_to_results(text) or _only_page_tools(paragraph, text, page_url):
            continue
        if find_labelled_dates(text, date_labels):
            continue
        kept.append(paragraph)
    return kept


# A line of page tools may carry a few words of its own ("Spotted a mistake? Suggest an update").
_TOOL_LINE_WORDS = 8


def _only_page_tools(paragraph: Selector, text: str, page_url: str) -> bool:
    """A paragraph that is a line of page tools: a page-tool link and a few words around it."""
    tools = [
        a for a in paragraph.xpath(".//a[@href]")
        if page_tool_reason(a, text_of(a), absolute_url(a.attrib.get("href"), page_url), page_url)
    ]
    if not tools:
        return False
    rest = text
    for anchor in tools:
        rest = rest.replace(text_of(anchor), " ")
    return len(rest.split()) <= _TOOL_LINE_WORDS


_ADDRESS_TAG = re.compile(r"<(/?)address\b", re.I)


def _address_as_div(html: str) -> str:
    """FSD wraps venue <dl>s in <address>; libxml2 closes <address> at the <dl>, so rename it."""
    return _ADDRESS_TAG.sub(lambda m: "</div" if m.group(1) else "<div data-html-address=''", html)


def parse_fsd_service(response: TextResponse, settings: ParseSettings | None = None) -> ServiceItem:
    """A record page as a ServiceItem (``http_status`` is the response's status)."""
    settings = settings or ParseSettings()
    sel = Selector(text=_address_as_div(response.text or "<html></html>"))
    decode_cloudflare_spans(sel)
    name, heading = _record_name(sel)
    region = _record_region(sel, heading)
    links = LinkCollector(response.url, settings)
    item = ServiceItem(
        directory_id=fsd_record_id(response.url) or response.url,
        url=response.url,
        name=name,
        platform=PLATFORM,
        http_status=response.status,
    )

    dates: list[ShownDate] = []
    contacts: list[Contact] = []
    websites: list[tuple[bool, str]] = []
    tree = region.root.getroottree()
    placed_anchors: set[str] = set()
    for section in _sections(region):
        contact = Contact()
        extra_phones: list[str] = []
        is_venue = section.venue
        for dt in section.selector.xpath(".//dt"):
            raw_label = text_of(dt)
            label = normalise_label(raw_label)
            dd = _dd_for(dt)
            if not label or dd is None:
                continue
            value = text_of(dd)
            key = clean(raw_label).rstrip(":").strip()
            if key in item.fields:
                key = f"{section.heading or 'Section'}: {key}"
            item.fields[key] = value
            link_field = _link_field(label, section.local_offer)
            placed_anchors.update(tree.getpath(a.root) for a in dd.xpath(".//a[@href]"))
            if _is_website_label(label):
                before = len(links.places)
                links.add_anchors(dd, link_field, always=True)
                hrefs = [p.url for p in links.places[before:]]
                if not hrefs and value.startswith(("http://", "https://", "www.")):
                    url = value if "://" in value else f"https://{value}"
                    links.add(url, link_field, element="dd", attribute="text", anchor_text=value, always=True)
                    hrefs = [url]
                websites.extend((section.local_offer, h) for h in hrefs)
            else:
                links.add_anchors(dd, link_field)
            if _is_email_label(label):
                email = _email_as_shown(dd, value)
                if email and not any(p.url.lower() == f"mailto:{email}".lower() for p in links.places):
                    links.add_email(email, link_field, element="dd")
                if email and contact.email is None:
                    contact.email = email
            elif _is_phone_label(label):
                phone = clean_phone(value)
                if contact.phone is None:
                    contact.phone = phone
                elif phone and phone != contact.phone:
                    extra_phones.append(phone)
            elif label in _NAME_LABELS and not is_venue:
                contact.name = contact.name or value or None
            elif label in _POSITION_LABELS:
                contact.position = contact.position or value or None
            elif label in _ORG_LABELS:
                item.organisation = item.organisation or value or None
            elif label in _AGE_LABELS:
                # The main sections win over the Local Offer block's copy.
                if value and (item.age_range is None or not section.local_offer):
                    item.age_range = value
            elif label in _COST_LABELS:
                item.cost = item.cost or value or None
            elif label in _CATEGORY_LABELS:
                values = [clean(v) for v in dd.xpath(".//li//text()").getall()] or re.split(r"[,;\n]", value)
                item.categories.extend(v for v in (clean(v) for v in values) if v and v not in item.categories)
            elif label in _ADDRESS_LABELS:
                item.address = item.address or ", ".join(lines_of(dd)) or None
            elif label in _POSTCODE_LABELS:
                item.postcode = item.postcode or clean_postcode(value)
            if match_date_label(raw_label, settings.date_labels):
                dates.append(shown_date(label, value))
        if not section.selector.xpath(".//dt"):
            _read_list_section(section, item, links, placed_anchors, tree)
        if contact.name or contact.phone or contact.email or contact.position:
            if contact not in contacts:
                contacts.append(contact)
        # A second number in one block: another way to reach the same contact.
        for phone in extra_phones:
            contacts.append(Contact(name=contact.name, position=contact.position, phone=phone))
    item.contacts = contacts
    main_sites = [url for lo, url in websites if not lo] or [url for _, url in websites]
    item.website = main_sites[0] if main_sites else None

    _read_venue(region, item)
    if item.organisation is None:
        # Some templates print the provider under the heading rather than as a field.
        org = region.css("#hit-header [class*='org'], #hit-header [class*='provider']")
        item.organisation = text_of(org[0]) or None if org else None

    description = _description_region(region, settings.date_labels, response.url)
    item.description = clean(" ".join(text_of(d) for d in description)) or None
    for block in description:
        links.add_anchors(block, "description")
        placed_anchors.update(tree.getpath(a.root) for a in block.xpath(".//a[@href]"))

    # Any other outbound link in the record (a banner, a "download leaflet" button).
    for anchor in region.xpath(".//a[@href]"):
        if tree.getpath(anchor.root) in placed_anchors:
            continue
        links.add_anchor(anchor, "other")

    for line in lines_of(region):
        for found in find_labelled_dates(line, settings.date_labels):
            if all((d.label, d.raw) != (found.label, found.raw) for d in dates):
                dates.append(found)
    item.dates = dates
    item.links = links.places
    return finalise(item)


def _email_as_shown(dd: Selector, value: str) -> str | None:
    """The address as the page gives it (a mailto: href, else the text), not a cleaned-up
    guess: a malformed address must reach the email checks as it is."""
    mailtos = []
    for href in dd.xpath(".//a/@href").getall():
        url = absolute_url(href, "https://x.invalid/")
        if url and url.lower().startswith("mailto:"):
            mailtos.append(url[len("mailto:") :])
    return email_as_shown(mailtos, value)


def _read_list_section(section: _Section, item: ServiceItem, links: LinkCollector, placed: set[str], tree) -> None:  # noqa: ANN001
    """A field section without <dl>: a heading and a list ("Categories", "Documents")."""
    label = normalise_label(section.heading)
    if not label:
        return
    values = [text_of(li) for li in section.selector.xpath(".//li")] or [
        line for line in lines_of(section.selector) if normalise_label(line) != label
    ]
    values = [v for v in values if v]
    if label in _CATEGORY_LABELS:
        item.categories.extend(v for v in values if v not in item.categories)
    elif values:
        key = clean(section.heading).rstrip(":").strip()
        item.fields.setdefault(key, "; ".join(values))
    field_name = _link_field(label, section.local_offer)
    for anchor in section.selector.xpath(".//a[@href]"):
        links.add_anchor(anchor, field_name, always=_is_website_label(label))
        placed.add(tree.getpath(anchor.root))


def _read_venue(region: Selector, item: ServiceItem) -> None:
    """The venue block: address lines as <span>s split by <br>, postcode often glued to map text."""
    venue = region.css(".service_venue, [class*='venue'], [data-html-address]")
    if not venue:
        return
    block = venue[0]
    lines = [strip_map_text(line) for line in lines_of(block)]
    # Drop map links and labels printed as lines of their own ("Address", "Venue").
    lines = [line for line in lines if line and normalise_label(line) not in {"address", "venue", "where", "venue address"}]
    if item.address is None and lines:
        item.address = ", ".join(lines)
    if item.postcode is None:
        item.postcode = find_postcode(" \n ".join(lines))
