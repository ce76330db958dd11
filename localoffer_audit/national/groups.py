"""Politeness groups: which links may not be checked by two jobs at once.

A link's group is its host and port (the unit the checker's own per-host gate limits),
or a domain the registry names as one shared platform (all hosts under it). Every
link-check job holds its group as its procrastinate ``lock``, so across all workers and
machines at most one batch per group is in flight and per-host politeness holds
nationally. Links that are not web links (mailto:, tel:) go by their mail domain or
share one group: they ask DNS, not a web server.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from localoffer_audit.links.contact_links import email_from_mailto, scheme_of


def politeness_group(url: str, shared_domains: Iterable[str] = ()) -> str:
    scheme = scheme_of(url)
    if scheme in ("http", "https"):
        try:
            parts = urlsplit(url.strip())
            host = (parts.hostname or "").lower().rstrip(".")
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            return "other"
        if not host:
            return "other"
        for domain in shared_domains:
            # The named domain and every host under it (nhs.uk is a public suffix itself,
            # so this is by name, not by registrable domain).
            if host == domain or host.endswith("." + domain):
                return f"domain:{domain}"
        return f"host:{host}:{port}"
    if scheme == "mailto":
        address = email_from_mailto(url) or ""
        domain = address.rpartition("@")[2].lower()
        return f"mail:{domain}" if domain else "other"
    return "other"
