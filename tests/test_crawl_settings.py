"""The Scrapy settings built from `[crawl]`: the right values, names Scrapy knows, the
components they switch on, and their effect on a loopback directory."""

from __future__ import annotations

from pathlib import Path

import pytest
import scrapy.settings.default_settings as scrapy_defaults
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.extensions.throttle import AutoThrottle
from scrapy.utils.test import get_crawler

from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.middleware import PrivateAddressMiddleware
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.crawl.scrapy_settings import RETRY_HTTP_CODES, scrapy_settings
from localoffer_audit.models import RunStatus
from localoffer_audit.spiders.fsd import FsdSpider

from .support.crawl_sites import FakeSite, crawl_config, fsd_start, serve

POLITE = {
    "obey_robots_txt": True,
    "autothrottle": True,
    "concurrent_requests_per_domain": 3,
    "download_delay_seconds": 1.5,
    "retries": 4,
    "timeout_seconds": 20,
    "max_page_bytes": 3_000_000,
    "max_run_minutes": 90,
    "user_agent": "localoffer-audit (Eastshire County Council Local Offer audit)",
    "contact_url": "https://www.eastshire.gov.uk/localoffer/contact",
}


def settings_for(**crawl):
    config = config_from_dict({"directory": {"start_urls": ["https://directory.eastshire.gov.uk/"]}, "crawl": crawl})
    return scrapy_settings(config, Path("audit.db"), run_id=7)


def test_politeness_comes_from_the_config():
    settings = settings_for(**POLITE)
    assert {key: settings[key] for key in (
        "ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY",
        "RETRY_ENABLED", "RETRY_TIMES", "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE", "CLOSESPIDER_TIMEOUT",
    )} == {
        "ROBOTSTXT_OBEY": True, "AUTOTHROTTLE_ENABLED": True, "CONCURRENT_REQUESTS_PER_DOMAIN": 3,
        "DOWNLOAD_DELAY": 1.5, "RETRY_ENABLED": True, "RETRY_TIMES": 4, "DOWNLOAD_TIMEOUT": 20,
        "DOWNLOAD_MAXSIZE": 3_000_000, "CLOSESPIDER_TIMEOUT": 90 * 60,
    }
    # AutoThrottle starts no faster than the configured delay and aims at one request in
    # flight (the default target), within the per-domain limit.
    assert settings["AUTOTHROTTLE_START_DELAY"] == 1.5 and settings["AUTOTHROTTLE_TARGET_CONCURRENCY"] == 1.0
    assert settings["USER_AGENT"] == (
        "localoffer-audit (Eastshire County Council Local Offer audit) (+https://www.eastshire.gov.uk/localoffer/contact)"
    )
    assert 429 in settings["RETRY_HTTP_CODES"] and 503 in settings["RETRY_HTTP_CODES"]
    assert (settings["COOKIES_ENABLED"], settings["REDIRECT_MAX_TIMES"]) == (False, 10)


def test_the_defaults_are_polite():
    settings = settings_for()
    assert (settings["ROBOTSTXT_OBEY"], settings["AUTOTHROTTLE_ENABLED"]) == (True, True)
    # One request in flight on average, two at most, 10 a second at most (docs/crawl.md).
    assert (settings["CONCURRENT_REQUESTS_PER_DOMAIN"], settings["RETRY_TIMES"], settings["DOWNLOAD_DELAY"]) == (2, 2, 0.1)
    assert settings["AUTOTHROTTLE_TARGET_CONCURRENCY"] == 1.0


def test_no_retries_switches_retrying_off():
    assert settings_for(retries=0)["RETRY_ENABLED"] is False


def test_every_setting_is_one_scrapy_knows():
    # A misspelt name (AUTOTHROTTLE_ENABLE) would be silently ignored by Scrapy.
    ours = {key for key in settings_for(**POLITE) if not key.startswith("LOCALOFFER_")}
    assert ours - set(dir(scrapy_defaults)) == set()


@pytest.mark.parametrize("polite", [True, False])
def test_the_settings_switch_the_components_on_and_off(polite):
    settings = settings_for(**{**POLITE, "obey_robots_txt": polite, "autothrottle": polite})
    crawler = get_crawler(FsdSpider, settings)
    crawler._apply_settings()
    assert any(isinstance(ext, AutoThrottle) for ext in crawler.extensions.middlewares) is polite
    middlewares = DownloaderMiddlewareManager.from_crawler(crawler).middlewares
    assert any(isinstance(m, RobotsTxtMiddleware) for m in middlewares) is polite
    [retry] = [m for m in middlewares if isinstance(m, RetryMiddleware)]
    assert retry.max_retry_times == 4 and set(RETRY_HTTP_CODES) <= retry.retry_http_codes
    # Our private-address guard runs before robots.txt is asked for or anything downloaded.
    ours = next(i for i, m in enumerate(middlewares) if isinstance(m, PrivateAddressMiddleware))
    assert all(ours < i for i, m in enumerate(middlewares) if isinstance(m, RobotsTxtMiddleware | RetryMiddleware))


def test_the_total_limit_is_the_per_domain_limit_for_each_directory_host():
    assert settings_for(concurrent_requests_per_domain=3)["CONCURRENT_REQUESTS"] == 3
    config = config_from_dict({"directory": {"start_urls": [
        "https://directory.eastshire.gov.uk/a", "https://directory.eastshire.gov.uk/b", "https://localoffer.eastshire.gov.uk/",
    ]}, "crawl": {"concurrent_requests_per_domain": 3}})
    assert scrapy_settings(config, Path("audit.db"), run_id=1)["CONCURRENT_REQUESTS"] == 6


