from pathlib import Path

import pytest

from localoffer_audit.config import starter_config_text
from localoffer_audit.config import config_from_dict, load_config
from localoffer_audit.errors import ConfigError

MINIMAL = {"directory": {"start_urls": ["https://directory.example.gov.uk/kb5/x/directory/results.page"]}}


def test_minimal_config_gets_working_defaults() -> None:
    config = config_from_dict(MINIMAL)
    assert config.directory.platform == "fsd"
    assert config.content.stale_after_days == 365
    assert config.links.per_host == 2 and config.links.concurrency == 100
    assert config.crawl.obey_robots_txt is True
    assert config.crawl.allow_private_addresses is False and config.links.allow_private_addresses is False


def test_starter_config_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "localoffer-audit.toml"
    path.write_text(starter_config_text())
    config = load_config(path)
    assert config.directory.start_urls
    # Relative paths resolve against the config file's folder.
    assert config.database.path == tmp_path / "localoffer-audit.db"
    assert config.output.folder == tmp_path / "output"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({**MINIMAL, "links": {"concurency": 5}}, "unknown key 'concurency' in [links]; allowed keys: concurrency"),
        ({**MINIMAL, "colour": "blue"}, "unknown key 'colour' in the top level"),
        ({**MINIMAL, "links": {"per_host": 0}}, "links.per_host: Input should be greater than or equal to 1 (got 0)"),
        ({**MINIMAL, "content": {"stale_after_days": "a year"}}, "content.stale_after_days: Input should be a valid integer"),
        ({"directory": {"platform": "fsd"}}, "directory.start_urls: required but missing"),
        ({"directory": {"start_urls": []}}, "directory.start_urls: List should have at least 1 item"),
        ({"directory": {"start_urls": ["ftp://x"]}}, "directory.start_urls: 'ftp://x' is not an http:// or https:// URL"),
        ({**MINIMAL, "directory": {**MINIMAL["directory"], "platform": "wordpress"}}, "directory.platform: Input should be 'auto', 'fsd', 'oruk' or 'generic'"),
        ({"directory": {**MINIMAL["directory"], "platform": "generic"}}, "[directory.generic] section"),
        ({**MINIMAL, "email": {"password": "hunter2"}}, "'password' must not be in the config file"),
        ({**MINIMAL, "content": {"rules": {"stale_date": {"severity": "urgent"}}}}, "content.rules.stale_date.severity"),
        ({**MINIMAL, "email": {"smtp_host": "smtp.council.gov.uk", "security": "none", "username": "audit"}}, "password in clear text"),
    ],
)
def test_validation_errors_name_the_key(data: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_dict(data)
    assert expected in str(caught.value)


def test_password_never_shown_in_errors() -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_dict({**MINIMAL, "email": {"password": "hunter2"}})
    assert "hunter2" not in str(caught.value)


def test_not_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[directory\nstart_urls = oops")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(path)


def test_missing_file_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="localoffer-audit init"):
        load_config(tmp_path / "absent.toml")


def test_password_comes_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_from_dict({**MINIMAL, "email": {"password_env": "MY_SMTP_PW"}})
    monkeypatch.setenv("MY_SMTP_PW", "s3cret")
    assert config.email.password() == "s3cret"
    assert "s3cret" not in config.model_dump_json()


@pytest.mark.parametrize("key", ["hosts_file", "ca_file"])
def test_missing_input_files_are_named(tmp_path: Path, key: str) -> None:
    path = tmp_path / "localoffer-audit.toml"
    path.write_text(
        '[directory]\nstart_urls = ["https://d.example.gov.uk/kb5/x/directory/results.page"]\n'
        f'[links]\n{key} = "nowhere.txt"\n'
    )
    with pytest.raises(ConfigError, match=f"links.{key}: no file at .*nowhere.txt"):
        load_config(path)
