"""Near-duplicate entries: the right pairs, and fast on a big directory."""

from __future__ import annotations

from datetime import date

import pytest

from localoffer_audit.content.rules import RuleContext, find_near_duplicates
from localoffer_audit.content.duplicates import near_duplicate_pairs
from localoffer_audit.config import ContentConfig
from localoffer_audit.models import ServiceItem

DESCRIPTION = (
    "Weekly stay and play for under fives with additional needs and their parents and carers, "
    "with sensory toys, songs and a chance to talk to other families."
)


def item(sid: str, name: str, description: str = DESCRIPTION, organisation: str | None = "Sunshine Trust",
         postcode: str | None = "LS1 4AP") -> ServiceItem:
    return ServiceItem(sid, f"https://d.example/{sid}", name, organisation=organisation, description=description,
                       postcode=postcode)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (item("a", "Sunshine Stay and Play"), item("b", "Sunshine Stay & Play"), True),
        (item("a", "Sunshine Stay and Play"), item("b", "The Sunshine Stay and Play", organisation=None), True),
        (item("a", "Sunshine Stay and Play"), item("b", "Sunshine Stay and Play", description=DESCRIPTION + " Free."), True),
        # A copy made for a second venue is still a copy: merge, or keep both up to date.
        (item("a", "Sunshine Stay and Play"), item("b", "Sunshine Stay and Play (Eastwick)", postcode="GL4 5BQ"), True),
        (item("a", "Sunshine Stay and Play - Northtown sessions"), item("b", "Sunshine Stay and Play"), True),
        # Same provider and name pattern, but the descriptions say different things.
        (item("a", "Sunshine Stay and Play (Northtown)"),
         item("b", "Sunshine Stay and Play (Southgate)",
              description="Outdoor play sessions in the park for toddlers, with a forest school leader and hot drinks for carers."),
         False),
        (item("a", "Sunshine Stay and Play"), item("b", "Sunshine Stay and Play", organisation="Moonbeam CIC"), False),
        (item("a", "Sunshine Stay and Play"), item("b", "Riverside Youth Club"), False),
        (item("a", "Sunshine Stay and Play"),
         item("b", "Sunshine Stay and Play", description="Holiday activities for teenagers: climbing, kayaking and camping trips."),
         False),
    ],
)
def test_pairs(first: ServiceItem, second: ServiceItem, expected: bool) -> None:
    assert bool(near_duplicate_pairs([first, second])) is expected


def test_one_finding_per_pair_on_the_entry_to_archive_naming_the_other() -> None:
    findings = find_near_duplicates([item("a", "Sunshine Stay and Play"), item("b", "Sunshine Stay & Play")],
                                    RuleContext(date(2025, 6, 15), ContentConfig()))
    assert {(f.service_id, f.subject) for f in findings} == {("b", "duplicate of a")}
    assert all("Sunshine Stay" in f.message and f.severity == "low" for f in findings)
    [finding] = findings
    assert finding.evidence["action"] == "archive" and "entered after" in finding.evidence["why"]
    assert finding.evidence["matched"] == ["name", "description", "organisation", "postcode LS14AP"]
    assert "matched: name, description, organisation, postcode LS14AP" in finding.message


def test_the_older_entry_is_the_one_to_archive_and_a_second_venue_is_merged() -> None:
    from localoffer_audit.models import ShownDate

    old = item("a", "Sunshine Stay and Play (Eastwick)", postcode="GL4 5BQ")
    old.dates = [ShownDate("Last updated", "3 March 2022", date(2022, 3, 3))]
    new = item("b", "Sunshine Stay and Play")
    new.dates = [ShownDate("Last updated", "1 May 2025", date(2025, 5, 1))]
    [finding] = find_near_duplicates([old, new], RuleContext(date(2025, 6, 15), ContentConfig()))
    assert finding.service_id == "a" and finding.subject == "duplicate of b"
    assert finding.evidence["action"] == "merge"
    assert "3 March 2022" in finding.evidence["why"] and "Merge this entry" in finding.fix_hint


TEMPLATE = ("Funded specialist nursery places for children aged two to four with special educational needs, "
            "with small groups, trained staff and support to move on to school.")


def provider_item(sid: str, name: str, phone: str | None, email: str | None, website: str | None,
                  postcode: str | None, description: str = TEMPLATE) -> ServiceItem:
    from localoffer_audit.models import Contact

    return ServiceItem(sid, f"https://d.example/{sid}", name, description=description, website=website,
                       postcode=postcode, contacts=[Contact(phone=phone, email=email)] if phone or email else [])


