"""Near-duplicate service entries: the same service entered twice.

Comparing every pair is quadratic (200 million pairs at 20,000 services), so entries are
first put into blocks by several keys: the whole base name, its sorted words, the
organisation, the postcode, each telephone number / email / website host, and each
rare shingle of the description (a word, or a run of two or three words, on at most
SKETCH_MAX_ENTRIES entries: template wording shared by many entries is left out). A block
of up to MAX_BLOCK entries is compared pair by pair; a bigger one (a shared venue or
helpline) by sorted neighbourhood: each entry with the WINDOW entries next to it in name
order. Every cap is a fixed number of entries, never a share of the directory, so the
pairs compared per entry do not grow with it and copies are found at much the same rate
whatever its size (benchmarks/bench_content.py measures both, docs/rules.md has the
figures). Candidates are compared with rapidfuzz. A pair is a possible duplicate when:

- the organisations agree (or one is missing), and the titles do not name different
  providers ("Specialist Nursery Places (Larkspur Family Trust)" / "(Oakfield Trust)");
- with no organisation named on both, they do not each give contact details with none
  in common, unless at one postcode;
- whatever the organisation, titles naming two providers or venues ("- Riverside
  Outreach" / "- Hillview Outreach") with no contact or postcode in common and web
  domains of their own are two services (a directory often names the council as the
  organisation of every entry);
- a contact value on many entries (the council's switchboard) is never "in common";
- the names agree once a venue qualifier is set aside ("Stay and Play (Eastwick)",
  "Stay and Play - Eastwick sessions" and "Stay and Play" share the base name), compared
  as word sets so "Speech Therapy" and "Speech Therapy Group" agree;
- the descriptions are mostly the same text (token-sort ratio).

A copy made for a second venue counts: copies drift apart as one is updated and the
other is not, so the content manager should merge them into one entry listing both
venues or keep both up to date.
"""

from __future__ import annotations

import gc
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise

from rapidfuzz import fuzz

from localoffer_audit.config import ContentConfig
from localoffer_audit.models import ServiceItem
from localoffer_audit.content.wording import substantive_text
from localoffer_audit.parsing.titles import ORGANISATION_WORDS, split_title

# The [content] similarity defaults, written once in ContentConfig.
_DEFAULTS = ContentConfig()

_STOP_WORDS = frozenset(
    "the a an and of for in at on to with by & ltd limited cic llp uk our your".split()
)
# A block larger than this holds common words, not evidence of a copy: skipped.
MAX_BLOCK = 40
# A contact value on more than this many entries (at least COMMON_CONTACT_MIN, else one in
# COMMON_CONTACT_SHARE of the directory) is a shared switchboard or inbox, not evidence.
COMMON_CONTACT_MIN = 3
COMMON_CONTACT_SHARE = 50


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    first: str
    second: str
    name_score: float
    description_score: float
    # What the two entries share, for the finding's evidence ("name", "organisation",
    # "postcode LS1 4AP", "telephone 01134960999", "email x@y", "website host y.org").
    matched: tuple[str, ...] = ()


def _words(text: str | None) -> list[str]:
    return re.findall(r"[a-z0-9]+", (text or "").lower().replace("'", ""))


def normalise_name(name: str | None) -> str:
    return " ".join(w for w in _words(name) if w not in _STOP_WORDS)


def base_name(name: str | None) -> str:
    """The name without its trailing venue or provider qualifier (parsing/titles.py), normalised."""
    return normalise_name(split_title(name).service)


# Sketch: every shingle of the description (a word, two or three adjacent words) that is
# on at least 2 and at most SKETCH_MAX_ENTRIES entries is a block key. The cap is a fixed
# number of entries, not a share of the directory, so that what counts as rare wording,
# and the size of every sketch block, do not grow with the directory: the sketch compares
# at most (shingles per entry) x SKETCH_MAX_ENTRIES pairs per entry at any size. All of
# an entry's rare shingles, not the few smallest hashes: among 20,000 entries many
# shingles are on a handful of entries by chance, and a copy's shared ones were crowded
# out of a bottom-8 (re-keyed copies found: 0.71-0.74). Three-word shingles because a
# description written in the sector's everyday words ("support", "autism", "holiday
# club") has few rare words, fewer rare pairs as the directory grows, but many rare
# triples; a copy 80% alike keeps about half of them (benchmarks/bench_content.py).
SKETCH_MAX_ENTRIES = 20
# A block larger than MAX_BLOCK is compared by sorted neighbourhood (each entry with the
# WINDOW entries next to it in name order) instead of every pair: cost n x WINDOW, not n^2.
WINDOW = 6


