"""The statistics of QA sampling, checked against independent arithmetic and published values."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from localoffer_audit.outputs.sampling import (
    ReviewedUnit,
    allocate_proportional,
    draw_stratified,
    estimate_share,
    pool_small_strata,
    sample_size,
    wilson_interval,
    z_value,
)

Z95 = 1.959963984540054  # the 97.5% point of the standard normal, from tables


# --- sample size -------------------------------------------------------------------


def test_sample_size_matches_the_design_example() -> None:
    size = sample_size(400, margin=0.05, confidence=0.95, expected_rate=0.05)
    assert (size.n0, size.n) == (73, 62)
    text = "\n".join(size.explain())
    assert "72.99 -> 73" in text and "61.86 -> 62" in text and "N = 400" in text


@pytest.mark.parametrize(
    ("population", "p", "e", "confidence"),
    [(400, 0.05, 0.05, 0.95), (50, 0.05, 0.05, 0.95), (1000, 0.5, 0.05, 0.95), (250, 0.1, 0.03, 0.90), (1, 0.05, 0.05, 0.95)],
)
def test_sample_size_is_the_formula_rounded_up(population: int, p: float, e: float, confidence: float) -> None:
    z = {0.95: Z95, 0.90: 1.6448536269514722}[confidence]
    n0 = math.ceil(round(z**2 * p * (1 - p) / e**2, 9))
    expected = min(population, math.ceil(round(n0 / (1 + (n0 - 1) / population), 9)))
    size = sample_size(population, margin=e, confidence=confidence, expected_rate=p)
    assert size.n0 == n0
    assert size.n == expected


def test_sample_size_of_an_empty_population_is_zero() -> None:
    assert sample_size(0).n == 0


@pytest.mark.parametrize("bad", [{"margin": 0}, {"expected_rate": 1}, {"confidence": 1.2}])
def test_sample_size_rejects_impossible_parameters(bad: dict) -> None:
    with pytest.raises(ValueError):
        sample_size(400, **bad)


def test_z_value() -> None:
    assert z_value(0.95) == pytest.approx(Z95, abs=1e-9)
    assert z_value(0.99) == pytest.approx(2.5758293035489, abs=1e-9)


# --- allocation --------------------------------------------------------------------


def test_allocation_worked_example() -> None:
    # Quotas 31, 15.5, 9.3, 4.65, 1.55: whole parts 31+15+9+4+1 = 60, then the two
    # largest remainders (d .65, e .55) get one each.
    assert allocate_proportional({"a": 200, "b": 100, "c": 60, "d": 30, "e": 10}, 62) == {
        "a": 31, "b": 15, "c": 9, "d": 5, "e": 2,
    }


def _random_strata(rng: random.Random) -> dict[str, int]:
    return {f"s{i}": rng.choice([1, 1, 2, 3, 5, 8, 20, 60, 150]) for i in range(rng.randint(1, 15))}


@pytest.mark.parametrize("case", range(200))
def test_allocation_sums_to_n_and_respects_the_bounds(case: int) -> None:
    rng = random.Random(case)
    sizes = _random_strata(rng)
    total = sum(sizes.values())
    n = rng.randint(0, total + 5)
    allocation = allocate_proportional(sizes, n)
    assert sum(allocation.values()) == min(n, total)
    assert all(0 <= allocation[h] <= sizes[h] for h in sizes)
    if n >= len(sizes):
        assert all(allocation[h] >= 1 for h in sizes), allocation
    else:
        # Too small for one each: the largest strata are the ones seen.
        seen = [h for h in sizes if allocation[h] > 0]
        unseen = [h for h in sizes if allocation[h] == 0]
        assert not seen or not unseen or min(sizes[h] for h in seen) >= max(sizes[h] for h in unseen)


def test_allocation_is_proportional_when_the_minimum_does_not_bind() -> None:
    sizes = {"a": 123, "b": 77, "c": 41, "d": 159}
    allocation = allocate_proportional(sizes, 62)
    for name, size in sizes.items():
        assert abs(allocation[name] - 62 * size / 400) < 1


def test_allocation_gives_one_to_small_strata_at_the_cost_of_large_ones() -> None:
    allocation = allocate_proportional({"big": 390, "x": 3, "y": 3, "z": 2, "w": 2}, 6)
    assert allocation == {"big": 2, "x": 1, "y": 1, "z": 1, "w": 1}


def test_allocation_does_not_depend_on_dictionary_order() -> None:
    sizes = {"a": 10, "b": 10, "c": 10}
    assert allocate_proportional(sizes, 2) == allocate_proportional(dict(reversed(sizes.items())), 2)


# --- drawing -----------------------------------------------------------------------

POPULATION = [(f"svc-{i:03d}", "small" if i < 40 else "large") for i in range(400)]


def test_same_seed_same_sample_and_another_seed_another() -> None:
    allocation = allocate_proportional({"small": 40, "large": 360}, 62)
    first = draw_stratified(POPULATION, allocation, seed=20261125)
    again = draw_stratified(list(reversed(POPULATION)), allocation, seed=20261125)
    other = draw_stratified(POPULATION, allocation, seed=20261126)
    assert first == again
    assert {u.service_id for u in first} != {u.service_id for u in other}


def test_draw_takes_the_allocation_with_its_inclusion_probabilities() -> None:
    allocation = {"small": 6, "large": 56}
    sample = draw_stratified(POPULATION, allocation, seed=7)
    per_stratum = Counter(unit.stratum for unit in sample)
    assert per_stratum == allocation
    assert len({unit.service_id for unit in sample}) == 62
    for unit in sample:
        population = 40 if unit.stratum == "small" else 360
        assert unit.inclusion_probability == pytest.approx(allocation[unit.stratum] / population)
        assert (unit.stratum_population, unit.stratum_sample) == (population, allocation[unit.stratum])


def test_every_service_is_equally_likely_within_its_stratum() -> None:
    units = [(f"id{i}", "only") for i in range(10)]
    counts: Counter[str] = Counter()
    draws = 3000
    for seed in range(draws):
        counts.update(unit.service_id for unit in draw_stratified(units, {"only": 3}, seed=seed))
    # Each should be chosen with probability 0.3; 4 standard errors is about 0.034.
    for service_id, _ in units:
        assert abs(counts[service_id] / draws - 0.3) < 0.035, counts


# --- Wilson interval ---------------------------------------------------------------


def closed_form_wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson (1927) written out independently: (2x + z^2 +- z sqrt(z^2 + 4x(n-x)/n)) / 2(n + z^2)."""
    root = z * math.sqrt(z * z + 4 * x * (n - x) / n)
    return ((2 * x + z * z - root) / (2 * (n + z * z)), (2 * x + z * z + root) / (2 * (n + z * z)))


