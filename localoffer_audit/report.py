"""The HTML run summary: totals, what changed, who owns what, and the trend over runs.

The trend chart is inline SVG drawn here, so the report opens with no internet and
prints as it shows.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from sqlite_utils import Database

from .config import Config
from .errors import AuditError
from .managers import assign_managers
from .models import RunKind, Severity
from .redact import mask_credentials
from .queries.report import finding_changes_in_run, nightly_history, visible_findings_with_services
from .queries.runs import get_run, recent_runs
from .templates import render

SEVERITY_ORDER = [str(s) for s in Severity]


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: list[int]
    colour: str


def trend_svg(labels: list[str], series: list[Series], *, width: int = 720, height: int = 260) -> Markup:
    """A small line chart as inline SVG; every text in it is escaped here, so templates
    can place it as it is."""
    left, right, top, bottom = 48, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([1, *[v for s in series for v in s.values]])
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
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        parts.append(f'<polyline fill="none" stroke="{_svg_text(s.colour)}" stroke-width="2.5" points="{points}"/>')
        for i, v in enumerate(s.values):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{_svg_text(s.colour)}"><title>{_svg_text(s.label)}: {v}</title></circle>')
    for i, s in enumerate(series):
        lx = left + 8 + i * 170
        parts.append(f'<rect x="{lx}" y="{height - 14}" width="12" height="4" fill="{_svg_text(s.colour)}"/>')
        parts.append(f'<text x="{lx + 16}" y="{height - 9}" font-size="11" fill="#333">{_svg_text(s.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _svg_text(text: str) -> str:
    return str(escape(text))


def _short_date(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%-d %b")
    except ValueError:
        return stamp[:10]


def build_report_context(db: Database, config: Config, run_id: int | None = None) -> dict[str, Any]:
    history = nightly_history(db)
    if run_id is not None:
        run = get_run(db, run_id)
        if run is None or run.kind != RunKind.NIGHTLY:
            raise AuditError(f"no nightly run #{run_id} in this database; `localoffer-audit status` lists the runs")
    else:
        run = (recent_runs(db, 1, RunKind.NIGHTLY) or [None])[0]
    stages = run.stages if run else []
    findings_run_id = next((s.get("run_id") for s in stages if s.get("stage") == "findings" and s.get("run_id")), None)
    changes = finding_changes_in_run(db, findings_run_id) if findings_run_id else {"opened": [], "reopened": [], "fixed": []}

    visible = visible_findings_with_services(db)
    owners = assign_managers(db, config)
    by_severity = Counter(f["severity"] for f in visible)
    by_rule = Counter(f["rule"] for f in visible)
    by_category: dict[str, Counter[str]] = {}
    by_manager: dict[str, Counter[str]] = {}
    for finding in visible:
        categories = json.loads(finding["categories"] or "[]")
        category = categories[0] if categories else "Uncategorised"
        by_category.setdefault(category, Counter())[finding["severity"]] += 1
        owner = owners.get(finding["service_id"])
        manager = f"{owner.name} <{owner.email}>" if owner else config.managers.default_owner_name
        by_manager.setdefault(manager, Counter())[finding["severity"]] += 1

    snapshot = history[-1]["snapshot"] if history else {}
    labels = [f'#{h["id"]} {_short_date(h["started_at"])}' for h in history]
    serious = [sum(h["snapshot"].get("findings_by_severity", {}).get(s, 0) for s in ("critical", "high")) for h in history]
    other = [sum(h["snapshot"].get("findings_by_severity", {}).get(s, 0) for s in ("medium", "low")) for h in history]
    broken = [
        sum(v for k, v in h["snapshot"].get("links", {}).items() if k not in ("ok", "redirected", "excluded", "unsupported", "unchecked"))
        for h in history
    ]
    chart = trend_svg(
        labels,
        [
            Series("critical + high findings", serious, "#c0392b"),
            Series("medium + low findings", other, "#e0a800"),
            Series("links needing attention", broken, "#2c6fbb"),
        ],
    )
    return {
        "directory_name": config.directory.name,
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


def write_run_report(db: Database, config: Config, out_dir: Path, *, run_id: int | None = None) -> Path:
    """Write ``report.html`` into ``out_dir`` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.html"
    # Credentials in any URL (an error message, a stage note) never reach the page.
    html = mask_credentials(render("run_report.html", **build_report_context(db, config, run_id)))
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)  # never leave a half-written report behind
    return path
