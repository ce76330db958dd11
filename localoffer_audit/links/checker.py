"""Check outbound links: every URL once, politely, with a verdict and its evidence.

``check_urls(urls, settings)`` is the whole network layer: it takes its inputs (no
globals), opens one ``ClientSession``, and returns one ``LinkResult`` per URL. Storing
results is the stage's job (``links/stage.py``).

How one http(s) link is checked:
1. The name is resolved first under the run's policy (``resolver.py``): a non-public
   address is ``internal_address`` and never connected to; NXDOMAIN is ``broken``.
2. Documents (PDF, Office files...) are asked with HEAD, falling back to GET when HEAD
   is refused or answered wrongly; pages are fetched with GET because their body says
   whether they are really there (soft 404, parked domain, bot challenge). Bodies are
   read and decompressed only up to fixed limits.
3. Redirects are followed by hand, each hop checked like the first, the chain recorded;
   loops and over-long chains end the check.
4. 408/429/5xx and other passing failures are retried with doubling back-off,
   honouring ``Retry-After`` up to a cap. A timeout or a reset gets one more try in the
   run at most: the delayed recheck (6), or with no recheck one immediate retry; a
   timing-out answer teaches little by timing out again. A host that has hung (or hung
   in an earlier run) is never asked HEAD-then-GET: one GET serves both. A 403 is
   retried once with a browser's Accept headers.
5. The final answer is classified (docs/verdicts.md). A 200 deep link is compared with
   what the site answers for a made-up path (asked once per site per run).
6. Soft failures (timeouts, 5xx, resets, refusals) are checked once more after a delay
   (one attempt per request), the recheck started as soon as the failure is known so it
   overlaps the rest of the run; a second failure of the same kind confirms them (a
   different one, such as a 503 after a timeout, is retried as a first failure would
   be and confirms nothing). A link that failed at
   its previous check too needs no recheck (two runs in a row confirm it). A hanging
   host gets one round of rechecks (``per_host`` of its timeouts), and a timeout's
   recheck that would end after the stage has doubled is left to the next run; in a
   run fed while the crawl goes on, so is a quick failure's found before the feed
   ended whose recheck falls due after that horizon.
   Links known slow or hanging from earlier runs (``first``) are started first, so
   their waits overlap the rest. A site that was fine before and now fails repeatedly
   is paused: its remaining links are left unverified this run.
7. An exception the checker did not foresee is its own fault, not the site's: the link
   is left unverified (``checker_error_result``) and the error logged.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import resource
import secrets
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

import aiohttp
from w3lib.url import safe_url_string

from localoffer_audit.models import LinkResult, LinkVerdict
from localoffer_audit.parsing.hrefs import href_problem
from localoffer_audit.links.classify import (
    PageFingerprint,
    bot_challenge_signal,
    fingerprint,
    is_site_root,
    lands_on_home_page,
    page_text,
    parking_signal,
    registrable_domain,
    same_as_probe,
    soft_404_signal,
)
from localoffer_audit.links.certificates import CertificateRecorder, subject_for
from localoffer_audit.links.fingerprint import snapshot_of
from localoffer_audit.links.contact_links import check_email, check_phone, email_from_mailto, number_from_tel, scheme_of
from localoffer_audit.links.http import (
    BROWSER_ACCEPT,
    RETRYABLE_FAILURES,
    RETRYABLE_STATUSES,
    Answer,
    Failure,
    FailureKind,
    fetch,
    make_ssl_context,
    make_timeout,
)
from localoffer_audit.links.mx import MailRoute, Route, mail_route
from localoffer_audit.links.politeness import WORK_LEFT, HostGate, PrioritySlots
from localoffer_audit.links.resolver import (
    AuditResolver,
    InternalAddressError,
    LocalResourceError,
    NameLookupFailedError,
    NameNotFoundError,
)
from localoffer_audit.links.settings import LinkCheckSettings, default_user_agent, user_agent_for

__all__ = ["LinkCheckSettings", "MoreURLs", "check_urls", "default_user_agent", "user_agent_for", "ProgressCallback"]

log = logging.getLogger(__name__)

# Further URLs for a run under way, each batch with those that failed last time; None ends it.
MoreURLs = asyncio.Queue[tuple[Sequence[str], Collection[str]] | None]
# progress(done, total, result) after each URL.
ProgressCallback = Callable[[int, int, LinkResult], None]

DOCUMENT_EXTENSIONS = frozenset(
    {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".rtf", ".csv", ".zip",
     ".mp3", ".mp4", ".mov", ".avi", ".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".epub"}
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
REFUSAL_STATUSES = frozenset({406, 412, 418, 451})
# Verdicts that say "the link itself failed"; the run-level spike guard watches them.
FAILURE_VERDICTS = frozenset({LinkVerdict.BROKEN, LinkVerdict.SERVER_ERROR, LinkVerdict.TIMEOUT})
# Failures that get one more try in a run at most (the delayed recheck, or one retry).
ONE_MORE_TRY = frozenset({FailureKind.TIMEOUT, FailureKind.RESET})
# The detail added to a soft failure whose recheck was left to the next run.
LEFT_TO_NEXT_RUN = "not rechecked in this run (waiting for it would have held up the link check): the next run confirms it"


def wants_body(url: str) -> bool:
    """Pages are fetched with GET (their body is evidence); documents are asked with HEAD."""
    path = urlsplit(url).path.lower()
    dot = path.rfind(".")
    return not (dot > path.rfind("/") and path[dot:] in DOCUMENT_EXTENSIONS)


_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def browser_url(url: str) -> str:
    """The URL a browser would request for ``url`` as written (WHATWG URL parsing):
    tabs and newlines dropped, spaces and other characters outside URLs percent-encoded,
    the host IDNA-encoded. Raises ValueError for what a browser cannot parse (bad port,
    broken IPv6 literal)."""
    return safe_url_string(url.strip())


def malformed_reason(url: str) -> str | None:
    """Why an http(s) URL cannot be requested as written, or None."""
    if _SPACE_OR_CONTROL.search(url.strip()):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        return str(exc)
    host = parts.hostname
    if not host:
        return "no host name"
    if port == 0:
        return "port 0"
    if ".." in host or host.startswith(".") or host.startswith("-"):
        return f"{host!r} is not a valid host name"
    if any(ch in host for ch in "<>\"'{}|\\^`%"):
        return f"{host!r} is not a valid host name"
    try:
        host.encode("idna")
    except UnicodeError:
        return f"{host!r} is not a valid international host name"
    return None


def _default_port(url: str) -> int | None:
    parts = urlsplit(url)
    try:
        return parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None


def connection_budget(settings: LinkCheckSettings) -> tuple[int, int, int]:
    """(open-file soft limit, connections in use at most, idle keep-alive connections at
    most), read from this process's RLIMIT_NOFILE when a run starts: the number of hosts
    a run visits never sets how many file descriptors (or how much memory) it holds."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft <= 0:
        soft = 65536
    budget = max(4, int(soft * settings.fd_share))
    limit = max(1, min(settings.concurrency, budget))
    idle = max(0, min(limit, budget - limit))
    return soft, limit, idle


