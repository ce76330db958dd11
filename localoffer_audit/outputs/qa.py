"""The QA group's round: draw a sample, write the review pack, import the verdicts, report.

``sampling.py`` holds the statistics; this module reads the population from the store,
records what was drawn (seed, parameters, each service's inclusion probability and the
tool's open findings at that moment), writes the printable pack and the CSV the
reviewers fill in, validates the filled CSV, and estimates the share of services
needing remedial action. docs/qa.md explains it for the QA group.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from localoffer_audit.config import Config
from localoffer_audit.parsing.csvimport import CsvRecord, ImportFileError, ImportProblem, is_ascii_number, read_csv_records
from localoffer_audit.parsing.csvsafe import write_csv
from localoffer_audit.store.db import utc_now
from localoffer_audit.errors import AuditError
from localoffer_audit.models import ServiceItem, Severity
from localoffer_audit.store.qa import (
    FindingHint,
    StoredReview,
    StoredSample,
    StoredSampleItem,
    existing_review_keys,
    get_sample,
    insert_sample,
    list_samples,
    open_findings_by_service,
    recently_sampled_or_reviewed,
    reviews_for_sample,
    sample_items,
    store_reviews,
)
from localoffer_audit.store.services import live_services
from localoffer_audit.store.totals import live_service_ids
from localoffer_audit.outputs.sampling import (
    DEFAULT_CONFIDENCE,
    DEFAULT_EXPECTED_RATE,
    DEFAULT_MARGIN,
    ReviewedUnit,
    SampledUnit,
    SampleSize,
    ShareEstimate,
    allocate_proportional,
    draw_stratified,
    estimate_share,
    pool_small_strata,
    sample_size,
)
from localoffer_audit.outputs.templates import render

STRATA = ("category", "organisation", "manager")
UNCATEGORISED = "Uncategorised"
NO_ORGANISATION = "No organisation given"
# The confidence of the share estimated from the reviewers' answers.
REPORT_CONFIDENCE = DEFAULT_CONFIDENCE

PACK_COLUMNS = (
    "sample_id",
    "service_id",
    "service_name",
    "url",
    "stratum",
    "reviewer",
    "outcome",
    "what_was_wrong",
    "notes",
    "reviewed_on",
)
REQUIRED_IMPORT_COLUMNS = ("sample_id", "service_id", "reviewer", "outcome")
# Columns whose filling-in means "this row has been reviewed".
_REVIEW_COLUMNS = ("reviewer", "outcome", "what_was_wrong", "notes", "reviewed_on")


class QAError(AuditError):
    """A QA request that cannot be carried out (no services, no such sample...)."""


class ReviewOutcome(enum.StrEnum):
    """What a reviewer decided about one service (the CSV's closed vocabulary)."""

    ACCURATE = "accurate"
    NEEDS_FIXING = "needs fixing"
    SHOULD_BE_ARCHIVED = "should be archived"

    @property
    def needs_action(self) -> bool:
        """Remedial action: fixing the entry or archiving it."""
        return self is not ReviewOutcome.ACCURATE


_OUTCOME_ALIASES = {
    "accurate": ReviewOutcome.ACCURATE,
    "needs fixing": ReviewOutcome.NEEDS_FIXING,
    "should be archived": ReviewOutcome.SHOULD_BE_ARCHIVED,
    "archive": ReviewOutcome.SHOULD_BE_ARCHIVED,
}


def parse_outcome(text: str) -> ReviewOutcome | None:
    """'Needs fixing', 'needs_fixing' and 'NEEDS-FIXING' all mean the same; else None."""
    key = " ".join(re.sub(r"[_\-]+", " ", text).split()).casefold()
    return _OUTCOME_ALIASES.get(key)


# --- drawing a sample ----------------------------------------------------------------


@dataclass(slots=True)
class SampleRequest:
    """What the QA group asked for. A fixed ``size`` overrides margin/confidence/rate."""

    strata: str = "category"
    size: int | None = None
    margin: float | None = None
    confidence: float | None = None
    expected_rate: float | None = None
    exclude_reviewed_within_days: int | None = None
    seed: int | None = None
    label: str | None = None


@dataclass(slots=True)
class StratumAllocation:
    stratum: str
    population: int
    sample: int


@dataclass(slots=True)
class DrawnSample:
    sample_id: int
    seed: int
    # True when no --seed was given and the seed came from the date.
    seed_from_date: bool
    strata: str
    live_services: int
    excluded: int
    population: int
    # The formula's result, or None when a fixed size was asked for.
    size_calculation: SampleSize | None
    requested_size: int
    sample_size: int
    allocation: list[StratumAllocation]
    # Strata too small to expect a place, pooled into one "Other" stratum.
    pooled_strata: list[str]
    units: list[SampledUnit]
    pack_html: Path
    pack_csv: Path


def seed_for_date(day: date) -> int:
    """The default seed, 20261125 for 25 November 2026: readable and reproducible."""
    return int(day.strftime("%Y%m%d"))


def stratum_label(service: ServiceItem, strata: str, managers: Mapping[str, Any] | None = None) -> str:
    """The stratum a service belongs to.

    A service listed under several categories counts in its *first* category (the one
    the directory lists first, usually its main one), so every service is in exactly one
    stratum; a service with none is "Uncategorised".
    """
    if strata == "category":
        first = next((c.strip() for c in service.categories if c and c.strip()), "")
        return first or UNCATEGORISED
    if strata == "organisation":
        return " ".join((service.organisation or "").split()) or NO_ORGANISATION
    if strata == "manager":
        manager = (managers or {}).get(service.directory_id)
        return f"{manager.name} <{manager.email}>" if manager is not None else "No manager"
    raise QAError(f"unknown strata {strata!r}; use one of: {', '.join(STRATA)}")


def draw_sample(
    db: Database,
    config: Config | None,
    request: SampleRequest,
    out_dir: Path,
    *,
    today: date | None = None,
    now: str | None = None,
) -> DrawnSample:
    """Draw a stratified sample of live services, record it and write its review pack."""
    if request.strata not in STRATA:
        raise QAError(f"unknown strata {request.strata!r}; use one of: {', '.join(STRATA)}")
    if request.size is not None and any(v is not None for v in (request.margin, request.confidence, request.expected_rate)):
        raise QAError("give either --size or --margin/--confidence/--expected-rate, not both")
    today = today or date.today()
    now = now or utc_now()

    # Service entries only: the QA checklist (details, contacts, links, up to date) is about
    # a service's record; the directory's information and advice pages have no contact or
    # organisation to check, and their links are checked every night (store/totals.py).
    live_ids = live_service_ids(db)
    services = [s for s in live_services(db, with_links=False) if s.directory_id in live_ids]
    if not services:
        raise QAError("no live services in the database to sample from: run `localoffer-audit crawl` first")
    excluded: set[str] = set()
    if request.exclude_reviewed_within_days is not None:
        since = (datetime.fromisoformat(now) - timedelta(days=request.exclude_reviewed_within_days)).isoformat(
            timespec="seconds"
        )
        excluded = recently_sampled_or_reviewed(db, since) & live_ids
    population = [s for s in services if s.directory_id not in excluded]
    if not population:
        raise QAError(
            f"all {len(services)} live services were sampled or reviewed in the last "
            f"{request.exclude_reviewed_within_days} days; lower --exclude-reviewed-within"
        )

    managers = None
    if request.strata == "manager":
        if config is None:
            raise QAError("--strata manager needs the config file (for the content managers); pass --config")
        from localoffer_audit.findings.managers import assign_managers

        managers = assign_managers(db, config)
    if request.size is not None:
        if request.size < 1:
            raise QAError("--size must be at least 1")
        calculation, requested = None, min(request.size, len(population))
    else:
        calculation = sample_size(
            len(population),
            margin=request.margin if request.margin is not None else DEFAULT_MARGIN,
            confidence=request.confidence if request.confidence is not None else DEFAULT_CONFIDENCE,
            expected_rate=request.expected_rate if request.expected_rate is not None else DEFAULT_EXPECTED_RATE,
        )
        requested = calculation.n

    labels = {s.directory_id: stratum_label(s, request.strata, managers) for s in population}
    natural_sizes = Counter(labels.values())
    noun = {"category": "categories", "organisation": "organisations", "manager": "content managers"}[request.strata]
    pooled_label = f"Other (smaller {noun}, pooled)"
    pooling = pool_small_strata(natural_sizes, requested, pooled_label)
    pooled = sorted(name for name, target in pooling.items() if target != name)
    units = [(service_id, pooling[label]) for service_id, label in labels.items()]
    stratum_sizes = dict(sorted(Counter(stratum for _, stratum in units).items()))
    allocation = allocate_proportional(stratum_sizes, requested)
    seed = request.seed if request.seed is not None else seed_for_date(today)
    drawn = draw_stratified(units, allocation, seed)
    hints = open_findings_by_service(db, [unit.service_id for unit in drawn])

    params: dict[str, Any] = {
        "requested_size": requested,
        "fixed_size": request.size is not None,
        "seed_from_date": request.seed is None,
        "live_services": len(services),
        "exclude_reviewed_within_days": request.exclude_reviewed_within_days,
        "excluded": len(excluded),
        "pooled_strata": pooled,
        # Every stratum's size, including any that got no sampled service, so estimates
        # can say which part of the directory they do not cover.
        "allocation": {name: [size, allocation[name]] for name, size in stratum_sizes.items()},
    }
    if calculation is not None:
        params.update(
            margin=calculation.margin,
            confidence=calculation.confidence,
            expected_rate=calculation.expected_rate,
            n0=calculation.n0,
            n=calculation.n,
        )
    sample_id = insert_sample(
        db,
        {
            "created_at": now,
            "seed": seed,
            "strata": request.strata,
            "params": params,
            "population_size": len(population),
            "sample_size": len(drawn),
            "label": request.label,
        },
        [
            {
                "service_id": unit.service_id,
                "stratum": unit.stratum,
                "inclusion_probability": unit.inclusion_probability,
                "stratum_population": unit.stratum_population,
                "stratum_sample": unit.stratum_sample,
                "findings_at_draw": [asdict(hint) for hint in hints.get(unit.service_id, [])],
            }
            for unit in drawn
        ],
    )
    pack_html, pack_csv = write_review_pack(db, sample_id, out_dir)
    return DrawnSample(
        sample_id=sample_id,
        seed=seed,
        seed_from_date=request.seed is None,
        strata=request.strata,
        live_services=len(services),
        excluded=len(excluded),
        population=len(population),
        size_calculation=calculation,
        requested_size=requested,
        sample_size=len(drawn),
        allocation=[StratumAllocation(name, size, allocation[name]) for name, size in stratum_sizes.items()],
        pooled_strata=pooled,
        units=drawn,
        pack_html=pack_html,
        pack_csv=pack_csv,
    )


# --- the review pack -----------------------------------------------------------------


@dataclass(slots=True)
class PackEntry:
    item: StoredSampleItem
    service: ServiceItem | None


def _require_sample(db: Database, sample_id: int) -> StoredSample:
    sample = get_sample(db, sample_id)
    if sample is None:
        known = ", ".join(str(s.id) for s in list_samples(db)) or "none yet"
        raise QAError(f"no QA sample {sample_id} (samples: {known}); draw one with `localoffer-audit sample`")
    return sample


def write_review_pack(db: Database, sample_id: int, out_dir: Path) -> tuple[Path, Path]:
    """Write the printable pack (HTML) and the reviewers' CSV for a stored sample."""
    sample = _require_sample(db, sample_id)
    items = sample_items(db, sample_id)
    wanted = {item.service_id for item in items}
    # All listed services, not only live ones: a sampled service whose page has since
    # vanished still gets its section (the reviewer will find it needs action).
    services = {s.directory_id: s for s in live_services(db) if s.directory_id in wanted}
    entries = [PackEntry(item, services.get(item.service_id)) for item in items]
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"qa-sample-{sample_id}.html"
    csv_path = out_dir / f"qa-sample-{sample_id}.csv"
    html_path.write_text(
        render("qa_pack.html", sample=sample, entries=entries, outcomes=list(ReviewOutcome), generated_at=utc_now()),
        encoding="utf-8",
    )
    write_csv(
        csv_path,
        PACK_COLUMNS,
        (
            {
                "sample_id": sample_id,
                "service_id": entry.item.service_id,
                "service_name": entry.item.name or "",
                "url": entry.item.url or "",
                "stratum": entry.item.stratum,
                "reviewer": "",
                "outcome": "",
                "what_was_wrong": "",
                "notes": "",
                "reviewed_on": "",
            }
            for entry in entries
        ),
    )
    return html_path, csv_path


# --- importing the reviewers' CSV ----------------------------------------------------


class ReviewFileError(ImportFileError, QAError):
    """The reviewers' CSV has bad rows; ``problems`` lists every one with its line."""


@dataclass(slots=True)
class ImportResult:
    path: Path
    imported: int
    # Reviews that replaced ones imported before (a corrected file imported again).
    replaced: int
    # Rows with nothing filled in yet: not reviewed, not an error.
    not_reviewed: int
    sample_ids: list[int]
    report: QAReport
    report_html: Path | None = None


def _parse_review_date(text: str) -> str | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def read_review_csv(db: Database, path: Path, *, now: str | None = None) -> tuple[list[StoredReview], int]:
    """Validate the filled CSV; returns the reviews and how many rows are not reviewed yet.

    Raises ReviewFileError listing every bad row by line number (the header is line 1).
    """
    now = now or utc_now()
    try:
        # Excel's plain "CSV (Comma delimited)" on Windows saves Windows-1252.
        table = read_csv_records(path, windows_1252_fallback=True)
    except FileNotFoundError:
        raise QAError(f"No file at {path}") from None
    if table.header is None:
        raise ReviewFileError(path, [ImportProblem(1, "the file is empty; it needs the header row of the review pack CSV")])
    missing = table.missing(REQUIRED_IMPORT_COLUMNS)
    if missing:
        raise ReviewFileError(
            path, [ImportProblem(1, f"missing column(s) {', '.join(missing)} (found: {table.header_text()})")]
        )

    problems: list[ImportProblem] = []
    reviews: list[StoredReview] = []
    not_reviewed = 0
    seen: dict[tuple[int, str], int] = {}
    samples: dict[int, set[str] | None] = {}
    for record in table.records:
        start_line = record.line

        def cell(name: str, record: CsvRecord = record) -> str:
            return table.cell(record, name)

        if not any(cell(name) for name in _REVIEW_COLUMNS):
            not_reviewed += 1
            continue
        row_problems: list[str] = []
        sample_text, service_id = cell("sample_id"), cell("service_id")
        sample_id: int | None = None
        if not sample_text:
            row_problems.append("sample_id is empty")
        elif not is_ascii_number(sample_text):
            row_problems.append(f"sample_id {sample_text!r} is not a number")
        else:
            sample_id = int(sample_text)
            if sample_id not in samples:
                exists = get_sample(db, sample_id) is not None
                samples[sample_id] = {item.service_id for item in sample_items(db, sample_id)} if exists else None
            if samples[sample_id] is None:
                row_problems.append(f"sample {sample_id} does not exist")
                sample_id = None
        if not service_id:
            row_problems.append("service_id is empty")
        elif sample_id is not None and service_id not in (samples[sample_id] or set()):
            row_problems.append(f"service id {service_id!r} is not in sample {sample_id}")
        reviewer = cell("reviewer")
        if not reviewer:
            row_problems.append("reviewer is empty (who reviewed it?)")
        outcome_text = cell("outcome")
        outcome = parse_outcome(outcome_text) if outcome_text else None
        if not outcome_text:
            row_problems.append("outcome is empty (accurate, needs fixing or should be archived)")
        elif outcome is None:
            row_problems.append(f"outcome {outcome_text!r} is not one of: accurate, needs fixing, should be archived")
        reviewed_on_text = cell("reviewed_on")
        reviewed_on = _parse_review_date(reviewed_on_text) if reviewed_on_text else None
        if reviewed_on_text and reviewed_on is None:
            row_problems.append(f"reviewed_on {reviewed_on_text!r} is not a date (use 2026-11-25 or 25/11/2026)")
        if sample_id is not None and service_id:
            earlier = seen.get((sample_id, service_id))
            if earlier is not None:
                row_problems.append(f"service id {service_id!r} of sample {sample_id} is already on line {earlier}")
            else:
                seen[(sample_id, service_id)] = start_line
        if row_problems:
            problems.extend(ImportProblem(start_line, message) for message in row_problems)
            continue
        assert sample_id is not None and outcome is not None
        reviews.append(
            StoredReview(
                sample_id=sample_id,
                service_id=service_id,
                reviewer=reviewer,
                outcome=str(outcome),
                problems=cell("what_was_wrong") or None,
                notes=cell("notes") or None,
                reviewed_at=reviewed_on,
                imported_at=now,
                source_file=path.name,
                source_line=start_line,
            )
        )
    if problems:
        raise ReviewFileError(path, problems)
    if not reviews:
        raise ReviewFileError(
            path, [ImportProblem(None, "no row has a reviewer and an outcome filled in yet; nothing to import")]
        )
    return reviews, not_reviewed


def import_reviews(db: Database, path: Path, out_dir: Path | None = None, *, now: str | None = None) -> ImportResult:
    """Validate the reviewers' CSV, store every verdict in one transaction, and report.

    A file with any bad row imports nothing. Importing a corrected file again replaces
    the earlier verdicts for the same services. Writes the HTML report to ``out_dir``.
    """
    reviews, not_reviewed = read_review_csv(db, path, now=now)
    sample_ids = sorted({r.sample_id for r in reviews})
    before = existing_review_keys(db, sample_ids)
    store_reviews(db, reviews)
    replaced = sum(1 for r in reviews if (r.sample_id, r.service_id) in before)
    # Report on the newest sample in the file (usually the only one).
    report = qa_report(db, sample_ids[-1])
    html = write_report_html(report, out_dir) if out_dir is not None else None
    return ImportResult(path, len(reviews) - replaced, replaced, not_reviewed, sample_ids, report, html)


# --- the report ----------------------------------------------------------------------


@dataclass(slots=True)
class ReviewLine:
    """A reviewed service, for the lists of disagreements between tool and reviewer."""

    service_id: str
    name: str | None
    url: str | None
    stratum: str
    outcome: str
    what_was_wrong: str | None
    tool_findings: list[FindingHint]


@dataclass(slots=True)
class Agreement:
    """How the tool's open findings (at draw time) compare with reviewers' verdicts.

    "Flagged" means at least one confirmed open finding above ``info`` severity (info
    findings, such as reading age or links that could not be verified, are notes, not
    problems). Counts are of reviewed services, unweighted.
    """

    reviewed: int = 0
    reviewer_found_problems: int = 0
    tool_flagged: int = 0
    # Reviewer found a problem and the tool had flagged the service.
    both_found: int = 0
    both_clear: int = 0
    missed_by_tool: list[ReviewLine] = field(default_factory=list)
    not_confirmed: list[ReviewLine] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        """Share of reviewer-found problems the tool had flagged."""
        return self.both_found / self.reviewer_found_problems if self.reviewer_found_problems else None

    @property
    def precision(self) -> float | None:
        """Share of tool-flagged services the reviewers confirmed."""
        return self.both_found / self.tool_flagged if self.tool_flagged else None


@dataclass(slots=True)
class Round:
    """One QA round (sample) in the trend."""

    sample_id: int
    created_at: str
    strata: str
    sampled: int
    reviewed: int
    estimate: ShareEstimate


@dataclass(slots=True)
class QAReport:
    sample: StoredSample
    sampled: int
    reviewed: int
    outcomes: dict[str, int]
    estimate: ShareEstimate
    # The share that should be archived (part of the above), estimated the same way.
    archive_estimate: ShareEstimate
    agreement: Agreement
    trend: list[Round]


def is_flagged(hints: Sequence[FindingHint]) -> bool:
    return any(hint.severity != Severity.INFO for hint in hints)


def estimate_for_sample(
    sample: StoredSample,
    items: Sequence[StoredSampleItem],
    reviews: Sequence[StoredReview],
    confidence: float = REPORT_CONFIDENCE,
    *,
    archive_only: bool = False,
) -> ShareEstimate:
    """The weighted share needing action in one sample, overall and per stratum.

    ``archive_only`` estimates the share that should be archived instead.
    """
    stratum_of = {item.service_id: item.stratum for item in items}
    populations: dict[str, int] = {}
    samples: dict[str, int] = {}
    for name, (size, drawn) in sample.params.get("allocation", {}).items():
        populations[name], samples[name] = int(size), int(drawn)
    for item in items:
        populations.setdefault(item.stratum, item.stratum_population)
        samples.setdefault(item.stratum, item.stratum_sample)
    units = [
        ReviewedUnit(
            stratum_of[r.service_id],
            ReviewOutcome(r.outcome) is ReviewOutcome.SHOULD_BE_ARCHIVED
            if archive_only
            else ReviewOutcome(r.outcome).needs_action,
        )
        for r in reviews
        if r.service_id in stratum_of
    ]
    return estimate_share(units, populations, samples, confidence)


def _agreement(items: Sequence[StoredSampleItem], reviews: Sequence[StoredReview]) -> Agreement:
    by_id = {item.service_id: item for item in items}
    agreement = Agreement()
    for review in reviews:
        item = by_id.get(review.service_id)
        if item is None:
            continue
        problem = ReviewOutcome(review.outcome).needs_action
        flagged = is_flagged(item.findings_at_draw)
        line = ReviewLine(
            review.service_id, item.name, item.url, item.stratum, review.outcome, review.problems,
            [h for h in item.findings_at_draw if h.severity != Severity.INFO],
        )
        agreement.reviewed += 1
        agreement.reviewer_found_problems += problem
        agreement.tool_flagged += flagged
        agreement.both_found += problem and flagged
        agreement.both_clear += not problem and not flagged
        if problem and not flagged:
            agreement.missed_by_tool.append(line)
        if flagged and not problem:
            agreement.not_confirmed.append(line)
    return agreement


def qa_report(db: Database, sample_id: int | None = None) -> QAReport:
    """The report for one sample (default: the newest with reviews) and the trend."""
    samples = list_samples(db)
    if not samples:
        raise QAError("no QA samples yet; draw one with `localoffer-audit sample`")
    trend: list[Round] = []
    newest_reviewed: StoredSample | None = None
    cache: dict[int, tuple[list[StoredSampleItem], list[StoredReview]]] = {}
    for sample in samples:
        items, reviews = sample_items(db, sample.id), reviews_for_sample(db, sample.id)
        cache[sample.id] = (items, reviews)
        if reviews:
            newest_reviewed = sample
            trend.append(Round(sample.id, sample.created_at, sample.strata, len(items), len(reviews), estimate_for_sample(sample, items, reviews)))
    if sample_id is None:
        chosen = newest_reviewed or samples[-1]
    else:
        chosen = _require_sample(db, sample_id)
    items, reviews = cache[chosen.id]
    return QAReport(
        sample=chosen,
        sampled=len(items),
        reviewed=len(reviews),
        outcomes={str(o): sum(1 for r in reviews if r.outcome == o) for o in ReviewOutcome},
        estimate=estimate_for_sample(chosen, items, reviews),
        archive_estimate=estimate_for_sample(chosen, items, reviews, archive_only=True),
        agreement=_agreement(items, reviews),
        trend=trend,
    )


def write_report_html(report: QAReport, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"qa-report-{report.sample.id}.html"
    path.write_text(render("qa_report.html", report=report, generated_at=utc_now()), encoding="utf-8")
    return path


def report_and_write(db: Database, sample_id: int | None, out_dir: Path) -> tuple[QAReport, Path]:
    """The report for ``sample_id`` (default: newest reviewed), also written as HTML."""
    report = qa_report(db, sample_id)
    return report, write_report_html(report, out_dir)


def default_output_folder(config: Config | None) -> Path:
    """Where packs and reports go: ``[output] folder``/qa, or ./output/qa without a config."""
    return (config.output.folder if config is not None else Path("output")) / "qa"
