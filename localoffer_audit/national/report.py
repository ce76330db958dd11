"""One page across councils: open findings by severity, links by verdict, the trend,
and the hosts that break most links nationally.

Each council's figures come from its own store (the snapshot its last nightly run
recorded), the hosts from the national link cache.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from localoffer_audit.links.checker import FAILURE_VERDICTS
from localoffer_audit.models import Severity
from localoffer_audit.national.registry import Registry
from localoffer_audit.store.db import open_db
from localoffer_audit.store.report import count_snapshot, nightly_history


@dataclass(slots=True)
class CouncilFigures:
    slug: str
    name: str
    findings: dict[str, int]
    links: dict[str, int]
    trend: list[tuple[str, str, int]]   # (night started, status, open findings)
    missing: str | None = None


def council_figures(registry: Registry, *, nights: int = 7) -> list[CouncilFigures]:
    figures = []
    for council in registry.councils:
        if not council.db_path.exists():
            figures.append(CouncilFigures(council.slug, council.name, {}, {}, [], "no store yet (never run)"))
            continue
        db = open_db(council.db_path)
        try:
            snapshot = count_snapshot(db)
            history = nightly_history(db, limit=nights)
        finally:
            db.close()
        trend = [
            (str(run["started_at"])[:10], str(run["status"]),
             sum(run["snapshot"].get("findings_by_severity", {}).values()))
            for run in history
        ]
        figures.append(CouncilFigures(council.slug, council.name, snapshot["findings_by_severity"], snapshot["links"], trend))
    return figures


def breaking_hosts(conn: psycopg.Connection, *, top: int = 20) -> list[dict[str, Any]]:
    """Hosts with the most failing links in the cache, and how many councils link to them."""
    rows = conn.execute(
        """
        SELECT c.url, c.verdict, (SELECT COUNT(DISTINCT d.slug) FROM national_demand d WHERE d.url = c.url) AS councils
        FROM national_link_cache c WHERE c.verdict = ANY(%s) AND c.confirmed
        """,
        [sorted(str(v) for v in FAILURE_VERDICTS)],
    ).fetchall()
    hosts: dict[str, dict[str, Any]] = {}
    for url, verdict, councils in rows:
        try:
            host = (urlsplit(url).hostname or url).lower()
        except ValueError:
            host = url
        entry = hosts.setdefault(host, {"host": host, "broken_links": 0, "councils": 0, "verdicts": {}})
        entry["broken_links"] += 1
        entry["councils"] = max(entry["councils"], int(councils))
        entry["verdicts"][verdict] = entry["verdicts"].get(verdict, 0) + 1
    return sorted(hosts.values(), key=lambda h: (-h["broken_links"], h["host"]))[:top]


def render_report(figures: list[CouncilFigures], hosts: list[dict[str, Any]]) -> str:
    severities = [str(s) for s in Severity]
    e = html.escape
    head = "".join(f"<th>{e(s)}</th>" for s in severities)
    rows = []
    for f in figures:
        if f.missing:
            rows.append(f"<tr><td>{e(f.name)}</td><td colspan='{len(severities) + 2}'>{e(f.missing)}</td></tr>")
            continue
        cells = "".join(f"<td>{f.findings.get(s, 0)}</td>" for s in severities)
        links = ", ".join(f"{e(v)} {n}" for v, n in sorted(f.links.items()))
        trend = " → ".join(f"{n}" + ("" if status == "complete" else f" ({e(status)})") for _, status, n in f.trend)
        rows.append(f"<tr><td>{e(f.name)} <small>({e(f.slug)})</small></td>{cells}<td>{links}</td><td>{trend}</td></tr>")
    host_rows = "".join(
        f"<tr><td>{e(h['host'])}</td><td>{h['broken_links']}</td><td>{h['councils']}</td>"
        f"<td>{e(', '.join(f'{v} {n}' for v, n in sorted(h['verdicts'].items())))}</td></tr>"
        for h in hosts
    ) or "<tr><td colspan='4'>No confirmed broken links in the national cache.</td></tr>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>National Local Offer audit</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem}}table{{border-collapse:collapse;margin-bottom:2rem}}
td,th{{border:1px solid #bbb;padding:.3rem .6rem;text-align:left}}th{{background:#eee}}</style></head>
<body><h1>National Local Offer audit</h1>
<h2>Open findings by council</h2>
<table id="councils"><thead><tr><th>Council</th>{head}<th>Links by verdict</th><th>Open findings, last nights</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<h2>Hosts that break most links</h2>
<p>Confirmed failures in the national link cache, and how many councils link to them.</p>
<table id="hosts"><thead><tr><th>Host</th><th>Broken links</th><th>Councils linking</th><th>Verdicts</th></tr></thead>
<tbody>{host_rows}</tbody></table>
</body></html>
"""


def write_report(conn: psycopg.Connection, registry: Registry, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(council_figures(registry), breaking_hosts(conn)), encoding="utf-8")
    return out
