"""`scrapy crawl <spider>` from the checkout: the real crawl, as `localoffer-audit crawl`.

A spider run bare by Scrapy has no config, no database and no run record: it would fetch
nothing and report success. So this command, which replaces Scrapy's own `crawl` in the
project scrapy.cfg declares, reads the config named by LOCALOFFER_AUDIT_CONFIG, checks
that the spider named is the config's platform, and runs `localoffer-audit crawl` (the
run lock, a crawl process, the completeness verdict, the same exit codes).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from localoffer_audit.config import CONFIG_ENV_VAR, load_config
from localoffer_audit.errors import AuditError


class Command(ScrapyCommand):
    requires_project = True
    # The crawl runs in a process of its own (crawl/child.py); none is needed here.
    requires_crawler_process = False

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        # Declared so that Scrapy's usual spider arguments are recognised, then refused.
        parser.add_argument("-a", dest="spargs", action="append", default=[], metavar="NAME=VALUE")

    def syntax(self) -> str:
        return "<spider>"

    def short_desc(self) -> str:
        return f"Crawl the directory in ${CONFIG_ENV_VAR} into its database (as `localoffer-audit crawl`)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("name one spider: auto, fsd, oruk or generic")
        # Spider arguments and settings would not reach the crawl (it reads the config
        # file only): refused rather than silently ignored.
        if getattr(opts, "set", None) or getattr(opts, "spargs", None):
            raise UsageError("-s and -a are not used here: put crawl settings in the config file")
        config_path = os.environ.get(CONFIG_ENV_VAR)
        if not config_path:
            raise UsageError(
                f"set {CONFIG_ENV_VAR} to the config file: this crawl stores what it reads in the "
                "config's database, like `localoffer-audit crawl`"
            )
        try:
            platform: str | None = load_config(Path(config_path)).directory.platform
        except AuditError:
            platform = None  # a missing or bad config: main() below says so in one line
        if platform not in (None, "auto") and args[0] != platform:
            raise UsageError(f"the config's [directory] platform is {platform!r}: run `scrapy crawl {platform}`")
        # `localoffer-audit crawl` itself, in a process of its own (Scrapy's reactor starts
        # once per process, and the commands never import the CLI above them): its output
        # is this command's, and its exit code (0, 1, 4 or 5) becomes Scrapy's.
        done = subprocess.run([sys.executable, "-m", "localoffer_audit", "--config", config_path, "crawl"], check=False)
        self.exitcode = done.returncode
