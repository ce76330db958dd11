"""The HTML run summary: totals, what changed, who owns what, and the trend over runs.

The trend chart is inline SVG drawn here, so the report opens with no internet and
prints as it shows.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from sqlite_utils import Database

from localoffer_audit.config import Config
from localoffer_audit.errors import AuditError
from localoffer_audit.findings.managers import assign_managers, default_owner
from localoffer_audit.models import RunKind, Severity, StageStatus
from localoffer_audit.redact import mask_credentials
from localoffer_audit.store.services import live_services as listed_services
from localoffer_audit.store.totals import entries_and_advice_pages, live_service_ids
from localoffer_audit.store.report import count_snapshot, finding_changes_in_run, nightly_history, visible_findings_with_services
from localoffer_audit.store.runs import get_run, recent_runs
from localoffer_audit.outputs.history import HISTORY_FOLDER, service_page_name
from localoffer_audit.outputs.labels import FINE_VERDICTS, STAGE_LABELS, rule_title, verdict_label
from localoffer_audit.outputs.templates import render
from localoffer_audit.content.rules import newest_entry_date

log = logging.getLogger(__name__)

SEVERITY_ORDER = [str(s) for s in Severity]

def _starter_start_urls() -> list[str]:
    import tomllib

    from localoffer_audit.config import starter_config_text

    return list(tomllib.loads(starter_config_text())["directory"]["start_urls"])


def starter_example_warning(config: Config) -> str | None:
    """A sentence when [directory] start_urls is still the starter config's example."""
    try:
        examples = set(_starter_start_urls())
    except Exception:  # the warning is a courtesy; never let it stop a run
        return None
    left = [url for url in config.directory.start_urls if url in examples]
    if not left:
        return None
    return ("[directory] start_urls is still the starter config's example address "
            f"({left[0]}): set it to your directory's own listing page.")


# Where the demo (and anyone who wants one beside the report) writes `findings list --format csv`.
FINDINGS_EXPORT = "findings.csv"

# "Reviewed in the last year": the entry shows a review or last-updated date no older than this.
REVIEWED_WITHIN_DAYS = 365


def review_counts(db: Database, today: date) -> dict[str, int]:
    """Live services by the newest review / last-updated date they show, as of ``today``:
    within the last year, older, or none shown (the dates the content rules read). The
    information and advice pages are left out, as the date rules leave them out: a
    guidance page shows no review date to count."""
    live = live_service_ids(db)
    counts = {"within_year": 0, "older": 0, "no_date": 0}
    for service in listed_services(db, with_links=False):
        if service.directory_id not in live:
            continue
        newest = newest_entry_date(service, today)
        if newest is None:
            counts["no_date"] += 1
        elif newest.mention.end >= today - timedelta(days=REVIEWED_WITHIN_DAYS):
            counts["within_year"] += 1
        else:
            counts["older"] += 1
    return counts


def run_snapshot(db: Database, today: date) -> dict[str, Any]:
    """The state stored with a nightly run: the store's counts plus how many live entries
    were reviewed in the last year (that needs the entries' dates read as the rules read them)."""
    snapshot = count_snapshot(db)
    try:
        snapshot["reviewed"] = review_counts(db, today)
    except Exception:  # a trend line is a view: it must never cost the run its record
        log.error("could not count the services reviewed in the last year:\n%s", traceback.format_exc())
    return snapshot


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: list[int | None]
    colour: str


