"""Whole crawls against a small directory on loopback: storing, completeness, guards."""

from __future__ import annotations

from pathlib import Path

import pytest

from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.runner import error_reasons, run_crawl
from localoffer_audit.store.db import open_db
from localoffer_audit.models import RunStatus
from localoffer_audit.store.services import live_services, service_history

from .support.crawl_sites import OFFSITE_RECORD, PAGE_SIZE, FakeSite, crawl_config, fsd_start, record_id, serve


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


@pytest.mark.parametrize(("knob", "status"), [("missing", 404), ("gone", 410)])
def test_page_404_or_410_is_recorded_as_page_missing(tmp_path, knob, status):
    site = FakeSite(services=5, **{knob: {2}})
    with serve(site) as base:
        summary = crawl(base, tmp_path / "a.db")
    assert summary.status == RunStatus.COMPLETE and summary.counts["page_missing"] == 1
    assert (summary.counts["errors"], summary.counts["service_page_errors"]) == (0, 0)
    row = stored(tmp_path / "a.db", record_id(2))
    assert (row["state"], row["http_status"], row["name"]) == ("page_missing", status, "Service 2")


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


def generic_selectors() -> dict:
    return {
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


def test_generic_crawl_from_selectors_alone(tmp_path):
    site = FakeSite(services=25)
    with serve(site) as base:
        config = crawl_config(fsd_start(base), "generic")
        config["directory"]["generic"] = generic_selectors()
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
    assert "[crawl] max_run_minutes" in summary.messages[0] and summary.counts["removed"] == 0


def test_page_limit_ends_the_crawl_incomplete_and_removes_nothing(tmp_path):
    site = FakeSite(services=60)
    db_path = tmp_path / "a.db"
    with serve(site) as base:
        first = crawl(base, db_path)
        assert first.status == RunStatus.COMPLETE and first.counts["services_seen"] == 60
        summary = crawl(base, db_path, max_pages=20, concurrent_requests_per_domain=1)
    assert summary.status == RunStatus.INCOMPLETE
    assert "stopped at the limit of 20 pages ([crawl] max_pages)" in summary.messages[0]
    assert summary.counts["services_seen"] < 60 and summary.counts["removed"] == 0
    db = open_db(db_path)
    try:
        assert len(live_services(db)) == 60
    finally:
        db.close()


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


def stored(db_path: Path, service_id: str) -> dict:
    db = open_db(db_path)
    try:
        return dict(next(db.query("SELECT * FROM services WHERE id = ?", [service_id])))
    finally:
        db.close()


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"server_error": {8}}, "answered HTTP 500"),
        ({"binary": {8}}, "is not a web page"),
        # Cancelled download (bigger than max_page_bytes): the errback path.
        ({"huge": {8}}, "failed:"),
    ],
)
def test_one_failed_service_page_keeps_its_content_and_the_crawl_complete(tmp_path, fault, message):
    db_path = tmp_path / "a.db"
    site = FakeSite(services=50)
    with serve(site) as base:
        first = crawl(base, db_path, max_page_bytes=1_000_000)
        before = stored(db_path, record_id(8))
        for name, value in fault.items():
            setattr(site, name, value)
        second = crawl(base, db_path, max_page_bytes=1_000_000)
    assert first.status == RunStatus.COMPLETE, first.messages
    assert second.status == RunStatus.COMPLETE, second.messages
    counts = second.counts
    assert (counts["errors"], counts["service_page_errors"], counts["kept_after_error"]) == (1, 1, 1)
    assert (counts["services_seen"], counts["service_pages"], counts["missing"], counts["removed"]) == (50, 50, 0, 0)
    assert any(record_id(8) in m and message in m for m in second.messages), second.messages
    after = stored(db_path, record_id(8))
    assert after["last_seen_run"] == second.run_id and after["state"] == "live"
    assert {k: after[k] for k in ("name", "description", "content_hash", "http_status")} == {
        k: before[k] for k in ("name", "description", "content_hash", "http_status")
    }


def test_service_page_errors_above_the_share_make_the_crawl_incomplete(tmp_path):
    site = FakeSite(services=50, server_error={8, 9})
    with serve(site) as base:
        strict = crawl(base, tmp_path / "a.db")
        tolerant = crawl(base, tmp_path / "b.db", max_page_error_ratio=0.05)
    assert strict.status == RunStatus.INCOMPLETE
    assert "2 of 50 service page(s) failed, more than 2%" in strict.messages[0]
    # Never stored before: nothing to keep, so not seen; still within 5%, so complete.
    assert tolerant.status == RunStatus.COMPLETE, tolerant.messages
    assert (tolerant.counts["services_seen"], tolerant.counts["kept_after_error"], tolerant.counts["errors"]) == (48, 0, 2)
    assert record_id(8) not in states(tmp_path / "b.db")


