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
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
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


def national_run(cluster: PostgresCluster, web: LoopbackWeb, directories, hosts: Path, work: Path,  # noqa: ANN001
                 workers: int, per_host: int, batch_size: int, concurrency: int) -> dict[str, float]:
    conninfo = cluster.new_database(f"bench_w{workers}")
    configs = {d.slug: council_config(work / d.slug, web, d.slug, hosts, per_host=per_host) for d in directories}
    registry = write_registry(work / "councils.toml", configs, batch_size=batch_size)
    web.log.reset()
    started = time.monotonic()
    env = {**os.environ, "LOCALOFFER_AUDIT_DATABASE_URL": conninfo}
    subprocess.run([sys.executable, "-m", "localoffer_audit.cli", "national", "enqueue", "--registry", str(registry)],
                   env=env, check=True, capture_output=True, timeout=300)
    procs = [start_worker(conninfo, registry, work / f"worker-{n}.log", lease=30, heartbeat=5,
                          concurrency=concurrency, stalled_check=60)
             for n in range(workers)]
    rss = [0.0] * workers
    try:
        def done() -> bool:
            for i, p in enumerate(procs):
                rss[i] = max(rss[i], peak_rss_mb(p.pid))
            stages = night_stages(conninfo)
            return len(stages) == len(directories) and all(s == "done" for s in stages.values())

        wait_for(done, 3600, "the national run", interval=0.5)
        wall = time.monotonic() - started
    finally:
        for p in procs:
            stop_worker(p)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        jobs = conn.execute("SELECT COUNT(*) FROM procrastinate_jobs WHERE status = 'succeeded' "
                            "AND task_name IN ('national.crawl_council', 'national.check_batch', 'national.finish_council')").fetchone()[0]
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        results = conn.execute("SELECT result, COUNT(*) FROM national_nights GROUP BY 1").fetchall()
        span = conn.execute("SELECT COUNT(*), EXTRACT(EPOCH FROM MAX(checked_at) - MIN(checked_at)) "
                            "FROM national_check_log").fetchone()
    requests = sum(web.log.link_requests().values())
    return {"wall": wall, "requests": requests, "peak": max(web.log.peak.values(), default=0), "jobs": jobs,
            "jobs_per_s": jobs / wall, "pg_mb": size / 1e6, "rss_mb": max(rss), "results": dict(results),
            "checks_per_s": span[0] / max(float(span[1] or 0), 0.001)}  # type: ignore[dict-item]


def sequential_run(web: LoopbackWeb, directories, hosts: Path, work: Path, per_host: int) -> dict[str, float]:  # noqa: ANN001
    web.log.reset()
    started = time.monotonic()
    for d in directories:
        config = council_config(work / d.slug, web, d.slug, hosts, per_host=per_host)
        done = subprocess.run([sys.executable, "-m", "localoffer_audit.cli", "--config", str(config), "nightly"],
                              capture_output=True, text=True, timeout=3600)
        if done.returncode not in (0, 3):
            raise SystemExit(f"single-council nightly of {d.slug} failed: {done.stdout[-500:]}{done.stderr[-500:]}")
    return {"wall": time.monotonic() - started, "requests": sum(web.log.link_requests().values())}


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
    args = parser.parse_args()

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
                                 args.batch_size, args.concurrency)
                figures[workers] = f
                print(f"W={workers}: wall {f['wall']:.1f} s; link requests {f['requests']} / {carried} carried = "
                      f"{f['requests'] / carried:.3f} (bound: {distinct} distinct = {distinct / carried:.3f}); "
                      f"per-host peak {f['peak']} (bound {args.per_host}); {f['jobs']} jobs, {f['jobs_per_s']:.2f} jobs/s; "
                      f"{f['checks_per_s']:.0f} link checks/s while checking; "
                      f"PostgreSQL {f['pg_mb']:.1f} MB; worker peak RSS {f['rss_mb']:.0f} MB; results {f['results']}")
            if not args.skip_sequential:
                seq = sequential_run(web, directories, hosts, root / "sequential", args.per_host)
                print(f"sequential single-council: wall {seq['wall']:.1f} s; link requests {seq['requests']}")
                for workers, f in figures.items():
                    print(f"W={workers}: time ratio {f['wall'] / seq['wall']:.2f} (target < 0.6 at W=2); "
                          f"request ratio {f['requests'] / max(1, seq['requests']):.2f} (target < 0.5)")
    finally:
        cluster.cleanup()
        web.close()


if __name__ == "__main__":
    main()