class BoundedConnector(CertificateRecorder, aiohttp.TCPConnector):
    """A TCPConnector whose idle keep-alive pool is capped: aiohttp's ``limit`` counts only
    connections in use, so without this every host visited keeps an idle socket (and its
    TLS state) until ``keepalive_timeout``. Past the cap the oldest idle one is closed."""

    def __init__(self, *args: object, max_idle: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.max_idle = max_idle
        if not isinstance(getattr(self, "_conns", None), dict) or not hasattr(self, "_force_close"):
            # An aiohttp whose pool we cannot see: keep no idle connection at all.
            log.warning("aiohttp's connection pool is not the one expected: idle connections are not kept")
            self._force_close = True

    def _release(self, key, protocol, *, should_close: bool = False) -> None:  # type: ignore[no-untyped-def]
        super()._release(key, protocol, should_close=should_close)
        self._trim_idle()

    def idle_count(self) -> int:
        return sum(len(queue) for queue in self._conns.values())

    def _trim_idle(self) -> None:
        if self._force_close:
            return
        conns = self._conns
        idle = self.idle_count()
        while idle > self.max_idle and conns:
            oldest = min(conns, key=lambda k: conns[k][0][1] if conns[k] else float("inf"))
            queue = conns[oldest]
            if queue:
                protocol, _since = queue.popleft()
                protocol.close()
                idle -= 1
            if not queue:
                del conns[oldest]


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


# Numbers in headers are ASCII digits only: str.isdigit() also accepts "²" or "١٢",
# which float() and int() then refuse (or read as something the server never said).
_ASCII_SECONDS = re.compile(r"[0-9]{1,12}")
# A real HTTP date is about 30 characters; anything far longer is junk, not parsed.
_MAX_DATE_LENGTH = 100


def ascii_int(value: str | None) -> int | None:
    """The non-negative integer a header says in ASCII digits, or None for anything else."""
    if value is None:
        return None
    value = value.strip(" \t")
    return int(value) if _ASCII_SECONDS.fullmatch(value) else None


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delay-seconds or an HTTP date), or None
    when it says nothing usable; hostile or malformed values never raise."""
    if not value:
        return None
    seconds = ascii_int(value)
    if seconds is not None:
        return float(seconds)
    value = value.strip()
    if len(value) > _MAX_DATE_LENGTH:
        return None
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


@dataclass(slots=True)
class Trace:
    """Where following a link led: the hops, the last answer or the failure."""

    chain: list[dict[str, object]]
    answer: Answer | None = None
    failure: Failure | None = None
    attempts: int = 0
    end_reason: str | None = None  # redirect loop, too many redirects...


class _Checker:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        resolver: AuditResolver,
        settings: LinkCheckSettings,
        connection_limit: int | None = None,
    ) -> None:
        self.session = session
        self.resolver = resolver
        self.settings = settings
        self.ssl_context = make_ssl_context(settings)
        self.requests = PrioritySlots(connection_limit or settings.concurrency)
        self.gates: dict[str, HostGate] = {}
        self.probes: dict[str, asyncio.Task[PageFingerprint | None]] = {}
        self.mail_routes: dict[str, asyncio.Task[MailRoute]] = {}
        # Hosts (host:port) that let a request time out in this run, or hung in an
        # earlier one: asked with one GET, never HEAD-then-GET (each would hang).
        self.hung_hosts: set[str] = set()
        # https host:port keys whose twin check got no answer at all in this run (no
        # https there): the twins of the host's other http links are not asked.
        self.no_https: set[str] = set()

    def without_retries(self) -> _Checker:
        """This checker (same session, per-host gates and probes) making one attempt per
        request: a delayed recheck only confirms a failure the first check already retried,
        so a hanging site costs one timeout more, not another round of retries."""
        twin = copy.copy(self)
        twin.settings = replace(self.settings, retries=0)
        return twin

    def gate(self, url: str) -> HostGate:
        key = _host_key(url)
        gate = self.gates.get(key)
        if gate is None:
            gate = self.gates[key] = HostGate(self.settings.per_host, self.settings.per_host_delay)
        return gate

    # --- one request, retried --------------------------------------------------------

    async def request(
        self, url: str, method: str, *, extra_headers: dict[str, str] | None = None, read_body: bool = True
    ) -> tuple[Answer | Failure, int]:
        """One request with retries for passing failures; (outcome, attempts)."""
        attempts = 0
        gate = self.gate(url)
        while True:
            attempts += 1
            async with gate, self.requests:
                outcome = await fetch(
                    self.session, url, method, self.settings, self.ssl_context,
                    extra_headers=extra_headers, read_body=read_body,
                )
            if isinstance(outcome, Failure) and outcome.kind is FailureKind.TIMEOUT:
                self.hung_hosts.add(_host_key(url))
            delay = self._retry_delay(outcome, attempts)
            if delay is None:
                return outcome, attempts
            if isinstance(outcome, Answer) and outcome.status == 429:
                # The whole host asked us to slow down, not just this URL.
                gate.pause_until = max(gate.pause_until, asyncio.get_running_loop().time() + delay)
            await asyncio.sleep(delay)

    def _retry_delay(self, outcome: Answer | Failure, attempts: int) -> float | None:
        """Seconds to wait before trying again, or None to stop here."""
        if attempts > self.settings.retries:
            return None
        backoff = self.settings.backoff * (2 ** (attempts - 1))
        if isinstance(outcome, Failure):
            if outcome.kind in ONE_MORE_TRY:
                # One more try in the run at most: the delayed recheck when there is one,
                # else a single retry now.
                return backoff if self.settings.confirm_delay <= 0 and attempts == 1 else None
            return backoff if outcome.kind in RETRYABLE_FAILURES else None
        if outcome.status not in RETRYABLE_STATUSES:
            return None
        page = page_text(outcome.text) if outcome.text else None
        if bot_challenge_signal(outcome.status, outcome.headers, page):
            return None  # a challenge does not go away by asking again
        retry_after = _retry_after_seconds(outcome.header("retry-after"))
        if retry_after is not None:
            if retry_after > self.settings.max_retry_after:
                return None
            return max(retry_after, 0.0)
        return backoff

    # --- following a link ------------------------------------------------------------

    async def admit(self, url: str, *, trusted_ok: bool = True) -> Failure | None:
        """Resolve before connecting: refuse internal addresses, report missing names.

        ``trusted_ok`` is False once a redirect chain has left the trusted directory's
        origin: an outside site cannot send us to the directory's private address."""
        host = urlsplit(url).hostname or ""
        try:
            await self.resolver.addresses(host, _default_port(url), trusted_ok=trusted_ok)
        except LocalResourceError:
            raise  # our own shortage: the link is left unverified
        except InternalAddressError as exc:
            return Failure(url, "", FailureKind.INTERNAL_ADDRESS, str(exc))
        except NameNotFoundError as exc:
            return Failure(url, "", FailureKind.NAME_NOT_FOUND, str(exc))
        except (NameLookupFailedError, OSError) as exc:
            return Failure(url, "", FailureKind.NAME_LOOKUP_FAILED, str(exc))
        return None

    async def follow(self, url: str, *, body: bool) -> Trace:
        trace = Trace(chain=[])
        # A URL may come round twice (a site setting a cookie then sending the visitor
        # back); a third time is a loop.
        visits: Counter[str] = Counter()
        current = url
        # The trusted directory host is exempt from the SSRF guard only while every hop
        # so far was on a trusted origin (its own ports), never after an outside site.
        trusted_ok = True
        for _hop in range(self.settings.max_redirects + 1):
            reason = malformed_reason(current)
            if reason:
                trace.failure = Failure(current, "", FailureKind.MALFORMED_URL, f"malformed URL: {reason}")
                return trace
            hop_trusted = self.resolver.is_trusted(urlsplit(current).hostname or "", _default_port(current))
            refused = await self.admit(current, trusted_ok=trusted_ok)
            trusted_ok = trusted_ok and hop_trusted
            if refused:
                trace.chain.append({"url": current, "status": None})
                trace.failure = refused
                return trace
            outcome, attempts = await self._request_hop(current, body)
            trace.attempts += attempts
            if isinstance(outcome, Failure):
                trace.chain.append({"url": current, "status": None})
                trace.failure = outcome
                return trace
            trace.chain.append({"url": current, "status": outcome.status})
            location = outcome.header("location")
            if outcome.status not in REDIRECT_STATUSES or not location:
                trace.answer = outcome
                return trace
            visits[current] += 1
            try:
                target = browser_url(urljoin(current, location.strip()))
            except ValueError:
                trace.answer = outcome
                trace.end_reason = f"redirect to a malformed address {location!r}"
                return trace
            if urlsplit(target).scheme not in ("http", "https"):
                trace.answer = outcome
                trace.end_reason = f"redirect to a non-web address {target!r}"
                return trace
            if visits[target] >= 2:
                trace.answer = outcome
                trace.end_reason = f"redirect loop back to {target}"
                return trace
            current = target
        trace.end_reason = f"more than {self.settings.max_redirects} redirects"
        return trace

    async def _request_hop(self, url: str, body: bool) -> tuple[Answer | Failure, int]:
        attempts = 0
        if not body and _host_key(url) not in self.hung_hosts:
            outcome, attempts = await self.request(url, "HEAD")
            # A HEAD that timed out is not followed by a GET: the host hangs, and a GET
            # would most likely hang as long (the delayed recheck asks with GET).
            if isinstance(outcome, Failure) and outcome.kind is FailureKind.TIMEOUT:
                return outcome, attempts
            # HEAD is refused or answered wrongly by many servers: ask again with GET.
            # A "document" that answers with an HTML page is read too: it is often an
            # error page served with 200 in place of the file.
            if isinstance(outcome, Answer) and (outcome.status < 400 or outcome.status == 429):
                is_page = "html" in (outcome.header("content-type") or "").lower()
                if not (200 <= outcome.status < 300 and is_page):
                    return outcome, attempts
                body = True
        outcome, more = await self.request(url, "GET", read_body=body)
        attempts += more
        if isinstance(outcome, Answer) and outcome.status == 403:
            page = page_text(outcome.text) if outcome.text else None
            if not bot_challenge_signal(outcome.status, outcome.headers, page):
                retried, more = await self.request(url, "GET", extra_headers=BROWSER_ACCEPT, read_body=body)
                attempts += more
                if isinstance(retried, Answer):
                    retried.note = "answered after retrying with a browser's Accept headers" if retried.status != 403 else retried.note
                    return retried, attempts
        return outcome, attempts

    # --- soft-404 probe --------------------------------------------------------------

    async def probe(self, url: str) -> PageFingerprint | None:
        """What the site answers for a made-up path (once per site per run)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        task = self.probes.get(origin)
        if task is None:
            task = self.probes[origin] = asyncio.ensure_future(self._probe(origin))
        return await asyncio.shield(task)

    async def _probe(self, origin: str) -> PageFingerprint | None:
        made_up = f"{origin}/{secrets.token_hex(10)}-{secrets.token_hex(4)}"
        try:
            trace = await self.follow(made_up, body=True)
        except Exception:  # noqa: BLE001 - a failed probe only means "no comparison"
            log.debug("soft-404 probe of %s failed", origin, exc_info=True)
            return None
        answer = trace.answer
        if answer is None or trace.end_reason or not 200 <= answer.status < 300 or answer.text is None:
            return None
        return fingerprint(answer.url, page_text(answer.text))

    # --- verdicts --------------------------------------------------------------------

    async def check(self, url: str) -> LinkResult:
        started = time.monotonic()
        result = await self._check(url)
        result.elapsed_ms = int((time.monotonic() - started) * 1000)
        result.checked_at = datetime.now(UTC)
        return result

    async def _check(self, url: str) -> LinkResult:
        stripped = url.strip()
        for prefix in self.settings.exclude:
            if stripped.startswith(prefix):
                return LinkResult(url, LinkVerdict.EXCLUDED, detail=f"excluded by the config ({prefix})", attempts=0, confirmed=True)
        scheme = scheme_of(stripped)
        if scheme == "mailto":
            return await self._check_email(url, stripped)
        if scheme == "tel":
            verdict = check_phone(number_from_tel(stripped))
            if verdict.valid:
                return LinkResult(url, LinkVerdict.OK, detail=verdict.value, attempts=0, confirmed=True)
            return LinkResult(url, LinkVerdict.INVALID_PHONE, error=verdict.reason, attempts=0, confirmed=True)
        if problem := href_problem(stripped):
            # A mistyped scheme or a bare host name recorded as written by the crawl.
            return LinkResult(url, LinkVerdict.BROKEN, error=f"{problem[0]}: {problem[1]}", attempts=0, confirmed=True)
        if scheme not in ("http", "https"):
            return LinkResult(url, LinkVerdict.UNSUPPORTED, detail=f"{scheme or 'no'} scheme is not checked", attempts=0, confirmed=True)
        # Requested as a browser would (``/Annual Report.pdf`` goes out as ``%20``); the
        # href as written stays the link's identity for the fix list.
        try:
            stripped = browser_url(stripped)
        except ValueError as exc:
            return LinkResult(url, LinkVerdict.BROKEN, error=f"malformed URL: {exc}", attempts=0, confirmed=True)
        reason = malformed_reason(stripped)
        if reason:
            return LinkResult(url, LinkVerdict.BROKEN, error=f"malformed URL: {reason}", attempts=0, confirmed=True)
        trace = await self.follow(stripped, body=wants_body(stripped))
        result = await self._verdict(url, stripped, trace)
        if result.verdict is LinkVerdict.OK and urlsplit(stripped).scheme == "http" and len(trace.chain) == 1:
            result = await self._maybe_insecure(result, stripped)
        return result

    async def _check_email(self, url: str, stripped: str) -> LinkResult:
        verdict = check_email(email_from_mailto(stripped))
        if not verdict.valid:
            return LinkResult(url, LinkVerdict.INVALID_EMAIL, error=verdict.reason, attempts=0, confirmed=True)
        if not self.settings.check_email_mx or verdict.reason:
            # A reason on a valid address says why it was not looked up (Cloudflare hid it).
            return LinkResult(url, LinkVerdict.OK, detail=verdict.reason or verdict.value, attempts=0, confirmed=True)
        found = await self.mail_route(verdict.value.rsplit("@", 1)[1])
        if found.route in (Route.NXDOMAIN, Route.NULL_MX, Route.NO_ROUTE):
            return LinkResult(url, LinkVerdict.INVALID_EMAIL, error=found.detail, attempts=1, confirmed=True)
        # An MX, an address to deliver to, or a failed lookup (not proof the address is wrong).
        return LinkResult(url, LinkVerdict.OK, detail=f"{verdict.value}; {found.detail}", attempts=1, confirmed=True)

    async def mail_route(self, domain: str) -> MailRoute:
        """Where mail for ``domain`` goes (MX, else A/AAAA), asked once per domain per run."""
        key = domain.lower().rstrip(".")
        task = self.mail_routes.get(key)
        if task is None:
            settings = self.settings
            task = self.mail_routes[key] = asyncio.ensure_future(
                mail_route(
                    key, settings.dns_servers, timeout=settings.connect_timeout,
                    known_hosts=frozenset(settings.hosts), hosts_only=settings.hosts_only,
                )
            )
        return await asyncio.shield(task)

    async def _verdict(self, url: str, stripped: str, trace: Trace) -> LinkResult:
        final_url = trace.chain[-1]["url"] if trace.chain else stripped
        base = LinkResult(
            url=url,
            verdict=LinkVerdict.OK,
            final_url=str(final_url),
            redirect_chain=trace.chain,
            attempts=max(trace.attempts, 1),
        )
        if trace.failure is not None:
            return self._failure_verdict(base, trace.failure)
        answer = trace.answer
        if trace.end_reason or answer is None:
            base.status_code = answer.status if answer else None
            if answer is not None and (trace.end_reason or "").startswith("redirect to a non-web"):
                return replace(base, verdict=LinkVerdict.OK, detail=trace.end_reason, confirmed=True)
            return replace(base, verdict=LinkVerdict.BROKEN, error=trace.end_reason, confirmed=True)
        base.status_code = answer.status
        base.method = answer.method
        notes = "; ".join(n for n in (answer.note,) if n)
        page = page_text(answer.text) if answer.text else None
        if page is not None and 200 <= answer.status < 300:
            # A few milliseconds of pure-Python hashing a page: in a worker thread, so the
            # event loop keeps reading the other links' answers meanwhile (run inline, a
            # thousand pages stalled the loop long enough to time out answers in flight).
            subject = subject_for(self.session.connector, answer.url)
            base.page = await asyncio.to_thread(snapshot_of, answer.url, page, cert_subject=subject)
        challenge = bot_challenge_signal(answer.status, answer.headers, page)
        if challenge:
            return replace(base, verdict=LinkVerdict.BLOCKED, detail=f"bot protection: {challenge}", confirmed=True)
        status = answer.status
        if 200 <= status < 300:
            return await self._success_verdict(base, stripped, answer, page, notes)
        if status in (404, 410):
            return replace(base, verdict=LinkVerdict.BROKEN, error=f"HTTP {status}", confirmed=True)
        if status == 401:
            return replace(base, verdict=LinkVerdict.BLOCKED, detail="needs a login (401): could not verify", confirmed=True)
        if status == 403:
            return replace(base, verdict=LinkVerdict.BLOCKED, detail="refused (403) without bot-protection signals: could not verify", confirmed=True)
        if status == 429:
            return replace(base, verdict=LinkVerdict.BLOCKED, detail="rate-limited (429) after retries: could not verify", confirmed=True)
        if status in REFUSAL_STATUSES:
            # Web application firewalls (ModSecurity's 406, geo-blocking 451) refuse
            # automated requests with these; the page may well be there.
            return replace(base, verdict=LinkVerdict.BLOCKED, detail=f"refused ({status}): could not verify", confirmed=True)
        if status >= 500:
            return replace(base, verdict=LinkVerdict.SERVER_ERROR, error=f"HTTP {status} after {base.attempts} attempts")
        if status in REDIRECT_STATUSES:
            return replace(base, verdict=LinkVerdict.BROKEN, error=f"HTTP {status} redirect without a Location")
        # Other 4xx (400, 405 to GET, 451...) are failures but not hard evidence.
        return replace(base, verdict=LinkVerdict.BROKEN, error=f"HTTP {status}")

    def _failure_verdict(self, base: LinkResult, failure: Failure) -> LinkResult:
        kind = failure.kind
        base.error = failure.message
        if kind is FailureKind.INTERNAL_ADDRESS:
            return replace(base, verdict=LinkVerdict.INTERNAL_ADDRESS, confirmed=True)
        if kind is FailureKind.NAME_NOT_FOUND:
            return replace(base, verdict=LinkVerdict.BROKEN, confirmed=True)
        if kind is FailureKind.MALFORMED_URL:
            return replace(base, verdict=LinkVerdict.BROKEN, confirmed=True)
        if kind is FailureKind.TLS:
            return replace(base, verdict=LinkVerdict.TLS_ERROR, confirmed=True)
        if kind is FailureKind.TIMEOUT:
            return replace(base, verdict=LinkVerdict.TIMEOUT)
        if kind in (FailureKind.RESET, FailureKind.BAD_RESPONSE):
            return replace(base, verdict=LinkVerdict.SERVER_ERROR)
        # refused, name lookup failed (not NXDOMAIN), could not connect: not hard evidence.
        return replace(base, verdict=LinkVerdict.BROKEN)

    async def _success_verdict(
        self, base: LinkResult, url: str, answer: Answer, page, notes: str
    ) -> LinkResult:
        final_url = answer.url
        parked = parking_signal(page, final_url)
        if parked:
            return replace(base, verdict=LinkVerdict.PARKED, detail=parked, confirmed=True)
        if lands_on_home_page(url, final_url):
            return replace(base, verdict=LinkVerdict.SOFT_404, detail=f"deep link redirected to the home page {final_url}", confirmed=True)
        if page is not None:
            said = soft_404_signal(page)
            if said:
                return replace(base, verdict=LinkVerdict.SOFT_404, detail=said, confirmed=True)
            if self.settings.soft_404_probe and not is_site_root(url) and not is_site_root(final_url):
                probe = await self.probe(final_url)
                if probe is not None:
                    alike = same_as_probe(fingerprint(final_url, page), probe)
                    if alike:
                        return replace(base, verdict=LinkVerdict.SOFT_404, detail=alike, confirmed=True)
        detail = notes or None
        if len(base.redirect_chain) > 1:
            return self._redirect_verdict(base, url, final_url, detail)
        return replace(base, verdict=LinkVerdict.OK, detail=detail, confirmed=True)

    def _redirect_verdict(self, base: LinkResult, url: str, final_url: str, detail: str | None) -> LinkResult:
        first, last = urlsplit(url), urlsplit(final_url)
        if registrable_domain(first.hostname or "") != registrable_domain(last.hostname or ""):
            return replace(base, verdict=LinkVerdict.MOVED_OFFSITE, detail=f"redirects to another site: {final_url}", confirmed=True)
        statuses = [hop["status"] for hop in base.redirect_chain[:-1]]
        if not any(status in PERMANENT_REDIRECTS for status in statuses):
            return replace(base, verdict=LinkVerdict.OK, detail=detail or "temporary redirect", confirmed=True)
        if _same_but_slash(first, last):
            return replace(base, verdict=LinkVerdict.OK, detail="redirect only adds or removes a trailing slash", confirmed=True)
        if first.scheme == "http" and last.scheme == "https" and _same_but_slash(first._replace(scheme="https"), last):
            return replace(base, verdict=LinkVerdict.INSECURE, detail=f"http:// link redirected to {final_url}", confirmed=True)
        return replace(base, verdict=LinkVerdict.REDIRECTED, detail=f"moved permanently to {final_url}", confirmed=True)

    async def _maybe_insecure(self, result: LinkResult, url: str) -> LinkResult:
        if not self.settings.check_https:
            return result
        twin = urlunsplit(urlsplit(url)._replace(scheme="https"))
        key = _host_key(twin)
        if key in self.no_https:
            return result
        try:
            # One attempt per request: the twin is a bonus check, and a host without https
            # (its port closed, resetting or dropping) would otherwise cost every http link
            # on it HEAD and GET with their retries and back-off (6 tries, ~6 s, measured).
            trace = await self.without_retries().follow(twin, body=False)
        except Exception:  # noqa: BLE001 - the twin is a bonus check
            return result
        answer = trace.answer
        if answer is None and len(trace.chain) <= 1:  # the https host itself did not answer
            self.no_https.add(key)
        if answer is not None and not trace.end_reason and 200 <= answer.status < 300:
            same_site = registrable_domain(urlsplit(answer.url).hostname or "") == registrable_domain(urlsplit(url).hostname or "")
            if same_site:
                return replace(result, verdict=LinkVerdict.INSECURE, detail=f"{twin} works: use https", attempts=result.attempts + trace.attempts)
        return result


def _same_but_slash(a, b) -> bool:
    return (
        (a.scheme, (a.hostname or "").lower(), a.port, a.query) == (b.scheme, (b.hostname or "").lower(), b.port, b.query)
        and a.path.rstrip("/") == b.path.rstrip("/")
    )


# --- the run ---------------------------------------------------------------------------

SOFT_FAILURE_VERDICTS = FAILURE_VERDICTS
# The detail of a result the checker could not produce because of its own fault.
CHECKER_ERROR = "checker error"


def checker_error_result(url: str, exc: BaseException) -> LinkResult:
    """What to record when checking ``url`` raised: a fault of the checker (a bug, an
    unforeseen library error) says nothing about the site, so the link is left
    unverified (it keeps its previous state and is never confirmed), not called failed."""
    return LinkResult(
        url, LinkVerdict.EXCLUDED, attempts=0, unverified=True,
        detail=f"{CHECKER_ERROR}: {type(exc).__name__}: {exc}"[:500],
    )


# The detail of a link not checked because the run's overall time limit ran out.
TIME_LIMITED = "not checked: the link check's overall time limit ([links] max_stage_minutes) ran out"


def is_time_limited(result: LinkResult) -> bool:
    return result.unverified and result.detail == TIME_LIMITED


def is_checker_error(result: LinkResult) -> bool:
    return result.unverified and (result.detail or "").startswith(CHECKER_ERROR)


def _needs_confirmation(result: LinkResult) -> bool:
    return result.verdict in SOFT_FAILURE_VERDICTS and not result.confirmed and not result.unverified


def _order_hosts(urls: Sequence[str], first: Collection[str] = ()) -> list[tuple[str, deque[str]]]:
    """URLs grouped by host. Hosts with a link in ``first`` (known slow or hanging) come
    first, that link at the head of its queue, so its wait overlaps the rest of the run;
    then the busiest host first (so the longest queue starts earliest)."""
    by_host: dict[str, deque[str]] = defaultdict(deque)
    for url in urls:
        by_host[_host_of_url(url)].append(url)
    early = set(first)
    if early:
        for key, queue in by_host.items():
            if any(url in early for url in queue):
                by_host[key] = deque(sorted(queue, key=lambda url: url not in early))
    return sorted(by_host.items(), key=lambda item: (item[1][0] not in early, -len(item[1])))


def _host_of_url(url: str) -> str:
    """The host:port key of an http(s) URL, "~other" for anything else."""
    try:
        return _host_key(url.strip()) if scheme_of(url) in ("http", "https") else "~other"
    except ValueError:
        return "~other"


async def check_urls(
    urls: Sequence[str],
    settings: LinkCheckSettings,
    *,
    progress: ProgressCallback | None = None,
    host_failure_baseline: Mapping[str, float] | None = None,
    on_result: Callable[[LinkResult], None] | None = None,
    first: Collection[str] = (),
    failed_last_time: Collection[str] = (),
    more: MoreURLs | None = None,
) -> list[LinkResult]:
    """Check each distinct URL once; results in the order of ``urls`` (duplicates dropped).

    ``host_failure_baseline`` maps a host name to the share of its links failing at the
    previous check; only a host that was mostly fine (share < 0.5) can be paused, since
    a sudden run of failures there is more likely an outage than dead links.

    ``first``: URLs known slow or hanging from earlier runs. They are started first, and
    their hosts are asked with GET only (no HEAD-then-GET pair).

    ``failed_last_time``: URLs whose previous check failed. A soft failure of one of
    them needs no delayed recheck: failing two runs in a row confirms it (the stage's
    rule), so the run does not wait ``confirm_delay`` for it.

    ``on_result`` gets each final result as soon as it is known (a soft failure after its
    delayed recheck), so the caller can store results in batches as they come.
    ``settings.max_run_seconds`` bounds the whole run, delayed rechecks included: links
    not checked by then come back unverified (``is_time_limited``), soft failures not
    rechecked by then stay unconfirmed.

    ``more``: further URLs while the run goes on (links found while the crawl runs,
    links/early.py), each batch with those of its URLs that failed last time; ``None``
    ends the feed. The run ends once the feed has ended and every URL is done; its
    results come after those of ``urls``, in the order fed. Such a run's length, for
    ``recheck_wait_share``, is counted from the end of the feed: the part of it that
    the night waits for; and its quick failures' rechecks meet that horizon too (a run
    of its own always waits for them).
    """
    distinct = list(dict.fromkeys(urls))
    total = len(distinct)
    results: dict[str, LinkResult] = {}
    resolver = AuditResolver(settings.resolver_policy(), lookup_timeout=settings.connect_timeout)
    soft_limit, limit, max_idle = connection_budget(settings)
    log.info(
        "link checker: open-file limit %d; at most %d connections in use and %d idle (closed after %gs)",
        soft_limit, limit, max_idle, settings.keepalive_seconds,
    )
    connector = BoundedConnector(
        resolver=resolver,
        limit=limit,
        limit_per_host=0,  # our HostGate limits per host, including redirect hops
        ttl_dns_cache=None,
        use_dns_cache=False,  # the resolver caches per run and applies the policy each time
        enable_cleanup_closed=False,
        keepalive_timeout=settings.keepalive_seconds,
        max_idle=max_idle,
    )
    done = 0
    held: set[str] = set()
    known_failing = set(failed_last_time)
    # host key -> the queue its workers are taking URLs from, while they run.
    working: dict[str, deque[str]] = {}
    loop = asyncio.get_running_loop()
    started = loop.time()
    # A fed run's limit starts when its feed ends (take_more sets it then).
    deadline = started + settings.max_run_seconds if settings.max_run_seconds > 0 and more is None else None
    # url -> (delayed recheck task, loop time its attempt is due, the first failure was a timeout)
    rechecks: dict[str, tuple[asyncio.Task[None], float, bool]] = {}
    timeout_rechecks: Counter[str] = Counter()  # per host:port

    def emit(result: LinkResult) -> None:
        held.discard(result.url)
        if on_result is not None:
            on_result(result)

    async with aiohttp.ClientSession(
        connector=connector,
        timeout=make_timeout(settings),
        headers={"User-Agent": settings.user_agent},
        auto_decompress=False,
        # Cookies are kept for the run: some sites set one and redirect back, and
        # without it they redirect forever.
        cookie_jar=aiohttp.CookieJar(),
        trust_env=False,
    ) as session:
        checker = _Checker(session, resolver, settings, connection_limit=limit)
        # Hosts known to hang or be slow are asked with GET only from the start.
        checker.hung_hosts.update(_host_of_url(url) for url in first)
        once = checker.without_retries()
        baseline = host_failure_baseline or {}
        paused_hosts: set[str] = set()

        def record(result: LinkResult) -> None:
            nonlocal done
            results[result.url] = result
            done += 1
            if progress is not None:
                try:
                    progress(done, total, result)
                except Exception:  # noqa: BLE001 - a broken progress display never stops a run
                    log.exception("progress callback failed")
            if settings.confirm_delay > 0 and _needs_confirmation(result) and result.url not in known_failing:
                slow = result.verdict is LinkVerdict.TIMEOUT
                host = _host_of_url(result.url)
                if slow and timeout_rechecks[host] >= settings.per_host:
                    # One round of rechecks per hanging host (per_host at once): each
                    # further round would cost another timeout. The next run confirms.
                    results[result.url] = replace(result, detail=_add_detail(result.detail, LEFT_TO_NEXT_RUN))
                    emit(results[result.url])
                    return
                timeout_rechecks[host] += int(slow)
                # Final only after its delayed recheck, which starts waiting now.
                held.add(result.url)
                task = asyncio.ensure_future(_delayed_recheck(checker, once, result, settings, results, paused_hosts, emit))
                due = loop.time() + settings.confirm_delay
                rechecks[result.url] = (task, due, slow)
            else:
                emit(result)

        async def host_worker(host_key: str, queue: deque[str], pause: dict[str, object]) -> None:
            WORK_LEFT.set(queue.__len__)
            while queue:
                url = queue.popleft()
                if pause.get("paused"):
                    record(LinkResult(url, LinkVerdict.EXCLUDED, attempts=0, unverified=True, detail=str(pause["why"])))
                    continue
                try:
                    result = await checker.check(url)
                except LocalResourceError as exc:
                    log.warning("%s left unverified: this machine ran short (%s), not the site's fault", url, exc)
                    record(checker_error_result(url, exc))
                    continue
                except Exception as exc:  # noqa: BLE001 - one bad link never ends the run
                    log.exception("checker error on %s: left unverified (a fault of the checker, not the site)", url)
                    record(checker_error_result(url, exc))
                    continue  # says nothing about the host either: its failure streak stands
                record(result)
                if host_key == "~other":
                    continue
                if _needs_confirmation(result):
                    pause["streak"] = int(pause.get("streak", 0)) + 1  # type: ignore[call-overload]
                else:
                    pause["streak"] = 0
                host = host_key.rsplit(":", 1)[0]
                if (
                    settings.host_pause_after
                    and pause["streak"] >= settings.host_pause_after  # type: ignore[operator]
                    and baseline.get(host, 1.0) < 0.5
                ):
                    pause["paused"] = True
                    paused_hosts.add(host)
                    pause["why"] = (
                        f"not checked: {host} paused after {pause['streak']} failures in a row "
                        "(it was fine before; likely an outage, checked again next run)"
                    )

        # Hosts are worked on a bounded number at a time, busiest first, so the number
        # of tasks stays small however many hosts a run has: enough to keep every
        # connection slot busy (also while some hosts wait out a back-off), few enough
        # that the idle pool keeps their connections alive between requests.
        active_hosts = asyncio.Semaphore(max(limit + max_idle, 16))

        # Per host, its failure streak and pause: kept for the whole run, so a host whose
        # links come in several batches (fed while the crawl runs) is paused all the same.
        pauses: defaultdict[str, dict[str, object]] = defaultdict(lambda: {"streak": 0})

        async def work_on_host(host_key: str, queue: deque[str]) -> None:
            try:
                shared = pauses[host_key]
                # Again while URLs fed meanwhile wait in the queue. No await between the
                # queue found empty and the host leaving ``working``: a URL fed is either
                # seen here or starts the host anew.
                while queue:
                    workers = len(queue) if host_key == "~other" else min(settings.per_host, len(queue))
                    await asyncio.gather(*(host_worker(host_key, queue, shared) for _ in range(min(workers, 50))))
            finally:
                if working.get(host_key) is queue:
                    del working[host_key]
                active_hosts.release()

        tasks: list[asyncio.Future[None]] = []

        async def start_hosts(urls_: Sequence[str]) -> None:
            for host_key, queue in _order_hosts(urls_, first):
                if host_key in working:  # its workers take these too
                    working[host_key].extend(queue)
                    continue
                await active_hosts.acquire()
                if host_key in working:  # started while this waited for a slot
                    working[host_key].extend(queue)
                    active_hosts.release()
                    continue
                # Registered before the task runs: a batch right behind this one finds it.
                working[host_key] = queue
                tasks.append(asyncio.ensure_future(work_on_host(host_key, queue)))

        fed_until: float | None = None  # loop time the feed ended

        async def take_more(feed: MoreURLs, time_limit: asyncio.Timeout) -> None:
            nonlocal total, fed_until, deadline
            while (batch := await feed.get()) is not None:
                fed, failing = batch
                new = [url for url in dict.fromkeys(fed) if url not in seen]
                seen.update(new)
                distinct.extend(new)
                total += len(new)
                known_failing.update(failing)
                await start_hosts(new)
            fed_until = loop.time()
            if settings.max_run_seconds > 0:  # a fed run's time limit counts from here
                deadline = fed_until + settings.max_run_seconds
                time_limit.reschedule(deadline)

        seen = set(distinct)

        async def run_all(time_limit: asyncio.Timeout) -> None:
            await start_hosts(distinct)
            if more is not None:
                await take_more(more, time_limit)
            await asyncio.gather(*tasks)
            if fed_until is None:
                # Rechecks of fast failures (5xx, resets, refusals) cost the confirmation
                # delay and a quick answer: in a run of its own, always waited for.
                await asyncio.gather(*(task for task, _due, slow in list(rechecks.values()) if not slow))
            # A timeout's recheck costs the delay and another timeout: waited for only if
            # it would end (due, plus one more first-byte wait) before the stage has run
            # (1 + recheck_wait_share) times as long as it has so far; the others are left
            # to the next run, whose failure confirms. Judged by its end, not its start: a
            # recheck due just inside the horizon still holds the stage a whole timeout.
            # A fed run (``more``: links checked while the crawl runs) is measured from the
            # end of its feed, what the night waits for after the crawl, and counts as at
            # least one first-byte wait: a recheck under way as the crawl ends is not
            # dropped because little else was left. There the fast failures' rechecks
            # meet the same horizon when the failure was found before the feed ended:
            # theirs are the failures of the last services the crawl stored (earlier
            # ones were rechecked during it), and waiting a whole confirmation delay for
            # them was most of what a first night waited for after its crawl
            # (bench_demo.py, 400 services: 26 s of 85). A fast failure found after it
            # (the last batch: the directory's own site, links not fed yet) is checked
            # as in a run of its own, its recheck always waited for.
            if fed_until is not None:
                so_far = max(loop.time() - fed_until, settings.read_timeout)
                horizon = fed_until + so_far * (1 + settings.recheck_wait_share)
            else:
                horizon = started + (loop.time() - started) * (1 + settings.recheck_wait_share)
            for url, (task, due, slow) in list(rechecks.items()):
                if task.done():
                    continue
                if not slow and (fed_until is None or due - settings.confirm_delay >= fed_until):
                    continue
                if due + (settings.read_timeout if slow else 0) > horizon:
                    task.cancel()
                    first_result = results[url]
                    results[url] = replace(first_result, detail=_add_detail(first_result.detail, LEFT_TO_NEXT_RUN))
                    emit(results[url])
            await asyncio.gather(*(task for task, _due, _slow in rechecks.values()), return_exceptions=True)

        try:
            async with asyncio.timeout_at(deadline) as time_limit:
                await run_all(time_limit)
        except TimeoutError:
            if deadline is None or loop.time() < deadline:
                raise
            log.warning("link check stopped at its time limit; links not checked yet are left unverified")
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for url in distinct:
                if url not in results:
                    record(LinkResult(url, LinkVerdict.EXCLUDED, attempts=0, unverified=True, detail=TIME_LIMITED))
        finally:
            for task, _due, _slow in rechecks.values():
                task.cancel()
            for lookup in [*checker.probes.values(), *checker.mail_routes.values()]:
                if not lookup.done():
                    lookup.cancel()
            await asyncio.gather(*(task for task, _due, _slow in rechecks.values()), return_exceptions=True)
        # Soft failures whose recheck did not finish (time limit) stay unconfirmed.
        for url in sorted(held):
            emit(results[url])
    return [results[url] for url in distinct]


def _add_detail(detail: str | None, more: str) -> str:
    return (detail + "; " if detail else "") + more


async def _delayed_recheck(
    checker: _Checker,
    once: _Checker,
    first: LinkResult,
    settings: LinkCheckSettings,
    results: dict[str, LinkResult],
    paused_hosts: set[str],
    emit: Callable[[LinkResult], None],
) -> None:
    """Check a soft failure once more after ``confirm_delay`` (one attempt per request):
    failing again *the same way* confirms it. Started as soon as the failure is known.

    A different failure confirms nothing: a first try that timed out (on a loaded
    machine, before the site even saw it) and a recheck that then met the site's one
    passing 503 are two failures each seen once. Such a quick failure was asked only
    once, so it gets the retries any first failure gets (a 503 with Retry-After is
    asked again after it); a recheck that timed out is not asked again (another timeout)."""
    await asyncio.sleep(settings.confirm_delay)
    if (urlsplit(first.url.strip()).hostname or "") in paused_hosts:
        # Its site was paused after a sudden run of failures: not confirmed in this run.
        emit(first)
        return
    try:
        again = await once.check(first.url)
        attempts = first.attempts + again.attempts
        if _fails_differently(first, again) and again.verdict is not LinkVerdict.TIMEOUT:
            again = await checker.check(first.url)
            attempts += again.attempts
    except Exception as exc:  # noqa: BLE001 - a checker fault confirms nothing
        log.exception("checker error on the delayed recheck of %s: its failure stays unconfirmed", first.url)
        results[first.url] = replace(
            first, detail=_add_detail(first.detail, f"delayed recheck not made ({CHECKER_ERROR}: {type(exc).__name__}: {exc})"[:500]),
        )
        emit(results[first.url])
        return
    if again.verdict not in SOFT_FAILURE_VERDICTS:
        results[first.url] = replace(
            again, attempts=attempts,
            detail=_add_detail(again.detail, f"recovered on a delayed recheck (first: {first.verdict})"),
        )
    elif _fails_differently(first, again):
        # Latest evidence kept, unconfirmed: the next run's failure confirms it.
        results[first.url] = replace(
            again, confirmed=False, attempts=attempts,
            detail=_add_detail(again.detail, f"failed differently on a delayed recheck (first: {first.verdict}): not confirmed"),
        )
    else:
        results[first.url] = replace(
            again, confirmed=True, attempts=attempts, detail=_add_detail(again.detail, "failed again on a delayed recheck"),
        )
    emit(results[first.url])


def _fails_differently(first: LinkResult, again: LinkResult) -> bool:
    """The recheck failed, but not as the first check did (a 503 after a timeout, a
    timeout after a 503...), and not with hard evidence that confirms on its own (404)."""
    return again.verdict in SOFT_FAILURE_VERDICTS and again.verdict is not first.verdict and not again.confirmed


def verdict_counts(results: Sequence[LinkResult]) -> Counter[str]:
    return Counter("unverified" if r.unverified else str(r.verdict) for r in results)
