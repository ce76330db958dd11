"""The demo end to end: the whole nightly pipeline, twice, against the demo world.

``localoffer-audit demo`` calls ``audit_demo``: it serves the world, imports its content
managers, runs ``nightly`` on night 0, moves the world on a night (some faults fixed,
new ones planted, entries added and removed) and runs ``nightly`` again, so the findings
history, the worklists' "new" and "fixed" sections and the report's trend all show.
Then it writes .eml previews and a QA sample pack into the same folder. A night that
fails or is incomplete stops the demo there (``DemoAudit.stopped_at``), and the command
exits non-zero naming it.

Only this module and the command know the demo; the stages it calls are the ones a
council runs, given the demo's config.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from localoffer_audit.config import load_config
from localoffer_audit.store.db import open_db
from localoffer_audit.outputs.mail import prepare_and_send
from localoffer_audit.findings.managers import import_mapping
from localoffer_audit.models import RunStatus
from localoffer_audit.nightly import NightlySummary, run_nightly
from localoffer_audit.findings.lifecycle import list_findings, write_findings_csv
from localoffer_audit.outputs.history import HISTORY_FOLDER
from localoffer_audit.findings.managers import content_managers, problem_owners
from localoffer_audit.outputs.qa import SampleRequest, draw_sample
from localoffer_audit.outputs.report import FINDINGS_EXPORT, write_run_report
from localoffer_audit.store.totals import Totals, totals
from localoffer_audit.demo.runner import DemoOutput, run_demo
from localoffer_audit.demo.server import RunningDemo

Progress = Callable[[str], None]


@dataclass(slots=True)
class DemoAudit:
    output: DemoOutput | None = None
    nights: list[NightlySummary] = field(default_factory=list)
    report: Path | None = None
    worklists_index: Path | None = None
    emails_folder: Path | None = None
    emails: int = 0
    qa_pack: Path | None = None
    qa_csv: Path | None = None
    qa_sample_size: int = 0
    findings_csv: Path | None = None
    history_index: Path | None = None
    # The totals every output prints (store/totals.py), after the last night.
    totals: Totals | None = None
    managers_with_work: int = 0
    seconds: float = 0.0
    # The night (1-based) whose run failed or was incomplete; the demo stops there.
    stopped_at: int | None = None

    @property
    def stopped_night(self) -> NightlySummary | None:
        return self.nights[self.stopped_at - 1] if self.stopped_at is not None else None


def audit_demo(
    out: Path, *, services: int = 400, seed: int = 1, nights: int = 2, progress: Progress | None = None
) -> DemoAudit:
    """Serve the demo world and audit it ``nights`` times; everything lands in ``out``."""
    say = progress or (lambda message: None)
    result = DemoAudit()
    started = time.monotonic()

    def pipeline(demo: RunningDemo, output: DemoOutput) -> None:
        result.output = output
        config = load_config(output.config_path)
        db = open_db(config.database.path)
        try:
            imported = import_mapping(db, output.managers_path)
        finally:
            db.close()
        say(f"Content managers imported from {output.managers_path.name}: {imported.rows} rows")
        first_day = date.fromisoformat(demo.manifest()["world"]["day0_date"])
        for night in range(nights):
            demo.set_day(night)
            say(f"Night {night + 1} of {nights} (the world as it is on {first_day + timedelta(days=night):%-d %B %Y}):")
            summary = run_nightly(config, today=first_day + timedelta(days=night), progress=lambda m: say(f"  {m}"))
            result.nights.append(summary)
            result.report = summary.report_path
            if summary.status != RunStatus.COMPLETE:
                # A later night, emails or a QA sample drawn on top of it would show a
                # history the auditor did not make; stop and let the command say why.
                result.stopped_at = night + 1
                return
        today = first_day + timedelta(days=nights - 1)
        folder = config.output.folder
        db = open_db(config.database.path)
        try:
            emails = prepare_and_send(db, config, send=False, out_dir=folder / "emails", today=today)
            result.emails = len(emails.outcomes)
            result.emails_folder = folder / "emails"
            sample = draw_sample(db, config, SampleRequest(seed=seed), folder / "qa", today=today)
            result.qa_pack, result.qa_csv, result.qa_sample_size = sample.pack_html, sample.pack_csv, sample.sample_size
            result.findings_csv = folder / FINDINGS_EXPORT
            with result.findings_csv.open("w", encoding="utf-8", newline="") as handle:
                write_findings_csv(list_findings(db, config), handle, content_managers(db, config))
            # The report again, now that every output it links is there (nightly wrote
            # it before the emails, the QA pack and the export existed).
            result.report = write_run_report(db, config, folder, run_id=result.nights[-1].run_id)
            result.totals = totals(db)
            result.managers_with_work = len({owner for owner in problem_owners(db, config)})
        finally:
            db.close()
        result.worklists_index = folder / "worklists" / "index.html"
        result.history_index = folder / "worklists" / HISTORY_FOLDER / "index.html"

    run_demo(out, services=services, seed=seed, day=0, after_prepare=pipeline)
    result.seconds = round(time.monotonic() - started, 1)
    return result
