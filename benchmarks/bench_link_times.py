"""When each link's result arrives in a first night's link stage on the demo world.

Builds the demo world (seed 1, N services, provider hosts answering in 20-80 ms), crawls
its directory at full speed (the crawl is not what is measured), then runs the link stage
on the project's default limits and timeouts, noting the time of every first result and
every final one (a soft failure's final result comes after its delayed recheck). Prints
how soon the ordinary links are done, when each timed-out link's first try ended (its
start is that minus its elapsed time) and when each recheck ended: the evidence for where
the stage spends its time beyond its bound (docs/verdicts.md, Performance).

    python benchmarks/bench_link_times.py              # 400 services
    python benchmarks/bench_link_times.py --services 5000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_demo import defaults_config  # noqa: E402

from localoffer_audit.config import load_config  # noqa: E402
from localoffer_audit.crawl.runner import run_crawl  # noqa: E402
from localoffer_audit.demo import DemoWorld  # noqa: E402
from localoffer_audit.demo.server import run_demo_in_thread  # noqa: E402
from localoffer_audit.links.checker import check_urls  # noqa: E402
from localoffer_audit.links.stage import run_link_checks  # noqa: E402
from localoffer_audit.store.db import open_db  # noqa: E402

FAST_CRAWL = {"download_delay_seconds": 0, "autothrottle": False, "concurrent_requests_per_domain": 8}


def main(services: int) -> None:
    world = DemoWorld(seed=1, services=services, latency_ms=(20, 80))
    out = Path(tempfile.mkdtemp(prefix="bench-link-times-"))
    firsts: list[tuple[float, str, str, int | None]] = []
    finals: list[tuple[float, str, str, str | None]] = []
    with run_demo_in_thread(world, workdir=out / "demo-web") as demo:
        config = load_config(defaults_config(demo, out, {"crawl": FAST_CRAWL}))
        demo.set_day(0)
        run_crawl(config, config.database.path)
        db = open_db(config.database.path)
        started = time.monotonic()

        def progress(done: int, total: int, result) -> None:  # noqa: ANN001
            firsts.append((time.monotonic() - started, result.url, str(result.verdict), result.elapsed_ms))

        async def checker(urls, settings, *, on_result=None, **keywords):  # noqa: ANN001, ANN202
            def noted(result) -> None:  # noqa: ANN001
                finals.append((time.monotonic() - started, result.url, str(result.verdict), result.detail))
                if on_result is not None:
                    on_result(result)
            return await check_urls(urls, settings, on_result=noted, **keywords)

        load = os.getloadavg()[0]
        run_link_checks(db, config, progress=progress, checker=checker)
        stage = time.monotonic() - started
        db.close()
    plain = sorted(at for at, _url, verdict, _ms in firsts if verdict != "timeout")
    print(f"{services} services, {len(firsts)} links: stage {stage:.1f}s (load average {load:.1f} "
          f"before, {os.getloadavg()[0]:.1f} after)")
    if plain:
        print(f"ordinary links: half done by {plain[len(plain) // 2]:.1f}s, 90% by {plain[int(len(plain) * 0.9)]:.1f}s, "
              f"the last at {plain[-1]:.1f}s")
    for at, url, verdict, elapsed in firsts:
        if verdict == "timeout":
            print(f"  timed out  first try ended {at:6.1f}s (started {at - (elapsed or 0) / 1000:6.1f}s)  {url}")
    for at, url, verdict, detail in finals:
        if detail and "delayed recheck" in detail:
            print(f"  rechecked  ended {at:6.1f}s  {verdict:12}  {url}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=400)
    main(parser.parse_args().services)
