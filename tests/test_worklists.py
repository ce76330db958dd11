"""Worklists: visibility, grouping and order, new/fixed since the last list, HTML and CSV."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from bs4 import BeautifulSoup
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.store.worklists import visible_findings
from localoffer_audit.outputs.worklists import build_worklists

from .support.worklists import add_finding, add_service, dismiss, make_config, set_status
from .support.worklists import setup_world

TODAY = date(2026, 11, 25)




def test_visibility_rule(db, tmp_path: Path) -> None:
    ids = setup_world(db, tmp_path)
    # A dismissal made for older evidence no longer hides the finding...
    dismiss(db, ids["c_low"], evidence_key="an-older-key")
    # ...nor does an inactive one.
    dismiss(db, ids["d_missing_contact"], active=0)
    visible = {row.id for row in visible_findings(db)}
    assert ids["unconfirmed"] not in visible
    assert ids["fixed"] not in visible
    assert ids["dismissed"] not in visible
    assert {ids["reopened"], ids["c_low"], ids["d_missing_contact"], ids["a_broken"]} <= visible
    # The evidence changes: the dismissed finding comes back.
    db["findings"].update(ids["dismissed"], {"evidence_key": "new-evidence"})
    assert ids["dismissed"] in {row.id for row in visible_findings(db)}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_worklists_group_order_and_explain(db, tmp_path: Path) -> None:
    ids = setup_world(db, tmp_path)
    config = make_config(tmp_path, directory={"edit_url_template": "https://cms.example/edit?record={id}"})
    results = build_worklists(db, config, out_dir=tmp_path / "out", today=TODAY)
    by_email = {r.manager.email: r for r in results}
    assert set(by_email) == {"sam@sunny.example", "priya@nhs.example", "localoffer@example.invalid"}
    sam = by_email["sam@sunny.example"]
    assert (sam.open, sam.services, sam.new, sam.fixed) == (5, 2, 0, 0)  # svc-a 3, svc-b 2

    soup = BeautifulSoup(sam.html_path.read_text(encoding="utf-8"), "html.parser")
    services = [s["data-service-id"] for s in soup.select("section.service")]
    # svc-a has a critical finding, so it comes first even though svc-b's high one is older.
    assert services == ["svc-a", "svc-b"]
    order_a = [int(li["data-finding-id"]) for li in soup.select("#service-svc-a li.item")]
    assert order_a == [ids["a_parked"], ids["a_broken"], ids["a_stale"]]
    order_b = [int(li["data-finding-id"]) for li in soup.select("#service-svc-b li.item")]
    assert order_b == [ids["b_old_high"], ids["reopened"]]

    broken = soup.select_one(f"#finding-{ids['a_broken']}")
    assert broken.select_one(".what").get_text(strip=True) == "The link answers 404 Not Found."
    assert broken.select_one(".subject").get_text(strip=True) == "https://sunny.example/old"
    assert broken.select_one(".where").get_text(strip=True) == (
        "Description field, link text \u201cmore info\u201d; Website field, link text \u201cVisit our website\u201d"
    )
    assert broken.select_one(".since").get_text(strip=True) == "1 September 2026 (85 days)"
    assert broken.select_one(".todo").get_text(strip=True) == "Replace the link with the page's new address."
    card = soup.select_one("#service-svc-a")
    assert card.select_one("a.edit-page")["href"] == "https://cms.example/edit?record=svc-a"
    assert card.select_one("a.service-page")["href"] == "https://localoffer.example.gov.uk/service/svc-a"
    stale = soup.select_one(f"#finding-{ids['a_stale']}")
    assert stale.select_one(".subject").get_text(strip=True) == "Dates shown on the page"
    assert stale.select_one(".where") is None
    assert soup.select_one(f"#finding-{ids['b_old_high']} .subject").get_text(strip=True) == "https://gone.example/"
    # A reopened finding counts from when it came back.
    reopened = soup.select_one(f"#finding-{ids['reopened']}")
    assert "Back again" in reopened.get_text() and "1 November 2026" in reopened.select_one(".since").get_text()
    assert "This is your first list." in soup.get_text()
    assert soup.select_one('meta[name="viewport"]') is not None

    rows = read_csv(sam.csv_path)
    assert [int(r["finding_id"]) for r in rows] == [
        ids["a_parked"], ids["a_broken"], ids["a_stale"], ids["b_old_high"], ids["reopened"]
    ]
    assert rows[1]["where_on_the_page"].startswith("Description field")
    assert rows[1]["edit_page"] == "https://cms.example/edit?record=svc-a"
    assert rows[1]["open_since"] == "2026-09-01" and rows[1]["days_open"] == "85"

    # The default owner gets the service nobody else owns.
    owner = by_email["localoffer@example.invalid"]
    assert [r["service_id"] for r in read_csv(owner.csv_path)] == ["svc-d"]
    index = BeautifulSoup((tmp_path / "out" / "index.html").read_text(), "html.parser")
    assert len(index.select("table.worklists tbody tr")) == 3


def test_new_and_fixed_since_the_last_list(db, tmp_path: Path) -> None:
    ids = setup_world(db, tmp_path)
    config = make_config(tmp_path)
    out = tmp_path / "out"
    build_worklists(db, config, out_dir=out, today=TODAY, manager="SAM@sunny.example")
    # Between runs: one problem fixed, one new.
    set_status(db, ids["a_broken"], "fixed")
    new_id = add_finding(db, "svc-b", "link_soft_404", "https://sunny.example/events", severity="high", title="Page not found")
    results = build_worklists(db, config, out_dir=out, today=TODAY, manager="sam@sunny.example")
    assert len(results) == 1
    result = results[0]
    assert (result.new, result.fixed) == (1, 1)
    soup = BeautifulSoup(result.html_path.read_text(), "html.parser")
    assert [int(li["data-finding-id"]) for li in soup.select("ul.new-list li")] == [new_id]
    assert [int(li["data-finding-id"]) for li in soup.select("ul.fixed-list li")] == [ids["a_broken"]]
    assert soup.select_one(f"#finding-{new_id} .badge-new") is not None
    assert soup.select_one(f"#finding-{ids['a_parked']} .badge-new") is None
    assert [r["new_since_last_list"] for r in read_csv(result.csv_path) if int(r["finding_id"]) == new_id] == ["yes"]

    # Everything fixed: the manager still gets a list saying what was fixed, then nothing.
    for key in ("a_parked", "a_stale", "b_old_high", "reopened"):
        set_status(db, ids[key], "fixed")
    set_status(db, new_id, "fixed")
    (last,) = build_worklists(db, config, out_dir=out, today=TODAY, manager="sam@sunny.example")
    assert (last.open, last.fixed) == (0, 5)
    assert "Nothing to fix." in last.html_path.read_text()
    assert build_worklists(db, config, out_dir=out, today=TODAY, manager="sam@sunny.example") == []


def test_html_is_escaped(db, tmp_path: Path) -> None:
    add_service(db, "x", "<script>alert(1)</script> Club")
    add_finding(db, "x", "placeholder_text", "description", message="Says <b>TBC</b>", fix_hint="<img src=x onerror=alert(1)>")
    (result,) = build_worklists(db, make_config(tmp_path), out_dir=tmp_path, today=TODAY)
    html = result.html_path.read_text()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one(".service-name").get_text() == "<script>alert(1)</script> Club"
    # Links to broken or parked sites are shown as text, never as something to click
    # (the one other link is the card's own history page, next to the list).
    assert [a["href"] for a in soup.select("a:not(.history-page)")] == ["https://localoffer.example.gov.uk/service/x"]
    assert [a["href"] for a in soup.select("a.history-page")] == ["history/service-x-2d711642.html"]
    assert soup.select_one(".todo").get_text() == "<img src=x onerror=alert(1)>"
    # The history page is escaped the same way.
    page = (tmp_path / "history" / "service-x-2d711642.html").read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Club" in page


def test_csv_injection_is_inert(db, tmp_path: Path) -> None:
    add_service(db, "=1+1", '=HYPERLINK("http://x","y")', organisation="@SUM(A1)")
    add_finding(db, "=1+1", "link_broken", "-2+3", message="+cmd|' /C calc'!A0")
    (result,) = build_worklists(db, make_config(tmp_path), out_dir=tmp_path, today=TODAY)
    raw = result.csv_path.read_text(encoding="utf-8-sig")
    (row,) = read_csv(result.csv_path)
    assert row["service_name"] == '\'=HYPERLINK("http://x","y")'
    assert row["service_id"] == "'=1+1" and row["organisation"] == "'@SUM(A1)"
    assert row["link_or_field"] == "'-2+3" and row["what_is_wrong"] == "'+cmd|' /C calc'!A0"
    # No cell anywhere starts with a formula character.
    for line in csv.reader(raw.splitlines()):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in line)


def test_escalation_digest_written_for_old_serious_findings(db, tmp_path: Path) -> None:
    ids = setup_world(db, tmp_path)
    build_worklists(db, make_config(tmp_path, email={"escalate_after_days": 28}), out_dir=tmp_path, today=TODAY)
    soup = BeautifulSoup((tmp_path / "escalation.html").read_text(), "html.parser")
    listed = [int(tr["data-finding-id"]) for tr in soup.select("table.escalations tbody tr")]
    # High or critical and open 28+ days: b_old_high (Jan), a_broken (Sep), d_missing_contact (Oct 1).
    assert listed == [ids["b_old_high"], ids["a_broken"], ids["d_missing_contact"]]
    owners = [td.get_text(" ", strip=True) for td in soup.select("td.owner")]
    assert owners[0] == "Sam Smith sam@sunny.example" and owners[2].startswith("Local Offer team")
    rows = read_csv(tmp_path / "escalation.csv")
    assert [int(r["finding_id"]) for r in rows] == listed
    assert rows[0]["owner_email"] == "sam@sunny.example" and rows[0]["reminders_sent"] == "0"
    # Dealt with: the digest files go, so nobody acts on an old one.
    for finding_id in listed:
        set_status(db, finding_id, "fixed")
    build_worklists(db, make_config(tmp_path), out_dir=tmp_path, today=TODAY)
    assert not (tmp_path / "escalation.html").exists() and not (tmp_path / "escalation.csv").exists()


def test_cli_worklists(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "localoffer-audit.toml").write_text('[directory]\nstart_urls = ["https://lo.example/"]\n')
    from localoffer_audit.store.db import open_db

    db = open_db(tmp_path / "localoffer-audit.db")
    add_service(db, "s1", "Club")
    add_finding(db, "s1", "link_broken", "https://x.example/")
    db.close()
    result = runner.invoke(main, ["worklists", "--out", "lists"])
    assert result.exit_code == 0, result.output
    assert "1 worklist" in result.output and "Local Offer team" in result.output
    assert (tmp_path / "lists" / "index.html").exists()
    default = runner.invoke(main, ["worklists"])
    assert default.exit_code == 0 and (tmp_path / "output" / "worklists" / "index.html").exists()
    none = runner.invoke(main, ["worklists", "--manager", "nobody@x.example"])
    assert none.exit_code == 0 and "No worklist" in none.output


def test_subjects_read_as_a_content_manager_would(db, tmp_path: Path) -> None:
    add_service(db, "s", "Club")
    subjects = ["review date", "contact_email", "telephone 0121 496 0000", "email Sam@x.example"]
    for subject in subjects:
        add_finding(db, "s", "invalid_email", subject)
    (result,) = build_worklists(db, make_config(tmp_path), out_dir=tmp_path, today=TODAY)
    soup = BeautifulSoup(result.html_path.read_text(), "html.parser")
    shown = sorted(dd.get_text(strip=True) for dd in soup.select("dd.subject"))
    assert shown == ["Contact email", "Email Sam@x.example", "Review date", "Telephone 0121 496 0000"]


def test_age_is_said_plainly(db, tmp_path: Path) -> None:
    add_service(db, "s", "Club")
    for when in ("2026-11-25T01:00:00+00:00", "2026-11-24T01:00:00+00:00", "2026-11-20T01:00:00+00:00"):
        add_finding(db, "s", "link_broken", f"https://x.example/{when[:10]}", first_seen_at=when)
    (result,) = build_worklists(db, make_config(tmp_path), out_dir=tmp_path, today=TODAY)
    soup = BeautifulSoup(result.html_path.read_text(), "html.parser")
    assert [dd.get_text(strip=True) for dd in soup.select("dd.since")] == [
        "20 November 2026 (5 days)", "24 November 2026 (1 day)", "25 November 2026 (today)"
    ]


def test_organisation_is_not_repeated_when_it_is_the_service_name(db, tmp_path: Path) -> None:
    add_service(db, "s", "Busy Bees Club", organisation="busy bees  club")
    add_service(db, "t", "Holiday Scheme", organisation="Busy Bees CIC")
    add_finding(db, "s", "link_broken", "https://x.example/")
    add_finding(db, "t", "link_broken", "https://y.example/")
    (result,) = build_worklists(db, make_config(tmp_path), out_dir=tmp_path, today=TODAY)
    soup = BeautifulSoup(result.html_path.read_text(), "html.parser")
    assert soup.select_one("#service-s p.muted").get_text(strip=True) == "1 problem"
    assert soup.select_one("#service-t p.muted").get_text(strip=True) == "Busy Bees CIC · 1 problem"


def test_only_web_addresses_become_links(db, tmp_path: Path) -> None:
    add_service(db, "x", "Club")
    db["services"].update("x", {"url": "javascript:alert(1)"})
    add_finding(db, "x", "link_broken", "https://x.example/")
    config = make_config(tmp_path, directory={"edit_url_template": "https://cms.example/edit/{id}"})
    (result,) = build_worklists(db, config, out_dir=tmp_path, today=TODAY)
    soup = BeautifulSoup(result.html_path.read_text(), "html.parser")
    assert [a["href"] for a in soup.select("a:not(.history-page)")] == ["https://cms.example/edit/x"]
    assert "View the entry" in soup.select_one(".edit-links").get_text()
