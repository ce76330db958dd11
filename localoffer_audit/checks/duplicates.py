"""Near-duplicate service entries: the same service entered twice.

Comparing every pair is quadratic (12.5 million pairs at 5,000 services), so entries
are first put into blocks that share something rare: a name word few entries use, the
whole normalised name, or a fingerprint of the description (the smallest hashes of its
word 4-grams, a MinHash sketch). Only entries sharing a block are compared, with
rapidfuzz. A pair is a possible duplicate when:

- the organisations agree (or one is missing);
- the names agree once a venue qualifier is set aside ("Stay and Play (Eastwick)",
  "Stay and Play - Eastwick sessions" and "Stay and Play" share the base name), compared
  as word sets so "Speech Therapy" and "Speech Therapy Group" agree;
- the descriptions are mostly the same text (token-sort ratio).

A copy made for a second venue counts: copies drift apart as one is updated and the
other is not, so the content manager should merge them into one entry listing both
venues or keep both up to date.
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
from .rules_text import substantive_text

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


# A venue or area qualifier at the end of a name: "(Eastwick)", "- Eastwick sessions", ": Eastwick".
_QUALIFIER = re.compile(r"\s*(?:\([^()]*\)|\s[-–—:|]\s.*)\s*$")


def base_name(name: str | None) -> str:
    """The name without a trailing venue qualifier, normalised."""
    text = name or ""
    for _ in range(2):
        stripped = _QUALIFIER.sub("", text)
        if not stripped.strip():
            break
        text = stripped
    return normalise_name(text)


def _sketch(words: list[str]) -> list[int]:
    shingles = {" ".join(words[i : i + 4]) for i in range(max(1, len(words) - 3))} if words else set()
    return sorted(zlib.crc32(s.encode()) for s in shingles)[:SKETCH_SIZE]


@dataclass(slots=True)
class _Prepared:
    id: str
    name: str
    base: str
    description: str
    organisation: str


def near_duplicate_pairs(
    services: Sequence[ServiceItem], *, name_similarity: float = 90, description_similarity: float = 80
) -> list[DuplicatePair]:
    prepared = [
        _Prepared(
            id=s.directory_id,
            name=normalise_name(s.name),
            base=base_name(s.name),
            # Sentences that only point elsewhere ("More details on our website.") are not content.
            description=" ".join(_words(substantive_text(s.description or ""))),
            organisation=normalise_name(s.organisation),
        )
        for s in services
    ]
    blocks: dict[tuple[str, object], list[int]] = defaultdict(list)
    for index, item in enumerate(prepared):
        keys: set[tuple[str, object]] = set()
        if item.name:
            keys.add(("name", item.base))
            keys.add(("sorted", " ".join(sorted(item.base.split()))))
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
        if a.organisation and b.organisation and fuzz.token_sort_ratio(a.organisation, b.organisation) < 90:
            continue
        name_score = fuzz.token_set_ratio(a.base, b.base) if a.base and b.base else 0.0
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
