"""Tables for the pure page classifiers: real-world British wording, and the traps."""

from __future__ import annotations

import pytest

from localoffer_audit.links.classify import (
    bot_challenge_signal,
    fingerprint,
    is_site_root,
    lands_on_home_page,
    page_text,
    parking_signal,
    registrable_domain,
    same_as_probe,
    soft_404_signal,
)
from localoffer_audit.links.contact_links import check_email, check_phone

BODY = "We support families of children with special educational needs across the borough. " * 5


def html(title: str = "", h1: str = "", body: str = BODY) -> str:
    return f"<html><head><title>{title}</title></head><body><h1>{h1}</h1><p>{body}</p></body></html>"


SOFT_404_PAGES = [
    # (page, is a soft 404)
    (html("Page not found | Leeds City Council", "Page not found"), True),
    (html("Page not found - GOV.UK", "Page not found", "If you typed the web address, check it is correct."), True),
    (html("Sorry, we can't find that page | Barnardo's"), True),
    (html("404 Not Found"), True),
    (html("Error 404 - Kent County Council"), True),
    (html("Oops!", "Oops! Page not found"), True),
    (html("Whoops", "", "Sorry, we couldn't find that page. Try searching the site or go to the home page."), True),
    (html("Our services", "", "The page you were looking for could not be found. It may have been moved."), True),
    (html("Not Found", "Not Found", "The requested URL was not found on this server."), True),
    (html("Home | NHS", "This page no longer exists"), True),
    # Traps: real pages that mention losing or not finding things.
    (html("Lost property | Arriva Buses", "Lost property", "Items not found within 28 days go to charity."), False),
    (html("Missing children | NSPCC", "Missing children", "If your child has gone missing, call 999."), False),
    (html("Contact us", "Not found what you need?", "Call our helpline on 0800 123 4567."), False),
    (html("Room 404 booking", "Room 404", "The Room 404 at the Civic Centre seats 20."), False),
    (html("Finding a childminder", "Can't find a place?", "We can help you find childcare near you."), False),
    (html("Bereavement support", "Coping with loss", "Losing someone is hard; we can't take the pain away."), False),
    (html("Holiday club", "Summer holiday club", "Sessions that could not be found elsewhere in the county."), False),
    (html("Volunteer", "Are you looking for a role?", "Our old booking page is no longer available: book by phone."), False),
    (html("Parenting", "Lost and found", "The page you\u2019re reading explains our lost and found service."), False),
]


@pytest.mark.parametrize(("markup", "expected"), SOFT_404_PAGES)
def test_soft_404_wording(markup: str, expected: bool) -> None:
    assert bool(soft_404_signal(page_text(markup))) is expected


PARKED_PAGES = [
    (html("sunnysideplaygroup.co.uk", "", "This domain may be for sale. Make an offer today."), None, True),
    (html("", "", "Buy this domain. The domain owner is ready to sell."), None, True),
    (html("hello", "", "This site is parked free, courtesy of GoDaddy.com"), None, True),
    ("<html><script src='https://www.google.com/adsense/domains/caf.js'></script></html>", None, True),
    (html("Related Links", "", "This domain has expired. Renew it now."), None, True),
    (html("x"), "https://sedo.com/search/details/?domain=sunnyside.org.uk", True),
    (html("sunnyside.org.uk", "", "This domain has recently been registered with Namecheap."), None, True),
    (html("sunnyside.co.uk", "", "sunnyside.co.uk is for sale! Get this domain today."), None, True),
    (html("x"), "https://www.hugedomains.com/domain_profile.cfm?d=sunnyside", True),
    # Traps: charities asking for money, shops, web designers, domain news.
    (html("Support us | Mencap", "Support us", "Donate today. Buy raffle tickets. Visit our charity shop sale."), None, False),
    (html("Donate", "Make a donation", "Your gift helps families. Give monthly or make a one-off donation."), None, False),
    (html("Web design", "Websites for charities", "We can register a domain name for your club."), None, False),
    (html("News", "Our new website", "We have moved to a new domain: please update your bookmarks."), None, False),
    (html("Uniform sale", "Second-hand uniform sale", "Items for sale every Friday in the school hall."), None, False),
]


@pytest.mark.parametrize(("markup", "final_url", "expected"), PARKED_PAGES)
def test_parking_signals(markup: str, final_url: str | None, expected: bool) -> None:
    assert bool(parking_signal(page_text(markup), final_url)) is expected


CF_CHALLENGE = (
    "<html><head><title>Just a moment...</title></head><body>"
    "<script src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1'></script></body></html>"
)
CHALLENGES = [
    (403, {"Server": "cloudflare", "cf-mitigated": "challenge"}, CF_CHALLENGE, True),
    (503, {"Server": "cloudflare"}, CF_CHALLENGE, True),
    (403, {}, "<html><title>Attention Required! | Cloudflare</title><body>Sorry, you have been blocked</body></html>", True),
    (403, {"X-Iinfo": "1-2-3"}, "<html><body><script src='/_Incapsula_Resource?SWJIYLWA=1'></script></body></html>", True),
    (403, {"X-DataDome": "protected"}, "<html><script src='https://ct.captcha-delivery.com/c.js'></script></html>", True),
    (403, {"Server": "AkamaiGHost"}, "<html><title>Access Denied</title><body>You don't have permission to access this. Reference #18.1</body></html>", True),
    (999, {}, "", True),
    (405, {}, "<html><title>Pardon Our Interruption</title></html>", True),
    # Traps: a vendor header alone, or a contact form with a captcha on a real page.
    (403, {"Server": "cloudflare", "cf-ray": "8a1b-LHR"}, "<html><title>403 Forbidden</title><body>Forbidden</body></html>", False),
    (404, {"Server": "cloudflare", "cf-ray": "8a1b-LHR"}, html("Page not found"), False),
    (200, {"Server": "cloudflare", "cf-ray": "8a1b-LHR"}, html("Contact us", "", "Send us a message. <div class='g-recaptcha'></div>"), False),
    (403, {}, "<html><title>Access Denied</title><body>Access denied</body></html>", False),
]


