"""The national run end to end: councils crawled and finished on real procrastinate
workers (separate processes) over a real PostgreSQL, their links checked once nationally.

The outside web counts every request server side, so "one check per URL" and "at most
``per_host`` requests in flight per host across all workers" are measured where the
requests land, not taken from our own bookkeeping.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bs4 import BeautifulSoup
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.store.db import open_db

from .support.national import (
    all_done,
    enqueue,
    findings_of,
    pg_cluster,  # noqa: F401  (a fixture)
    query,
    running_world,
    single_council_findings,
    start_worker,
    stop_worker,
    wait_for,
    write_registry,
)

COUNCILS = 4
PER_HOST = 2


@pytest.mark.slow
def test_councils_audited_together_check_each_url_once_politely_and_find_what_they_find_alone(
    tmp_path: Path, pg_cluster  # noqa: ANN001, F811
) -> None:
    with running_world(tmp_path, COUNCILS, services=12, seed=7, delay=0.03) as world:
        web = world.web
        reference = single_council_findings(world, tmp_path / "single", per_host=PER_HOST)
        single_link_requests = sum(web.log.link_requests().values())
        web.log.reset()

        conninfo = pg_cluster.new_database("national_run")
        configs = world.configs(tmp_path / "national", per_host=PER_HOST)
        registry = write_registry(tmp_path / "councils.toml", configs, batch_size=6)
        first = enqueue(conninfo, registry)
        assert first.returncode == 0, first.stderr
        assert f"{COUNCILS} council(s) queued" in first.stdout
        again = enqueue(conninfo, registry)
        assert again.returncode == 0 and "0 council(s) queued" in again.stdout, again.stdout

        # One worker on every queue (the council machine's), one on link checks only.
        workers = [start_worker(conninfo, registry, tmp_path / "worker-0.log"),
                   start_worker(conninfo, registry, tmp_path / "worker-1.log", extra=("--queue", "links"))]
        try:
            wait_for(lambda: all_done(conninfo, COUNCILS), 240, "every council's night to be done")
        finally:
            for worker in workers:
                stop_worker(worker)
        assert [worker.returncode for worker in workers] == [0, 0], "SIGTERM stops a worker cleanly"
        link_worker_log = (tmp_path / "worker-1.log").read_text(errors="replace")
        assert "national.check_batch" in link_worker_log and "national.crawl_council[" not in link_worker_log

        # Every council's findings equal its single-council nightly on the same world.
        for slug, config in configs.items():
            national = findings_of(config.parent / "audit.db")
            assert national == reference[slug], slug
            assert any(rule.startswith("link") or "broken" in rule for rule, *_ in national), "the world has broken links"

        # Each council's own outputs were written by its own stages: worklists and run report.
        for slug, config in configs.items():
            output = config.parent / "output"
            assert (output / "report.html").exists() and (output / "worklists" / "index.html").exists(), slug

        # Councils' data stay apart: each store holds its own directory's services only.
        for slug, config in configs.items():
            db = open_db(config.parent / "audit.db")
            try:
                urls = [row[0] for row in db.execute("SELECT url FROM services").fetchall()]
            finally:
                db.close()
            assert len(urls) == 12 and all(f"/{slug}/record/" in url for url in urls), slug

        # The SSRF guard held in the workers: the private address was refused, never fetched.
        private = world.private_link()
        assert query(conninfo, f"SELECT verdict FROM national_link_cache WHERE url = '{private}'") == [("internal_address",)]

        # Each distinct URL was requested once across all councils, counted by the web itself.
        requests = web.log.link_requests()
        carried = {url.split("://", 1)[1] for url in world.carried() if url != private}
        assert set(requests) == carried
        assert max(requests.values()) == 1, [k for k, v in requests.items() if v > 1][:5]
        # Alone, each council checks its own distinct links; together, the shared ones once.
        assert single_link_requests == sum(len({u for s in d.services for u in s["links"]} - {private})
                                           for d in world.directories)
        assert sum(requests.values()) < single_link_requests * 0.75, (sum(requests.values()), single_link_requests)
        # Per-host politeness held across both workers; the busy host was worked at its limit.
        assert max(web.log.peak.values()) <= PER_HOST, dict(web.log.peak)
        assert web.log.peak[f"nhs.test:{web.outside_port}"] == PER_HOST

        # The status says every council is done, and the one page across councils shows them.
        env = {"LOCALOFFER_AUDIT_DATABASE_URL": conninfo}
        status = CliRunner().invoke(main, ["national", "status"], env=env)
        assert status.exit_code == 0, status.output
        assert all(f"  {slug}: done, crawl complete" in status.output for slug in configs), status.output
        assert f"Link checks tonight: {len(carried) + 1} made, {len(carried) + 1} distinct URLs" in status.output
        out = tmp_path / "national.html"
        report = CliRunner().invoke(main, ["national", "report", "--registry", str(registry), "--out", str(out)], env=env)
        assert report.exit_code == 0, report.output
        page = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
        assert len(page.select("#councils tbody tr")) == COUNCILS
        hosts = {row.select("td")[0].get_text() for row in page.select("#hosts tbody tr")}
        assert "council-a-groups.test" in hosts and "nhs.test" in hosts, hosts

        # Enqueuing again after the night is done queues nothing new.
        assert "0 council(s) queued" in enqueue(conninfo, registry).stdout
        checks = query(conninfo, "SELECT COUNT(*), COUNT(DISTINCT url) FROM national_check_log")[0]
        assert checks[0] == checks[1] == len(carried) + 1  # the private link's check made no request
