"""The CSV reading shared by the managers, QA and dismissals importers."""

from __future__ import annotations

from pathlib import Path

import pytest

from localoffer_audit.parsing.csvimport import (
    ImportFileError,
    ImportProblem,
    NotUtf8Error,
    is_ascii_number,
    parse_csv,
    read_csv_records,
)


def test_records_carry_the_line_they_start_on() -> None:
    table = parse_csv(
        'Sample ID ,Notes\r\n'
        '1,"two\nlines"\r\n'
        '\r\n'  # blank line: skipped, but counted
        ',  \r\n'  # only blank cells: skipped
        '2,"a\u2028b"\r\n'  # a Unicode line separator inside a cell is not a new line
        '3,last\r\n'
    )
    assert table.columns == {"sample_id": 0, "notes": 1}
    assert [(r.line, r.cells) for r in table.records] == [
        (2, ["1", "two\nlines"]),
        (6, ["2", "a\u2028b"]),
        (7, ["3", "last"]),
    ]


def test_cell_trims_and_undoes_formula_escaping_and_tolerates_short_rows() -> None:
    table = parse_csv("id,name,extra\n'-abc,  Sam  \n")
    [record] = table.records
    assert table.cell(record, "id") == "-abc"
    assert table.cell(record, "name") == "Sam"
    assert table.cell(record, "extra") == "" and table.cell(record, "absent") == ""
    assert table.missing(("id", "reviewer", "outcome")) == ["reviewer", "outcome"]
    assert table.header_text() == "id, name, extra"


def test_an_empty_file_has_no_header() -> None:
    table = parse_csv("")
    assert table.header is None and table.records == [] and table.header_text() == "nothing"


def test_encodings(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffname\nCafé\n".encode())
    table = read_csv_records(bom)
    assert table.header == ["name"] and table.cell(table.records[0], "name") == "Café"

    windows = tmp_path / "windows.csv"
    windows.write_bytes("name\nCafé “Club”\n".encode("cp1252"))
    with pytest.raises(NotUtf8Error) as caught:
        read_csv_records(windows)
    assert caught.value.position == 8 and str(caught.value) == "not UTF-8 text (byte 8)"
    table = read_csv_records(windows, windows_1252_fallback=True)
    assert table.cell(table.records[0], "name") == "Café \u201cClub\u201d"

    with pytest.raises(FileNotFoundError):
        read_csv_records(tmp_path / "absent.csv")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", True), ("12", True), ("", False), ("1.5", False), ("-3", False), (" 4", False),
     ("\u00b2", False), ("\u0663", False), ("\uff11", False)],
)
def test_is_ascii_number(text: str, expected: bool) -> None:
    assert is_ascii_number(text) is expected
    if expected:
        assert int(text) >= 0


def test_import_file_error_lists_twenty_problems_and_counts_the_rest(tmp_path: Path) -> None:
    problems = [ImportProblem(line, "bad") for line in range(2, 27)] + [ImportProblem(None, "and the file")]
    message = str(ImportFileError(tmp_path / "f.csv", problems))
    assert message.startswith(f"{tmp_path / 'f.csv'}: 26 problems, nothing imported (fix the file and import it again): ")
    assert "line 21: bad" in message and "line 22: bad" not in message and message.endswith("; and 6 more")
    assert str(ImportFileError(Path("x.csv"), [ImportProblem(None, "empty")])) == (
        "x.csv: 1 problem, nothing imported (fix the file and import it again): empty"
    )
