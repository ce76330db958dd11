"""Pure: a small fingerprint of what a web link led to, and what it says about a provider.

The link checker keeps one ``PageSnapshot`` per answered page (final host, title, first
heading, language, a bottom-k shingle sketch of the text, the https certificate's
subject, a compact filter of the words, phone numbers and postcodes on the page, any
merger / new-name wording, and the harmful-content evidence of ``harmful.py``). The
store keeps the one from the link's last *good* check beside the current one, and the
findings stage compares them per service (``findings/safeguarding.py``).

Why a filter of terms and not the text: whether the page names the provider depends on
the service (its organisation, name, phone, postcode), and services are matched later,
from stored data, without fetching the page again. A Bloom filter of the page's words
answers "is this word on the page?" in about 2 KB, with a small chance (about 1%) of a
false yes per word; a false yes only makes us quieter, never raises a flag. Phones and
postcodes are stored under parsing/contact_values.py's keys, the one contact vocabulary;
a snapshot's ``format`` (snapshots.py) says how its terms are spelt, and names_provider
asks each snapshot in its own spelling.

No I/O, no clock: everything is a function of the page.
"""

from __future__ import annotations

import heapq
import re
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from localoffer_audit.links.classify import PageText, registrable_domain
from localoffer_audit.links.harmful import HarmfulEvidence, harmful_signal
from localoffer_audit.parsing.contact_values import phone_keys_in, phone_keys_of, postcode_key, postcode_keys_in
from localoffer_audit.snapshots import FORMAT, PageSnapshot, TermFilter

SKETCH_SIZE = 32
SHINGLE = 4
MAX_WORDS = 4000
# The sketch reads the first words only: what a page is about shows in its first screens,
# and a few thousand shingles hashed in Python would cost more than the check's parsing.
SKETCH_WORDS = 1200

_WORD = re.compile(r"[a-z0-9]+")
_APOSTROPHE = re.compile(r"['\u2019]")
# Same as r"\b(?:alt|title|content|aria-label)=[\"']..." but starting with the literal "="
# (the name checked behind it), so the regex engine skips ahead to each "=" instead of
# trying the pattern at every character of the markup (tests/test_fingerprint_speed.py).
_ATTRIBUTE_TEXT = re.compile(
    r"=(?:(?<=\balt=)|(?<=\btitle=)|(?<=\bcontent=)|(?<=\baria-label=))[\"']([^\"'<>]{2,200})[\"']")
_LANG = re.compile(r"<html\b[^>]*\blang=[\"']?([a-z]{2,3})", re.I)
# A page saying the organisation merged, joined another or changed its name: the trap
# of a charity merged into another (or renamed) that says so, never "repurposed".
_MERGER = re.compile(
    r"(?:has|have|had) (?:now |recently |officially )?(?:merged|joined forces) with|"
    r"(?:is|are|has become|have become) (?:now )?(?:part of|a part of|a member of the)|"
    r"(?:changed|changing) (?:our|its|their) name|(?:our|a|its) new name|now known as|"
    r"formerly (?:known as )?|previously known as|(?:was|were) renamed|has rebranded|"
    r"services? (?:has|have) (?:moved|transferred) to|(?:we have|we've) moved to (?:a )?new (?:website|address)"
)
# Every _MERGER match contains one of these, at most _MERGER_REACH characters from either
# end of the match: the regex is only run around them (a page without them costs a few
# substring scans instead of the regex tried at every character).
_MERGER_NEEDLES = ("merged", "joined forces", "part of", "member of the", "name", "known as", "formerly",
                   "renamed", "rebranded", "moved", "transferred")
_MERGER_REACH = 48


