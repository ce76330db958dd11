"""Small text helpers shared by the parsers: whitespace, known value quirks, emails.

Everything here is pure and works on strings, so each quirk is a one-line table test.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

# The contact-value repairs (printed twice, map-link text, postcodes, Cloudflare) are the
# one contact vocabulary's (parsing/contact_values.py); parsers import them from there.
from localoffer_audit.parsing.contact_values import undouble

_SPACE = re.compile(r"\s+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def clean(text: str | None) -> str:
    """Collapse runs of whitespace (including non-breaking spaces) and trim."""
    if not text:
        return ""
    return _SPACE.sub(" ", text.replace("\xa0", " ")).strip()


def clean_or_none(text: str | None) -> str | None:
    cleaned = clean(text)
    return cleaned or None


def normalise_label(label: str) -> str:
    """Labels vary in case and trailing colons: "Age Groups:" == "age groups"."""
    return clean(label).rstrip(":").strip().lower()


def clean_phone(text: str | None) -> str | None:
    value = clean(text)
    return undouble(value) if value else None


def first_email(text: str | None) -> str | None:
    match = _EMAIL.search(text or "")
    return match.group(0) if match else None


def slug(label: str) -> str:
    """A field name from a label: "Social Media:" -> "social_media"."""
    return re.sub(r"[^a-z0-9]+", "_", normalise_label(label)).strip("_") or "field"


def email_as_shown(mailto_addresses: list[str], text: str) -> str | None:
    """The address as the page gives it (the first mailto: address, else the one @-word
    of the text), not a cleaned-up guess: "admin@@x.org" or "hello@charity" must reach
    the email checks as written."""
    for address in mailto_addresses:
        address = unquote(address.split("?", 1)[0]).strip()
        if address:
            return address
    tokens = [token for token in text.split() if "@" in token]
    if len(tokens) == 1:
        return tokens[0].strip("<>()[],;")
    return first_email(text)
