"""Real parts for the national tests: a throwaway PostgreSQL cluster, loopback web servers
(council directories and the outside web they link to, counting every request server
side), worker processes, and small councils' configs. No test lives here.

The cluster is started with Debian's initdb/pg_ctl in a temp dir, listening only on a
Unix socket there. initdb refuses to run as root (CI runs as root), so as root the
server runs as the unprivileged user ``nobody`` with the dir handed to it.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

psycopg = pytest.importorskip("psycopg", reason="the 'national' extra (psycopg) is not installed")
pytest.importorskip("procrastinate", reason="the 'national' extra (procrastinate) is not installed")

from aiohttp import web  # noqa: E402

from localoffer_audit.demo import DemoWorld, RunningDemo, RunningRegion, run_region_in_thread  # noqa: E402
from localoffer_audit.demo.outside import gzip_bomb  # noqa: E402
from localoffer_audit.demo.server import to_toml  # noqa: E402
from localoffer_audit.demo.world import split_url  # noqa: E402


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """initdb + pg_ctl in a temp dir; Unix socket only, fsync off (a test cluster)."""

    def __init__(self) -> None:
        bin_dir = postgres_bin()
        if bin_dir is None:
            pytest.skip("no PostgreSQL binaries (initdb, pg_ctl): apt-get install postgresql")
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="lo-pg-"))
        self.data = self.dir / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            os.chmod(self.dir, 0o755)
            shutil.chown(self.dir, user="nobody")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "nobody", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.dir)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")

    def start(self) -> None:
        options = f"-c listen_addresses='' -c unix_socket_directories={self.dir} -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "server.log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host={self.dir} user=postgres dbname={dbname}"

    def new_database(self, name: str) -> str:
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.conninfo(name)

    def cleanup(self) -> None:
        try:
            self.stop()
        except Exception:  # noqa: BLE001 - already stopped
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.cleanup()


# --- the loopback web ---------------------------------------------------------------------


@dataclass
class WebLog:
    """Every request the outside web answered, and the peak in flight per host."""

    requests: Counter[str] = field(default_factory=Counter)   # "host:port/path" -> count
    in_flight: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.peak.clear()

    def link_requests(self) -> Counter[str]:
        """Requests for the links services carry (not the soft-404 probes' made-up paths)."""
        return Counter({k: v for k, v in self.requests.items() if "/page/" in k or "/gone/" in k})


@dataclass
class Directory:
    """One council's directory (generic platform) and the links its services carry."""

    slug: str
    services: list[dict[str, Any]]


def _listing(directory: Directory) -> str:
    items = "".join(
        f'<li><a class="service-title" href="/{directory.slug}/record/{s["id"]}">{s["name"]}</a></li>'
        for s in directory.services
    )
    return f"<html><body><main><ul>{items}</ul></main></body></html>"


def _service(s: dict[str, Any]) -> str:
    links = "".join(f'<p>See <a href="{url}">more about this</a>.</p>' for url in s["links"])
    return (
        f'<html><body><h1 class="record-title">{s["name"]}</h1><div class="description">'
        f'<p>{s["description"]}</p>{links}</div>'
        f'<span class="phone">0113 496 0{s["id"]:03d}</span></body></html>'
    )


class LoopbackWeb:
    """Council directories under /<slug>/ on one port and the outside web on another (any
    Host name: the councils' hosts file maps the test names to 127.0.0.1)."""

    def __init__(self, directories: list[Directory], *, delay: float = 0.02) -> None:
        self.directories = {d.slug: d for d in directories}
        self.delay = delay
        self.log = WebLog()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.directory_port, self.outside_port = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)

    async def _start(self) -> tuple[int, int]:
        directory = web.Application()
        directory.router.add_get("/robots.txt", self._robots)
        directory.router.add_get("/{slug}/directory", self._listing)
        directory.router.add_get("/{slug}/record/{id}", self._record)
        outside = web.Application()
        outside.router.add_route("*", "/{tail:.*}", self._outside)
        self._runners = [web.AppRunner(directory), web.AppRunner(outside)]
        ports = []
        for runner in self._runners:
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        return ports[0], ports[1]

    async def _robots(self, request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nAllow: /\n")

    async def _listing(self, request: web.Request) -> web.Response:
        directory = self.directories.get(request.match_info["slug"])
        if directory is None:
            raise web.HTTPNotFound()
        return web.Response(text=_listing(directory), content_type="text/html")

    async def _record(self, request: web.Request) -> web.Response:
        directory = self.directories.get(request.match_info["slug"])
        wanted = request.match_info["id"]
        for service in directory.services if directory else []:
            if str(service["id"]) == wanted:
                return web.Response(text=_service(service), content_type="text/html")
        raise web.HTTPNotFound()

    async def _outside(self, request: web.Request) -> web.StreamResponse:
        host = request.headers.get("Host", "?").lower()
        key = f"{host}{request.path}"
        with self.log.lock:
            self.log.requests[key] += 1
            self.log.in_flight[host] += 1
            self.log.peak[host] = max(self.log.peak[host], self.log.in_flight[host])
        try:
            await asyncio.sleep(self.delay)
            if request.path.startswith("/gone/"):
                return web.Response(status=404, text="<html><body><h1>Not found</h1></body></html>", content_type="text/html")
            if request.path.startswith("/page/"):
                words = " ".join(f"{request.path.strip('/').replace('/', ' ')} section {i}" for i in range(40))
                return web.Response(
                    text=f"<html><head><title>{request.path}</title></head><body><h1>{request.path}</h1><p>{words}</p></body></html>",
                    content_type="text/html",
                )
            return web.Response(status=404, text="<html><body>No such page here.</body></html>", content_type="text/html")
        finally:
            with self.log.lock:
                self.log.in_flight[host] -= 1

    def close(self) -> None:
        async def stop() -> None:
            for runner in self._runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


PRIVATE_LINK = "http://127.0.0.2:{port}/page/1"
OUTSIDE_HOSTS = ["nhs.test", "gov.test", "charity-one.test", "charity-two.test", "sport-club.test"]


def make_directories(count: int, *, services: int = 12, seed: int = 1, shared_pages: int = 8) -> list[Directory]:
    """``count`` councils whose services link partly to the same outside hosts and pages
    (a realistic share: the big hosts in common, each council's own local links too)."""
    import random

    rng = random.Random(seed)
    directories = []
    for n in range(count):
        slug = f"council-{chr(ord('a') + n)}"
        own_host = f"{slug}-groups.test"
        items = []
        for i in range(1, services + 1):
            links = []
            for _ in range(rng.randint(2, 4)):
                host = rng.choice(OUTSIDE_HOSTS)
                kind = "gone" if rng.random() < 0.15 else "page"
                links.append(f"http://{host}:{{port}}/{kind}/{rng.randint(1, shared_pages)}")
            links.append(f"http://{own_host}:{{port}}/page/{i}")
            if i % 5 == 0:
                links.append(f"http://{own_host}:{{port}}/gone/{i}")
            if i == 1:
                # A private address no config trusts: the SSRF guard must refuse it in workers too.
                links.append(PRIVATE_LINK)
            items.append({
                "id": i,
                "name": f"{slug.title()} Service {i}",
                "description": (
                    f"Activities for children and young people with special educational needs in area {i}. "
                    "Sessions run every week during term time and in the holidays; families can ask for a visit."
                ),
                "links": sorted(set(links)),
            })
        directories.append(Directory(slug, items))
    return directories


def resolve_ports(directories: list[Directory], port: int) -> None:
    for directory in directories:
        for service in directory.services:
            service["links"] = [url.replace("{port}", str(port)) for url in service["links"]]


def hosts_file(path: Path, directories: list[Directory]) -> Path:
    names = set(OUTSIDE_HOSTS) | {f"{d.slug}-groups.test" for d in directories}
    path.write_text("".join(f"127.0.0.1 {name}\n" for name in sorted(names)), encoding="utf-8")
    return path


def council_config(folder: Path, web_: LoopbackWeb, slug: str, hosts: Path, *, per_host: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "directory": {
            "name": f"{slug} Local Offer",
            "platform": "generic",
            "start_urls": [f"http://127.0.0.1:{web_.directory_port}/{slug}/directory"],
            "generic": {
                "service_link": "main a.service-title",
                "id_pattern": r"/record/(\d+)",
                "fields": {"name": "h1.record-title::text", "description": "//div[@class='description']",
                           "phone": ".phone::text"},
            },
        },
        "crawl": {"allow_private_addresses": True, "download_delay_seconds": 0.0, "autothrottle": False,
                  "concurrent_requests_per_domain": 8, "timeout_seconds": 30.0, "retries": 1},
        "links": {"hosts_file": str(hosts), "hosts_file_only": True, "per_host": per_host, "concurrency": 50,
                  "check_https": False, "confirm_delay_seconds": 0.5, "retries": 1, "backoff_seconds": 0.1,
                  "connect_timeout_seconds": 3.0, "read_timeout_seconds": 5.0, "total_timeout_seconds": 8.0,
                  "recheck_wait_share": ALWAYS_RECHECK},
        "database": {"path": str(folder / "audit.db")},
        "output": {"folder": str(folder / "output")},
    }
    path = folder / "localoffer-audit.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    return path


def write_registry(path: Path, configs: dict[str, Path], *, batch_size: int = 10) -> Path:
    lines = [f"[national]\nbatch_size = {batch_size}\n"]
    for slug, config in configs.items():
        lines.append(f'[[council]]\nslug = "{slug}"\nname = "{slug.replace("-", " ").title()}"\nconfig = "{config}"\n')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# --- worker processes -------------------------------------------------------------------------


def start_worker(conninfo: str, registry: Path, log_path: Path, *, lease: float = 3.0, heartbeat: float = 0.5,
                 concurrency: int = 6, stalled_check: int = 1, extra: tuple[str, ...] = (),
                 profile: Path | None = None) -> subprocess.Popen[bytes]:
    """A worker process; with ``profile``, under benchmarks/profile_worker.py (yappi, CPU
    clock, every thread) writing there when it stops."""
    env = {**os.environ, "LOCALOFFER_AUDIT_DATABASE_URL": conninfo}
    runner = ([str(Path(__file__).resolve().parents[2] / "benchmarks" / "profile_worker.py"), str(profile), "--"]
              if profile else ["-m", "localoffer_audit.cli"])
    command = [
        sys.executable, *runner, "-v", "national", "worker", "--registry", str(registry),
        "--concurrency", str(concurrency), "--heartbeat", str(heartbeat), "--lease", str(lease),
        "--stalled-check", str(stalled_check), *extra,
    ]
    handle = log_path.open("ab")
    return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop_worker(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def night_stages(conninfo: str) -> dict[str, str]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        try:
            return {slug: stage for slug, stage in conn.execute("SELECT slug, stage FROM national_nights").fetchall()}
        except psycopg.errors.UndefinedTable:
            return {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def findings_of(db_path: Path) -> set[tuple[str, str, str, str]]:
    """Every finding of a council's store: (rule, service, subject, status)."""
    from localoffer_audit.store.db import open_db

    db = open_db(db_path)
    try:
        return {(r["rule"], r["service_id"], r["subject"], r["status"]) for r in db.query(
            "SELECT rule, service_id, subject, status FROM findings")}
    finally:
        db.close()


@dataclass
class World:
    """Councils' directories and the outside web on loopback, and the hosts file naming it."""

    web: LoopbackWeb
    directories: list[Directory]
    hosts: Path

    def configs(self, folder: Path, *, per_host: int = 2) -> dict[str, Path]:
        return {d.slug: council_config(folder / d.slug, self.web, d.slug, self.hosts, per_host=per_host)
                for d in self.directories}

    def carried(self) -> set[str]:
        return {url for d in self.directories for s in d.services for url in s["links"]}

    def private_link(self) -> str:
        return PRIVATE_LINK.replace("{port}", str(self.web.outside_port))


@contextmanager
def running_world(folder: Path, councils: int, *, services: int, seed: int, delay: float) -> Iterator[World]:
    directories = make_directories(councils, services=services, seed=seed)
    web = LoopbackWeb(directories, delay=delay)
    resolve_ports(directories, web.outside_port)
    try:
        yield World(web, directories, hosts_file(folder / "hosts", directories))
    finally:
        web.close()


def single_council_findings(world: World, folder: Path, *, per_host: int = 2) -> dict[str, set[tuple[str, str, str, str]]]:
    """Each council's own `nightly` on the same world: what the national run must equal."""
    found = {}
    for slug, config in world.configs(folder, per_host=per_host).items():
        done = subprocess.run([sys.executable, "-m", "localoffer_audit.cli", "--config", str(config), "nightly"],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 3), done.stdout[-2000:] + done.stderr[-2000:]  # 3: new serious findings
        found[slug] = findings_of(config.parent / "audit.db")
    return found


def single_council_nightlies(configs: dict[str, Path], *, parallel: int = 3) -> dict[str, set[tuple[str, str, str, str]]]:
    """Each council's own `nightly` (``parallel`` at a time): what the national run must equal."""
    from concurrent.futures import ThreadPoolExecutor

    def nightly(config: Path) -> set[tuple[str, str, str, str]]:
        done = subprocess.run([sys.executable, "-m", "localoffer_audit.cli", "--config", str(config), "nightly"],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 3), done.stdout[-2000:] + done.stderr[-2000:]  # 3: new serious findings
        return findings_of(Path(str(config)).parent / "localoffer-audit.db")

    with ThreadPoolExecutor(parallel) as pool:
        return dict(zip(configs, pool.map(nightly, configs.values()), strict=True))


# --- a region of demo councils ------------------------------------------------------------------

DEMO_COUNCILS = ["eastshire", "westmoor", "southdale", "northfield", "calderside", "riverton", "ashdale", "brookvale"]
# Shorter limits than the demo's, so its hanging and trickling hosts cost seconds; long
# enough that a loaded 2-core machine does not time out an ordinary answer (the slow hosts
# answer in 0.3-0.6 s here), which would make one run's verdict differ from another's.
# A hanging link's recheck is always waited for (recheck_wait_share): by default it is
# left to the next night when it would more than double the stage, and a council's own
# stage and a shared batch last differently long, so one night's verdicts could differ
# between the two modes by timing alone (both confirm by the next night).
ALWAYS_RECHECK = 1000.0
FAST_LINK_SETTINGS: dict[str, Any] = {
    "connect_timeout_seconds": 2.0, "read_timeout_seconds": 4.0, "total_timeout_seconds": 6.0,
    "confirm_delay_seconds": 0.5, "backoff_seconds": 0.1, "max_retry_after_seconds": 1.0,
    "recheck_wait_share": ALWAYS_RECHECK,
}


def agent_of(slug: str) -> str:
    """Each council's link checker says who it is: the web's log then tells whose check it was."""
    return f"localoffer-audit test ({slug})"


@dataclass
class DemoRegion:
    """Demo councils (a DemoWorld each: own seed, name, directory) on one outside web."""

    running: RunningRegion

    @property
    def councils(self) -> dict[str, RunningDemo]:
        return {demo.world.council: demo for demo in self.running.councils}

    def configs(self, folder: Path, *, per_host: int) -> dict[str, Path]:
        return {slug: demo.write_config(folder / slug, links_extra={
            **FAST_LINK_SETTINGS, "per_host": per_host, "user_agent": agent_of(slug)})
            for slug, demo in self.councils.items()}

    def carried(self, slug: str) -> set[str]:
        return set(self.councils[slug].world.state.urls)

    def reset(self) -> None:
        """A fresh night on the same web: the log emptied, transient failures served again."""
        self.running.request_log.reset()
        self.running.web.reset_transients()

    def hop_targets(self) -> set[str]:
        """Carried URLs that other links' redirects also land on (a site's home page after a
        "home redirect" or a move, the https twin of an http URL): their requests on the
        web's log are not all checks of them."""
        web_ = self.running.web
        targets = set()
        for url, state in web_.state.urls.items():
            key = split_url(url)
            spec = web_.hosts.get(key[0]) if key else None
            if key is None or spec is None:
                continue
            if state.behaviour in ("home_redirect", "redirect_loop"):
                targets.add(f"{url.split('://', 1)[0]}://{key[0]}/")
                targets.add(url)
            if spec.behaviour == "moved_offsite":
                targets.add(f"https://{spec.moved_to}/")
            if spec.behaviour == "insecure_redirect":
                targets.add(f"https://{key[0]}{key[1]}")
        return targets

    def link_requests(self) -> dict[str, Counter[str]]:
        """Per URL the councils carry (less the hop targets): how many requests for it each
        council's checker made, counted by the web (redirect hops to other paths and
        soft-404 probes are not counted: they are other paths)."""
        requests, _ = self.running.request_log.snapshot()
        wanted: dict[tuple[str, str], str] = {}
        hops = self.hop_targets()
        for slug in self.councils:
            for url in self.carried(slug) - hops:
                key = split_url(url)
                if key is not None:
                    wanted[(f"{url.split('://', 1)[0]}://{key[0]}", key[1])] = url
        found: dict[str, Counter[str]] = defaultdict(Counter)
        agents = {agent_of(slug): slug for slug in self.councils}
        for (site, path, agent), count in requests.items():
            url = wanted.get((site, path))
            if url is not None:
                found[url][agents.get(agent, agent)] += count
        return found

    def peak(self) -> Counter[str]:
        return self.running.request_log.snapshot()[1]


@contextmanager
def demo_region(folder: Path, councils: int, *, services: int, region: int = 7) -> Iterator[DemoRegion]:
    """``councils`` demo worlds of one region (they share the big organisations' and the
    region's sites and pages), each its own directory, served on one outside web."""
    worlds = [DemoWorld(seed=100 + n, services=services, council=DEMO_COUNCILS[n], region=region,
                        slow_ms=(300, 600)) for n in range(councils)]
    # The gzip bomb is built on first use (seconds of CPU): built now, the first council's
    # check of it does not time out where a later one's is answered.
    gzip_bomb()
    with run_region_in_thread(worlds, workdir=folder / "demo-web") as running:
        yield DemoRegion(running)


def enqueue(conninfo: str, registry: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "localoffer_audit.cli", "national", "enqueue", "--registry", str(registry)],
        env={**os.environ, "LOCALOFFER_AUDIT_DATABASE_URL": conninfo}, capture_output=True, text=True, timeout=120,
    )


def query(conninfo: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        try:
            return conn.execute(sql).fetchall()  # type: ignore[arg-type]
        except psycopg.errors.UndefinedTable:
            return []


def all_done(conninfo: str, councils: int) -> bool:
    stages = night_stages(conninfo)
    return len(stages) == councils and all(stage == "done" for stage in stages.values())


__all__ = [
    "DemoRegion", "agent_of", "demo_region", "single_council_nightlies",
    "Directory", "LoopbackWeb", "PostgresCluster", "World", "all_done", "enqueue", "query", "running_world",
    "single_council_findings", "council_config", "defaultdict", "findings_of", "free_port",
    "hosts_file", "make_directories", "night_stages", "pg_cluster", "resolve_ports", "start_worker", "stop_worker",
    "wait_for", "write_registry",
]
