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

With --nightly it runs the whole `localoffer-audit nightly` twice (night 0, then night 1
of the same world, so recent OK results are reused) on the demo world, on this project's
*default* pace and timeouts: the demo config keeps only what reaches the demo (hosts
file, port map, CA, the directory's private address), never its fast settings. Each
nightly runs in its own process (`python -m localoffer_audit nightly`), so its wall
time, CPU and peak RSS (os.wait4) are the auditor's alone; the demo serves from this
process. Printed per night: each stage's wall time next to its bound and the ratio.

- crawl bound: pages x the slot delay Scrapy keeps between two requests to the directory
  (`download_delay_seconds`; AutoThrottle never goes below it), or pages x latency /
  target concurrency when that is longer;
- link bound: for each host, its requests (attempts with HEAD, GET and redirect hops,
  the https twin of a working http link, the soft-404 probe) x its mean latency shared
  by `per_host` slots, a request to a link that timed out costing `read_timeout_seconds`;
  or, when longer, the chain of a link rechecked in the run (first try, then
  `confirm_delay_seconds`, then the recheck), which overlaps the host's other requests.
  The slowest host's figure is the bound (`link_bound`).

    python benchmarks/bench_demo.py --nightly                  # 400 services
    python benchmarks/bench_demo.py --nightly --services 5000 --nights 1 \\
        --set crawl.download_delay_seconds=0.05 --set crawl.autothrottle_target_concurrency=8
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator

import aiohttp
from pathlib import Path

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


# --- the nightly benchmark --------------------------------------------------------------

# What the demo config sets only to make the demo fast: dropped, so the project's
# defaults decide the pace and the timeouts.
DEMO_PACE_KEYS = {
    "crawl": ("download_delay_seconds", "autothrottle", "concurrent_requests_per_domain", "timeout_seconds", "retries"),
    "links": ("concurrency", "per_host", "connect_timeout_seconds", "read_timeout_seconds", "total_timeout_seconds",
              "retries", "backoff_seconds", "max_retry_after_seconds", "confirm_delay_seconds"),
}


def defaults_config(demo, out, overrides: dict[str, dict[str, object]] | None = None) -> Path:
    """The demo config with the demo's own pace and timeouts removed (project defaults),
    then ``overrides`` ({section: {key: value}}) applied."""
    from localoffer_audit.demo.runner import prepare_demo_output
    from localoffer_audit.demo.server import to_toml

    prepare_demo_output(demo, out)
    data = demo.config_dict(out)
    for section, keys in DEMO_PACE_KEYS.items():
        for key in keys:
            data[section].pop(key, None)
    for section, values in (overrides or {}).items():
        data[section].update(values)
    path = out / "localoffer-audit.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    return path


def run_nightly_process(config_path, today) -> dict[str, float]:
    """`localoffer-audit nightly` in its own process: wall, CPU (user+sys) and peak RSS."""
    import os
    import subprocess
    import sys

    import tempfile

    # Its stderr to a file, not a pipe: a pipe read only after the exit would stop a night
    # that writes more than the pipe holds (64 KiB), and os.wait4 would wait for ever.
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "localoffer_audit", "--config", str(config_path), "nightly", "--no-send",
             "--today", today.isoformat()],
            stdout=subprocess.DEVNULL, stderr=errors, stdin=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
            "exit_code": process.returncode, "stderr_tail": stderr.strip().splitlines()[-3:]}


