"""Which certificate each https host presented this run (for the page fingerprint).

aiohttp hands a connection back to its pool as soon as a small body is read, so by the
time a response is returned its transport is often gone. The subject is therefore read
where the TLS connection is made: a mixin for the checker's connector records it per
(host, port), bounded, and ``subject_for`` looks it up for a final URL.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from localoffer_audit.links.fingerprint import subject_of

log = logging.getLogger(__name__)

# Hosts remembered per run at most (a national run visits ~100k): past it, the oldest go.
MAX_HOSTS = 50_000


class CertificateRecorder:
    """Mix into an ``aiohttp.TCPConnector`` subclass (before it in the bases)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.certificate_subjects: dict[tuple[str, int], str] = {}

    async def _wrap_create_connection(self, *args: Any, req: Any, **kwargs: Any) -> Any:
        transport, protocol = await super()._wrap_create_connection(*args, req=req, **kwargs)  # type: ignore[misc]
        try:
            subject = subject_of(transport.get_extra_info("peercert"))
            if subject:
                subjects = self.certificate_subjects
                if len(subjects) >= MAX_HOSTS:
                    subjects.pop(next(iter(subjects)))
                subjects[(str(req.host).lower(), int(req.port))] = subject
        except Exception:  # noqa: BLE001 - a bonus detail; never a reason to fail a connection
            log.debug("could not read the certificate subject", exc_info=True)
        return transport, protocol


def subject_for(connector: Any, url: str) -> str | None:
    """The certificate subject recorded for ``url``'s host this run, or None."""
    subjects = getattr(connector, "certificate_subjects", None)
    if not subjects:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https":
        return None
    try:
        port = parts.port or 443
    except ValueError:
        return None
    return subjects.get(((parts.hostname or "").lower(), port))
