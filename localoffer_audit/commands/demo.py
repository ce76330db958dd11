"""`demo`: a realistic Local Offer directory and outside web on loopback, with ground truth."""

from __future__ import annotations

from pathlib import Path

import click

from localoffer_audit.commands.common import exit_with
from localoffer_audit.demo.audit import DemoAudit, audit_demo
from localoffer_audit.demo.runner import DemoOutput, serve_until_stopped
from localoffer_audit.demo.server import RunningDemo
from localoffer_audit.store.totals import entries_and_advice_pages


@click.command()
@click.option("--serve", is_flag=True, help="Keep serving and print the URLs until Ctrl-C.")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), default=Path("demo-output"),
              show_default=True, help="Folder for the demo config, manifest and managers CSV.")
@click.option("--services", default=400, show_default=True, type=click.IntRange(1, 100_000), help="Services listed on night 0.")
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same world.")
@click.option("--day", default=0, show_default=True, type=click.IntRange(0, 365), help="Serve the world as it is N nights later.")
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="Directory port with --serve (default: any free port).")
def demo(serve: bool, out: Path, services: int, seed: int, day: int, port: int) -> None:
    """Audit the embedded demo Local Offer directory, end to end, with no network.

    Serves on loopback an FSD-style directory, an Open Referral UK API (v1 and v3) and a
    simulated outside web of provider sites with every link behaviour the auditor must
    judge; runs the nightly pipeline on it twice (the world changes between the nights,
    so findings get fixed and new ones appear); and writes into --out the run report,
    each content manager's worklist, .eml previews of their emails, a QA sample pack,
    and the demo's config, ground truth (demo-manifest.json) and managers.csv. A night
    that fails or is incomplete stops the demo with nightly's exit code (1 or 5) and a
    line naming the night and the stage.

    With --serve it only serves the world (as it is on night --day) and prints its URLs
    until Ctrl-C, for exploring with a browser, curl or `nightly`.

    Example:

    \b
        localoffer-audit demo
        localoffer-audit demo --serve --services 2000 --seed 7
        localoffer-audit demo --serve --day 3 --port 8400
    """
    if serve:
        serve_until_stopped(out, services=services, seed=seed, day=day, port=port, on_ready=_print_serving)
        click.echo("Stopped.")
        return
    if day:
        raise click.UsageError("--day goes with --serve; the full demo always starts on night 0")
    result = audit_demo(out, services=services, seed=seed, progress=lambda message: click.echo(message, err=True))
    if result.stopped_night is not None:
        _fail(result)
    _print_audit(result)


def _fail(result: DemoAudit) -> None:
    """The night that did not complete, its stages that went wrong, and nightly's exit code."""
    night = result.stopped_night
    assert night is not None and result.stopped_at is not None
    wrong = [stage for stage in night.stages if stage.status in ("failed", "incomplete")]
    stages = "; ".join(
        f"stage {stage.name} {stage.status}" + (f" ({stage.message})" if stage.message else "") for stage in wrong
    )
    click.echo(
        f"Error: demo night {result.stopped_at} (run #{night.run_id}) did not complete ({night.status}): "
        f"{stages or 'no stage reported why'}. The demo stopped there.",
        err=True,
    )
    for message in night.messages:
        click.echo(f"  {message}", err=True)
    if night.report_path:
        click.echo(f"Report of that night: {night.report_path}", err=True)
    exit_with(night.exit_code)


def _print_audit(result: DemoAudit) -> None:
    assert result.output is not None
    totals = result.totals
    assert totals is not None
    # The same totals, from the same queries, as the report, the worklists and `status`.
    click.echo(
        f"Demo audited in {result.seconds:.0f}s: {entries_and_advice_pages(totals.live_services, totals.advice_pages)}, "
        f"{totals.links:,} links on them; "
        f"{totals.open_problems:,} open problems for {result.managers_with_work} content managers."
    )
    for number, night in enumerate(result.nights, start=1):
        click.echo(f"  night {number}: run #{night.run_id} {night.status}, {night.new_serious} new serious findings")
    spans = []
    for night in result.nights:
        ids = sorted(stage.run_id for stage in night.stages if stage.run_id)
        if ids:
            spans.append(f"#{ids[0]}-#{ids[-1]}" if len(ids) > 1 else f"#{ids[0]}")
    if spans:
        # Each stage records a run of its own, so the nights' run ids are not consecutive.
        click.echo(f"  (runs {' and '.join(spans)} are the nights' stages; `status` lists them)")
    click.echo("Open:")
    click.echo(f"  {result.report}  (run summary with trend; it links every output below)")
    click.echo(f"  {result.worklists_index}  (every content manager's worklist)")
    click.echo(f"  {result.history_index}  (history of every entry with a problem: since when, who was told)")
    click.echo(f"  {result.emails_folder}/  ({result.emails} email previews, .eml)")
    click.echo(f"  {result.qa_pack}  (QA review pack, {result.qa_sample_size} services; reviewers fill in {result.qa_csv.name if result.qa_csv else ''})")
    click.echo(f"  {result.findings_csv}  (findings export, CSV for Excel)")
    click.echo(f"Database: {result.output.folder / 'localoffer-audit.db'} (try `localoffer-audit --config {result.output.config_path} status`)")
    click.echo(f"Ground truth: {result.output.manifest_path}")
    click.echo(
        "The demo servers stopped with this command. To explore the world: "
        f"localoffer-audit demo --serve --out {result.output.folder}"
    )


def _print_written(output: DemoOutput) -> None:
    click.echo(f"Demo world: {output.services} services, {output.links} links and contact values.")
    click.echo(f"Wrote {output.config_path} (audit config for the demo)")
    click.echo(f"Wrote {output.manifest_path} (ground truth: expected verdicts and findings)")
    click.echo(f"Wrote {output.managers_path} (content managers mapping)")
    click.echo(f"Wrote {output.hosts_file} and {output.ca_file} (outside web names and certificate authority)")


def _print_serving(demo: RunningDemo, output: DemoOutput) -> None:
    _print_written(output)
    click.echo("")
    click.echo(f"FSD directory (Local Offer results): {demo.fsd_start_url}")
    click.echo(f"ORUK API v1: {demo.oruk_v1_url}/services")
    click.echo(f"ORUK API v3: {demo.oruk_v3_url}/services")
    click.echo(f"Outside web: http on port {demo.http_port}, https on port {demo.https_port}; names in {demo.hosts_file}")
    click.echo(f"  e.g. {demo.curl_example()}")
    click.echo(f"Audit it: localoffer-audit --config {output.config_path} nightly")
    click.echo("Press Ctrl-C to stop.")


COMMANDS = [demo]
