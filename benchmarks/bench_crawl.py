"""Crawl the demo FSD directory at 5,000 services and print throughput and resources.

    python benchmarks/bench_crawl.py [--services 5000] [--concurrency 32]

Politeness is relaxed for the benchmark (no delay, no AutoThrottle, higher per-domain
concurrency): the figure measures the crawler, not a polite crawl of a real site.
The demo server runs in a thread of this process, so "parent" CPU includes serving the
pages; "crawl process" CPU is the Scrapy child alone. Targets: >= 100 services/s, peak
RSS of the crawl process < 300 MB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.demo import DemoWorld, run_demo_in_thread


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    built = time.perf_counter()
    world = DemoWorld(seed=args.seed, services=args.services)
    print(f"demo world of {args.services} services built in {time.perf_counter() - built:.1f}s")
    with tempfile.TemporaryDirectory() as folder, run_demo_in_thread(world) as demo:
        config = demo.config_dict(Path(folder))
        config["crawl"].update(
            {
                "download_delay_seconds": 0,
                "autothrottle": False,
                "concurrent_requests_per_domain": args.concurrency,
                "retries": 1,
            }
        )
        config["directory"]["max_listing_pages"] = 10_000
        parent_cpu, child_cpu = cpu_seconds(resource.RUSAGE_SELF), cpu_seconds(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        summary = run_crawl(config_from_dict(config), Path(folder) / "bench.db")
        elapsed = time.perf_counter() - started
        parent_cpu = cpu_seconds(resource.RUSAGE_SELF) - parent_cpu
        child_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - child_cpu
        expected = len(demo.manifest()["services"])
    seen = summary.counts.get("services_seen", 0)
    # ru_maxrss is in kilobytes on Linux.
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    parent_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"status            {summary.status} ({seen} of {expected} services, {summary.counts.get('pages')} pages, "
          f"{summary.counts.get('errors')} errors)")
    print(f"wall time         {elapsed:.1f} s")
    print(f"services/s        {seen / elapsed:.0f}")
    print(f"CPU seconds       crawl process {child_cpu:.1f}, parent incl. demo server {parent_cpu:.1f}, "
          f"total {child_cpu + parent_cpu:.1f}")
    print(f"peak RSS          crawl process {child_rss:.0f} MB, parent incl. demo server {parent_rss:.0f} MB")
    ok = seen / elapsed >= 100 and child_rss < 300 and seen == expected
    print("targets           " + ("met" if ok else "NOT met") + " (>= 100 services/s, crawl RSS < 300 MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
