"""The national run end to end: six demo councils (the demo world with six seeds and
council names, one region: they link the same NHS trusts, charities and council pages)
crawled and finished on two real procrastinate workers (separate processes) over a real
PostgreSQL, their links checked once nationally.

The demo's outside web logs every request (with the checker's User-Agent, which names
the council whose settings made it) and the peak in flight per site, so "one check per
URL" and "at most ``per_host`` requests in flight per host across both workers" are
measured where the requests land, not taken from our own bookkeeping.
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
    demo_region,
    enqueue,
    findings_of,
    pg_cluster,  # noqa: F401  (a fixture)
    query,
    single_council_nightlies,
    start_worker,
    stop_worker,
    wait_for,
    write_registry,
)

COUNCILS = 6
SERVICES = 15
PER_HOST = 2
PRIVATE_REDIRECT = "https://www.moorside-intranet-portal.org.uk/login"  # the demo's redirect to 169.254.169.254


def _services(db_path: Path) -> list[str]:
    db = open_db(db_path)
    try:
        return sorted(row[0] for row in db.execute("SELECT url FROM services").fetchall())
    finally:
        db.close()


@pytest.mark.slow
@pytest.mark.timeout(600)  # two full runs of six councils: 2 minutes at load 8, more on a busier machine
def test_six_demo_councils_on_two_workers_check_each_url_once_politely_and_find_what_they_find_alone(
    tmp_path: Path, pg_cluster  # noqa: ANN001, F811
) -> None:
    with demo_region(tmp_path, COUNCILS, services=SERVICES) as region:
        alone = region.configs(tmp_path / "single", per_host=PER_HOST)
        reference = single_council_nightlies(alone)
        single_requests = region.link_requests()
        region.reset()

        conninfo = pg_cluster.new_database("national_run")
        configs = region.configs(tmp_path / "national", per_host=PER_HOST)
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
            wait_for(lambda: all_done(conninfo, COUNCILS), 300, "every council's night to be done")
        finally:
            for worker in workers:
                stop_worker(worker)
        assert [worker.returncode for worker in workers] == [0, 0], "SIGTERM stops a worker cleanly"
        link_worker_log = (tmp_path / "worker-1.log").read_text(errors="replace")
        assert "national.check_batch" in link_worker_log and "national.crawl_council[" not in link_worker_log

        # Every council's findings equal its single-council nightly on the same world.
        for slug, config in configs.items():
            national = findings_of(config.parent / "localoffer-audit.db")
            assert national == reference[slug], slug
            assert any(rule.startswith("link") or "broken" in rule for rule, *_ in national), "the world has broken links"

        # Each council's own outputs were written by its own stages: worklists and run report.
        for slug, config in configs.items():
            output = config.parent / "output"
            assert (output / "report.html").exists() and (output / "worklists" / "index.html").exists(), slug

        # Councils' data stay apart: each store holds its own directory's services, as alone.
        for slug, config in configs.items():
            urls = _services(config.parent / "localoffer-audit.db")
            assert urls == _services(alone[slug].parent / "localoffer-audit.db"), slug
            assert len(urls) >= SERVICES and all(f"/kb5/{slug}/" in url for url in urls), slug

        # The SSRF guard held in the workers: the redirect to a private address was refused.
        assert all(PRIVATE_REDIRECT in region.carried(slug) for slug in configs)
        assert query(conninfo, f"SELECT verdict FROM national_link_cache WHERE url = '{PRIVATE_REDIRECT}'") == [
            ("internal_address",)]

        # Each distinct URL was checked once across all councils, counted by the web itself:
        # every URL's requests came from one council's checker, and no more of them than
        # one council's own check of it made alone.
        requests = region.link_requests()
        assert requests, "the web saw no link requests"
        twice = {url: dict(by) for url, by in requests.items() if len(by) > 1}
        assert not twice, list(twice.items())[:5]
        more = {url: (sum(by.values()), max(single_requests[url].values()))
                for url, by in requests.items() if sum(by.values()) > max(single_requests[url].values())}
        assert not more, list(more.items())[:5]
        # Alone, the councils checked the URLs they share once each; together, once.
        shared = [url for url, by in single_requests.items() if len(by) > 1]
        assert len(shared) >= 10, len(shared)
        assert set(requests) == set(single_requests)
        national_total = sum(sum(by.values()) for by in requests.values())
        single_total = sum(sum(by.values()) for by in single_requests.values())
        assert national_total < single_total * 0.9, (national_total, single_total)
        checks = query(conninfo, "SELECT COUNT(*), COUNT(DISTINCT url) FROM national_check_log")[0]
        assert checks[0] == checks[1] >= len(requests)

        # Per-host politeness held across both workers; the busiest site was worked at its limit.
        peak = region.peak()
        assert max(peak.values()) <= PER_HOST, {site: n for site, n in peak.items() if n > PER_HOST}
        per_site = {}
        for url in requests:
            site = url.split("/", 3)[:3]
            per_site["/".join(site)] = per_site.get("/".join(site), 0) + 1
        busiest = max(per_site, key=lambda site: per_site[site])
        assert peak[busiest] == PER_HOST, (busiest, per_site[busiest], dict(peak))

        # The status says every council is done, and the one page across councils shows them.
        env = {"LOCALOFFER_AUDIT_DATABASE_URL": conninfo}
        status = CliRunner().invoke(main, ["national", "status"], env=env)
        assert status.exit_code == 0, status.output
        assert all(f"  {slug}: done, crawl complete" in status.output for slug in configs), status.output
        assert f"Link checks tonight: {checks[0]} made, {checks[0]} distinct URLs" in status.output
        out = tmp_path / "national.html"
        report = CliRunner().invoke(main, ["national", "report", "--registry", str(registry), "--out", str(out)], env=env)
        assert report.exit_code == 0, report.output
        page = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
        assert len(page.select("#councils tbody tr")) == COUNCILS
        linking = {row.select("td")[0].get_text(): int(row.select("td")[2].get_text()) for row in page.select("#hosts tbody tr")}
        # A region's shared sites break links for several councils at once.
        assert max(linking.values()) >= 2, linking

        # Enqueuing again after the night is done queues nothing new, and checks nothing.
        assert "0 council(s) queued" in enqueue(conninfo, registry).stdout
        assert query(conninfo, "SELECT COUNT(*) FROM national_check_log")[0][0] == checks[0]
