"""The statistics of QA sampling: how many services to review, which ones, and what the
reviewers' verdicts say about the whole directory.

Pure functions, no I/O and no clock, so every formula is a table-driven test. ``qa.py``
fetches the population from the store and records what these functions decide.

The method, and why (docs/qa.md says the same for the QA group):

* **Sample size** is the textbook size for estimating a proportion with a finite
  population correction: ``n0 = z^2 p (1 - p) / e^2`` and ``n = n0 / (1 + (n0 - 1) / N)``.
  Both are rounded *up* (a sample never falls short of the precision asked for):
  N=400, p=0.05, e=0.05 at 95% gives n0 = 72.99 -> 73 and n = 61.86 -> 62.
* **Allocation** to strata is proportional, by the largest-remainder (Hamilton) method,
  with at least one service per stratum when the sample is at least as large as the
  number of strata, so every stratum is seen and gets an estimate.
  When there are more strata than half the sample, the strata too small to expect a
  place are pooled into one first (see ``pool_small_strata``).
* **Selection** inside a stratum is simple random sampling without replacement by
  *permanent random numbers*: each service gets a key ``sha256(seed:stratum:id)`` and the
  ``n_h`` smallest keys are taken. The same seed and population always give the same
  sample on any machine and any Python version (unlike ``random.sample``), and a change
  in one stratum never reshuffles another.
* **Inclusion probability** of a service in stratum h is ``n_h / N_h``.
* **Estimate** of the share needing remedial action is the stratified (Horvitz-Thompson /
  Hajek) estimator ``p = sum_h W_h p_h`` with ``W_h = N_h / N``: every reviewed service
  weighs ``1 / pi`` = the number of services it stands for. Strata sampled at different
  rates would bias the plain share of reviewed services; the weights remove that bias.
  Sampled services not (yet) reviewed are treated as missing at random within their
  stratum (the stratum's weight is spread over its reviewed services); a stratum with no
  reviews at all is left out and reported as not covered.
* **Interval** is Wilson's score interval computed with the *effective sample size*
  ``n_eff = 1 / sum_h W_h^2 (1 - f_h) / r_h`` (Kish's effective size for unequal weights,
  with the finite population correction ``f_h = r_h / N_h``; ``r_h`` = reviewed in h).
  Why this and not ``p(1-p)/v(p)`` from the estimated variance (Korn and Graubard)? At
  the rates councils see (under 5%) most strata have no problem at all in the sample, so
  the estimated variance is often zero and that interval collapses to a single point,
  claiming certainty the sample does not have. Kish's n_eff depends only on the design:
  for a proportional sample it is ``n / (1 - f)``, so the interval reduces to the plain
  Wilson interval with the finite population correction; for unequal sampling rates it
  is smaller than n, widening the interval as it should. A census (every service
  reviewed) gives an interval of zero width, which is right: nothing is estimated.
  Kish's n_eff ignores the gain from stratifying, so where strata differ a lot the
  interval is conservative (99% coverage in docs/qa.md's simulations); the variance-
  based one fell to 90% with unequal weights. We prefer erring wide.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

# Floating-point products such as 1.96**2 * 19 may land a hair above a whole number;
# rounding up must not turn 73.0000000001 into 74.
_ROUNDING_SLACK = 1e-9

# The QA sample's defaults (the `sample` command's help and the QA pack read them here):
# a margin of error of 5 points at 95% confidence, expecting 5% of entries to need action.
DEFAULT_MARGIN = 0.05
DEFAULT_CONFIDENCE = 0.95
DEFAULT_EXPECTED_RATE = 0.05


def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile: 0.95 -> 1.959964."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def _round_up(value: float) -> int:
    return math.ceil(value - _ROUNDING_SLACK)


@dataclass(frozen=True, slots=True)
class SampleSize:
    """A sample size and the arithmetic behind it, to print and to record."""

    population: int
    confidence: float
    expected_rate: float
    margin: float
    z: float
    n0_exact: float
    n0: int
    n_exact: float
    n: int

    def explain(self) -> list[str]:
        """The arithmetic as lines a QA group can check by hand."""
        p, e, z = self.expected_rate, self.margin, self.z
        return [
            f"Population N = {self.population} live services; expected rate p = {p:g}; "
            f"margin of error e = {e:g}; confidence {self.confidence:.0%} (z = {z:.4f})",
            f"n0 = z^2 p(1-p) / e^2 = {z:.4f}^2 x {p:g} x {1 - p:g} / {e:g}^2 = {self.n0_exact:.2f} -> {self.n0}",
            f"n = n0 / (1 + (n0 - 1)/N) = {self.n0} / (1 + {self.n0 - 1}/{self.population}) "
            f"= {self.n_exact:.2f} -> {self.n}",
        ]


def sample_size(
    population: int,
    *,
    margin: float = DEFAULT_MARGIN,
    confidence: float = DEFAULT_CONFIDENCE,
    expected_rate: float = DEFAULT_EXPECTED_RATE,
) -> SampleSize:
    """The sample size to estimate a proportion within +/- ``margin`` at ``confidence``.

    ``n0`` is rounded up first and the finite population correction applied to it, then
    rounded up again (the convention that gives the published 73 -> 62 for N=400).
    """
    if population < 0:
        raise ValueError("population must not be negative")
    if not 0 < margin < 1:
        raise ValueError(f"margin must be between 0 and 1, got {margin}")
    if not 0 < expected_rate < 1:
        raise ValueError(f"expected rate must be between 0 and 1, got {expected_rate}")
    z = z_value(confidence)
    n0_exact = z * z * expected_rate * (1 - expected_rate) / (margin * margin)
    n0 = max(1, _round_up(n0_exact))
    if population == 0:
        n_exact, n = 0.0, 0
    else:
        n_exact = n0 / (1 + (n0 - 1) / population)
        n = min(population, _round_up(n_exact))
    return SampleSize(population, confidence, expected_rate, margin, z, n0_exact, n0, n_exact, n)


def allocate_proportional(stratum_sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Split a sample of ``n`` over strata in proportion to their sizes.

    Largest-remainder method: each stratum first gets the whole part of its quota
    ``n N_h / N``, but at least one when ``n`` is at least the number of strata; the rest
    go one by one to the largest remainders (ties: larger stratum, then name, so the
    result never depends on dictionary order). No stratum gets more than it holds.
    The result sums to ``min(n, N)``.
    """
    sizes = {name: size for name, size in stratum_sizes.items() if size > 0}
    total = sum(sizes.values())
    n = max(0, min(n, total))
    allocation = {name: 0 for name in stratum_sizes}
    if n == 0:
        return allocation
    quotas = {name: n * size / total for name, size in sizes.items()}
    floor_of_one = n >= len(sizes)
    for name, quota in quotas.items():
        share = math.floor(quota + _ROUNDING_SLACK)
        allocation[name] = min(sizes[name], max(1, share) if floor_of_one else share)

    def remainder(name: str) -> float:
        return quotas[name] - allocation[name]

    given = sum(allocation.values())
    while given < n:
        open_strata = [name for name in sizes if allocation[name] < sizes[name]]
        winner = min(open_strata, key=lambda name: (-remainder(name), -sizes[name], name))
        allocation[winner] += 1
        given += 1
    while given > n:
        # Only when the minimum of one pushed the total over: take back from the strata
        # most over their quota, never below one.
        reducible = [name for name in sizes if allocation[name] > 1]
        loser = min(reducible, key=lambda name: (remainder(name), -sizes[name], name))
        allocation[loser] -= 1
        given -= 1
    return allocation