def test_retries_carry_a_passing_503_and_without_them_it_is_an_error(tmp_path):
    site = FakeSite(services=5, flaky={3})
    with serve(site) as base:
        retried = run_crawl(config_from_dict(crawl_config(fsd_start(base), retries=1)), tmp_path / "a.db")
        site.requests.clear()
        once = run_crawl(config_from_dict(crawl_config(fsd_start(base), retries=0)), tmp_path / "b.db")
    assert retried.status == RunStatus.COMPLETE and retried.counts["errors"] == 0
    assert once.counts["service_page_errors"] == 1 and any("HTTP 503" in m for m in once.messages)


@pytest.mark.parametrize("per_domain", [1, 3])
def test_per_domain_concurrency_caps_requests_at_once(tmp_path, per_domain):
    # No delay and no AutoThrottle: the limit alone holds the crawl back.
    site = FakeSite(services=12, service_delay=0.2)
    with serve(site) as base:
        summary = run_crawl(
            config_from_dict(crawl_config(fsd_start(base), concurrent_requests_per_domain=per_domain)), tmp_path / "a.db"
        )
    assert summary.status == RunStatus.COMPLETE and summary.counts["services_seen"] == 12
    assert site.peak_in_flight == per_domain


def test_autothrottle_paces_by_the_servers_answers_within_configured_bounds():
    default = settings_for()
    # By default AutoThrottle aims at one request in flight and backs off up to 10 s.
    assert (default["AUTOTHROTTLE_TARGET_CONCURRENCY"], default["AUTOTHROTTLE_MAX_DELAY"]) == (1.0, 10)
    # Without a target it aims at the per-domain limit.
    assert settings_for(autothrottle_target_concurrency=None, concurrent_requests_per_domain=3)[
        "AUTOTHROTTLE_TARGET_CONCURRENCY"] == 3.0
    settings = settings_for(download_delay_seconds=0.05, autothrottle_target_concurrency=8,
                            autothrottle_max_delay_seconds=7)
    crawler = get_crawler(FsdSpider, settings)
    crawler._apply_settings()
    [throttle] = [ext for ext in crawler.extensions.middlewares if isinstance(ext, AutoThrottle)]
    assert throttle.target_concurrency == 8.0
    assert (throttle._min_delay(), throttle._max_delay()) == (0.05, 7.0)
    # A maximum below the minimum delay is never used: the minimum wins.
    assert settings_for(download_delay_seconds=12, autothrottle_max_delay_seconds=5)["AUTOTHROTTLE_MAX_DELAY"] == 12


def test_each_delay_is_kept_exactly_not_varied():
    # Scrapy's own default varies each delay from half to one and a half times: two
    # requests to the directory could be sent half the delay apart (docs/crawl.md).
    from scrapy.core.downloader import Slot, _default_jitter

    crawler = get_crawler(FsdSpider, settings_for())
    crawler._apply_settings()
    # What the downloader gives every slot that sets none of its own (Scrapy 2.19).
    jitter = _default_jitter(crawler.settings)
    slot = Slot(2, crawler.settings.getfloat("DOWNLOAD_DELAY"), jitter=jitter)
    assert jitter == 0.0
    assert {slot.download_delay() for _ in range(200)} == {0.1}


def _default_pace_crawl(site: FakeSite, db: Path) -> None:
    """Crawl ``site`` on the project's default pace (the test config's fast pace removed)."""
    with serve(site) as base:
        data = crawl_config(fsd_start(base))
        for key in ("download_delay_seconds", "autothrottle", "concurrent_requests_per_domain"):
            data["crawl"].pop(key)
        summary = run_crawl(config_from_dict(data), db)
    assert summary.status == RunStatus.COMPLETE and summary.counts["services_seen"] == site.services


def _mean_gap(times: list[tuple[float, float]]) -> float:
    """Mean time between two service pages arriving at the server."""
    starts = sorted(arrived for arrived, _ in times)
    return (starts[-1] - starts[0]) / (len(starts) - 1)


def _in_flight(times: list[tuple[float, float]]) -> tuple[float, int]:
    """(mean, peak) service pages being answered at once, as the server saw them."""
    busy = sum(answered - arrived for arrived, answered in times)
    span = max(answered for _, answered in times) - min(arrived for arrived, _ in times)
    events = sorted([(arrived, 1) for arrived, _ in times] + [(answered, -1) for _, answered in times])
    peak = now = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return busy / span, peak


def test_the_default_pace_follows_the_servers_latency(tmp_path):
    # Server-side figures only, and only lower bounds on the spacing: a slow machine
    # (ours) can only spread the requests further apart, never fail these.
    default = config_from_dict({"directory": {"start_urls": ["https://d.example/"]}}).crawl
    instant, slow = FakeSite(services=14), FakeSite(services=14, service_delay=0.5)
    _default_pace_crawl(instant, tmp_path / "instant.db")
    _default_pace_crawl(slow, tmp_path / "slow.db")
    # An instant directory is asked no faster than one page per download_delay_seconds
    # (every gap: test_each_delay_is_kept_exactly_not_varied), never more than the
    # per-domain limit at once.
    assert _mean_gap(instant.service_times) >= 0.95 * default.download_delay_seconds
    assert _in_flight(instant.service_times)[1] <= default.concurrent_requests_per_domain
    # One taking 0.5 s a page is asked about once per 0.5 s once its first answers are in
    # (AutoThrottle: latency / target concurrency 1), so it works on one of our requests at a
    # time on average. On the old pace (target = the per-domain limit) it had two at once.
    assert _mean_gap(sorted(slow.service_times)[2:]) >= 0.7 * slow.service_delay
    mean, peak = _in_flight(slow.service_times)
    assert mean <= 1.5 and peak <= default.concurrent_requests_per_domain
