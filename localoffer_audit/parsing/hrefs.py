"""Hrefs a family could click that are no usable address: a mistyped scheme, a bare host.

Browsers treat ``htttp://example.org`` as an unknown scheme and ``www.example.org`` as a
page on the directory's own site, so both links are broken for the family who clicks
them. They are recorded as written (never "repaired"), with the reason and the fix, so
the content manager hears of them; the link checker reports them as broken.
"""

from __future__ import annotations

import re

# Schemes that are a typing slip for http(s): "htttp", "htp", "hhtp", "http;", "https;"...
_MISTYPED_SCHEME = re.compile(r"^(?P<scheme>h+t+p+s?|h+t+t+p+s?|ht+ps?|htps?|hhtps?|https?s+|http[;.,]|https[;.,])(?P<sep>:?//?|:)", re.I)
# "http//example.org" or "https//example.org": the colon is missing.
_NO_COLON = re.compile(r"^(https?)//", re.I)
# A host name with no scheme: "www.example.org/page" or "example.org.uk".
_BARE_HOST = re.compile(r"^(www\d?\.[a-z0-9-]+(\.[a-z0-9-]+)+|[a-z0-9-]+(\.[a-z0-9-]+)*\.(org|com|net|uk|gov\.uk|org\.uk|co\.uk|info))(/|$|\?)", re.I)


def href_problem(href: str | None) -> tuple[str, str] | None:
    """``(reason, fix)`` for an href no browser can follow as meant, else None."""
    if not href:
        return None
    text = href.strip()
    if not text or text.startswith(("#", "/", "?", "./", "../")):
        return None
    lowered = text.lower()
    if lowered.startswith(("http://", "https://", "mailto:", "tel:", "javascript:", "data:", "ftp://", "sms:")):
        return None
    if match := _NO_COLON.match(text):
        fixed = f"{match.group(1).lower()}://{text[match.end():]}"
        return (f"the address {text!r} has no ':' after {match.group(1)}", f"change it to {fixed}")
    match = _MISTYPED_SCHEME.match(text)
    if match and match.group("scheme").lower() not in ("http", "https"):
        secure = "s" in match.group("scheme").lower().rstrip(";.,").lstrip("h").lstrip("t").lstrip("p")
        scheme = "https" if secure else "http"
        rest = text[match.end():].lstrip("/")
        return (
            f"the address {text!r} starts with the mistyped scheme {match.group('scheme')!r}",
            f"change it to {scheme}://{rest}",
        )
    if _BARE_HOST.match(text):
        return (
            f"the address {text!r} has no http:// or https://, so browsers open it as a page of this site",
            f"change it to https://{text}",
        )
    return None