@pytest.mark.parametrize(("x", "n"), [(0, 10), (5, 10), (1, 62), (3, 62), (10, 10), (0, 1), (37, 400)])
def test_wilson_matches_the_closed_form(x: int, n: int) -> None:
    low, high = wilson_interval(x, n)
    ref_low, ref_high = closed_form_wilson(x, n)
    assert low == pytest.approx(max(0.0, ref_low), abs=1e-12)
    assert high == pytest.approx(min(1.0, ref_high), abs=1e-12)


@pytest.mark.parametrize(
    ("x", "n", "published"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, table I, method 3 (score).
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (0, 20, (0.0, 0.1611)),
        (1, 29, (0.0061, 0.1718)),
        # Worked by hand from the closed form (4 decimal places).
        (0, 10, (0.0, 0.2775)),
        (5, 10, (0.2366, 0.7634)),
        (1, 62, (0.0029, 0.0859)),
    ],
)
def test_wilson_matches_published_values(x: int, n: int, published: tuple[float, float]) -> None:
    low, high = wilson_interval(x, n)
    assert (round(low, 4), round(high, 4)) == published


def test_wilson_edges() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high > 0.2
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(2, math.inf) == (0.0, 0.0)  # 2/inf: a census estimate of 0


# --- weighted estimate -------------------------------------------------------------


