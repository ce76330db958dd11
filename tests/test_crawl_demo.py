"""End to end: crawl the demo directory (FSD and ORUK v1/v3) and score it against the
demo's ground-truth manifest. Only tests read the manifest; the crawler never does."""

from __future__ import annotations

from pathlib import Path

import pytest

from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.store.db import open_db
from localoffer_audit.demo import DemoWorld, run_demo_in_thread
from localoffer_audit.demo.views import build_view
from localoffer_audit.models import RunStatus
from localoffer_audit.store.services import live_services


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo():
    with run_demo_in_thread(DemoWorld(seed=1, services=400)) as running:
        yield running


def crawl(demo, folder: Path, platform: str = "fsd", **directory):
    config = demo.config_dict(folder, platform=platform)
    config["directory"].update(directory)
    db_path = folder / "crawl.db"
    return run_crawl(config_from_dict(config), db_path), db_path


def stored(db_path: Path):
    db = open_db(db_path)
    try:
        services = {s.directory_id: s for s in live_services(db)}
        states = {row["id"]: row["state"] for row in db.query("SELECT id, state FROM services")}
    finally:
        db.close()
    return services, states


@pytest.fixture(scope="module")
def fsd_crawl(demo, tmp_path_factory):
    demo.set_day(0)
    summary, db_path = crawl(demo, tmp_path_factory.mktemp("fsd"))
    services, states = stored(db_path)
    return summary, services, states, demo.manifest()


def expected_links(manifest, sid: str, platform: str) -> set[str]:
    return {
        url
        for url, link in manifest["links"].items()
        if sid in link["services"] and link["platform"] in ("both", platform) and link["kind"] != "phone"
    }


def test_fsd_crawl_is_complete(fsd_crawl):
    summary, _, _, manifest = fsd_crawl
    assert summary.status == RunStatus.COMPLETE, summary.messages
    # The demo's config reads the advice pages too ([directory] read_advice_pages).
    assert summary.counts["services_seen"] == len(manifest["services"]) + len(manifest["advice_pages"])


def test_fsd_every_manifest_service_stored(fsd_crawl):
    _, services, _, manifest = fsd_crawl
    assert set(services) == set(manifest["services"]) | set(manifest["advice_pages"])


def test_fsd_advice_pages_are_read_as_pages_of_their_own_kind(fsd_crawl):
    _, services, _, manifest = fsd_crawl
    pages = manifest["advice_pages"]
    assert pages and all(services[key].extra.get("page_kind") == "advice" for key in pages)
    # No provider: no contact, no organisation (so their findings are the Local Offer team's).
    assert not [key for key in pages if services[key].contacts or services[key].organisation]


def test_fsd_advice_pages_are_not_services(fsd_crawl):
    _, services, _, manifest = fsd_crawl
    assert manifest["advice_ids"] and not set(manifest["advice_ids"]) & set(services)


def test_fsd_missing_pages_recorded(fsd_crawl):
    _, _, states, manifest = fsd_crawl
    expected = {sid for sid, s in manifest["services"].items() if "page_missing" in s["expected_rules"]}
    assert expected and {sid for sid, state in states.items() if state == "page_missing"} == expected


@pytest.mark.parametrize("field", ["url", "name", "organisation", "categories", "website", "postcode", "phones", "emails", "dates"])
def test_fsd_fields_match_the_manifest(fsd_crawl, field):
    _, services, _, manifest = fsd_crawl
    wrong = []
    for sid, expected in manifest["services"].items():
        item = services[sid]
        if item.http_status != 200:
            continue
        got = {
            "url": item.url,
            "name": item.name,
            "organisation": item.organisation,
            "categories": sorted(item.categories),
            "website": item.website,
            "postcode": item.postcode,
            "phones": sorted({c.phone for c in item.contacts if c.phone}),
            "emails": sorted({c.email for c in item.contacts if c.email}),
            "dates": sorted(d.value.isoformat() for d in item.dates if d.value),
        }[field]
        want = {
            "categories": sorted(expected["categories"]),
            "phones": sorted(set(expected["phones"])),
            "emails": sorted(set(expected["emails"])),
            "dates": sorted(d["date"] for d in expected["dates_shown"]),
        }.get(field, expected.get(field))
        if got != want:
            wrong.append((sid, got, want))
    assert not wrong, wrong[:5]


def test_fsd_links_match_the_manifest_and_nothing_from_chrome(fsd_crawl):
    _, services, _, manifest = fsd_crawl
    wrong = []
    for sid, item in services.items():
        if item.http_status != 200:
            continue
        got = {link.url for link in item.links if not link.url.startswith("tel:")}
        want = expected_links(manifest, sid, "fsd")
        if got != want:
            wrong.append((sid, sorted(got - want), sorted(want - got)))
    assert not wrong, wrong[:5]


# Our field names (docs/crawl.md) where the demo's manifest words them differently.
MANIFEST_FIELD = {"documents": "document", "related_links": "related"}


def test_fsd_link_fields_match_the_manifest(fsd_crawl):
    _, services, _, manifest = fsd_crawl
    wrong = []
    for sid, item in services.items():
        for link in item.links:
            entry = manifest["links"].get(link.url)
            if entry is not None and MANIFEST_FIELD.get(link.field, link.field) not in entry["fields"]:
                wrong.append((sid, link.url, link.field, entry["fields"]))
    assert not wrong, wrong[:5]


