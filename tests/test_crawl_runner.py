"""Whole crawls against a small directory on loopback: storing, completeness, guards."""

from __future__ import annotations

from pathlib import Path

import pytest

from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.db import open_db
from localoffer_audit.models import RunStatus
from localoffer_audit.queries.services import live_services, service_history

from .test_crawl_support import PAGE_SIZE, FakeSite, crawl_config, fsd_start, record_id, serve


def crawl(site_url: str, db_path: Path, platform: str = "fsd", **settings):
    start = fsd_start(site_url) if platform == "fsd" else site_url
    return run_crawl(config_from_dict(crawl_config(start, platform, **settings)), db_path)


def states(db_path: Path) -> dict[str, str]:
    db = open_db(db_path)
    try:
        return {row["id"]: row["state"] for row in db.query("SELECT id, state FROM services")}
    finally:
        db.close()


def test_fsd_crawl_stores_every_service_with_fields_and_links(tmp_path):
    site = FakeSite(services=23)
    progress: list[dict] = []
    with serve(site) as base:
        summary = run_crawl(config_from_dict(crawl_config(fsd_start(base))), tmp_path / "a.db", progress=progress.append)
    assert summary.status == RunStatus.COMPLETE, summary.messages
    assert (summary.counts["services_seen"], summary.counts["new"], summary.counts["errors"]) == (23, 23, 0)
    assert progress and progress[-1]["pages"] == summary.counts["pages"]
    db = open_db(tmp_path / "a.db")
    services = {s.directory_id: s for s in live_services(db)}
    db.close()
    assert set(services) == {record_id(n) for n in range(1, 24)}
    seven = services[record_id(7)]
    assert (seven.name, seven.website, seven.contacts[0].phone) == ("Service 7", "https://provider7.example.org/", "01632 960007")
    assert seven.url == f"{base}/kb5/testshire/directory/service.page?id={record_id(7)}"
    assert sorted((link.field, link.url) for link in seven.links) == [
        ("contact_email", "mailto:info7@provider7.example.org"),
        ("description", "https://provider7.example.org/about"),
        ("website", "https://provider7.example.org/"),
    ]
    # No advice page, no chrome link, no featured record from the navigation.
    assert "Advice00001" not in services and not [r for r in site.requests if "advice.page" in r]
    assert not [link for s in services.values() for link in s.links if "testshire.gov.uk" in link.url]


def test_user_agent_names_the_council_and_contact_url(tmp_path):
    site = FakeSite(services=3)
    with serve(site) as base:
        crawl(base, tmp_path / "a.db")
    assert site.user_agents == {
        "localoffer-audit (Testshire Council Local Offer checker) (+https://www.testshire.gov.uk/localoffer-contact)"
    }


def test_robots_txt_is_obeyed(tmp_path):
    site = FakeSite(services=3, robots="User-agent: *\nDisallow: /kb5/testshire/directory/service.page\n")
    with serve(site) as base:
        summary = crawl(base, tmp_path / "a.db")
    assert not [r for r in site.requests if "service.page" in r]
    assert summary.status == RunStatus.INCOMPLETE and summary.counts["errors"] == 3


def test_second_crawl_counts_changes_removals_and_returns(tmp_path):
    db_path = tmp_path / "a.db"
    site = FakeSite(services=12)
    with serve(site) as base:
        first = crawl(base, db_path)
        site.services = 11  # service 12 disappears from the listing
        second = crawl(base, db_path)
        site.services = 12
        third = crawl(base, db_path)
    assert first.status == second.status == third.status == RunStatus.COMPLETE
    assert (second.counts["new"], second.counts["missing"], second.counts["removed"]) == (0, 1, 1)
    assert third.counts["returned"] == 1
    db = open_db(db_path)
    events = [row["event"] for row in service_history(db, record_id(12))]
    db.close()
    assert events == ["new", "removed", "returned"]


def test_page_404_is_recorded_as_page_missing(tmp_path):
    site = FakeSite(services=5, missing={2})
    with serve(site) as base:
        summary = crawl(base, tmp_path / "a.db")
    assert summary.status == RunStatus.COMPLETE and summary.counts["page_missing"] == 1
    assert states(tmp_path / "a.db")[record_id(2)] == "page_missing"


