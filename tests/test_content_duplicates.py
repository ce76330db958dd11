"""Near-duplicate entries: the right pairs, and fast on a big directory."""

from __future__ import annotations

import random
import time
from datetime import date

import pytest

from localoffer_audit.checks.content import RuleContext, find_near_duplicates
from localoffer_audit.checks.duplicates import near_duplicate_pairs
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


def test_findings_on_both_entries_name_the_other() -> None:
    findings = find_near_duplicates([item("a", "Sunshine Stay and Play"), item("b", "Sunshine Stay & Play")],
                                    RuleContext(date(2025, 6, 15), ContentConfig()))
    assert {(f.service_id, f.subject) for f in findings} == {("a", "duplicate of b"), ("b", "duplicate of a")}
    assert all("Sunshine Stay" in f.message and f.severity == "low" for f in findings)


WORDS = ("autism adhd sensory youth parent carer forum club group play stay music art sport swim dance drama "
         "speech language therapy support advice housing benefits transport respite short breaks holiday "
         "football cycling riding cooking gardening reading homework tuition mentoring befriending").split()
PLACES = ("Northtown Southgate Riverside Hillcrest Oakwood Millbrook Ashford Kingsley Elmstead Brookfield "
          "Westmoor Eastleigh Fairview Greenhill Lowfield Highbury Stonebridge Marsh Lane Parkside").split()


def synthetic_directory(count: int, planted: int, seed: int = 3) -> tuple[list[ServiceItem], set[tuple[str, str]]]:
    rng = random.Random(seed)
    services = []
    for n in range(count):
        name = f"{rng.choice(PLACES)} {' '.join(rng.sample(WORDS, 3)).title()}"
        # Many providers reuse a template: the same opening sentence for hundreds of entries.
        description = "We support children and young people with SEND and their families. " + " ".join(
            rng.choice(WORDS) for _ in range(40)
        )
        postcode = f"LS{rng.randint(1, 29)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('PQRSTUW')}"
        services.append(item(f"s{n:05d}", name, description, organisation=f"Org {rng.randint(1, 300)}", postcode=postcode))
    expected = set()
    for n in range(planted):
        original = services[n * 37]
        copy = item(f"copy{n:03d}", original.name + " (copy)" if n % 2 else original.name.upper(),
                    original.description + " Contact us to book.", original.organisation, original.postcode)
        services.append(copy)
        expected.add(tuple(sorted((original.directory_id, copy.directory_id))))
    return services, expected


def test_five_thousand_services_are_compared_quickly_and_only_planted_pairs_found() -> None:
    services, expected = synthetic_directory(5000, planted=25)
    started = time.perf_counter()
    pairs = near_duplicate_pairs(services)
    elapsed = time.perf_counter() - started
    assert {(p.first, p.second) for p in pairs} == expected
    assert elapsed < 5, f"near-duplicate search took {elapsed:.1f}s for 5,025 services"