def link_bound(db, run_id: int, world, config) -> dict[str, float]:
    """The link stage's bound for run ``run_id`` (module docstring), with its parts.

    Per host, from the world's latency and the configured limits: its requests (each
    link's attempts, HEAD and GET and redirect hops included, one https twin for a
    working http link, one soft-404 probe at its latency) shared by ``per_host`` slots, a request to a
    hanging link costing ``read_timeout_seconds``; and, for a host with a link rechecked
    in the run, that link's chain (first try, the confirmation delay, the recheck), which
    runs alongside the host's other requests; and its timed-out requests in rounds of
    ``per_host`` (each holds a slot a whole timeout). The bound is the slowest host's
    largest figure: the least a correct checker at these limits can take.
    """
    links = config.links
    rows = db.execute(
        "SELECT l.host, c.url, c.verdict, c.attempts, c.detail FROM link_checks c "
        "JOIN links l ON l.url = c.url WHERE c.run_id = ?", [run_id],
    ).fetchall()
    timeout = links.read_timeout_seconds
    work: dict[str, float] = {}
    longest: dict[str, float] = {}
    chain: dict[str, float] = {}
    hung: dict[str, int] = {}  # per host, its requests that waited a whole timeout
    timeouts = rechecked = 0
    for host, url, verdict, attempts, detail in rows:
        host = host or ""
        spec = world.hosts.get(host) or world.hosts.get(host.removeprefix("www."))
        latency = (sum(spec.latency_ms) / 2 / 1000) if spec else 0.0
        timed_out = verdict == "timeout"
        timeouts += timed_out
        cost = timeout if timed_out else latency
        again = "delayed recheck" in (detail or "")
        # Attempts count every request (HEAD, GET, each redirect hop); a rechecked link's
        # include the recheck's, and its first check was one try.
        requests = 1 if again else max(1, attempts or 1)
        if url.startswith("http://") and verdict == "ok" and links.check_https:
            requests += 1
        # The soft-404 probe: asked of a host that answers, once a run.
        probe = latency if host not in work and links.soft_404_probe else 0.0
        work[host] = work.get(host, 0.0) + requests * cost + probe
        if timed_out:
            hung[host] = hung.get(host, 0) + requests
        longest[host] = max(longest.get(host, 0.0), cost)
        if again:
            rechecked += 1
            chain[host] = max(chain.get(host, 0.0), cost + links.confirm_delay_seconds + cost)
    # k requests that each wait a whole timeout cannot share slots: some slot takes
    # ceil(k / per_host) of them end to end (3 on 2 slots: 20 s at 10 s, not 15 s).
    per_host = {
        host: max(work[host] / links.per_host, longest[host], chain.get(host, 0.0),
                  -(-hung.get(host, 0) // links.per_host) * timeout)
        for host in work
    }
    slowest = max(per_host, key=per_host.__getitem__, default="")
    return {"bound_s": per_host.get(slowest, 0.0), "schedule_s": work.get(slowest, 0.0) / links.per_host,
            "chain_s": chain.get(slowest, 0.0), "host": slowest, "timeouts": timeouts, "rechecked": rechecked}


def night_figures(config, world, measured: dict[str, float]) -> dict[str, object]:
    from localoffer_audit.store.db import open_db

    db = open_db(config.database.path)
    try:
        nightly = db.execute("SELECT id, status, stages FROM runs WHERE kind = 'nightly' ORDER BY id DESC LIMIT 1").fetchone()
        stages = {stage.get("stage"): stage for stage in json.loads(nightly[2])}
        crawl_run = db.execute("SELECT counts FROM runs WHERE kind = 'crawl' ORDER BY id DESC LIMIT 1").fetchone()
        links_run = db.execute("SELECT id, counts FROM runs WHERE kind = 'links' ORDER BY id DESC LIMIT 1").fetchone()
        crawl_counts = json.loads(crawl_run[0])
        link_counts = json.loads(links_run[1])
        bound = link_bound(db, links_run[0], world, config)
    finally:
        db.close()
    crawl = config.crawl
    pages = int(crawl_counts.get("pages", 0))
    directory_latency = 0.0  # the demo directory answers at once (no latency of its own)
    target = crawl.autothrottle_target_concurrency or crawl.concurrent_requests_per_domain
    crawl_bound = pages * max(crawl.download_delay_seconds, directory_latency / target)
    return {
        "status": nightly[1], **measured,
        "crawl_s": stages.get("crawl", {}).get("seconds", 0.0), "crawl_bound_s": crawl_bound, "pages": pages,
        "links_s": stages.get("links", {}).get("seconds", 0.0), "links_bound_s": bound["bound_s"],
        "links_schedule_s": bound["schedule_s"], "links_chain_s": bound["chain_s"],
        "links_bound_host": bound["host"], "links_timeouts": bound["timeouts"], "links_rechecked": bound["rechecked"],
        "links_checked": link_counts.get("checked", 0), "links_reused": link_counts.get("reused", 0),
        "links_confirmed_failures": link_counts.get("confirmed_failures", 0),
        "links_unconfirmed_failures": link_counts.get("unconfirmed_failures", 0),
        "links_during_crawl": stages.get("links", {}).get("counts", {}).get("done_during_crawl"),
    }


def ratio(figure: float, bound: float) -> str:
    return f"{figure / bound:.2f}" if bound else "-"


def print_night(night: int, r: dict[str, object]) -> None:
    print(f"night {night}: {r['status']}, exit {r['exit_code']}; wall {r['wall_s']:.1f}s, CPU {r['cpu_s']:.1f}s, "
          f"peak RSS {r['peak_rss_mb']:.0f} MB; demo servers' CPU {r['demo_cpu_s']:.1f}s; "
          f"load average {r['load'][0]:.1f} before, {r['load'][1]:.1f} after")
    print(f"  crawl  {r['crawl_s']:6.1f}s  bound {r['crawl_bound_s']:6.1f}s ({r['pages']} pages x delay)  "
          f"ratio {ratio(r['crawl_s'], r['crawl_bound_s'])}  (target <= 1.3)")
    print(f"  links  {r['links_s']:6.1f}s  bound {r['links_bound_s']:6.1f}s ({r['links_bound_host']}: requests "
          f"{r['links_schedule_s']:.1f}s, recheck chain {r['links_chain_s']:.1f}s)  ratio "
          f"{ratio(r['links_s'], r['links_bound_s'])}  (target <= 1.3); checked {r['links_checked']}, "
          f"reused {r['links_reused']}, {r['links_timeouts']} timeouts, {r['links_rechecked']} rechecked, failures confirmed "
          f"{r['links_confirmed_failures']} / unconfirmed {r['links_unconfirmed_failures']}")
    if r["links_during_crawl"] is not None:
        # Links checked while the crawl runs ([links] check_during_crawl): the link stage's
        # time is then the wait after the crawl, and the night's least is the longer of
        # the two stages' bounds (overlapped), not their sum.
        floor = max(r["crawl_bound_s"], r["links_bound_s"])
        print(f"  overlap: {r['links_during_crawl']} of {r['links_checked']} links done during the crawl; the links "
              f"line is the wait after it; crawl + links {r['crawl_s'] + r['links_s']:.1f}s, bound max(crawl, links) "
              f"{floor:.1f}s, ratio {ratio(r['crawl_s'] + r['links_s'], floor)}")
    if r["stderr_tail"] and r["exit_code"] not in (0, 3):
        print("  stderr:", " | ".join(r["stderr_tail"]))
    sys.stdout.flush()


def nightly_main(services: int, seed: int, latency: tuple[int, int], nights: int = 2,
                 overrides: dict[str, dict[str, object]] | None = None, keep: str | None = None) -> list[dict[str, object]]:
    import platform
    import tempfile
    from datetime import date, timedelta
    from pathlib import Path

    from localoffer_audit.config import load_config
    from localoffer_audit.demo.server import run_demo_in_thread

    world = DemoWorld(seed=seed, services=services, latency_ms=latency)
    results: list[dict[str, object]] = []
    print(f"demo world: {services} services, seed {seed}, provider latency {latency[0]}-{latency[1]} ms; "
          f"machine: {platform.node()} ({os.cpu_count()} cores, shared), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-nightly-") as folder:
        out = Path(keep or folder)
        out.mkdir(parents=True, exist_ok=True)
        with run_demo_in_thread(world, workdir=out / "demo-web") as demo:
            config_path = defaults_config(demo, out, overrides)
            config = load_config(config_path)
            if overrides:
                print(f"changed from the defaults: {overrides}")
            print(f"pace: crawl delay {config.crawl.download_delay_seconds:g}s, per-domain {config.crawl.concurrent_requests_per_domain}, "
                  f"AutoThrottle target {config.crawl.autothrottle_target_concurrency or config.crawl.concurrent_requests_per_domain:g}; "
                  f"links connect/first byte/total {config.links.connect_timeout_seconds:g}/{config.links.read_timeout_seconds:g}/"
                  f"{config.links.total_timeout_seconds:g}s, confirm delay {config.links.confirm_delay_seconds:g}s, "
                  f"per host {config.links.per_host}", flush=True)
            first_day = date.fromisoformat(demo.manifest()["world"]["day0_date"])
            for night in range(nights):
                demo.set_day(night)
                # The demo's servers run in this process: their CPU shares the machine with
                # the nightly's, and on a loaded machine answers slow down with it.
                served_from = os.times()
                load_before = os.getloadavg()[0]
                measured = run_nightly_process(config_path, first_day + timedelta(days=night))
                served_to = os.times()
                measured["demo_cpu_s"] = (served_to.user - served_from.user) + (served_to.system - served_from.system)
                measured["load"] = (load_before, os.getloadavg()[0])
                r = night_figures(config, world, measured)
                results.append(r)
                print_night(night + 1, r)
    first = results[0]
    print(f"whole night 1: {first['wall_s']:.1f}s (target < 75 s for 400 services)")
    if len(results) > 1:
        second = results[1]
        share = second["links_s"] / first["links_s"] if first["links_s"] else 0.0
        print(f"night 2 link stage / night 1 link stage: {share:.0%} (target < 25%; with links checked during the "
              "crawl, the waits after it)")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nightly", action="store_true", help="run the whole nightly twice on the project's defaults")
    parser.add_argument("--latency-ms", type=int, nargs=2, default=(20, 80), metavar=("LOW", "HIGH"),
                        help="with --nightly: provider hosts' latency range (default 20 80)")
    parser.add_argument("--services", type=int, default=None, help="default 20,000 (400 with --nightly)")
    parser.add_argument("--keep", metavar="FOLDER", help="with --nightly: keep the database, config and logs there")
    parser.add_argument("--nights", type=int, default=2, help="with --nightly: nights to run (default 2)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="with --nightly: a config value instead of the default, e.g. crawl.download_delay_seconds=0.05")
    parser.add_argument("--pages", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.nightly:
        overrides: dict[str, dict[str, object]] = {}
        for item in args.set:
            name, _, raw = item.partition("=")
            section, _, key = name.partition(".")
            overrides.setdefault(section, {})[key] = json.loads(raw) if raw[:1] in "0123456789-[{tf" else raw
        nightly_main(args.services or 400, args.seed, tuple(args.latency_ms), args.nights, overrides, args.keep)
        raise SystemExit(0)
    result = asyncio.run(main(args.services or 20_000, args.pages, args.concurrency, args.seed))
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}, indent=1))
