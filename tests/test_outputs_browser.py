"""The run report and the worklist index laid out in headless Chromium, narrow and wide:
no sideways scrolling, every table's header row visible, no status word broken mid-word."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlite_utils import Database

from localoffer_audit.config import config_from_dict
from localoffer_audit.models import RunKind, RunStatus
from localoffer_audit.store.runs import finish_run, record_stage, start_run
from localoffer_audit.outputs.report import write_run_report
from localoffer_audit.outputs.worklists import build_worklists

from .support.browser import ARTIFACTS, require_chromium, screenshot
from .support.report import CONFIG, build_directory

_PROBE = """
<script>window.addEventListener("load", () => {
  const edge = Math.min(document.documentElement.clientWidth, window.__width || 1e9) + 1, wide = [], hidden = [], broken = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.getBoundingClientRect().right > edge) wide.push(el.tagName.toLowerCase() + "#" + el.id + "." + el.className);
  }
  for (const table of document.querySelectorAll("table")) {
    if (table.closest("details") && !table.closest("details").open) continue;
    const heads = [...table.querySelectorAll("thead th")];
    const shown = heads.filter(th => th.getBoundingClientRect().height > 0 && getComputedStyle(th).visibility !== "hidden");
    if (!heads.length || shown.length !== heads.length) hidden.push(table.id || table.className);
  }
  for (const cell of document.querySelectorAll("td.status, th")) {
    if (cell.closest("details") && !cell.closest("details").open) continue;
    for (const word of cell.textContent.trim().split(/\\s+/)) {
      if (!word) continue;
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      let node; while ((node = walker.nextNode())) {
        const at = node.textContent.indexOf(word); if (at < 0) continue;
        const range = document.createRange(); range.setStart(node, at); range.setEnd(node, at + word.length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(word);
        break;
      }
    }
  }
  const out = document.createElement("pre"); out.id = "layout-probe";
  out.textContent = JSON.stringify({scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth, wide: wide.slice(0, 10), hidden, broken});
  document.body.appendChild(out);
});</script>
"""


def layout(html_file: Path, *, width: int) -> dict:
    """Lay the page out in Chromium at ``width`` CSS pixels. Headless Chromium opens no
    window narrower than 500 pixels, so a phone's 390 is laid out by making the page's
    root element that wide inside a 500-pixel window (the phone media queries apply
    from 40rem = 640 pixels down, so they are in force either way)."""
    binary = require_chromium()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        page = Path(profile) / "probe.html"
        narrow = (f"<style>html {{ width: {width}px; overflow: visible; }}</style><script>window.__width = {width};</script>"
                  if width < 500 else "")
        page.write_text(html_file.read_text(encoding="utf-8") + narrow + _PROBE, encoding="utf-8")
        command = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}/data", f"--window-size={max(width, 500)},1200",
            "--dump-dom", page.as_uri(),
        ]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    marker = '<pre id="layout-probe">'
    start = completed.stdout.rfind(marker)
    assert start >= 0, f"Chromium did not run the probe (exit {completed.returncode}):\n{completed.stderr[-2000:]}"
    body = completed.stdout[start + len(marker): completed.stdout.index("</pre>", start)]
    return json.loads(body.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


def _pages(db: Database, tmp_path: Path) -> dict[str, Path]:
    build_directory(db, tmp_path)
    config = config_from_dict(CONFIG)
    out = tmp_path / "out"
    build_worklists(db, config, out_dir=out / "worklists")
    # An incomplete night after it, with a long reason, as the red box shows it.
    nightly = start_run(db, RunKind.NIGHTLY)
    record_stage(db, nightly, {"stage": "crawl", "status": "incomplete", "seconds": 3.2, "counts": {"pages": 3},
                               "message": "INCOMPLETE crawl, nothing marked removed: 3 of 120 service pages answered"})
    finish_run(db, nightly, RunStatus.INCOMPLETE, counts={"snapshot": {}})
    history = out / "worklists" / "history"
    pages = {"report": write_run_report(db, config, out), "index": out / "worklists" / "index.html",
             "history-index": history / "index.html"}
    # The service page with the most findings, and a link page: the longest tables.
    services = sorted(history.glob("service-*.html"), key=lambda page: -page.read_text().count('class="card finding"'))
    pages["history-service"] = services[0]
    pages["history-link"] = sorted(history.glob("link-*.html"))[0]
    # A worklist (its cards link the history pages).
    pages["worklist"] = max((out / "worklists").glob("*-??????.html"), key=lambda page: page.stat().st_size)
    return pages


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 500, 1280])
def test_report_and_index_read_on_a_phone_and_a_desktop(db: Database, tmp_path: Path, width: int) -> None:
    require_chromium()
    for name, page in _pages(db, tmp_path).items():
        found = layout(page, width=width)
        assert found["scrollWidth"] <= found["clientWidth"] and found["wide"] == [], (name, width, found)
        assert found["hidden"] == [], (name, width, found)
        assert found["broken"] == [], (name, width, found)
        if name == "report" and width >= 500:
            screenshot(page, ARTIFACTS / f"run-report-first-screen-{width}.png", width=width, height=900)
