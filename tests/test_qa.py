"""QA rounds on a database filled by the test: draw, review pack, import, report."""

from __future__ import annotations

import csv
import json
import random
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from sqlite_utils import Database

from localoffer_audit.cli import main
from localoffer_audit.config import config_from_dict
from localoffer_audit.parsing.csvsafe import unescape_cell
from localoffer_audit.outputs.qa import (
    PACK_COLUMNS,
    QAError,
    ReviewFileError,
    ReviewOutcome,
    SampleRequest,
    draw_sample,
    import_reviews,
    parse_outcome,
    qa_report,
    write_report_html,
)
from localoffer_audit.store.qa import sample_items

CATEGORIES = ["Education", "Health", "Leisure", "Social care", "Transport"]
NOW = "2026-11-25T09:00:00+00:00"
TODAY = date(2026, 11, 25)


def add_service(db: Database, service_id: str, *, category: str | None, organisation: str | None, state: str = "live") -> None:
    db["services"].insert(
        {
            "id": service_id,
            "url": f"https://directory.example.gov.uk/service/{service_id}",
            "name": f"Service {service_id}",
            "organisation": organisation,
            "description": "A short description of what the service offers to families.",
            "categories": json.dumps([category] if category else []),
            "contacts": json.dumps([{"name": "Alex", "phone": "01632 960000", "email": "alex@example.org"}]),
            "website": f"https://provider-{service_id}.example.org/",
            "state": state,
            "first_seen_at": NOW,
            "last_seen_at": NOW,
        }
    )


def add_finding(db: Database, service_id: str, rule: str = "link_broken", severity: str = "high", status: str = "open") -> None:
    db["findings"].insert(
        {
            "service_id": service_id,
            "rule": rule,
            "subject": f"https://provider-{service_id}.example.org/",
            "severity": severity,
            "title": f"{rule} on the website link",
            "message": "The page answers 404 Not Found.",
            "fix_hint": "Update the link.",
            "status": status,
            "first_seen_at": NOW,
            "last_seen_at": NOW,
        }
    )


@pytest.fixture
def world(db: Database) -> dict[str, bool]:
    """400 live services (unequal categories), 5 page_missing ones, and the truth of
    which live ones need action (the tool flags most of them, plus a few false alarms)."""
    rng = random.Random(11)
    weights = [160, 100, 80, 40, 20]
    truth: dict[str, bool] = {}
    index = 0
    for category, count in zip(CATEGORIES, weights, strict=True):
        for _ in range(count):
            service_id = f"-s{index:03d}" if index % 50 == 0 else f"s{index:03d}"  # some ids look like formulas
            add_service(db, service_id, category=category, organisation=f"Org {index % 7}")
            needs = rng.random() < 0.12
            truth[service_id] = needs
            if needs and rng.random() < 0.8:
                add_finding(db, service_id)
            elif not needs and rng.random() < 0.05:
                add_finding(db, service_id, rule="stale_date", severity="medium")
            if rng.random() < 0.1:
                add_finding(db, service_id, rule="plain_english", severity="info")
            index += 1
    for extra in range(5):
        add_service(db, f"gone{extra}", category="Health", organisation="Org 1", state="page_missing")
    return truth


