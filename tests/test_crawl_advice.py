"""The directory's own information and advice pages on LocalGov Drupal and generic sites.

Saved pages (the markup of localgov_base's templates: ``page-node-type-*`` body classes,
``node--type-*`` articles and search-result rows) for telling guidance from records, then
whole crawls of loopback sites (tests/support/held_out_sites.py) with ``platform =
"auto"``, and a night end to end: an advice page's broken link reaches the Local Offer
team's worklist, not a provider's.
"""

from __future__ import annotations

import csv
from pathlib import Path

from parsel import Selector

from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.advice import ADVICE_KIND, ENTRY_KIND, advice_block_links, listing_row_kinds, page_kind
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.models import RunStatus
from localoffer_audit.nightly import run_nightly
from localoffer_audit.outputs.worklists import file_stem

from .support.crawl_sites import crawl_config, serve, stored_services as stored
from .support.held_out_sites import GUIDES, DrupalDirectory, GenericDirectory, drupal_slug, generic_start

DRUPAL_START = "/send-local-offer"
PAGE = "https://www.northshire.gov.uk/send-local-offer"


def crawl(start: str, db_path: Path, *, advice: bool):
    config = crawl_config(start, "auto")
    config["directory"]["read_advice_pages"] = advice
    return run_crawl(config_from_dict(config), db_path)


# --- saved pages -----------------------------------------------------------------------


def test_a_localgov_guide_or_service_page_says_it_is_guidance_and_a_directory_entry_says_it_is_one():
    site = DrupalDirectory()
    for guide in GUIDES:
        assert page_kind(Selector(text=guide.page("https://x.example"))) == ADVICE_KIND, guide.node_type
    assert page_kind(Selector(text=site.record(3))) == ENTRY_KIND
    # The channel page lists entries (search-result rows): the page itself is neither.
    assert page_kind(Selector(text=site.listing(0))) is None
    # Without the body class, the page's own full-view article says it.
    bare = '<html><body><main><article class="node node--type-localgov-guides-overview node--view-mode-full"><h1>x</h1></article></main></body></html>'
    assert page_kind(Selector(text=bare)) == ADVICE_KIND
    teaser = '<html><body><main><article class="node node--type-localgov-guides-page node--view-mode-teaser"><h2>x</h2></article></main></body></html>'
    assert page_kind(Selector(text=teaser)) is None


def test_listing_rows_say_which_links_are_guidance():
    html = DrupalDirectory(guidance=True).listing(0)
    kinds = listing_row_kinds(Selector(text=html), PAGE)
    base = "https://www.northshire.gov.uk"
    assert kinds[base + GUIDES[0].path] == kinds[base + GUIDES[1].path] == ADVICE_KIND
    assert kinds[base + drupal_slug(1)] == ENTRY_KIND
    # A class word on a bespoke directory's row; a wrapper around all rows says nothing.
    generic = Selector(text=GenericDirectory().listing(1))
    kinds = listing_row_kinds(generic, "https://lo.example/sendlocaloffer/results.aspx")
    assert kinds == {"https://lo.example/sendlocaloffer/record.aspx?id=A7": ADVICE_KIND}
    wrapped = ('<html><body><div class="guidance-and-services"><div><h3><a href="/a">A</a></h3></div>'
               '<div><h3><a href="/b">B</a></h3></div></div></body></html>')
    assert listing_row_kinds(Selector(text=wrapped), "https://lo.example/") == {}


def test_information_and_advice_blocks_give_their_on_site_links_and_nothing_else():
    html = """<html><body><header><nav><h2>Advice</h2><a href="/nav-advice">In the menu</a></nav></header><main>
    <div class="block"><div class="block__title"><h2>Information and advice</h2></div>
      <div class="block__content"><ul><li><a href="/lo/adulthood#top">Preparing for adulthood</a></li>
      <li><a href="https://www.gov.uk/send">GOV.UK</a></li><li><a href="mailto:lo@x.example">Email us</a></li></ul></div></div>
    <h3>Contact information</h3><p><a href="/contact-us">Contact us</a></p>
    <h3>Advice and guidance</h3><p><a href="/lo/ehcp">EHCPs</a> (<a href="/files/ehcp-leaflet.PDF">leaflet</a>)</p><h3>Events</h3><p><a href="/events">Events</a></p>
    </main><footer><h2>Help and advice</h2><a href="/footer-help">Help</a></footer></body></html>"""
    links = advice_block_links(Selector(text=html), "https://lo.example/lo")
    assert links == ["https://lo.example/lo/adulthood", "https://lo.example/lo/ehcp"]


# --- whole crawls ----------------------------------------------------------------------


