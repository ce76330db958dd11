"""The crawl process: ``python -m localoffer_audit.crawl.child JOB.json``.

Scrapy's reactor starts once per process, so every crawl runs here, in a process of
its own, started by ``runner.run_crawl``. The job file holds the validated config (as
JSON), the database path and the run id. Items go to the database through the
pipeline; progress and the final result go to stdout as JSON lines (see report.py).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

from scrapy.crawler import CrawlerProcess

from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.report import CrawlReport
from localoffer_audit.crawl.scrapy_settings import scrapy_settings
from localoffer_audit.malloc import hold_mmap_threshold


def spider_class(platform: str) -> type:
    if platform == "auto":
        from localoffer_audit.spiders.auto import AutoSpider

        return AutoSpider
    if platform == "oruk":
        from localoffer_audit.spiders.oruk import OrukSpider

        return OrukSpider
    if platform == "generic":
        from localoffer_audit.spiders.generic import GenericSpider

        return GenericSpider
    from localoffer_audit.spiders.fsd import FsdSpider

    return FsdSpider


# How often the crawl process checks that the process which started it is still there.
PARENT_CHECK_SECONDS = 0.5


def exit_when_orphaned(parent_pid: int, interval: float = PARENT_CHECK_SECONDS) -> threading.Thread:
    """End this process soon after its parent is gone.

    The parent holds the run lock; when it dies (killed alone, e.g. by the OOM killer or
    a service manager that kills the main process only) the kernel frees the lock, and a
    new run may start while this crawl would still be writing to the same database. So
    the crawl stops instead: an unfinished write is rolled back by SQLite, and the next
    run marks this one as interrupted.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        print("the process that started this crawl has gone; stopping", file=sys.stderr, flush=True)
        os._exit(3)  # noqa: SLF001 - no cleanup may run: another run may own the database now

    watcher = threading.Thread(target=watch, name="parent-watch", daemon=True)
    watcher.start()
    return watcher


def main(argv: list[str]) -> int:
    hold_mmap_threshold()  # large freed buffers go back to the system (malloc.py)
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    # The pid the parent wrote, not getppid(): on a loaded machine the imports above can
    # outlast a parent that was killed meanwhile, and getppid() would name its adopter.
    exit_when_orphaned(int(job.get("parent_pid") or os.getppid()))
    config = config_from_dict(job["config"])
    report = CrawlReport(stream=sys.stdout)
    settings = scrapy_settings(config, Path(job["db_path"]), int(job["run_id"]))
    process = CrawlerProcess(settings)  # LOG_INSTALL_ROOT_HANDLER off: logging is set up below
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    for name in ("scrapy", "twisted", "py.warnings"):
        logging.getLogger(name).setLevel(logging.WARNING)
    crawler = process.create_crawler(spider_class(config.directory.platform))
    process.crawl(crawler, config=config, report=report)
    process.start()
    finish_reason = str(crawler.stats.get_value("finish_reason") or "unknown") if crawler.stats else "unknown"
    report.emit(force=True)
    report.finish(finish_reason)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
