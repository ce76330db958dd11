"""Credentials in URLs never reach nightly.log, report.html or the database (issue 13 item 8)."""

from __future__ import annotations

import base64
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner

from localoffer_audit.cli import main
from localoffer_audit.commands.common import add_log_file, configure_logging
from localoffer_audit.config import config_from_dict
from localoffer_audit.crawl.runner import run_crawl
from localoffer_audit.store.db import open_db
from localoffer_audit.models import RunKind, RunStatus
from localoffer_audit.store.runs import finish_run, record_stage, start_run
from localoffer_audit.store.services import live_services
from localoffer_audit.redact import mask_credentials

from .support.cli_logging import restore_logging  # noqa: F401  (a fixture)
from .support.crawl_sites import FakeSite, crawl_config, fsd_start, serve

SECRET = "hunter2-s3cret"
LEAKY = f"https://auditor:{SECRET}@directory.example.gov.uk/kb5/x/directory/results.page"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LEAKY, "https://***@directory.example.gov.uk/kb5/x/directory/results.page"),
        ("fetch http://u:p%40ss@h.example:8080/a?b=c@d failed", "fetch http://***@h.example:8080/a?b=c@d failed"),
        ("https://user:p@ss@h.example/x", "https://***@h.example/x"),  # a raw '@' in the password
        ("mailto:info@provider.example.org and https://h.example/a@b", "mailto:info@provider.example.org and https://h.example/a@b"),
    ],
)
def test_mask_credentials(text: str, expected: str) -> None:
    assert mask_credentials(text) == expected


@pytest.mark.parametrize("section,key,value", [
    ("directory", "start_urls", [LEAKY]),
    ("directory", "edit_url_template", f"https://editor:{SECRET}@cms.example.gov.uk/{{id}}"),
    ("crawl", "contact_url", f"https://a:{SECRET}@www.example.gov.uk/contact"),
])
def test_config_refuses_a_url_with_credentials_without_echoing_them(section: str, key: str, value: object) -> None:
    config = {"directory": {"start_urls": ["https://directory.example.gov.uk/"]}}
    config.setdefault(section, {})[key] = value  # type: ignore[index]
    with pytest.raises(Exception) as caught:
        config_from_dict(config)
    message = str(caught.value)
    assert f"{section}.{key}:" in message and "***@" in message and "user name or password" in message
    assert SECRET not in message


def test_nightly_with_a_password_in_the_start_url_stops_with_one_masked_line(runner: CliRunner, tmp_path: Path, restore_logging) -> None:  # noqa: F811
    config = tmp_path / "localoffer-audit.toml"
    config.write_text(f'[directory]\nstart_urls = ["{LEAKY}"]\n')
    result = runner.invoke(main, ["--config", str(config), "nightly", "--no-send"])
    assert result.exit_code == 1
    assert "http_username" in result.output and "LOCALOFFER_AUDIT_DIRECTORY_PASSWORD" in result.output
    assert SECRET not in result.output and "Traceback" not in result.output
    assert not (tmp_path / "localoffer-audit.db").exists()


def test_log_handlers_mask_credentials_in_messages_and_tracebacks(tmp_path: Path, restore_logging, capsys) -> None:  # noqa: F811
    configure_logging(0)
    log_path = tmp_path / "out" / "nightly.log"
    add_log_file(log_path)
    log = logging.getLogger("localoffer_audit.test")
    log.warning("could not fetch %s", LEAKY)
    try:
        raise OSError(f"connection reset by {LEAKY}")
    except OSError:
        log.exception("stage crawl failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    written = log_path.read_text(encoding="utf-8")
    assert "could not fetch https://***@directory.example.gov.uk/" in written
    assert "OSError: connection reset by https://***@directory" in written
    assert SECRET not in written
    assert SECRET not in capsys.readouterr().err


def test_runs_table_and_report_mask_credentials(tmp_path: Path, runner: CliRunner, restore_logging) -> None:  # noqa: F811
    db_path = tmp_path / "audit.db"
    db = open_db(db_path)
    run_id = start_run(db, RunKind.NIGHTLY, platform="fsd")
    record_stage(db, run_id, {"stage": "crawl", "status": "failed", "seconds": 1.0, "run_id": None,
                              "counts": {}, "message": f"listing page {LEAKY} answered 500"})
    finish_run(db, run_id, RunStatus.FAILED, note=f"could not fetch {LEAKY}")
    # A run written by an older version, before masking, still holding the password.
    older = start_run(db, RunKind.NIGHTLY, platform="fsd")
    db.close()
    raw = sqlite3.connect(db_path)
    stored = "\n".join(raw.iterdump())
    assert SECRET not in stored and "https://***@directory.example.gov.uk" in stored
    with raw:
        raw.execute("UPDATE runs SET status = 'failed', stages = ? WHERE id = ?",
                    ['[{"stage": "crawl", "status": "failed", "seconds": 1.0, "counts": {}, "message": "listing page ' + LEAKY + ' answered 500"}]', older])
    raw.close()
    config = tmp_path / "localoffer-audit.toml"
    config.write_text('[directory]\nstart_urls = ["https://directory.example.gov.uk/"]\n')
    for run in (run_id, older):
        result = runner.invoke(main, ["--config", str(config), "--db", str(db_path), "report", "--out", str(tmp_path / "out"), "--run", str(run)])
        assert result.exit_code == 0, result.output
        html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
        assert "https://***@directory.example.gov.uk" in html
        assert SECRET not in html


@dataclass
class LoginSite(FakeSite):
    """The FSD test site behind HTTP basic auth."""

    unauthorised: int = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        expected = "Basic " + base64.b64encode(f"auditor:{SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            self.unauthorised += 1
            return web.Response(status=401, text="login needed", headers={"WWW-Authenticate": 'Basic realm="directory"'})
        return await super().handle(request)


def test_directory_login_comes_from_the_environment_and_is_never_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = LoginSite(services=5)
    with serve(site) as base:
        data = crawl_config(fsd_start(base))
        data["directory"]["http_username"] = "auditor"
        config = config_from_dict(data)
        monkeypatch.setenv("LOCALOFFER_AUDIT_DIRECTORY_PASSWORD", SECRET)
        summary = run_crawl(config, tmp_path / "a.db")
        assert summary.status == RunStatus.COMPLETE, summary.messages
        assert site.unauthorised == 0
        monkeypatch.delenv("LOCALOFFER_AUDIT_DIRECTORY_PASSWORD")
        without = run_crawl(config, tmp_path / "b.db")
    assert without.status != RunStatus.COMPLETE and site.unauthorised > 0
    db = open_db(tmp_path / "a.db")
    try:
        assert len(live_services(db)) == 5
    finally:
        db.close()
    raw = sqlite3.connect(tmp_path / "a.db")
    try:
        assert SECRET not in "\n".join(raw.iterdump())
    finally:
        raw.close()