def _units(stratum: str, reviewed: int, needing: int) -> list[ReviewedUnit]:
    return [ReviewedUnit(stratum, i < needing) for i in range(reviewed)]


def test_weighting_matters_when_strata_are_sampled_unequally() -> None:
    # 300 well-kept services (none needs action) and 100 neglected ones (half need
    # action): the true share is 50/400 = 12.5%. The QA group over-samples the
    # neglected stratum: 10 of 300 and 40 of 100.
    rng = random.Random(3)
    neglected = [i < 50 for i in range(100)]
    reviewed_neglected = rng.sample(neglected, 40)
    reviewed = _units("kept", 10, 0) + [ReviewedUnit("neglected", bad) for bad in reviewed_neglected]
    estimate = estimate_share(reviewed, {"kept": 300, "neglected": 100}, {"kept": 10, "neglected": 40})
    found = sum(reviewed_neglected)
    assert estimate.unweighted_share == pytest.approx(found / 50)
    assert estimate.share == pytest.approx(0.25 * found / 40)
    # The unweighted share is about 40%, the weighted one near the truth.
    assert estimate.unweighted_share > 0.3
    assert abs(estimate.share - 0.125) < 0.05
    assert estimate.low < 0.125 < estimate.high
    # Unequal weights cost precision: Kish's effective size is below the 50 reviewed.
    expected_inverse = 0.75**2 * (1 - 10 / 300) / 10 + 0.25**2 * (1 - 40 / 100) / 40
    assert estimate.effective_sample_size == pytest.approx(1 / expected_inverse)
    assert estimate.effective_sample_size < 50


def test_proportional_sample_gives_the_plain_wilson_interval_with_fpc() -> None:
    reviewed = _units("a", 31, 2) + _units("b", 31, 1)
    estimate = estimate_share(reviewed, {"a": 200, "b": 200})
    assert estimate.share == pytest.approx(3 / 62) == estimate.unweighted_share
    n_eff = 62 / (1 - 62 / 400)
    assert estimate.effective_sample_size == pytest.approx(n_eff)
    low, high = closed_form_wilson(3, 62, Z95)
    assert estimate.high < high  # the finite population correction narrows it
    assert (estimate.low, estimate.high) == pytest.approx(wilson_interval(3 / 62 * n_eff, n_eff))
    assert estimate.strata[0].share == pytest.approx(2 / 31)


def test_each_stratum_has_its_own_wilson_interval_with_its_own_correction() -> None:
    # Stratum "a": 4 of 20 reviewed need action, out of 100 live (a fifth reviewed), so
    # its effective size is 20 / (1 - 0.2) = 25 and its interval is Wilson's for 5 of 25.
    # Stratum "b": 1 of 10 out of 400 live: 10 / (1 - 10/400) = 10.256...
    estimate = estimate_share(_units("a", 20, 4) + _units("b", 10, 1), {"a": 100, "b": 400})
    a, b = estimate.strata
    assert (a.stratum, a.reviewed, a.needs_action, a.share) == ("a", 20, 4, pytest.approx(0.2))
    assert (a.low, a.high) == pytest.approx(closed_form_wilson(5, 25))
    n_b = 10 / (1 - 10 / 400)
    root = Z95 * math.sqrt(Z95**2 + 4 * (0.1 * n_b) * (0.9 * n_b) / n_b)
    denominator = 2 * (n_b + Z95**2)
    assert (b.low, b.high) == pytest.approx(((0.2 * n_b + Z95**2 - root) / denominator, (0.2 * n_b + Z95**2 + root) / denominator))
    # Known to four places: 5 of 25 is 8.86% to 39.13%.
    assert (round(a.low, 4), round(a.high, 4)) == (0.0886, 0.3913)