def test_listing_cut_short_is_incomplete_and_removes_nothing(tmp_path):
    db_path = tmp_path / "a.db"
    site = FakeSite(services=50)
    with serve(site) as base:
        assert crawl(base, db_path).status == RunStatus.COMPLETE
        site.listing_500_from = 3 * PAGE_SIZE  # pages 4 and 5 now fail
        summary = crawl(base, db_path)
    assert summary.status == RunStatus.INCOMPLETE
    assert (summary.counts["listing_errors"], summary.counts["missing"], summary.counts["removed"]) == (2, 20, 0)
    assert set(states(db_path).values()) == {"live"}
    assert any("INCOMPLETE" in m for m in summary.messages)


def test_far_fewer_services_than_last_complete_crawl_is_incomplete(tmp_path):
    db_path = tmp_path / "a.db"
    site = FakeSite(services=30)
    with serve(site) as base:
        crawl(base, db_path)
        site.services = 20  # the listing quietly shrank by a third, no errors
        summary = crawl(base, db_path)
    assert summary.status == RunStatus.INCOMPLETE and summary.counts["removed"] == 0
    assert "fewer than 80%" in summary.messages[0]


def test_bad_pages_do_not_crash_and_are_reported(tmp_path):
    site = FakeSite(services=30, empty={4}, truncated={6}, server_error={8}, binary={9}, listing_500_at={10})
    with serve(site) as base:
        summary = crawl(base, tmp_path / "a.db")
    assert summary.status == RunStatus.INCOMPLETE
    messages = "\n".join(summary.messages)
    assert "was empty" in messages and "looks truncated" in messages
    assert "HTTP 500" in messages and "sr=10" in messages and "is not a web page (Content-Type application/pdf)" in messages
    assert summary.counts["truncated_pages"] == 1
    # Services on healthy pages are all stored (page 2 of the listing failed: 11-20 unseen).
    assert summary.counts["services_seen"] == 30 - 10 - 3


def test_listing_page_cap_makes_the_crawl_incomplete(tmp_path):
    site = FakeSite(services=40)
    with serve(site) as base:
        config = crawl_config(fsd_start(base))
        config["directory"]["max_listing_pages"] = 2
        summary = run_crawl(config_from_dict(config), tmp_path / "a.db")
    assert summary.status == RunStatus.INCOMPLETE and summary.counts["listing_pages"] == 2
    assert summary.counts["listing_cap_reached"] is True


def test_private_addresses_refused_unless_allowed(tmp_path):
    site = FakeSite(services=3)
    with serve(site) as base:
        summary = crawl(base, tmp_path / "a.db", allow_private_addresses=False)
    assert summary.status == RunStatus.INCOMPLETE
    assert site.requests == []
    assert "private" in summary.messages[1]


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_oruk_crawl_both_versions(tmp_path, version):
    site = FakeSite(services=60, oruk_missing={7})
    with serve(site) as base:
        summary = crawl(f"{base}/api/{version}", tmp_path / "a.db", platform="oruk")
    assert summary.status == RunStatus.COMPLETE, summary.messages
    assert (summary.counts["services_seen"], summary.counts["page_missing"], summary.counts["listing_pages"]) == (60, 1, 2)
    db = open_db(tmp_path / "a.db")
    services = {s.directory_id: s for s in live_services(db)}
    db.close()
    assert services["svc-7"].extra["oruk_detail_missing"] is True and services["svc-7"].name == "Service 7"
    assert services["svc-8"].postcode == "TF1 2AB" and services["svc-8"].categories == ["Play"]
    assert ("website", "https://provider8.example.org/") in [(link.field, link.url) for link in services["svc-8"].links]


def test_unreachable_directory_is_incomplete_not_a_crash(tmp_path):
    summary = crawl("http://127.0.0.1:9", tmp_path / "a.db")
    assert summary.status == RunStatus.INCOMPLETE and summary.counts["listing_errors"] == 1


