"""The crawl's store functions, the private-address guard and the `crawl` command."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner
from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from localoffer_audit.cli import main
from localoffer_audit.crawl.common import finalise
from localoffer_audit.crawl.middleware import PrivateAddressMiddleware, is_private_address
from localoffer_audit.store.db import utc_now
from localoffer_audit.models import Contact, LinkPlace, RunKind, ServiceItem
from localoffer_audit.store.runs import start_run
from localoffer_audit.store.services import (
    close_crawl,
    live_services,
    record_crawled_service,
    record_failed_service_page,
    service_history,
    services_seen_in_run,
)

from .support.crawl_sites import FakeSite, crawl_config, fsd_start, serve


def item(service_id: str = "abc", *, status: int = 200, description: str = "Weekly group", links=None) -> ServiceItem:
    return finalise(
        ServiceItem(
            directory_id=service_id,
            url=f"https://d.example/service.page?id={service_id}",
            name=f"Service {service_id}",
            description=description,
            contacts=[Contact(name="Jo", phone="01632 960000")],
            http_status=status,
            links=links if links is not None else [LinkPlace(url="https://p.example/", field="website")],
        )
    )


def record(db, run_id: int, service: ServiceItem) -> list[str]:
    with db.atomic():
        return record_crawled_service(db, run_id, service, utc_now())


def test_new_then_unchanged_then_changed(db):
    first, second, third = (start_run(db, RunKind.CRAWL) for _ in range(3))
    assert record(db, first, item()) == ["new"]
    assert record(db, second, item()) == ["unchanged"]
    assert record(db, third, item(description="Fortnightly group")) == ["changed"]
    assert [row["event"] for row in service_history(db, "abc")] == ["new", "changed"]


def test_same_service_twice_in_one_run_counts_once(db):
    run = start_run(db, RunKind.CRAWL)
    record(db, run, item())
    assert record(db, run, item()) == ["duplicate"]
    assert services_seen_in_run(db, run) == 1


def test_page_missing_keeps_the_content_stored_before(db):
    first, second = start_run(db, RunKind.CRAWL), start_run(db, RunKind.CRAWL)
    record(db, first, item())
    assert record(db, second, item(status=404, description="", links=[])) == ["page_missing"]
    [stored] = live_services(db)
    assert (stored.http_status, stored.description, [link.url for link in stored.links]) == (
        404,
        "Weekly group",
        ["https://p.example/"],
    )


def test_links_rows_and_places_are_replaced(db):
    first, second = start_run(db, RunKind.CRAWL), start_run(db, RunKind.CRAWL)
    record(db, first, item(links=[LinkPlace(url="https://old.example/", field="website")]))
    record(db, second, item(links=[LinkPlace(url="mailto:a@new.example", field="contact_email", element="dd", attribute="text")]))
    [stored] = live_services(db)
    assert [(link.url, link.element) for link in stored.links] == [("mailto:a@new.example", "dd")]
    hosts = dict(db.execute("SELECT url, host FROM links").fetchall())
    assert hosts == {"https://old.example/": "old.example", "mailto:a@new.example": "new.example"}


def test_close_crawl_removes_only_when_complete(db):
    first, second = start_run(db, RunKind.CRAWL), start_run(db, RunKind.CRAWL)
    record(db, first, item("a"))
    record(db, first, item("b"))
    record(db, second, item("a"))
    assert close_crawl(db, second, complete=False, at=utc_now()) == {"missing": 1, "removed": 0}
    assert {s.directory_id for s in live_services(db)} == {"a", "b"}
    assert close_crawl(db, second, complete=True, at=utc_now()) == {"missing": 1, "removed": 1}
    assert {s.directory_id for s in live_services(db)} == {"a"}
    assert [row["event"] for row in service_history(db, "b")] == ["new", "removed"]


def test_failed_page_keeps_stored_content_and_counts_as_seen(db):
    first, second = start_run(db, RunKind.CRAWL), start_run(db, RunKind.CRAWL)
    record(db, first, item("kept", description="Stored before"))
    record(db, first, item("gone"))
    close_crawl(db, first, complete=True, at=utc_now())
    with db.atomic():
        verdicts = [record_failed_service_page(db, second, service_id, utc_now()) for service_id in ("kept", "kept", "never")]
    assert verdicts == ["kept", "duplicate", "not_stored"]
    assert services_seen_in_run(db, second) == 1
    assert close_crawl(db, second, complete=True, at=utc_now()) == {"missing": 1, "removed": 1}
    services = {s.directory_id: s for s in live_services(db)}
    assert set(services) == {"kept"} and services["kept"].description == "Stored before"
    assert [row["event"] for row in service_history(db, "kept")] == ["new"]
    # A removed service whose page fails stays removed: no fresh content says it is back.
    third = start_run(db, RunKind.CRAWL)
    with db.atomic():
        assert record_failed_service_page(db, third, "gone", utc_now()) == "not_stored"
    assert db.execute("SELECT state FROM services WHERE id = 'gone'").fetchone()[0] == "removed"


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("169.254.169.254", True),
        ("::1", True),
        ("::ffff:192.168.0.1", True),
        # Shared address space (carrier-grade NAT; Alibaba's metadata service): not global.
        ("100.100.100.200", True),
        ("100.64.0.1", True),
        ("198.18.0.1", True),
        ("fc00::1", True),
        ("8.8.8.8", False),
        ("2a00:1450:4009:81f::200e", False),
    ],
)
def test_private_addresses(address, private):
    assert is_private_address(address) == private


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://100.100.100.200/latest/meta-data/"])
def test_middleware_refuses_metadata_addresses_and_allows_when_configured(url):
    request = Request(url)
    with pytest.raises(IgnoreRequest, match="private"):
        asyncio.run(PrivateAddressMiddleware(allow_private=False).process_request(request))
    assert asyncio.run(PrivateAddressMiddleware(allow_private=True).process_request(request)) is None


def test_crawl_command_prints_a_summary(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    site = FakeSite(services=4)
    with serve(site) as base:
        config = crawl_config(fsd_start(base))
        crawl = config["crawl"]
        lines = ["[directory]", 'platform = "fsd"', f'start_urls = ["{config["directory"]["start_urls"][0]}"]',
                 "read_advice_pages = false", "[crawl]"]
        lines += [f"{key} = {str(value).lower() if isinstance(value, bool) else repr(value) if isinstance(value, str) else value}" for key, value in crawl.items()]
        (tmp_path / "localoffer-audit.toml").write_text("\n".join(lines).replace("'", '"') + "\n")
        result = CliRunner().invoke(main, ["--db", "c.db", "crawl"])
    assert result.exit_code == 0, result.output
    assert "Crawl run #1: complete" in result.output and "services seen 4: new 4" in result.output


def test_crawl_command_without_config_is_one_line_exit_1(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOCALOFFER_AUDIT_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["crawl"])
    assert result.exit_code == 1 and len([line for line in result.output.splitlines() if line.strip()]) == 1
