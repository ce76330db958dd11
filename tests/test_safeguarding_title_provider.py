"""The provider named in an entry's title counts when a linked page is asked whether it
still names the provider (parsing/titles.py, links/fingerprint.py, findings/safeguarding.py).

Directories often list every entry under the council as its organisation and carry the
real provider in the title; the provider's own site names itself, not the council nor the
whole title. Such a name counts only as a name: a title part that is a time, a format or
an abbreviation never makes a taken-over page look like the provider's.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from collections.abc import Iterator

import pytest
from aiohttp import web

from localoffer_audit.findings.lifecycle import run_findings
from localoffer_audit.findings.safeguarding import identity_of
from localoffer_audit.links.classify import page_text
from localoffer_audit.links.fingerprint import ProviderIdentity, names_provider, snapshot_of
from localoffer_audit.links.stage import run_link_checks
from localoffer_audit.models import ServiceItem
from localoffer_audit.parsing.titles import split_title

from .support.lifecycle import crawl, put_service
from .support.links import ThreadedServer, make_config

FILLER = (
    "<p>We run friendly sessions every week during term time and in the school holidays. Parents and carers are "
    "welcome to stay. Our staff are trained in first aid and safeguarding, and we follow the local authority's "
    "policies. Please get in touch to book a place or to ask about support for your child.</p>"
)


def _page(title: str, body: str, filler: str = FILLER) -> str:
    return (f"<!DOCTYPE html><html lang='en-GB'><head><title>{title}</title></head><body>"
            f"<main><h1>{title}</h1>{body}{filler}</main></body></html>")


def _names(title: str, organisation: str | None, html: str) -> str | None:
    service = ServiceItem(directory_id="t", url="https://directory.example.gov.uk/t", name=title,
                          organisation=organisation)
    return names_provider(snapshot_of("https://provider.example.org.uk/", page_text(html)), identity_of(service))


CASINO = _page("Best Non GamStop Casinos UK 2026",
               "<p>Claim 375 free spins every Saturday at our online casino club. Sessions of live roulette and "
               "slot games, term deposits and welcome bonus offers for all ages over 18, weekdays and weekends.</p>")

# Held out: title styles of real Local Offer entries, each with where it was read.
HELD_OUT = [
    # "Provider : Service": Merton's directory, "Merton Mencap : Saturday Club"
    # (https://directories.merton.gov.uk/kb5/merton/directory/service.page?id=_8Sbwi5FOw8).
    # The provider's page names "Merton Mencap"; the qualifier "Saturday Club" is no name.
    ("Merton Mencap : Saturday Club", "London Borough of Merton", _page("Merton Mencap", "<p>Our clubs for young people.</p>"),
     "name in the entry's title 'Merton Mencap'"),
    ("Merton Mencap : Saturday Club", "London Borough of Merton", CASINO, None),
    # "Service (Abbreviation)": Kirklees Local Offer, "Speech & Language Therapy (SALT)"
    # (https://www.kirkleeslocaloffer.org.uk/information-and-advice/specialist-health-services-including-children-s-therapy-services/speech-language-therapy-salt/).
    # One word in brackets is an abbreviation, not a provider: a page saying "salt" is not theirs.
    ("Speech & Language Therapy (SALT)", "Kirklees Council", _page("Sea salt and pepper", "<p>Buy salt.</p>"), None),
    # The same service's Hammersmith & Fulham entry, "Speech and Language Therapy (SALT) service",
    # "provided by Central London Community Healthcare (CLCH)"
    # (http://search3.openobjects.com/kb5/lbhf/fis/service.page?id=kgBMMJVCyRg): the bracket is
    # inside the title, so nothing is split off, and the provider's page names the whole title.
    ("Speech and Language Therapy (SALT) service", "Hammersmith & Fulham Council",
     _page("Central London Community Healthcare", "<p>Our speech and language therapy (SALT) service.</p>"),
     "service name 'Speech and Language Therapy (SALT) service'"),
    # The styles issue 19's report quotes from real directories: " - Provider" and "(Provider)".
    ("SEN Support and Inclusion - Horizon Specialist Inclusive Learning Centre", "Northmoor Council",
     _page("Horizon Specialist Inclusive Learning Centre", "<p>Welcome to our centre.</p>"),
     "name in the entry's title 'Horizon Specialist Inclusive Learning Centre'"),
    ("Specialist Nursery Places (Larkspur Family Trust)", "Northmoor Council",
     _page("Larkspur Family Trust", "<p>Our nurseries.</p>"),
     "name in the entry's title 'Larkspur Family Trust'"),
    ("Sensory Support Team - Riverside Outreach", "Northmoor Council",
     _page("Riverside Outreach", "<p>Outreach for deaf and visually impaired children.</p>"),
     "name in the entry's title 'Riverside Outreach'"),
    # The service part counts too ("SEN Support and Inclusion"), as a whole: every word.
    ("SEN Support and Inclusion - Horizon Specialist Inclusive Learning Centre", "Northmoor Council",
     _page("SEN support", "<p>SEN support and inclusion for pupils.</p>"),
     "name in the entry's title 'SEN Support and Inclusion'"),
    # Traps: a time or a format after the dash is no name, however many of its words a
    # taken-over page carries; nor does one word of a provider's name do.
    ("Stay and Play - Term Time Only", "Northmoor Council", CASINO, None),
    ("Holiday Club (Online sessions)", "Northmoor Council", CASINO, None),
    ("Sensory Support Team - Riverside Outreach", "Northmoor Council",
     _page("Riverside Roofing", "<p>Flat roofs along the riverside.</p>"), None),
    # An area after the dash is no name either: a roofer on the lapsed domain names its town.
    ("Portage Home Visiting - North Leeds", "Northmoor Council",
     _page("Acorn Roofing", "<p>Roofing across north Leeds and Wakefield.</p>", filler=""), None),
    ("Portage Home Visiting (Greater Manchester)", "Northmoor Council",
     _page("Acorn Roofing", "<p>Roofing across Greater Manchester.</p>", filler=""), None),
    # ...while a name with a kind of organisation after a place is one: "Leeds Family Trust".
    ("Portage Home Visiting (Leeds Family Trust)", "Northmoor Council",
     _page("Leeds Family Trust", "<p>Home visiting for families.</p>"), "name in the entry's title 'Leeds Family Trust'"),
]


@pytest.mark.parametrize("title, organisation, html, named", HELD_OUT,
                         ids=[f"{i}-{row[0][:30]}" for i, row in enumerate(HELD_OUT)])
def test_the_provider_named_in_a_title_counts_as_a_name(title: str, organisation: str, html: str,
                                                        named: str | None) -> None:
    assert _names(title, organisation, html) == named


def test_before_the_fix_the_councils_entry_named_nobody_on_the_providers_page() -> None:
    # What the page was asked before: the organisation and the whole title only.
    title = "SEN Support and Inclusion - Horizon Specialist Inclusive Learning Centre"
    page = snapshot_of("https://horizon.example.org.uk/", page_text(
        _page("Horizon Specialist Inclusive Learning Centre", "<p>Welcome to our centre.</p>")))
    assert names_provider(page, ProviderIdentity(organisation="Northmoor Council", service_name=title)) is None


def test_one_split_serves_duplicates_and_safeguarding() -> None:
    assert split_title("Short Breaks (Riverside) - Saturdays") == ("Short Breaks", ("Riverside", "Saturdays"))
    assert split_title("Sensory Support Team - Riverside Outreach") == ("Sensory Support Team", ("Riverside Outreach",))
    assert split_title("Specialist Nursery Places (Larkspur Family Trust)") == (
        "Specialist Nursery Places", ("Larkspur Family Trust",))
    assert split_title("Drop-in Clinic 11-16") == ("Drop-in Clinic 11-16", ())
    assert split_title("(Closed)") == ("(Closed)", ())


# --- a real store, two checks ---------------------------------------------------------------

TITLE = "SEN Support and Inclusion - Horizon Specialist Inclusive Learning Centre"
PAGES = {
    "horizon": _page("Horizon Specialist Inclusive Learning Centre | Welcome",
                     "<p>Horizon Specialist Inclusive Learning Centre supports pupils with autism.</p>"),
    "roofing": _page("Acorn Roofing Leeds | Flat roofs, guttering and repairs",
                     "<p>Family-run roofing contractor covering Leeds and Wakefield. Free quotes for flat roofs, "
                     "slate and tile repairs, fascias, soffits and guttering. Fully insured, with a ten-year "
                     "guarantee on every new roof. Emergency call-outs seven days a week.</p>", filler=""),
}
SERVING = {"page": "horizon"}


async def _provider_site(request: web.Request) -> web.Response:
    return web.Response(text=PAGES[SERVING["page"]], content_type="text/html")


@pytest.fixture
def site() -> Iterator[ThreadedServer]:
    SERVING["page"] = "horizon"
    server = ThreadedServer(_provider_site)
    yield server
    server.stop()


def _night(db, config, day: int) -> dict[str, str]:  # noqa: ANN001 - the sqlite-utils Database
    crawl(db)
    run_link_checks(db, config, max_age_days=0)
    run_findings(db, config, today=date(2026, 12, day))
    return {row["rule"]: row["severity"] for row in db.query(
        "SELECT rule, severity FROM findings WHERE rule LIKE 'link_%' AND status IN ('open', 'reopened')")}


def _setup(db, tmp_path: Path, port: int):  # noqa: ANN001, ANN202
    config = make_config(tmp_path, port)
    put_service(db, "s1", name=TITLE, organisation="Northmoor Council", website="http://provider.test/",
                contacts=[], postcode=None)
    db["links"].insert({"url": "http://provider.test/", "host": "provider.test",
                        "first_seen_at": "2026-12-01T00:00:00+00:00", "last_seen_at": "2026-12-01T00:00:00+00:00"},
                       ignore=True)
    db["link_places"].insert({"service_id": "s1", "url": "http://provider.test/", "field": "website",
                              "element": "a", "attribute": "href"})
    return config


def test_a_page_naming_only_the_titles_provider_is_never_flagged_across_two_checks(
        db, tmp_path: Path, site: ThreadedServer) -> None:  # noqa: ANN001
    config = _setup(db, tmp_path, site.port)
    assert _night(db, config, 1) == {}
    assert _night(db, config, 2) == {}
    # The page named them, so it became the baseline a takeover is compared with.
    baseline = next(db.query("SELECT baseline FROM link_pages WHERE url = 'http://provider.test/'"))["baseline"]
    assert baseline and "horizon specialist" in baseline


def test_the_same_site_taken_over_after_naming_the_titles_provider_is_repurposed(
        db, tmp_path: Path, site: ThreadedServer) -> None:  # noqa: ANN001
    config = _setup(db, tmp_path, site.port)
    assert _night(db, config, 1) == {}
    SERVING["page"] = "roofing"
    assert _night(db, config, 2) == {"link_repurposed": "critical"}


def test_a_page_naming_nobody_from_the_entry_is_still_flagged(db, tmp_path: Path, site: ThreadedServer) -> None:  # noqa: ANN001
    SERVING["page"] = "roofing"
    config = _setup(db, tmp_path, site.port)
    assert _night(db, config, 1) == {"link_provider_not_named": "low"}
    assert _night(db, config, 2) == {"link_provider_not_named": "medium"}
    message = next(db.query("SELECT message FROM findings WHERE rule = 'link_provider_not_named'"))["message"]
    # The manager is told what was looked for, the title's provider included.
    assert "'Northmoor Council', 'Horizon Specialist Inclusive Learning Centre' from the service's title" in message
