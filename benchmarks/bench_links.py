"""Benchmark the link checker: 20,000 distinct links on 1,000 hosts, 20-200 ms per answer.

The "outside web" is a separate process on loopback (so its CPU is not counted against
the checker) answering for every host name through one port; the checker reaches the
names through a hosts file and a port map, as any test rig would. Each host answers
every request after a fixed latency drawn once between 20 and 200 ms.

The lower bound on wall time: a host with n links and latency L, at most `per_host`
requests at once, needs ceil(n / per_host) * L; and all requests together need
sum(latencies) / concurrency. The bound is the larger of the two. The soft-404 probe
adds one request per host, which the bound does not include (it is our overhead).

    python benchmarks/bench_links.py                 # 20,000 links, 1,000 hosts
    python benchmarks/bench_links.py --links 2000 --hosts 100 --concurrency 200
    python benchmarks/bench_links.py --skew 1.0 --per-host 4   # a few busy sites, a long tail
    python benchmarks/bench_links.py --demo-web 6000   # the demo's own outside web (below)

With --demo-web N the answers come from the demo world's outside web (the app the demo
and the tests serve, localoffer_audit/demo/outside.py), built for N services with 20-200
ms latency. The links go to its working provider hosts (1,000 of them by default) on
paths that answer 200. There each request waits a random time between the host's own
low and the shared high latency, so the bound uses each host's mean latency: it is the
expected lower bound, not a strict one.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import random
import resource
import socket
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from aiohttp import web

from localoffer_audit.links.checker import LinkCheckSettings, check_urls
from localoffer_audit.links.resolver import read_hosts_file

WORDS = (
    "family support service children young people special educational needs disabilities parents carers "
    "short breaks play group drop-in sessions advice transport school nursery county borough council "
    "speech language therapy autism mental health wellbeing holiday club youth activities"
).split()


def host_name(index: int) -> str:
    return f"provider{index:04d}.bench-outside.test"


def latency_ms(index: int, low: int, high: int) -> int:
    return random.Random(index).randint(low, high)


def page_for(host: str, path: str) -> str:
    rng = random.Random(f"{host}{path}")
    text = " ".join(rng.choice(WORDS) for _ in range(300))
    return f"<!doctype html><html><head><title>{host}{path}</title></head><body><h1>{path}</h1><p>{text}</p></body></html>"


def demo_world(services: int, low: int, high: int):
    # Imported here: the plain rig does not need the demo package.
    from localoffer_audit.demo import DemoWorld

    return DemoWorld(seed=1, services=services, latency_ms=(low, high))


def working_demo_hosts(world, count: int) -> list:
    """The demo outside web's provider hosts that answer normally, over http."""
    hosts = [spec for spec in world.hosts.values() if spec.behaviour == "normal" and spec.address == "127.0.0.1"]
    hosts.sort(key=lambda spec: spec.name)
    if len(hosts) < count:
        raise SystemExit(f"the demo world has {len(hosts)} working hosts, fewer than --hosts {count}: raise --demo-web")
    return hosts[:count]