def merger_match(text: str) -> re.Match[str] | None:
    """The first match of _MERGER in ``text``, exactly as ``_MERGER.search(text)``.

    Windows of _MERGER_REACH characters around each needle occurrence are merged into
    ranges; a match lies inside one range (it holds a needle and reaches no further),
    so the first range with a match holds the first match.
    """
    spans = []
    for needle in _MERGER_NEEDLES:
        at = text.find(needle)
        while at >= 0:
            spans.append((max(0, at - _MERGER_REACH), min(len(text), at + len(needle) + _MERGER_REACH)))
            at = text.find(needle, at + 1)
    spans.sort()
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        found = _MERGER.search(text, start, end)
        if found is not None:
            return found
    return None


def words_of(text: str) -> list[str]:
    """Lower-case words, apostrophes dropped ("children's" -> "childrens"), & as "and"."""
    return _WORD.findall(_APOSTROPHE.sub("", text.lower().replace("&", " and ")))


def _sketch(words: list[str]) -> tuple[int, ...]:
    """The SKETCH_SIZE smallest 32-bit hashes of the page's word 4-shingles (bottom-k MinHash)."""
    if len(words) < SHINGLE:
        shingles = {" ".join(words)} if words else set()
    else:
        # zip of shifted lists: the shingles without a slice per position (same strings).
        shingles = set(map(" ".join, zip(*(words[i:] for i in range(SHINGLE)), strict=False)))
    # The same values as hash32 (CRC-32 of the UTF-8 text, seed 0), so stored sketches
    # from before compare; heapq keeps the k smallest without sorting them all.
    return tuple(heapq.nsmallest(SKETCH_SIZE, {zlib.crc32(s.encode()) for s in shingles}))


def sketch_similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two pages' shingle sets from their sketches."""
    if not a or not b:
        return 0.0
    union = sorted(set(a) | set(b))[:SKETCH_SIZE]
    both = set(a) & set(b)
    return sum(1 for value in union if value in both) / len(union)


def snapshot_of(final_url: str, page: PageText, *, cert_subject: str | None = None) -> PageSnapshot:
    """The fingerprint of an answered page (``page`` from ``classify.page_text``)."""
    host = (urlsplit(final_url).hostname or "").lower()
    attributes = " ".join(m.group(1) for m in _ATTRIBUTE_TEXT.finditer(page.markup[:200_000]))
    every_word = words_of(page.text)
    words = every_word[:MAX_WORDS]
    title_words, heading_words = words_of(page.title), words_of(page.headings)
    all_text = " ".join((page.title, page.headings, page.text[:100_000], attributes))
    terms = [*title_words, *heading_words, *words, *words_of(attributes)]
    # The one contact vocabulary (parsing/contact_values.py): a number's key is
    # phone_key's, a postcode's postcode_key's, on the page as in the entry.
    terms += [f"tel:{key}" for key in sorted(phone_keys_in(all_text))]
    terms += [f"pc:{key}" for key in sorted(postcode_keys_in(all_text))]
    lang = _LANG.search(page.markup[:5000])
    merger = merger_match(page.text[:60_000])
    # The words split once serve the harmful markers' prefilter too: words_of only drops
    # apostrophes (joining runs) and splits "&", so every run of the page's text lies
    # inside one of these words, which is all that prefilter needs.
    harmful: HarmfulEvidence | None = harmful_signal(page, words={*title_words, *heading_words, *every_word})
    return PageSnapshot(
        final_url=final_url, final_host=host, site=registrable_domain(host) if host else "",
        title=page.title[:300], heading=page.headings.split(" | ")[0][:300] if page.headings else "",
        lang=lang.group(1).lower() if lang else None, word_count=len(words), sketch=_sketch(words[:SKETCH_WORDS]),
        terms=TermFilter.of(terms), cert_subject=cert_subject,
        merger=_around(page.text, merger.start(), merger.end()) if merger else None,
        harmful=_harmful_json(harmful), format=FORMAT,
    )


def _around(text: str, start: int, end: int, width: int = 70) -> str:
    left = text.rfind(". ", max(0, start - width), start)
    left = left + 2 if left >= 0 else max(0, start - width)
    right = text.find(".", end, end + width)
    right = right + 1 if right >= 0 else min(len(text), end + width)
    return text[left:right].strip()


