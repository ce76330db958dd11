"""Dates as British directories print them, and the value quirks the parsers repair."""

from __future__ import annotations

from datetime import date

import pytest

from localoffer_audit.parsing import dates as checks_dates
from localoffer_audit.crawl.common import ParseSettings, absolute_url
from localoffer_audit.crawl.dates import find_labelled_dates, match_date_label, parse_uk_date
from localoffer_audit.crawl.text import clean_phone
from localoffer_audit.parsing.contact_values import clean_postcode, decode_cloudflare_email, undouble

LABELS = ParseSettings().date_labels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14/03/2022", date(2022, 3, 14)),
        ("03/04/2022", date(2022, 4, 3)),  # 3 April, never March 4th
        ("3/4/22", date(2022, 4, 3)),
        ("14-03-2022", date(2022, 3, 14)),
        ("14.03.2022", date(2022, 3, 14)),
        ("3 March 2023", date(2023, 3, 3)),
        ("3rd March 2023", date(2023, 3, 3)),
        ("Friday 3 March 2023", date(2023, 3, 3)),
        ("3 Mar 2023", date(2023, 3, 3)),
        ("21st of September 2021", date(2021, 9, 21)),
        ("March 3, 2023", date(2023, 3, 3)),
        ("2021-05-06", date(2021, 5, 6)),
        ("2024-02-03T09:15:00", date(2024, 2, 3)),
        ("2024-02-03T09:15:00.000+01:00", date(2024, 2, 3)),
        ("March 2022", date(2022, 3, 1)),
        ("Sept 2021", date(2021, 9, 1)),
        ("  14/03/2022. ", date(2022, 3, 14)),
    ],
)
def test_uk_dates(text, expected):
    assert parse_uk_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "TBC", "31/02/2023", "13/13/2022", "2022", "soon", "14/03/1850", "14/03/2022 and 15/03/2022", "03/14/2022", "Maybe 2022"],
)
def test_garbage_gives_no_date(text):
    assert parse_uk_date(text) is None


@pytest.mark.parametrize(
    ("text", "shown", "start", "end"),
    [
        ("03/04/2022", "3 April 2022", date(2022, 4, 3), date(2022, 4, 3)),  # 3 April, never March 4th
        ("Last updated: 03/04/2022", "3 April 2022", date(2022, 4, 3), date(2022, 4, 3)),
        ("3/4/22", "3 April 2022", date(2022, 4, 3), date(2022, 4, 3)),
        ("03.04.2022", "3 April 2022", date(2022, 4, 3), date(2022, 4, 3)),
        ("12/05/2024", "12 May 2024", date(2024, 5, 12), date(2024, 5, 12)),
        ("Thursday 3rd of March 2022", "3 March 2022", date(2022, 3, 3), date(2022, 3, 3)),
        ("Thurs 3 Mar 2022", "3 March 2022", date(2022, 3, 3), date(2022, 3, 3)),
        ("2021-05-06", "6 May 2021", date(2021, 5, 6), date(2021, 5, 6)),  # ISO: year, month, day
        # A month-only date is the whole month, whatever day it is today.
        ("updated March 2022", "March 2022", date(2022, 3, 1), date(2022, 3, 31)),
    ],
)
def test_content_rules_read_dates_day_first(text, shown, start, end):
    mention = checks_dates.parse_uk_date(text)
    assert (mention.shown, mention.start, mention.end) == (shown, start, end)


@pytest.mark.parametrize("text", ["03/14/2022", "31/02/2022", "2022", "Maybe 2022", "soon"])
def test_content_rules_never_guess_a_date(text):
    # "03/14/2022" is no date: a day-first reader must not swap it to 14 March.
    assert checks_dates.find_dates(text) == []


@pytest.mark.parametrize(
    ("line", "label", "value"),
    [
        ("Last updated: 14/03/2022", "last updated", date(2022, 3, 14)),
        ("Record reviewed: 3 March 2023", "record reviewed", date(2023, 3, 3)),
        ("Date added 2021-05-06", "date added", date(2021, 5, 6)),
        ("LAST UPDATED 14/03/2022", "last updated", date(2022, 3, 14)),
        ("Record last updated: March 2022", "record last updated", date(2022, 3, 1)),
    ],
)
def test_labelled_date_lines(line, label, value):
    [found] = find_labelled_dates(line, LABELS)
    assert (found.label, found.value) == (label, value)


def test_labelled_line_with_unparseable_date_keeps_raw():
    [found] = find_labelled_dates("Last updated: ask the provider", LABELS)
    assert (found.raw, found.value) == ("ask the provider", None)


@pytest.mark.parametrize("line", ["Updated our summer timetable soon", "We reviewed our prices", "Updates: weekly"])
def test_sentences_are_not_dates(line):
    assert find_labelled_dates(line, LABELS) == []


@pytest.mark.parametrize(("label", "matches"), [("Last Updated:", True), ("review date", True), ("Opening times", False), ("Page last updated", True)])
def test_date_label_matching(label, matches):
    assert (match_date_label(label, LABELS) is not None) == matches


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01454 77211701454 772117", "01454 772117"),
        ("01454 772117 01454 772117", "01454 772117"),
        ("01454 772117", "01454 772117"),
        ("0800 1111", "0800 1111"),
        ("123123", "123"),
    ],
)
def test_doubled_phone(text, expected):
    assert clean_phone(text) == expected


def test_undouble_leaves_different_halves():
    assert undouble("01632 960123 01632 960124") == "01632 960123 01632 960124"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("GL4 5BQGet directions", "GL4 5BQ"), ("gl4 5bq", "GL4 5BQ"), ("GL4 5BQ View map", "GL4 5BQ"), ("no postcode", "no postcode")],
)
def test_postcode_quirks(text, expected):
    assert clean_postcode(text) == expected


def test_cloudflare_decoding():
    key = 0x42
    encoded = f"{key:02x}" + "".join(f"{ord(c) ^ key:02x}" for c in "a@b.org")
    assert decode_cloudflare_email(encoded) == "a@b.org"


@pytest.mark.parametrize("bad", ["", "zz", "4", "4242", "not hex at all"])
def test_cloudflare_garbage(bad):
    assert decode_cloudflare_email(bad) is None


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/x", "https://d.example/x"),
        ("#top", None),
        ("javascript:void(0)", None),
        ("mailto:a@b.org", "mailto:a@b.org"),
        ("tel:01632960123", "tel:01632960123"),
        ("http://[broken", None),
    ],
)
def test_absolute_url(href, expected):
    assert absolute_url(href, "https://d.example/page") == expected


def test_one_default_tuple_of_date_labels_for_config_and_parsers():
    from localoffer_audit.config import DEFAULT_DATE_LABELS, DirectoryConfig

    config = DirectoryConfig(start_urls=["https://d.example/"])
    assert tuple(config.date_labels) == ParseSettings().date_labels == DEFAULT_DATE_LABELS
    assert "last updated" in DEFAULT_DATE_LABELS
