"""Reading CSV files people filled in (in Excel, mostly), for the importers.

The managers mapping, the QA reviewers' verdicts and the dismissals file share this:
read the whole file, find the columns by header name whatever their case or spacing,
give every record the line it starts on (a quoted cell may span lines), and report
bad rows as ``ImportProblem``s so one error lists every line to fix. Writing CSV (and
escaping formulas) is csvsafe.py's job; reading back undoes that escaping here.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from localoffer_audit.parsing.csvsafe import unescape_cell
from localoffer_audit.errors import AuditError

# More problems than this are counted in the error message, not listed.
MAX_PROBLEMS_LISTED = 20

# Digits a number column may hold. str.isdigit() also accepts "²" or "٣", which int()
# then rejects (or reads as another number): only ASCII digits are a row id.
_ASCII_NUMBER = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One thing wrong with an imported file; ``line`` is None for the file as a whole."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class ImportFileError(AuditError):
    """A file that cannot be imported; ``problems`` lists every bad line. Nothing was imported."""

    def __init__(self, path: Path, problems: list[ImportProblem]) -> None:
        self.path = path
        self.problems = problems
        listed = "; ".join(str(p) for p in problems[:MAX_PROBLEMS_LISTED])
        more = f"; and {len(problems) - MAX_PROBLEMS_LISTED} more" if len(problems) > MAX_PROBLEMS_LISTED else ""
        plural = "problem" if len(problems) == 1 else "problems"
        super().__init__(
            f"{path}: {len(problems)} {plural}, nothing imported (fix the file and import it again): {listed}{more}"
        )


class NotUtf8Error(Exception):
    """The file is not UTF-8 (and no fallback was asked for); ``position`` is the first bad byte."""

    def __init__(self, position: int) -> None:
        super().__init__(f"not UTF-8 text (byte {position})")
        self.position = position


@dataclass(frozen=True, slots=True)
class CsvRecord:
    """One non-blank record; ``line`` is the file line it starts on (the header is line 1)."""

    line: int
    cells: list[str]


@dataclass(slots=True)
class CsvTable:
    """A CSV file's header and records. ``header`` is None for an empty file."""

    header: list[str] | None
    records: list[CsvRecord]
    # Normalised column name -> index ("Manager Name " -> "manager_name"); the last of a
    # repeated name wins.
    columns: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.columns = {column_key(name): index for index, name in enumerate(self.header or [])}

    def header_text(self) -> str:
        """The header as found, for "missing column" messages."""
        return ", ".join(name.strip() for name in self.header or []) or "nothing"

    def missing(self, required: tuple[str, ...] | list[str]) -> list[str]:
        return [name for name in required if name not in self.columns]

    def cell(self, record: CsvRecord, name: str) -> str:
        """The record's cell in column ``name``, trimmed and with our formula escaping undone; "" if absent."""
        index = self.columns.get(name)
        if index is None or index >= len(record.cells):
            return ""
        return unescape_cell(record.cells[index].strip())


def column_key(name: str) -> str:
    return "_".join(name.strip().lower().split())


def is_ascii_number(text: str) -> bool:
    """True for "12", False for "", "1.5", "-3" or "²" (which str.isdigit() accepts)."""
    return _ASCII_NUMBER.fullmatch(text) is not None


def read_csv_text(path: Path, *, windows_1252_fallback: bool = False) -> str:
    """The file as text: UTF-8 with or without a byte-order mark.

    With ``windows_1252_fallback`` a file that is not UTF-8 is read as Windows-1252
    (Excel's plain "CSV (Comma delimited)" on Windows); otherwise NotUtf8Error.
    FileNotFoundError passes through for the caller to word.
    """
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if windows_1252_fallback:
            return raw.decode("cp1252", errors="replace")
        raise NotUtf8Error(exc.start) from exc


def parse_csv(text: str) -> CsvTable:
    """Header and non-blank records of CSV text, each record with the line it starts on."""
    # newline="": only \r, \n and \r\n end lines (str.splitlines would also split on
    # U+2028 and friends inside a cell), and quoted cells keep their line breaks.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return CsvTable(header=None, records=[])
    records: list[CsvRecord] = []
    line = reader.line_num
    for cells in reader:
        start_line, line = line + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            records.append(CsvRecord(start_line, cells))
    return CsvTable(header=header, records=records)


def read_csv_records(path: Path, *, windows_1252_fallback: bool = False) -> CsvTable:
    """read_csv_text then parse_csv (see both for the errors raised)."""
    return parse_csv(read_csv_text(path, windows_1252_fallback=windows_1252_fallback))