def _harmful_json(evidence: HarmfulEvidence | None) -> dict[str, Any] | None:
    if evidence is None:
        return None
    return {"category": evidence.category, "label": evidence.label, "score": evidence.score,
            "markers": list(evidence.markers), "decisive": evidence.decisive, "help_context": evidence.help_context}


def subject_of(cert: Any) -> str | None:
    """A certificate's subject as "O=...; CN=..." from ``ssl.getpeercert()``'s dict, or None."""
    if not isinstance(cert, dict):
        return None
    parts = []
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            short = {"organizationName": "O", "commonName": "CN"}.get(key)
            if short:
                parts.append(f"{short}={value}")
    return "; ".join(parts)[:300] or None


# --- does the page name the provider? -------------------------------------------------

# Words too common in organisation and service names to identify one on their own.
GENERIC_NAME_WORDS = frozenset(
    "the and of for a an in at on to with by ltd limited cic plc llp uk charity charitable trust cio "
    "group services service centre center club community support project association society "
    "foundation council city borough county district metropolitan nhs school academy college "
    "nursery preschool children childrens child young people youth family families parents parent "
    "carers carer forum network partnership team hub local sen send disability disabilities "
    "special needs educational learning care health clinic home homes house north south east west "
    "new st saint our your".split()
)


def _name_tokens(name: str | None) -> tuple[list[str], list[str]]:
    """(distinctive tokens, all tokens) of a name, parenthesised parts dropped."""
    if not name:
        return [], []
    words = [w for w in words_of(re.sub(r"\([^)]*\)", " ", name)) if len(w) > 1]
    return [w for w in words if w not in GENERIC_NAME_WORDS][:4], words[:6]


# Words a title's qualifier uses to say when, how or for whom, never who: "(Online)",
# "- Term Time Only", "(Saturdays)", "(Ages 11-16)". A qualifier made of these and the
# generic words above is not a name, and a taken-over page could well contain them all.
NOT_A_NAME_WORDS = frozenset(
    "online virtual remote face session sessions term terms time times only all ages aged age years year "
    "yrs months weekend weekends weekday weekdays daily weekly monthly fortnightly monday tuesday wednesday "
    "thursday friday saturday sunday mondays tuesdays wednesdays thursdays fridays saturdays sundays "
    "morning mornings afternoon afternoons evening evenings holiday holidays summer winter spring autumn "
    "easter christmas half full day days week weeks under over plus drop free paid closed open referral "
    "referrals waiting list group groups course courses programme class classes boys girls mixed adults "
    "salt camhs asd adhd greater central upper lower inner outer area areas wide countywide citywide "
    "boroughwide".split()
)
# Generic words that add nothing to a place name: "North Leeds", "Leeds City" are an area
# (a local business on a taken-over domain names its town too), "Leeds Family Trust" is a name.
_PLACE_WORDS = frozenset(
    "the and of for a an in at on to with by north south east west new st saint our your uk local "
    "city borough county district metropolitan".split()
)


def _title_name_tokens(name: str) -> list[str]:
    """The words a page must carry, all of them, to name a name taken from the entry's
    title; none when the title part does not read as a name. Stricter than an
    organisation's name (where the distinctive words suffice): a qualifier may be a
    venue, an area, a time or a format. It counts only with a word neither generic nor a
    when/how word, and a second word besides it that is not a place's ("North", "City"),
    and then every word is required."""
    words = [w for w in words_of(name) if len(w) > 1][:6]
    distinctive = [w for w in words if w not in GENERIC_NAME_WORDS and w not in NOT_A_NAME_WORDS and not w.isdigit()]
    others = [w for w in words if w not in _PLACE_WORDS and w not in NOT_A_NAME_WORDS and not w.isdigit()]
    return words if distinctive and len(others) >= 2 else []


