"""Whole crawls with platform = "auto" of directory layouts the demo never serves.

The sites (tests/held_out_sites.py) follow LocalGov Drupal's templates and an FSD whose
results pages are numbered ``page=``; no selector is written by hand anywhere here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.models import RunStatus

from .support.held_out_sites import DrupalDirectory, FsdPageNumbered, drupal_slug, fsd_id, fsd_numbered_start
from .support.crawl_sites import FakeSite, crawl_config, serve, stored_services as stored

DRUPAL_START = "/send-local-offer"


def auto_crawl(start: str, db_path: Path, **settings):
    return run_crawl(config_from_dict(crawl_config(start, "auto", **settings)), db_path)


def test_a_localgov_drupal_directory_is_read_whole_with_no_selectors(tmp_path):
    site = DrupalDirectory(services=23)
    with serve(site) as base:
        summary = auto_crawl(base + DRUPAL_START, tmp_path / "a.db")
    assert summary.status == RunStatus.COMPLETE, summary.messages
    assert summary.counts["detected_platform"] == "generic"
    assert any(m.startswith("platform detected: generic: a LocalGov Drupal directory") for m in summary.messages)
    assert (summary.counts["services_seen"], summary.counts["listing_pages"]) == (23, 3)
    assert summary.counts["stated_total"] == 23
    services = stored(tmp_path / "a.db")
    assert set(services) == {drupal_slug(n) for n in range(1, 24)}
    seven = services[drupal_slug(7)]
    assert seven.name == "Provider 7 support"
    assert seven.contacts[0].phone == "01632 960007" and seven.contacts[0].email == "info@provider7.example.org"
    assert seven.website == "https://www.provider7.example.org/"
    assert (seven.postcode, seven.age_range) == ("NF1 7AB", "5 to 11 years")
    assert seven.description.startswith("Play sessions and short breaks")
    assert sorted((p.field, p.url) for p in seven.links) == [
        ("contact_email", "mailto:info@provider7.example.org"),
        ("description", "https://www.provider7.example.org/short-breaks"),
        ("phone", "tel:01632960007"),
        ("website", "https://www.provider7.example.org/"),
    ]
    # Facet links, navigation and footer pages are neither records nor listing pages.
    assert not [r for r in site.requests if "facets" in r or r in ("/bins", "/privacy", "/contact")]


def test_fsd_numbered_by_page_is_read_whole_not_taken_for_a_loop(tmp_path):
    site = FsdPageNumbered(services=45)
    with serve(site) as base:
        summary = auto_crawl(fsd_numbered_start(base), tmp_path / "a.db")
    assert summary.status == RunStatus.COMPLETE, summary.messages
    assert summary.counts["detected_platform"] == "fsd"
    assert (summary.counts["services_seen"], summary.counts["listing_pages"]) == (45, 3)
    assert (summary.counts["pagination_loops"], summary.counts["pagination_dead_ends"]) == (0, 0)
    assert summary.counts["stated_total"] == 45
    assert set(stored(tmp_path / "a.db")) == {fsd_id(n) for n in range(1, 46)}
    listing_reads = [r for r in site.requests if "results.page" in r]
    assert len(listing_reads) == len(set(listing_reads)) == 3


def test_a_record_repeated_on_the_next_page_is_no_loop(tmp_path):
    site = FsdPageNumbered(services=45, overlap=True)
    with serve(site) as base:
        summary = auto_crawl(fsd_numbered_start(base), tmp_path / "a.db")
    assert summary.status == RunStatus.COMPLETE, summary.messages
    assert (summary.counts["services_seen"], summary.counts["pagination_loops"]) == (45, 0)
    assert summary.counts["duplicates"] == 2


def test_a_site_ignoring_page_numbers_is_a_loop_and_incomplete_on_the_first_crawl(tmp_path):
    site = FsdPageNumbered(services=400, ignores_page=True)
    with serve(site) as base:
        summary = auto_crawl(fsd_numbered_start(base), tmp_path / "a.db")
    assert summary.status == RunStatus.INCOMPLETE
    assert summary.counts["services_seen"] == 20
    assert summary.counts["pagination_dead_ends"] >= 1
    first = summary.messages[0]
    assert "found 20 services, but the directory says it has 400" in first
    assert '"Showing 1 to 20 of 400 results"' in first and "380 not reached" in first


def test_a_pager_stopping_early_is_caught_by_the_directorys_own_count(tmp_path):
    # No error, no loop: only the "Displaying 1 - 10 of 60" text says most is missing.
    site = DrupalDirectory(services=60, pager_stops_after=1)
    with serve(site) as base:
        summary = auto_crawl(base + DRUPAL_START, tmp_path / "a.db")
    assert summary.status == RunStatus.INCOMPLETE
    assert (summary.counts["services_seen"], summary.counts["errors"], summary.counts["pagination_loops"]) == (20, 0, 0)
    assert "found 20 services, but the directory says it has 60" in summary.messages[0]


def test_a_site_that_is_no_directory_says_it_cannot_tell(tmp_path):
    site = DrupalDirectory(services=0)
    with serve(site) as base:
        summary = auto_crawl(base + "/no-such-page", tmp_path / "a.db")
    assert summary.status == RunStatus.INCOMPLETE
    assert any("answered HTTP 404" in m for m in summary.messages), summary.messages


def test_dry_run_shows_the_platform_selectors_and_sample_records_and_stores_nothing(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from localoffer_audit.cli import main

    site = DrupalDirectory(services=23)
    with serve(site) as base:
        config = tmp_path / "audit.toml"
        config.write_text(
            "\n".join([
                "[directory]", 'platform = "auto"', f'start_urls = ["{base}{DRUPAL_START}"]',
                "[crawl]", "allow_private_addresses = true", "download_delay_seconds = 0", "autothrottle = false",
                "retries = 0", "[database]", 'path = "audit.db"',
            ]),
            encoding="utf-8",
        )
        result = CliRunner().invoke(main, ["--config", str(config), "crawl", "--dry-run"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "platform: generic" in out and "platform detected: generic: a LocalGov Drupal directory" in out
    assert "inferred [directory.generic] selectors: service_link = 'h2.search-result__title > a::attr(href)'" in out
    assert "records found 23 (the directory says it has 23)" in out
    assert "record /send-local-offer/provider-001-support: 'Provider 1 support'; phone 01632 960001" in out
    assert not (tmp_path / "audit.db").exists()


def test_init_url_names_what_it_found_and_the_config_crawls_it(tmp_path):
    import tomllib

    from click.testing import CliRunner

    from localoffer_audit.cli import main

    site = DrupalDirectory(services=12)
    fsd = FsdPageNumbered(services=5)
    with serve(site) as base, serve(fsd) as fsd_base:
        drupal_config, fsd_config = tmp_path / "drupal.toml", tmp_path / "fsd.toml"
        result = CliRunner().invoke(main, ["--config", str(drupal_config), "init", "--url", base + DRUPAL_START, "--allow-private"])
        assert result.exit_code == 0, result.output
        assert "platform generic (a LocalGov Drupal directory" in result.output
        other = CliRunner().invoke(main, ["--config", str(fsd_config), "init", "--url", fsd_numbered_start(fsd_base), "--allow-private"])
        assert other.exit_code == 0 and "platform fsd" in other.output
        data = tomllib.loads(drupal_config.read_text(encoding="utf-8"))
        assert data["directory"]["platform"] == "generic"
        assert data["directory"]["generic"]["service_link"] == "h2.search-result__title > a::attr(href)"
        assert tomllib.loads(fsd_config.read_text(encoding="utf-8"))["directory"]["platform"] == "fsd"
        data["crawl"].update(allow_private_addresses=True, download_delay_seconds=0, autothrottle=False, retries=0)
        summary = run_crawl(config_from_dict(data), tmp_path / "a.db")
    assert summary.status == RunStatus.COMPLETE and summary.counts["services_seen"] == 12


def test_init_url_refuses_a_private_address_in_one_line(tmp_path):
    from click.testing import CliRunner

    from localoffer_audit.cli import main

    result = CliRunner().invoke(main, ["--config", str(tmp_path / "x.toml"), "init", "--url", "http://127.0.0.1:9/dir"])
    assert result.exit_code != 0 and "127.0.0.1 is a private address (127.0.0.1): refused" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "x.toml").exists()


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_an_oruk_api_is_detected_from_its_base_and_read_whole(tmp_path, version):
    site = FakeSite(services=7)
    with serve(site) as base:
        summary = auto_crawl(f"{base}/api/{version}/", tmp_path / "a.db")
    assert summary.status == RunStatus.COMPLETE, summary.messages
    assert (summary.counts["detected_platform"], summary.counts["services_seen"]) == ("oruk", 7)
    assert summary.counts["stated_total"] == 7


@pytest.mark.parametrize("layout", ["sitemap", "sitemap_index"])
def test_with_no_count_on_the_page_the_sitemap_says_how_many_records_there_are(tmp_path, layout):
    # "sitemap_index": two pages of an index (the second with an escaped "&amp;") and a
    # .xml.gz, as Drupal's simple_sitemap pages them; an index on another site is not read.
    site = DrupalDirectory(services=60, pager_stops_after=1, summary=False, **{layout: True})
    with serve(site) as base:
        summary = auto_crawl(base + DRUPAL_START, tmp_path / "a.db")
        whole = DrupalDirectory(services=25, summary=False, **{layout: True})
        with serve(whole) as other:
            fine = auto_crawl(other + DRUPAL_START, tmp_path / "b.db")
    assert summary.status == RunStatus.INCOMPLETE
    assert summary.counts["stated_total"] == 60  # the channel page and /bins are not records
    assert "found 20 services, but the directory says it has 60 (60 record pages under /send-local-offer/ in" in summary.messages[0]
    assert fine.status == RunStatus.COMPLETE and (fine.counts["services_seen"], fine.counts["stated_total"]) == (25, 25)
    if layout == "sitemap_index":
        assert "/sitemap.xml and the sitemaps it lists (3 read)" in summary.counts["stated_total_source"]
        assert "/sitemap.xml?page=2&lang=en" in site.requests and "/sitemaps/more.xml.gz" in site.requests
        assert any("1 of its sitemaps are on another site or already read" in m for m in summary.messages), summary.messages


def test_advice_pages_are_read_as_pages_of_their_own_kind_by_default(tmp_path):
    from datetime import date

    from localoffer_audit.config import ContentConfig
    from localoffer_audit.content.rules import RuleContext, check_service

    site = FsdPageNumbered(services=5)
    with serve(site) as base:
        config = crawl_config(fsd_numbered_start(base), "auto")
        off = run_crawl(config_from_dict(config), tmp_path / "off.db")
        assert not [r for r in site.requests if "advice.page" in r]
        del config["directory"]["read_advice_pages"]  # the default: read them
        on = run_crawl(config_from_dict(config), tmp_path / "on.db")
    assert off.status == on.status == RunStatus.COMPLETE, on.messages
    assert (off.counts["services_seen"], on.counts["services_seen"]) == (5, 6)
    # Listed on every results page (three reads), fetched once; the header's nav link is chrome.
    assert len([r for r in site.requests if "advice.page" in r]) == 1
    advice = stored(tmp_path / "on.db")["advice:AdvEhcp0001"]
    assert (advice.name, advice.extra["page_kind"]) == ("EHCPs explained", "advice")
    assert sorted(p.url for p in advice.links) == [
        "https://www.gov.uk/children-with-special-educational-needs/extra-SEN-help",
        "htttp://www.northshire-sendiass.org.uk/",
    ]
    # No provider-entry rules (no contact, no date...) on a guidance page: only its links.
    assert check_service(advice, RuleContext(date(2026, 1, 5), ContentConfig())) == []


def test_a_page_listing_no_records_says_why_it_cannot_tell(tmp_path):
    site = DrupalDirectory(services=1)  # one record link: no repeated shape to go by
    with serve(site) as base:
        summary = auto_crawl(base + DRUPAL_START, tmp_path / "a.db")
    assert summary.status == RunStatus.INCOMPLETE
    assert any(m.startswith("could not tell which platform") and "no repeated record links" in m
               and "set [directory] platform" in m for m in summary.messages), summary.messages


def test_a_hostile_sitemap_index_is_bounded_and_said_in_one_line_each(tmp_path):
    from localoffer_audit.spiders.auto import MAX_CHILD_SITEMAPS

    # A loop back to itself, an endless chain of nested indexes and a gzip bomb unpacking
    # to 60 MB; then an index of 500 more sitemaps (all 404). Each crawl ends, complete,
    # with the count it could read.
    looping = DrupalDirectory(services=25, summary=False, sitemap_index=True, sitemap_loops=True,
                              sitemap_bomb_bytes=60_000_000)
    many = DrupalDirectory(services=25, summary=False, sitemap_index=True, sitemap_extra_children=500)
    with serve(looping) as base, serve(many) as other:
        loops = auto_crawl(base + DRUPAL_START, tmp_path / "a.db")
        crowded = auto_crawl(other + DRUPAL_START, tmp_path / "b.db")
    for summary in (loops, crowded):
        assert summary.status == RunStatus.COMPLETE, summary.messages
        assert (summary.counts["services_seen"], summary.counts["stated_total"]) == (25, 25)
    assert looping.requests.count("/sitemap.xml") == 1 and looping.requests.count("/sitemaps/back.xml") == 1
    assert "/sitemaps/deep-2.xml" in looping.requests and "/sitemaps/deep-3.xml" not in looping.requests
    notes = " | ".join(loops.messages)
    assert "sitemaps/deep-2.xml is nested more than 2 deep: not followed" in notes, notes
    unread = [m for m in loops.messages if "of the sitemaps listed in" in m]
    assert len(unread) == 1 and "/sitemaps/bomb.xml.gz: it unpacks to more than 50,000,000 bytes" in unread[0], loops.messages

    sitemap_reads = [r for r in many.requests if r.startswith(("/sitemap", "/sitemaps/"))]
    assert len(sitemap_reads) == MAX_CHILD_SITEMAPS  # the index itself is one of them
    assert any(f"lists 503 sitemaps; read {MAX_CHILD_SITEMAPS - 1} (at most {MAX_CHILD_SITEMAPS} in all)" in m
               for m in crowded.messages), crowded.messages
    # Every sitemap that could not be read in one line, not a line each.
    unread = [m for m in crowded.messages if "of the sitemaps listed in" in m]
    assert len(unread) == 1 and unread[0].startswith(f"{MAX_CHILD_SITEMAPS - 1 - 3} of the sitemaps"), crowded.messages
    assert not [m for m in crowded.messages if "answered HTTP 404" in m and "could not be read" not in m]
