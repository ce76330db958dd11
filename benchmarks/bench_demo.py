"""Benchmark the demo world: build time, memory, and serving pages from a large world.

Builds a world of N services, serves it on loopback, then walks result pages and
fetches service pages and ORUK pages with a small aiohttp client, printing the build
time, requests per second and resident memory before and after serving.

    python benchmarks/bench_demo.py                     # 20,000 services, 5,000 pages
    python benchmarks/bench_demo.py --services 5000 --pages 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import aiohttp

from localoffer_audit.demo import DemoWorld, serve_demo


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def main(services: int, pages: int, concurrency: int) -> dict[str, float]:
    figures: dict[str, float] = {"services": services, "rss_start_mb": rss_mb()}
    started = time.perf_counter()
    world = DemoWorld(seed=1, services=services)
    figures["build_s"] = time.perf_counter() - started
    figures["hosts"] = len(world.hosts)
    figures["rss_built_mb"] = rss_mb()
    async with serve_demo(world) as demo:
        figures["ready_s"] = time.perf_counter() - started
        sids = [world.records[i].sid for i in world.state.listed]
        urls = [f"{demo.fsd_base_url}service.page?id={sids[(i * 7919) % len(sids)]}" for i in range(pages)]
        urls += [f"{demo.fsd_base_url}results.page?localofferchannel=0&sr={10 * i}" for i in range(pages // 5)]
        urls += [f"{demo.oruk_v1_url}/services?page={i + 1}&per_page=50" for i in range(pages // 50)]
        semaphore = asyncio.Semaphore(concurrency)
        statuses: dict[int, int] = {}
        async with aiohttp.ClientSession() as session:

            async def one(url: str) -> None:
                async with semaphore, session.get(url) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1

            t0 = time.perf_counter()
            half = len(urls) // 2
            await asyncio.gather(*(one(u) for u in urls[:half]))
            figures["rss_after_half_mb"] = rss_mb()
            await asyncio.gather(*(one(u) for u in urls[half:]))
            elapsed = time.perf_counter() - t0
        figures["requests"] = len(urls)
        figures["requests_per_s"] = len(urls) / elapsed
        figures["rss_after_all_mb"] = rss_mb()
        figures["status_200"] = statuses.get(200, 0)
        figures["status_404"] = statuses.get(404, 0)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=20_000)
    parser.add_argument("--pages", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    result = asyncio.run(main(args.services, args.pages, args.concurrency))
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}, indent=1))
