"""Downloader middleware: never fetch private, loopback or link-local addresses.

A directory page could link (or redirect) the crawler to an intranet host or a cloud
metadata address. Unless ``[crawl] allow_private_addresses`` is set, requests to a host
that is, or resolves to, such an address are refused before they are sent. Names are
resolved once per host and cached for the crawl.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest


def is_private_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def private_address_of(host: str) -> str | None:
    """The first private address ``host`` is or resolves to; None if all are public.

    A name that does not resolve returns None: the download itself then fails with a
    clear DNS error.
    """
    host = host.strip("[]")
    try:
        return host if is_private_address(host) else None
    except ValueError:
        pass
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

    def process_request(self, request, spider=None):  # noqa: ANN001, ANN201 - Scrapy's hook
        if self.allow_private:
            return None
        host = (urlsplit(request.url).hostname or "").lower()
        if host not in self._verdicts:
            self._verdicts[host] = private_address_of(host)
        address = self._verdicts[host]
        if address is not None:
            raise IgnoreRequest(
                f"refused to fetch {request.url}: {host} is a private, loopback or link-local address ({address}); "
                "set [crawl] allow_private_addresses = true only for test or intranet directories"
            )
        return None
