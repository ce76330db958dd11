"""CSV output that is safe to open in Excel.

A cell beginning with = + - @ (or a tab / carriage return, which Excel strips before
looking) is read by spreadsheet programs as a formula; text from web pages must never
run as one. Such cells get a leading apostrophe, which Excel shows as plain text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(path: Path, fieldnames: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows with every text cell escaped; returns the number of rows written.

    UTF-8 with a byte-order mark, so Excel on Windows reads accented names correctly.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fieldnames), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: escape_cell(value) for key, value in row.items()})
            count += 1
    return count


def unescape_cell(value: str) -> str:
    """Undo escape_cell when reading back a CSV we wrote (e.g. a record id '-abc')."""
    if value.startswith("'") and value[1:2] in _FORMULA_STARTS and value[1:2] != "":
        return value[1:]
    return value
