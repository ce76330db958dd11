"""The worklist page rendered by a real browser (headless Chromium), desktop and phone widths."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from localoffer_audit.worklists import build_worklists

from .browser import ARTIFACTS, png_size, require_chromium, screenshot
from .test_worklists import setup_world
from .test_worklists_support import make_config


@pytest.mark.browser
@pytest.mark.slow
def test_worklist_renders_in_chromium(db, tmp_path: Path) -> None:
    require_chromium()
    setup_world(db, tmp_path)
    config = make_config(tmp_path, directory={"edit_url_template": "https://cms.example/edit?record={id}"})
    results = build_worklists(db, config, out_dir=tmp_path / "out", today=date(2026, 11, 25), manager="sam@sunny.example")
    (result,) = results
    soup = BeautifulSoup(result.html_path.read_text(encoding="utf-8"), "html.parser")
    assert len(soup.select("li.item")) == result.open == 5

    desktop = screenshot(result.html_path, ARTIFACTS / "worklist-desktop.png", width=1200, height=1600)
    phone = screenshot(result.html_path, ARTIFACTS / "worklist-phone.png", width=390, height=1400)
    assert png_size(desktop) == (1200, 1600)
    assert png_size(phone) == (390, 1400)
