"""The fingerprint's own phone and postcode keys of format 1 (links/fingerprint.py at
58ab623, verbatim), before issue 14 moved them to parsing/contact_values.py. Kept only to
compare with: tests/test_fingerprint_formats.py shows which keys changed, and
benchmarks/fingerprint_before.py (the frozen earlier fingerprint) still builds the
format-1 term filter it timed. Not used by the pipeline.
"""

from __future__ import annotations

import re

PHONE = re.compile(r"(?:\+44\s?(?:\(0\)\s?)?|\b0)(?:\d[\s\-.()]{0,2}){9,10}")
POSTCODE = re.compile(r"\b([a-z]{1,2}[0-9][a-z0-9]?)\s*([0-9][a-z]{2})\b")


def phone_digits(value: str) -> str | None:
    """A UK phone number as national digits ("01142734567"), or None."""
    digits = re.sub(r"\D", "", value)
    if digits.startswith("44") and len(digits) in (12, 13):
        digits = "0" + digits[2:]
        if digits.startswith("00"):
            digits = digits[1:]
    return digits if digits.startswith("0") and len(digits) in (10, 11) else None


def postcodes(text: str) -> set[str]:
    """Format 1's postcode keys of a (lower-case) text: "s118ab"."""
    return {f"{m.group(1)}{m.group(2)}" for m in POSTCODE.finditer(text)}
