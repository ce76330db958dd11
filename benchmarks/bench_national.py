"""National run throughput: N councils x S services on W worker processes, against the
same councils run one after another in single-council mode.

Everything is local: a throwaway PostgreSQL (Debian's initdb/pg_ctl, as 'nobody' when
root), the councils' directories and the outside web they link to on loopback (the
web counts requests and per-host concurrency server side), real worker processes.

Prints per W: wall time, link requests made / links carried (the de-duplication ratio),
per-host peak in flight, jobs/s, PostgreSQL size, workers' peak RSS; then the
sequential single-council time and requests, and the ratios against the issue's bounds
(20 councils on 2 workers under 0.6 of the sequential time, fewer than half the link
requests).

    python benchmarks/bench_national.py                      # 20 x 400 on 1, 2, 4 workers
    python benchmarks/bench_national.py --councils 6 --services 150 --workers 2
    python benchmarks/bench_national.py --councils 6 --services 150 --workers 1 --skip-sequential --profile /tmp/prof

CPU seconds (user+sys) are printed too, per council: far less sensitive to the machine's
load than wall time. The loopback web runs in this process and is counted apart.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.national import (  # noqa: E402  (the same real parts the tests use)
    LoopbackWeb,
    PostgresCluster,
    council_config,
    hosts_file,
    make_directories,
    night_stages,
    psycopg,
    resolve_ports,
    start_worker,
    stop_worker,
    wait_for,
    write_registry,
)


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def process_cpu(pid: int) -> tuple[float, float]:
    """(own user+sys, waited-for children's user+sys) of a running process, seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def server_cpu(cluster: PostgresCluster) -> float:
    """PostgreSQL's user+sys so far: the postmaster and its ended backends (it waits for them)."""
    try:
        pid = int((cluster.data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    own, children = process_cpu(pid)
    return own + children


def cpu_seconds() -> tuple[float, float]:
    """(user+sys of this process: the loopback web's threads and the polling; user+sys of
    the waited-for children: workers or nightlies, with their crawl children)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def national_run(cluster: PostgresCluster, web: LoopbackWeb, directories, hosts: Path, work: Path,  # noqa: ANN001
                 workers: int, per_host: int, batch_size: int, concurrency: int,
                 profile: Path | None = None) -> dict[str, float]:
    conninfo = cluster.new_database(f"bench_w{workers}")
    configs = {d.slug: council_config(work / d.slug, web, d.slug, hosts, per_host=per_host) for d in directories}
    registry = write_registry(work / "councils.toml", configs, batch_size=batch_size)
    web.log.reset()
    started = time.monotonic()
    wall_started = datetime.now(UTC)
    own_before, children_before = cpu_seconds()
    server_before = server_cpu(cluster)
    env = {**os.environ, "LOCALOFFER_AUDIT_DATABASE_URL": conninfo}
    subprocess.run([sys.executable, "-m", "localoffer_audit.cli", "national", "enqueue", "--registry", str(registry)],
                   env=env, check=True, capture_output=True, timeout=300)
    procs = [start_worker(conninfo, registry, work / f"worker-{n}.log", lease=30, heartbeat=5,
                          concurrency=concurrency, stalled_check=60,
                          profile=profile / f"w{workers}-worker-{n}.prof" if profile else None)
             for n in range(workers)]
    rss = [0.0] * workers
    split = [(0.0, 0.0)] * workers
    try:
        def done() -> bool:
            for i, p in enumerate(procs):
                rss[i] = max(rss[i], peak_rss_mb(p.pid))
                split[i] = process_cpu(p.pid)
            stages = night_stages(conninfo)
            return len(stages) == len(directories) and all(s == "done" for s in stages.values())

        wait_for(done, 3600, "the national run", interval=0.5)
        wall = time.monotonic() - started
    finally:
        for p in procs:
            stop_worker(p, timeout=120)
    own_after, children_after = cpu_seconds()
    server = server_cpu(cluster) - server_before
    with psycopg.connect(conninfo, autocommit=True) as conn:
        jobs = conn.execute("SELECT COUNT(*) FROM procrastinate_jobs WHERE status = 'succeeded' "
                            "AND task_name IN ('national.crawl_council', 'national.check_batch', 'national.finish_council')").fetchone()[0]
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        results = conn.execute("SELECT result, COUNT(*) FROM national_nights GROUP BY 1").fetchall()
        span = conn.execute("SELECT COUNT(*), EXTRACT(EPOCH FROM MAX(checked_at) - MIN(checked_at)) "
                            "FROM national_check_log").fetchone()
        # Where the wall time went: per task, jobs, mean run time, and when they ran.
        timeline = conn.execute(
            """
            WITH runs AS (
                SELECT j.task_name, j.id,
                       MIN(e.at) FILTER (WHERE e.type = 'started') AS began,
                       MAX(e.at) FILTER (WHERE e.type IN ('succeeded', 'failed')) AS ended
                FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id
                WHERE j.task_name LIKE 'national.%%' GROUP BY 1, 2)
            SELECT task_name, COUNT(*), AVG(EXTRACT(EPOCH FROM ended - began)),
                   EXTRACT(EPOCH FROM MIN(began) - %s), EXTRACT(EPOCH FROM MAX(ended) - %s)
            FROM runs WHERE began IS NOT NULL AND ended IS NOT NULL GROUP BY 1 ORDER BY 4
            """,
            [wall_started, wall_started],
        ).fetchall()
    requests = sum(web.log.link_requests().values())
    return {"wall": wall, "requests": requests, "peak": max(web.log.peak.values(), default=0), "jobs": jobs,
            "jobs_per_s": jobs / wall, "pg_mb": size / 1e6, "rss_mb": max(rss), "results": dict(results),
            "checks_per_s": span[0] / max(float(span[1] or 0), 0.001),  # type: ignore[dict-item]
            "cpu_workers": children_after - children_before, "cpu_web": own_after - own_before,
            "cpu_own": sum(own for own, _ in split), "cpu_server": server, "cpu_crawls": sum(crawls for _, crawls in split),
            "timeline": "; ".join(f"{name.removeprefix('national.')} {n} jobs, {float(mean):.1f} s each, "
                                  f"{float(first):.0f}-{float(last):.0f} s" for name, n, mean, first, last in timeline)}


def sequential_run(web: LoopbackWeb, directories, hosts: Path, work: Path, per_host: int) -> dict[str, float]:  # noqa: ANN001
    web.log.reset()
    started = time.monotonic()
    own_before, children_before = cpu_seconds()
    for d in directories:
        config = council_config(work / d.slug, web, d.slug, hosts, per_host=per_host)
        done = subprocess.run([sys.executable, "-m", "localoffer_audit.cli", "--config", str(config), "nightly"],
                              capture_output=True, text=True, timeout=3600)
        if done.returncode not in (0, 3):
            raise SystemExit(f"single-council nightly of {d.slug} failed: {done.stdout[-500:]}{done.stderr[-500:]}")
    own_after, children_after = cpu_seconds()
    return {"wall": time.monotonic() - started, "requests": sum(web.log.link_requests().values()),
            "cpu_workers": children_after - children_before, "cpu_web": own_after - own_before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--councils", type=int, default=20)
    parser.add_argument("--services", type=int, default=400)
    parser.add_argument("--workers", default="1,2,4", help="comma-separated worker counts")
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8, help="jobs per worker")
    parser.add_argument("--delay", type=float, default=0.02, help="the outside web's answer time, seconds")
    parser.add_argument("--shared-pages", type=int, default=200, help="pages per shared outside host")
    parser.add_argument("--skip-sequential", action="store_true")
    parser.add_argument("--profile", type=Path, help="run the workers under yappi (benchmarks/profile_worker.py), writing w<W>-worker-<n>.prof here")
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    directories = make_directories(args.councils, services=args.services, seed=5, shared_pages=args.shared_pages)
    web = LoopbackWeb(directories, delay=args.delay)
    resolve_ports(directories, web.outside_port)
    carried = sum(len({u for s in d.services for u in s["links"]}) for d in directories)
    distinct = len({u for d in directories for s in d.services for u in s["links"]})
    cluster = PostgresCluster()
    cluster.start()
    print(f"{args.councils} councils x {args.services} services: {carried} links carried (per council, distinct), "
          f"{distinct} distinct nationally; per_host {args.per_host}, web answers in {args.delay * 1000:.0f} ms")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-national-") as folder:
            root = Path(folder)
            hosts = hosts_file(root / "hosts", directories)
            figures = {}
            for workers in [int(w) for w in args.workers.split(",")]:
                f = national_run(cluster, web, directories, hosts, root / f"w{workers}", workers, args.per_host,
                                 args.batch_size, args.concurrency, args.profile)
                figures[workers] = f
                print(f"W={workers}: wall {f['wall']:.1f} s; link requests {f['requests']} / {carried} carried = "
                      f"{f['requests'] / carried:.3f} (bound: {distinct} distinct = {distinct / carried:.3f}); "
                      f"per-host peak {f['peak']} (bound {args.per_host}); {f['jobs']} jobs, {f['jobs_per_s']:.2f} jobs/s; "
                      f"{f['checks_per_s']:.0f} link checks/s while checking; "
                      f"PostgreSQL {f['pg_mb']:.1f} MB; worker peak RSS {f['rss_mb']:.0f} MB; results {f['results']}")
                print(f"W={workers}: CPU (user+sys) workers and their crawl children {f['cpu_workers']:.1f} s = "
                      f"{f['cpu_workers'] / args.councils:.2f} s per council (workers' own "
                      f"{f['cpu_own'] / args.councils:.2f} s, crawl children {f['cpu_crawls'] / args.councils:.2f} s, "
                      f"read before the stop); PostgreSQL {f['cpu_server'] / args.councils:.2f} s per council; "
                      f"loopback web and polling (not the product) {f['cpu_web']:.1f} s")
                print(f"W={workers}: jobs: {f['timeline']}")
            if not args.skip_sequential:
                seq = sequential_run(web, directories, hosts, root / "sequential", args.per_host)
                print(f"sequential single-council: wall {seq['wall']:.1f} s; link requests {seq['requests']}; CPU "
                      f"nightlies {seq['cpu_workers']:.1f} s = {seq['cpu_workers'] / args.councils:.2f} s per council; "
                      f"loopback web {seq['cpu_web']:.1f} s")
                for workers, f in figures.items():
                    print(f"W={workers}: time ratio {f['wall'] / seq['wall']:.2f} (target < 0.6 at W=2); "
                          f"request ratio {f['requests'] / max(1, seq['requests']):.2f} (target < 0.5)")
    finally:
        cluster.cleanup()
        web.close()


if __name__ == "__main__":
    main()