def pool_small_strata(stratum_sizes: Mapping[str, int], n: int, pooled_label: str) -> dict[str, str]:
    """Map each stratum to itself, or to ``pooled_label`` when there are too many strata.

    With more strata than half the sample (say 240 organisations and 62 places), one
    service per stratum would use up the sample on tiny strata, each reviewed service
    from the large ones would stand for many, and the effective sample size would
    collapse (on the demo directory: from about 70 to 5). So then every stratum whose
    proportional share ``n N_h / N`` is below one service is pooled into one stratum:
    every service keeps a fair chance of selection and the allocation stays close to
    proportional. Strata expecting at least one place keep their own. With few strata
    nothing changes, and every stratum gets at least one place.
    """
    sizes = {name: size for name, size in stratum_sizes.items() if size > 0}
    total = sum(sizes.values())
    identity = {name: name for name in stratum_sizes}
    if n < 1 or total == 0 or len(sizes) <= n / 2:
        return identity
    small = {name for name, size in sizes.items() if n * size / total < 1}
    if len(small) < 2:
        return identity
    return {name: pooled_label if name in small else name for name in stratum_sizes}


@dataclass(frozen=True, slots=True)
class SampledUnit:
    service_id: str
    stratum: str
    inclusion_probability: float
    stratum_population: int
    stratum_sample: int


def selection_key(seed: int, stratum: str, service_id: str) -> str:
    """The service's permanent random number for this seed (hex, compares as text)."""
    return hashlib.sha256(f"{seed}\x1f{stratum}\x1f{service_id}".encode()).hexdigest()


def draw_stratified(
    units: Iterable[tuple[str, str]],
    allocation: Mapping[str, int],
    seed: int,
) -> list[SampledUnit]:
    """Draw ``allocation[h]`` services from each stratum h of ``units`` (service id, stratum).

    Returns the sampled services ordered by stratum then id, each with its inclusion
    probability ``n_h / N_h``. The same seed and units give the same sample.
    """
    by_stratum: dict[str, list[str]] = {}
    for service_id, stratum in units:
        by_stratum.setdefault(stratum, []).append(service_id)
    sampled: list[SampledUnit] = []
    for stratum in sorted(by_stratum):
        members = sorted(set(by_stratum[stratum]))
        take = min(allocation.get(stratum, 0), len(members))
        if take <= 0:
            continue
        chosen = sorted(members, key=lambda sid: selection_key(seed, stratum, sid))[:take]
        probability = take / len(members)
        sampled.extend(
            SampledUnit(sid, stratum, probability, len(members), take) for sid in sorted(chosen)
        )
    return sampled


