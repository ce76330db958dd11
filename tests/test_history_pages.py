"""History pages: for each entry with a problem, and each link a problem is about, an HTML
page saying since when, every check, and who was told when; linked from the worklist
cards, the worklist index and the run report. Real SQLite file, real SMTP (aiosmtpd)."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.outputs.history import check_spans, link_page_name, service_page_name

from .support.email import OWNER, Inbox, setup_world  # noqa: F401  (fixtures below come from there)
from .support.email import port, smtp  # noqa: F401
from .support.worklists import add_link_place

URL = "https://sunny.example/old"


def _world(runner: CliRunner, tmp_path: Path, port: int) -> dict[str, int]:
    from localoffer_audit.store.db import open_db

    (tmp_path / "localoffer-audit.toml").write_text(
        '[directory]\nname = "Testshire Local Offer"\nstart_urls = ["https://lo.example/"]\n'
        f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nsecurity = "none"\npause_seconds = 0\n'
        f'from_address = "audit@council.example"\n[managers]\ndefault_owner_email = "{OWNER}"\n'
    )
    db = open_db(tmp_path / "localoffer-audit.db")
    ids = setup_world(db, tmp_path)
    add_link_place(db, "a", URL, field="website", anchor_text="Our site")
    # Three nights of 404 (the first unconfirmed), then a night it timed out.
    for day, verdict, status, confirmed in (("01", "broken", 404, 0), ("02", "broken", 404, 1),
                                            ("03", "broken", 404, 1), ("04", "timeout", None, 1)):
        db["link_checks"].insert({"url": URL, "checked_at": f"2026-09-{day}T02:00:00+00:00", "verdict": verdict,
                                  "status_code": status, "confirmed": confirmed,
                                  "error": None if status else "no answer in 8 seconds"})
    db["finding_events"].insert({"finding_id": ids["sam_old"], "at": "2026-09-02T02:05:00+00:00", "event": "opened"})
    db.close()
    return ids


def test_history_pages_say_since_when_and_who_was_told(runner: CliRunner, tmp_path: Path, smtp: Inbox, port: int) -> None:
    ids = _world(runner, tmp_path, port)
    assert runner.invoke(main, ["email", "--send"]).exit_code == 0
    assert "sam@sunny.example" in smtp.by_recipient()
    written = runner.invoke(main, ["worklists"])
    assert written.exit_code == 0, written.output
    folder = tmp_path / "output" / "worklists"

    # The card on Sam's list links the service's page; the index links the pages' index.
    sam = next(folder.glob("sam-sunny-example-*.html"))
    card = BeautifulSoup(sam.read_text(), "html.parser").select_one("#service-a")
    href = card.select_one("a.history-page")["href"]
    assert href == f"history/{service_page_name('a')}"
    index = BeautifulSoup((folder / "index.html").read_text(), "html.parser")
    assert index.select_one("#history-link a")["href"] == "history/index.html"
    pages = BeautifulSoup((folder / "history" / "index.html").read_text(), "html.parser")
    assert {row["data-service-id"] for row in pages.select("#history-index tbody tr")} == {"a", "b"}

    service = BeautifulSoup((folder / href).read_text(), "html.parser")
    assert service.h1.get_text() == "History: Sunny Days Club"
    answer = {int(li["data-finding-id"]): li.get_text(" ", strip=True) for li in service.select("#answer li")}
    # Open since its first sighting; emailed to its manager (and, serious, to the team).
    assert "since 1 September 2026" in answer[ids["sam_old"]]
    assert "Emailed to sam@sunny.example" in answer[ids["sam_old"]] and OWNER in answer[ids["sam_old"]]
    card = service.select_one(f"#finding-{ids['sam_old']}")
    events = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in card.select("table.events tbody tr")]
    assert events[0][:2] == ["2 Sep 2026 02:05", "Found"]
    assert ["Emailed", "to sam@sunny.example"] in [row[1:] for row in events]
    assert ["In the escalation digest", f"to {OWNER}"] in [row[1:] for row in events]
    assert "4 checks in all" in card.get_text(" ", strip=True)
    link_href = card.select_one("a.url")["href"]
    assert link_href == link_page_name(URL)

    link = BeautifulSoup((folder / "history" / link_href).read_text(), "html.parser")
    assert link.select_one("#link-url").get_text(strip=True) == URL
    assert link.select_one("#on-services a")["href"] == service_page_name("a")
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in link.select("#checks tbody tr")]
    # Consecutive checks with the same outcome are one row; the evidence is on it.
    assert rows == [
        ["1 Sep 2026 02:00", "Broken", "HTTP 404"],
        ["2 Sep 2026 02:00 to 3 Sep 2026 02:00 (2 checks)", "Broken (confirmed)", "HTTP 404"],
        ["4 Sep 2026 02:00", "Does not answer (confirmed)", "no answer in 8 seconds"],
    ]


def test_a_finding_nobody_was_emailed_about_says_so(runner: CliRunner, tmp_path: Path, port: int) -> None:
    ids = _world(runner, tmp_path, port)
    assert runner.invoke(main, ["worklists"]).exit_code == 0
    page = tmp_path / "output" / "worklists" / "history" / service_page_name("b")
    answer = BeautifulSoup(page.read_text(), "html.parser").select_one(f"#answer li[data-finding-id='{ids['priya']}']")
    # A preview list is not telling anyone: nothing was sent or recorded.
    assert "Nobody has been told yet." in answer.get_text(" ", strip=True)


def test_the_run_report_links_the_history_pages(runner: CliRunner, tmp_path: Path, port: int) -> None:
    _world(runner, tmp_path, port)
    assert runner.invoke(main, ["worklists"]).exit_code == 0
    assert runner.invoke(main, ["report"]).exit_code == 0
    report = BeautifulSoup((tmp_path / "output" / "report.html").read_text(), "html.parser")
    links = {a.get_text(): a["href"] for a in report.select("#outputs a")}
    assert links["History pages"] == "worklists/history/index.html"
    assert (tmp_path / "output" / links["History pages"]).exists()


def test_check_spans_split_on_any_change_of_outcome() -> None:
    def check(at: str, verdict: str, code: int | None, confirmed: int = 1) -> dict:
        return {"checked_at": at, "verdict": verdict, "status_code": code, "confirmed": confirmed,
                "error": None, "detail": None, "final_url": None}

    spans = check_spans([check("1", "ok", 200), check("2", "ok", 200), check("3", "broken", 404),
                         check("4", "ok", 200), check("5", "ok", 200, 0)])
    assert [(s.first, s.last, s.verdict, s.count) for s in spans] == [
        ("1", "2", "ok", 2), ("3", "3", "broken", 1), ("4", "4", "ok", 1), ("5", "5", "ok", 1)]

