"""Screenshot an HTML file with Debian's headless Chromium, for tests marked `browser`.

Usage in a test::

    from .support.browser import require_chromium, screenshot

    @pytest.mark.browser
    @pytest.mark.slow
    def test_page_renders(tmp_path):
        require_chromium()          # skips with a reason when Chromium is not installed
        png = screenshot(html_path, ARTIFACTS / "page.png")

The screenshot is a real render (layout, fonts, CSS): a page that fails to load or
renders blank is caught by ``screenshot`` itself. Only Debian's ``chromium`` package is
known to work on our machines (``apt-get install chromium``); the snap wrapper does not.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest
from .paths import REPO_ROOT

# Screenshots kept for people to look at after a run (gitignored).
ARTIFACTS = REPO_ROOT / "test-artifacts"
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str | None:
    """Chromium to use: $CHROMIUM, else Debian's /usr/bin/chromium, else None."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for candidate in CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def require_chromium() -> str:
    """The Chromium path, or skip the test saying how to install it."""
    path = chromium_path()
    if path is None:
        pytest.skip("headless Chromium not found at /usr/bin/chromium: apt-get install chromium (or set $CHROMIUM)")
    return path


def screenshot(
    html_file: Path,
    png_file: Path,
    *,
    width: int = 1200,
    height: int = 1600,
    timeout: float = 60.0,
) -> Path:
    """Render ``html_file`` in headless Chromium and save a PNG of the viewport.

    Chromium runs with no network features (no QUIC, sync, component updates,
    background fetches), a throwaway profile, and no sandbox (containers lack the
    namespaces it needs). Raises AssertionError with Chromium's output if no image
    came out, or if the image is blank (nothing rendered).
    """
    binary = require_chromium()
    png_file = png_file.resolve()
    png_file.parent.mkdir(parents=True, exist_ok=True)
    png_file.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png_file}",
            f"--window-size={width},{height}",
            html_file.resolve().as_uri(),
        ]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if not png_file.exists() or png_file.stat().st_size == 0:
        raise AssertionError(
            f"Chromium wrote no screenshot (exit {completed.returncode}):\n{completed.stderr[-2000:]}"
        )
    # A blank page gives at most a couple of distinct rows (the PNG filter may differ on the first).
    assert png_distinct_rows(png_file) > 3, f"{png_file} is blank: nothing rendered"
    return png_file


# Appended to a copy of the page: lists the elements that reach past the viewport's right edge.
_OVERFLOW_PROBE = """
<script>window.addEventListener("load", () => {
  const edge = document.documentElement.clientWidth + 1, wide = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.getBoundingClientRect().right > edge) wide.push(el.tagName.toLowerCase() + "." + el.className);
  }
  const out = document.createElement("pre");
  out.id = "overflow-probe";
  out.textContent = JSON.stringify({scrollWidth: document.documentElement.scrollWidth,
                                    clientWidth: document.documentElement.clientWidth, wide: wide.slice(0, 10)});
  document.body.appendChild(out);
});</script>
"""


def horizontal_overflow(html_file: Path, *, width: int, timeout: float = 60.0) -> dict:
    """Lay the page out at ``width`` CSS pixels in headless Chromium and say what sticks out.

    Returns ``{"scrollWidth", "clientWidth", "wide": [elements past the right edge]}``;
    a page that needs no sideways scrolling has scrollWidth == clientWidth. Headless
    Chromium's window is at least 500 pixels wide, so that is the narrowest width to ask.
    """
    import json

    binary = require_chromium()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        probe_page = Path(profile) / "probe.html"
        probe_page.write_text(html_file.read_text(encoding="utf-8") + _OVERFLOW_PROBE, encoding="utf-8")
        command = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}/data", f"--window-size={width},1200", "--dump-dom", probe_page.as_uri(),
        ]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    marker = '<pre id="overflow-probe">'
    start = completed.stdout.rfind(marker)
    assert start >= 0, f"Chromium did not run the probe (exit {completed.returncode}):\n{completed.stderr[-2000:]}"
    body = completed.stdout[start + len(marker) : completed.stdout.index("</pre>", start)]
    return json.loads(body.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


def png_size(png_file: Path) -> tuple[int, int]:
    data = png_file.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{png_file} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def png_distinct_rows(png_file: Path, limit: int = 64) -> int:
    """How many distinct pixel rows a sample of rows holds (up to ``limit``); a blank page has 1 or 2.

    Reads the PNG with zlib only (no imaging library needed); rows are compared as
    raw bytes after decompression, which is enough to tell "blank" from "rendered".
    """
    data = png_file.read_bytes()
    position, chunks = 8, []
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    width, height = png_size(png_file)
    raw = zlib.decompress(b"".join(chunks))
    stride = len(raw) // height if height else 0
    rows = {raw[row * stride + 1 : (row + 1) * stride] for row in range(0, height, max(1, height // 400))}
    return min(len(rows), limit)
