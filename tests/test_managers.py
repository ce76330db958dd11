"""Content managers: mapping import with line-numbered validation, and assignment order."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.findings.managers import MappingFileError, assign_managers, import_mapping, normalise_organisation

from .support.worklists import add_service, make_config

HEADER = "service_id,organisation,manager_name,manager_email\n"


def write(tmp_path: Path, text: str, name: str = "managers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_then_assign_in_the_documented_order(db, tmp_path: Path) -> None:
    add_service(db, "svc-1", "Sunny Days Club", organisation="Sunny Days CIC")
    add_service(db, "svc-2", "Holiday Club", organisation="  sunny   DAYS cic ")
    add_service(db, "svc-3", "Speech Therapy", organisation="NHS Trust", contacts=[{"name": "Ann Lee", "email": "Ann.Lee@nhs.example"}])
    add_service(db, "svc-4", "Nobody's Service", organisation="Unknown Org", contacts=[{"email": "not an email"}])
    add_service(db, "svc-5", "Mapped by id", organisation="Sunny Days CIC")
    path = write(
        tmp_path,
        HEADER
        + ",Sunny Days CIC,Sam Smith,SAM@sunny.example\n"
        + "svc-5,,Priya Patel,priya@council.example\n",
    )
    result = import_mapping(db, path)
    assert (result.rows, result.managers, result.by_service_id, result.by_organisation) == (2, 2, 1, 1)

    config = make_config(tmp_path, managers={"fallback_to_service_email": True, "default_owner_email": "LO@council.example"})
    assigned = assign_managers(db, config)
    assert {sid: (m.email, m.source) for sid, m in assigned.items()} == {
        "svc-1": ("sam@sunny.example", "mapping"),
        "svc-2": ("sam@sunny.example", "mapping"),
        "svc-3": ("ann.lee@nhs.example", "service_field"),
        "svc-4": ("lo@council.example", "default"),
        "svc-5": ("priya@council.example", "mapping"),
    }
    assert assigned["svc-3"].name == "Ann Lee"

    # Without the fallback the contact email is not used: the default owner gets it.
    strict = assign_managers(db, make_config(tmp_path))
    assert strict["svc-3"].source == "default"
    assert strict["svc-3"].name == "Local Offer team"


def test_a_new_import_replaces_the_old_mapping(db, tmp_path: Path) -> None:
    add_service(db, "a", "A", organisation="Org A")
    import_mapping(db, write(tmp_path, HEADER + "a,,Old Owner,old@x.example\n"))
    import_mapping(db, write(tmp_path, HEADER + ",org a,New Owner,new@x.example\n", "second.csv"))
    assert assign_managers(db, make_config(tmp_path))["a"].email == "new@x.example"
    assert [row["email"] for row in db["managers"].rows] == ["new@x.example"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("a,,Sam,sam@x\n", ["line 2: manager_email 'sam@x' is not an email address"]),
        ("a,Org,Sam,sam@x.example\n", ["line 2: give a service_id or an organisation, not both"]),
        (",,Sam,sam@x.example\n", ["line 2: needs a service_id or an organisation"]),
        ("a,,,sam@x.example\n", ["line 2: manager_name is empty"]),
        ("a,,Sam,\n", ["line 2: manager_email is empty"]),
        (
            "a,,Sam,sam@x.example\n\nb,,Kim,kim@x.example\na,,Lee,lee@x.example\n",
            ["line 5: service id 'a' is already mapped on line 2"],
        ),
        (
            ",Sunny Days,Sam,sam@x.example\n,SUNNY  days,Kim,kim@x.example\n",
            ["line 3: organisation 'SUNNY  days' is already mapped on line 2"],
        ),
        # A quoted cell spanning two lines: the next row's number still matches the file.
        ('a,,"Sam\nSmith",sam@x.example\nb,,Kim,kim@x\n', ["line 4: manager_email 'kim@x' is not an email address"]),
        (
            "a,,Sam,sam@@x.example\nb,,,\n",
            [
                "line 2: manager_email 'sam@@x.example' is not an email address",
                "line 3: manager_name is empty",
                "line 3: manager_email is empty",
            ],
        ),
    ],
)
def test_bad_rows_are_reported_with_line_numbers_and_nothing_is_imported(db, tmp_path: Path, body, expected) -> None:
    import_mapping(db, write(tmp_path, HEADER + "keep,,Existing,existing@x.example\n", "good.csv"))
    with pytest.raises(MappingFileError) as caught:
        import_mapping(db, write(tmp_path, HEADER + body))
    assert [str(problem) for problem in caught.value.problems] == expected
    assert "nothing imported" in str(caught.value)
    # All or nothing: the earlier mapping is untouched.
    assert [(r["match_value"], r["manager_email"]) for r in db["manager_assignments"].rows] == [("keep", "existing@x.example")]


def test_missing_columns_name_what_was_found(db, tmp_path: Path) -> None:
    with pytest.raises(MappingFileError) as caught:
        import_mapping(db, write(tmp_path, "id,name,email\n1,Sam,sam@x.example\n"))
    message = str(caught.value)
    assert "line 1: missing column(s) manager_name, manager_email, service_id or organisation" in message
    assert "found: id, name, email" in message


def test_excel_quirks_are_accepted(db, tmp_path: Path) -> None:
    # Byte-order mark, capitalised headers, an escaped id we wrote ourselves, extra columns.
    path = tmp_path / "excel.csv"
    path.write_text("\ufeffService_ID,Manager_Name,Manager_Email,Notes\n'-abc,Sam,sam@x.example,covering Kim\n", encoding="utf-8")
    result = import_mapping(db, path)
    assert result.rows == 1
    assert [r["match_value"] for r in db["manager_assignments"].rows] == ["-abc"]


def test_one_email_with_two_names_is_a_warning(db, tmp_path: Path) -> None:
    result = import_mapping(db, write(tmp_path, HEADER + "a,,Sam Smith,sam@x.example\nb,,Samuel Smith,SAM@x.example\n"))
    assert [str(w) for w in result.warnings] == [
        "line 3: sam@x.example is called 'Samuel Smith' here but 'Sam Smith' on line 2; using 'Sam Smith'"
    ]


def test_unknown_service_ids_are_warned_about_once_services_exist(db, tmp_path: Path) -> None:
    add_service(db, "a", "A")
    result = import_mapping(db, write(tmp_path, HEADER + "a,,Sam,sam@x.example\nzzz,,Sam,sam@x.example\n"))
    assert [str(w) for w in result.warnings] == ["line 3: service id 'zzz' is not in the database (yet)"]


def test_not_utf8_says_how_to_save_it(db, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + ",Caf\xe9 Club,Sam,sam@x.example\n").encode("latin-1"))
    with pytest.raises(MappingFileError, match="CSV UTF-8"):
        import_mapping(db, path)


def test_normalise_organisation() -> None:
    assert normalise_organisation("  Sunny\tDays  CIC ") == normalise_organisation("sunny days cic")


def test_cli_import_and_list(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "localoffer-audit.toml").write_text('[directory]\nstart_urls = ["https://lo.example/"]\n')
    write(tmp_path, HEADER + "a,,Sam,sam@x.example\n,Org B,Kim,kim@x.example\n")
    result = runner.invoke(main, ["managers", "import", "managers.csv"])
    assert result.exit_code == 0, result.output
    assert "Imported 2 rows" in result.output and "2 managers" in result.output
    bad = write(tmp_path, HEADER + "a,,Sam,sam@x\n", "bad.csv")
    failed = runner.invoke(main, ["managers", "import", str(bad)])
    assert failed.exit_code == 1
    assert "line 2: manager_email 'sam@x' is not an email address" in failed.output
    assert "Traceback" not in failed.output
    listed = runner.invoke(main, ["managers", "list"])
    assert listed.exit_code == 0 and "No services stored yet." in listed.output