def test_a_listing_error_is_never_tolerated(tmp_path):
    site = FakeSite(services=100, listing_500_at={90})
    with serve(site) as base:
        summary = crawl(base, tmp_path / "a.db", max_page_error_ratio=0.5)
    assert summary.status == RunStatus.INCOMPLETE and "1 listing page(s) failed" in summary.messages[0]


def test_oruk_page_number_infinity_is_a_listing_error_not_a_crash(tmp_path):
    site = FakeSite(services=60, oruk_infinite_page_number=True)
    with serve(site) as base:
        summary = crawl(f"{base}/api/v3", tmp_path / "a.db", platform="oruk")
    assert summary.status == RunStatus.INCOMPLETE and summary.counts["listing_errors"] == 1
    assert any("OverflowError" in m for m in summary.messages), summary.messages


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"errors": 1, "service_page_errors": 1, "service_pages": 50}, []),
        ({"errors": 2, "service_page_errors": 2, "service_pages": 50}, ["2 of 50 service page(s) failed"]),
        ({"errors": 1, "service_page_errors": 1, "service_pages": 0}, ["1 of 0 service page(s) failed"]),
        ({"errors": 1, "listing_errors": 1, "service_pages": 50}, ["1 listing page(s) failed"]),
        ({"errors": 1, "callback_errors": 1, "service_pages": 50}, ["1 uncaught error(s) in the crawler"]),
        ({"errors": 3, "service_pages": 500}, ["3 other error(s)"]),
    ],
)
def test_which_errors_make_a_crawl_incomplete(counts, expected):
    config = config_from_dict(crawl_config("https://d.example/"))
    reasons = error_reasons(config, counts)
    assert len(reasons) == len(expected) and all(r.startswith(e) for r, e in zip(reasons, expected, strict=True))


def test_an_uncaught_callback_error_is_reported_and_makes_the_crawl_incomplete():
    from scrapy import signals
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler
    from twisted.python.failure import Failure

    from localoffer_audit.crawl.report import CrawlReport
    from localoffer_audit.spiders.fsd import FsdSpider

    report = CrawlReport()
    crawler = get_crawler(FsdSpider)
    spider = FsdSpider.from_crawler(crawler, report=report)
    try:
        raise OverflowError("cannot convert float infinity to integer")
    except OverflowError:
        failure = Failure()
    response = HtmlResponse("https://d.example/results.page", body=b"<html></html>")
    crawler.signals.send_catch_log(signals.spider_error, failure=failure, response=response, spider=spider)
    assert (report.errors, report.callback_errors) == (1, 1)
    assert "uncaught error while reading https://d.example/results.page: OverflowError" in report.messages[0]
    config = config_from_dict(crawl_config("https://d.example/"))
    assert error_reasons(config, report.counts())[0].startswith("1 uncaught error(s)")


@pytest.mark.parametrize("platform", ["fsd", "generic"])
def test_a_record_on_another_site_is_reported_not_followed(tmp_path, platform):
    site = FakeSite(services=5, offsite_record=True)
    with serve(site) as base:
        config = crawl_config(fsd_start(base), platform)
        if platform == "generic":
            config["directory"]["generic"] = generic_selectors()
        summary = run_crawl(config_from_dict(config), tmp_path / "a.db")
    assert summary.status == RunStatus.COMPLETE and summary.counts["services_seen"] == 5
    assert any(m.startswith(f"not followed: {OFFSITE_RECORD} is a record on another site") for m in summary.messages)


def test_a_host_name_resolving_to_loopback_is_refused(tmp_path):
    site = FakeSite(services=3)
    with serve(site) as base:
        summary = crawl(base.replace("127.0.0.1", "localhost"), tmp_path / "a.db", allow_private_addresses=False)
    assert summary.status == RunStatus.INCOMPLETE and site.requests == []
    assert any("refused to fetch" in m and "localhost is a private" in m for m in summary.messages), summary.messages


def listing_reads(site: FakeSite) -> list[str]:
    return sorted(r for r in site.requests if "results.page" in r)


