"""`init --url`: look at a directory once and write a config naming what it is and why.

One or two plain GET requests (the URL, then its ``/services`` if the URL itself says
nothing), with the project's User-Agent and a time limit, never to a private address
unless allowed. What the page is comes from ``detect.py``, as for ``platform = "auto"``;
the config written names the platform, the reason, and for a ``generic`` site the
inferred selectors, for the officer to confirm with ``crawl --dry-run``.
"""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from localoffer_audit.crawl.detect import Detection, detect_platform
from localoffer_audit.parsing.addresses import is_ip_literal, is_public_address

PROBE_TIMEOUT_SECONDS = 30
PROBE_MAX_BYTES = 5_000_000
USER_AGENT = "localoffer-audit (Local Offer link and content checker; setting up)"


class ProbeError(Exception):
    """The URL could not be read; the message says why in one line."""


@dataclass(slots=True)
class Probe:
    url: str
    detection: Detection


def _check_address(url: str, allow_private: bool) -> None:
    host = urlsplit(url).hostname or ""
    if not host:
        raise ProbeError(f"{url} has no host name")
    if allow_private:
        return
    try:
        addresses = {host} if is_ip_literal(host) else {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise ProbeError(f"the name {host} does not resolve ({exc.strerror})") from exc
    private = sorted(a for a in addresses if not is_public_address(a))
    if private:
        raise ProbeError(f"{host} is a private address ({private[0]}): refused")


def _fetch(url: str, allow_private: bool) -> tuple[int, str, str]:
    _check_address(url, allow_private)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/json"})
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_SECONDS) as answer:  # noqa: S310 - http(s) only, checked by the config
            body = answer.read(PROBE_MAX_BYTES)
            charset = answer.headers.get_content_charset() or "utf-8"
            return answer.status, answer.headers.get("Content-Type", ""), body.decode(charset, "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", "") if exc.headers else "", ""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProbeError(f"{url} could not be read: {reason}") from exc


def probe(url: str, *, allow_private: bool = False) -> Probe:
    if not url.startswith(("http://", "https://")):
        raise ProbeError(f"{url!r} is not an http:// or https:// URL")
    status, content_type, text = _fetch(url, allow_private)
    if status != 200:
        raise ProbeError(f"{url} answered HTTP {status}")
    detection = detect_platform(url, content_type, text)
    if detection.platform is None and not urlsplit(url).path.rstrip("/").endswith("/services"):
        # An ORUK API's base may answer nothing useful; its /services says what it is.
        services = url.split("?", 1)[0].rstrip("/") + "/services"
        try:
            status, content_type, text = _fetch(services, allow_private)
        except ProbeError:
            status = 0
        if status == 200:
            found = detect_platform(services, content_type, text)
            if found.platform == "oruk":
                return Probe(url, found)
    return Probe(url, detection)


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_for(found: Probe, starter: str) -> str:
    """The starter config with [directory] set to what the probe found (and why)."""
    detection = found.detection
    platform = detection.platform or "auto"
    why = (f"# Found by `localoffer-audit init --url`: {detection.reason}." if detection.platform
           else f"# `localoffer-audit init --url` could not tell the platform: {detection.reason}. "
                "Set platform and, for generic, the selectors below.")
    text = re.sub(r'(?m)^platform = "[a-z]+"$', f"{why}\nplatform = {_toml_string(platform)}", starter, count=1)
    text = re.sub(r"(?m)^start_urls = \[.*\]$", f"start_urls = [{_toml_string(found.url)}]", text, count=1)
    listing = detection.listing
    if platform == "generic" and listing is not None:
        lines = [
            "# Selectors inferred from the start page: confirm them with `localoffer-audit crawl --dry-run`.",
            "# With no fields, record pages are read from their structure (headings, <dl>, Drupal fields).",
            "[directory.generic]",
            f"service_link = {_toml_string(listing.service_link)}",
        ]
        if listing.next_page:
            lines.append(f"next_page = {_toml_string(listing.next_page)}")
        if listing.page_links:
            lines.append(f"page_links = {_toml_string(listing.page_links)}")
        if listing.id_pattern:
            lines.append(f"id_pattern = {_toml_string(listing.id_pattern)}")
        text = text.replace("\n[crawl]\n", "\n" + "\n".join(lines) + "\n\n[crawl]\n", 1)
    return text