@pytest.mark.parametrize(("status", "headers", "markup", "expected"), CHALLENGES)
def test_bot_protection_signals(status: int, headers: dict[str, str], markup: str, expected: bool) -> None:
    page = page_text(markup) if markup else None
    assert bool(bot_challenge_signal(status, headers, page)) is expected


@pytest.mark.parametrize(
    ("original", "final", "expected"),
    [
        ("https://www.example.org.uk/services/holiday-club", "https://www.example.org.uk/", True),
        ("https://example.org.uk/services/holiday-club", "https://www.example.org.uk/index.php", True),
        ("https://www.example.org.uk/", "https://www.example.org.uk/", False),
        ("https://www.example.org.uk/services", "https://www.example.org.uk/services/", False),
        ("https://www.example.org.uk/services", "https://www.other.org.uk/", False),
        ("https://www.example.org.uk/search", "https://www.example.org.uk/?q=1", False),
    ],
)
def test_deep_link_landing_on_home_page(original: str, final: str, expected: bool) -> None:
    assert lands_on_home_page(original, final) is expected


def test_site_root_and_registrable_domain() -> None:
    assert is_site_root("https://a.example.org.uk/") and is_site_root("https://a.example.org.uk")
    assert not is_site_root("https://a.example.org.uk/about")
    assert registrable_domain("www.kent.gov.uk") == "kent.gov.uk"
    assert registrable_domain("services.example.co.uk") == "example.co.uk"
    assert registrable_domain("127.0.0.1") == "127.0.0.1"


def test_probe_comparison_needs_enough_text_to_compare() -> None:
    shell = page_text("<html><title>App</title><body><div id='root'></div></body></html>")
    real = page_text(html("Holiday club", "Holiday club"))
    made_up = page_text(html("Welcome", "Welcome", "Welcome to our site. " * 20))
    assert same_as_probe(fingerprint("https://a.uk/x", shell), fingerprint("https://a.uk/y", shell)) is None
    assert same_as_probe(fingerprint("https://a.uk/x", made_up), fingerprint("https://a.uk/y", made_up))
    assert same_as_probe(fingerprint("https://a.uk/x", real), fingerprint("https://a.uk/y", made_up)) is None
    assert same_as_probe(fingerprint("https://a.uk/404", real), fingerprint("https://a.uk/404", shell))


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("info@sunnyside.org.uk", True),
        ("first.last+send@nhs.net", True),
        ("o'brien@example.co.uk", True),
        ("info@@sunnyside.org.uk", False),
        ("info@sunnyside", False),
        ("info at sunnyside.org.uk", False),
        ("info@sunnyside..org.uk", False),
        ("office@northmoor.gov.uk.", False),
        ("info@-sunnyside.org.uk", False),
        (".info@sunnyside.org.uk", False),
        ("", False),
    ],
)
def test_email_syntax(address: str, valid: bool) -> None:
    assert check_email(address).valid is valid


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("0800 123 4567", True),
        ("0300 123 4567", True),
        ("0345 600 0000", True),
        ("020 7946 0000", True),
        ("+44 113 496 0000", True),
        ("07911 123456", True),
        ("07911 12345", False),
        ("01632 96", False),
        ("+1 212 555 0100", False),
        ("phone us", False),
    ],
)
def test_uk_phone_numbers(number: str, valid: bool) -> None:
    assert check_phone(number).valid is valid


MORE_SOFT_404 = [
    # WordPress themes, with the typographic apostrophe they print.
    "<title>Page not found – Sunnyside Playgroup</title><h1>Oops! That page can\u2019t be found.</h1>",
    "<title>Sunnyside</title><h1>Oops!</h1><p>It looks like nothing was found at this location. Maybe try a search?</p>",
    "<title>Sunnyside</title><h1>Sorry</h1><p>The page you\u2019re looking for isn\u2019t here.</p>",
    "<title>Oops!</title><h1>Oops!</h1><p>We can't seem to find the page you're looking for. Error code: 404</p>",
    "<title>Not Found</title><h1>Not Found</h1><p>The requested URL /services was not found on this server.</p>",
    "<title>Nothing here</title><h1>Nothing here</h1><p>This page doesn't exist any more. Try our home page.</p>",
]


@pytest.mark.parametrize("markup", MORE_SOFT_404)
def test_common_error_page_wording(markup: str) -> None:
    assert soft_404_signal(page_text(markup))


def test_a_shared_login_redirect_is_not_a_soft_404() -> None:
    login = page_text(html("Sign in", "Sign in to the members' area"))
    assert same_as_probe(fingerprint("https://a.uk/account/login", login), fingerprint("https://a.uk/account/login", login)) is None
    assert same_as_probe(fingerprint("https://a.uk/sign-in", login), fingerprint("https://a.uk/sign-in", login)) is None
    assert same_as_probe(fingerprint("https://a.uk/oops", login), fingerprint("https://a.uk/oops", login))
