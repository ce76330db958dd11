"""The crawler is not tuned to one site: another council's FSD directory, with other
path segments, another channel parameter and another seed, is read just as fully."""

from __future__ import annotations

from pathlib import Path

import pytest

from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.store.db import open_db
from localoffer_audit.demo import DemoWorld, run_demo_in_thread
from localoffer_audit.models import RunStatus
from localoffer_audit.store.services import live_services


@pytest.mark.slow
def test_another_councils_fsd_directory_is_crawled_fully(tmp_path: Path) -> None:
    world = DemoWorld(seed=11, services=150, council="eastshire", directory="fsd", channel="familychannel")
    with run_demo_in_thread(world, workdir=tmp_path / "web") as demo:
        assert "/kb5/eastshire/fsd/" in demo.fsd_start_url and "familychannel" in demo.fsd_start_url
        config = config_from_dict(demo.config_dict(tmp_path))
        summary = run_crawl(config, config.database.path)
        manifest = demo.manifest()
    assert summary.status == RunStatus.COMPLETE, summary.messages
    db = open_db(config.database.path)
    try:
        services = {s.directory_id: s for s in live_services(db)}
    finally:
        db.close()
    # The demo's config reads the advice pages too ([directory] read_advice_pages), as pages of their own.
    assert set(services) == set(manifest["services"]) | set(manifest["advice_pages"])
    for service_id, expected in manifest["services"].items():
        assert services[service_id].name == expected["name"]
    assert not set(manifest["advice_ids"]) & set(services)
