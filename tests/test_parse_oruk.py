"""Open Referral UK answers (v1 and v3) saved in tests/files/."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from scrapy.http import TextResponse

from localoffer_audit.crawl.common import ParseSettings
from localoffer_audit.crawl.oruk import (
    OrukFormatError,
    api_base,
    detect_oruk_version,
    oruk_detail_missing,
    oruk_service_from_json,
    parse_oruk_page,
    parse_oruk_service,
    parse_oruk_services_page,
    service_detail_url,
    services_page_url,
)

FILES = Path(__file__).parent / "files"
API = "https://api.example-council.gov.uk/openreferral/v1"
SETTINGS = ParseSettings(own_hosts=frozenset({"api.example-council.gov.uk"}))


def answer(name: str, url: str) -> TextResponse:
    return TextResponse(url=url, body=(FILES / name).read_bytes(), headers={"Content-Type": "application/json"})


@pytest.fixture(scope="module")
def v1():
    return parse_oruk_service(answer("oruk_v1_service.json", f"{API}/services/0b5c"), SETTINGS, version="v1")


@pytest.fixture(scope="module")
def sparse():
    return parse_oruk_service(answer("oruk_v1_service_sparse.json", f"{API}/services/4471"), SETTINGS, version="v1")


@pytest.fixture(scope="module")
def v3():
    return parse_oruk_service(answer("oruk_v3_service.json", f"{API}/services/svc-a1"), SETTINGS, version="v3")


def test_v1_page_detected():
    page = parse_oruk_services_page(answer("oruk_v1_page.json", f"{API}/services?page=1"))
    assert page.version == "v1"


def test_v1_page_ids_deduplicated():
    page = parse_oruk_services_page(answer("oruk_v1_page.json", f"{API}/services?page=1"))
    assert page.ids == ["0b5c3f3e-1d7a-4c1e-9b9a-2f7c1d0e5a11", "7d2e9c44-8a51-4f0b-b1c3-6e4a2d9f0c22"]


def test_v1_page_not_last():
    page = parse_oruk_services_page(answer("oruk_v1_page.json", f"{API}/services?page=1"))
    assert (page.is_last, page.total_pages) == (False, 3)


def test_v3_page_detected_and_last():
    page = parse_oruk_services_page(answer("oruk_v3_page.json", f"{API}/services?page=1"))
    assert (page.version, page.ids, page.is_last) == ("v3", ["svc-a1", "svc-b2"], True)


def test_empty_page_is_last_whatever_the_totals_say():
    page = parse_oruk_page({"totalElements": 500, "totalPages": 10, "number": 4, "last": False, "content": []})
    assert page.is_last


@pytest.mark.parametrize("data", [[], {"items": []}, "x", {"error": "not found"}])
def test_other_json_is_not_a_page(data):
    with pytest.raises(OrukFormatError):
        detect_oruk_version(data)


def test_html_error_page_is_not_json():
    with pytest.raises(OrukFormatError):
        parse_oruk_services_page(TextResponse(url=f"{API}/services", body=b"<html>Bad gateway</html>"))


def test_urls():
    assert api_base(f"{API}/services?page=3") == API
    assert services_page_url(API, 2) == f"{API}/services?page=2&per_page=50"
    assert service_detail_url(API, "a b/c") == f"{API}/services/a%20b%2Fc"


def test_v1_name(v1):
    assert v1.name == "Little Stars Stay and Play"


def test_v1_description_is_text(v1):
    assert v1.description.startswith("Stay and play for under 5s with SEND.") and "<" not in v1.description


def test_v1_organisation(v1):
    assert v1.organisation == "Little Stars CIC"


def test_v1_categories(v1):
    assert v1.categories == ["Early Years", "Play and Leisure"]


def test_v1_age_range(v1):
    assert v1.age_range == "0 to 5 years"


def test_v1_cost(v1):
    assert v1.cost == "Free"


def test_v1_contacts(v1):
    assert [(c.name, c.position, c.phone) for c in v1.contacts][0] == ("Sam Green", "Coordinator", "07700 900123")


def test_v1_website(v1):
    assert v1.website == "https://littlestars.org.uk"


def test_v1_address_and_postcode(v1):
    assert (v1.address, v1.postcode) == ("4 Mill Lane, Ashfield, NG17 7AB", "NG17 7AB")


def test_v1_assured_date(v1):
    assert [(d.label, d.value) for d in v1.dates] == [("assured_date", date(2022, 11, 30))]


def test_v1_status_kept(v1):
    assert v1.extra["status"] == "active" and v1.extra["oruk_version"] == "v1"


def test_v1_links_with_places(v1):
    assert [(link.field, link.url) for link in v1.links] == [
        ("website", "https://littlestars.org.uk"),
        ("contact_email", "mailto:hello@littlestars.org.uk"),
        ("organisation", "https://littlestars.org.uk/about"),
        ("description", "https://littlestars.org.uk/sessions"),
        ("description", "https://www.facebook.com/littlestarsplay"),
    ]


def test_v1_bare_url_in_description_place(v1):
    bare = [link for link in v1.links if link.url.endswith("littlestarsplay")][0]
    assert (bare.element, bare.attribute) == ("description", "text")


def test_numeric_id_becomes_text(sparse):
    assert sparse.directory_id == "4471"


def test_minus_one_ages_mean_no_range(sparse):
    assert sparse.age_range is None


def test_placeholder_email_is_recorded_for_the_checks(sparse):
    assert [link.url for link in sparse.links] == ["mailto:placeholder@noemail.invalid"]


def test_cost_options(sparse):
    assert sparse.cost == "£3 per session suggested donation"


def test_vendor_date_extension(sparse):
    assert [(d.label, d.value) for d in sparse.dates] == [("date_modified", date(2022, 3, 14))]


def test_sparse_missing_blocks(sparse):
    assert (sparse.organisation, sparse.website, sparse.address, sparse.categories) == (None, None, None, [])


def test_status_temporarily_closed(sparse):
    assert sparse.extra["status"] == "temporarily closed"


def test_v3_ages_on_the_service(v3):
    assert v3.age_range == "4 to 18 years"


def test_v3_categories_from_attributes(v3):
    assert v3.categories == ["Sport and Physical Activity"]


def test_v3_address_postcode_upper(v3):
    assert v3.postcode == "EX1 1AA"


def test_v3_dates(v3):
    assert [(d.label, d.value) for d in v3.dates] == [("assured_date", date(2024, 2, 1)), ("last_modified", date(2024, 2, 3))]


def test_v3_contacts_include_service_phone(v3):
    assert [c.phone for c in v3.contacts] == ["01632 960555", "01632 960556"]


def test_every_phone_of_a_contact_and_of_the_service_is_kept():
    data = {
        "id": "svc-2", "name": "Two numbers", "email": "office@twonumbers.org.uk",
        "contacts": [{"id": "c", "name": "Jo Lee", "title": "Lead", "phones": [
            {"id": "p1", "number": "0161 496 0976"}, {"id": "p2", "number": "07700 900456"}, {"id": "p3", "number": "0161 496 0976"}]}],
        "phones": [{"id": "p4", "number": "0161 496 0000"}, {"id": "p5", "number": "0161 496 0001"}],
    }
    item = oruk_service_from_json(data, "https://api.example/services/svc-2")
    assert [(c.name, c.phone, c.email) for c in item.contacts] == [
        ("Jo Lee", "0161 496 0976", None),
        ("Jo Lee", "07700 900456", None),
        (None, "0161 496 0000", "office@twonumbers.org.uk"),
        (None, "0161 496 0001", None),
    ]


def test_v3_contact_email_link(v3):
    assert "mailto:pool@leisure.example-council.gov.uk" in [link.url for link in v3.links]


def test_v3_cost(v3):
    assert v3.cost == "£2.5 per swim"


def test_v3_organisation_website(v3):
    assert ("organisation", "https://leisure.example-council.gov.uk") in [(link.field, link.url) for link in v3.links]


def test_detail_missing_is_recorded_with_marker():
    item = oruk_detail_missing("svc-x", f"{API}/services/svc-x", "Gone service", 404, version="v3")
    assert (item.http_status, item.extra["oruk_detail_missing"], item.name) == (404, True, "Gone service")


def test_service_without_id_is_refused():
    with pytest.raises(OrukFormatError):
        parse_oruk_service(TextResponse(url=f"{API}/services/1", body=json.dumps({"name": "x"}).encode()))
