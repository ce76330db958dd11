"""The `content`, `findings` and `rules` commands, and the stable export formats."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.store.db import open_db
from localoffer_audit.findings.lifecycle import EXPORT_COLUMNS
from localoffer_audit.models import RunKind, RunStatus
from localoffer_audit.store.runs import finish_run, start_run

from .support.lifecycle import HOST, put_service

CONFIG = f"""
[directory]
start_urls = ["https://{HOST}/kb5/x/directory/results.page"]
[database]
path = "audit.db"
"""


def setup_world(tmp_path: Path) -> None:
    (tmp_path / "localoffer-audit.toml").write_text(CONFIG, encoding="utf-8")
    db = open_db(tmp_path / "audit.db")
    put_service(db, "s1", name='=HYPERLINK("http://evil.example","click")', postcode="GL4")
    put_service(db, "s2", dates=[{"label": "Last updated", "raw": "3 March 2023", "value": "2023-03-03"}])
    finish_run(db, start_run(db, RunKind.CRAWL), RunStatus.COMPLETE)
    db.close()


def test_content_then_list_in_every_format(runner: CliRunner, tmp_path: Path) -> None:
    setup_world(tmp_path)
    result = runner.invoke(main, ["content", "--today", "2025-06-15"])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output and "complete" in result.output

    table = runner.invoke(main, ["findings"])
    assert table.exit_code == 0, table.output
    assert "invalid_postcode" in table.output and "stale_date" in table.output and "2 finding(s)" in table.output

    as_csv = runner.invoke(main, ["findings", "list", "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.output.startswith("\ufeff")  # a byte-order mark, so Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(as_csv.output.removeprefix("\ufeff"))))
    assert tuple(rows[0].keys()) == EXPORT_COLUMNS
    by_rule = {row["rule"]: row for row in rows}
    assert by_rule["invalid_postcode"]["service_name"].startswith("'=HYPERLINK")  # formula escaped
    assert by_rule["stale_date"]["service_id"] == "s2" and by_rule["stale_date"]["status"] == "open"
    assert by_rule["stale_date"]["service_url"].endswith("id=s2")

    as_json = runner.invoke(main, ["findings", "list", "--format", "json", "--severity", "medium"])
    assert as_json.exit_code == 0, as_json.output
    [record] = json.loads(as_json.output)
    assert record["rule"] == "stale_date" and set(EXPORT_COLUMNS) == set(record)


def test_list_by_status_fixed_and_all(runner: CliRunner, tmp_path: Path) -> None:
    setup_world(tmp_path)
    assert runner.invoke(main, ["content", "--today", "2025-06-15"]).exit_code == 0
    # The postcode is corrected and a complete crawl sees it: that finding is fixed.
    db = open_db(tmp_path / "audit.db")
    put_service(db, "s1", name='=HYPERLINK("http://evil.example","click")', postcode="LS1 4AP")
    finish_run(db, start_run(db, RunKind.CRAWL), RunStatus.COMPLETE)
    db.close()
    second = runner.invoke(main, ["content", "--today", "2025-06-15"])
    assert second.exit_code == 0 and "1 fixed" in second.output, second.output

    def listed(*options: str) -> list[tuple[str, str]]:
        result = runner.invoke(main, ["findings", "list", "--format", "json", *options])
        assert result.exit_code == 0, result.output
        return sorted((r["rule"], r["status"]) for r in json.loads(result.output))

    assert listed() == [("stale_date", "open")]
    assert listed("--status", "fixed") == [("invalid_postcode", "fixed")]
    assert listed("--status", "open") == [("stale_date", "open")]
    assert listed("--status", "all") == [("invalid_postcode", "fixed"), ("stale_date", "open")]
    [fixed] = json.loads(runner.invoke(main, ["findings", "list", "--format", "json", "--status", "fixed"]).output)
    assert fixed["fixed_at"] and fixed["service_id"] == "s1"
    table = runner.invoke(main, ["findings", "list", "--status", "all"])
    assert "invalid_postcode" in table.output and "2 finding(s)" in table.output, table.output


def test_dismiss_import_and_report(runner: CliRunner, tmp_path: Path) -> None:
    setup_world(tmp_path)
    assert runner.invoke(main, ["content", "--today", "2025-06-15"]).exit_code == 0
    records = json.loads(runner.invoke(main, ["findings", "list", "--format", "json"]).output)
    ids = {r["rule"]: r["id"] for r in records}

    result = runner.invoke(main, ["findings", "dismiss", str(ids["invalid_postcode"]), "--reason", "Farm address",
                                  "--by", "Jo", "--wont-fix"])
    assert result.exit_code == 0, result.output
    assert re.search(rf"Finding #{ids['invalid_postcode']} dismissed as won't fix", result.output), result.output
    listed = json.loads(runner.invoke(main, ["findings", "list", "--format", "json"]).output)
    assert [r["rule"] for r in listed] == ["stale_date"]

    bad = tmp_path / "d.csv"
    bad.write_text("finding_id,kind,reason,dismissed_by\n12345,false_alarm,x,Jo\n", encoding="utf-8")
    failed = runner.invoke(main, ["findings", "import-dismissals", str(bad)])
    assert failed.exit_code == 1 and "line 2" in failed.output and "Traceback" not in failed.output

    good = tmp_path / "g.csv"
    good.write_text(f"finding_id,kind,reason,dismissed_by\n{ids['stale_date']},,Reviewed by phone,Jo\n", encoding="utf-8")
    imported = runner.invoke(main, ["findings", "import-dismissals", str(good)])
    assert imported.exit_code == 0 and "Imported 1" in imported.output

    report = runner.invoke(main, ["findings", "dismissals"])
    assert report.exit_code == 0
    assert "invalid_postcode" in report.output and "wont_fix" in report.output and "stale_date" in report.output
    as_json = json.loads(runner.invoke(main, ["findings", "dismissals", "--json"]).output)
    assert {(r["rule"], r["kind"]) for r in as_json["by_rule"]} == {
        ("invalid_postcode", "wont_fix"), ("stale_date", "false_alarm")}


def test_import_dismissals_reports_a_non_ascii_number_by_line(runner: CliRunner, tmp_path: Path) -> None:
    # "²" and "٣" pass str.isdigit() but are no finding id: a reported line, not a traceback.
    setup_world(tmp_path)
    assert runner.invoke(main, ["content", "--today", "2025-06-15"]).exit_code == 0
    first_id = json.loads(runner.invoke(main, ["findings", "list", "--format", "json"]).output)[0]["id"]
    path = tmp_path / "d.csv"
    path.write_text(
        f"finding_id,kind,reason,dismissed_by\n{first_id},,Checked,Jo\n\u00b2,,x,Jo\n\u0663,,y,Jo\n", encoding="utf-8"
    )
    result = runner.invoke(main, ["findings", "import-dismissals", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert "line 3: finding_id '\u00b2' is not a number" in result.output
    assert "line 4: finding_id '\u0663' is not a number" in result.output
    listed = json.loads(runner.invoke(main, ["findings", "list", "--format", "json"]).output)
    assert first_id in {r["id"] for r in listed}  # nothing imported


def test_content_before_any_crawl_says_to_crawl_first(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "localoffer-audit.toml").write_text(CONFIG, encoding="utf-8")
    result = runner.invoke(main, ["content", "--today", "2025-06-15"])
    assert result.exit_code == 0, result.output
    assert "No crawl has run yet: run `localoffer-audit crawl` first" in result.stderr
    assert "incomplete" not in result.stderr


def test_content_after_an_incomplete_crawl_says_nothing_was_fixed(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "localoffer-audit.toml").write_text(CONFIG, encoding="utf-8")
    db = open_db(tmp_path / "audit.db")
    finish_run(db, start_run(db, RunKind.CRAWL), RunStatus.INCOMPLETE)
    db.close()
    result = runner.invoke(main, ["content", "--today", "2025-06-15"])
    assert result.exit_code == 0, result.output
    assert "The latest crawl was incomplete, so no finding was marked fixed." in result.stderr
    assert "No crawl has run yet" not in result.output


def test_dismissing_an_unknown_finding_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    setup_world(tmp_path)
    result = runner.invoke(main, ["findings", "dismiss", "777", "--reason", "x", "--by", "y"])
    assert result.exit_code == 1 and "no finding with id 777" in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1


def test_rules_lists_every_rule_with_configured_settings(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "localoffer-audit.toml").write_text(
        CONFIG + '[content.rules.plain_english]\nenabled = false\n[content.rules.stale_date]\nseverity = "high"\n',
        encoding="utf-8",
    )
    result = runner.invoke(main, ["rules"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split() for line in result.output.splitlines()}
    assert lines["plain_english"][2] == "off"
    assert lines["stale_date"][1] == "high"
    assert "link_broken" in lines and "archive_candidate" in lines


def test_csv_export_names_the_content_manager(runner: CliRunner, tmp_path: Path) -> None:
    setup_world(tmp_path)
    (tmp_path / "managers.csv").write_text(
        "service_id,organisation,manager_name,manager_email\ns2,,Zoë Brontë,zoe@council.example\n", encoding="utf-8")
    assert runner.invoke(main, ["managers", "import", "managers.csv"]).exit_code == 0
    assert runner.invoke(main, ["content", "--today", "2025-06-15"]).exit_code == 0
    out = runner.invoke(main, ["findings", "list", "--format", "csv"]).output
    assert out.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
    assert list(rows[0])[-1] == "content_manager"
    by_service = {row["service_id"]: row["content_manager"] for row in rows}
    assert by_service["s2"] == "Zoë Brontë <zoe@council.example>"
    assert by_service["s1"] == "Local Offer team <localoffer@example.invalid>"  # the default owner


def test_dismissing_a_finding_again_counts_one_false_alarm(runner: CliRunner, tmp_path: Path) -> None:
    setup_world(tmp_path)
    assert runner.invoke(main, ["content", "--today", "2025-06-15"]).exit_code == 0
    records = json.loads(runner.invoke(main, ["findings", "list", "--format", "json"]).output)
    stale = next(r["id"] for r in records if r["rule"] == "stale_date")
    for _ in range(2):
        done = runner.invoke(main, ["findings", "dismiss", str(stale), "--reason", "Reviewed", "--by", "Jo"])
        assert done.exit_code == 0, done.output
    report = json.loads(runner.invoke(main, ["findings", "dismissals", "--json"]).output)
    (row,) = [r for r in report["by_rule"] if r["rule"] == "stale_date"]
    assert (row["active"], row["lapsed"]) == (1, 0), row
    text = runner.invoke(main, ["findings", "dismissals"]).output
    assert re.search(r"stale_date\s+false_alarm\s+1 active\s+0 lapsed\s+100%", text), text