# Titles written the way HTML directories write them, the provider in the title and no
# organisation field; descriptions from one template. (first, second, duplicate?)
PROVIDER_TRAPS = [
    # Different trusts named in the titles: not duplicates even with no contacts to compare.
    (provider_item("a", "Specialist Nursery Places (Larkspur Family Trust)", None, None, None, None),
     provider_item("b", "Specialist Nursery Places (Oakfield Learning Trust)", None, None, None, None), False),
    (provider_item("a", "Portage Home Visiting - Brightstart CIC", None, None, None, "LS1 4AP"),
     provider_item("b", "Portage Home Visiting - Little Steps Ltd", None, None, None, "LS1 4AP"), False),
    # Area teams with their own telephone, email, website and venue.
    (provider_item("a", "Sensory Support Team - Riverside Outreach", "0113 496 0001", "riverside@sst.org.uk",
                   "https://riverside.example.org/", "LS2 7EW"),
     provider_item("b", "Sensory Support Team - Hillcrest Outreach", "0113 496 0002", "hillcrest@sst.org.uk",
                   "https://hillcrest.example.org/", "LS6 2AB"), False),
    # Different contacts and no venue given on either.
    (provider_item("a", "Autism Parent Support Group", "0113 496 0011", "hello@spectrum-parents.org.uk", None, None),
     provider_item("b", "Autism Parent Support Group", "0114 496 0022", "info@bluesky-families.org.uk", None, None),
     False),
    # The same trust twice: a real duplicate.
    (provider_item("a", "Specialist Nursery Places (Larkspur Family Trust)", "0113 496 0001", None, None, "LS1 4AP"),
     provider_item("b", "Specialist Nursery Places (Larkspur Family Trust)", "0113 496 0001", None, None, "LS1 4AP"),
     True),
    # One provider's second venue, sharing its telephone number: a copy to merge.
    (provider_item("a", "Sensory Support Team - Riverside", "0113 496 0001", None, None, "LS2 7EW"),
     provider_item("b", "Sensory Support Team - Hillcrest", "+44 113 496 0001", None, None, "LS6 2AB"), True),
    # Re-keyed at the same venue with a new number: still one service entered twice.
    (provider_item("a", "Autism Parent Support Group", "0113 496 0011", None, None, "LS1 4AP"),
     provider_item("b", "Autism Parent Support Group", "0113 496 0099", None, None, "LS1 4AP"), True),
]


@pytest.mark.parametrize(("first", "second", "expected"), PROVIDER_TRAPS)
def test_different_provider_traps(first: ServiceItem, second: ServiceItem, expected: bool) -> None:
    assert bool(near_duplicate_pairs([first, second])) is expected


@pytest.mark.parametrize(("first", "second", "expected"), PROVIDER_TRAPS)
def test_trap_table_one_finding_per_real_pair_none_for_traps(first: ServiceItem, second: ServiceItem,
                                                            expected: bool) -> None:
    findings = find_near_duplicates([first, second], RuleContext(date(2025, 6, 15), ContentConfig()))
    assert [f.service_id for f in findings] == (["b"] if expected else [])
    if expected and first.contacts and second.contacts and first.contacts[0].phone.endswith("0001"):
        # What matched is named: "+44 113 496 0001" and "0113 496 0001" are one number.
        assert "telephone 01134960001" in findings[0].evidence["matched"]


COUNCIL = "Northshire County Council"


def council_directory(vocabulary: list[str], seed: int) -> list[ServiceItem]:
    """300 entries of one council-wide organisation at one postcode (blocks far over
    MAX_BLOCK, compared only with name-order neighbours), each description 40 words drawn
    at random from the vocabulary."""
    import random

    rng = random.Random(seed)
    places = "Northtown Southgate Riverside Hillcrest Oakwood Millbrook Ashford Kingsley".split()
    return [
        item(f"s{n:03d}", f"{rng.choice(places)} {' '.join(rng.sample(vocabulary, 3)).title()} {n}",
             " ".join(rng.choice(vocabulary) for _ in range(40)) + ".", organisation=COUNCIL)
        for n in range(300)
    ]


def rekeyed_copy(original: ServiceItem) -> ServiceItem:
    """The original re-entered with its name words reordered ("Swim Club Riverside Club" for
    "Riverside Swim Club"): no name key in common, far from the original in name order."""
    first, *rest = original.name.split()
    return item("c001", " ".join([*rest, first, "Club"]), original.description, organisation=COUNCIL)


def test_a_copy_written_in_everyday_words_is_found_inside_a_big_council_block() -> None:
    """Descriptions drawn from 30 everyday words, so no word is rare. A re-keyed copy shares
    no name key and sits far from its original in name order: only the sketch's rarer runs
    of words bring the two together (words alone gave no sketch at all, and the copy was
    missed)."""
    entries = council_directory(
        ("support children young people families autism sensory play music swim club group holiday "
         "sessions parents carers advice short breaks weekly friendly activities trips games cooking "
         "art drama sport youth").split(), seed=3)
    pairs = {(p.first, p.second) for p in near_duplicate_pairs([*entries, rekeyed_copy(entries[17])])}
    assert ("c001", "s017") in pairs


def test_a_copy_sharing_only_rare_three_word_runs_is_found() -> None:
    """Descriptions drawn from ten everyday words: every word and every pair of adjacent
    words is on far more than SKETCH_MAX_ENTRIES entries (stock wording), so only runs of
    three words are rare enough to be sketch keys, and a re-keyed copy in the council's
    block is found through them alone. Before the sketch had three-word runs (words and
    pairs only, a rarity cut of one entry in 50), the copy was missed."""
    from localoffer_audit.content.duplicates import SKETCH_MAX_ENTRIES

    entries = council_directory("support children families autism play music club group holiday sessions".split(), seed=5)
    original = entries[42]

    def runs(text: str | None, size: int) -> set[tuple[str, ...]]:
        words = (text or "").rstrip(".").split()
        return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}

    # The premise: the original's words and pairs are stock wording here; its triples are not.
    for size, stock in ((1, True), (2, True), (3, False)):
        on_entries = [sum(run in runs(e.description, size) for e in entries) for run in runs(original.description, size)]
        assert (min(on_entries) > SKETCH_MAX_ENTRIES) is stock
    pairs = {(p.first, p.second) for p in near_duplicate_pairs([*entries, rekeyed_copy(original)])}
    assert ("c001", "s042") in pairs
