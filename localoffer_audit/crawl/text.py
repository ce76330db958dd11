"""Small text helpers shared by the parsers: whitespace, known value quirks, emails.

Everything here is pure and works on strings, so each quirk is a one-line table test.
"""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
# FSD pages glue the text of the map link onto the postcode: "GL4 5BQGet directions".
_MAP_LINK_TEXT = re.compile(r"\s*(get directions|view map|show map|view on map|show on map)\s*$", re.I)
_UK_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})\b", re.I)
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


def undouble(text: str) -> str:
    """Repair a value printed twice with nothing between: "01454 77211701454 772117".

    Only an exact doubling is repaired (the two halves identical once spaces are
    ignored), so a genuine long number is never cut.
    """
    compact = text.replace(" ", "")
    if len(compact) >= 6 and len(compact) % 2 == 0:
        half = len(compact) // 2
        if compact[:half] == compact[half:]:
            # Keep the spacing of the first copy.
            seen = 0
            for index, char in enumerate(text):
                if char != " ":
                    seen += 1
                if seen == half:
                    return text[: index + 1].strip()
    # "01454 772117 01454 772117": two copies with a space between.
    parts = text.split(" ")
    if len(parts) % 2 == 0 and len(parts) >= 2:
        half = len(parts) // 2
        if parts[:half] == parts[half:]:
            return " ".join(parts[:half])
    return text


def clean_phone(text: str | None) -> str | None:
    value = clean(text)
    return undouble(value) if value else None


def clean_postcode(text: str | None) -> str | None:
    """Strip map-link text glued to the postcode; keep what is left as shown."""
    value = clean(text)
    if not value:
        return None
    stripped = _MAP_LINK_TEXT.sub("", value).strip()
    match = _UK_POSTCODE.search(stripped)
    if match:
        return match.group(1).upper()
    return stripped or None


def strip_map_text(text: str) -> str:
    """A line without the map-link text glued to its end ("GL4 5BQGet directions")."""
    return _MAP_LINK_TEXT.sub("", clean(text)).strip()


def find_postcode(text: str | None) -> str | None:
    """The last UK-shaped postcode in a block of address text, if any."""
    if not text:
        return None
    matches = _UK_POSTCODE.findall(_MAP_LINK_TEXT.sub("", clean(text)))
    return matches[-1].upper() if matches else None


def first_email(text: str | None) -> str | None:
    match = _EMAIL.search(text or "")
    return match.group(0) if match else None


def decode_cloudflare_email(encoded: str) -> str | None:
    """Decode Cloudflare's email obfuscation (``data-cfemail`` / ``#hex`` in the href).

    The first byte is an XOR key for the rest. Returns None for anything malformed.
    """
    encoded = encoded.strip()
    if len(encoded) < 4 or len(encoded) % 2 or not re.fullmatch(r"[0-9a-fA-F]+", encoded):
        return None
    key = int(encoded[:2], 16)
    try:
        decoded = bytes(int(encoded[i : i + 2], 16) ^ key for i in range(2, len(encoded), 2)).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return decoded if "@" in decoded else None


def slug(label: str) -> str:
    """A field name from a label: "Social Media:" -> "social_media"."""
    return re.sub(r"[^a-z0-9]+", "_", normalise_label(label)).strip("_") or "field"
