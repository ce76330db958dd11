"""Scrapy settings for `scrapy list` / `scrapy crawl` run from the repository root.

`localoffer-audit crawl` builds its settings from the config file instead
(``localoffer_audit.crawl`` owns that); these are the polite defaults both start from.
`scrapy crawl <spider>` is replaced (COMMANDS_MODULE) by one that runs that real crawl
with the config named by LOCALOFFER_AUDIT_CONFIG: a bare spider would store nothing.

The politeness values are the [crawl] defaults, read from ``CrawlConfig`` (the one place
they are written), so `scrapy list` and a crawl with an empty [crawl] section agree.
"""

from localoffer_audit.config import CrawlConfig

# Lower case: Scrapy reads every upper-case name of this module as a setting.
_defaults = CrawlConfig()

BOT_NAME = "localoffer_audit"
SPIDER_MODULES = ["localoffer_audit.spiders"]
NEWSPIDER_MODULE = "localoffer_audit.spiders"
COMMANDS_MODULE = "localoffer_audit.commands.scrapy_project"
ROBOTSTXT_OBEY = _defaults.obey_robots_txt
USER_AGENT = _defaults.user_agent
CONCURRENT_REQUESTS_PER_DOMAIN = _defaults.concurrent_requests_per_domain
DOWNLOAD_DELAY = _defaults.download_delay_seconds
AUTOTHROTTLE_ENABLED = _defaults.autothrottle
# The delay AutoThrottle may grow to for a slow or failing directory (crawl/scrapy_settings.py).
AUTOTHROTTLE_MAX_DELAY = _defaults.autothrottle_max_delay_seconds
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
