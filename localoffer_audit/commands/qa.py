"""`sample` and `qa import` / `qa report`: the QA group's review rounds."""

from __future__ import annotations

from pathlib import Path

import click

from localoffer_audit.outputs import qa
from localoffer_audit.outputs.sampling import ShareEstimate
from localoffer_audit.commands.common import AppContext, pass_app


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _interval(estimate: ShareEstimate) -> str:
    return f"95% CI {_pct(estimate.low)} to {_pct(estimate.high)}" if estimate.low is not None else "no interval"


def _out_dir(app: AppContext, out: Path | None) -> Path:
    return out if out is not None else qa.default_output_folder(app.config_if_present())


@click.command()
@click.option("--size", type=click.IntRange(min=1), help="Sample exactly N services (instead of the formula).")
@click.option("--margin", type=click.FloatRange(0, 1, min_open=True, max_open=True), help=f"Margin of error e (default {qa.DEFAULT_MARGIN}).")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True), help=f"Confidence level (default {qa.DEFAULT_CONFIDENCE}).")
@click.option(
    "--expected-rate",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help=f"Expected share needing action p (default {qa.DEFAULT_EXPECTED_RATE}).",
)
@click.option("--strata", type=click.Choice(qa.STRATA), default="category", show_default=True, help="Stratify by.")
@click.option(
    "--exclude-reviewed-within",
    "exclude_days",
    type=click.IntRange(min=0),
    metavar="DAYS",
    help="Leave out services sampled or reviewed in the last DAYS days.",
)
@click.option("--seed", type=int, help="Random seed (default: today's date as YYYYMMDD, printed).")
@click.option("--label", help="A name for this round, e.g. 'Q4 2026'.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Folder for the review pack (default: [output] folder/qa).")
@pass_app
def sample(
    app: AppContext,
    size: int | None,
    margin: float | None,
    confidence: float | None,
    expected_rate: float | None,
    strata: str,
    exclude_days: int | None,
    seed: int | None,
    label: str | None,
    out: Path | None,
) -> None:
    """Draw a stratified random sample of live services for the QA group.

    The size comes from n0 = z^2 p(1-p)/e^2 and n = n0/(1 + (n0-1)/N), with the
    arithmetic printed; strata get proportional shares (at least one each). The sample
    is recorded with its seed, and a review pack (printable HTML and a CSV for the
    reviewers) is written. The same seed draws the same sample.

    Example:

    \b
        localoffer-audit sample
        localoffer-audit sample --margin 0.05 --confidence 0.95 --expected-rate 0.05 --strata organisation
        localoffer-audit sample --size 40 --exclude-reviewed-within 90 --seed 20261125 --out qa-pack
    """
    request = qa.SampleRequest(
        strata=strata,
        size=size,
        margin=margin,
        confidence=confidence,
        expected_rate=expected_rate,
        exclude_reviewed_within_days=exclude_days,
        seed=seed,
        label=label,
    )
    with app.writing() as db:
        drawn = qa.draw_sample(db, app.config_if_present(), request, _out_dir(app, out))
    click.echo(format_drawn_sample(drawn))


def format_drawn_sample(drawn: qa.DrawnSample) -> str:
    lines = [f"QA sample {drawn.sample_id}: {drawn.sample_size} of {drawn.population} live services, stratified by {drawn.strata}."]
    if drawn.seed_from_date:
        lines.append(f"Seed {drawn.seed} (from today's date; --seed {drawn.seed} draws the same sample again).")
    else:
        lines.append(f"Seed {drawn.seed}.")
    if drawn.excluded:
        lines.append(
            f"Left out {drawn.excluded} of {drawn.live_services} live services sampled or reviewed recently; "
            f"estimates from this round speak for the other {drawn.population}."
        )
    if drawn.size_calculation is not None:
        lines.append("Sample size:")
        lines.extend(f"  {line}" for line in drawn.size_calculation.explain())
    else:
        lines.append(f"Sample size: {drawn.requested_size} (set by --size).")
    lines.append("Allocation (proportional, largest remainder, at least one per stratum where the size allows):")
    width = max(len(a.stratum) for a in drawn.allocation)
    lines.append(f"  {'stratum':<{width}}  live  sampled  inclusion probability")
    for a in drawn.allocation:
        probability = a.sample / a.population if a.population else 0.0
        lines.append(f"  {a.stratum:<{width}}  {a.population:>4}  {a.sample:>7}  {probability:.3f}")
    if drawn.pooled_strata:
        lines.append(
            f"Many small {drawn.strata} groups: the {len(drawn.pooled_strata)} too small to expect a place in the "
            "sample are pooled into one stratum (keeps the sample close to proportional)."
        )
    lines.append(f"Review pack: {drawn.pack_html}")
    lines.append(f"Reviewers' CSV: {drawn.pack_csv} (fill in reviewer and outcome, then `localoffer-audit qa import` it)")
    return "\n".join(lines)


