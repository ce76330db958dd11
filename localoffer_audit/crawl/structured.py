"""A record page read from its structure alone, for a site with no field selectors.

Directory software prints a record's fields in a few shapes: ``<dt>label</dt><dd>value</dd>``
pairs (FSD, many council templates), Drupal fields (``<div class="field field--name-...">``
with a ``field__label`` and ``field__item``s: LocalGov Drupal directories), table rows
(``<th>label</th><td>value</td>``) and schema.org microdata (``itemprop="telephone"``).
Each pair is read by its label with the same label vocabulary as the FSD parser, so
"Telephone", "Phone:" and a Drupal ``field--name-localgov-directory-phone`` all become the
contact's phone. The record's name is its main ``<h1>``; the description is the body field,
a schema.org description, or the paragraphs of the main region that are not fields.
Only the main region is read, never navigation, header, footer or page tools. A page
whose markup says it is guidance, not a record (``crawl/advice.py``), is marked
``extra.page_kind = "advice"``.
"""

from __future__ import annotations

import re

from parsel import Selector
from scrapy.http import TextResponse

from localoffer_audit.models import Contact, ServiceItem
from localoffer_audit.crawl.advice import ADVICE_KIND, page_kind
from localoffer_audit.crawl.common import (
    LinkCollector,
    ParseSettings,
    decode_cloudflare_spans,
    finalise,
    is_back_to_results,
    is_chrome,
    lines_of,
    text_of,
)
from localoffer_audit.crawl.dates import find_labelled_dates, match_date_label, shown_date
from localoffer_audit.crawl.fsd import (
    _ADDRESS_LABELS,
    _AGE_LABELS,
    _CATEGORY_LABELS,
    _COST_LABELS,
    _NAME_LABELS,
    _ORG_LABELS,
    _POSITION_LABELS,
    _POSTCODE_LABELS,
    _email_as_shown,
    _is_email_label,
    _is_phone_label,
    _is_website_label,
    _link_field,
)
from localoffer_audit.crawl.text import clean, clean_phone, normalise_label
from localoffer_audit.parsing.contact_values import clean_postcode, find_postcode

# Drupal field machine names carry the module's prefix: "field--name-localgov-directory-phone".
_DRUPAL_PREFIXES = ("localgov-directory-", "localgov-directories-", "localgov-", "field-")
_DESCRIPTION_FIELDS = {"body", "description", "summary", "about", "about us", "service description"}
# schema.org properties as labels of the vocabulary above.
_ITEMPROP_LABELS = {
    "telephone": "telephone", "email": "email", "url": "website", "postalcode": "postcode",
    "streetaddress": "address", "address": "address", "description": "description",
    "provider": "provider", "areaserved": "area served",
}
_MAIN_XPATHS = ("//main", "//*[@role='main']", "//*[@id='main-content']", "//*[@id='content']", "//article", "//body")


def main_region(sel: Selector) -> Selector:
    for xpath in _MAIN_XPATHS:
        found = sel.xpath(xpath)
        if found:
            return found[0]
    return sel


def record_name(sel: Selector, region: Selector) -> str:
    for scope in (region, sel):
        for heading in scope.xpath(".//h1"):
            if not is_chrome(heading) and text_of(heading):
                return text_of(heading)
    title = clean(sel.xpath("//title/text()").get())
    return clean(re.split(r"\s[|\-–]\s", title)[0]) if title else ""


def _drupal_label(field: Selector) -> str:
    label = field.css(".field__label")
    if label:
        return text_of(label[0])
    for cls in (field.attrib.get("class") or "").split():
        if cls.startswith("field--name-"):
            name = cls[len("field--name-"):]
            for prefix in _DRUPAL_PREFIXES:
                if name.startswith(prefix):
                    name = name[len(prefix):]
                    break
            return name.replace("-", " ")
    return ""


def labelled_pairs(region: Selector) -> list[tuple[str, Selector]]:
    """(label, value element) for every labelled field in the region, in page order."""
    pairs: list[tuple[str, Selector]] = []
    for dt in region.xpath(".//dt"):
        dd = dt.xpath("following-sibling::*[1][self::dd]")
        if dd and not is_chrome(dt):
            pairs.append((text_of(dt), dd[0]))
    for field in region.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' field ')]"):
        if is_chrome(field) or field.xpath("ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' field ')]"):
            continue
        items = field.css(".field__items") or field.css(".field__item")
        label = _drupal_label(field)
        if label and items:
            pairs.append((label, items[0]))
    for row in region.xpath(".//tr[th and td]"):
        if not is_chrome(row):
            pairs.append((text_of(row.xpath("./th[1]")), row.xpath("./td[1]")[0]))
    for prop in region.xpath(".//*[@itemprop]"):
        prop_label = _ITEMPROP_LABELS.get((prop.attrib.get("itemprop") or "").lower())
        if prop_label and not is_chrome(prop) and not prop.xpath("ancestor::dd | ancestor::*[contains(@class, 'field__item')]"):
            pairs.append((prop_label, prop))
    return pairs


