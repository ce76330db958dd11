"""Where mail for a domain goes: an MX lookup with the RFC 5321 fallback, for ``mailto:``.

``mail_route(domain, servers, timeout)`` asks the nameservers (``/etc/resolv.conf``
unless given) for the domain's MX records, over UDP, again over TCP when the answer
is truncated. The answer is one of:

- ``mx``: the domain names mail exchangers: mail can be delivered;
- ``null_mx``: its only MX is ``0 .`` (RFC 7505): the domain says it accepts no mail;
- ``address``: no MX, but an A or AAAA record: mail goes there (RFC 5321 section 5.1,
  the "implicit MX");
- ``no_route``: no MX and no address: no mail can be delivered;
- ``nxdomain``: the domain does not exist;
- ``unknown``: the lookup failed (SERVFAIL, refused, no answer in time, no nameserver):
  says nothing about the address.

A tiny stub resolver in the standard library (RFC 1035 wire format, compression
pointers followed with a bound): the checker needs one question answered, not a DNS
toolkit. Names in the run's hosts file count as having an address.
"""

from __future__ import annotations

import asyncio
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

RESOLV_CONF = Path("/etc/resolv.conf")
DNS_PORT = 53

TYPE_A, TYPE_AAAA, TYPE_MX = 1, 28, 15
CLASS_IN = 1
RCODE_OK, RCODE_NXDOMAIN = 0, 3
_FLAG_RESPONSE = 0x8000
_FLAG_TRUNCATED = 0x0200
_FLAG_RECURSION = 0x0100
_MAX_POINTERS = 32
_MAX_TCP_ANSWER = 65_535


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


class DnsError(Exception):
    """A lookup that failed for a reason that may pass (SERVFAIL, timeout, bad answer)."""


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    rcode: int
    # (type, rdata offset, rdata length) of each answer record, and the whole message.
    records: tuple[tuple[int, int, int], ...]
    message: bytes

    def of_type(self, rtype: int) -> list[tuple[int, int]]:
        return [(offset, length) for kind, offset, length in self.records if kind == rtype]


