"""The link-check stage on the demo world: what ends up *confirmed* (fit for fix lists).

The store is filled from the manifest's links (as the crawl would store them), so this
tests the stage alone: hard evidence confirmed at once, persistent soft failures
confirmed by the delayed recheck, and nothing that recovers, is slow, rate-limited or
blocked ever confirmed as a failure.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from localoffer_audit import demo
from localoffer_audit.links.stage import run_link_checks, settings_for
from localoffer_audit.config import config_from_dict

pytestmark = pytest.mark.slow

FAILURES = {"broken", "server_error", "timeout"}
NEVER_CONFIRMED_FAILING = {"transient_503", "rate_limited_429", "slow", "bot_403", "ok", "document"}


def fill_store_from_manifest(db, manifest: dict) -> None:
    now = "2026-01-01T00:00:00+00:00"
    for sid, service in manifest["services"].items():
        db["services"].insert({"id": sid, "url": service["url"], "name": service["name"],
                               "first_seen_at": now, "last_seen_at": now, "state": "live"})
    # The advice pages the demo's config reads, stored as pages of their own (advice:<id>).
    for key, page in manifest["advice_pages"].items():
        db["services"].insert({"id": key, "url": page["url"], "name": page["title"],
                               "first_seen_at": now, "last_seen_at": now, "state": "live"})
    for url, entry in manifest["links"].items():
        if entry.get("platform") == "oruk":
            continue
        db["links"].insert({"url": url, "host": entry.get("host"), "first_seen_at": now, "last_seen_at": now})
        for sid in entry["services"]:
            db["link_places"].insert({"service_id": sid, "url": url, "field": entry["fields"][0],
                                      "element": "a", "attribute": "href"})


def test_confirmed_failures_on_the_demo_are_real(db, tmp_path: Path) -> None:
    with demo.run_demo_in_thread(demo.DemoWorld(seed=2, services=300), workdir=tmp_path / "demo") as running:
        manifest = running.manifest()
        config = config_from_dict(running.config_dict(tmp_path / "out"))
        fill_store_from_manifest(db, manifest)
        settings = replace(settings_for(config), connect_timeout=2.0, read_timeout=4.0, total_timeout=6.0, confirm_delay=1.0)
        summary = run_link_checks(db, config, settings=settings)
    assert summary.status == "complete", summary.note
    rows = {row["url"]: row for row in db.query("SELECT url, verdict, confirmed, service_count FROM links")}
    expected = {url: entry for url, entry in manifest["links"].items() if url in rows}
    wrongly_confirmed = [
        (entry["behaviour"], url, rows[url]["verdict"]) for url, entry in expected.items()
        if rows[url]["confirmed"] and rows[url]["verdict"] in FAILURES and entry["behaviour"] in NEVER_CONFIRMED_FAILING
    ]
    assert not wrongly_confirmed
    hard = [url for url, entry in expected.items() if entry["behaviour"] in {"not_found", "gone", "unresolvable"}]
    assert hard and all(rows[url]["verdict"] == "broken" and rows[url]["confirmed"] for url in hard)
    persistent = [url for url, entry in expected.items() if entry["behaviour"] in {"server_error", "no_answer"}]
    assert persistent and all(rows[url]["confirmed"] for url in persistent)
    for url, entry in expected.items():
        assert rows[url]["service_count"] == len(entry["services"])