def test_localgov_guidance_among_the_records_is_read_as_advice_pages(tmp_path):
    site = DrupalDirectory(services=23, guidance=True)
    with serve(site) as base:
        summary = crawl(base + DRUPAL_START, tmp_path / "on.db", advice=True)
    assert summary.status == RunStatus.COMPLETE, summary.messages
    services = stored(tmp_path / "on.db")
    advice = {sid for sid, s in services.items() if s.extra.get("page_kind") == ADVICE_KIND}
    # The two guidance rows and the block's guidance page; the block's directory entry is a record.
    assert advice == {g.path for g in GUIDES}
    assert set(services) - advice == {drupal_slug(n) for n in range(1, 24)}
    assert summary.counts["services_seen"] == 26
    guide = services[GUIDES[0].path]
    assert guide.name == "Education, health and care plans"
    # No provider: whatever the page prints, its findings are the Local Offer team's.
    assert guide.contacts == [] and guide.organisation is None
    # Its links are recorded as a record's are (the contact block's email is a link, not its owner).
    assert sorted((p.field, p.url) for p in guide.links) == [
        ("contact_email", "mailto:sendiass@northshire.example.org"),
        ("description", "https://www.gov.uk/children-with-special-educational-needs"),
        ("description", "https://www.northshire-sendiass.org.uk/ehcp-form"),
        ("description", "mailto:sendiass@northshire.example.org"),
        ("description", "tel:01632960999"),
    ]
    assert services[drupal_slug(15)].contacts[0].email == "info@provider15.example.org"
    # Each guidance page once, though the block is on every listing page.
    assert all(site.requests.count(g.path) == 1 for g in GUIDES)


def test_with_advice_pages_off_guidance_is_neither_fetched_as_a_record_nor_stored(tmp_path):
    site = DrupalDirectory(services=23, guidance=True)
    with serve(site) as base:
        summary = crawl(base + DRUPAL_START, tmp_path / "off.db", advice=False)
    assert summary.status == RunStatus.COMPLETE, summary.messages
    services = stored(tmp_path / "off.db")
    assert set(services) == {drupal_slug(n) for n in range(1, 24)}
    # Guidance rows are known from the listing and never asked for.
    assert GUIDES[0].path not in site.requests and GUIDES[1].path not in site.requests
    # The inferred record selector also took the block's guidance link: its page said what it is.
    assert any(m.startswith("not stored: ") and GUIDES[2].path in m and "read_advice_pages is off" in m
               for m in summary.messages), summary.messages


def test_a_generic_directory_s_advice_rows_and_help_block_are_advice_pages(tmp_path):
    site = GenericDirectory(services=12)
    with serve(site) as base:
        summary = crawl(generic_start(base), tmp_path / "g.db", advice=True)
        off = crawl(generic_start(base), tmp_path / "off.db", advice=False)
    assert summary.status == off.status == RunStatus.COMPLETE, summary.messages
    services = stored(tmp_path / "g.db")
    advice = {sid: s for sid, s in services.items() if s.extra.get("page_kind") == ADVICE_KIND}
    # The badge row keeps the records' id rule (A7); a help page is known by its path and
    # query, so page.aspx?id=5 could never be taken for record 5.
    assert set(advice) == {"A7", "/sendlocaloffer/page.aspx?id=what-is-send", "/sendlocaloffer/page.aspx?id=ehcp"}
    assert set(services) - set(advice) == {str(n) for n in range(1, 13)}
    assert all(s.contacts == [] for s in advice.values())
    assert [p.url for p in advice["A7"].links] == [
        "mailto:localoffer@northshire.example.org", "https://www.northshire-sendiass.org.uk/travel"]
    assert set(stored(tmp_path / "off.db")) == {str(n) for n in range(1, 13)}
    assert (summary.counts["duplicates"], off.counts["duplicates"]) == (0, 0)
    # The block's leaflet is a PDF: a note, not a failed page (the crawl's error count is 0).
    assert summary.counts["errors"] == 0
    assert any(m.startswith("not read: advice link ") and "leaflet" in m and "application/pdf" in m
               for m in summary.messages), summary.messages


# --- a night end to end ------------------------------------------------------------------


