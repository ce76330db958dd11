"""Scrapy settings built from the config file: politeness, bounds, our pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from localoffer_audit.config import Config
from localoffer_audit.crawl import settings as project_settings

# Statuses retried before a page counts as failed (Scrapy's defaults plus 429).
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]


def user_agent(config: Config) -> str:
    agent = config.crawl.user_agent
    if config.crawl.contact_url and config.crawl.contact_url not in agent:
        agent = f"{agent} (+{config.crawl.contact_url})"
    return agent


def directory_hosts(config: Config) -> set[str]:
    """The hosts of the start URLs: the only ones the spiders fetch (at least one)."""
    return set(config.directory.hosts()) or {""}


def scrapy_settings(config: Config, db_path: Path, run_id: int) -> dict[str, Any]:
    crawl = config.crawl
    return {
        "BOT_NAME": project_settings.BOT_NAME,
        "SPIDER_MODULES": [],
        "USER_AGENT": user_agent(config),
        "ROBOTSTXT_OBEY": crawl.obey_robots_txt,
        # The crawl fetches only the directory's own hosts, so the total limit is the
        # per-domain one times those hosts. It is what holds each host to its limit:
        # Scrapy's downloader (2.19, asyncio) starts every queued request of a slot at
        # once when no delay applies (it counts them as transferring only after they
        # start), while the total limit is counted before a request is handed over.
        "CONCURRENT_REQUESTS": crawl.concurrent_requests_per_domain * len(directory_hosts(config)),
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain,
        # The pace is the server's: AutoThrottle sets the delay between two requests to
        # the directory from its latency (latency / target concurrency), so a slow or
        # struggling server is asked less often (error answers never shorten the delay),
        # and an instant one is crawled at the configured maximum rate: one request per
        # DOWNLOAD_DELAY (Scrapy never waits less than it, whatever the concurrency).
        "DOWNLOAD_DELAY": crawl.download_delay_seconds,
        # Each delay exactly as set. Scrapy's default varies it from half to one and a half
        # times (to hide a crawler's regular timing, which this one does not hide: its
        # User-Agent says what it is), so it sometimes asked twice in half the delay; and
        # as it draws the delay again each time it looks, the gaps averaged 1.23 times the
        # delay (bench_demo.py, 400 services: 57 s for 459 pages at 0.1 s).
        "DOWNLOAD_DELAY_JITTER": 0.0,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay_seconds, 0.25),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(
            crawl.autothrottle_target_concurrency or crawl.concurrent_requests_per_domain
        ),
        "AUTOTHROTTLE_MAX_DELAY": max(crawl.autothrottle_max_delay_seconds, crawl.download_delay_seconds),
        "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
        # The whole crawl is bounded too: Scrapy closes with reason closespider_timeout.
        "CLOSESPIDER_TIMEOUT": crawl.max_run_minutes * 60,
        # ...and so is the number of pages fetched (reason closespider_pagecount).
        "CLOSESPIDER_PAGECOUNT": crawl.max_pages,
        "RETRY_ENABLED": crawl.retries > 0,
        "RETRY_TIMES": crawl.retries,
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        # Bigger bodies are cancelled (and reported) instead of filling memory.
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": 10,
        # Every status reaches the spider: a 404 service page is a finding, not noise.
        "HTTPERROR_ALLOW_ALL": True,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        # The crawl's process sets up its own logging (crawl/child.py).
        "LOG_INSTALL_ROOT_HANDLER": False,
        "LOG_STDOUT": False,
        "MEMUSAGE_ENABLED": False,
        "DOWNLOADER_MIDDLEWARES": {"localoffer_audit.crawl.middleware.PrivateAddressMiddleware": 50},
        "ITEM_PIPELINES": {"localoffer_audit.crawl.pipeline.StorePipeline": 300},
        # Scrapy starts this many asyncio tasks for every callback's output (its default,
        # 100, made 100 tasks per record page that yields one item): the store pipeline is
        # synchronous, so more than one only costs CPU (benchmarks/profile_crawl.py).
        "CONCURRENT_ITEMS": 1,
        "LOCALOFFER_ALLOW_PRIVATE_ADDRESSES": crawl.allow_private_addresses,
        "LOCALOFFER_DB_PATH": str(db_path),
        "LOCALOFFER_RUN_ID": run_id,
        **_http_auth(config),
    }


def _http_auth(config: Config) -> dict[str, Any]:
    """Basic auth for a directory behind a login: sent only to the directory's own host
    (one start host), the password read from the environment, never from a URL."""
    directory = config.directory
    if not directory.http_username:
        return {}
    # Scrapy compares this with the URL's host[:port] (and its subdomains).
    netlocs = sorted({urlsplit(url).netloc.lower() for url in directory.start_urls})
    return {
        "HTTPAUTH_USER": directory.http_username,
        "HTTPAUTH_PASS": directory.http_password() or "",
        "HTTPAUTH_DOMAIN": netlocs[0] if len(netlocs) == 1 else None,
    }
