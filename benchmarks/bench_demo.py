"""Benchmark the demo world: start time, memory, and serving pages from a large world.

Builds a world of N services, starts the demo servers on loopback, then fetches a
sample spread over the whole world with a small aiohttp client: service pages, result
pages (offsets up to the last page), ORUK v1 and v3 list pages and v1 and v3 service
details. Every answer is checked (status, and the record's name or the page's item
count), so a fast wrong answer does not count as served. Prints the build and start
times, requests per second and resident memory (VmRSS) before and after serving.
tests/test_demo_world.py runs it at 20,000 services and asserts on its figures.

    python benchmarks/bench_demo.py                     # 20,000 services, 5,000 service pages
    python benchmarks/bench_demo.py --services 5000 --pages 2000
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import random
import time
from collections.abc import Callable, Iterator

import aiohttp

from localoffer_audit.demo import DemoWorld, serve_demo
from localoffer_audit.demo.fsd import PAGE_SIZE, encode_page

ORUK_PER_PAGE = 50
Check = Callable[[int, bytes], bool]


def rss_mb() -> float:
    """Current resident memory of this process (ru_maxrss would be the peak, and survives exec)."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def spread(count: int, total: int) -> list[int]:
    """``count`` positions spread over range(total) (a fixed stride, so the far end is reached)."""
    return [(i * 7919) % total for i in range(count)] if total else []


def sample_requests(world: DemoWorld, demo, pages: int) -> list[tuple[str, Check]]:
    """(url, check) for ``pages`` service pages, pages/5 result pages and pages/10 ORUK requests of each kind."""
    listed = world.state.listed
    records = [world.records[i] for i in listed]
    missing = {r.index for r in records if r.fault_active("page_missing", world.day)}

    def record_page(record) -> Check:
        windows = "windows_1252" in record.quirks
        name = encode_page(f"<h1>{html.escape(record.name)}</h1>", windows)[0]
        return lambda status, body: (status == 404 and b"Record not found" in body) if record.index in missing else (status == 200 and name in body)

    def detail(record) -> Check:
        return lambda status, body: status == 404 if record.index in missing else status == 200 and json.loads(body)["name"] == record.name

    def results(sr: int) -> Check:
        shown = min(PAGE_SIZE, len(world.state.entries) - sr)
        return lambda status, body: status == 200 and f"Showing {sr + 1} - {sr + shown} of".encode() in body and body.count(b'class="flex-grow-1"') == shown

    def listing(page: int, key: str) -> Check:
        size = min(ORUK_PER_PAGE, len(listed) - (page - 1) * ORUK_PER_PAGE)
        return lambda status, body: status == 200 and len(json.loads(body)[key]) == size

    out: list[tuple[str, Check]] = []
    for i in spread(pages, len(records)):
        out.append((f"{demo.fsd_base_url}service.page?id={records[i].sid}&{world.channel}=0", record_page(records[i])))
    entry_pages = (len(world.state.entries) + PAGE_SIZE - 1) // PAGE_SIZE
    for p in spread(pages // 5, entry_pages) + [entry_pages - 1]:
        out.append((f"{demo.fsd_base_url}results.page?qt=&term=&{world.channel}=0&sr={p * PAGE_SIZE}", results(p * PAGE_SIZE)))
    oruk_pages = (len(listed) + ORUK_PER_PAGE - 1) // ORUK_PER_PAGE
    for p in spread(pages // 10, oruk_pages):
        out.append((f"{demo.oruk_v1_url}/services?page={p + 1}&per_page={ORUK_PER_PAGE}", listing(p + 1, "content")))
        out.append((f"{demo.oruk_v3_url}/services?page={p + 1}&per_page={ORUK_PER_PAGE}", listing(p + 1, "contents")))
    for i in spread(pages // 10, len(records)):
        out.append((f"{demo.oruk_v1_url}/services/{records[i].oruk_id}", detail(records[i])))
        out.append((f"{demo.oruk_v3_url}/services/{records[i].oruk_id}", detail(records[i])))
    return out


async def main(services: int, pages: int, concurrency: int, seed: int = 1) -> dict[str, object]:
    figures: dict[str, object] = {"services": services, "rss_start_mb": rss_mb()}
    started = time.perf_counter()
    world = DemoWorld(seed=seed, services=services)
    figures["build_s"] = time.perf_counter() - started
    figures["hosts"] = len(world.hosts)
    figures["rss_built_mb"] = rss_mb()
    async with serve_demo(world) as demo:
        figures["ready_s"] = time.perf_counter() - started
        figures["rss_ready_mb"] = rss_mb()
        requests = sample_requests(world, demo, pages)
        # Both halves get the same mix of kinds, so memory after the first half is the
        # baseline: growth over the second would be pages or views being kept.
        random.Random(seed).shuffle(requests)
        statuses: dict[int, int] = {}
        wrong: list[str] = []
        async with aiohttp.ClientSession() as session:

            async def worker(queue: Iterator[tuple[str, Check]]) -> None:
                # A fixed pool of workers, not a task per request: thousands of pending
                # tasks would themselves grow this process's memory.
                for url, check in queue:
                    async with session.get(url) as response:
                        body = await response.read()
                        statuses[response.status] = statuses.get(response.status, 0) + 1
                        if not check(response.status, body):
                            wrong.append(f"{response.status} {url}")

            t0 = time.perf_counter()
            half = len(requests) // 2
            for part in (requests[:half], requests[half:]):
                queue = iter(part)
                await asyncio.gather(*(worker(queue) for _ in range(concurrency)))
                figures.setdefault("rss_after_half_mb", rss_mb())
            elapsed = time.perf_counter() - t0
        figures["requests"] = len(requests)
        figures["requests_per_s"] = len(requests) / elapsed
        figures["rss_after_all_mb"] = rss_mb()
        figures["status_200"] = statuses.get(200, 0)
        figures["status_404"] = statuses.get(404, 0)
        figures["wrong"] = len(wrong)
        figures["wrong_examples"] = wrong[:5]
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=20_000)
    parser.add_argument("--pages", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = asyncio.run(main(args.services, args.pages, args.concurrency, args.seed))
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}, indent=1))
