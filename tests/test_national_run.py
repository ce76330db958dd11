"""The national run end to end: councils crawled and finished on real procrastinate
workers (separate processes) over a real PostgreSQL, their links checked once nationally.

The outside web counts every request server side, so "one check per URL" and "at most
``per_host`` requests in flight per host across all workers" are measured where the
requests land, not taken from our own bookkeeping.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from .test_national_support import (
    LoopbackWeb,
    council_config,
    findings_of,
    hosts_file,
    make_directories,
    night_stages,
    pg_cluster,  # noqa: F401  (a fixture)
    psycopg,
    resolve_ports,
    start_worker,
    stop_worker,
    wait_for,
    write_registry,
)

COUNCILS = 4
PER_HOST = 2


@pytest.fixture
def world(tmp_path: Path):
    directories = make_directories(COUNCILS, services=12, seed=7)
    web = LoopbackWeb(directories, delay=0.03)
    resolve_ports(directories, web.outside_port)
    hosts = hosts_file(tmp_path / "hosts", directories)
    try:
        yield web, directories, hosts
    finally:
        web.close()


def _national_setup(tmp_path: Path, web: LoopbackWeb, directories, hosts: Path) -> tuple[Path, dict[str, Path]]:  # noqa: ANN001
    configs = {d.slug: council_config(tmp_path / "national" / d.slug, web, d.slug, hosts, per_host=PER_HOST)
               for d in directories}
    return write_registry(tmp_path / "councils.toml", configs, batch_size=6), configs


def _enqueue(conninfo: str, registry: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOCALOFFER_AUDIT_DATABASE_URL": conninfo}
    return subprocess.run(
        [sys.executable, "-m", "localoffer_audit.cli", "national", "enqueue", "--registry", str(registry)],
        env=env, capture_output=True, text=True, timeout=120,
    )


def _single_council_findings(tmp_path: Path, web: LoopbackWeb, directories, hosts: Path) -> dict[str, set]:  # noqa: ANN001
    """Each council's own `nightly` on the same world: the reference the national run must equal."""
    found = {}
    for directory in directories:
        config = council_config(tmp_path / "single" / directory.slug, web, directory.slug, hosts, per_host=PER_HOST)
        done = subprocess.run(
            [sys.executable, "-m", "localoffer_audit.cli", "--config", str(config), "nightly"],
            capture_output=True, text=True, timeout=300,
        )
        assert done.returncode in (0, 3), done.stdout[-2000:] + done.stderr[-2000:]
        found[directory.slug] = findings_of(config.parent / "audit.db")
    return found


def _wait_all_done(conninfo: str, timeout: float = 240) -> dict[str, str]:
    return wait_for(lambda: (s := night_stages(conninfo)) and len(s) == COUNCILS
                    and all(v == "done" for v in s.values()) and s, timeout, "every council's night to be done")


@pytest.mark.slow
def test_councils_audited_together_check_each_url_once_politely_and_find_what_they_find_alone(
    tmp_path: Path, pg_cluster, world  # noqa: ANN001, F811
) -> None:
    web, directories, hosts = world
    reference = _single_council_findings(tmp_path, web, directories, hosts)
    single_link_requests = sum(web.log.link_requests().values())
    web.log.reset()

    conninfo = pg_cluster.new_database("national_run")
    registry, configs = _national_setup(tmp_path, web, directories, hosts)
    first = _enqueue(conninfo, registry)
    assert first.returncode == 0, first.stderr
    assert f"{COUNCILS} council(s) queued" in first.stdout
    again = _enqueue(conninfo, registry)
    assert again.returncode == 0 and "0 council(s) queued" in again.stdout, again.stdout

    workers = [start_worker(conninfo, registry, tmp_path / f"worker-{n}.log") for n in range(2)]
    try:
        stages = _wait_all_done(conninfo)
    finally:
        for worker in workers:
            stop_worker(worker)
    assert [worker.returncode for worker in workers] == [0, 0], "SIGTERM stops a worker cleanly"
    assert set(stages) == {d.slug for d in directories}

    # Every council's findings equal its single-council nightly on the same world.
    for directory in directories:
        national = findings_of(configs[directory.slug].parent / "audit.db")
        assert national == reference[directory.slug], directory.slug
        assert any(rule.startswith("link") or "broken" in rule for rule, *_ in national), "the world has broken links"

    # Each distinct URL was requested once across all councils, counted by the web itself.
    requests = web.log.link_requests()
    carried = {url.split("://", 1)[1] for d in directories for s in d.services for url in s["links"]}
    assert set(requests) == carried
    assert max(requests.values()) == 1, [k for k, v in requests.items() if v > 1][:5]
    # Alone, each council checks its own distinct links; together, the shared ones once.
    assert single_link_requests == sum(len({u for s in d.services for u in s["links"]}) for d in directories)
    assert sum(requests.values()) < single_link_requests * 0.75, (sum(requests.values()), single_link_requests)
    # Per-host politeness held across both workers.
    assert max(web.log.peak.values()) <= PER_HOST, dict(web.log.peak)
    assert web.log.peak["nhs.test:" + str(web.outside_port)] == PER_HOST  # the busy host was worked at its limit

    # Enqueuing again after the night is done queues nothing new.
    assert "0 council(s) queued" in _enqueue(conninfo, registry).stdout
    with psycopg.connect(conninfo, autocommit=True) as conn:
        checks = conn.execute("SELECT COUNT(*), COUNT(DISTINCT url) FROM national_check_log").fetchone()
        assert checks[0] == checks[1] == len(carried)
