"""The crawl process: ``python -m localoffer_audit.crawl.child JOB.json``.

Scrapy's reactor starts once per process, so every crawl runs here, in a process of
its own, started by ``runner.run_crawl``. The job file holds the validated config (as
JSON), the database path and the run id. Items go to the database through the
pipeline; progress and the final result go to stdout as JSON lines (see report.py).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from scrapy.crawler import CrawlerProcess

from ..config import config_from_dict
from .report import CrawlReport
from .scrapy_settings import scrapy_settings


def spider_class(platform: str) -> type:
    if platform == "oruk":
        from localoffer_audit.spiders.oruk import OrukSpider

        return OrukSpider
    if platform == "generic":
        from localoffer_audit.spiders.generic import GenericSpider

        return GenericSpider
    from localoffer_audit.spiders.fsd import FsdSpider

    return FsdSpider


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    config = config_from_dict(job["config"])
    report = CrawlReport(stream=sys.stdout)
    settings = scrapy_settings(config, Path(job["db_path"]), int(job["run_id"]))
    process = CrawlerProcess(settings, install_root_handler=False)
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
