"""The page fingerprint as it was before issue 19's follow-up, kept only so that
bench_fingerprint.py can print before/after figures from one run on the same machine.

A frozen copy of the hot path of main's ``fingerprint.snapshot_of`` (commit 8de94d1):
one substring scan per marker needle, the merger and phone regexes tried at every
character, the attribute regex led by "\\b", the shingle sketch sorted in full and the
Bloom filter built through a generator per term, and the phone and postcode keys of
format 1 (tests/support/fingerprint_v1.py). The output is the same snapshot as today's
but for the term filter, which format 2 (issue 14) keys by parsing/contact_values.py:
bench_fingerprint.py checks every other field is equal.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from localoffer_audit.links import fingerprint as fp
from localoffer_audit.links import harmful as hm
from localoffer_audit.links.classify import PageText, registrable_domain
from localoffer_audit.snapshots import FILTER_HASHES, MAX_TERMS, PageSnapshot, TermFilter, hash32
from tests.support import fingerprint_v1  # the repository root is on sys.path (bench_fingerprint.py)

_ATTRIBUTE_TEXT = re.compile(r"\b(?:alt|title|content|aria-label)=[\"']([^\"'<>]{2,200})[\"']")
_FOR_PAIN = (r"\bfor (?:pain management|anxiety|adhd|insomnia|narcolepsy|weight loss)"
             r"(?:, (?:pain management|anxiety|adhd|insomnia|narcolepsy|weight loss))+")
MARKERS = tuple(
    hm.Marker(m.category, re.compile(_FOR_PAIN), m.weight, m.seen_at, m.in_markup, m.needles)
    if m.pattern.pattern.startswith("for (?<=") else m for m in hm.MARKERS
)


def _tallies(page: PageText) -> dict[str, hm._Tally]:
    text = " ".join((page.title, page.headings, page.text[:hm.MAX_TEXT]))
    markup = page.markup[:hm.MAX_MARKUP]
    tallies: dict[str, hm._Tally] = {}
    for marker in MARKERS:
        haystack = markup if marker.in_markup else text
        if not marker.may_match(haystack):
            continue
        first = marker.pattern.search(haystack)
        if first is None:
            continue
        tally = tallies.setdefault(marker.category, hm._Tally())
        wording = first.group(0).strip()[:60]
        tally.shown.append(wording)
        if marker.weight == hm.DECISIVE:
            tally.decisive = tally.decisive or wording
        else:
            repeats = sum(1 for _ in zip(range(hm.MAX_REPEATS), marker.pattern.finditer(haystack), strict=False))
            tally.score += marker.weight * repeats
    return tallies


def harmful_signal(page: PageText) -> hm.HarmfulEvidence | None:
    best = None
    context_text = " ".join((page.title, page.headings, page.text[:hm.MAX_TEXT]))
    for category, tally in _tallies(page).items():
        helped = bool(hm.HELP_CONTEXT[category].search(context_text))
        distinct = len(tally.shown) - (1 if tally.decisive else 0)
        if tally.decisive is not None:
            enough = not helped or (tally.score >= hm.THRESHOLD and distinct >= hm.MIN_DISTINCT)
        else:
            enough = tally.score >= hm.THRESHOLD * (2 if helped else 1) and distinct >= hm.MIN_DISTINCT + (1 if helped else 0)
        if not enough:
            continue
        evidence = hm.HarmfulEvidence(category, tally.score + (hm.DECISIVE if tally.decisive else 0),
                                      tuple(tally.shown), helped, tally.decisive)
        if best is None or evidence.score > best.score:
            best = evidence
    return best


def _sketch(words: list[str]) -> tuple[int, ...]:
    if len(words) < fp.SHINGLE:
        shingles = {" ".join(words)} if words else set()
    else:
        shingles = {" ".join(words[i : i + fp.SHINGLE]) for i in range(len(words) - fp.SHINGLE + 1)}
    return tuple(sorted({hash32(s) for s in shingles})[: fp.SKETCH_SIZE])


def _filter(terms: list[str]) -> TermFilter:
    unique = list(dict.fromkeys(terms))[:MAX_TERMS]
    size = max(1024, -(-len(unique) * 96 // 80) * 8)
    bits = bytearray(size // 8)
    for term in unique:
        first, second = hash32(term), hash32(term, 0x5BD1E995) | 1
        for position in ((first + i * second) % size for i in range(FILTER_HASHES)):
            bits[position >> 3] |= 1 << (position & 7)
    return TermFilter(bytes(bits))


def _phones(text: str) -> set[str]:
    return {d for m in fingerprint_v1.PHONE.finditer(text) if (d := fingerprint_v1.phone_digits(m.group(0)))}


def snapshot_of(final_url: str, page: PageText, *, cert_subject: str | None = None) -> PageSnapshot:
    host = (urlsplit(final_url).hostname or "").lower()
    attributes = " ".join(m.group(1) for m in _ATTRIBUTE_TEXT.finditer(page.markup[:200_000]))
    words = fp.words_of(page.text)[: fp.MAX_WORDS]
    all_text = " ".join((page.title, page.headings, page.text[:100_000], attributes))
    terms = [*fp.words_of(page.title), *fp.words_of(page.headings), *words, *fp.words_of(attributes)]
    terms += [f"tel:{p}" for p in sorted(_phones(all_text))]
    terms += [f"pc:{p}" for p in sorted(fingerprint_v1.postcodes(all_text))]
    lang = fp._LANG.search(page.markup[:5000])
    merger = fp._MERGER.search(page.text[:60_000])
    return PageSnapshot(
        final_url=final_url, final_host=host, site=registrable_domain(host) if host else "",
        title=page.title[:300], heading=page.headings.split(" | ")[0][:300] if page.headings else "",
        lang=lang.group(1).lower() if lang else None, word_count=len(words), sketch=_sketch(words[: fp.SKETCH_WORDS]),
        terms=_filter(terms), cert_subject=cert_subject,
        merger=fp._around(page.text, merger.start(), merger.end()) if merger else None,
        harmful=fp._harmful_json(harmful_signal(page)), format=1,
    )
