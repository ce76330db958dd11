"""The generic parser: selectors from the config, CSS or XPath."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from localoffer_audit.config import GenericSelectors
from localoffer_audit.crawl.common import ParseSettings
from localoffer_audit.crawl.generic import parse_generic_listing, parse_generic_service, service_id_from_url

FILES = Path(__file__).parent / "files"
SITE = "https://www.example-council.gov.uk"
SELECTORS = GenericSelectors(
    service_link="main a.service-title",
    next_page="//a[@rel='next']/@href",
    id_pattern=r"/directory-record/(\d+)",
    fields={
        "name": "h1.record-title::text",
        "description": "//div[@class='description']",
        "phone": ".phone::text",
        "email": "a.email",
        "website": "a.website::attr(href)",
        "postcode": ".postcode::text",
        "last_updated": ".updated::text",
        "opening_times": ".opening::text",
    },
)


@pytest.fixture(scope="module")
def listing():
    body = (FILES / "generic_listing.html").read_bytes()
    return parse_generic_listing(HtmlResponse(url=f"{SITE}/directory/search", body=body), SELECTORS)


@pytest.fixture(scope="module")
def item():
    body = (FILES / "generic_service.html").read_bytes()
    response = HtmlResponse(url=f"{SITE}/directory-record/101", body=body)
    return parse_generic_service(response, SELECTORS, ParseSettings(own_hosts=frozenset({"www.example-council.gov.uk"})))


def test_listing_ids_from_pattern(listing):
    assert [s.directory_id for s in listing.services] == ["101", "102"]


def test_listing_duplicates_counted(listing):
    assert listing.duplicates == 1


def test_listing_next_page_by_xpath(listing):
    assert listing.next_url == f"{SITE}/directory/search?page=2"


def test_name(item):
    assert item.name == "Youth Club"


def test_description_element_text(item):
    assert item.description == "Inclusive youth club on Fridays. Inclusion policy"


def test_phone(item):
    assert item.contacts[0].phone == "01632 960 777"


def test_email_from_mailto(item):
    assert item.contacts[0].email == "youth@example.org"


def test_website(item):
    assert item.website == "https://youthclub.example.org/"


def test_postcode(item):
    assert item.postcode == "LS1 4AP"


def test_date_with_label_inside(item):
    assert [(d.label, d.raw, d.value) for d in item.dates] == [("last updated", "3rd March 2023", date(2023, 3, 3))]


def test_links_only_from_selected_fields(item):
    assert [(link.field, link.url) for link in item.links] == [
        ("description", "https://youthclub.example.org/inclusion"),
        ("contact_email", "mailto:youth@example.org"),
        ("website", "https://youthclub.example.org/"),
    ]


def test_unmatched_field_kept_empty(item):
    assert item.fields["opening_times"] == ""


def test_id_without_pattern_is_path_and_query():
    assert service_id_from_url(f"{SITE}/services/7?x=1", None) == "/services/7?x=1"