def format_report(report: qa.QAReport) -> str:
    sample, estimate, agreement = report.sample, report.estimate, report.agreement
    lines = [
        f"QA sample {sample.id} (drawn {sample.created_at[:10]}, stratified by {sample.strata}): "
        f"{report.reviewed} of {report.sampled} reviewed"
    ]
    if estimate.share is None:
        lines.append("No reviews imported yet: nothing to estimate.")
    else:
        lines.append(
            f"Estimated share needing remedial action: {_pct(estimate.share)} ({_interval(estimate)}); "
            f"unweighted {_pct(estimate.unweighted_share)}; effective sample size {estimate.effective_sample_size:.1f}"
        )
        archive = report.archive_estimate
        lines.append(f"  of which should be archived: {_pct(archive.share)} ({_interval(archive)})")
        if estimate.uncovered_strata:
            lines.append(
                f"Not covered (no reviews): {', '.join(estimate.uncovered_strata)}; the estimate speaks for "
                f"{estimate.population_covered} of {estimate.population} services."
            )
    outcomes = ", ".join(f"{name} {count}" for name, count in report.outcomes.items())
    lines.append(f"Outcomes: {outcomes}, not reviewed {report.sampled - report.reviewed}")
    lines.append(f"By {sample.strata}:")
    width = max([len(s.stratum) for s in estimate.strata] + [7])
    lines.append(f"  {'stratum':<{width}}  live  reviewed  needing  share   95% interval")
    for s in estimate.strata:
        interval = f"{_pct(s.low)} to {_pct(s.high)}" if s.low is not None else "-"
        lines.append(
            f"  {s.stratum:<{width}}  {s.population:>4}  {s.reviewed:>8}  {s.needs_action:>7}  {_pct(s.share):>6}  {interval}"
        )
    lines.append("Automated checks and reviewers:")
    lines.append(
        f"  Reviewers found {agreement.reviewer_found_problems} needing action; the tool had flagged "
        f"{agreement.both_found} of them ({_pct(agreement.recall)})."
    )
    lines.append(
        f"  The tool flagged {agreement.tool_flagged} reviewed service{'' if agreement.tool_flagged == 1 else 's'}; "
        "reviewers confirmed "
        f"{agreement.both_found} ({_pct(agreement.precision)})."
    )
    lines.append("Trend across rounds:")
    for r in report.trend:
        lines.append(
            f"  #{r.sample_id} {r.created_at[:10]} by {r.strata}: {r.reviewed} of {r.sampled} reviewed, "
            f"{_pct(r.estimate.share)} ({_interval(r.estimate)})"
        )
    if not report.trend:
        lines.append("  no round has reviews yet")
    return "\n".join(lines)


@click.group(name="qa")
def qa_group() -> None:
    """Import the QA group's verdicts and report the estimated error rate.

    Example:

    \b
        localoffer-audit qa import output/qa/qa-sample-1.csv
        localoffer-audit qa report
        localoffer-audit qa pack 1
    """


@qa_group.command(name="import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Folder for the HTML report (default: [output] folder/qa).")
@pass_app
def import_command(app: AppContext, file: Path, out: Path | None) -> None:
    """Import the reviewers' filled-in CSV and print the report.

    Every row is checked first (sample and service ids, outcome, reviewer, duplicates);
    a file with any bad row imports nothing and the error lists each line. Rows not
    filled in yet are skipped. Importing a corrected file again replaces earlier verdicts.

    Example:

    \b
        localoffer-audit qa import output/qa/qa-sample-1.csv
    """
    with app.writing() as db:
        result = qa.import_reviews(db, file, _out_dir(app, out))
    replaced = f" ({result.replaced} replaced earlier verdicts)" if result.replaced else ""
    click.echo(f"Imported {result.imported + result.replaced} reviews from {file}{replaced}; {result.not_reviewed} rows not reviewed yet.")
    click.echo(format_report(result.report))
    if result.report_html is not None:
        click.echo(f"HTML report: {result.report_html}")


@qa_group.command(name="pack")
@click.argument("sample_id", type=int)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Folder for the pack (default: [output] folder/qa).")
@pass_app
def pack_command(app: AppContext, sample_id: int, out: Path | None) -> None:
    """Write a recorded sample's review pack again (printable HTML and the blank CSV).

    The services and the tool's hints are those recorded when the sample was drawn;
    the details shown are the latest stored.

    Example:

    \b
        localoffer-audit qa pack 3 --out qa-pack
    """
    with app.database() as db:
        html, csv_path = qa.write_review_pack(db, sample_id, _out_dir(app, out))
    click.echo(f"Review pack: {html}\nReviewers' CSV: {csv_path}")


@qa_group.command(name="report")
@click.option("--sample", "sample_id", type=int, help="Sample id (default: the newest with reviews).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Folder for the HTML report (default: [output] folder/qa).")
@pass_app
def report_command(app: AppContext, sample_id: int | None, out: Path | None) -> None:
    """Print the estimated share of services needing remedial action, and write it as HTML.

    Weighted by inclusion probabilities, with a Wilson 95% interval, overall and per
    stratum; the trend across rounds; and how the automated findings compare with the
    reviewers' verdicts.

    Example:

    \b
        localoffer-audit qa report
        localoffer-audit qa report --sample 2 --out reports/
    """
    with app.database() as db:
        report, html = qa.report_and_write(db, sample_id, _out_dir(app, out))
    click.echo(format_report(report))
    click.echo(f"HTML report: {html}")


COMMANDS = [sample, qa_group]
