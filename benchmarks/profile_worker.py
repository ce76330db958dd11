"""Run a national worker under yappi (CPU clock, every thread), for bench_national.py
--profile: the worker's jobs run partly on its event loop (link batches) and partly in
threads (crawl and plan, finish), which cProfile (main thread, wall clock) does not see.

    python benchmarks/profile_worker.py OUT.pstats -- <localoffer-audit arguments>

Needs `pip install yappi` (a benchmark tool, not a dependency of the package).
"""

from __future__ import annotations

import sys


def main() -> None:
    out, separator, *arguments = sys.argv[1:]
    if separator != "--":
        raise SystemExit(__doc__)
    import yappi

    from localoffer_audit.cli import main as cli

    yappi.set_clock_type("cpu")
    yappi.start(builtins=True)
    try:
        cli.main(args=arguments, prog_name="localoffer-audit", standalone_mode=False)
    finally:
        yappi.stop()
        yappi.get_func_stats().save(out, type="pstat")


if __name__ == "__main__":
    main()