def test_a_pagination_loop_with_other_page_links_loses_nothing(tmp_path):
    # Page 3's "Next" points back to page 1, but the numbered links lead on (FSD).
    site = FakeSite(services=50, next_back_at=20)
    with serve(site) as base:
        summary = crawl(base, tmp_path / "a.db")
    assert summary.status == RunStatus.COMPLETE, summary.messages
    assert (summary.counts["services_seen"], summary.counts["listing_pages"]) == (50, 5)
    assert (summary.counts["pagination_loops"], summary.counts["pagination_dead_ends"]) == (1, 0)
    reads = listing_reads(site)
    assert len(reads) == len(set(reads)) == 5  # no page read twice, the loop not followed
    assert any("pagination loop" in m and "other page links lead on" in m for m in summary.messages)


@pytest.mark.parametrize("platform", ["fsd", "generic"])
def test_a_pagination_loop_with_no_way_on_makes_the_crawl_incomplete(tmp_path, platform):
    # "Next" is the only way on; page 3's points back to page 1: pages 4 and 5 are unseen.
    db_path = tmp_path / "a.db"
    site = FakeSite(services=50, numbered_pages=False)
    with serve(site) as base:
        config = crawl_config(fsd_start(base), platform)
        if platform == "generic":
            config["directory"]["generic"] = generic_selectors()
        first = run_crawl(config_from_dict(config), db_path)
        site.next_back_at = 20
        site.requests.clear()
        looped = run_crawl(config_from_dict({**config, "crawl": {**config["crawl"], "min_complete_ratio": 0.5}}), db_path)
    assert first.status == RunStatus.COMPLETE and first.counts["services_seen"] == 50
    # 30 of 50 seen is above the 50% ratio set here: only the loop makes it incomplete.
    assert looped.status == RunStatus.INCOMPLETE
    counts = looped.counts
    assert (counts["services_seen"], counts["pagination_loops"], counts["pagination_dead_ends"]) == (30, 1, 1)
    assert (counts["missing"], counts["removed"]) == (20, 0)
    assert "pagination loop" in looped.messages[0]
    assert set(states(db_path).values()) == {"live"}
    # No URL is read twice. The generic spider cannot know that "...&sr=0" is the start
    # page under another URL, so it reads it once more and stops at its "Next" (sr=10).
    reads = listing_reads(site)
    assert len(reads) == len(set(reads)) == (3 if platform == "fsd" else 4)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads process children from /proc (Linux)")
def test_the_crawl_process_stops_when_the_process_that_started_it_is_killed(tmp_path):
    # The parent holds the run lock; killed alone, it frees the lock, so its crawl process
    # must not go on writing into a database that the next run may be using.
    import json
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    listener = socket.socket()  # a directory that accepts and never answers
    listener.bind(("127.0.0.1", 0))
    listener.listen(50)
    start = f"http://127.0.0.1:{listener.getsockname()[1]}/kb5/slow/directory/results.page"
    config = crawl_config(start, timeout_seconds=120)
    script = (
        "import json, sys\n"
        "from localoffer_audit.config import config_from_dict\n"
        "from localoffer_audit.crawl.runner import run_crawl\n"
        "run_crawl(config_from_dict(json.loads(sys.argv[1])), sys.argv[2])\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script, json.dumps(config), str(tmp_path / "a.db")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not _children(parent.pid):
            assert time.monotonic() < deadline, "the crawl process never started"
            time.sleep(0.1)
        started.extend(_children(parent.pid))
        (child,) = started
        time.sleep(1)  # the crawl is under way, waiting on the silent directory
        assert _alive(child)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while _alive(child):
            assert time.monotonic() < deadline, "the crawl process outlived the process that started it"
            time.sleep(0.1)
    finally:
        for pid in [parent.pid, *started]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        listener.close()


def test_a_clean_crawl_writes_nothing_to_its_error_output(tmp_path):
    # The last line of the crawl process's stderr is what a failed crawl's message quotes,
    # so a library's warning there (Scrapy's deprecation of install_root_handler) would be
    # what a council reads instead of the error.
    from localoffer_audit.crawl.runner import _run_child
    from localoffer_audit.models import RunKind
    from localoffer_audit.store import runs as run_store

    db = open_db(tmp_path / "a.db")
    run_id = run_store.start_run(db, RunKind.CRAWL, platform="fsd")
    db.close()
    with serve(FakeSite(services=3)) as base:
        outcome = _run_child(config_from_dict(crawl_config(fsd_start(base))), tmp_path / "a.db", run_id, None)
    assert outcome.returncode == 0 and outcome.result is not None
    assert outcome.stderr_tail == ""
