"""The demo world: a realistic Local Offer directory and outside web on loopback.

Imported only by the ``demo`` command, tests and benchmarks; nothing in the pipeline
knows it exists. See docs/demo.md.

    world = DemoWorld(seed=1, services=400)
    with run_demo_in_thread(world, day=0) as demo:
        demo.fsd_start_url, demo.oruk_v1_url, demo.hosts_file, demo.port_map, demo.ca_file
        demo.manifest(); demo.config_dict(output_dir); demo.set_day(1); demo.request_log

    worlds = [DemoWorld(seed=s, services=40, council=name) for s, name in ...]
    with run_region_in_thread(worlds) as region:   # one outside web for all (region.py)
        region.councils[0].write_config(...); region.request_log
"""

from localoffer_audit.demo.manifest import build_manifest, write_manifest
from localoffer_audit.demo.managers import manager_for, manager_rows
from localoffer_audit.demo.outside import RequestLog
from localoffer_audit.demo.region import SharedWeb
from localoffer_audit.demo.server import (
    RunningDemo,
    RunningRegion,
    run_demo_in_thread,
    run_region_in_thread,
    serve_demo,
    serve_region,
    to_toml,
    write_hosts_file,
)
from localoffer_audit.demo.world import DemoWorld

__all__ = [
    "DemoWorld",
    "RequestLog",
    "RunningDemo",
    "RunningRegion",
    "SharedWeb",
    "build_manifest",
    "manager_for",
    "manager_rows",
    "run_demo_in_thread",
    "run_region_in_thread",
    "serve_demo",
    "serve_region",
    "to_toml",
    "write_hosts_file",
    "write_manifest",
]
