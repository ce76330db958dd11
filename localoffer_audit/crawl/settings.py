"""Scrapy settings for `scrapy list` / `scrapy crawl` run from the repository root.

`localoffer-audit crawl` builds its settings from the config file instead
(``localoffer_audit.crawl`` owns that); these are the polite defaults both start from.
`scrapy crawl <spider>` is replaced (COMMANDS_MODULE) by one that runs that real crawl
with the config named by LOCALOFFER_AUDIT_CONFIG: a bare spider would store nothing.
"""

BOT_NAME = "localoffer_audit"
SPIDER_MODULES = ["localoffer_audit.spiders"]
NEWSPIDER_MODULE = "localoffer_audit.spiders"
COMMANDS_MODULE = "localoffer_audit.commands.scrapy_project"
ROBOTSTXT_OBEY = True
USER_AGENT = "localoffer-audit (Local Offer link and content checker)"
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
# The delay AutoThrottle may grow to for a slow or failing directory (crawl/scrapy_settings.py).
AUTOTHROTTLE_MAX_DELAY = 10.0
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
