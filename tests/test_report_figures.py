"""The run summary's figures: each table counts what the database holds, no more.

A small directory is written into a real SQLite file with findings of every kind the
report must leave out (unconfirmed, fixed, dismissed), links of several verdicts and a
managers mapping, then the report's tables are parsed and compared with the counts
worked out here from the rows put in.
"""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from sqlite_utils import Database

from localoffer_audit.config import config_from_dict
from localoffer_audit.store.canned import CANNED_QUERIES
from localoffer_audit.outputs.report import write_run_report
from .support.report import CONFIG, build_directory






def table(soup: BeautifulSoup, table_id: str) -> list[list[str]]:
    return [[cell.get_text(strip=True) for cell in row.find_all("td")] for row in soup.select(f"#{table_id} tbody tr")]


def test_report_tables_count_what_the_database_holds(db: Database, tmp_path: Path) -> None:
    build_directory(db, tmp_path)
    html = write_run_report(db, config_from_dict(CONFIG), tmp_path / "out").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")

    # Stage counts are the numbers; a yes/no flag is not a count.
    assert table(soup, "stages")[0] == ["crawl", "complete", "2", "pages 12"]
    # Open, confirmed, not dismissed: findings 1-7.
    assert table(soup, "by-severity") == [["1", "2", "2", "1", "1"]]  # critical, high, medium, low, info
    assert dict(table(soup, "by-rule")) == {
        "link_broken": "2", "stale_date": "2", "link_parked": "1", "placeholder_text": "1", "reading_age": "1",
    }
    # A service's first category; none given is "Uncategorised". Columns: critical..info, total.
    assert {row[0]: row[1:] for row in table(soup, "by-category")} == {
        "Play": ["1", "1", "1", "0", "0", "3"],
        "Health": ["0", "1", "0", "1", "0", "2"],
        "Uncategorised": ["0", "0", "1", "0", "1", "2"],
    }
    # s1 by its service id, s2 by its organisation, s3 falls to the default owner.
    assert {row[0]: row[-1] for row in table(soup, "by-manager")} == {
        "Sam Smith <sam@sunny.example>": "3",
        "Priya Patel <priya@nhs.example>": "2",
        "Local Offer team <localoffer@council.example>": "2",
    }
    # Distinct links on live services: the removed service's link is not counted.
    assert dict(table(soup, "by-verdict")) == {"ok": "3", "broken": "1", "parked": "1", "blocked": "1"}
    assert table(soup, "changes-fixed") and len(table(soup, "changes-fixed")) == 1


def canned(db: Database, name: str) -> list[tuple]:
    return [tuple(row) for row in db.execute(CANNED_QUERIES[name]["sql"]).fetchall()]


def test_canned_queries_answer_what_the_worklists_would_show(db: Database, tmp_path: Path) -> None:
    build_directory(db, tmp_path)
    # The dismissed finding (10) and the unconfirmed (8) and fixed (9) ones are left out.
    assert canned(db, "open_findings_by_manager") == [
        ("default owner", "medium", 1), ("default owner", "info", 1),
        ("priya@nhs.example", "high", 1), ("priya@nhs.example", "low", 1),
        ("sam@sunny.example", "critical", 1), ("sam@sunny.example", "high", 1), ("sam@sunny.example", "medium", 1),
    ]
    assert sorted(canned(db, "broken_links_by_host")) == [
        ("forum.example", "blocked", 1), ("gone.example", "broken", 1),
        ("parked.example", "parked", 1), ("sunny.example", "broken", 1),
    ]
    assert [(row[0], row[4]) for row in canned(db, "stale_services")] == [("s3", "stale_date"), ("s1", "stale_date")]