class Outside:
    """The outside web the pages link to: one leaflet gone, the rest there."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    async def handle(self, request):  # noqa: ANN001, ANN201 - aiohttp handler
        from aiohttp import web

        self.requests.append(request.path)
        if request.path == "/ehcp-form":
            return web.Response(status=404, text="<html><body><h1>Page not found</h1></body></html>", content_type="text/html")
        return web.Response(text=f"<html><head><title>{request.path}</title></head><body><p>Leaflet</p></body></html>",
                            content_type="text/html")


def test_an_advice_page_s_broken_link_reaches_the_local_offer_team_not_a_provider(tmp_path):
    team = "localoffer@northshire.example.org"
    outside = Outside()
    with serve(outside) as outside_base:
        # Another host name for the same loopback: the directory's own host is 127.0.0.1.
        site = DrupalDirectory(services=12, guidance=True, outside=outside_base.replace("127.0.0.1", "localhost"))
        with serve(site) as base:
            data = crawl_config(base + DRUPAL_START, "auto")
            data["directory"]["read_advice_pages"] = True
            data.update({
                "database": {"path": str(tmp_path / "audit.db")},
                "output": {"folder": str(tmp_path / "out")},
                # Only the outside server is checked (no internet here).
                "links": {"allow_private_addresses": True, "retries": 0,
                          "exclude": ["https://", "mailto:", "tel:"]},
                "managers": {"default_owner_email": team, "fallback_to_service_email": True},
            })
            night = run_nightly(config_from_dict(data))
    assert "/ehcp-form" in outside.requests
    stages = {s.name: s.status for s in night.stages}
    assert stages["crawl"] == stages["findings"] == stages["worklists"] == "complete", night.stages
    folder = tmp_path / "out" / "worklists"
    with (folder / f"{file_stem(team)}.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    broken = [r for r in rows if r["link_or_field"].endswith("/ehcp-form")]
    assert [r["service_id"] for r in broken] == [GUIDES[0].path], rows
    # The other guidance pages' links answered: nothing of theirs is on the list, and no
    # per-entry rule (contacts, dates, duplicates) was applied to a guidance page.
    assert {r["service_id"] for r in rows} == {GUIDES[0].path}, rows
    # No provider's list carries it: each provider's list is its own.
    for path in folder.glob("*.csv"):
        if path.name != f"{file_stem(team)}.csv":
            with path.open(encoding="utf-8") as handle:
                assert not [r for r in csv.DictReader(handle) if r["service_id"] in {g.path for g in GUIDES}], path


def test_the_dry_run_names_the_advice_pages_apart_from_the_records(tmp_path):
    from click.testing import CliRunner

    from localoffer_audit.cli import main
    from localoffer_audit.demo import to_toml

    site = DrupalDirectory(services=23, guidance=True)
    with serve(site) as base:
        data = crawl_config(base + DRUPAL_START, "auto")
        del data["directory"]["read_advice_pages"]  # the default: read them
        data["database"] = {"path": str(tmp_path / "audit.db")}
        (tmp_path / "audit.toml").write_text(to_toml(data), encoding="utf-8")
        result = CliRunner().invoke(main, ["--config", str(tmp_path / "audit.toml"), "crawl", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "records found 23 (the directory says it has 23)" in result.output
    assert ("information/advice pages read 3 (their links are checked, for the Local Offer team): "
            "'Education, health and care plans', 'Preparing for adulthood', 'Short breaks explained'") in result.output
    assert "record /send-local-offer/provider-001-support: 'Provider 1 support'" in result.output


def test_a_guidance_class_names_the_row_not_a_category_that_contains_the_word():
    """ "Advice and support" is a common SEND category: a record row whose class names it
    (service-type-advice-and-support) stays a record; the word itself, a BEM modifier or
    the word naming the row says guidance."""
    def kind(row_class: str) -> dict[str, str]:
        html = (f'<html><body><ul><li class="{row_class}"><h3><a href="/r/1">One</a></h3></li>'
                '<li class="result"><h3><a href="/r/2">Two</a></h3></li></ul></body></html>')
        return listing_row_kinds(Selector(text=html), "https://lo.example/")

    for record in ("result service-type-advice-and-support", "category-advice", "tag-guidance result",
                   "advice-and-support", "guided-walks"):
        assert kind(record) == {}, record
    for guidance in ("result-item advice", "search-result search-result--advice", "guidance-item", "advice_card",
                     "result guide"):
        assert kind(guidance) == {"https://lo.example/r/1": ADVICE_KIND}, guidance


def test_a_basic_drupal_page_does_not_overrule_configured_selectors():
    basic = Selector(text='<html><body class="page-node-type-page"><main><h1>Swim club</h1></main></body></html>')
    assert page_kind(basic) == ADVICE_KIND  # a LocalGov site's basic page is guidance
    assert page_kind(basic, plain_is_advice=False) is None
    guide = Selector(text='<html><body class="page-node-type-localgov-guides-page"><h1>x</h1></body></html>')
    assert page_kind(guide, plain_is_advice=False) == ADVICE_KIND