@dataclass(frozen=True, slots=True)
class ProviderIdentity:
    """What a service entry says identifies its provider on their own website."""

    organisation: str | None = None
    service_name: str | None = None
    phones: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()
    extra_names: tuple[str, ...] = field(default_factory=tuple)
    # Names the entry's title carries besides its whole self (parsing/titles.py): the
    # provider in "SEN Support - Horizon Learning Centre" or "Short Breaks (Larkspur
    # Trust)", and the service part before it. Directories often give the council as
    # every entry's organisation, so the provider's own page names only these.
    title_names: tuple[str, ...] = ()

    @property
    def title_names_tried(self) -> tuple[str, ...]:
        """The title_names that read as names, the only ones a page is asked about."""
        return tuple(name for name in self.title_names if _title_name_tokens(name))

    @property
    def usable(self) -> bool:
        return bool(_name_tokens(self.organisation)[1] or self.phones or self.postcodes
                    or _name_tokens(self.service_name)[0] or self.title_names_tried)


def names_provider(snapshot: PageSnapshot, identity: ProviderIdentity) -> str | None:
    """How the page names the provider ("organisation name 'Little Acorns'", "phone
    0114 ...", "postcode S11 8AB"), or None when it names them nowhere."""
    terms = snapshot.terms
    for label, name, needs_distinct in (
        ("organisation name", identity.organisation, False),
        *(("organisation name", n, False) for n in identity.extra_names),
        ("service name", identity.service_name, True),
    ):
        distinctive, every = _name_tokens(name)
        tokens = distinctive or ([] if needs_distinct else every)
        if tokens and all(token in terms for token in tokens):
            return f"{label} {name!r}"
    for name in identity.title_names_tried:
        if all(token in terms for token in _title_name_tokens(name)):
            return f"name in the entry's title {name!r}"
    for phone in identity.phones:
        if any(term in terms for term in _contact_terms(snapshot, "tel", phone_keys_of(phone))):
            return f"phone {phone}"
    for postcode in identity.postcodes:
        key = postcode_key(postcode)
        if key and any(term in terms for term in _contact_terms(snapshot, "pc", {key})):
            return f"postcode {postcode.upper()}"
    return None


def _contact_terms(snapshot: PageSnapshot, kind: str, keys: set[str]) -> list[str]:
    """The filter terms of an entry's phone or postcode keys, spelled as the snapshot's
    format stored them, so a snapshot from before is compared like with like. Format 1
    (before issue 14) kept the same keys for numbers and postcodes in lower case
    ("pc:s118ab"); format 2 keeps contact_values' keys as they are ("pc:S118AB")."""
    if snapshot.format == 1 and kind == "pc":
        return [f"pc:{key.lower()}" for key in sorted(keys)]
    return [f"{kind}:{key}" for key in sorted(keys)]


def _title_words(snapshot: PageSnapshot) -> set[str]:
    return {w for w in words_of(f"{snapshot.title} {snapshot.heading}") if w not in GENERIC_NAME_WORDS and len(w) > 2}


def topic_change(before: PageSnapshot, after: PageSnapshot) -> str | None:
    """Evidence that the page's title and topic changed wholesale, or None.

    Wholesale means all at once: the title and first heading share no distinctive word
    with the old ones, the text's sketch has (almost) nothing in common, and either the
    language changed or neither page is thin. A redesign changes the text but keeps the
    organisation's name (checked separately); this test alone never raises a flag.
    """
    if after.thin or before.thin:
        return None
    old_words, new_words = _title_words(before), _title_words(after)
    shared_title = old_words & new_words
    similarity = sketch_similarity(before.sketch, after.sketch)
    if shared_title or similarity > 0.1:
        return None
    language = f"; language {before.lang} -> {after.lang}" if before.lang and after.lang and before.lang != after.lang else ""
    return (f"title {before.title!r} -> {after.title!r}, text similarity {similarity:.2f}{language}")


def moved_site(before: PageSnapshot, after: PageSnapshot) -> str | None:
    """The page now ends on another registrable domain, or None."""
    if before.site and after.site and before.site != after.site:
        return f"now ends on {after.final_host} (was {before.final_host})"
    return None
