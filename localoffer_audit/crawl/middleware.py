"""Downloader middleware: never fetch private, loopback, link-local or other internal addresses.

A directory page could link (or redirect) the crawler to an intranet host or a cloud
metadata address (169.254.169.254, or 100.100.100.200 in the shared 100.64.0.0/10
range). Unless ``[crawl] allow_private_addresses`` is set, requests to a host that is,
or resolves to, a non-public address are refused before they are sent. The rule is the
link checker's (``parsing.addresses.is_public_address``): anything not globally routable
unicast is refused.

Names are resolved in the reactor's thread pool (never blocking the reactor) once per
host and the verdict is cached for the crawl. Residual risk: Scrapy's downloader
resolves the name again itself, so a name that re-resolves to another address between
our check and the fetch (DNS rebinding) is not caught; the link checker, which has its
own resolver, closes that window, the crawl does not.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from localoffer_audit.parsing.addresses import is_ip_literal, is_public_address


def is_private_address(address: str) -> bool:
    """True for any address the crawl must not fetch (the link checker's rule, inverted)."""
    return not is_public_address(address)


def private_address_of(host: str) -> str | None:
    """The first non-public address ``host`` is or resolves to; None if all are public.

    Blocking (``getaddrinfo``): the middleware calls it in a thread. A name that does not
    resolve returns None: the download itself then fails with a clear DNS error.
    """
    host = host.strip("[]")
    if is_ip_literal(host):
        return host if is_private_address(host) else None
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    for info in infos:
        address = str(info[4][0])
        if is_private_address(address):
            return address
    return None


class PrivateAddressMiddleware:
    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._verdicts: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler):  # noqa: ANN001, ANN206 - Scrapy's hook
        return cls(crawler.settings.getbool("LOCALOFFER_ALLOW_PRIVATE_ADDRESSES"))

    async def process_request(self, request, spider=None):  # noqa: ANN001, ANN201 - Scrapy's hook
        if self.allow_private:
            return None
        host = (urlsplit(request.url).hostname or "").lower()
        address = await self._verdict(host)
        if address is not None:
            raise IgnoreRequest(
                f"refused to fetch {request.url}: {host} is a private, loopback, link-local or otherwise "
                f"non-public address ({address}); "
                "set [crawl] allow_private_addresses = true only for test or intranet directories"
            )
        return None

    async def _verdict(self, host: str) -> str | None:
        if host in self._verdicts:
            return self._verdicts[host]
        if is_ip_literal(host):
            verdict = private_address_of(host)
        else:
            # Parallel first requests to one host may each look it up once; then it is cached.
            verdict = await maybe_deferred_to_future(deferToThread(private_address_of, host))
        self._verdicts[host] = verdict
        return verdict
