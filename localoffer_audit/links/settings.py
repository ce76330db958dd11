"""Everything one link-check run needs, as plain values (no globals, no config object).

``LinkCheckSettings`` is what ``check_urls`` takes, so a job queue can later hand a
slice of hosts to another machine with the same politeness limits.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from typing import TYPE_CHECKING

from localoffer_audit import __version__
from localoffer_audit.config import LinksConfig
from localoffer_audit.links.resolver import ResolverPolicy, read_hosts_file

if TYPE_CHECKING:
    from localoffer_audit.config import Config

log = logging.getLogger(__name__)


def default_user_agent(config: Config) -> str:
    """Names the audit tool, the council's directory and a contact page.

    Some servers refuse any User-Agent containing "link" (they take it for a link
    spammer), so the name of the tool is used and the word is avoided.
    """
    contact = config.crawl.contact_url
    detail = f"{config.directory.name} audit" + (f"; +{contact}" if contact else "")
    return f"localoffer-audit/{__version__} ({detail})"


def directory_hosts_to_trust(config: Config) -> frozenset[str]:
    """The directory's own hosts, when the crawl is allowed to fetch private addresses.

    A council whose directory sits on an internal address says so with
    ``[crawl] allow_private_addresses``; links from entries back to the directory's own
    pages are then fetched too, rather than reported as ``internal_address``.
    """
    if not config.crawl.allow_private_addresses:
        return frozenset()
    return config.directory.hosts()


def directory_ports_to_trust(config: Config) -> dict[str, frozenset[int]]:
    """The ports of the directory's own origins, per trusted host: the exemption holds
    only there (another service on the same machine is not the directory)."""
    if not config.crawl.allow_private_addresses:
        return {}
    ports: dict[str, set[int]] = {}
    for url in config.directory.start_urls:
        parts = urlsplit(url)
        if parts.hostname:
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:
                continue
            ports.setdefault(parts.hostname.lower(), set()).add(port)
    return {host: frozenset(found) for host, found in ports.items()}


def user_agent_for(config: Config) -> str:
    agent = config.links.user_agent or default_user_agent(config)
    if re.search(r"link", agent, re.I):
        log.warning("The link checker's User-Agent contains 'link'; some servers refuse such agents: %s", agent)
    return agent


# A compressed body is decompressed up to this many times max_body_bytes; the rest is
# not read (a decompression bomb cannot fill memory).
DECODED_BYTES_PER_BODY_BYTE = 4

# The [links] defaults, written once in LinksConfig: a LinkCheckSettings built by hand
# (a test, a benchmark) starts from the same values as one built from a config file.
_LINKS = LinksConfig()


@dataclass(frozen=True, slots=True)
class LinkCheckSettings:
    """The fields named as in [links] take their defaults from ``LinksConfig``; the
    others (user agent, trust, file-descriptor share, keep-alive) are the checker's own."""

    user_agent: str = f"localoffer-audit/{__version__}"
    concurrency: int = _LINKS.concurrency
    per_host: int = _LINKS.per_host
    per_host_delay: float = _LINKS.per_host_delay_seconds
    # Connect (also each name lookup), first byte (and any later pause between reads),
    # whole request: why these values, docs/verdicts.md "Timeouts".
    connect_timeout: float = _LINKS.connect_timeout_seconds
    read_timeout: float = _LINKS.read_timeout_seconds
    total_timeout: float = _LINKS.total_timeout_seconds
    max_redirects: int = _LINKS.max_redirects
    max_body_bytes: int = _LINKS.max_body_bytes
    max_decoded_bytes: int = _LINKS.max_body_bytes * DECODED_BYTES_PER_BODY_BYTE
    retries: int = _LINKS.retries
    backoff: float = _LINKS.backoff_seconds
    max_retry_after: float = _LINKS.max_retry_after_seconds
    allow_private_addresses: bool = _LINKS.allow_private_addresses
    check_email_mx: bool = _LINKS.check_email_mx
    # Nameservers for the MX lookup ("1.2.3.4" or "1.2.3.4:5353"); empty = /etc/resolv.conf.
    dns_servers: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    hosts: Mapping[str, list[str]] = field(default_factory=dict)
    hosts_only: bool = False
    port_map: Mapping[int, int] = field(default_factory=dict)
    ca_file: Path | None = None
    # Hosts exempt from the SSRF guard because the config already allows fetching them.
    trusted_hosts: frozenset[str] = frozenset()
    # The ports each trusted host is trusted on (a host not listed: any port).
    trusted_ports: Mapping[str, frozenset[int]] = field(default_factory=dict)
    # Connections held open at once (active + idle) are capped by this share of the
    # process's open-file limit, read when a run starts (see connection_budget).
    fd_share: float = 0.25
    # Idle keep-alive connections are closed after this many seconds.
    keepalive_seconds: float = 2.0
    # Overall time limit for one run of check_urls, seconds (0 = none).
    max_run_seconds: float = _LINKS.max_stage_minutes * 60.0
    # Ask each site for a made-up path once per run and compare (soft 404 probe).
    soft_404_probe: bool = _LINKS.soft_404_probe
    # Check whether an http:// link also works over https (verdict `insecure`).
    check_https: bool = _LINKS.check_https
    # Recheck soft failures (timeouts, 5xx, resets, refusals) once after this long in
    # the same run; a second failure confirms them. 0 = no recheck in the run.
    confirm_delay: float = _LINKS.confirm_delay_seconds
    # After the rest of the stage is done, delayed rechecks still to come are waited for
    # only while the stage would last at most (1 + this share) times as long as it has;
    # the others are left to the next run, whose failure confirms (two runs in a row).
    recheck_wait_share: float = _LINKS.recheck_wait_share
    # Pause a host after this many soft failures in a row (only a host that was fine
    # before: a spike); its remaining links are left unverified. 0 = never.
    host_pause_after: int = _LINKS.host_pause_after_failures

    @classmethod
    def from_config(
        cls,
        links: LinksConfig,
        *,
        user_agent: str,
        trusted_hosts: frozenset[str] = frozenset(),
        trusted_ports: Mapping[str, frozenset[int]] | None = None,
    ) -> LinkCheckSettings:
        hosts = read_hosts_file(links.hosts_file) if links.hosts_file is not None else {}
        return cls(
            user_agent=user_agent,
            concurrency=links.concurrency,
            per_host=links.per_host,
            per_host_delay=links.per_host_delay_seconds,
            connect_timeout=links.connect_timeout_seconds,
            read_timeout=links.read_timeout_seconds,
            total_timeout=links.total_timeout_seconds,
            max_redirects=links.max_redirects,
            max_body_bytes=links.max_body_bytes,
            max_decoded_bytes=links.max_body_bytes * DECODED_BYTES_PER_BODY_BYTE,
            retries=links.retries,
            backoff=links.backoff_seconds,
            max_retry_after=links.max_retry_after_seconds,
            allow_private_addresses=links.allow_private_addresses,
            check_email_mx=links.check_email_mx,
            exclude=tuple(links.exclude),
            hosts=hosts,
            hosts_only=links.hosts_file_only,
            port_map=dict(links.port_map),
            ca_file=links.ca_file,
            soft_404_probe=links.soft_404_probe,
            check_https=links.check_https,
            confirm_delay=links.confirm_delay_seconds,
            recheck_wait_share=links.recheck_wait_share,
            host_pause_after=links.host_pause_after_failures,
            trusted_hosts=trusted_hosts,
            trusted_ports=dict(trusted_ports or {}),
            max_run_seconds=links.max_stage_minutes * 60.0,
        )

    def resolver_policy(self) -> ResolverPolicy:
        return ResolverPolicy(
            hosts=self.hosts,
            hosts_only=self.hosts_only,
            allow_private=self.allow_private_addresses,
            port_map=self.port_map,
            trusted=self.trusted_hosts,
            trusted_ports=self.trusted_ports,
        )
