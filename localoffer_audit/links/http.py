"""One HTTP request, bounded in every way, turned into an answer or a named failure.

The checker never lets aiohttp follow redirects or decompress: a response body is read
up to ``max_body_bytes`` and decompressed up to ``max_decoded_bytes``, and each request
ends within ``total_timeout`` however slowly a hostile server trickles bytes. A body
still arriving slower than ``MIN_BODY_BYTES_PER_SECOND`` once ``read_timeout`` has passed
ends the request there too (curl's --speed-limit/--speed-time idea): no visitor waits
for such a page, and waiting for the total limit would make every run pay for it.
"""

from __future__ import annotations

import asyncio
import enum
import errno
import re
import ssl
import zlib
from dataclasses import dataclass
from typing import Any

import aiohttp
import brotli
from w3lib.encoding import html_to_unicode

from localoffer_audit.links.resolver import (
    LOCAL_RESOURCE_ERRNOS,
    InternalAddressError,
    LocalResourceError,
    NameLookupFailedError,
    NameNotFoundError,
)
from localoffer_audit.links.settings import LinkCheckSettings

# What we say we accept: only encodings we can decompress with a bound.
ACCEPT_ENCODING = "gzip, deflate, br"
# A 403 is retried once with the Accept headers a browser sends (some servers refuse
# requests without them); the User-Agent stays ours: we never pretend to be a browser.
BROWSER_ACCEPT = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.9",
}

_READABLE_TYPES = re.compile(r"html|xml|text/plain|^$")


class FailureKind(enum.StrEnum):
    TIMEOUT = "timeout"
    REFUSED = "refused"
    RESET = "reset"
    BAD_RESPONSE = "bad_response"
    NAME_NOT_FOUND = "name_not_found"
    NAME_LOOKUP_FAILED = "name_lookup_failed"
    INTERNAL_ADDRESS = "internal_address"
    TLS = "tls"
    MALFORMED_URL = "malformed_url"
    CONNECT_FAILED = "connect_failed"


# Failures worth another attempt after a pause: they may pass.
RETRYABLE_FAILURES = frozenset({FailureKind.TIMEOUT, FailureKind.RESET, FailureKind.BAD_RESPONSE, FailureKind.CONNECT_FAILED})
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})


@dataclass(slots=True)
class Answer:
    """A response as far as we read it."""

    url: str
    method: str
    status: int
    headers: dict[str, str]
    text: str | None = None
    body_truncated: bool = False
    note: str | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(slots=True)
class Failure:
    """A request that got no usable response."""

    url: str
    method: str
    kind: FailureKind
    message: str


