"""The link stage on the demo world under an open-file limit (issue 13, items 1 and 2).

The demo world (N services) is served from its own process; each link stage runs in a
fresh process of its own over a fresh SQLite store filled from the manifest's links (as
the crawl would store them), once without a limit and once with RLIMIT_NOFILE set (with
``resource.setrlimit``, in the checking process) to --nofile (1,024: systemd's and cron's
usual default). Each prints: links stored with a local-resource error as their verdict
(must be 0), links left unverified by the checker's own faults, confirmed failures,
peak RSS of the checking process and peak open file descriptors (sampled from
/proc/self/fd every 20 ms).

    python benchmarks/bench_links_limits.py                   # 5,000 services, limit 1,024
    python benchmarks/bench_links_limits.py --services 2000 --nofile 512
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

LOCAL_ERROR_MARKERS = ("Too many open files", "EMFILE", "ENFILE", "ENOMEM", "ENOBUFS", "No buffer space", "Cannot allocate memory")


def serve_demo(services: int, workdir: str, ready, stop) -> None:  # the demo's own process
    from localoffer_audit import demo

    with demo.run_demo_in_thread(demo.DemoWorld(seed=1, services=services), workdir=Path(workdir) / "demo") as running:
        Path(workdir, "manifest.json").write_text(json.dumps(running.manifest()))
        Path(workdir, "config.json").write_text(json.dumps(running.config_dict(Path(workdir) / "out"), default=str))
        ready.set()
        stop.wait()


def check_stage(workdir: str, label: str, nofile: int, queue) -> None:  # one checking process
    from localoffer_audit.links.stage import run_link_checks, settings_for
    from localoffer_audit.config import config_from_dict
    from localoffer_audit.store.db import open_db

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.test_links_demo_stage import fill_store_from_manifest

    if nofile:
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))
    peak = {"fds": 0}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                peak["fds"] = max(peak["fds"], len(os.listdir("/proc/self/fd")))
            except OSError:  # out of descriptors itself: the limit is the peak
                peak["fds"] = max(peak["fds"], resource.getrlimit(resource.RLIMIT_NOFILE)[0])
            time.sleep(0.02)

    manifest = json.loads(Path(workdir, "manifest.json").read_text())
    config = config_from_dict(json.loads(Path(workdir, "config.json").read_text()))
    db = open_db(Path(workdir) / f"{label}.db")
    fill_store_from_manifest(db, manifest)
    del manifest
    settings = replace(settings_for(config), connect_timeout=1.0, read_timeout=3.0, total_timeout=4.0, confirm_delay=1.0)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    summary = run_link_checks(db, config, settings=settings)
    wall = time.perf_counter() - started
    done.set()
    watcher.join()
    marks = " OR ".join("(COALESCE(error, '') || COALESCE(detail, '')) LIKE ?" for _ in LOCAL_ERROR_MARKERS)
    local = db.execute(f"SELECT COUNT(*) FROM link_checks WHERE {marks}", [f"%{m}%" for m in LOCAL_ERROR_MARKERS]).fetchone()[0]
    confirmed = db.execute(
        "SELECT COUNT(*) FROM links WHERE confirmed = 1 AND verdict IN ('broken', 'server_error', 'timeout')"
    ).fetchone()[0]
    queue.put({
        "label": label,
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "status": summary.status,
        "checked": summary.counts.get("checked"),
        "links": summary.counts.get("total"),
        "checker_errors": summary.counts.get("checker_errors"),
        "local_resource_stored": local,
        "confirmed_failures": confirmed,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_fds": peak["fds"],
        "wall_s": round(wall, 1),
    })


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--nofile", type=int, default=1024, help="open-file limit of the limited run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        ready, stop = multiprocessing.Event(), multiprocessing.Event()
        server = multiprocessing.Process(target=serve_demo, args=(args.services, workdir, ready, stop), daemon=True)
        server.start()
        if not ready.wait(600):
            print("the demo did not start", file=sys.stderr)
            return 1
        queue: multiprocessing.Queue = multiprocessing.Queue()
        runs = [
            multiprocessing.Process(target=check_stage, args=(workdir, label, nofile, queue))
            for label, nofile in (("unlimited", 0), ("limited", args.nofile))
        ]
        for run in runs:
            run.start()
        figures = {}
        for _ in runs:
            got = queue.get(timeout=3600)
            figures[got["label"]] = got
        for run in runs:
            run.join()
        stop.set()
        server.join(30)
    print(f"demo world        {args.services} services (seed 1); both stages run at the same time")
    for label in ("unlimited", "limited"):
        f = figures[label]
        print(f"{label:<17} open-file limit {f['nofile']}, {f['links']} links, {f['checked']} checked, status {f['status']}, "
              f"{f['wall_s']} s")
        print(f"  stored with a local-resource error  {f['local_resource_stored']}  (must be 0)")
        print(f"  left unverified by checker faults   {f['checker_errors']}")
        print(f"  confirmed failures                  {f['confirmed_failures']}")
        print(f"  peak RSS                            {f['peak_rss_mb']} MB  (target < 250)")
        print(f"  peak open file descriptors          {f['peak_fds']}  (target < 600)")
    limited, unlimited = figures["limited"], figures["unlimited"]
    same = limited["confirmed_failures"] == unlimited["confirmed_failures"]
    print(f"confirmed failures with the limit vs without: {limited['confirmed_failures']} vs {unlimited['confirmed_failures']}"
          f" ({'same' if same else 'DIFFERENT'})")
    ok = limited["local_resource_stored"] == 0 and same
    return 0 if ok else 2


if __name__ == "__main__":
    raise SystemExit(main())
