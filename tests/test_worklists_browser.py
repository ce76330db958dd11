"""The worklist page rendered by a real browser (headless Chromium), desktop and phone widths."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from localoffer_audit.outputs.worklists import build_worklists

from .support.browser import ARTIFACTS, horizontal_overflow, png_size, require_chromium, screenshot
from .support.worklists import setup_world
from .support.worklists import make_config


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


@pytest.mark.browser
@pytest.mark.slow
def test_worklist_needs_no_sideways_scrolling_on_a_narrow_screen(db, tmp_path: Path) -> None:
    # A long link inside a sentence ("The link to https://... is broken") once widened the
    # whole page on a phone; every line must wrap inside the screen instead.
    require_chromium()
    setup_world(db, tmp_path)
    # No hyphens: a browser may break a line after one, but not inside a word like these.
    long_url = "https://www.puddleducksindependentnursery.co.uk/site/pages/ourofferforfamilies.aspx"
    db.execute("UPDATE findings SET message = ? WHERE id = (SELECT MIN(id) FROM findings)",
               [f"The link to {long_url} in the description is broken."])
    db.conn.commit()
    config = make_config(tmp_path)
    (result,) = build_worklists(db, config, out_dir=tmp_path / "out", today=date(2026, 11, 25), manager="sam@sunny.example")
    assert long_url in result.html_path.read_text(encoding="utf-8")
    layout = horizontal_overflow(result.html_path, width=500)
    assert layout["scrollWidth"] == layout["clientWidth"], layout
    assert layout["wide"] == [], layout
