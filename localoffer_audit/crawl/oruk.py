"""Open Referral UK (ORUK) API answers, parsed purely: v1 and v3, detected from the JSON.

v1 pages: ``{"totalElements", "totalPages", "number", "size", "first", "last", "content"}``;
v3 pages: ``{"total_items", "total_pages", "page_number", "size", "first_page",
"last_page", "empty", "contents"}``. Totals are not trusted (some servers count only the
current page): the spider stops on the last-page flag, an empty page, or a page with
no new ids, and caps the page count.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from parsel import Selector
from scrapy.http import TextResponse

from localoffer_audit.models import Contact, ServiceItem, ShownDate
from localoffer_audit.crawl.common import LinkCollector, ParseSettings, finalise, html_fragment_text
from localoffer_audit.crawl.dates import parse_uk_date
from localoffer_audit.crawl.text import clean, clean_or_none
from localoffer_audit.parsing.contact_values import find_postcode

PLATFORM = "oruk"
V1, V3 = "v1", "v3"
PER_PAGE = 50
_BARE_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.I)
# Date keys worth keeping, as "label" -> path in the service JSON.
_DATE_KEYS = (
    ("assured_date", ("assured_date",)),
    ("last_modified", ("last_modified",)),
    ("updated_at", ("updated_at",)),
    ("date_modified", ("pc_metadata", "date_modified")),
)


class OrukFormatError(ValueError):
    """The answer is not an ORUK page or service (HTML error page, other JSON)."""


@dataclass(slots=True)
class OrukPage:
    version: str
    ids: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    page_number: int | None = None
    total_pages: int | None = None
    # The number of services the server says it has (totalElements / total_items).
    total_items: int | None = None
    # The server says this is the last page (or the page is empty).
    is_last: bool = False


def load_json(response: TextResponse) -> Any:
    try:
        return json.loads(response.text)
    except (ValueError, AttributeError) as exc:
        raise OrukFormatError(f"not JSON ({exc.__class__.__name__})") from exc


def detect_oruk_version(data: Any) -> str:
    """``v1`` for ``content``/``totalElements`` envelopes, ``v3`` for ``contents``/``total_items``."""
    if isinstance(data, dict):
        if "contents" in data or "total_items" in data or "page_number" in data:
            return V3
        if "content" in data or "totalElements" in data:
            return V1
    raise OrukFormatError("neither an ORUK v1 nor a v3 page of services")


def parse_oruk_page(data: Any) -> OrukPage:
    version = detect_oruk_version(data)
    if version == V3:
        items = data.get("contents") or []
        page = OrukPage(version, page_number=_int(data.get("page_number")), total_pages=_int(data.get("total_pages")))
        page.is_last = bool(data.get("last_page")) or bool(data.get("empty"))
        page.total_items = _int(data.get("total_items"))
    else:
        items = data.get("content") or []
        page = OrukPage(version, page_number=_int(data.get("number")), total_pages=_int(data.get("totalPages")))
        page.is_last = bool(data.get("last"))
        page.total_items = _int(data.get("totalElements"))
    if not isinstance(items, list):
        raise OrukFormatError("the page's list of services is not a list")
    for entry in items:
        if isinstance(entry, dict) and entry.get("id") not in (None, ""):
            service_id = str(entry["id"])
            if service_id not in page.names:
                page.ids.append(service_id)
                page.names[service_id] = clean(str(entry.get("name") or ""))
    if not page.ids:
        page.is_last = True
    return page


def parse_oruk_services_page(response: TextResponse) -> OrukPage:
    return parse_oruk_page(load_json(response))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def api_base(url: str) -> str:
    """The API base from a start URL (``.../services`` or the base itself), no query."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if path.endswith("/services"):
        path = path[: -len("/services")]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def services_page_url(base: str, page: int, per_page: int = PER_PAGE) -> str:
    return f"{base}/services?{urlencode({'page': page, 'per_page': per_page})}"


def service_detail_url(base: str, service_id: str) -> str:
    return f"{base}/services/{quote(service_id, safe='')}"


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return clean_or_none(str(value))


def _age_range(data: dict[str, Any]) -> str | None:
    minimum = maximum = None
    sources = [data, *[e for e in _list(data.get("eligibilitys")) if isinstance(e, dict)]]
    for source in sources:
        low, high = _int(source.get("minimum_age")), _int(source.get("maximum_age"))
        # -1 is how some feeds say "no limit".
        if low is not None and low >= 0:
            minimum = low if minimum is None else min(minimum, low)
        if high is not None and high >= 0:
            maximum = high if maximum is None else max(maximum, high)
    if minimum is None and maximum is None:
        return None
    if maximum is None:
        return f"{minimum} years and over"
    if minimum is None:
        return f"up to {maximum} years"
    return f"{minimum} to {maximum} years"


