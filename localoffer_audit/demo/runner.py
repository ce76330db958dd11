"""What the `demo` command does, as library functions it calls.

``prepare_demo_output`` writes, for a running demo, everything the auditor and the
other stages need into one folder: the config (localoffer-audit.toml), the ground-truth
manifest, the content-manager mapping CSV (plus the hosts file and CA the config points
at). ``run_demo`` serves a world, prepares the folder and returns; ``serve_until_stopped``
does the same and keeps serving until Ctrl-C.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from localoffer_audit.demo.server import RunningDemo, run_demo_in_thread
from localoffer_audit.demo.world import DemoWorld

CONFIG_NAME = "localoffer-audit.toml"
MANIFEST_NAME = "demo-manifest.json"
MANAGERS_NAME = "managers.csv"
# The demo's nights are a day apart, and night 2 plants taken-over provider sites
# (demo/repurposed.py) behind links that were OK on night 1: re-read every link each
# night, as a council that wants a takeover caught the next morning would set it. The
# default (7 days) would reuse night 1's OK results and never see the plants.
DEMO_LINK_SETTINGS = {"recheck_ok_after_days": 0}


@dataclass(frozen=True, slots=True)
class DemoOutput:
    folder: Path
    config_path: Path
    manifest_path: Path
    managers_path: Path
    hosts_file: Path
    ca_file: Path
    services: int
    links: int


def prepare_demo_output(demo: RunningDemo, out: Path) -> DemoOutput:
    """Write config, manifest and managers CSV for ``demo`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    managers = demo.write_managers_csv(out / MANAGERS_NAME)
    config = demo.write_config(out, name=CONFIG_NAME, links_extra=DEMO_LINK_SETTINGS)
    manifest = demo.manifest()
    manifest_path = out / MANIFEST_NAME
    import json

    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return DemoOutput(
        folder=out, config_path=config, manifest_path=manifest_path, managers_path=managers,
        hosts_file=demo.hosts_file, ca_file=demo.ca_file,
        services=manifest["counts"]["services"], links=manifest["counts"]["links"],
    )


def run_demo(out: Path, *, services: int = 400, seed: int = 1, day: int = 0,
             after_prepare: Callable[[RunningDemo, DemoOutput], None] | None = None) -> DemoOutput:
    """Serve a world, write the demo folder, run ``after_prepare`` (the pipeline, later), stop."""
    world = DemoWorld(seed=seed, services=services, day=day)
    with run_demo_in_thread(world, workdir=Path(out) / "demo-web") as demo:
        output = prepare_demo_output(demo, out)
        if after_prepare is not None:
            after_prepare(demo, output)
    return output


def serve_until_stopped(out: Path, *, services: int = 400, seed: int = 1, day: int = 0, port: int = 0,
                        on_ready: Callable[[RunningDemo, DemoOutput], None] | None = None,
                        stop: threading.Event | None = None) -> None:
    """Serve a world (writing the demo folder) until Ctrl-C or ``stop`` is set."""
    world = DemoWorld(seed=seed, services=services, day=day)
    stop = stop or threading.Event()
    with run_demo_in_thread(world, workdir=Path(out) / "demo-web", directory_port=port) as demo:
        output = prepare_demo_output(demo, out)
        if on_ready is not None:
            on_ready(demo, output)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