def qualifier(name: str | None) -> str:
    """The trailing qualifier base_name sets aside ("larkspur family trust"), normalised."""
    # Lower-case words, stop words kept: "Ltd" and "CIC" are what say a provider is named.
    return " ".join(_words(" ".join(split_title(name).qualifiers)))


def _names_provider(qual: str) -> bool:
    # "Specialist Nursery Places (Larkspur Family Trust)" names its provider, not a venue.
    return any(word in ORGANISATION_WORDS for word in qual.split())


def _shingles(description: str) -> set[int]:
    """The description's words of three letters or more and its runs of two and three
    adjacent words, hashed (ints keep 20,000 entries' sets small; Python's own hash, which
    differs between runs but not within one, is all a block key needs)."""
    words = description.split()
    found = {hash(word) for word in words if len(word) > 2}
    found.update(hash(pair) for pair in pairwise(words))
    found.update(hash(triple) for triple in zip(words, words[1:], words[2:], strict=False))
    return found


def _host(url: str | None) -> str:
    match = re.match(r"^(?:[a-z]+://)?(?:www\.)?([^/:?#\s]+)", (url or "").strip().lower())
    return match.group(1) if match else ""


@dataclass(slots=True)
class _Prepared:
    id: str
    name: str
    base: str
    qualifier: str
    description: str
    organisation: str
    postcode: str
    contacts: frozenset[str]


def _contacts(service: ServiceItem) -> frozenset[str]:
    from localoffer_audit.parsing.contact_values import phone_key, phone_numbers_in

    found: set[str] = set()
    for contact in service.contacts:
        found.update(f"telephone {phone_key(n)}" for n in phone_numbers_in(contact.phone) if phone_key(n))
        if contact.email and "@" in contact.email:
            found.add(f"email {contact.email.strip().lower()}")
    if service.website and (host := _host(service.website)):
        found.add(f"website host {host}")
    return frozenset(found)


# Mail services anyone can use: an address there says nothing about the organisation.
_SHARED_MAIL_DOMAINS = frozenset(
    "gmail.com googlemail.com hotmail.com hotmail.co.uk outlook.com live.com live.co.uk yahoo.com yahoo.co.uk "
    "btinternet.com icloud.com aol.com sky.com talktalk.net virginmedia.com ntlworld.com mail.com".split()
)


def _domains(contacts: frozenset[str]) -> frozenset[str]:
    """The web domains an entry's email addresses and website are at (free mail left out)."""
    found = set()
    for value in contacts:
        if value.startswith("email ") and "@" in value:
            domain = value.rsplit("@", 1)[1].removeprefix("www.")
        elif value.startswith("website host "):
            domain = value[len("website host "):].removeprefix("www.")
        else:
            continue
        if domain and domain not in _SHARED_MAIL_DOMAINS:
            found.add(domain)
    return frozenset(found)


def _candidates(prepared: list[_Prepared]) -> set[int]:
    """Pairs sharing a block: whole base name, its sorted words, organisation, postcode,
    each contact value, and each key of the description sketch. Each pair (i, j), i < j,
    is the one number i * len(prepared) + j: a million pairs as numbers rather than tuples
    take a third of the memory and no work from the garbage collector."""
    # Each entry's shingles as an array of 8-byte hashes, not the set _shingles builds: a
    # set of ints held for every entry took 107 bytes a shingle (67 MB for 5,000 entries on
    # bench_content.py's directory, most of the nightly's peak memory), an array takes 8.
    shingle_sets = [array("q", _shingles(item.description)) for item in prepared]
    frequency: Counter[int] = Counter()
    for shingles in shingle_sets:
        frequency.update(shingles)
    blocks: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for index, item in enumerate(prepared):
        keys: set[tuple[object, ...]] = set()
        if item.base:
            keys.add(("name", item.base))
            keys.add(("sorted", " ".join(sorted(set(item.base.split())))))
        if item.organisation:
            keys.add(("org", item.organisation))
        if item.postcode:
            keys.add(("postcode", item.postcode))
        keys.update(("contact", value) for value in item.contacts)
        keys.update(("sketch", h) for h in _sketch(shingle_sets[index], frequency))
        for key in keys:
            blocks[key].append(index)
    size = len(prepared)
    candidates: set[int] = set()
    for members in blocks.values():
        if len(members) < 2:
            continue
        if len(members) <= MAX_BLOCK:
            candidates.update(i * size + j for i, j in combinations(members, 2))
            continue
        ordered = sorted(members, key=lambda i: (prepared[i].base, prepared[i].description[:40]))
        for pos, i in enumerate(ordered):
            for j in ordered[pos + 1 : pos + 1 + WINDOW]:
                candidates.add(min(i, j) * size + max(i, j))
    return candidates


