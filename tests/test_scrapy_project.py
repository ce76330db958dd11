"""`scrapy crawl <spider>` from the checkout runs the real crawl (scrapy.cfg declares a
Scrapy project): with LOCALOFFER_AUDIT_CONFIG set it stores the loopback directory's
services in the config's database, as `localoffer-audit crawl` does. Before, it opened,
fetched nothing and reported success."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from localoffer_audit.store.db import open_db

from .support.crawl_sites import FakeSite, crawl_config, fsd_start, serve

CHECKOUT = Path(__file__).resolve().parents[1]


def _toml_value(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else json.dumps(value)


def _scrapy(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args], cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=180,
    )


def test_scrapy_crawl_runs_the_real_crawl(tmp_path: Path) -> None:
    site = FakeSite(services=4)
    with serve(site) as base:
        config = crawl_config(fsd_start(base))
        lines = ["[directory]", 'platform = "fsd"', f"start_urls = [{json.dumps(config['directory']['start_urls'][0])}]",
                 f"read_advice_pages = {_toml_value(config['directory']['read_advice_pages'])}",
                 "[database]", f"path = {json.dumps(str(tmp_path / 'audit.db'))}", "[crawl]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in config["crawl"].items()]
        (tmp_path / "audit.toml").write_text("\n".join(lines) + "\n")
        env = {**os.environ, "LOCALOFFER_AUDIT_CONFIG": str(tmp_path / "audit.toml")}
        result = _scrapy("crawl", "fsd", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Crawl run #1: complete" in result.stdout and "services seen 4: new 4" in result.stdout
    db = open_db(tmp_path / "audit.db")
    assert db["services"].count == 4
    assert [(r["kind"], r["status"]) for r in db["runs"].rows] == [("crawl", "complete")]
    db.close()


def test_scrapy_crawl_without_the_config_or_with_another_spider_is_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LOCALOFFER_AUDIT_CONFIG"}
    bare = _scrapy("crawl", "fsd", env=env)
    assert bare.returncode == 2 and "set LOCALOFFER_AUDIT_CONFIG" in bare.stderr
    (tmp_path / "audit.toml").write_text('[directory]\nplatform = "fsd"\nstart_urls = ["http://127.0.0.1:9/"]\n')
    other = _scrapy("crawl", "oruk", env={**env, "LOCALOFFER_AUDIT_CONFIG": str(tmp_path / "audit.toml")})
    assert other.returncode == 2 and "run `scrapy crawl fsd`" in other.stderr
    listed = _scrapy("list", env=env)
    assert listed.returncode == 0 and listed.stdout.split() == ["auto", "fsd", "generic", "oruk"]


def test_scrapy_crawl_refuses_spider_arguments_and_settings_it_would_ignore(tmp_path: Path) -> None:
    (tmp_path / "audit.toml").write_text('[directory]\nplatform = "fsd"\nstart_urls = ["http://127.0.0.1:9/"]\n')
    env = {**os.environ, "LOCALOFFER_AUDIT_CONFIG": str(tmp_path / "audit.toml")}
    for option in (["-a", "page=2"], ["-s", "DOWNLOAD_DELAY=0"]):
        refused = _scrapy("crawl", "fsd", *option, env=env)
        assert refused.returncode == 2 and "-s and -a are not used here" in refused.stderr, refused.stderr