def parse_structured_service(response: TextResponse, settings: ParseSettings | None = None) -> ServiceItem:
    settings = settings or ParseSettings()
    sel = Selector(text=response.text or "<html></html>")
    decode_cloudflare_spans(sel)
    region = main_region(sel)
    links = LinkCollector(response.url, settings)
    item = ServiceItem(directory_id=response.url, url=response.url, name=record_name(sel, region),
                       platform="generic", http_status=response.status)
    if page_kind(sel) == ADVICE_KIND:
        # Listed among the records, but the page's own markup says it is guidance (a
        # LocalGov Drupal guide or service page): the spider stores it as such.
        item.extra["page_kind"] = ADVICE_KIND
    contact = Contact()
    placed: set[int] = set()
    description_parts: list[str] = []
    description_blocks: list[Selector] = []
    for raw_label, value_sel in labelled_pairs(region):
        label = normalise_label(raw_label)
        if not label:
            continue
        if id(value_sel.root) in placed:
            continue
        placed.add(id(value_sel.root))
        value = text_of(value_sel)
        if label in _DESCRIPTION_FIELDS:
            if value:
                description_parts.append(value)
                description_blocks.append(value_sel)
            continue
        key = clean(raw_label).rstrip(":").strip()
        if value and key not in item.fields:
            item.fields[key] = value
        field_name = _link_field(label, False)
        if _is_website_label(label):
            before = len(links.places)
            links.add_anchors(value_sel, "website", always=True)
            if value_sel.root.tag == "a":
                links.add_anchor(value_sel, "website", always=True)
            urls = [p.url for p in links.places[before:]]
            if not urls and value.startswith(("http://", "https://", "www.")):
                url = value if "://" in value else f"https://{value}"
                links.add(url, "website", element=str(value_sel.root.tag), attribute="text", anchor_text=value, always=True)
                urls = [url]
            item.website = item.website or (urls[0] if urls else None)
            continue
        if _is_email_label(label):
            email = _email_as_shown(value_sel, value)
            if email is None and value_sel.root.tag == "a":
                email = _email_as_shown(Selector(text=f"<div>{value_sel.get()}</div>").xpath("//div")[0], value)
            if value_sel.root.tag == "a":
                links.add_anchor(value_sel, "contact_email")
            links.add_anchors(value_sel, "contact_email")
            if email:
                contact.email = contact.email or email
                if not any(p.url.lower() == f"mailto:{email}".lower() for p in links.places):
                    # An address printed as text: recorded as the page gives it.
                    links.add_email(email, "contact_email", element=str(value_sel.root.tag))
            continue
        elif _is_phone_label(label):
            contact.phone = contact.phone or clean_phone(value)
        elif label in _NAME_LABELS:
            contact.name = contact.name or value or None
        elif label in _POSITION_LABELS or label == "job title":
            contact.position = contact.position or value or None
        elif label in _ORG_LABELS:
            item.organisation = item.organisation or value or None
        elif label in _AGE_LABELS:
            item.age_range = item.age_range or value or None
        elif label in _COST_LABELS:
            item.cost = item.cost or value or None
        elif label in _CATEGORY_LABELS:
            values = [text_of(li) for li in value_sel.xpath(".//li")] or re.split(r"[,;\n]", value)
            item.categories.extend(v for v in (clean(v) for v in values) if v and v not in item.categories)
        elif label in _ADDRESS_LABELS:
            item.address = item.address or ", ".join(lines_of(value_sel)) or None
        elif label in _POSTCODE_LABELS:
            item.postcode = item.postcode or clean_postcode(value)
        if match_date_label(raw_label, settings.date_labels):
            item.dates.append(shown_date(label, value))
        if value_sel.root.tag == "a":
            links.add_anchor(value_sel, field_name)
        links.add_anchors(value_sel, field_name)
    if not description_parts:
        for paragraph in region.xpath(".//p"):
            text = text_of(paragraph)
            if (not text or is_chrome(paragraph) or is_back_to_results(text)
                    or paragraph.xpath("ancestor::dd | ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' field ')] | ancestor::td")
                    or find_labelled_dates(text, settings.date_labels)):
                continue
            description_parts.append(text)
            description_blocks.append(paragraph)
    item.description = clean(" ".join(description_parts)) or None
    for block in description_blocks:
        links.add_anchors(block, "description")
    if item.postcode is None and item.address:
        item.postcode = find_postcode(item.address)
    if any((contact.name, contact.phone, contact.email, contact.position)):
        item.contacts = [contact]
    for line in lines_of(region):
        for found in find_labelled_dates(line, settings.date_labels):
            if all((d.label, d.raw) != (found.label, found.raw) for d in item.dates):
                item.dates.append(found)
    # Any other outbound link in the record's region.
    links.add_anchors(region, "other")
    item.links = _without_repeats(links.places)
    return finalise(item)


def _without_repeats(places):  # noqa: ANN001, ANN202 - list[LinkPlace]
    """A link placed in a field is not also an "other" link."""
    placed = {(p.url) for p in places if p.field != "other"}
    return [p for p in places if p.field != "other" or p.url not in placed]
