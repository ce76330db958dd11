"""FSD pages saved in tests/files/, one small assertion per field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from localoffer_audit.crawl.common import ParseSettings
from localoffer_audit.crawl.fsd import canonical_service_url, fsd_record_id, listing_key, parse_fsd_results, parse_fsd_service

FILES = Path(__file__).parent / "files"
BASE = "https://directory.barsetshire.gov.uk/kb5/barsetshire/directory/"
SETTINGS = ParseSettings(own_hosts=frozenset({"directory.barsetshire.gov.uk"}))


def page(name: str, url: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=(FILES / name).read_bytes())


@pytest.fixture(scope="module")
def full():
    return parse_fsd_service(page("fsd_service_full.html", BASE + "service.page?id=cCtkWJH-QUY&localofferchannel=0"), SETTINGS)


@pytest.fixture(scope="module")
def minimal():
    return parse_fsd_service(page("fsd_service_minimal.html", BASE + "service.page?id=_OIcUh8eKWE"), SETTINGS)


@pytest.fixture(scope="module")
def cp1252():
    return parse_fsd_service(page("fsd_service_cp1252.html", BASE + "service.page?id=Zz9_Yy8-Xx7&familychannel=2_8"), SETTINGS)


def urls(item, field=None):
    return [link.url for link in item.links if field is None or link.field == field]


# --- the full record ---


def test_id_is_normalised_from_the_url(full):
    assert full.directory_id == "cCtkWJH-QUY"


def test_name_is_the_record_heading_not_the_portal_banner(full):
    assert full.name == "Sunflower Sensory Play Group"


def test_description_text(full):
    assert full.description.startswith("A friendly weekly sensory play session")


def test_description_has_no_chrome_text(full):
    assert "Back to results" not in full.description and "Add to shortlist" not in full.description


def test_categories_from_list(full):
    assert full.categories == ["Play and leisure", "Early years"]


def test_age_range_label_with_colon(full):
    assert full.age_range == "0 to 5 years"


def test_cost(full):
    assert full.cost == "£2.50 per family per session"


def test_contact(full):
    assert [(c.name, c.position, c.phone, c.email) for c in full.contacts] == [
        ("Jo Bloggs", "Group leader", "01632 960123", "jo@sunflowerplay.org.uk")
    ]


def test_venue_name_is_not_a_contact(full):
    assert all(c.name != "Hollybush Community Centre" for c in full.contacts)


def test_website_is_the_href_not_the_shortened_text(full):
    assert full.website == "https://www.sunflowerplay.org.uk/sessions/sensory-play-group-for-families"


def test_address_lines_from_venue_spans(full):
    assert full.address == "12 Station Road, Barchester, Barsetshire"


def test_postcode_without_get_directions(full):
    assert full.postcode == "GL4 5BQ"


def test_last_updated_dd_mm_yyyy_is_day_first(full):
    assert [(d.label, d.raw, d.value) for d in full.dates] == [("last updated", "14/03/2022", date(2022, 3, 14))]


def test_footer_date_is_not_the_record_date(full):
    assert all(d.raw != "01/01/2025" for d in full.dates)


def test_unknown_labels_are_kept(full):
    assert full.fields["Ofsted URN"] == "EY123456" and full.fields["SEN Provision Type"] == "Universal"


def test_website_link_place(full):
    place = next(link for link in full.links if link.field == "website")
    assert (place.element, place.attribute, place.anchor_text) == ("a", "href", "www.sunflowerplay.org.uk/sess...")


def test_social_media_link(full):
    assert urls(full, "social_media") == ["https://www.facebook.com/sunflowerplay"]


def test_local_offer_block_links(full):
    assert urls(full, "local_offer") == ["https://www.sunflowerplay.org.uk/send"]


def test_description_links_include_mailto_and_tel(full):
    assert urls(full, "description") == [
        "https://www.sunflowerplay.org.uk/leaflet.pdf",
        "mailto:hello@sunflowerplay.org.uk",
        "tel:+441632960123",
    ]


def test_contact_email_link(full):
    assert urls(full, "contact_email") == ["mailto:jo@sunflowerplay.org.uk"]


def test_own_host_navigation_is_not_an_outbound_link(full):
    assert not [u for u in urls(full) if "directory.barsetshire.gov.uk" in u]


def test_nothing_from_site_chrome(full):
    chrome = ("barsetshire.gov.uk/privacy", "twitter.com/barsetshirecc", "idoxgroup.com", "barsetshire.gov.uk/send")
    assert not [u for u in urls(full) if any(c in u for c in chrome)]


def test_each_link_has_one_place_per_field(full):
    keys = [(link.url, link.field) for link in full.links]
    assert len(keys) == len(set(keys))


def test_content_hash_is_stable(full):
    again = parse_fsd_service(page("fsd_service_full.html", BASE + "service.page?id=cCtkWJH-QUY&localofferchannel=0"), SETTINGS)
    assert full.content_hash and again.content_hash == full.content_hash


# --- the minimal record: optional blocks missing, quirks ---


def test_second_h1_is_the_name_without_hit_header(minimal):
    assert minimal.name == "Barchester Parent Carer Forum"


def test_literal_undefined_description_is_kept(minimal):
    assert minimal.description == "undefined"


def test_record_reviewed_wording(minimal):
    assert [(d.label, d.value) for d in minimal.dates] == [("record reviewed", date(2023, 3, 3))]


def test_doubled_phone_text_is_repaired(minimal):
    assert minimal.contacts[0].phone == "01454 772117"


def test_cloudflare_email_is_decoded(minimal):
    assert minimal.contacts[0].email == "forum@barchesterpcf.org.uk"


def test_cloudflare_mailto_link_is_decoded(minimal):
    assert urls(minimal, "contact_email") == ["mailto:forum@barchesterpcf.org.uk"]


def test_website_on_the_directory_itself_is_recorded(minimal):
    assert urls(minimal, "website") == [BASE + "service.page?id=_OIcUh8eKWE"]


def test_missing_optional_blocks_are_none(minimal):
    assert (minimal.address, minimal.postcode, minimal.age_range, minimal.cost, minimal.categories) == (None, None, None, None, [])


def test_return_to_results_is_not_a_link(minimal):
    assert not [u for u in urls(minimal) if "results.page" in u]


# --- windows-1252 record ---


def test_windows_1252_name(cp1252):
    assert cp1252.name == "St Mary’s Holiday Club – SEND places"


def test_windows_1252_pound_sign(cp1252):
    assert cp1252.cost == "£15 per day"


def test_organisation(cp1252):
    assert cp1252.organisation == "St Mary’s Church, Barchester"


def test_age_groups_label(cp1252):
    assert cp1252.age_range == "5 – 11 years"


def test_phone_doubled_with_space(cp1252):
    assert cp1252.contacts[0].phone == "01632 960999"


def test_plain_text_email_becomes_a_mailto_link(cp1252):
    place = next(link for link in cp1252.links if link.field == "contact_email")
    assert (place.url, place.element, place.attribute) == ("mailto:holidayclub@stmarys-barchester.org.uk", "dd", "text")


def test_month_year_date(cp1252):
    assert next(d for d in cp1252.dates if d.label == "date updated").value == date(2022, 3, 1)


def test_impossible_date_keeps_raw_without_value(cp1252):
    bad = next(d for d in cp1252.dates if d.label == "review date")
    assert (bad.raw, bad.value) == ("31/02/2023", None)


def test_date_added_iso_without_colon(cp1252):
    assert next(d for d in cp1252.dates if d.label == "date added").value == date(2021, 5, 6)


def test_chrome_links_in_div_header_and_footer_are_left_out(cp1252):
    assert urls(cp1252) == [
        "mailto:holidayclub@stmarys-barchester.org.uk",
        "http://stmarys-barchester.org.uk",
        "https://goo.gl/maps/abc123",
    ]


def test_configured_labels_are_honoured():
    only_reviewed = ParseSettings(date_labels=("review date",))
    item = parse_fsd_service(page("fsd_service_cp1252.html", BASE + "service.page?id=Zz9_Yy8-Xx7"), only_reviewed)
    assert [d.label for d in item.dates] == ["review date"]


# --- results pages ---


@pytest.fixture(scope="module")
def first():
    return parse_fsd_results(page("fsd_results_first.html", BASE + "results.page?qt=&term=&localofferchannel=0"))


def test_results_list_every_record_once(first):
    assert len(first.services) == 10 and first.duplicates == 1


def test_results_ids_are_normalised(first):
    assert first.services[0].directory_id == "cCtkWJH-QUY"


def test_results_leave_out_chrome_and_advice(first):
    ids = {s.directory_id for s in first.services}
    assert "FeAtUrEd001" not in ids and "Ab12Cd34Ef5" not in ids


def test_results_pagination_offsets(first):
    assert [p.offset for p in first.pages] == [10, 20]


def test_results_next(first):
    assert first.next_url.endswith("sr=10") and not first.next_points_back


def test_last_page_has_no_higher_page():
    last = parse_fsd_results(page("fsd_results_last.html", BASE + "results.page?qt=&term=&localofferchannel=0&sr=20"))
    assert (len(last.services), last.higher_pages) == (3, [])


def test_next_pointing_back_is_a_loop():
    loop = parse_fsd_results(page("fsd_results_loop.html", BASE + "results.page?qt=&term=&localofferchannel=0&sr=10"))
    assert loop.next_points_back


def test_advice_page_is_not_a_record():
    advice = page("fsd_advice.html", BASE + "advice.page?id=Ab12Cd34Ef5")
    assert fsd_record_id(advice.url) is None


def test_links_from_an_advice_page_to_records_are_normalised():
    advice = parse_fsd_results(page("fsd_advice.html", BASE + "advice.page?id=Ab12Cd34Ef5"))
    assert [s.directory_id for s in advice.services] == ["cCtkWJH-QUY"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (BASE + "service.page?id=cCtkWJH-QUY&localofferchannel=0", "cCtkWJH-QUY"),
        (BASE + "service.page?familychannel=2_8&id=_OIcUh8eKWE", "_OIcUh8eKWE"),
        (BASE + "advice.page?id=Ab12Cd34Ef5", None),
        (BASE + "service.page?id=", None),
        (BASE + "service.page?id=<script>", None),
    ],
)
def test_record_ids(url, expected):
    assert fsd_record_id(url) == expected


def test_canonical_service_url_drops_channels():
    assert canonical_service_url(BASE + "service.page?id=X1&familychannel=2") == BASE + "service.page?id=X1"


def test_listing_key_ignores_parameter_order():
    assert listing_key(BASE + "results.page?a=1&b=2&sr=10") == listing_key(BASE + "results.page?sr=10&b=2&a=1")


# --- a record with list sections, two phones and page tools ---


@pytest.fixture(scope="module")
def lists():
    url = "https://directory.westshire.gov.uk/kb5/westshire/fsd/service.page?id=Hq7_Tt-9LmN"
    return parse_fsd_service(page("fsd_service_lists.html", url), ParseSettings())


def test_organisation_under_the_heading(lists):
    assert lists.organisation == "Hilltop Community Trust"


def test_categories_from_a_list_section(lists):
    assert lists.categories == ["Youth clubs", "Leisure"]


def test_category_links_are_navigation_not_outbound(lists):
    assert not [link for link in lists.links if "results.page" in link.url]


def test_documents_section_links(lists):
    assert urls(lists, "documents") == ["https://hilltoptrust.org.uk/files/inclusion-policy.pdf"]


def test_second_phone_is_kept(lists):
    assert [c.phone for c in lists.contacts] == ["01632 960321", "07700 900456"]


def test_malformed_email_is_kept_as_shown(lists):
    assert lists.contacts[0].email == "youth@@hilltoptrust.org.uk"


def test_malformed_email_link_is_recorded_for_the_checks(lists):
    assert urls(lists, "contact_email") == ["mailto:youth@@hilltoptrust.org.uk"]


def test_weekday_date_line_without_colon(lists):
    assert [(d.label, d.value) for d in lists.dates] == [("last updated", date(2026, 8, 9))]


def test_page_tools_and_footer_are_not_service_links(lists):
    # Print, email-this-page, AddToAny, a tweet intent, a feedback form naming the record
    # and "Suggest an update" are template; the club's own feedback page and Facebook
    # page (a "feedback" and a "social" link written by the provider) are content.
    assert sorted((link.field, link.url) for link in lists.links) == [
        ("contact_email", "mailto:youth@@hilltoptrust.org.uk"),
        ("description", "https://hilltoptrust.org.uk/feedback"),
        ("documents", "https://hilltoptrust.org.uk/files/inclusion-policy.pdf"),
        ("social_media", "https://www.facebook.com/HilltopYouthClub"),
    ]


RECORD = "https://directory.eastshire.gov.uk/kb5/eastshire/localoffer/service.page?id=Pq4-Rs_7TuV"


def record(body: str):
    """A minimal record page whose body ends with ``body``, parsed."""
    html = (
        '<html><body><main><div id="hit-header"><h1>Oak Club</h1></div>'
        '<section class="field_section"><h2>Contact</h2><dl><dt>Telephone</dt><dd>01632 960111</dd></dl></section>'
        f"{body}</main></body></html>"
    )
    return parse_fsd_service(HtmlResponse(url=RECORD, body=html.encode()), ParseSettings())


def record_links(body: str) -> list[str]:
    return urls(record(body))


def test_a_line_of_page_tools_is_not_description_text():
    # No description block: the record's own paragraphs are the description.
    item = record(
        "<p>Saturday play sessions for disabled children.</p>"
        '<p>Spotted something wrong? <a href="https://www.eastshire.gov.uk/feedback?ref=Pq4-Rs_7TuV">Let us know</a></p>'
    )
    assert item.description == "Saturday play sessions for disabled children."


@pytest.mark.parametrize(
    "body",
    [
        # Where it sits: a sharing widget or toolbar, named by a class or id word.
        '<div class="addthis_inline_share_toolbox"><a href="https://oakclub.org.uk/">Oak Club</a></div>',
        '<div id="social-sharing"><a href="https://oakclub.org.uk/">Oak Club</a></div>',
        '<div class="record-toolbar"><a href="https://oakclub.org.uk/">Oak Club</a></div>',
        '<div class="page-tools"><a href="https://oakclub.org.uk/">Oak Club</a></div>',
        '<div class="shortlist-button"><a href="https://oakclub.org.uk/">Oak Club</a></div>',
        # Where it goes: share intents and a mailto: with no recipient.
        '<p><a href="https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fx">f</a></p>',
        '<p><a href="https://www.linkedin.com/shareArticle?mini=true&amp;url=x">in</a></p>',
        '<p><a href="https://wa.me/?text=Oak%20Club">WhatsApp</a></p>',
        '<p><a href="mailto:?subject=Oak%20Club">Send</a></p>',
        # What it is about: a form pre-filled with this record's id or URL.
        '<p><a href="https://www.eastshire.gov.uk/feedback?ref=Pq4-Rs_7TuV">Tell us</a></p>',
        f'<p><a href="https://forms.eastshire.gov.uk/f?page={RECORD}">Tell us</a></p>',
        # What it says (the whole link text).
        '<p><a href="https://www.eastshire.gov.uk/contact">Report a problem with this page</a></p>',
        '<p><a href="https://www.eastshire.gov.uk/contact">Suggest an edit to this entry</a></p>',
        '<p><a href="https://www.eastshire.gov.uk/contact">Is this information correct?</a></p>',
        '<p><a href="https://www.eastshire.gov.uk/contact">Add to my shortlist</a></p>',
        '<p><a href="https://www.eastshire.gov.uk/contact">Email a friend</a></p>',
    ],
)
def test_page_tools_are_not_recorded(body):
    assert record_links(body) == []


@pytest.mark.parametrize(
    "body",
    [
        # Content that looks a little like a page tool but is the provider's own.
        '<section class="field_section social_media"><h2>Social media</h2><ul><li><a href="https://www.facebook.com/oakclub">Facebook</a></li></ul></section>',
        '<section class="field_section shared_care"><h2>Shared care</h2><ul><li><a href="https://oakclub.org.uk/shared-care">Shared care</a></li></ul></section>',
        '<div class="no-print"><p>Read <a href="https://oakclub.org.uk/about">about us</a>.</p></div>',
        '<p>Please <a href="https://oakclub.org.uk/feedback">share your views</a> on our sessions.</p>',
        '<p><a href="https://www.eastshire.gov.uk/report-a-concern">Report a concern about a child</a></p>',
        '<p><a href="https://www.facebook.com/oakclub/posts/123?ref=share">Our news</a></p>',
        '<p><a href="https://oakclub.org.uk/book?channel=0">Book</a></p>',
    ],
)
def test_links_like_page_tools_are_still_recorded(body):
    assert len(record_links(body)) == 1


def test_record_spread_over_main_and_aside_reads_no_site_chrome():
    url = "https://localoffer.eastshire.gov.uk/kb5/eastshire/localoffer/service.page?id=Oak_Field-01"
    item = parse_fsd_service(page("fsd_service_sidebar.html", url), ParseSettings())
    assert (item.name, item.contacts[0].phone) == ("Oakfield Short Breaks", "01632 960888")
    assert urls(item) == ["https://oakfieldbreaks.org.uk/"]