def _cost(data: dict[str, Any]) -> str | None:
    parts = []
    if fees := _str(data.get("fees")):
        parts.append(fees)
    for option in _list(data.get("cost_options")):
        if not isinstance(option, dict):
            continue
        amount = _str(option.get("amount"))
        words = [w for w in (_str(option.get("option")), _str(option.get("amount_description"))) if w]
        text = " ".join(([f"£{amount}"] if amount else []) + words)
        if text and text not in parts:
            parts.append(text)
    return "; ".join(parts) or None


# Free text outside the description, under the labels an FSD page shows for the same
# text, so the content rules read it as they read those pages' fields. Real feeds put
# session times, "sessions suspended", "term-time only until July 2022" and notices here.
SESSION_LABEL = "Session information"
COST_LABEL = "Cost"
ELIGIBILITY_LABEL = "Eligibility"
ACCREDITATIONS_LABEL = "Accreditations"
LOCATION_LABEL = "Location description"
# Scalar keys folded into a labelled field above (not kept a second time under the key),
# and the assurer's address: the council's data-quality inbox, kept in ``extra``, is no way
# for a family to contact the service (in ``fields`` the rules would read it as one).
_FOLDED_KEYS = frozenset({"fees", "accreditations", "eligibility_description", "assurer_email"})


def _texts(entries: Any, *keys: str) -> list[str]:
    """The non-empty text values of ``keys`` in a list of objects (or one object)."""
    found: list[str] = []
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, dict):
            continue
        for key in keys:
            raw = entry.get(key)
            text = html_fragment_text(raw) if isinstance(raw, str) and "<" in raw else _str(raw)
            if text:
                found.append(text)
    return found


def _joined(texts: list[str]) -> str | None:
    # One line each: the rules split sentences at line breaks, so texts never run together.
    unique = list(dict.fromkeys(t for t in texts if t))
    return "\n".join(unique) or None


def _free_text_fields(data: dict[str, Any]) -> dict[str, str]:
    """Labelled free text: schedules, cost, eligibility, accreditations, location notes."""
    schedules: list[str] = []
    # v1 regular_schedules / holiday_schedules, v3 schedules; also those of each service_at_location.
    holders = [data, *[link for link in _list(data.get("service_at_locations")) if isinstance(link, dict)]]
    for holder in holders:
        for key in ("regular_schedules", "schedules", "holiday_schedules"):
            schedules += _texts(holder.get(key), "description", "notes")
    eligibility = [_str(data.get("eligibility_description")) or ""]
    eligibility += _texts(data.get("eligibilitys"), "eligibility", "description", "notes")
    eligibility += _texts(data.get("eligibility"), "eligibility", "description", "notes")
    accreditations = data.get("accreditations")
    if isinstance(accreditations, list):
        accreditation_texts = [t for t in (_str(a) for a in accreditations) if t]
        accreditation_texts += _texts(accreditations, "name", "description")
    else:
        accreditation_texts = [t for t in [_str(accreditations)] if t]
    locations: list[str] = []
    for link in _list(data.get("service_at_locations")):
        locations += _texts(link, "description")
        locations += _texts(_get(link, "location"), "description")
    candidates = {
        SESSION_LABEL: _joined(schedules),
        COST_LABEL: _cost(data),
        ELIGIBILITY_LABEL: _joined(eligibility),
        ACCREDITATIONS_LABEL: _joined(accreditation_texts),
        LOCATION_LABEL: _joined(locations),
    }
    return {label: text for label, text in candidates.items() if text}