def fill_csv(path: Path, truth: dict[str, bool], *, reviewer: str = "Sam Reviewer", skip: int = 0) -> list[dict[str, str]]:
    """Fill the pack CSV as a reviewer would (in Excel: the escaped ids come back as read)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows):
        if number < skip:
            continue
        service_id = unescape_cell(row["service_id"])
        row["reviewer"] = reviewer
        row["outcome"] = "Needs fixing" if truth[service_id] else "accurate"
        row["what_was_wrong"] = "website link broken" if truth[service_id] else ""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def test_draw_records_seed_params_and_probabilities(db: Database, world, tmp_path: Path) -> None:
    drawn = draw_sample(db, None, SampleRequest(), tmp_path / "pack", today=TODAY, now=NOW)
    assert drawn.population == 400  # page_missing services are not in the population
    assert drawn.sample_size == 62 and drawn.size_calculation.n0 == 73
    assert drawn.seed == 20261125 and drawn.seed_from_date
    # Quotas 24.8, 15.5, 12.4, 6.2, 3.1: whole parts make 60, remainders .8 and .5 get the rest.
    assert {a.stratum: a.sample for a in drawn.allocation} == {
        "Education": 25, "Health": 16, "Leisure": 12, "Social care": 6, "Transport": 3,
    }
    stored = db.execute("SELECT seed, strata, params, population_size, sample_size FROM qa_samples").fetchone()
    assert stored[:2] == (20261125, "category") and stored[3:] == (400, 62)
    params = json.loads(stored[2])
    assert params["n0"] == 73 and params["allocation"]["Transport"] == [20, 3]
    items = sample_items(db, drawn.sample_id)
    assert len(items) == 62
    for item in items:
        assert item.inclusion_probability == pytest.approx(item.stratum_sample / item.stratum_population)
        flagged_in_db = db.execute(
            "SELECT COUNT(*) FROM findings WHERE service_id = ? AND status = 'open'", [item.service_id]
        ).fetchone()[0]
        assert len(item.findings_at_draw) == flagged_in_db


def test_same_seed_same_sample(db: Database, world, tmp_path: Path) -> None:
    first = draw_sample(db, None, SampleRequest(seed=5), tmp_path, now=NOW)
    second = draw_sample(db, None, SampleRequest(seed=5), tmp_path, now=NOW)
    third = draw_sample(db, None, SampleRequest(seed=6), tmp_path, now=NOW)
    assert [u.service_id for u in first.units] == [u.service_id for u in second.units]
    assert {u.service_id for u in first.units} != {u.service_id for u in third.units}


def test_exclusion_leaves_out_recently_sampled_services(db: Database, world, tmp_path: Path) -> None:
    first = draw_sample(db, None, SampleRequest(seed=1), tmp_path, now="2026-09-01T09:00:00+00:00")
    recent = draw_sample(db, None, SampleRequest(seed=2, size=50), tmp_path, now="2026-11-01T09:00:00+00:00")
    recent_ids = {u.service_id for u in recent.units}
    first_ids = {u.service_id for u in first.units}
    # A September service reviewed (late) in November counts as recently reviewed.
    late_reviewed = sorted(first_ids - recent_ids)[0]
    _write(
        tmp_path / "late.csv",
        [["sample_id", "service_id", "reviewer", "outcome", "reviewed_on"], [str(first.sample_id), late_reviewed, "Sam", "accurate", "20/11/2026"]],
    )
    import_reviews(db, tmp_path / "late.csv", now="2026-11-21T09:00:00+00:00")
    # Asking for the whole eligible population shows exactly who is eligible.
    later = draw_sample(
        db, None, SampleRequest(seed=3, size=400, exclude_reviewed_within_days=60), tmp_path, now="2026-11-25T09:00:00+00:00"
    )
    later_ids = {u.service_id for u in later.units}
    assert later.excluded == 51 and later.population == 349 == len(later_ids)
    # ... and the September round is older than 60 days: its other services are eligible again.
    assert later_ids == set(world) - recent_ids - {late_reviewed}
    assert first_ids - recent_ids - {late_reviewed} <= later_ids
    # Without exclusion everything is eligible again.
    assert draw_sample(db, None, SampleRequest(seed=3), tmp_path, now="2026-11-25T09:00:00+00:00").population == 400


def test_review_pack_html_and_csv(db: Database, world, tmp_path: Path) -> None:
    drawn = draw_sample(db, None, SampleRequest(seed=9), tmp_path, now=NOW)
    soup = BeautifulSoup(drawn.pack_html.read_text(encoding="utf-8"), "html.parser")
    sections = soup.select("section.service")
    assert len(sections) == 62
    first = sections[0]
    item = sample_items(db, drawn.sample_id)[0]
    assert first.find("a", href=item.url) is not None
    assert "Contacts work" in first.get_text() and "Links work" in first.get_text()
    flagged = [s for s in sections if "link_broken" in s.get_text()]
    assert len(flagged) == sum(1 for i in sample_items(db, drawn.sample_id) if any(h.rule == "link_broken" for h in i.findings_at_draw))
    with drawn.pack_csv.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0].keys()) == PACK_COLUMNS
    assert {unescape_cell(r["service_id"]) for r in rows} == {u.service_id for u in drawn.units}
    # Ids starting with '-' are escaped against spreadsheet formulas.
    assert all(not r["service_id"].startswith("-") for r in rows)


def test_import_and_report_estimate_the_truth(db: Database, world, tmp_path: Path) -> None:
    drawn = draw_sample(db, None, SampleRequest(seed=4), tmp_path, now=NOW)
    fill_csv(drawn.pack_csv, world, skip=2)
    result = import_reviews(db, drawn.pack_csv, tmp_path / "out", now=NOW)
    assert (result.imported, result.replaced, result.not_reviewed) == (60, 0, 2)
    report = result.report
    reviewed_ids = {r[0] for r in db.execute("SELECT service_id FROM qa_reviews")}
    assert len(reviewed_ids) == 60
    truth_in_sample = {sid: world[sid] for sid in reviewed_ids}
    # The estimate, recomputed here by hand from the definition.
    items = {i.service_id: i for i in sample_items(db, drawn.sample_id)}
    by_stratum: dict[str, list[bool]] = {}
    for sid, needs in truth_in_sample.items():
        by_stratum.setdefault(items[sid].stratum, []).append(needs)
    sizes = {"Education": 160, "Health": 100, "Leisure": 80, "Social care": 40, "Transport": 20}
    expected = sum(sizes[h] / 400 * sum(v) / len(v) for h, v in by_stratum.items())
    assert report.estimate.share == pytest.approx(expected)
    assert report.estimate.low < expected < report.estimate.high
    true_share = sum(world.values()) / len(world)
    assert report.estimate.low <= true_share <= report.estimate.high
    assert report.outcomes == {"accurate": 60 - sum(truth_in_sample.values()), "needs fixing": sum(truth_in_sample.values()), "should be archived": 0}
    # Agreement, counted independently from the findings table.
    flagged = {
        sid for (sid,) in db.execute(
            "SELECT DISTINCT service_id FROM findings WHERE status = 'open' AND severity != 'info'"
        )
    }
    problems = {sid for sid, needs in truth_in_sample.items() if needs}
    agreement = report.agreement
    assert agreement.reviewer_found_problems == len(problems)
    assert agreement.both_found == len(problems & flagged)
    assert agreement.tool_flagged == len(flagged & reviewed_ids)
    assert {line.service_id for line in agreement.missed_by_tool} == problems - flagged
    # The HTML report shows the same figures.
    soup = BeautifulSoup(result.report_html.read_text(encoding="utf-8"), "html.parser")
    assert soup.select_one("#share").get_text() == f"{expected * 100:.1f}%"
    assert soup.select_one("#tool-caught").get_text() == str(len(problems & flagged))
    strata_rows = soup.select("#strata tbody tr")
    assert [row.find("td").get_text() for row in strata_rows] == sorted(sizes)


def test_reimport_replaces_and_trend_lists_rounds(db: Database, world, tmp_path: Path) -> None:
    first = draw_sample(db, None, SampleRequest(seed=1), tmp_path, now="2026-08-01T09:00:00+00:00")
    fill_csv(first.pack_csv, world)
    import_reviews(db, first.pack_csv, now="2026-08-10T09:00:00+00:00")
    again = import_reviews(db, first.pack_csv, now="2026-08-11T09:00:00+00:00")
    assert (again.imported, again.replaced) == (0, 62)
    assert db.execute("SELECT COUNT(*) FROM qa_reviews").fetchone()[0] == 62
    second = draw_sample(db, None, SampleRequest(seed=2, strata="organisation"), tmp_path, now="2026-11-01T09:00:00+00:00")
    fill_csv(second.pack_csv, world)
    import_reviews(db, second.pack_csv, now="2026-11-10T09:00:00+00:00")
    report = qa_report(db)
    assert report.sample.id == second.sample_id
    assert [r.sample_id for r in report.trend] == [first.sample_id, second.sample_id]
    assert [r.strata for r in report.trend] == ["category", "organisation"]
    assert qa_report(db, first.sample_id).sample.id == first.sample_id
    with pytest.raises(QAError, match="no QA sample 99"):
        qa_report(db, 99)


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_import_validation_reports_every_bad_line_and_imports_nothing(db: Database, world, tmp_path: Path) -> None:
    drawn = draw_sample(db, None, SampleRequest(seed=3), tmp_path, now=NOW)
    ids = [u.service_id for u in drawn.units]
    sid = str(drawn.sample_id)
    header = ["sample_id", "service_id", "service_name", "url", "reviewer", "outcome", "what_was_wrong", "notes"]
    path = _write(
        tmp_path / "filled.csv",
        [
            header,
            [sid, ids[0], "", "", "Sam", "accurate", "", ""],  # line 2: fine
            [sid, "no-such-service", "", "", "Sam", "accurate", "", ""],  # line 3
            [sid, ids[1], "", "", "Sam", "fine I think", "", ""],  # line 4
            [sid, ids[2], "", "", "", "needs fixing", "phone wrong", ""],  # line 5
            [sid, ids[0], "", "", "Kim", "accurate", "", ""],  # line 6: duplicate of line 2
            ["999", ids[3], "", "", "Sam", "accurate", "", ""],  # line 7
            [sid, ids[4], "", "", "", "", "", ""],  # line 8: not reviewed yet, skipped
            ["x", ids[5], "", "", "Sam", "accurate", "", ""],  # line 9
        ],
    )
    with pytest.raises(ReviewFileError) as caught:
        import_reviews(db, path, now=NOW)
    message = str(caught.value)
    assert "nothing imported" in message
    assert [(p.line, p.message.split(" ")[0]) for p in caught.value.problems] == [
        (3, "service"),
        (4, "outcome"),
        (5, "reviewer"),
        (6, "service"),
        (7, "sample"),
        (9, "sample_id"),
    ]
    assert "'no-such-service' is not in sample" in message and "already on line 2" in message
    assert "sample 999 does not exist" in message and "'fine I think' is not one of" in message
    assert db.execute("SELECT COUNT(*) FROM qa_reviews").fetchone()[0] == 0


def test_import_reports_a_non_ascii_sample_id_by_line(db: Database, world, tmp_path: Path) -> None:
    # "²" passes str.isdigit() but int() rejects it; "٣" int() would read as 3.
    drawn = draw_sample(db, None, SampleRequest(seed=3), tmp_path, now=NOW)
    ids = [u.service_id for u in drawn.units]
    path = _write(
        tmp_path / "filled.csv",
        [
            ["sample_id", "service_id", "reviewer", "outcome"],
            [str(drawn.sample_id), ids[0], "Sam", "accurate"],
            ["\u00b2", ids[1], "Sam", "accurate"],  # line 3
            ["\u0663", ids[2], "Sam", "accurate"],  # line 4
        ],
    )
    with pytest.raises(ReviewFileError) as caught:
        import_reviews(db, path, now=NOW)
    assert [str(p) for p in caught.value.problems] == [
        "line 3: sample_id '\u00b2' is not a number",
        "line 4: sample_id '\u0663' is not a number",
    ]
    assert db.execute("SELECT COUNT(*) FROM qa_reviews").fetchone()[0] == 0


def test_import_validation_counts_lines_of_multiline_cells(db: Database, world, tmp_path: Path) -> None:
    drawn = draw_sample(db, None, SampleRequest(seed=3), tmp_path, now=NOW)
    ids = [u.service_id for u in drawn.units]
    sid = str(drawn.sample_id)
    path = _write(
        tmp_path / "filled.csv",
        [
            ["sample_id", "service_id", "reviewer", "outcome", "notes"],
            [sid, ids[0], "Sam", "accurate", "first line\nsecond line\nthird"],  # lines 2-4
            [sid, ids[1], "Sam", "broken?", ""],  # line 5
        ],
    )
    with pytest.raises(ReviewFileError, match=r"line 5: outcome 'broken\?'"):
        import_reviews(db, path, now=NOW)


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([], "the file is empty"),
        ([["service_id", "outcome"]], "missing column(s) sample_id, reviewer"),
        ([["sample_id", "service_id", "reviewer", "outcome"], ["1", "x", "", ""]], "nothing to import"),
    ],
)
def test_import_rejects_unusable_files(db: Database, world, tmp_path: Path, rows, fragment: str) -> None:
    draw_sample(db, None, SampleRequest(seed=3), tmp_path, now=NOW)
    with pytest.raises(ReviewFileError) as caught:
        import_reviews(db, _write(tmp_path / "bad.csv", rows), now=NOW)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("accurate", ReviewOutcome.ACCURATE),
        ("Needs fixing", ReviewOutcome.NEEDS_FIXING),
        ("needs_fixing", ReviewOutcome.NEEDS_FIXING),
        (" SHOULD-BE-ARCHIVED ", ReviewOutcome.SHOULD_BE_ARCHIVED),
        ("archive", ReviewOutcome.SHOULD_BE_ARCHIVED),
        ("ok", None),
        ("", None),
    ],
)
def test_outcome_spellings(text: str, expected: ReviewOutcome | None) -> None:
    assert parse_outcome(text) == expected


def test_strata_by_organisation_and_uncategorised(db: Database, tmp_path: Path) -> None:
    for i in range(30):
        add_service(db, f"a{i}", category=None if i % 3 == 0 else "Health", organisation=None if i % 5 == 0 else f"Org {i % 2}")
    by_category = draw_sample(db, None, SampleRequest(size=6, seed=1), tmp_path, now=NOW)
    assert {a.stratum: a.population for a in by_category.allocation} == {"Health": 20, "Uncategorised": 10}
    by_org = draw_sample(db, None, SampleRequest(size=6, seed=1, strata="organisation"), tmp_path, now=NOW)
    assert {a.stratum: a.population for a in by_org.allocation} == {"No organisation given": 6, "Org 0": 12, "Org 1": 12}
    assert all(a.sample >= 1 for a in by_org.allocation)


def test_strata_by_manager(db: Database, tmp_path: Path) -> None:
    for i in range(20):
        add_service(db, f"m{i}", category="Health", organisation="Sunny Days" if i < 15 else "Other")
    mapping = tmp_path / "managers.csv"
    mapping.write_text("organisation,manager_name,manager_email\nSunny Days,Pat Owner,pat@example.org\n", encoding="utf-8")
    config = config_from_dict({"directory": {"start_urls": ["https://x.example/"]}, "managers": {"mapping_file": str(mapping)}})
    from localoffer_audit.findings.managers import import_mapping

    import_mapping(db, mapping)
    drawn = draw_sample(db, config, SampleRequest(size=4, seed=1, strata="manager"), tmp_path, now=NOW)
    populations = {a.stratum: a.population for a in drawn.allocation}
    assert populations["Pat Owner <pat@example.org>"] == 15
    assert sum(populations.values()) == 20 and len(populations) == 2
    with pytest.raises(QAError, match="needs the config file"):
        draw_sample(db, None, SampleRequest(strata="manager"), tmp_path, now=NOW)


def test_errors_for_empty_database_and_conflicting_options(db: Database, tmp_path: Path) -> None:
    with pytest.raises(QAError, match="run `localoffer-audit crawl` first"):
        draw_sample(db, None, SampleRequest(), tmp_path)
    add_service(db, "x", category="Health", organisation=None)
    with pytest.raises(QAError, match="not both"):
        draw_sample(db, None, SampleRequest(size=3, margin=0.1), tmp_path)


def test_commands_end_to_end(runner: CliRunner, tmp_path: Path, world, db: Database) -> None:
    db.close()
    result = runner.invoke(main, ["--db", str(tmp_path / "audit.db"), "sample", "--seed", "77", "--out", "pack"])
    assert result.exit_code == 0, result.output
    assert "n0 = z^2 p(1-p) / e^2 = 1.9600^2 x 0.05 x 0.95 / 0.05^2 = 72.99 -> 73" in result.output
    assert "n = n0 / (1 + (n0 - 1)/N) = 73 / (1 + 72/400) = 61.86 -> 62" in result.output
    assert "Seed 77." in result.output and "Education" in result.output
    pack_csv = tmp_path / "pack" / "qa-sample-1.csv"
    fill_csv(pack_csv, world)
    imported = runner.invoke(main, ["--db", str(tmp_path / "audit.db"), "qa", "import", str(pack_csv), "--out", "rep"])
    assert imported.exit_code == 0, imported.output
    assert "Imported 62 reviews" in imported.output and "Estimated share needing remedial action" in imported.output
    assert (tmp_path / "rep" / "qa-report-1.html").exists()
    report = runner.invoke(main, ["--db", str(tmp_path / "audit.db"), "qa", "report", "--out", "rep"])
    assert report.exit_code == 0 and "Trend across rounds" in report.output
    default_seed = runner.invoke(main, ["--db", str(tmp_path / "audit.db"), "sample", "--size", "5", "--out", "pack"])
    assert f"Seed {date.today():%Y%m%d} (from today's date" in default_seed.output
    bad = runner.invoke(main, ["--db", str(tmp_path / "audit.db"), "qa", "report", "--sample", "42"])
    assert bad.exit_code == 1 and "no QA sample 42" in bad.output
    broken = tmp_path / "broken.csv"
    broken.write_text("sample_id,service_id,reviewer,outcome\n1,nope,Sam,accurate\n", encoding="utf-8")
    failed = runner.invoke(main, ["--db", str(tmp_path / "audit.db"), "qa", "import", str(broken)])
    assert failed.exit_code == 1 and "line 2: service id 'nope' is not in sample 1" in failed.output


def test_pack_escapes_hostile_page_content(db: Database, tmp_path: Path) -> None:
    add_service(db, "evil", category="<b>Health</b>", organisation="=HYPERLINK(\"http://x\")")
    db["services"].update("evil", {"name": "<script>alert(1)</script>", "website": "javascript:alert(2)"})
    drawn = draw_sample(db, None, SampleRequest(size=1, seed=1), tmp_path, now=NOW)
    html = drawn.pack_html.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and "&lt;script&gt;alert(1)" in html
    assert not soup.find_all("a", href=lambda href: href and href.startswith("javascript:"))
    assert "javascript:alert(2)" in soup.get_text()
    with drawn.pack_csv.open(encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["stratum"] == "<b>Health</b>" and row["service_name"] == "<script>alert(1)</script>"


def test_many_small_organisations_are_pooled_so_the_sample_stays_proportional(db: Database, tmp_path: Path) -> None:
    for i in range(60):
        add_service(db, f"o{i}", category="Health", organisation="Big Trust" if i < 30 else f"Small charity {i}")
    drawn = draw_sample(db, None, SampleRequest(size=8, seed=2, strata="organisation"), tmp_path, now=NOW)
    # 31 organisations for 8 places: each small charity expects 8/60 of a place.
    assert len(drawn.pooled_strata) == 30
    assert {a.stratum: (a.population, a.sample) for a in drawn.allocation} == {
        "Big Trust": (30, 4),
        "Other (smaller organisations, pooled)": (30, 4),
    }
    report = qa_report(db, drawn.sample_id)  # no reviews yet
    assert report.estimate.share is None and report.reviewed == 0
    html = BeautifulSoup(write_report_html(report, tmp_path).read_text(encoding="utf-8"), "html.parser")
    assert "No reviews imported" in html.select_one("#estimate").get_text()


def test_archive_share_is_estimated_alongside(db: Database, world, tmp_path: Path) -> None:
    drawn = draw_sample(db, None, SampleRequest(seed=8, size=20), tmp_path, now=NOW)
    rows = fill_csv(drawn.pack_csv, world)
    # The reviewer decides the first two services should be archived.
    for row in rows[:2]:
        row["outcome"] = "should be archived"
    with drawn.pack_csv.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = import_reviews(db, drawn.pack_csv, now=NOW).report
    items = {i.service_id: i for i in sample_items(db, drawn.sample_id)}
    archived = [items[unescape_cell(r["service_id"])] for r in rows[:2]]
    sizes = {a.stratum: a.population for a in drawn.allocation}
    drawn_per_stratum = {a.stratum: a.sample for a in drawn.allocation}
    expected = sum(sizes[i.stratum] / 400 / drawn_per_stratum[i.stratum] for i in archived)
    assert report.archive_estimate.share == pytest.approx(expected)
    assert report.outcomes["should be archived"] == 2
    assert report.estimate.share >= report.archive_estimate.share


def test_qa_pack_command_writes_the_pack_again(runner: CliRunner, tmp_path: Path, world, db: Database) -> None:
    drawn = draw_sample(db, None, SampleRequest(seed=12, size=10), tmp_path / "first", now=NOW)
    db.close()
    result = runner.invoke(main, ["--db", str(tmp_path / "audit.db"), "qa", "pack", str(drawn.sample_id), "--out", "again"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again" / f"qa-sample-{drawn.sample_id}.csv").read_bytes() == drawn.pack_csv.read_bytes()
    missing = runner.invoke(main, ["--db", str(tmp_path / "audit.db"), "qa", "pack", "99"])
    assert missing.exit_code == 1 and "no QA sample 99" in missing.output


def test_the_sample_draws_service_entries_never_advice_pages(db: Database, world, tmp_path: Path) -> None:
    # With [directory] read_advice_pages the directory's guidance pages are stored beside
    # its services (extra.page_kind = "advice", no contact, no organisation). The QA
    # checklist is about a service's record, so they are not in the population.
    for number in range(30):
        add_service(db, f"advice:{number}", category=None, organisation=None)
        db["services"].update(f"advice:{number}", {"extra": json.dumps({"page_kind": "advice"}), "contacts": "[]"})
    drawn = draw_sample(db, None, SampleRequest(size=120, seed=3), tmp_path / "pack", today=TODAY, now=NOW)
    assert drawn.population == 400
    assert not [u.service_id for u in drawn.units if u.service_id.startswith("advice:")]
    assert sum(a.population for a in drawn.allocation) == 400
    stored = db.execute("SELECT population_size, params FROM qa_samples").fetchone()
    assert stored[0] == 400 and json.loads(stored[1])["live_services"] == 400