def serve(port_holder, ready, hosts: int, low: int, high: int, demo_services: int = 0) -> None:  # runs in the server process
    if demo_services:
        from localoffer_audit.demo.outside import make_outside_app

        serve_app(port_holder, ready, make_outside_app(demo_world(demo_services, low, high)))
        return
    latencies = {host_name(i): latency_ms(i, low, high) / 1000 for i in range(hosts)}

    async def handle(request: web.Request) -> web.Response:
        host = (request.host or "").split(":")[0]
        delay = latencies.get(host)
        if delay is None:
            return web.Response(status=421)
        await asyncio.sleep(delay)
        if not request.path.startswith("/page/"):
            return web.Response(status=404, text="<html><title>Not Found</title></html>", content_type="text/html")
        return web.Response(text=page_for(host, request.path), content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    serve_app(port_holder, ready, app)


def serve_app(port_holder, ready, app: web.Application) -> None:
    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(4096)
        site = web.SockSite(runner, sock, backlog=4096)
        await site.start()
        port_holder.value = sock.getsockname()[1]
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU of another process, from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def lower_bound(links_per_host: Counter[int], latencies: dict[int, float], per_host: int, concurrency: int) -> tuple[float, float, float]:
    per_host_bound = max(math.ceil(n / per_host) * latencies[h] for h, n in links_per_host.items())
    total_work = sum(n * latencies[h] for h, n in links_per_host.items())
    concurrency_bound = total_work / concurrency
    return max(per_host_bound, concurrency_bound), per_host_bound, concurrency_bound


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--hosts", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--latency-ms", type=int, nargs=2, default=(20, 200), metavar=("LOW", "HIGH"))
    parser.add_argument("--skew", type=float, default=0.0, help="Zipf exponent for links per host (0 = even)")
    parser.add_argument("--no-probe", action="store_true", help="switch off the soft-404 probe")
    parser.add_argument("--demo-web", type=int, default=0, metavar="SERVICES",
                        help="answer from the demo world's outside web built for SERVICES services")
    args = parser.parse_args()
    low_ms, high_ms = args.latency_ms
    if args.demo_web:
        world = demo_world(args.demo_web, low_ms, high_ms)
        demo_hosts = working_demo_hosts(world, args.hosts)
        names = [spec.name for spec in demo_hosts]
        # Mean of each host's uniform(low_i, high) answer time.
        latencies = {i: (spec.latency_ms[0] + spec.latency_ms[1]) / 2000 for i, spec in enumerate(demo_hosts)}
        del world
    else:
        names = [host_name(i) for i in range(args.hosts)]
        latencies = {i: latency_ms(i, low_ms, high_ms) / 1000 for i in range(args.hosts)}

    port = multiprocessing.Value("i", 0)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, ready, args.hosts, low_ms, high_ms, args.demo_web), daemon=True)
    server.start()
    if not ready.wait(120):
        print("server did not start", file=sys.stderr)
        return 1

    rng = random.Random(1)
    if args.skew:
        # A few busy sites and a long tail, as in a real directory (the council's own
        # site, a big charity...): weights 1/rank^skew, every host at least one link.
        weights = [1 / (rank + 1) ** args.skew for rank in range(args.hosts)]
        hosts_of_links = list(range(args.hosts)) + rng.choices(range(args.hosts), weights, k=args.links - args.hosts)
    else:
        hosts_of_links = [i % args.hosts for i in range(args.links)]
    rng.shuffle(hosts_of_links)
    # On a working demo host any path under /moved/ answers 200 (the target of its
    # redirects); its title is the last segment, so that is a word, never a bare "404".
    if args.demo_web:
        urls = [f"http://{names[h]}/moved/services/{n}/about-us" for n, h in enumerate(hosts_of_links)]
    else:
        urls = [f"http://{host_name(h)}/page/{n}" for n, h in enumerate(hosts_of_links)]
    links_per_host = Counter(hosts_of_links)

    with tempfile.TemporaryDirectory() as folder:
        hosts_file = Path(folder) / "hosts"
        hosts_file.write_text("".join(f"127.0.0.1 {name}\n" for name in names))
        settings = LinkCheckSettings(
            user_agent="localoffer-audit/bench",
            concurrency=args.concurrency,
            per_host=args.per_host,
            hosts=read_hosts_file(hosts_file),
            hosts_only=True,
            port_map={80: port.value},
            check_https=False,  # no https twin in this rig
            soft_404_probe=not args.no_probe,
            confirm_delay=0,
        )
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        results = asyncio.run(check_urls(urls, settings))
        wall = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = process_cpu_seconds(server.pid)
    server.terminate()

    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    peak_rss_mb = cpu_after.ru_maxrss / 1024  # kilobytes on Linux
    bound, per_host_bound, concurrency_bound = lower_bound(links_per_host, latencies, args.per_host, args.concurrency)
    verdicts = Counter(str(r.verdict) for r in results)
    web_name = f"demo outside web ({args.demo_web} services)" if args.demo_web else "bench web"
    print(f"links checked     {len(results)} on {len(links_per_host)} hosts of the {web_name} "
          f"(busiest {max(links_per_host.values())}), latency {low_ms}-{high_ms} ms")
    print(f"settings          concurrency {args.concurrency}, per host {args.per_host}, soft-404 probe {'off' if args.no_probe else 'on'}")
    print(f"verdicts          {dict(verdicts)}")
    for result in [r for r in results if str(r.verdict) != "ok"][:5]:
        print(f"  not ok          {result.url}: {result.verdict} ({result.detail or result.error})")
    print(f"wall time         {wall:.2f} s")
    print(f"links/s           {len(results) / wall:.0f}")
    print(f"lower bound       {bound:.2f} s  (per-host limit {per_host_bound:.2f} s, concurrency limit {concurrency_bound:.2f} s)")
    print(f"wall / bound      {wall / bound:.2f}  (target <= 1.5)")
    print(f"CPU seconds       {cpu:.2f}  (checker process only)")
    if server_cpu is not None:
        print(f"server CPU        {server_cpu:.2f} s  (the simulated web, same machine)")
    print(f"peak RSS          {peak_rss_mb:.0f} MB  (target < 300)")
    return 0 if verdicts.get("ok", 0) == len(results) else 2


if __name__ == "__main__":
    raise SystemExit(main())