def _categories(data: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for entry in _list(data.get("service_taxonomys")):
        names.append(_str(_get(entry, "taxonomy", "name")) or "")
    for entry in _list(data.get("attributes")):
        names.append(_str(_get(entry, "taxonomy_term", "name")) or "")
    for entry in _list(data.get("taxonomy_terms")):
        names.append(_str(_get(entry, "name")) or "")
    unique: list[str] = []
    for name in names:
        if name and name not in unique:
            unique.append(name)
    return unique


def _address(data: dict[str, Any]) -> tuple[str | None, str | None]:
    for link in _list(data.get("service_at_locations")):
        location = _get(link, "location") or {}
        for key in ("physical_addresses", "addresses"):
            for address in _list(_get(location, key)):
                if not isinstance(address, dict):
                    continue
                parts = [
                    _str(address.get(k))
                    for k in ("address_1", "address_2", "city", "state_province", "postal_code")
                ]
                text = ", ".join(p for p in parts if p)
                postcode = _str(address.get("postal_code")) or find_postcode(text)
                if text:
                    return text, postcode.upper() if postcode else None
    return None, None


def _phones(entries: Any) -> list[str]:
    return [n for n in (_str(_get(p, "number")) for p in _list(entries)) if n]


def _add_phone(contacts: list[Contact], contact: Contact) -> None:
    if not any(c.phone == contact.phone for c in contacts):
        contacts.append(contact)


def oruk_service_from_json(data: Any, url: str, settings: ParseSettings | None = None, *, version: str = "") -> ServiceItem:
    """A ``/services/{id}`` answer as a ServiceItem."""
    if not isinstance(data, dict) or data.get("id") in (None, ""):
        raise OrukFormatError("the service answer has no id")
    settings = settings or ParseSettings()
    links = LinkCollector(url, settings)
    description_html = data.get("description") if isinstance(data.get("description"), str) else None
    item = ServiceItem(
        directory_id=str(data["id"]),
        url=url,
        name=_str(data.get("name")) or "",
        organisation=_str(_get(data, "organization", "name")),
        description=html_fragment_text(description_html) or None,
        categories=_categories(data),
        age_range=_age_range(data),
        cost=_cost(data),
        website=_str(data.get("url")),
        platform=PLATFORM,
    )
    item.address, item.postcode = _address(data)

    links.add(item.website, "website", element="service", attribute="url", anchor_text=item.website, always=True)
    if email := _str(data.get("email")):
        links.add_email(email, "contact_email", element="service", attribute="email")
    org_url = _str(_get(data, "organization", "url")) or _str(_get(data, "organization", "website"))
    links.add(org_url, "organisation", element="organization", attribute="url", anchor_text=org_url)
    if description_html:
        if "<" in description_html:
            links.add_anchors(Selector(text=f"<div>{description_html}</div>"), "description")
        for bare in _BARE_URL.findall(html_fragment_text(description_html)):
            links.add(bare.rstrip(".,;:"), "description", element="description", attribute="text", anchor_text=None)

    contacts: list[Contact] = []
    for entry in _list(data.get("contacts")):
        if not isinstance(entry, dict):
            continue
        numbers = _phones(entry.get("phones"))
        contact = Contact(
            name=_str(entry.get("name")),
            position=_str(entry.get("title")),
            phone=numbers[0] if numbers else None,
            email=_str(entry.get("email")),
        )
        if contact.email:
            links.add_email(contact.email, "contact_email", element="contacts", attribute="email")
        if any((contact.name, contact.position, contact.phone, contact.email)) and contact not in contacts:
            contacts.append(contact)
        # A second number (a mobile beside the office line): another way to reach the
        # same person, kept as a contact of its own, as on FSD pages.
        for number in numbers[1:]:
            _add_phone(contacts, Contact(name=contact.name, position=contact.position, phone=number))
    # The service's own email and phones, unless a named contact already carries them.
    service_phones = _phones(data.get("phones"))
    new_email = email and not any(c.email == email for c in contacts)
    new_phone = service_phones and not any(c.phone == service_phones[0] for c in contacts)
    if new_email or new_phone:
        contacts.append(Contact(phone=service_phones[0] if service_phones else None, email=email))
    for number in service_phones[1:]:
        _add_phone(contacts, Contact(phone=number))
    item.contacts = contacts

    dates: list[ShownDate] = []
    for label, path in _DATE_KEYS:
        raw = _str(_get(data, *path))
        if raw:
            dates.append(ShownDate(label=label, raw=raw, value=parse_uk_date(raw)))
    item.dates = dates

    for key, value in data.items():
        if isinstance(value, str | int | float | bool) and key not in ("id", "name", "description", *_FOLDED_KEYS):
            item.fields[key] = str(value)
    item.fields.update(_free_text_fields(data))
    item.extra = {
        key: data[key]
        for key in ("status", "attending_type", "deliverable_type", "assurer_email", "accreditations")
        if data.get(key) not in (None, "", [])
    }
    if version:
        item.extra["oruk_version"] = version
    item.links = links.places
    return finalise(item)


def parse_oruk_service(response: TextResponse, settings: ParseSettings | None = None, *, version: str = "") -> ServiceItem:
    return oruk_service_from_json(load_json(response), response.url, settings, version=version)


def oruk_detail_missing(service_id: str, url: str, name: str, http_status: int, *, version: str = "") -> ServiceItem:
    """A listed id whose ``/services/{id}`` answered 404/410: recorded, with a marker.

    Stored with state ``page_missing`` and ``extra["oruk_detail_missing"] = True``
    (the content rules report it as ``oruk_detail_missing``).
    """
    item = ServiceItem(
        directory_id=service_id,
        url=url,
        name=name,
        platform=PLATFORM,
        http_status=http_status,
        extra={"oruk_detail_missing": True, **({"oruk_version": version} if version else {})},
    )
    return finalise(item)

