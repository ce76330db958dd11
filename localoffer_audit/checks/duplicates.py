"""Near-duplicate service entries: the same service entered twice.

Comparing every pair is quadratic (12.5 million pairs at 5,000 services), so entries
are first put into blocks that share something rare: a name word few entries use, the
whole normalised name, or a fingerprint of the description (the smallest hashes of its
word 4-grams, a MinHash sketch). Only entries sharing a block are compared, with
rapidfuzz. A pair is a duplicate when the names and the descriptions are both very
alike, the organisations agree (or one is missing) and the venues do not contradict
each other (two different postcodes mean two venues of one provider, not a copy).
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from rapidfuzz import fuzz

from ..models import ServiceItem

_STOP_WORDS = frozenset(
    "the a an and of for in at on to with by & ltd limited cic llp uk our your".split()
)
# A block larger than this holds common words, not evidence of a copy: skipped.
MAX_BLOCK = 40
SKETCH_SIZE = 4


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    first: str
    second: str
    name_score: float
    description_score: float


def _words(text: str | None) -> list[str]:
    return re.findall(r"[a-z0-9]+", (text or "").lower().replace("'", ""))


def normalise_name(name: str | None) -> str:
    return " ".join(w for w in _words(name) if w not in _STOP_WORDS)


def _normalise_postcode(postcode: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (postcode or "").upper())[:8]


def _sketch(words: list[str]) -> list[int]:
    shingles = {" ".join(words[i : i + 4]) for i in range(max(1, len(words) - 3))} if words else set()
    return sorted(zlib.crc32(s.encode()) for s in shingles)[:SKETCH_SIZE]


@dataclass(slots=True)
class _Prepared:
    id: str
    name: str
    description: str
    organisation: str
    postcode: str


def near_duplicate_pairs(
    services: Sequence[ServiceItem], *, name_similarity: float = 90, description_similarity: float = 90
) -> list[DuplicatePair]:
    prepared = [
        _Prepared(
            id=s.directory_id,
            name=normalise_name(s.name),
            description=" ".join(_words(s.description)),
            organisation=normalise_name(s.organisation),
            postcode=_normalise_postcode(s.postcode),
        )
        for s in services
    ]
    blocks: dict[tuple[str, object], list[int]] = defaultdict(list)
    for index, item in enumerate(prepared):
        keys: set[tuple[str, object]] = set()
        if item.name:
            keys.add(("name", item.name))
            keys.add(("sorted", " ".join(sorted(item.name.split()))))
            keys.update(("word", word) for word in item.name.split() if len(word) > 2)
        keys.update(("sketch", h) for h in _sketch(item.description.split()))
        for key in keys:
            blocks[key].append(index)
    candidates: set[tuple[int, int]] = set()
    for members in blocks.values():
        if 1 < len(members) <= MAX_BLOCK:
            candidates.update(combinations(members, 2))
    pairs = []
    for i, j in sorted(candidates):
        a, b = prepared[i], prepared[j]
        if a.id == b.id or not a.name or not b.name:
            continue
        if a.postcode and b.postcode and a.postcode != b.postcode:
            continue
        if a.organisation and b.organisation and fuzz.token_sort_ratio(a.organisation, b.organisation) < 90:
            continue
        name_score = fuzz.token_sort_ratio(a.name, b.name)
        if name_score < name_similarity:
            continue
        if a.description or b.description:
            description_score = fuzz.token_sort_ratio(a.description, b.description)
        else:
            description_score = 100.0
        if description_score < description_similarity:
            continue
        first, second = sorted((a.id, b.id))
        pairs.append(DuplicatePair(first, second, name_score, description_score))
    return pairs
