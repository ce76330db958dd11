"""Name resolution for the link checker: hosts-file overrides, port mapping, SSRF guard.

One ``AuditResolver`` serves a whole run. It is both the aiohttp resolver (so the
connector can only ever connect to an address this policy allowed, even when a name
re-resolves differently between our check and the connection: DNS rebinding) and what
the checker asks *before* connecting, so that a refused name gets its own verdict
(``internal_address``, ``broken`` for NXDOMAIN) instead of a generic connection error.

Rules:
- a name listed in the hosts file resolves to its addresses, which are trusted even
  when private (someone configured them on purpose);
- with ``hosts_only`` a name not in the file does not resolve at all (NXDOMAIN);
- any other name, and any IP literal, resolving to a non-public address (private,
  loopback, link-local, multicast, reserved, unspecified) is refused unless
  ``allow_private`` is set or the name is in ``trusted`` (configured elsewhere);
- ``port_map`` makes the connection go to another port than the URL's (a test rig).
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp.abc import AbstractResolver, ResolveResult
from localoffer_audit.parsing.addresses import is_ip_literal, is_public_address


# A shortage on our side (open files, memory, buffer space): never the site's fault.
LOCAL_RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS})


class LocalResourceError(OSError):
    """The checking machine ran short of file descriptors, memory or buffer space."""


class NameNotFoundError(OSError):
    """The name does not exist (NXDOMAIN): hard evidence that a link is broken."""


class NameLookupFailedError(OSError):
    """The lookup failed for a reason that may pass (SERVFAIL, no network)."""


class InternalAddressError(OSError):
    """The name resolves to a private/loopback/link-local/reserved address: not fetched."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to non-public address {address}; not fetched")
        self.host = host
        self.address = address


def read_hosts_file(path: Path) -> dict[str, list[str]]:
    """Parse a file in /etc/hosts format into name -> addresses (names lower-cased).

    Comments (``#``) and blank lines are ignored; a line is an address followed by one
    or more names. Lines whose address is not an IP address are skipped.
    """
    hosts: dict[str, list[str]] = {}
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.split("#", 1)[0].strip()
        if not line:
            continue
        address, *names = line.split()
        try:
            ipaddress.ip_address(address)
        except ValueError:
            continue
        for name in names:
            addresses = hosts.setdefault(name.lower().rstrip("."), [])
            if address not in addresses:
                addresses.append(address)
    return hosts


@dataclass(slots=True)
class ResolverPolicy:
    hosts: Mapping[str, list[str]] = field(default_factory=dict)
    hosts_only: bool = False
    allow_private: bool = False
    port_map: Mapping[int, int] = field(default_factory=dict)
    # Names or IP literals configured elsewhere as safe to fetch (the directory's own
    # host when the crawl is allowed private addresses): exempt from the SSRF guard.
    trusted: frozenset[str] = frozenset()
    # The ports a trusted name is trusted on (the directory's own origins); a name not
    # listed here is trusted on any port.
    trusted_ports: Mapping[str, frozenset[int]] = field(default_factory=dict)


class AuditResolver(AbstractResolver):
    """The resolver for one run: policy applied, answers cached for the run."""

    def __init__(self, policy: ResolverPolicy, lookup_timeout: float = 10.0) -> None:
        self.policy = policy
        self._lookup_timeout = lookup_timeout
        self._cache: dict[str, asyncio.Future[list[str]]] = {}

    async def addresses(self, host: str, port: int | None = None, *, trusted_ok: bool = True) -> list[str]:
        """The addresses ``host`` may be connected to, or raise one of the errors above.

        ``port`` and ``trusted_ok`` say whether a trusted name's exemption applies: only
        on its own ports, and never when an outside site redirected here."""
        name = host.lower().rstrip(".").strip("[]")
        trusted = trusted_ok and self.is_trusted(name, port)
        if name in self.policy.hosts:
            return list(self.policy.hosts[name])
        if is_ip_literal(name):
            self._refuse_internal(name, [name], trusted)
            return [name]
        if self.policy.hosts_only:
            raise NameNotFoundError(f"{name}: no such host (not in the configured hosts file)")
        future = self._cache.get(name)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._cache[name] = future
            try:
                future.set_result(await self._system_lookup(name))
            except LocalResourceError:
                # Our own shortage says nothing about the name: not cached.
                del self._cache[name]
                future.cancel()
                raise
            except OSError as exc:  # a failed lookup is cached for the run too
                future.set_exception(exc)
            except BaseException:
                del self._cache[name]
                future.cancel()
                raise
        addresses = await asyncio.shield(future)
        self._refuse_internal(name, addresses, trusted)
        return addresses

    def is_trusted(self, name: str, port: int | None) -> bool:
        name = name.lower().rstrip(".").strip("[]")
        if name not in self.policy.trusted:
            return False
        ports = self.policy.trusted_ports.get(name)
        return ports is None or port in ports

    def connect_port(self, port: int) -> int:
        return self.policy.port_map.get(port, port)

    def _refuse_internal(self, name: str, addresses: list[str], trusted: bool) -> None:
        if self.policy.allow_private or trusted:
            return
        for address in addresses:
            if not is_public_address(address):
                raise InternalAddressError(name, address)

    async def _system_lookup(self, name: str) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._lookup_timeout):
                infos = await loop.getaddrinfo(name, None, type=socket.SOCK_STREAM)
        except TimeoutError as exc:
            raise NameLookupFailedError(f"{name}: name lookup timed out") from exc
        except socket.gaierror as exc:
            if exc.errno == getattr(socket, "EAI_MEMORY", None) or (
                exc.errno == getattr(socket, "EAI_SYSTEM", None)
            ):
                raise LocalResourceError(errno.ENOMEM, f"{name}: lookup failed on this machine ({exc.strerror})") from exc
            if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
                raise NameNotFoundError(f"{name}: no such host ({exc.strerror})") from exc
            raise NameLookupFailedError(f"{name}: name lookup failed ({exc.strerror})") from exc
        except UnicodeError as exc:
            raise NameNotFoundError(f"{name}: not a valid host name") from exc
        except OSError as exc:
            if exc.errno in LOCAL_RESOURCE_ERRNOS:
                raise LocalResourceError(exc.errno, f"{name}: lookup failed on this machine ({exc})") from exc
            raise
        addresses: list[str] = []
        for _family, _type, _proto, _canon, sockaddr in infos:
            if sockaddr[0] not in addresses:
                addresses.append(str(sockaddr[0]))
        if not addresses:
            raise NameNotFoundError(f"{name}: no addresses")
        return addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await self.addresses(host, port)
        results: list[ResolveResult] = []
        for address in addresses:
            address_family = socket.AF_INET6 if ":" in address else socket.AF_INET
            if family not in (socket.AF_UNSPEC, address_family):
                continue
            results.append(
                {
                    "hostname": host,
                    "host": address,
                    "port": self.connect_port(port),
                    "family": address_family,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
            )
        if not results:
            raise NameNotFoundError(f"{host}: no address of the requested family")
        return results

    async def close(self) -> None:
        self._cache.clear()