@pytest.fixture(scope="module", params=["oruk", "oruk3"])
def oruk_crawl(demo, tmp_path_factory, request):
    demo.set_day(0)
    summary, db_path = crawl(demo, tmp_path_factory.mktemp(request.param), platform=request.param)
    services, states = stored(db_path)
    manifest = demo.manifest()
    # The manifest is keyed by the FSD record id; the API by its own ids.
    by_oruk_id = {str(s["oruk_id"]): (sid, s) for sid, s in manifest["services"].items()}
    missing = {oid for oid, (_, s) in by_oruk_id.items() if "oruk_detail_missing" in s["expected_rules_oruk"]}
    return request.param, summary, services, states, manifest, by_oruk_id, missing


def test_oruk_crawl_stores_every_service(oruk_crawl):
    version, summary, services, states, manifest, by_oruk_id, missing = oruk_crawl
    assert summary.status == RunStatus.COMPLETE, summary.messages
    assert set(services) == set(by_oruk_id)
    assert {oid for oid, item in services.items() if item.extra.get("oruk_detail_missing")} == missing
    assert {oid for oid, state in states.items() if state == "page_missing"} == missing
    for oid, item in services.items():
        _, expected = by_oruk_id[oid]
        assert item.name == expected["name"]
        if oid not in missing:
            assert (item.organisation, sorted(item.categories), item.postcode) == (
                expected["organisation"],
                sorted(expected["categories"]),
                expected["postcode"],
            )
            assert item.extra["oruk_version"] == ("v3" if version == "oruk3" else "v1")


def fsd_page_only_links(demo, sid: str) -> set[str]:
    """Links a record shows only on its FSD page: documents, related links and the Local
    Offer block have no place in an ORUK service (its url, email and description do)."""
    world = demo.world
    record = next(r for r in world.records if r.sid == sid)
    view = build_view(world, record, world.day, demo.fsd_base_url)
    page_only = {link.url for link in [*view.documents, *view.related]}
    if view.local_offer and view.local_offer.get("link"):
        page_only.add(view.local_offer["link"])
    return page_only - {link.url for link in view.inline_links} - {view.website}


def oruk_records(oruk_crawl):
    """(FSD id, manifest entry, stored item) of every ORUK service with a detail record."""
    _, _, services, _, _, by_oruk_id, missing = oruk_crawl
    for oid, item in services.items():
        if oid not in missing:
            yield *by_oruk_id[oid], item


def test_oruk_links_match_the_manifest_and_nothing_more(demo, oruk_crawl):
    services, manifest = oruk_crawl[2], oruk_crawl[4]
    wrong = []
    for sid, _, item in oruk_records(oruk_crawl):
        # The organisation's own url is the organisation's, not the record's: the
        # manifest does not list it (checked apart below).
        got = {link.url for link in item.links if link.field != "organisation" and not link.url.startswith("tel:")}
        want = expected_links(manifest, sid, "oruk") - fsd_page_only_links(demo, sid)
        if got != want:
            wrong.append((sid, sorted(got - want), sorted(want - got)))
    assert not wrong, wrong[:5]
    organisation_links = [link for item in services.values() for link in item.links if link.field == "organisation"]
    assert organisation_links and all(link.url.startswith("https://") for link in organisation_links)


def test_oruk_contacts_match_the_manifest(oruk_crawl):
    manifest = oruk_crawl[4]
    wrong = []
    for sid, expected, item in oruk_records(oruk_crawl):
        # Emails as the API gives them: the record's, or the feed's placeholder address.
        want_emails = sorted(url[len("mailto:"):] for url in expected_links(manifest, sid, "oruk") if url.startswith("mailto:"))
        got = (sorted({c.phone for c in item.contacts if c.phone}), sorted({c.email for c in item.contacts if c.email}))
        want = (sorted(set(expected["phones"])), want_emails)
        if got != want:
            wrong.append((sid, got, want))
    assert not wrong, wrong[:5]


def test_next_night_counts_new_and_removed(demo, tmp_path):
    demo.set_day(0)
    first, db_path = crawl(demo, tmp_path)
    demo.set_day(1)
    try:
        manifest = demo.manifest()
        second, _ = crawl(demo, tmp_path)
    finally:
        demo.set_day(0)
    assert first.status == second.status == RunStatus.COMPLETE
    assert second.counts["new"] == len(manifest["added_today"])
    assert second.counts["removed"] == len(manifest["removed_today"])
    _, states = stored(db_path)
    assert {sid for sid in manifest["removed_today"]} <= {sid for sid, s in states.items() if s == "removed"}


def test_demo_crawl_cut_short_is_incomplete_and_removes_nothing(demo, tmp_path):
    demo.set_day(0)
    first, db_path = crawl(demo, tmp_path)
    assert first.status == RunStatus.COMPLETE
    cut, _ = crawl(demo, tmp_path, max_listing_pages=3)
    assert cut.status == RunStatus.INCOMPLETE
    assert cut.counts["missing"] > 0 and cut.counts["removed"] == 0
    _, states = stored(db_path)
    assert "removed" not in set(states.values())
