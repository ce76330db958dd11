import csv
from pathlib import Path

import pytest

from localoffer_audit.parsing.csvsafe import escape_cell, unescape_cell, write_csv
from localoffer_audit.outputs.templates import environment


def test_html_is_autoescaped() -> None:
    template = environment().from_string("<p>{{ name }}</p>")
    assert template.render(name="<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    base = environment().get_template("_base.html").render(version="x", generated_at=None)
    assert base.startswith("<!doctype html>")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-abcDEF123", "'-abcDEF123"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Sunny Days Club", "Sunny Days Club"),
        (42, 42),
    ],
)
def test_formula_cells_are_escaped(cell, expected) -> None:
    assert escape_cell(cell) == expected
    if isinstance(cell, str):
        assert unescape_cell(escape_cell(cell)) == cell


def test_write_csv_escapes_every_cell(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(path, ["name", "url"], [{"name": '=HYPERLINK("http://x","y")', "url": "https://ok.example"}])
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [{"name": '\'=HYPERLINK("http://x","y")', "url": "https://ok.example"}]
