"""Profile one crawl of the demo FSD directory: where the crawl process spends its CPU.

    python benchmarks/profile_crawl.py [--services 1000] [--top 25] [--out crawl.prof]

The crawl runs as always (``run_crawl``: a child process), with the child started under
cProfile. Prints the child's wall time and CPU time (user + system, from the operating
system, not the profiler), their ratio (how much of the crawl the process was busy),
and the functions with the most cumulative and the most own time. Politeness is relaxed
as in bench_crawl.py: this looks at our per-page CPU, not at a polite crawl's pace.
"""

from __future__ import annotations

import argparse
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl import runner
from localoffer_audit.demo import DemoWorld, run_demo_in_thread


PROFILED_CHILD = """
import cProfile, runpy, sys, time
out, module = sys.argv[1], sys.argv[3]
sys.argv = [module, *sys.argv[4:]]
profile = cProfile.Profile(time.process_time)
try:
    profile.runcall(runpy.run_module, module, run_name="__main__", alter_sys=True)
except SystemExit:
    pass
finally:
    profile.dump_stats(out)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "localoffer-crawl.prof")
    args = parser.parse_args()

    real_popen = subprocess.Popen

    def profiled(command, *popen_args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        # [python, -m, localoffer_audit.crawl.child, job] -> the same under cProfile, timed
        # by CPU time (the default wall clock counts the time a loaded machine gave others).
        command = [command[0], "-c", PROFILED_CHILD, str(args.out), *command[1:]]
        return real_popen(command, *popen_args, **kwargs)

    world = DemoWorld(seed=1, services=args.services)
    with tempfile.TemporaryDirectory() as folder, run_demo_in_thread(world) as demo:
        config = demo.config_dict(Path(folder))
        config["crawl"].update({"download_delay_seconds": 0, "autothrottle": False,
                                "concurrent_requests_per_domain": args.concurrency, "retries": 1})
        config["directory"]["max_listing_pages"] = 10_000
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        runner.subprocess.Popen = profiled  # type: ignore[assignment, misc]
        try:
            summary = runner.run_crawl(config_from_dict(config), Path(folder) / "profile.db")
        finally:
            runner.subprocess.Popen = real_popen  # type: ignore[misc]
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    seen = summary.counts.get("services_seen", 0)
    print(f"crawl {summary.status}: {seen} services in {wall:.1f}s wall = {seen / wall:.1f} services/s")
    print(f"crawl process CPU {cpu:.1f}s ({cpu / max(seen, 1) * 1000:.1f} ms per service, profiler included); "
          f"CPU/wall {cpu / wall:.2f}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    stats = pstats.Stats(str(args.out))
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    # Our own code only: what a change here could win.
    stats.sort_stats("cumulative").print_stats(r"localoffer_audit|spiders", args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