def make_ssl_context(settings: LinkCheckSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.ca_file is not None:
        context.load_verify_locations(cafile=str(settings.ca_file))
    return context


def make_timeout(settings: LinkCheckSettings) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(
        total=settings.total_timeout,
        sock_connect=settings.connect_timeout,
        sock_read=settings.read_timeout,
    )


def _decode(raw: bytes, content_type: str) -> str:
    """The body as a browser reads it (w3lib, Scrapy's own decoder): a byte-order mark,
    then the Content-Type charset, then a <meta> one, else UTF-8; ISO-8859-1 read as
    Windows-1252, as the WHATWG encoding standard says, so the curly quote in "we can’t
    find that page" is a quote, not a control character."""
    _encoding, text = html_to_unicode(content_type or None, raw)
    return text


class UnsupportedEncodingError(ValueError):
    """An encoding we did not ask for and cannot read (a browser may well read it)."""


def decompress_bounded(raw: bytes, encoding: str, limit: int) -> tuple[bytes, bool]:
    """Decompress at most ``limit`` bytes (a gzip bomb stops there); (data, truncated)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw[:limit], len(raw) > limit
    if encoding in ("gzip", "x-gzip", "deflate"):
        # 47 accepts gzip and zlib headers; raw deflate (seen in the wild) needs -15.
        for wbits in (47, -15):
            decompressor = zlib.decompressobj(wbits=wbits)
            try:
                data = decompressor.decompress(raw, limit)
            except zlib.error:
                continue
            return data, bool(decompressor.unconsumed_tail)
        raise ValueError(f"body is not valid {encoding} data")
    if encoding == "br":
        decompressor = brotli.Decompressor()
        try:
            data = decompressor.process(raw, output_buffer_limit=limit)
        except brotli.error as exc:
            raise ValueError(f"body is not valid brotli data ({exc})") from exc
        return data[:limit], len(data) >= limit
    raise UnsupportedEncodingError(f"unsupported content encoding {encoding!r}")


class _BodyTooSlow(Exception):
    pass


# Below this average rate a body still arriving after read_timeout is "too slow": a
# 100 KB page would take over 100 s. Real pages arrive at tens of KB/s or more.
MIN_BODY_BYTES_PER_SECOND = 1024


async def _read_bounded(
    response: aiohttp.ClientResponse, max_bytes: int, deadline: float, slow_after: float | None = None
) -> tuple[bytes, bool, str | None]:
    """Read at most ``max_bytes`` of the raw body before ``deadline``; (body, truncated, note).

    With ``slow_after`` (seconds), a body arriving slower than MIN_BODY_BYTES_PER_SECOND
    once that long has passed stops the read as too slow."""
    chunks = bytearray()
    note = None
    loop = asyncio.get_running_loop()
    began = loop.time()
    try:
        async with asyncio.timeout_at(deadline):
            while len(chunks) < max_bytes:
                chunk = await response.content.read(min(65536, max_bytes - len(chunks)))
                if not chunk:
                    break
                chunks += chunk
                elapsed = loop.time() - began
                if slow_after is not None and elapsed >= slow_after and len(chunks) < MIN_BODY_BYTES_PER_SECOND * elapsed:
                    raise _BodyTooSlow(
                        f"body still arriving at {len(chunks) / elapsed:.0f} bytes/s after {elapsed:.0f}s "
                        f"({len(chunks)} bytes): too slow to be a working page"
                    )
    except TimeoutError:
        # A body still trickling in at the deadline is no evidence the page works.
        raise _BodyTooSlow(f"body still arriving after {len(chunks)} bytes when the time limit ran out") from None
    except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
        note = f"body read stopped after {len(chunks)} bytes ({type(exc).__name__})"
        return bytes(chunks), True, note
    truncated = not response.content.at_eof()
    if truncated:
        note = f"body read stopped at the {max_bytes}-byte limit"
    return bytes(chunks), truncated, note


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    method: str,
    settings: LinkCheckSettings,
    ssl_context: ssl.SSLContext,
    *,
    extra_headers: dict[str, str] | None = None,
    read_body: bool = True,
) -> Answer | Failure:
    """One request, no redirects followed, body read within bounds when wanted."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.total_timeout
    headers = {"Accept-Encoding": ACCEPT_ENCODING, "Accept": "*/*"}
    if extra_headers:
        headers.update(extra_headers)
    try:
        async with asyncio.timeout_at(deadline):
            response = await session.request(
                method, url, allow_redirects=False, headers=headers, ssl=ssl_context
            )
    except TimeoutError as exc:
        return Failure(url, method, FailureKind.TIMEOUT, _timeout_message(exc, settings))
    except Exception as exc:  # noqa: BLE001 - every failure becomes evidence, never a crash
        return _failure_from(url, method, exc)
    try:
        answer = Answer(
            url=url,
            method=method,
            status=response.status,
            headers={k.lower(): v for k, v in response.headers.items()},
        )
        content_type = answer.header("content-type") or ""
        if read_body and method == "GET" and _READABLE_TYPES.search(content_type.split(";")[0].strip().lower()):
            try:
                raw, truncated, note = await _read_bounded(
                    response, settings.max_body_bytes, deadline, slow_after=settings.read_timeout
                )
            except _BodyTooSlow as exc:
                return Failure(url, method, FailureKind.TIMEOUT, str(exc))
            try:
                data, decoded_truncated = decompress_bounded(
                    raw, answer.header("content-encoding") or "", settings.max_decoded_bytes
                )
            except UnsupportedEncodingError as exc:
                # Not proof of anything: the answer stands, without a body to judge.
                answer.note = str(exc)
                return answer
            except ValueError as exc:
                # Truncated compressed data decodes as far as it goes; junk does not: a
                # browser shows an encoding error for it, so it is no working page.
                return Failure(url, method, FailureKind.BAD_RESPONSE, f"unreadable response body ({exc})")
            answer.text = _decode(data, content_type)
            answer.body_truncated = truncated or decoded_truncated
            answer.note = note or ("decompressed body stopped at the size limit" if decoded_truncated else None)
        return answer
    finally:
        # Closing (not releasing) a half-read response drops the connection: an endless
        # or trickling body is never drained.
        if response.content.at_eof():
            response.release()
        else:
            response.close()


def _timeout_message(exc: BaseException, settings: LinkCheckSettings) -> str:
    """Which limit ran out, so the evidence says what the server failed to do in time."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return f"could not connect within {settings.connect_timeout:g}s"
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return f"no answer within {settings.read_timeout:g}s (connected, but nothing was sent)"
    return f"no answer within {settings.total_timeout:g}s"


def local_resource_errno(exc: BaseException | None) -> int | None:
    """The errno of a local resource shortage (out of file descriptors, memory or buffer
    space) anywhere in ``exc``'s chain, or None: that is the checker's trouble, never the site's."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, LocalResourceError | MemoryError):
            return getattr(exc, "errno", None) or errno.ENOMEM
        for candidate in (getattr(exc, "errno", None), getattr(getattr(exc, "os_error", None), "errno", None)):
            if candidate in LOCAL_RESOURCE_ERRNOS:
                return candidate
        exc = getattr(exc, "os_error", None) or exc.__cause__ or exc.__context__
        seen += 1
    return None


def _failure_from(url: str, method: str, exc: BaseException) -> Failure:
    local = local_resource_errno(exc)
    if local is not None:
        # Our own shortage (EMFILE, ENFILE, ENOMEM, ENOBUFS): the caller leaves the link
        # unverified instead of blaming the site.
        raise LocalResourceError(local, f"{errno.errorcode.get(local, local)} while checking: {exc}") from exc

    def fail(kind: FailureKind, message: str) -> Failure:
        return Failure(url, method, kind, message)

    cause: Any = getattr(exc, "os_error", None) or exc.__cause__
    if isinstance(exc, aiohttp.ClientConnectorDNSError) or isinstance(cause, NameNotFoundError | InternalAddressError):
        if isinstance(cause, InternalAddressError):
            return fail(FailureKind.INTERNAL_ADDRESS, str(cause))
        if isinstance(cause, NameNotFoundError):
            return fail(FailureKind.NAME_NOT_FOUND, str(cause))
        if isinstance(cause, NameLookupFailedError):
            return fail(FailureKind.NAME_LOOKUP_FAILED, str(cause))
        return fail(FailureKind.NAME_LOOKUP_FAILED, f"name lookup failed ({cause or exc})")
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
        detail = getattr(exc, "certificate_error", None) or cause or exc
        return fail(FailureKind.TLS, f"TLS error: {detail}")
    if isinstance(exc, TimeoutError):
        return fail(FailureKind.TIMEOUT, f"timed out ({type(exc).__name__})")
    # aiohttp wraps every URL it cannot parse in InvalidURL; a bare ValueError comes from
    # somewhere else (our own headers, a library bug) and is no evidence against the link.
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return fail(FailureKind.MALFORMED_URL, f"malformed URL ({exc})")
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_errno = getattr(exc, "errno", None) or getattr(cause, "errno", None)
        if os_errno == errno.ECONNREFUSED:
            return fail(FailureKind.REFUSED, "connection refused")
        return fail(FailureKind.CONNECT_FAILED, f"could not connect ({exc.strerror or exc})")
    if isinstance(exc, aiohttp.ServerDisconnectedError | ConnectionResetError | aiohttp.ClientPayloadError):
        return fail(FailureKind.RESET, f"connection closed or reset by the server ({type(exc).__name__})")
    if isinstance(exc, aiohttp.ClientResponseError):
        return fail(FailureKind.BAD_RESPONSE, f"unreadable response ({exc.message})")
    if isinstance(exc, aiohttp.ClientOSError):
        if getattr(exc, "errno", None) in (errno.ECONNRESET, errno.EPIPE):
            return fail(FailureKind.RESET, "connection reset by the server")
        return fail(FailureKind.CONNECT_FAILED, f"network error ({exc})")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return fail(FailureKind.BAD_RESPONSE, f"{type(exc).__name__}: {exc}")
    # Anything else is a fault of the checker: the caller leaves the link unverified.
    raise exc
