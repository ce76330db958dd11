"""Where mail for a domain goes: an MX lookup with the RFC 5321 fallback, for ``mailto:``.

``mail_route(domain, servers, timeout)`` asks the nameservers (``/etc/resolv.conf``
unless given) for the domain's MX records. The answer is one of:

- ``mx``: the domain names mail exchangers: mail can be delivered;
- ``null_mx``: its only MX is ``0 .`` (RFC 7505): the domain says it accepts no mail;
- ``address``: no MX, but an A or AAAA record: mail goes there (RFC 5321 section 5.1,
  the "implicit MX");
- ``no_route``: no MX and no address: no mail can be delivered;
- ``nxdomain``: the domain does not exist;
- ``unknown``: the lookup failed (SERVFAIL, refused, no answer in time, no nameserver,
  a malformed answer): says nothing about the address.

The questions are asked by dnspython's stub resolver (UDP, again over TCP when the
answer is truncated; each nameserver in turn, ``timeout`` seconds each). Names in the
run's hosts file count as having an address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.resolver

RESOLV_CONF = Path("/etc/resolv.conf")
DNS_PORT = 53


class Route(StrEnum):
    MX = "mx"
    NULL_MX = "null_mx"
    ADDRESS = "address"
    NO_ROUTE = "no_route"
    NXDOMAIN = "nxdomain"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class MailRoute:
    route: Route
    detail: str


def system_nameservers(path: Path = RESOLV_CONF) -> list[str]:
    """The ``nameserver`` lines of resolv.conf, in order ([] when there are none)."""
    try:
        resolver = dns.resolver.Resolver(filename=str(path))
    except (dns.resolver.NoResolverConfiguration, ValueError):
        return []
    return [str(server) for server in resolver.nameservers]


def _server_address(spec: str) -> tuple[str, int]:
    """``1.2.3.4``, ``1.2.3.4:5353``, ``::1`` or ``[::1]:5353``."""
    if spec.startswith("["):
        host, _, port = spec[1:].partition("]")
        return host, int(port.lstrip(":") or DNS_PORT)
    if spec.count(":") == 1:
        host, port = spec.split(":")
        return host, int(port)
    return spec, DNS_PORT


class _Lookup:
    """One resolver for one domain's questions; failures name the server as configured."""

    def __init__(self, servers: Sequence[str], timeout: float) -> None:
        nameservers = [dns.nameserver.Do53Nameserver(*_server_address(spec)) for spec in servers]
        self.spec = {str(server): spec for server, spec in zip(nameservers, servers, strict=True)}
        self.resolver = dns.asyncresolver.Resolver(configure=False)
        self.resolver.nameservers = nameservers
        self.resolver.timeout = timeout  # per nameserver and attempt
        self.lifetime = timeout * len(nameservers)  # time for every server to be asked once

    async def records(self, name: dns.name.Name, rdtype: str) -> list:
        """The records of ``rdtype`` at ``name`` ([] for none); NXDOMAIN and failures raise."""
        try:
            return list(await self.resolver.resolve(name, rdtype, lifetime=self.lifetime))
        except dns.resolver.NoAnswer:
            return []

    def problems(self, exc: dns.exception.DNSException) -> str:
        errors = exc.kwargs.get("errors") or []
        said = [
            f"{self.spec.get(server, server)}: {'TCP ' if tcp else ''}"
            + (f"answered {error}" if isinstance(error, str) else f"{type(error).__name__} {error}".strip())
            for server, tcp, _port, error, _response in errors
        ]
        return "; ".join(said) or str(exc)


async def mail_route(
    domain: str,
    servers: Sequence[str] | None = None,
    *,
    timeout: float = 5.0,
    known_hosts: frozenset[str] = frozenset(),
    hosts_only: bool = False,
) -> MailRoute:
    """Where mail for ``domain`` goes (see the module docstring).

    ``known_hosts`` are names the run's hosts file gives addresses; with ``hosts_only``
    nothing else exists and no nameserver is asked (a closed test rig).
    """
    domain = domain.lower().rstrip(".")
    if hosts_only:
        if domain in known_hosts:
            return MailRoute(Route.ADDRESS, f"{domain} is in the configured hosts file")
        return MailRoute(Route.NXDOMAIN, f"mail domain {domain} does not exist (not in the configured hosts file)")
    servers = list(servers) if servers else system_nameservers()
    if not servers:
        return MailRoute(Route.UNKNOWN, f"MX lookup of {domain} failed: no nameserver configured")
    try:
        lookup = _Lookup(servers, timeout)
        name = dns.name.from_text(domain)  # absolute: no search list, one question
        exchanges = sorted((mx.preference, mx.exchange) for mx in await lookup.records(name, "MX"))
        if exchanges == [(0, dns.name.root)]:
            return MailRoute(Route.NULL_MX, f"mail domain {domain} accepts no email (null MX, RFC 7505)")
        if exchanges:
            return MailRoute(Route.MX, f"MX {exchanges[0][1].to_text(omit_final_dot=True)}")
        # No MX: RFC 5321 section 5.1 delivers to the domain's own address.
        if domain in known_hosts:
            return MailRoute(Route.ADDRESS, f"no MX; {domain} has an address (hosts file)")
        for rdtype in ("A", "AAAA"):
            try:
                if await lookup.records(name, rdtype):
                    return MailRoute(Route.ADDRESS, f"no MX; mail goes to its {rdtype} record (RFC 5321 5.1)")
            except dns.resolver.NXDOMAIN:
                continue  # the MX question said the name exists: no address
    except dns.resolver.NXDOMAIN:
        return MailRoute(Route.NXDOMAIN, f"mail domain {domain} does not exist")
    except (dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout) as exc:
        return MailRoute(Route.UNKNOWN, f"MX lookup of {domain} failed: {lookup.problems(exc)}")
    except (dns.exception.DNSException, ValueError, UnicodeError) as exc:
        return MailRoute(Route.UNKNOWN, f"MX lookup of {domain} failed: {type(exc).__name__} {exc}".strip())
    return MailRoute(Route.NO_ROUTE, f"mail domain {domain} has no MX and no address: no email can be delivered")
