"""`check_email_mx`: a real MX lookup (RFC 5321 fallback to A/AAAA, RFC 7505 null MX),
asked of a tiny DNS server on loopback written here (UDP, and TCP for truncated answers)."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import pytest_asyncio
from dns.message import from_wire, make_query
from dns.name import BadPointer

from localoffer_audit.links.checker import LinkCheckSettings, check_urls
from localoffer_audit.links.mx import Route, mail_route, system_nameservers
from localoffer_audit.models import LinkVerdict

MX, A, AAAA = 15, 1, 28
POINTER_TO_QNAME = b"\xc0\x0c"


def mx_rdata(preference: int, first_label: str | None) -> bytes:
    """An MX record's data; the exchange is ``first_label`` + the queried name, written
    with a compression pointer to the question (as real servers do), or "." (null MX)."""
    exchange = b"\x00" if first_label is None else bytes([len(first_label)]) + first_label.encode() + POINTER_TO_QNAME
    return struct.pack("!H", preference) + exchange


def looping_mx_rdata(qname: str) -> bytes:
    """An MX record whose exchange is a compression pointer to itself, in the one-record
    answer TinyDns writes for ``qname``: header, question, record header, preference."""
    exchange_at = 12 + (len(qname) + 2 + 4) + (2 + 10) + 2
    return struct.pack("!HH", 10, 0xC000 | exchange_at)


# name -> (rcode, {type: [rdata...]}); a name missing here never gets an answer.
ZONE: dict[str, tuple[int, dict[int, list[bytes]]]] = {
    "mx.test": (0, {MX: [mx_rdata(20, "backup"), mx_rdata(10, "mail")]}),
    "nullmx.test": (0, {MX: [mx_rdata(0, None)]}),
    "nomx.test": (0, {A: [socket.inet_aton("192.0.2.10")]}),
    "nomx6.test": (0, {AAAA: [socket.inet_pton(socket.AF_INET6, "2001:db8::1")]}),
    "deadend.test": (0, {}),
    "hostsfile.test": (0, {}),
    "gone.test": (3, {}),
    "broken-dns.test": (2, {}),
    "big.test": (0, {MX: [mx_rdata(10, "mail")]}),
    "loop.test": (0, {MX: [looping_mx_rdata("loop.test")]}),
    "wrongid.test": (0, {MX: [mx_rdata(10, "mail")]}),
}
TRUNCATED_OVER_UDP = {"big.test"}
ANSWERED_WITH_ANOTHER_ID = {"wrongid.test"}


class TinyDns:
    """Answers from ZONE on 127.0.0.1, UDP and TCP on the same port; counts questions."""

    def __init__(self) -> None:
        self.asked: Counter[tuple[str, int, str]] = Counter()

    def answer(self, query: bytes, transport: str) -> bytes | None:
        query_id, _flags = struct.unpack("!HH", query[:4])
        labels, offset = [], 12
        while query[offset]:
            labels.append(query[offset + 1 : offset + 1 + query[offset]].decode())
            offset += 1 + query[offset]
        name = ".".join(labels).lower()
        rtype, _ = struct.unpack("!HH", query[offset + 1 : offset + 5])
        question = query[12 : offset + 5]
        self.asked[(name, rtype, transport)] += 1
        if name not in ZONE:
            return None
        rcode, records = ZONE[name]
        flags = 0x8180 | rcode
        answers = records.get(rtype, [])
        if transport == "udp" and name in TRUNCATED_OVER_UDP:
            flags |= 0x0200
            answers = []
        if name in ANSWERED_WITH_ANOTHER_ID:
            query_id ^= 0x5555
        body = b"".join(POINTER_TO_QNAME + struct.pack("!HHIH", rtype, 1, 300, len(r)) + r for r in answers)
        return struct.pack("!HHHHHH", query_id, flags, 1, len(answers), 0, 0) + question + body

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        server = self

        class Udp(asyncio.DatagramProtocol):
            def connection_made(self, transport) -> None:  # noqa: ANN001
                self.transport = transport

            def datagram_received(self, data: bytes, addr) -> None:  # noqa: ANN001
                reply = server.answer(data, "udp")
                if reply is not None:
                    self.transport.sendto(reply, addr)

        async def tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            (length,) = struct.unpack("!H", await reader.readexactly(2))
            reply = self.answer(await reader.readexactly(length), "tcp")
            if reply is not None:
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
            writer.close()

        for _ in range(20):  # a UDP port whose TCP twin is free too
            self.udp, _ = await loop.create_datagram_endpoint(Udp, local_addr=("127.0.0.1", 0))
            port = self.udp.get_extra_info("sockname")[1]
            try:
                self.tcp = await asyncio.start_server(tcp, "127.0.0.1", port)
                return port
            except OSError:
                self.udp.close()
        raise RuntimeError("no free port pair")

    def close(self) -> None:
        self.udp.close()
        self.tcp.close()


@pytest_asyncio.fixture
async def dns() -> AsyncIterator[tuple[TinyDns, LinkCheckSettings]]:
    server = TinyDns()
    port = await server.start()
    settings = LinkCheckSettings(
        check_email_mx=True, dns_servers=(f"127.0.0.1:{port}",), connect_timeout=0.5,
        hosts={"hostsfile.test": ["192.0.2.20"]}, soft_404_probe=False, confirm_delay=0,
    )
    yield server, settings
    server.close()


@pytest.mark.parametrize(
    ("address", "verdict", "says"),
    [
        ("info@mx.test", LinkVerdict.OK, "MX mail.mx.test"),  # lowest preference first
        ("info@nomx.test", LinkVerdict.OK, "no MX; mail goes to its A record"),
        ("info@nomx6.test", LinkVerdict.OK, "no MX; mail goes to its AAAA record"),
        ("info@hostsfile.test", LinkVerdict.OK, "has an address (hosts file)"),
        ("info@big.test", LinkVerdict.OK, "MX mail.big.test"),  # truncated over UDP, asked again over TCP
        ("info@gone.test", LinkVerdict.INVALID_EMAIL, "mail domain gone.test does not exist"),
        ("info@nullmx.test", LinkVerdict.INVALID_EMAIL, "accepts no email (null MX, RFC 7505)"),
        ("info@deadend.test", LinkVerdict.INVALID_EMAIL, "has no MX and no address"),
        # A failed lookup is not proof the address is wrong.
        ("info@broken-dns.test", LinkVerdict.OK, "MX lookup of broken-dns.test failed: 127.0.0.1"),
        ("info@silent.test", LinkVerdict.OK, "MX lookup of silent.test failed"),
    ],
)
@pytest.mark.asyncio
async def test_mail_domain_verdicts(dns, address: str, verdict: LinkVerdict, says: str) -> None:
    _, settings = dns
    [result] = await check_urls([f"mailto:{address}"], settings)
    assert result.verdict is verdict, result
    assert says in (result.error or result.detail or ""), result
    assert result.confirmed


@pytest.mark.asyncio
async def test_mx_records_are_asked_for_not_addresses(dns) -> None:
    server, settings = dns
    await check_urls(["mailto:a@mx.test", "mailto:b@mx.test", "mailto:c@Mx.Test"], settings)
    # One MX question per domain per run, and no A/AAAA question when an MX exists.
    assert server.asked == Counter({("mx.test", MX, "udp"): 1})


@pytest.mark.asyncio
async def test_truncated_answer_is_asked_again_over_tcp(dns) -> None:
    server, settings = dns
    await check_urls(["mailto:a@big.test"], settings)
    assert server.asked[("big.test", MX, "udp")] == 1 and server.asked[("big.test", MX, "tcp")] == 1


@pytest.mark.asyncio
async def test_without_the_flag_no_question_is_asked(dns) -> None:
    server, settings = dns
    [result] = await check_urls(["mailto:info@gone.test"], replace(settings, check_email_mx=False))
    assert result.verdict is LinkVerdict.OK and not server.asked


@pytest.mark.asyncio
async def test_a_closed_hosts_file_rig_asks_no_nameserver(dns) -> None:
    server, settings = dns
    rig = replace(settings, hosts={"provider.test": ["127.0.0.1"]}, hosts_only=True)
    known, unknown = await check_urls(["mailto:a@provider.test", "mailto:a@mx.test"], rig)
    assert known.verdict is LinkVerdict.OK and unknown.verdict is LinkVerdict.INVALID_EMAIL
    assert not server.asked


@pytest.mark.asyncio
async def test_the_next_nameserver_is_asked_when_one_is_silent(dns) -> None:
    server, settings = dns
    dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dead.bind(("127.0.0.1", 0))  # bound, never answers
    try:
        servers = (f"127.0.0.1:{dead.getsockname()[1]}", *settings.dns_servers)
        found = await mail_route("mx.test", servers, timeout=0.3)
    finally:
        dead.close()
    assert found.route is Route.MX


def test_nameservers_come_from_resolv_conf(tmp_path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("# local\nsearch council.example\nnameserver 10.0.0.2\nnameserver ::1 # v6\noptions ndots:1\n")
    assert system_nameservers(conf) == ["10.0.0.2", "::1"]
    assert system_nameservers(tmp_path / "missing") == []


@pytest.mark.asyncio
async def test_a_compression_pointer_loop_is_an_error_not_a_hang(dns) -> None:
    server, settings = dns
    reply = server.answer(make_query("loop.test.", "MX").to_wire(), "tcp")
    with pytest.raises(BadPointer):  # the looping name is refused, not followed
        from_wire(reply)
    server.asked.clear()
    # Over UDP a malformed datagram is dropped (it may be forged) and the lookup ends,
    # unknown, when its time is up.
    async with asyncio.timeout(3):
        found = await mail_route("loop.test", settings.dns_servers, timeout=0.3)
    assert server.asked[("loop.test", MX, "udp")] == 1
    assert found.route is Route.UNKNOWN, found


@pytest.mark.asyncio
async def test_an_answer_to_another_question_is_refused(dns) -> None:
    server, settings = dns
    found = await mail_route("wrongid.test", settings.dns_servers, timeout=0.3)
    # The reply carried an MX record, under another query id.
    assert server.asked[("wrongid.test", MX, "udp")] >= 1
    assert found.route is Route.UNKNOWN and "MX mail" not in found.detail, found