def test_zero_problems_found_still_gives_an_honest_interval() -> None:
    estimate = estimate_share(_units("a", 31, 0) + _units("b", 31, 0), {"a": 200, "b": 200})
    assert estimate.share == 0 and estimate.low == 0
    assert 0.04 < estimate.high < 0.07


def test_a_census_is_known_exactly_and_unreviewed_strata_are_reported() -> None:
    census = estimate_share(_units("a", 5, 1) + _units("b", 5, 0), {"a": 5, "b": 5})
    assert (census.share, census.low, census.high) == (0.1, 0.1, 0.1)
    partial = estimate_share(_units("a", 3, 1), {"a": 30, "b": 10}, {"a": 3, "b": 1})
    assert partial.uncovered_strata == ["b"]
    assert partial.population_covered == 30 and partial.population == 40
    assert partial.share == pytest.approx(1 / 3)
    nothing = estimate_share([], {"a": 30})
    assert nothing.share is None and nothing.reviewed == 0


def test_pooling_small_strata_only_when_there_are_many() -> None:
    few = {"big": 50, "mid": 10, "a": 1}
    assert pool_small_strata(few, 10, "Other") == {name: name for name in few}  # 3 strata <= 10/2
    many = {"big": 60, "mid": 20, **{f"tiny{i}": 2 for i in range(10)}}  # N = 100, 12 strata
    pooled = pool_small_strata(many, 10, "Other")
    # Quotas: big 6, mid 2, each tiny 0.2 -> the tiny ones are pooled.
    assert pooled["big"] == "big" and pooled["mid"] == "mid"
    assert {pooled[f"tiny{i}"] for i in range(10)} == {"Other"}
    allocation = allocate_proportional({"big": 60, "mid": 20, "Other": 20}, 10)
    assert allocation == {"big": 6, "mid": 2, "Other": 2}


SIMILAR_RATES = {"a": (160, 8), "b": (100, 5), "c": (80, 4), "d": (40, 2), "e": (20, 1)}  # 5% everywhere
DIFFERENT_RATES = {"clean": (250, 5), "mixed": (110, 11), "neglected": (40, 24)}  # 2%, 10%, 60%


@pytest.mark.parametrize(
    ("rates", "allocation", "lowest", "highest"),
    [
        (SIMILAR_RATES, None, 0.93, 0.98),
        (DIFFERENT_RATES, None, 0.93, 1.0),
        # Unequal sampling rates: the small, problem-heavy stratum is over-sampled.
        (DIFFERENT_RATES, {"clean": 20, "mixed": 20, "neglected": 22}, 0.93, 1.0),
    ],
    ids=["similar-rates", "different-rates", "different-rates-unequal-sampling"],
)
def test_the_95_percent_interval_covers_the_truth_at_least_95_percent_of_the_time(
    rates: dict[str, tuple[int, int]], allocation: dict[str, int] | None, lowest: float, highest: float
) -> None:
    """Kish's effective size ignores the gain from stratifying, so where strata differ
    a lot the interval is conservative (about 99%); it must never fall short of 95%.
    (The variance-based alternative covered only about 90% in the unequal case.)"""
    units, truth = [], {}
    for stratum, (size, bad) in rates.items():
        for i in range(size):
            units.append((f"{stratum}-{i}", stratum))
            truth[f"{stratum}-{i}"] = i < bad
    true_share = sum(truth.values()) / len(truth)
    sizes = {stratum: size for stratum, (size, _) in rates.items()}
    allocation = allocation or allocate_proportional(sizes, 62)
    draws, covered, error = 1500, 0, 0.0
    for seed in range(draws):
        sample = draw_stratified(units, allocation, seed)
        estimate = estimate_share([ReviewedUnit(u.stratum, truth[u.service_id]) for u in sample], sizes)
        covered += estimate.low <= true_share <= estimate.high
        error += estimate.share - true_share
    # 1500 draws put the observed coverage within about +/- 1.1 points of the real one.
    assert lowest <= covered / draws <= highest, covered / draws
    # The weighted estimate is unbiased: mean error well under half a point.
    assert abs(error / draws) < 0.005
