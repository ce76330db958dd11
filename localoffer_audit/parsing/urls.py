"""The key a link is stored and checked under: its canonical URL.

`HTTPS://Example.org/x`, `https://example.org:443/x` and `https://example.org/x` are one
address (RFC 3986 section 6.2.3: scheme and host are case-insensitive, a default port and
an empty path mean the same), so they are one link, checked once. Only these equivalences
are applied: the path, query and fragment stay exactly as written (a server may treat
`/X` and `/x` as different pages). The href as written is kept beside the key
(``link_places.href``) for the fix list. Pure.
"""

from __future__ import annotations

import re

_HIERARCHICAL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$", re.DOTALL)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
DEFAULT_PORTS = {"http": "80", "https": "443"}


def canonical_link_url(url: str) -> str:
    """``url`` with its scheme and host in lower case, a default port dropped and an empty
    http(s) path written as "/". Anything it cannot read is returned as it is."""
    match = _HIERARCHICAL.match(url)
    if match is None:
        opaque = _SCHEME.match(url)
        # mailto:, tel:: only the scheme is case-insensitive for certain.
        return opaque.group(1).lower() + url[opaque.end(1):] if opaque else url
    scheme, authority, rest = match.group(1).lower(), match.group(2), match.group(3)
    userinfo, at, hostport = authority.rpartition("@")
    hostport = hostport.lower()
    default = DEFAULT_PORTS.get(scheme)
    if default is not None:
        hostport = hostport.removesuffix(f":{default}")
        if not rest or rest[0] in "?#":
            rest = "/" + rest
    return f"{scheme}://{userinfo}{at}{hostport}{rest}"