def trend_svg(labels: list[str], series: list[Series], *, width: int = 720, height: int = 260) -> Markup:
    """A small line chart as inline SVG; every text in it is escaped here, so templates
    can place it as it is."""
    left, right, top, bottom = 48, 16, 16, 26 + 14 * ((len(series) + 1) // 2)
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([1, *[v for s in series for v in s.values if v is not None]])
    count = max(1, len(labels))

    def x(i: int) -> float:
        return left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(v: int) -> float:
        return top + plot_h - plot_h * v / peak

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="Trend over {len(labels)} runs">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#888"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#888"/>',
    ]
    for tick in range(0, 5):
        value = round(peak * tick / 4)
        parts.append(
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end" fill="#555">{value}</text>'
        )
    step = max(1, count // 8)
    for i, label in enumerate(labels):
        if i % step == 0 or i == count - 1:
            anchor = "end" if i == count - 1 and count > 1 else "start" if i == 0 and count > 1 else "middle"
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="{anchor}" fill="#555">'
                f"{_svg_text(label)}</text>"
            )
    for s in series:
        # A run that did not measure this series leaves a gap: the line is drawn in pieces.
        pieces: list[list[str]] = [[]]
        for i, v in enumerate(s.values):
            if v is None:
                pieces.append([])
            else:
                pieces[-1].append(f"{x(i):.1f},{y(v):.1f}")
        for piece in pieces:
            if piece:
                parts.append(f'<polyline fill="none" stroke="{_svg_text(s.colour)}" stroke-width="2.5" points="{" ".join(piece)}"/>')
        for i, v in enumerate(s.values):
            if v is None:
                continue
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{_svg_text(s.colour)}"><title>{_svg_text(s.label)}: {v}</title></circle>')
    for i, s in enumerate(series):
        # Two legend entries a row, so long labels never run off the chart.
        lx, ly = left + 8 + (i % 2) * 300, height - 6 - 14 * ((len(series) - 1) // 2) + (i // 2) * 14
        parts.append(f'<rect x="{lx}" y="{ly - 5}" width="12" height="4" fill="{_svg_text(s.colour)}"/>')
        parts.append(f'<text x="{lx + 16}" y="{ly}" font-size="11" fill="#333">{_svg_text(s.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _svg_text(text: str) -> str:
    return str(escape(text))


def _short_date(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%-d %b")
    except ValueError:
        return stamp[:10]


def _links_to_fix(snapshot: dict[str, Any]) -> int:
    """Links needing a fix (store/totals.py); runs stored before that total was kept
    count the links whose verdict needs someone to act."""
    stored = snapshot.get("totals") or {}
    if "links_to_fix" in stored:
        return int(stored["links_to_fix"])
    return sum(v for k, v in snapshot.get("links", {}).items() if k not in FINE_VERDICTS)


def _reviewed(snapshot: dict[str, Any]) -> int | None:
    """Live services reviewed in the last year; None (a gap in the line) for a run that did not count them."""
    reviewed = snapshot.get("reviewed")
    return int(reviewed["within_year"]) if reviewed else None


def build_report_context(db: Database, config: Config, run_id: int | None = None) -> dict[str, Any]:
    history = nightly_history(db)
    shown_for: str | None = None
    if run_id is not None:
        run = get_run(db, run_id)
        if run is None:
            raise AuditError(f"no nightly run #{run_id} (and no run #{run_id} at all) in this database; "
                             "`localoffer-audit status` lists the runs")
        if run.kind != RunKind.NIGHTLY and run.parent_run_id is not None:
            # A stage of a nightly run (`status` lists those too): the report of its night.
            parent = get_run(db, run.parent_run_id)
            if parent is not None:
                shown_for = f"Run #{run.id} is the {run.kind} stage of nightly run #{parent.id}: this is that night's report."
                run = parent
    else:
        latest = recent_runs(db, 1, RunKind.NIGHTLY)
        run = latest[0] if latest else None
    if run is not None and run.kind != RunKind.NIGHTLY:
        # A run of its own (`crawl`, `check`, `content`): its outcome is the only stage.
        shown_for = f"Run #{run.id} is a {run.kind} run on its own, not a nightly run."
    stages = run.stage_results() if run else []
    findings_run_id = next((s.run_id for s in stages if s.name == "findings" and s.run_id), None)
    changes = finding_changes_in_run(db, findings_run_id) if findings_run_id else {"opened": [], "reopened": [], "fixed": []}

    visible = visible_findings_with_services(db)
    owners = assign_managers(db, config)
    fallback = default_owner(config)
    by_severity = Counter(f["severity"] for f in visible)
    by_rule = Counter(f["rule"] for f in visible)
    by_category: dict[str, Counter[str]] = {}
    by_manager: dict[str, Counter[str]] = {}
    for finding in visible:
        categories = json.loads(finding["categories"] or "[]")
        category = categories[0] if categories else "Uncategorised"
        by_category.setdefault(category, Counter())[finding["severity"]] += 1
        owner = owners.get(finding["service_id"], fallback)
        manager = f"{owner.name} <{owner.email}>"
        by_manager.setdefault(manager, Counter())[finding["severity"]] += 1

    # The shown run's own state, else the newest stored one (a run cut short may have none).
    own = next((h["snapshot"] for h in history if run is not None and h["id"] == run.id and h["snapshot"]), None)
    snapshot: dict[str, Any] = own or next((h["snapshot"] for h in reversed(history) if h["snapshot"]), {})
    labels = [f'#{h["id"]} {_short_date(h["started_at"])}' for h in history]
    serious = [sum(h["snapshot"].get("findings_by_severity", {}).get(s, 0) for s in ("critical", "high")) for h in history]
    other = [sum(h["snapshot"].get("findings_by_severity", {}).get(s, 0) for s in ("medium", "low")) for h in history]
    chart = trend_svg(
        labels,
        [
            Series("critical + high findings", serious, "#c0392b"),
            Series("medium + low findings", other, "#e0a800"),
            Series("links needing a fix", [_links_to_fix(h["snapshot"]) for h in history], "#2c6fbb"),
            Series("services reviewed in the last year", [_reviewed(h["snapshot"]) for h in history], "#1e6b35"),
        ],
    )
    stored = snapshot.get("totals") or {}
    live_services = stored.get("live_services", snapshot.get("services", {}).get("live", 0))
    advice_pages = stored.get("advice_pages", 0)
    link_counts = snapshot.get("links", {})
    links_total = stored.get("links", sum(link_counts.values()))
    links_to_fix = _links_to_fix(snapshot) or 0
    reviewed = snapshot.get("reviewed")
    serious_new = [f for f in changes["opened"] + changes["reopened"] if f["severity"] in ("critical", "high")]
    problems = [
        f"{STAGE_LABELS.get(s.name, s.name)}: {s.message or s.status}"
        for s in stages if s.status in (StageStatus.INCOMPLETE, StageStatus.FAILED)
    ]
    earlier_complete = run is not None and any(h["status"] == "complete" and h["id"] < run.id for h in history)
    if run is None:
        trust = "No nightly run yet."
    elif run.status == "complete":
        trust = "This run completed: its figures can be trusted."
    else:
        trust = (f"This run is {run.status}, so nothing was marked fixed or removed from it"
                 + (f": {problems[0]}" if problems else ".") )
    top_manager = next(iter(sorted(by_manager.items(), key=lambda kv: -sum(kv[1].values()))), None)
    plain = [
        f"Checked {entries_and_advice_pages(live_services, advice_pages)}{',' if advice_pages else ''} and {_plural(links_total, 'link')} on them "
        "(web, email and phone addresses, each counted once)"
        + (f"; {_plural(links_to_fix, 'link')} need{'s' if links_to_fix == 1 else ''} a fix." if links_total else "."),
        (f"{_plural(len(serious_new), 'new serious problem')} (critical or high) this run."
         if serious_new else "No new serious problems this run."),
        f"{_plural(len(changes['fixed']), 'problem')} fixed since the previous run.",
        f"{_plural(sum(by_severity.values()), 'problem')} open in all.",
    ]
    if reviewed:
        plain.insert(1, f"{reviewed['within_year']:,} of {_plural(live_services, 'live service')} show a review or "
                        f"last-updated date in the last year; {reviewed['older']:,} older, {reviewed['no_date']:,} none.")
    if by_manager:
        plain.append(f"{_plural(len(by_manager), 'content manager')} {'has' if len(by_manager) == 1 else 'have'} "
                     "something to fix.")
    if top_manager:
        plain.append(f"Most to fix: {top_manager[0]}, with {_plural(sum(top_manager[1].values()), 'problem')}.")
    example = starter_example_warning(config)
    return {
        "directory_name": config.directory.name,
        "shown_for": shown_for,
        "trust": trust,
        "plain": plain,
        "problems": problems,
        "earlier_complete": earlier_complete,
        "example_warning": example,
        "stage_labels": STAGE_LABELS,
        "by_problem": [(rule_title(rule), rule, n) for rule, n in by_rule.most_common()],
        "by_verdict_plain": [
            (verdict_label(v), v, n) for v, n in sorted(link_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "rule_title": rule_title,
        "run": run,
        "stages": stages,
        "history": history,
        "snapshot": snapshot,
        "changes": changes,
        "by_severity": [(s, by_severity.get(s, 0)) for s in SEVERITY_ORDER],
        "by_rule": by_rule.most_common(),
        "by_verdict": sorted(snapshot.get("links", {}).items(), key=lambda kv: (-kv[1], kv[0])),
        "by_category": sorted(by_category.items(), key=lambda kv: -sum(kv[1].values())),
        "by_manager": sorted(by_manager.items(), key=lambda kv: -sum(kv[1].values())),
        "severities": SEVERITY_ORDER,
        "chart_svg": chart,
        "generated_at": datetime.now(UTC).strftime("%d %B %Y %H:%M UTC"),
    }


def _outputs_next_to(out_dir: Path) -> list[tuple[str, str, str]]:
    """(label, relative link, what it is) for the outputs written next to the report."""
    found = []
    for relative, label, what in (
        ("worklists/index.html", "Worklists", "one fix list per content manager"),
        ("worklists/escalation.html", "Escalation digest", "serious problems open too long, and emails not delivered"),
        (f"worklists/{HISTORY_FOLDER}/index.html", "History pages",
         "for each entry with a problem: since when, every check of its links, who was told when"),
        ("emails/", "Emails", "the messages of the last email run, as .eml files"),
        ("qa/", "QA packs", "samples for checking the checker by hand"),
        (FINDINGS_EXPORT, "Findings export", "every open problem as a CSV spreadsheet"),
    ):
        if (out_dir / relative).exists():
            found.append((label, relative, what))
    return found


def write_run_report(db: Database, config: Config, out_dir: Path, *, run_id: int | None = None) -> Path:
    """Write ``report.html`` into ``out_dir`` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.html"
    context = build_report_context(db, config, run_id)
    context["outputs"] = _outputs_next_to(out_dir)
    history = out_dir / "worklists" / HISTORY_FOLDER

    def history_page(service_id: str) -> str | None:
        page = history / service_page_name(service_id)
        return f"worklists/{HISTORY_FOLDER}/{page.name}" if page.exists() else None

    context["history_page"] = history_page
    # Credentials in any URL (an error message, a stage note) never reach the page.
    html = mask_credentials(render("run_report.html", **context))
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)  # never leave a half-written report behind
    return path