def wilson_interval(successes: float, n: float, confidence: float = DEFAULT_CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval for a proportion ``successes / n``.

    ``n`` may be an effective (non-integer) sample size. With ``n == 0`` nothing is known:
    (0, 1). With an infinite ``n`` (a census) the interval is the point itself.
    """
    if n <= 0:
        return (0.0, 1.0)
    p = min(1.0, max(0.0, successes / n))
    if math.isinf(n):
        return (p, p)
    z = z_value(confidence)
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = (z / denominator) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At p = 0 (or 1) the bound is exactly 0 (or 1); do not report rounding noise.
    low = 0.0 if p == 0 else max(0.0, centre - half_width)
    high = 1.0 if p == 1 else min(1.0, centre + half_width)
    return (low, high)


@dataclass(frozen=True, slots=True)
class ReviewedUnit:
    """One reviewed service as the estimator needs it."""

    stratum: str
    needs_action: bool


@dataclass(frozen=True, slots=True)
class StratumEstimate:
    stratum: str
    population: int
    sampled: int
    reviewed: int
    needs_action: int
    share: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class ShareEstimate:
    """The estimated share of services needing remedial action, with its interval."""

    share: float | None
    low: float | None
    high: float | None
    confidence: float
    reviewed: int
    needs_action: int
    # The plain share of reviewed services: biased when strata are sampled unequally.
    unweighted_share: float | None
    effective_sample_size: float
    # Live services the estimate speaks for (strata with at least one review).
    population_covered: int
    population: int
    strata: list[StratumEstimate] = field(default_factory=list)

    @property
    def uncovered_strata(self) -> list[str]:
        return [s.stratum for s in self.strata if s.reviewed == 0]


def estimate_share(
    reviewed: Sequence[ReviewedUnit],
    stratum_populations: Mapping[str, int],
    stratum_samples: Mapping[str, int] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> ShareEstimate:
    """Weighted estimate of the share needing action over strata ``stratum_populations``.

    ``stratum_samples`` (how many were drawn per stratum) is only reported; the weights
    come from the reviewed counts, so unreviewed sampled services are missing at random
    within their stratum. See the module docstring for the method.
    """
    stratum_samples = stratum_samples or {}
    counts: dict[str, list[int]] = {name: [0, 0] for name in stratum_populations}
    for unit in reviewed:
        if unit.stratum not in counts:
            raise ValueError(f"reviewed service in unknown stratum {unit.stratum!r}")
        counts[unit.stratum][0] += 1
        counts[unit.stratum][1] += int(unit.needs_action)

    population = sum(stratum_populations.values())
    covered = sum(size for name, size in stratum_populations.items() if counts[name][0] > 0)
    strata: list[StratumEstimate] = []
    weighted_sum = 0.0
    inverse_n_eff = 0.0
    for name in sorted(stratum_populations):
        size = stratum_populations[name]
        r_h, y_h = counts[name]
        if r_h == 0:
            strata.append(StratumEstimate(name, size, stratum_samples.get(name, 0), 0, 0, None, None, None))
            continue
        p_h = y_h / r_h
        f_h = min(1.0, r_h / size) if size else 1.0
        # Simple random sampling inside the stratum: Wilson with the stratum's own
        # finite population correction (a stratum reviewed in full is known exactly).
        low, high = _wilson_for_share(p_h, r_h / (1 - f_h) if f_h < 1 else math.inf, confidence)
        strata.append(StratumEstimate(name, size, stratum_samples.get(name, 0), r_h, y_h, p_h, low, high))
        weight = size / covered
        weighted_sum += weight * p_h
        inverse_n_eff += weight * weight * (1 - f_h) / r_h

    total_reviewed = sum(r for r, _ in counts.values())
    total_needing = sum(y for _, y in counts.values())
    if covered == 0:
        return ShareEstimate(None, None, None, confidence, 0, 0, None, 0.0, 0, population, strata)
    share = weighted_sum
    n_eff = 1 / inverse_n_eff if inverse_n_eff > 0 else math.inf
    low, high = _wilson_for_share(share, n_eff, confidence)
    return ShareEstimate(
        share=share,
        low=low,
        high=high,
        confidence=confidence,
        reviewed=total_reviewed,
        needs_action=total_needing,
        unweighted_share=total_needing / total_reviewed,
        effective_sample_size=n_eff,
        population_covered=covered,
        population=population,
        strata=strata,
    )


def _wilson_for_share(share: float, n_eff: float, confidence: float) -> tuple[float, float]:
    if math.isinf(n_eff):
        return (share, share)
    return wilson_interval(share * n_eff, n_eff, confidence)
