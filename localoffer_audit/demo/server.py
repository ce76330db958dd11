"""Serving the demo world on loopback: the directory, the ORUK API and the outside web.

``serve_demo`` (async context manager) and ``run_demo_in_thread`` (sync, a background
event loop) both yield a ``RunningDemo`` with the URLs, the hosts file, the port map,
the CA file, the manifest, a ready-made config for the auditor and the outside web's
request log. ``serve_region`` / ``run_region_in_thread`` serve several worlds (one
directory each) on one shared outside web (demo/region.py). Everything binds 127.x
addresses only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from localoffer_audit.config import LinksConfig
from localoffer_audit.demo import fsd, oruk, vocab
from localoffer_audit.demo.certs import DemoCertificates, self_signed_server_context
from localoffer_audit.demo.managers import write_managers_csv
from localoffer_audit.demo.manifest import build_manifest
from localoffer_audit.demo.outside import RequestLog, make_outside_app
from localoffer_audit.demo.region import SharedWeb
from localoffer_audit.demo.world import DemoWorld

LOOPBACK = "127.0.0.1"
REFUSED_ADDRESS = "127.0.0.2"
SELF_SIGNED_ADDRESS = "127.0.0.3"
DEMO_OPTIONAL_LINK_SETTINGS: dict[str, Any] = {"confirm_delay_seconds": 2.0}
DEMO_DATE_LABELS = [
    "last updated", "record last updated", "date updated", "updated", "reviewed", "record reviewed",
    "last reviewed", "review date", "date added",
]


@dataclass
class RunningDemo:
    """A demo world being served; every address is on loopback."""

    world: DemoWorld
    directory_port: int
    http_port: int
    https_port: int
    workdir: Path
    hosts_file: Path
    ca_file: Path
    # Every request the outside web answered (shared by the councils of a region).
    request_log: RequestLog = field(default_factory=RequestLog)
    _extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def origin(self) -> str:
        return f"http://{LOOPBACK}:{self.directory_port}"

    @property
    def fsd_base_url(self) -> str:
        return f"{self.origin}/kb5/{self.world.council}/{self.world.directory}/"

    @property
    def fsd_start_url(self) -> str:
        return f"{self.fsd_base_url}results.page?{self.world.channel}=0"

    @property
    def oruk_v1_url(self) -> str:
        return self.origin + oruk.V1_PATH

    @property
    def oruk_v3_url(self) -> str:
        return self.origin + oruk.V3_PATH

    @property
    def port_map(self) -> dict[int, int]:
        return {80: self.http_port, 443: self.https_port}

    def set_day(self, day: int) -> None:
        """Switch the running world to night ``day``."""
        self.world.set_day(day)

    def manifest(self) -> dict[str, Any]:
        return build_manifest(self.world, self.fsd_base_url)

    def write_manifest(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.manifest(), indent=1, sort_keys=True), encoding="utf-8")
        return path

    def write_managers_csv(self, path: Path) -> Path:
        return write_managers_csv(self.world, Path(path))

    def config_dict(self, output_dir: Path, *, platform: str = "fsd", links_extra: dict[str, Any] | None = None
                    ) -> dict[str, Any]:
        """A config (as parsed TOML) auditing this running demo; paths inside output_dir.
        ``links_extra``: [links] settings for this use of it (the `demo` command's own)."""
        output_dir = Path(output_dir).resolve()
        links: dict[str, Any] = {
            "hosts_file": str(self.hosts_file),
            "hosts_file_only": True,
            "port_map": self.port_map,
            "ca_file": str(self.ca_file),
            # The outside web's hostile redirect points at 169.254.169.254: never fetched.
            "allow_private_addresses": False,
            "concurrency": 100,
            "per_host": 4,
            "connect_timeout_seconds": 2.0,
            # Slow hosts answer in 1-2 s; "never answers" hosts must still time out fast.
            "read_timeout_seconds": 5.0,
            "total_timeout_seconds": 8.0,
            "retries": 1,
            "backoff_seconds": 0.2,
            "max_retry_after_seconds": 5.0,
        }
        # Settings other stages add later get demo-friendly values when they exist.
        known = LinksConfig.model_fields
        links.update({key: value for key, value in DEMO_OPTIONAL_LINK_SETTINGS.items() if key in known})
        links.update(links_extra or {})
        start = {"fsd": [self.fsd_start_url], "oruk": [self.oruk_v1_url], "oruk3": [self.oruk_v3_url]}[platform]
        return {
            "directory": {
                "name": f"{vocab.PORTAL_NAME} (demo)",
                "platform": "oruk" if platform.startswith("oruk") else "fsd",
                "start_urls": start,
                "date_labels": DEMO_DATE_LABELS,
                # Worklist cards link the entry's edit form (the FSD server serves one).
                "edit_url_template": self.fsd_start_url.split("results.page", 1)[0] + "edit.page?id={id}",
                # The directory's advice pages are part of the Local Offer families read:
                # their links are checked too, for the Local Offer team.
                "read_advice_pages": True,
            },
            # The demo's nights are a day apart: escalate after one, so the digest shows.
            "email": {"escalate_after_days": 1, "send_all_clear": True},
            "crawl": {
                "allow_private_addresses": True,
                "download_delay_seconds": 0.0,
                "autothrottle": False,
                "concurrent_requests_per_domain": 16,
                # The demo directory never hangs; generous limits keep a crawl on a
                # loaded test machine from being marked incomplete by a slow page.
                "timeout_seconds": 30.0,
                "retries": 2,
            },
            "links": links,
            "managers": {"mapping_file": str(output_dir / "managers.csv")},
            "database": {"path": str(output_dir / "localoffer-audit.db")},
            "output": {"folder": str(output_dir / "output")},
        }

    def write_config(self, output_dir: Path, *, platform: str = "fsd", name: str = "localoffer-audit.toml",
                     links_extra: dict[str, Any] | None = None) -> Path:
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        path = output_dir / name
        path.write_text(to_toml(self.config_dict(output_dir, platform=platform, links_extra=links_extra)), encoding="utf-8")
        return path

    def curl_example(self, url: str | None = None) -> str:
        """A curl command fetching an outside-web URL through the demo's ports and CA."""
        host = vocab.COUNCIL_HOST
        url = url or f"https://{host}/"
        return f"curl --cacert {self.ca_file} --connect-to {host}:443:{LOOPBACK}:{self.https_port} --connect-to {host}:80:{LOOPBACK}:{self.http_port} {url}"


def to_toml(data: dict[str, Any]) -> str:
    """A small TOML writer for the demo config (tables of str/int/float/bool/list/dict)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str | Path):
            return json.dumps(str(v))
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(f"cannot write {type(v).__name__} as TOML")

    lines = ["# Written by `localoffer-audit demo` for the demo world on loopback.", ""]
    for section, table in data.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {value(v)}" for key, v in table.items()]
        lines.append("")
    return "\n".join(lines)


def write_hosts_file(world: DemoWorld | SharedWeb, path: Path) -> Path:
    """/etc/hosts lines for every outside host that resolves (unresolvable ones are absent)."""
    lines = ["# demo outside web: name -> loopback address (written by localoffer-audit demo)"]
    for name in world.host_names():
        address = world.hosts[name].address
        if address is not None:
            lines.append(f"{address} {name}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_directory_app(world: DemoWorld) -> web.Application:
    app = web.Application()
    fsd.add_routes(app, world)
    oruk.add_routes(app, world)
    return app


def _free_port_on_both(addresses: list[str]) -> int:
    """A port number free on every address in the list (tried a few times)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind((addresses[0], 0))
            port = first.getsockname()[1]
            ok = True
            for other in addresses[1:]:
                with socket.socket() as probe:
                    try:
                        probe.bind((other, port))
                    except OSError:
                        ok = False
            if ok:
                return port
    raise OSError("no port free on all demo loopback addresses")


@contextlib.asynccontextmanager
async def serve_demo(
    world: DemoWorld,
    day: int | None = None,
    *,
    workdir: Path | None = None,
    directory_port: int = 0,
) -> AsyncIterator[RunningDemo]:
    """Serve ``world`` on loopback for the duration of the ``async with`` block."""
    async with _serve([world], world, day, workdir=workdir, directory_port=directory_port) as demos:
        yield demos[0]


@dataclass
class RunningRegion:
    """Several councils' worlds served on loopback: a directory each, one outside web."""

    councils: list[RunningDemo]
    web: SharedWeb
    hosts_file: Path
    ca_file: Path

    @property
    def request_log(self) -> RequestLog:
        return self.councils[0].request_log


@contextlib.asynccontextmanager
async def serve_region(worlds: list[DemoWorld], day: int | None = None, *,
                       workdir: Path | None = None) -> AsyncIterator[RunningRegion]:
    """Serve several worlds: each its own directory on its own port, all their outside
    sites on one shared outside web (demo/region.py), one hosts file and CA."""
    if len({(w.council, w.directory) for w in worlds}) != len(worlds):
        raise ValueError("each world of a region needs its own council name")
    shared = SharedWeb(worlds)
    async with _serve(worlds, shared, day, workdir=workdir) as demos:
        yield RunningRegion(demos, shared, demos[0].hosts_file, demos[0].ca_file)


@contextlib.asynccontextmanager
async def _serve(worlds: list[DemoWorld], outside: DemoWorld | SharedWeb, day: int | None, *,
                 workdir: Path | None, directory_port: int = 0) -> AsyncIterator[list[RunningDemo]]:
    if day is not None:
        for world in worlds:
            world.set_day(day)
    own_dir = workdir is None
    folder = Path(tempfile.mkdtemp(prefix="localoffer-demo-")) if workdir is None else Path(workdir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    certs = DemoCertificates()
    ca_file = certs.write_ca(folder / "demo-ca.pem")
    hosts_file = write_hosts_file(outside, folder / "hosts")
    log = RequestLog()

    def lookup(name: str) -> str | None:
        spec = outside.hosts.get(name)
        if spec is None or spec.behaviour == "self_signed" or not spec.https:
            return None
        return {"tls_mismatch": "mismatch", "tls_expired": "expired"}.get(spec.behaviour, "good")

    directory_runners = [web.AppRunner(make_directory_app(world), handler_cancellation=True, shutdown_timeout=0.5)
                         for world in worlds]
    outside_runner = web.AppRunner(make_outside_app(outside, log), handler_cancellation=True, shutdown_timeout=0.5)
    for runner in [*directory_runners, outside_runner]:
        await runner.setup()
    try:
        dports = []
        for runner in directory_runners:
            directory_site = web.TCPSite(runner, LOOPBACK, directory_port)
            await directory_site.start()
            dports.append(directory_site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        https_context = certs.server_context(lookup, vocab.COUNCIL_HOST)
        self_signed = self_signed_server_context("localhost")
        for attempt in range(10):
            http_port = _free_port_on_both([LOOPBACK, SELF_SIGNED_ADDRESS])
            https_port = _free_port_on_both([LOOPBACK, SELF_SIGNED_ADDRESS])
            sites = [
                web.TCPSite(outside_runner, LOOPBACK, http_port),
                web.TCPSite(outside_runner, LOOPBACK, https_port, ssl_context=https_context),
                web.TCPSite(outside_runner, SELF_SIGNED_ADDRESS, http_port),
                web.TCPSite(outside_runner, SELF_SIGNED_ADDRESS, https_port, ssl_context=self_signed),
            ]
            try:
                for site in sites:
                    await site.start()
                break
            except OSError:
                for site in sites:
                    with contextlib.suppress(Exception):
                        await site.stop()
                if attempt == 9:
                    raise
        yield [RunningDemo(world, dport, http_port, https_port, folder, hosts_file, ca_file, request_log=log)
               for world, dport in zip(worlds, dports, strict=True)]
    finally:
        await outside_runner.cleanup()
        for runner in directory_runners:
            await runner.cleanup()
        if own_dir:
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def run_demo_in_thread(world: DemoWorld, day: int | None = None, *, workdir: Path | None = None, directory_port: int = 0) -> Iterator[RunningDemo]:
    """Serve ``world`` from a background thread's event loop (for sync code and tests)."""
    with _in_thread(lambda: serve_demo(world, day, workdir=workdir, directory_port=directory_port)) as demo:
        yield demo


@contextlib.contextmanager
def run_region_in_thread(worlds: list[DemoWorld], day: int | None = None, *,
                         workdir: Path | None = None) -> Iterator[RunningRegion]:
    """Serve a region (``serve_region``) from a background thread's event loop."""
    with _in_thread(lambda: serve_region(worlds, day, workdir=workdir)) as region:
        yield region


T = TypeVar("T")


@contextlib.contextmanager
def _in_thread(serve: Callable[[], contextlib.AbstractAsyncContextManager[T]]) -> Iterator[T]:
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    result: dict[str, Any] = {}

    async def main() -> None:
        try:
            async with serve() as served:
                result["served"] = served
                ready.set()
                await stop.wait()
        except BaseException as exc:  # reported to the caller's thread
            result["error"] = exc
            ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    thread = threading.Thread(target=run, name="localoffer-demo", daemon=True)
    thread.start()
    ready.wait()
    if "error" in result:
        thread.join()
        raise result["error"]
    try:
        yield result["served"]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