def test_oversized_page_is_cancelled_and_reported(tmp_path):
    site = FakeSite(services=3, huge={2})
    with serve(site) as base:
        summary = crawl(base, tmp_path / "a.db", max_page_bytes=1_000_000)
    assert summary.status == RunStatus.INCOMPLETE and summary.counts["services_seen"] == 2
    assert any(record_id(2) in m and "failed" in m for m in summary.messages)


def test_charset_declared_only_in_the_header_is_honoured(tmp_path):
    site = FakeSite(services=3, cp1252={2})
    with serve(site) as base:
        crawl(base, tmp_path / "a.db")
    db = open_db(tmp_path / "a.db")
    names = {s.directory_id: s.name for s in live_services(db)}
    db.close()
    assert names[record_id(2)] == "Service 2 – St Mary’s £"


def test_oruk_paging_stops_on_a_page_with_no_new_ids(tmp_path):
    site = FakeSite(services=80, oruk_ignores_page=True)
    with serve(site) as base:
        summary = crawl(f"{base}/api/v1", tmp_path / "a.db", platform="oruk")
    assert (summary.counts["listing_pages"], summary.counts["services_seen"]) == (2, 50)
    assert any("no new ids" in m for m in summary.messages)


def test_generic_crawl_from_selectors_alone(tmp_path):
    site = FakeSite(services=25)
    with serve(site) as base:
        config = crawl_config(fsd_start(base), "generic")
        config["directory"]["generic"] = {
            "service_link": "main a.flex-grow-1",
            "next_page": "a[rel=next]::attr(href)",
            "id_pattern": r"[?&]id=([^&]+)",
            "fields": {
                "name": "#hit-header h1::text",
                "description": ".service-description",
                "phone": "//dt[.='Telephone']/following-sibling::dd[1]/text()",
                "email": "//dt[.='E-mail']/following-sibling::dd[1]/a",
                "website": "//dt[.='Website']/following-sibling::dd[1]//a/@href",
                "last_updated": "//dt[starts-with(., 'Last updated')]/following-sibling::dd[1]/text()",
            },
        }
        summary = run_crawl(config_from_dict(config), tmp_path / "a.db")
    assert summary.status == RunStatus.COMPLETE, summary.messages
    assert (summary.counts["services_seen"], summary.counts["listing_pages"]) == (25, 3)
    db = open_db(tmp_path / "a.db")
    services = {s.directory_id: s for s in live_services(db)}
    db.close()
    three = services[record_id(3)]
    assert (three.name, three.contacts[0].phone, three.contacts[0].email) == ("Service 3", "01632 960003", "info3@provider3.example.org")
    assert three.dates[0].value.isoformat() == "2022-03-04"
    assert sorted(link.field for link in three.links) == ["contact_email", "description", "website"]


@pytest.mark.slow
def test_run_time_limit_ends_the_crawl_incomplete(tmp_path):
    site = FakeSite(services=200)
    with serve(site) as base:
        summary = crawl(base, tmp_path / "a.db", max_run_minutes=0.01, download_delay_seconds=0.2, concurrent_requests_per_domain=1)
    assert summary.status == RunStatus.INCOMPLETE
    assert "closespider_timeout" in summary.messages[0] and summary.counts["removed"] == 0


def test_oruk_full_page_flagged_last_is_checked_once_more(tmp_path):
    site = FakeSite(services=120, oruk_totals_per_page=True)
    with serve(site) as base:
        summary = crawl(f"{base}/api/v1", tmp_path / "a.db", platform="oruk")
    assert (summary.counts["services_seen"], summary.counts["listing_pages"]) == (120, 3)


def test_an_empty_extra_results_page_is_not_an_error(tmp_path):
    site = FakeSite(services=20, empty_extra_page=True)
    with serve(site) as base:
        summary = crawl(base, tmp_path / "a.db")
    assert summary.status == RunStatus.COMPLETE and summary.counts["listing_pages"] == 3
    assert any("lists no services" in m for m in summary.messages)


def test_a_start_page_without_results_is_incomplete(tmp_path):
    site = FakeSite(services=0)
    with serve(site) as base:
        summary = crawl(base, tmp_path / "a.db")
    assert summary.status == RunStatus.INCOMPLETE and summary.counts["listing_errors"] == 1
