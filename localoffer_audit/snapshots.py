"""What a checked web page looked like, as stored: the types of a page fingerprint.

links/fingerprint.py makes them from a fetched page; the store keeps them as JSON; the
safeguarding checks in findings/ compare them. They live at the bottom so that the
store and the models can name them without importing the link checker.
"""

from __future__ import annotations

import base64
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The stored format of a snapshot (its JSON's "format"; absent in format 1):
# 1. before issue 14: no "format" key; postcodes kept as "pc:s118ab", numbers by the
#    fingerprint's own regex and key;
# 2. the page read by parsing/html_text.py, phones and postcodes by
#    parsing/contact_values.py: "tel:01142734567", "pc:S118AB".
# A snapshot is compared with the entry in its own format's spelling
# (links/fingerprint.py names_provider), so a baseline stored before compares like with like.
FORMAT = 2
MAX_TERMS = 2500
FILTER_HASHES = 7
# A page with fewer words says too little to compare (a single-page app's shell, a
# maintenance notice): nothing is concluded from it either way.
MIN_WORDS = 40


def hash32(text: str, seed: int = 0) -> int:
    # CRC-32: stable across processes (Python's hash() is salted), and a C call, so a
    # page's few thousand shingles cost well under a millisecond. Not for security.
    return zlib.crc32(text.encode("utf-8"), seed)


# --- the term filter ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermFilter:
    """A Bloom filter of terms: ``"word"``, ``"tel:01142734567"``, ``"pc:s118ab"``."""

    bits: bytes
    hashes: int = FILTER_HASHES

    @classmethod
    def of(cls, terms: Iterable[str]) -> TermFilter:
        unique = list(dict.fromkeys(terms))[:MAX_TERMS]
        # 9.6 bits a term gives about 1% false positives with 7 hashes.
        size = max(1024, math.ceil(len(unique) * 9.6 / 8) * 8)
        bits = bytearray(size // 8)
        # _positions inlined (same double hashing): this loop runs for every term of
        # every page checked, and a generator per term was most of its cost.
        crc32, steps = zlib.crc32, range(FILTER_HASHES)
        for term in unique:
            data = term.encode("utf-8")
            first, second = crc32(data), crc32(data, 0x5BD1E995) | 1
            for i in steps:
                position = (first + i * second) % size
                bits[position >> 3] |= 1 << (position & 7)
        return cls(bytes(bits))

    @staticmethod
    def _positions(term: str, size: int, hashes: int) -> Iterable[int]:
        first, second = hash32(term), hash32(term, 0x5BD1E995) | 1
        return ((first + i * second) % size for i in range(hashes))

    def __contains__(self, term: str) -> bool:
        size = len(self.bits) * 8
        if not size:
            return False
        return all(self.bits[p >> 3] & (1 << (p & 7)) for p in self._positions(term, size, self.hashes))

    def encode(self) -> str:
        return base64.b64encode(self.bits).decode("ascii")

    @classmethod
    def decode(cls, text: str, hashes: int = FILTER_HASHES) -> TermFilter:
        return cls(base64.b64decode(text.encode("ascii")), hashes)


# --- the snapshot --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageSnapshot:
    final_url: str
    final_host: str
    site: str  # the registrable domain of final_host
    title: str
    heading: str
    lang: str | None
    word_count: int
    sketch: tuple[int, ...]
    terms: TermFilter
    cert_subject: str | None = None
    merger: str | None = None
    harmful: dict[str, Any] | None = None
    format: int = FORMAT

    @property
    def thin(self) -> bool:
        return self.word_count < MIN_WORDS

    def to_json(self) -> dict[str, Any]:
        data = {
            "final_url": self.final_url, "final_host": self.final_host, "site": self.site,
            "title": self.title, "heading": self.heading, "lang": self.lang,
            "word_count": self.word_count, "sketch": list(self.sketch),
            "terms": self.terms.encode(), "terms_hashes": self.terms.hashes,
            "cert_subject": self.cert_subject, "merger": self.merger, "harmful": self.harmful,
        }
        if self.format != 1:  # a format-1 snapshot writes back the very JSON it was read from
            data["format"] = self.format
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageSnapshot:
        return cls(
            final_url=str(data.get("final_url") or ""), final_host=str(data.get("final_host") or ""),
            site=str(data.get("site") or ""), title=str(data.get("title") or ""),
            heading=str(data.get("heading") or ""), lang=data.get("lang"),
            word_count=int(data.get("word_count") or 0), sketch=tuple(int(v) for v in data.get("sketch") or ()),
            terms=TermFilter.decode(str(data.get("terms") or ""), int(data.get("terms_hashes") or FILTER_HASHES)),
            cert_subject=data.get("cert_subject"), merger=data.get("merger"), harmful=data.get("harmful"),
            format=int(data.get("format") or 1),
        )
