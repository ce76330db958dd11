"""Reading age of a piece of text (Flesch-Kincaid grade + 5, the UK convention).

A rough guide, reported as information only: syllables are counted by vowel groups,
which is close enough for ordinary English prose. GOV.UK content guidance aims for a
reading age of about 9; public-service text much above 14 loses many readers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")


@dataclass(frozen=True, slots=True)
class Readability:
    words: int
    sentences: int
    syllables: int
    reading_age: float
    sentence_lengths: tuple[int, ...]


@lru_cache(maxsize=20_000)
def count_syllables(word: str) -> int:
    word = word.lower().strip("'’-")
    if not word:
        return 0
    if len(word) <= 3:
        return 1
    word = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", "", word)
    word = re.sub(r"^y", "", word)
    return max(1, len(_VOWEL_GROUP.findall(word)))


def readability(text: str | None) -> Readability | None:
    """Reading age and sentence lengths of ``text``; None when it has no words."""
    if not text:
        return None
    lengths = []
    total_words = 0
    total_syllables = 0
    for sentence in _SENTENCE.findall(text):
        words = _WORD.findall(sentence)
        if not words:
            continue
        lengths.append(len(words))
        total_words += len(words)
        total_syllables += sum(count_syllables(w) for w in words)
    if not total_words:
        return None
    grade = 0.39 * (total_words / len(lengths)) + 11.8 * (total_syllables / total_words) - 15.59
    return Readability(
        words=total_words,
        sentences=len(lengths),
        syllables=total_syllables,
        reading_age=max(5.0, grade + 5),
        sentence_lengths=tuple(lengths),
    )
