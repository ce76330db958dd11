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


def check_stage(workdir: str, label: str, nofile: int, queue, total_timeout: float) -> None:  # one checking process
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
    # Tight timeouts keep the run short, but on a loaded machine slow (not hanging) hosts
    # then cross them by chance and the two runs' timeouts differ: --total-timeout widens them.
    settings = replace(settings_for(config), connect_timeout=total_timeout / 4, read_timeout=total_timeout * 3 / 4,
                       total_timeout=total_timeout, confirm_delay=1.0)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    summary = run_link_checks(db, config, settings=settings)
    wall = time.perf_counter() - started
    done.set()
    watcher.join()
    marks = " OR ".join("(COALESCE(error, '') || COALESCE(detail, '')) LIKE ?" for _ in LOCAL_ERROR_MARKERS)
    params = [f"%{m}%" for m in LOCAL_ERROR_MARKERS]
    # In the history, and as a link's current verdict (its last check).
    local = db.execute(f"SELECT COUNT(*) FROM link_checks WHERE {marks}", params).fetchone()[0]
    local_current = db.execute(
        f"SELECT COUNT(*) FROM links WHERE last_check_id IN (SELECT id FROM link_checks WHERE {marks})", params
    ).fetchone()[0]
    confirmed = db.execute(
        "SELECT COUNT(*) FROM links WHERE confirmed = 1 AND verdict IN ('broken', 'server_error', 'timeout')"
    ).fetchone()[0]
    by_verdict = dict(db.execute(
        "SELECT verdict, COUNT(*) FROM links WHERE confirmed = 1 AND verdict IN ('broken', 'server_error', 'timeout') "
        "GROUP BY verdict"
    ).fetchall())
    queue.put({
        "confirmed_broken": by_verdict.get("broken", 0),
        "confirmed_server_error": by_verdict.get("server_error", 0),
        "confirmed_timeout": by_verdict.get("timeout", 0),
        "load_1min": round(os.getloadavg()[0], 2),
        "label": label,
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "status": summary.status,
        "checked": summary.counts.get("checked"),
        "links": summary.counts.get("total"),
        "checker_errors": summary.counts.get("checker_errors"),
        "local_resource_stored": local,
        "local_resource_current": local_current,
        "confirmed_failures": confirmed,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_fds": peak["fds"],
        "wall_s": round(wall, 1),
    })


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--nofile", type=int, default=1024, help="open-file limit of the limited run")
    parser.add_argument("--total-timeout", type=float, default=4.0,
                        help="seconds per request (connect a quarter of it); wider is steadier on a loaded machine")
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
            multiprocessing.Process(target=check_stage, args=(workdir, label, nofile, queue, args.total_timeout))
            for label, nofile in (("unlimited", 0), ("limited", args.nofile))
        ]
        figures = {}
        # One after the other: run side by side on a small machine, the two stages' CPU
        # contention alone moves slow hosts across the timeouts and the counts differ.
        for run in runs:
            run.start()
            got = queue.get(timeout=3600)
            figures[got["label"]] = got
            run.join()
        stop.set()
        server.join(30)
    limited, unlimited = figures["limited"], figures["unlimited"]
    print(f"demo world: {args.services} services (seed 1); the two link stages run one after "
          f"the other, each in its own process over its own store; {args.total_timeout:g} s per request")
    print(f"{'':<48}{'no limit':>12}{'ulimit -n ' + str(args.nofile):>16}{'bound':>10}{'ratio (limited/bound)':>24}")

    def row(name: str, key: str, bound: float | None = None, unit: str = "") -> None:
        a, b = unlimited[key], limited[key]
        ratio = "" if bound is None else (f"{b / bound:.2f}" if bound else ("0" if b == 0 else "over"))
        shown = "" if bound is None else f"{bound:g}{unit}"
        print(f"  {name:<46}{a!s:>12}{b!s:>16}{shown:>10}{ratio:>24}")

    row("open-file soft limit", "nofile")
    row("links", "links")
    row("checked", "checked")
    row("stage status", "status")
    row("wall time (s)", "wall_s")
    row("left unverified (checker's own faults)", "checker_errors")
    row("checks stored with a local-resource error", "local_resource_stored", 0)
    row("links whose verdict is a local-resource error", "local_resource_current", 0)
    row("confirmed failures", "confirmed_failures")
    row("  of which broken", "confirmed_broken")
    row("  of which server_error", "confirmed_server_error")
    row("  of which timeout (load-sensitive)", "confirmed_timeout")
    row("load average at the end (1 min)", "load_1min")
    row("peak RSS (MB)", "peak_rss_mb", 250)
    row("peak open file descriptors", "peak_fds", 600)
    same = limited["confirmed_failures"] == unlimited["confirmed_failures"]
    print(f"confirmed failures with the limit vs without: {limited['confirmed_failures']} vs "
          f"{unlimited['confirmed_failures']} ({'equal' if same else 'DIFFERENT'})")
    within = all(f["peak_rss_mb"] <= 250 and f["peak_fds"] <= 600 for f in (limited, unlimited))
    print(f"peak RSS and open files within their bounds in both runs: {'yes' if within else 'NO'}")
    ok = limited["local_resource_stored"] == 0 and limited["local_resource_current"] == 0 and same and within
    return 0 if ok else 2


if __name__ == "__main__":
    raise SystemExit(main())
