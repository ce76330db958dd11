"""What the crawl used to drop: mistyped schemes, bare host names, malformed mailto: values.

The hrefs in the table are the shapes of real slips (an extra t, a missing colon, a
semicolon for a colon, a bare www. address); each platform's parser must record them as
written, and the link checker must call them broken with the fix.
"""

from __future__ import annotations

import asyncio

import pytest
from scrapy.http import HtmlResponse

from localoffer_audit.config import GenericSelectors
from localoffer_audit.crawl.common import ParseSettings
from localoffer_audit.crawl.fsd import parse_fsd_service
from localoffer_audit.crawl.generic import parse_generic_service
from localoffer_audit.crawl.structured import parse_structured_service
from localoffer_audit.links.checker import LinkCheckSettings, check_urls
from localoffer_audit.models import LinkVerdict
from localoffer_audit.parsing.contact_values import email_problem
from localoffer_audit.parsing.hrefs import href_problem

from .support.held_out_sites import DrupalDirectory, FsdPageNumbered

HREFS = [
    ("htttp://www.mencap.org.uk/", "http://www.mencap.org.uk/"),
    ("htp://www.ndcs.org.uk", "http://www.ndcs.org.uk"),
    ("hhtps://www.sense.org.uk/", "https://www.sense.org.uk/"),
    ("http;//www.contact.org.uk", "http://www.contact.org.uk"),
    ("https//www.ipsea.org.uk", "https://www.ipsea.org.uk"),
    ("www.kids.org.uk/sendiass", "https://www.kids.org.uk/sendiass"),
]
FINE = ["https://www.gov.uk/", "service.page?id=Nx0001_a-Qz", "/send-local-offer/x", "mailto:a@b.org", "tel:0300",
        "advice.page?id=x", "index.html", "#main", "Https://www.scope.org.uk/"]


@pytest.mark.parametrize(("href", "fixed"), HREFS)
def test_mistyped_hrefs_are_named_with_their_fix(href, fixed):
    problem = href_problem(href)
    assert problem is not None and problem[1] == f"change it to {fixed}"


@pytest.mark.parametrize("href", FINE)
def test_working_and_relative_hrefs_are_left_alone(href):
    assert href_problem(href) is None


def response(url: str, html: str) -> HtmlResponse:
    return HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8")


SETTINGS = ParseSettings(own_hosts=frozenset({"dir.example.gov.uk"}))


def test_fsd_records_a_mistyped_website_and_keeps_a_domainless_email():
    html = FsdPageNumbered(bad_hrefs={3}).record(3)
    item = parse_fsd_service(response("https://dir.example.gov.uk/kb5/n/infolink/service.page?id=Nx0003_a-Qz", html), SETTINGS)
    assert ("website", "htttp://provider3.example.org/") in [(p.field, p.url) for p in item.links]
    assert item.contacts[0].email == "hello@provider3" and email_problem("hello@provider3")


def test_drupal_record_without_selectors_keeps_malformed_hrefs_as_written():
    html = DrupalDirectory(bad_hrefs={4}).record(4)
    item = parse_structured_service(response("https://dir.example.gov.uk/send-local-offer/provider-004-support", html), SETTINGS)
    places = {(p.field, p.url) for p in item.links}
    assert ("website", "htttp://www.provider4.example.org/") in places
    assert ("contact_email", "mailto:admin@@provider4.example.org") in places
    assert item.contacts[0].email == "admin@@provider4.example.org"


GENERIC_PAGE = """<html><body><main><h1>Stay and Play</h1>
<p class="email"><a href="mailto:{email}">{email}</a></p>
<div class="about"><p>Read <a href="www.stayandplay.org.uk/timetable">our timetable</a>.</p></div>
</main></body></html>"""


@pytest.mark.parametrize("email", ["admin@@stayandplay.org.uk", "hello@charity", "hello @charity.org.uk"])
def test_generic_selectors_keep_a_malformed_mailto_as_written(email):
    selectors = GenericSelectors(service_link="a", fields={"name": "h1", "email": ".email", "description": ".about"})
    item = parse_generic_service(response("https://dir.example.gov.uk/s/1", GENERIC_PAGE.format(email=email)), selectors, SETTINGS)
    assert item.contacts[0].email == email and email_problem(email)
    # The bare host in the description is recorded, not taken for a page of this site.
    assert ("description", "www.stayandplay.org.uk/timetable") in [(p.field, p.url) for p in item.links]


def test_the_link_checker_calls_them_broken_with_the_fix():
    settings = LinkCheckSettings(allow_private_addresses=False, soft_404_probe=False)
    results = asyncio.run(check_urls([href for href, _ in HREFS], settings))
    for (href, fixed), result in zip(HREFS, results, strict=True):
        assert (result.url, result.verdict) == (href, LinkVerdict.BROKEN)
        assert result.error.endswith(f"change it to {fixed}") and result.attempts == 0


def test_href_table_precision_and_recall():
    problems = [href for href, _ in HREFS]
    flagged = {href for href in problems + FINE if href_problem(href)}
    precision = len(flagged & set(problems)) / len(flagged)
    recall = len(flagged & set(problems)) / len(problems)
    assert (precision, recall) == (1.0, 1.0)