def system_nameservers(path: Path = RESOLV_CONF) -> list[str]:
    """The ``nameserver`` lines of resolv.conf, in order."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    servers = []
    for line in lines:
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            servers.append(parts[1])
    return servers


def _server_address(spec: str) -> tuple[str, int]:
    """``1.2.3.4``, ``1.2.3.4:5353``, ``::1`` or ``[::1]:5353``."""
    if spec.startswith("["):
        host, _, port = spec[1:].partition("]")
        return host, int(port.lstrip(":") or DNS_PORT)
    if spec.count(":") == 1:
        host, port = spec.split(":")
        return host, int(port)
    return spec, DNS_PORT


def encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("idna") if label else b""
        if not raw or len(raw) > 63:
            raise ValueError(f"{name!r} is not a domain name")
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def build_query(name: str, rtype: int, query_id: int) -> bytes:
    header = struct.pack("!HHHHHH", query_id, _FLAG_RECURSION, 1, 0, 0, 0)
    return header + encode_name(name) + struct.pack("!HH", rtype, CLASS_IN)


def read_name(message: bytes, offset: int) -> tuple[str, int]:
    """The name at ``offset`` (compression pointers followed, at most a few dozen) and
    the offset just after it in the record."""
    labels: list[str] = []
    end: int | None = None
    for _ in range(_MAX_POINTERS + 128):
        if offset >= len(message):
            raise DnsError("name runs past the end of the answer")
        length = message[offset]
        if length == 0:
            return ".".join(labels), (offset + 1 if end is None else end)
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(message):
                raise DnsError("truncated compression pointer")
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | message[offset + 1]
            continue
        if length & 0xC0:
            raise DnsError("unknown label type")
        labels.append(message[offset + 1 : offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length
    raise DnsError("compression pointer loop")


def parse_answer(message: bytes, query_id: int) -> tuple[DnsAnswer, bool]:
    """The answer records of a response to ``query_id``, and whether it was truncated."""
    if len(message) < 12:
        raise DnsError("answer shorter than a DNS header")
    answer_id, flags, questions, answers, _, _ = struct.unpack("!HHHHHH", message[:12])
    if answer_id != query_id or not flags & _FLAG_RESPONSE:
        raise DnsError("not an answer to our question")
    offset = 12
    for _ in range(questions):
        _, offset = read_name(message, offset)
        offset += 4
    records = []
    for _ in range(answers):
        _, offset = read_name(message, offset)
        if offset + 10 > len(message):
            raise DnsError("record runs past the end of the answer")
        rtype, _, _, length = struct.unpack("!HHIH", message[offset : offset + 10])
        offset += 10
        if offset + length > len(message):
            raise DnsError("record data runs past the end of the answer")
        records.append((rtype, offset, length))
        offset += length
    return DnsAnswer(flags & 0x000F, tuple(records), message), bool(flags & _FLAG_TRUNCATED)


class _OneAnswer(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr) -> None:  # noqa: ANN001 - asyncio's address tuple
        if not self.answer.done():
            self.answer.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.answer.done():
            self.answer.set_exception(exc)


async def _ask_udp(server: tuple[str, int], query: bytes) -> bytes:
    loop = asyncio.get_running_loop()
    # Connected to the server: datagrams from anyone else are dropped by the kernel.
    transport, protocol = await loop.create_datagram_endpoint(_OneAnswer, remote_addr=server)
    try:
        transport.sendto(query)
        return await protocol.answer
    finally:
        transport.close()


async def _ask_tcp(server: tuple[str, int], query: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(*server)
    try:
        writer.write(struct.pack("!H", len(query)) + query)
        await writer.drain()
        (length,) = struct.unpack("!H", await reader.readexactly(2))
        return await reader.readexactly(min(length, _MAX_TCP_ANSWER))
    finally:
        writer.close()


async def query(name: str, rtype: int, servers: Sequence[str], timeout: float) -> DnsAnswer:
    """Ask each server in turn until one answers (UDP, then TCP if truncated)."""
    if not servers:
        raise DnsError("no nameserver configured")
    problems = []
    for spec in servers:
        server = _server_address(spec)
        query_id = secrets.randbelow(0x10000)
        message = build_query(name, rtype, query_id)
        try:
            async with asyncio.timeout(timeout):
                answer, truncated = parse_answer(await _ask_udp(server, message), query_id)
                if truncated:
                    answer, _ = parse_answer(await _ask_tcp(server, message), query_id)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, DnsError, struct.error) as exc:
            problems.append(f"{spec}: {type(exc).__name__} {exc}".strip())
            continue
        if answer.rcode in (RCODE_OK, RCODE_NXDOMAIN):
            return answer
        problems.append(f"{spec}: answer code {answer.rcode}")
    raise DnsError("; ".join(problems))


def _exchanges(answer: DnsAnswer) -> list[tuple[int, str]]:
    found = []
    for offset, length in answer.of_type(TYPE_MX):
        if length < 3:
            continue
        (preference,) = struct.unpack("!H", answer.message[offset : offset + 2])
        exchange, _ = read_name(answer.message, offset + 2)
        found.append((preference, exchange))
    return sorted(found)


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
    try:
        answer = await query(domain, TYPE_MX, servers, timeout)
        if answer.rcode == RCODE_NXDOMAIN:
            return MailRoute(Route.NXDOMAIN, f"mail domain {domain} does not exist")
        exchanges = _exchanges(answer)
        if exchanges == [(0, "")]:
            return MailRoute(Route.NULL_MX, f"mail domain {domain} accepts no email (null MX, RFC 7505)")
        if exchanges:
            return MailRoute(Route.MX, f"MX {exchanges[0][1]}")
        # No MX: RFC 5321 section 5.1 delivers to the domain's own address.
        if domain in known_hosts:
            return MailRoute(Route.ADDRESS, f"no MX; {domain} has an address (hosts file)")
        for rtype, name in ((TYPE_A, "A"), (TYPE_AAAA, "AAAA")):
            answer = await query(domain, rtype, servers, timeout)
            if answer.of_type(rtype):
                return MailRoute(Route.ADDRESS, f"no MX; mail goes to its {name} record (RFC 5321 5.1)")
    except (DnsError, ValueError, UnicodeError) as exc:
        return MailRoute(Route.UNKNOWN, f"MX lookup of {domain} failed: {exc}")
    return MailRoute(Route.NO_ROUTE, f"mail domain {domain} has no MX and no address: no email can be delivered")
