"""Outputs for the people who read them (issue 17): baselines, starter config, exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bs4 import BeautifulSoup
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.store.db import open_db
from localoffer_audit.outputs.worklists import build_worklists

from .support.cli_logging import restore_logging  # noqa: F401  (a fixture)
from .support.worklists import add_finding, add_service, make_config, set_status

TODAY = date(2026, 11, 25)


def _cli_world(tmp_path: Path) -> dict[str, int]:
    (tmp_path / "localoffer-audit.toml").write_text('[directory]\nstart_urls = ["https://lo.example/"]\n')
    db = open_db(tmp_path / "localoffer-audit.db")
    add_service(db, "s1", "Sunny Club")
    ids = {
        "broken": add_finding(db, "s1", "link_broken", "https://x.example/old", severity="high", title="Broken link"),
        "stale": add_finding(db, "s1", "stale_date", "dates", severity="medium", title="Review date too old"),
    }
    db.close()
    return ids


def test_a_preview_worklists_run_changes_no_managers_baseline(runner: CliRunner, tmp_path: Path) -> None:
    ids = _cli_world(tmp_path)
    config = make_config(tmp_path, output={"folder": str(tmp_path / "output")})
    db = open_db(tmp_path / "localoffer-audit.db")
    try:
        build_worklists(db, config, out_dir=tmp_path / "output" / "worklists", today=TODAY)  # as nightly does
        set_status(db, ids["broken"], "fixed")
    finally:
        db.close()
    # A preview into another folder, twice: the manager's "fixed since your last list" survives.
    for _ in range(2):
        preview = runner.invoke(main, ["worklists", "--out", "elsewhere"])
        assert preview.exit_code == 0, preview.output
        assert "0 new, 1 fixed" in preview.output, preview.output
    db = open_db(tmp_path / "localoffer-audit.db")
    try:
        assert db.execute("SELECT COUNT(*) FROM worklists").fetchone()[0] == 1
        (nightly,) = build_worklists(db, config, out_dir=tmp_path / "output" / "worklists", today=TODAY)
    finally:
        db.close()
    assert nightly.fixed == 1
    soup = BeautifulSoup(nightly.html_path.read_text(), "html.parser")
    assert [int(li["data-finding-id"]) for li in soup.select("ul.fixed-list li")] == [ids["broken"]]


def test_email_and_worklist_share_the_baseline(db, tmp_path: Path) -> None:
    """A list written by the nightly run is what the manager saw last: the email preview
    of the next night does not say "first list" while the worklist says "since your last"."""
    from localoffer_audit.outputs.mail import prepare_emails

    add_service(db, "s1", "Sunny Club")
    broken = add_finding(db, "s1", "link_broken", "https://x.example/old", severity="high", title="Broken link")
    add_finding(db, "s1", "stale_date", "dates", severity="medium", title="Review date too old")
    config = make_config(tmp_path)
    build_worklists(db, config, out_dir=tmp_path / "lists", today=TODAY)
    set_status(db, broken, "fixed")
    (prepared,) = [p for p in prepare_emails(db, config, today=TODAY) if p.kind == "worklist"]
    assert "first list" not in prepared.text.lower()
    assert "Broken link" in prepared.text  # named under "fixed since your last list"


def _email_parts(prepared) -> tuple[str, str]:
    from localoffer_audit.config import config_from_dict  # noqa: F401  (keeps imports local to email tests)
    from localoffer_audit.outputs.mail import build_message

    message = build_message(prepared, prepared_config.email)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


prepared_config = make_config(Path("."))


def _long_world(db, services: int = 4, per_service: int = 11) -> None:
    for s in range(services):
        add_service(db, f"s{s}", f"Service {s}")
        for n in range(per_service - s):
            add_finding(db, f"s{s}", "link_broken", f"https://x{s}.example/{n}", severity="high" if n % 2 else "medium",
                        title=f"Broken link {s}-{n}")


def test_text_and_html_parts_carry_the_same_items(db, tmp_path: Path) -> None:
    from localoffer_audit.outputs.mail import prepare_emails

    add_service(db, "s1", "Sunny Club")
    broken = add_finding(db, "s1", "link_broken", "https://x.example/old", severity="high", title="Broken link")
    add_finding(db, "s1", "stale_date", "dates", severity="medium", title="Review date too old")
    config = make_config(tmp_path)
    for night in range(2):
        (prepared,) = [p for p in prepare_emails(db, config, today=TODAY) if p.kind == "worklist"]
        text, html = _email_parts(prepared)
        soup = BeautifulSoup(html, "html.parser")
        html_text = " ".join(soup.get_text(" ").split())
        plain = " ".join(text.split())
        for li in soup.select("li.item"):
            assert li.select_one(".item-title strong").get_text() in plain
            assert li.select_one(".todo").get_text() in plain
            assert li.select_one(".subject").get_text(strip=True) in plain
        for phrase in ("This is your first list.", "Nothing new.", "Thank you.", "By severity:",
                       "the Local Offer team can mark it as a false alarm", "This list was made on",
                       "Families and professionals rely on these entries", "2 problems"):
            assert (phrase in plain) == (phrase in html_text), (night, phrase)
        if night == 0:
            build_worklists(db, config, out_dir=tmp_path / "lists", today=TODAY)
            set_status(db, broken, "fixed")
            add_finding(db, "s1", "link_broken", "https://x.example/new", severity="high", title="Another broken link")


def test_a_long_email_starts_with_a_summary(db, tmp_path: Path) -> None:
    from localoffer_audit.outputs.mail import prepare_emails

    _long_world(db)  # 11 + 10 + 9 + 8 = 38 problems
    (prepared,) = [p for p in prepare_emails(db, make_config(tmp_path), today=TODAY) if p.kind == "worklist"]
    text, html = _email_parts(prepared)
    assert text.index("IN SHORT") < text.index("YOUR SERVICES")
    summary = text[text.index("IN SHORT"):text.index("YOUR SERVICES")]
    assert "38 problems" in summary and "Service 0: 11 problems" in summary
    soup = BeautifulSoup(html, "html.parser")
    section = soup.select_one("#summary")
    assert section is not None
    assert [li.get_text() for li in section.select("li")][:2] == ["Service 0: 11 problems", "Service 1: 10 problems"]
    # A short list has no summary to scroll past.
    db.execute("UPDATE findings SET status = 'fixed' WHERE service_id != 's3' OR id % 3 != 0")
    (short,) = [p for p in prepare_emails(db, make_config(tmp_path), today=TODAY) if p.kind == "worklist"]
    assert "IN SHORT" not in short.text and 'id="summary"' not in short.html


def test_starter_config_gives_the_real_exit_codes_and_reply_to(tmp_path: Path) -> None:
    import re

    from localoffer_audit.config import starter_config_text
    from localoffer_audit.config import load_config
    from localoffer_audit.exitcodes import ExitCode

    text = starter_config_text()
    said = re.search(r"`nightly` exits with code (\d+) when a run opens new findings", text)
    assert said and int(said.group(1)) == ExitCode.NEW_SERIOUS_FINDINGS == 3
    assert f"{int(ExitCode.INCOMPLETE)} incomplete run" in text
    # reply_to is offered, and the line works when uncommented.
    assert '# reply_to = "' in text
    path = tmp_path / "localoffer-audit.toml"
    path.write_text(text.replace('# reply_to = "localoffer@example.invalid"', 'reply_to = "lo-team@council.example"'))
    assert load_config(path).email.reply_to == "lo-team@council.example"


def test_email_warns_about_addresses_that_cannot_receive_mail(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "localoffer-audit.toml").write_text(
        '[directory]\nstart_urls = ["https://lo.example/"]\n'
        '[email]\nfrom_address = "audit@council.example"\n'
    )
    db = open_db(tmp_path / "localoffer-audit.db")
    add_service(db, "s1", "Club")
    add_finding(db, "s1", "link_insecure", "http://x.example/", severity="high")
    db.close()
    preview = runner.invoke(main, ["email"])
    assert preview.exit_code == 0, preview.output
    # The starter's default owner (unowned services go to it) is a .invalid address.
    assert "Warning: [managers] default_owner_email is localoffer@example.invalid, which cannot receive mail" in preview.output
    assert "from_address" not in preview.output


def test_checker_errors_read_as_plain_english_on_a_fix_list() -> None:
    from localoffer_audit.content.entry_rules import plain_reason

    raw = ("TLS error: Cannot connect to host expired.example:443 ssl:True [SSLCertVerificationError: (1, "
           "'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1000)')]")
    assert plain_reason(raw) == "the certificate has expired"
    self_signed = "TLS error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1000)"
    assert "self-signed" in plain_reason(self_signed) and "SSL" not in plain_reason(self_signed)
    assert "[SSL" not in plain_reason("TLS error: [SSL: SOMETHING_NEW] odd (_ssl.c:1)")
    assert plain_reason("HTTP 503 after 1 attempts") == "HTTP 503 after 1 attempt"
    assert plain_reason("HTTP 503 after 3 attempts") == "HTTP 503 after 3 attempts"
    assert plain_reason("connection refused") == "connection refused"


def test_progress_line_stays_within_the_terminal_and_gives_an_eta(monkeypatch) -> None:
    import io

    from localoffer_audit.commands.check import LiveProgress
    from localoffer_audit.models import LinkResult, LinkVerdict
    from localoffer_audit.progress import eta_text

    monkeypatch.setenv("COLUMNS", "80")
    stream = io.StringIO()
    progress = LiveProgress(stream, every_seconds=0, prefix="links: ")
    verdicts = [LinkVerdict.OK, LinkVerdict.BROKEN, LinkVerdict.TIMEOUT, LinkVerdict.SERVER_ERROR, LinkVerdict.PARKED,
                LinkVerdict.SOFT_404, LinkVerdict.REDIRECTED, LinkVerdict.MOVED_OFFSITE, LinkVerdict.TLS_ERROR,
                LinkVerdict.BLOCKED, LinkVerdict.INSECURE, LinkVerdict.INVALID_EMAIL]
    total = 1200
    for done in range(1, total + 1):
        result = LinkResult(url=f"https://x.example/{done}", verdict=verdicts[done % len(verdicts)])
        progress(done, total, result)
    drawn = stream.getvalue().replace("\n", "").split("\r")[1:]
    assert drawn and all(len(line) <= 79 for line in drawn), max(len(line) for line in drawn)
    assert drawn[0].startswith("links: checked 1/1200")
    assert any("ETA" in line for line in drawn[:-1])
    assert stream.getvalue().endswith("\n")
    assert eta_text(10, 100, 5.0) == "ETA 45s" and eta_text(1, 100, 60.0) == "ETA 1h39m" and eta_text(0, 9, 1) == ""


def test_asyncio_lost_connection_write_warnings_are_quiet_unless_asked_for(restore_logging: None) -> None:
    """Writes to a connection the peer reset make asyncio itself log the warning (a real
    socket, reset with SO_LINGER 0); after configure_logging it reaches no handler,
    other asyncio warnings still do, and -vv shows it again."""
    import asyncio
    import logging
    import socket
    import struct

    from localoffer_audit.commands.common import configure_logging
    from localoffer_audit.logfilters import LOST_CONNECTION_WRITE

    class Keep(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(record.getMessage())

    async def write_after_reset() -> None:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen()
        reader, writer = await asyncio.open_connection(*server.getsockname())
        conn, _ = server.accept()
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # an RST: the peer is gone
        server.close()
        await asyncio.sleep(0.05)
        for _ in range(12):
            writer.write(b"x" * 1024)
            await asyncio.sleep(0.01)
        writer.close()

    def run(verbose: int) -> list[str]:
        configure_logging(verbose)
        keep = Keep()
        logging.getLogger().addHandler(keep)
        try:
            asyncio.run(write_after_reset())
            logging.getLogger("asyncio").warning("another asyncio warning")
        finally:
            logging.getLogger().removeHandler(keep)
        return keep.messages

    loud = run(2)
    assert loud.count(LOST_CONNECTION_WRITE) >= 3  # the flood is real
    quiet = run(0)
    assert LOST_CONNECTION_WRITE not in quiet and "another asyncio warning" in quiet


def test_report_for_any_run_that_status_lists(db, tmp_path: Path) -> None:
    from localoffer_audit.config import config_from_dict
    from localoffer_audit.models import RunKind, RunStatus
    from localoffer_audit.store.runs import finish_run, start_run
    from localoffer_audit.outputs.report import write_run_report

    from .support.report import CONFIG, build_directory

    nightly = build_directory(db, tmp_path)
    (content,) = [r["id"] for r in db.query("SELECT id FROM runs WHERE parent_run_id = ?", [nightly])]
    alone = start_run(db, RunKind.CRAWL)
    finish_run(db, alone, RunStatus.INCOMPLETE, note="the site answered 503 to every listing page")
    config = config_from_dict(CONFIG)
    stage = BeautifulSoup(write_run_report(db, config, tmp_path / "a", run_id=content).read_text(), "html.parser")
    assert f"is the content stage of nightly run #{nightly}" in stage.select_one("#shown-for").get_text()
    assert f"Run #{nightly} started" in stage.select_one("#run-status").get_text()
    own = BeautifulSoup(write_run_report(db, config, tmp_path / "b", run_id=alone).read_text(), "html.parser")
    assert f"Run #{alone} is a crawl run on its own" in own.select_one("#shown-for").get_text()
    assert "503 to every listing page" in own.select_one("#run-warning").get_text()


def test_first_screen_says_in_plain_words_what_happened(db, tmp_path: Path) -> None:
    from localoffer_audit.config import config_from_dict
    from localoffer_audit.outputs.report import write_run_report

    from .support.report import CONFIG, build_directory

    build_directory(db, tmp_path)
    out = tmp_path / "out"
    build_worklists(db, config_from_dict(CONFIG), out_dir=out / "worklists", today=TODAY)
    soup = BeautifulSoup(write_run_report(db, config_from_dict(CONFIG), out).read_text(), "html.parser")
    first = soup.select_one("#first-screen")
    assert "This run completed" in first.select_one("#trust").get_text()
    sentences = [li.get_text() for li in first.select("#plain-summary li")]
    assert any(s.startswith("Checked ") and "live service" in s for s in sentences), sentences
    assert any(s.startswith("Most to fix: Sam Smith") for s in sentences), sentences
    assert [a["href"] for a in first.select("#outputs a")][0] == "worklists/index.html"
    # Titles for people; ids and raw counters only inside the technical details.
    problems = [row.select("td")[0].get_text() for row in soup.select("#by-problem tbody tr")]
    assert "Broken link" in problems and "link_broken" not in problems
    assert "Broken" in [row.select("td")[0].get_text() for row in soup.select("#links-plain tbody tr")]
    assert soup.select_one("#by-rule").find_parent("details") is not None
    assert soup.select_one("#stages").find_parent("details") is not None
    assert "pages 12" not in (soup.select_one("#stage-summary").get_text())


def test_a_first_run_that_could_not_read_the_site_says_why_and_claims_no_earlier_state(tmp_path: Path) -> None:
    from localoffer_audit.config import config_from_dict
    from localoffer_audit.exitcodes import ExitCode
    from localoffer_audit.nightly import run_nightly

    config = config_from_dict({
        "directory": {"start_urls": ["http://127.0.0.1:9/kb5/gone/directory/results.page?localofferchannel=0"]},
        "crawl": {"retries": 0, "allow_private_addresses": True},
        "database": {"path": str(tmp_path / "audit.db")},
        "output": {"folder": str(tmp_path / "out")},
    })
    summary = run_nightly(config, today=TODAY)
    assert summary.exit_code == ExitCode.INCOMPLETE
    text = " ".join(summary.messages)
    assert "previous complete state is unchanged" not in text
    assert "there is no complete run yet" in text
    assert "Stage crawl was incomplete: INCOMPLETE crawl" in text
    soup = BeautifulSoup((tmp_path / "out" / "report.html").read_text(), "html.parser")
    box = soup.select_one("#run-warning")
    assert "Reading the directory: INCOMPLETE crawl" in box.select_one("#run-problems").get_text()
    assert "no earlier complete run" in box.get_text()


def test_the_starters_example_start_url_is_pointed_out() -> None:
    from localoffer_audit.config import starter_config_text
    from localoffer_audit.config import config_from_dict
    from localoffer_audit.outputs.report import starter_example_warning

    import tomllib

    starter = tomllib.loads(starter_config_text())
    example = config_from_dict({"directory": {"start_urls": starter["directory"]["start_urls"]}})
    warning = starter_example_warning(example)
    assert warning and "still the starter config's example" in warning
    assert starter_example_warning(make_config(Path("."))) is None


def test_the_crawl_progress_line_stays_within_a_narrow_terminal(monkeypatch, capsys) -> None:
    # `crawl` draws on the shared progress line too (it was padded to 78 columns whatever the terminal).
    import time

    from localoffer_audit.commands.crawl import CrawlProgress

    monkeypatch.setenv("COLUMNS", "50")
    progress = CrawlProgress()
    for pages in (10, 2000, 123456):
        progress.last = 0.0
        progress({"pages": pages, "services_seen": pages // 2, "errors": 3})
        time.sleep(0.01)
    progress.close()
    drawn = capsys.readouterr().err
    lines = drawn.replace("\n", "").split("\r")[1:]
    assert len(lines) == 3 and all(len(line) <= 49 for line in lines), lines
    assert lines[0].startswith("crawl: 10 pages, 5 services, 3 errors") and drawn.endswith("\n")