def _sketch(shingles: array[int], frequency: Counter[int]) -> list[int]:
    """The shingles on at most SKETCH_MAX_ENTRIES entries that another entry also has."""
    rare = [h for h in shingles if frequency[h] <= SKETCH_MAX_ENTRIES]
    if len(rare) < 3:  # a few words of stock text ("See website.") are no evidence
        return []
    return [h for h in rare if frequency[h] > 1]


def _prepare(services: Sequence[ServiceItem]) -> list[_Prepared]:
    return [
        _Prepared(
            id=s.directory_id,
            name=normalise_name(s.name),
            base=base_name(s.name),
            qualifier=qualifier(s.name),
            # Sentences that only point elsewhere ("More details on our website.") are not content.
            description=" ".join(_words(substantive_text(s.description or ""))),
            organisation=normalise_name(s.organisation),
            postcode=re.sub(r"\s+", "", (s.postcode or "").upper()),
            contacts=_contacts(s),
        )
        for s in services
        # The directory's own guidance pages are not service entries.
        if not s.is_advice_page
    ]


def candidate_pair_count(services: Sequence[ServiceItem]) -> int:
    """How many pairs the search compares (the benchmark prints it: unlike time, it does
    not depend on what else the machine is doing)."""
    return len(_candidates(_prepare(services)))


def near_duplicate_pairs(
    services: Sequence[ServiceItem],
    *,
    name_similarity: float = _DEFAULTS.near_duplicate_name_similarity,
    description_similarity: float = _DEFAULTS.near_duplicate_description_similarity,
) -> list[DuplicatePair]:
    # The search builds a few hundred objects per entry (shingle sets, block lists), none of
    # which refer to each other in a cycle; the garbage collector, left on, scans them all
    # again and again as they pile up: 6% of the search's time at 5,000 entries and 13% at
    # 20,000 on the benchmark's directories (docs/rules.md). Memory is still freed as usual
    # (by reference counting); only the hunt for cycles waits until the search returns.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _search(services, name_similarity, description_similarity)
    finally:
        if collecting:
            gc.enable()


def _search(services: Sequence[ServiceItem], name_similarity: float, description_similarity: float) -> list[DuplicatePair]:
    prepared = _prepare(services)
    # A contact value on many entries (the council's switchboard or inbox given for dozens
    # of providers) says nothing about two entries being one service.
    on_entries: dict[str, int] = defaultdict(int)
    for item in prepared:
        for value in item.contacts:
            on_entries[value] += 1
    common_limit = max(COMMON_CONTACT_MIN, len(prepared) // COMMON_CONTACT_SHARE)
    # Candidates are many (50 to 80 per entry), pairs few: the pairs are put in candidate
    # order at the end, rather than every candidate sorted first (most of the search's time).
    pairs: list[tuple[tuple[int, int], DuplicatePair]] = []
    for number in _candidates(prepared):
        i, j = divmod(number, len(prepared))
        a, b = prepared[i], prepared[j]
        if a.id == b.id or not a.name or not b.name:
            continue
        if (a.organisation and b.organisation and a.organisation != b.organisation
                and fuzz.token_sort_ratio(a.organisation, b.organisation) < 90):
            continue
        # Titles that name different providers ("... (Larkspur Family Trust)" / "... (Oakfield Trust)").
        if a.qualifier and b.qualifier and a.qualifier != b.qualifier and (
            _names_provider(a.qualifier) or _names_provider(b.qualifier)
        ):
            continue
        shared = {value for value in a.contacts & b.contacts if on_entries[value] <= common_limit}
        same_venue = bool(a.postcode and a.postcode == b.postcode)
        if (a.qualifier and b.qualifier and a.qualifier != b.qualifier and not shared and not same_venue
                and _domains(a.contacts) and _domains(b.contacts) and not _domains(a.contacts) & _domains(b.contacts)):
            # Titles naming two providers ("- Riverside Outreach" / "- Hillview Outreach"),
            # each reached at a web domain of its own: two services of one kind written from
            # one template, whoever the directory names as organisation (often the council).
            continue
        same_provider = bool(a.organisation and b.organisation)  # both named, and alike (checked above)
        if (not same_provider and a.contacts and b.contacts and not shared
                and not same_venue):
            # With no provider named on both, the same kind of service with its own telephone,
            # email and website at another venue (or none given) is another provider's service
            # written from one template.
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
        matched = ["name", "description"]
        if a.organisation and b.organisation:
            matched.append("organisation")
        if a.postcode and a.postcode == b.postcode:
            matched.append(f"postcode {a.postcode}")
        matched.extend(sorted(shared))
        first, second = sorted((a.id, b.id))
        pairs.append(((i, j), DuplicatePair(first, second, name_score, description_score, tuple(matched))))
    return [pair for _, pair in sorted(pairs, key=lambda found: found[0])]
