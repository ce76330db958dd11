"""Every number in the config is finite and within a sane range (issue 13 item 7).

`inf` for a timeout or delay used to be accepted: three such values hung `nightly` while it
held the lock, and `total_timeout_seconds = inf` left every web link unchecked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from localoffer_audit.cli import main
from localoffer_audit.config import Config, config_from_dict
from localoffer_audit.errors import ConfigError

MINIMAL = {"directory": {"start_urls": ["https://directory.example.gov.uk/kb5/x/directory/results.page"]}}
INF = float("inf")
NAN = float("nan")

BAD_VALUES = [
    ("links", "total_timeout_seconds", INF, "allowed range: 0 < value <= 900"),
    ("links", "total_timeout_seconds", NAN, "allowed range: 0 < value <= 900"),
    ("links", "total_timeout_seconds", -1, "allowed range: 0 < value <= 900"),
    ("links", "connect_timeout_seconds", INF, "allowed range: 0 < value <= 300"),
    ("links", "read_timeout_seconds", 1e9, "allowed range: 0 < value <= 600"),
    ("links", "per_host_delay_seconds", INF, "allowed range: 0 <= value <= 60"),
    ("links", "backoff_seconds", INF, "allowed range: 0 <= value <= 300"),
    ("links", "max_retry_after_seconds", INF, "allowed range: 0 <= value <= 3600"),
    ("links", "confirm_delay_seconds", INF, "allowed range: 0 <= value <= 3600"),
    ("links", "confirm_delay_seconds", -5, "allowed range: 0 <= value <= 3600"),
    ("links", "spike_ratio", INF, "allowed range: 1 <= value <= 1000"),
    ("links", "spike_min_increase", NAN, "allowed range: 0 <= value <= 1"),
    ("links", "max_body_bytes", 10**12, "allowed range: 1024 <= value <= 100000000"),
    ("links", "concurrency", INF, "allowed range: 1 <= value <= 2000"),
    ("links", "recheck_ok_after_days", 10**6, "allowed range: 0 <= value <= 365"),
    ("links", "host_pause_after_failures", -1, "allowed range: 0 <= value <= 10000"),
    ("crawl", "download_delay_seconds", INF, "allowed range: 0 <= value <= 60"),
    ("crawl", "timeout_seconds", INF, "allowed range: 0 < value <= 600"),
    ("crawl", "timeout_seconds", 0, "allowed range: 0 < value <= 600"),
    ("crawl", "max_run_minutes", INF, "allowed range: 0 < value <= 1440"),
    ("crawl", "max_pages", 10**9, "allowed range: 1 <= value <= 10000000"),
    ("crawl", "min_complete_ratio", NAN, "allowed range: 0 < value <= 1"),
    ("crawl", "max_page_error_ratio", 1.5, "allowed range: 0 <= value <= 1"),
    ("crawl", "max_new_missing_ratio", INF, "allowed range: 0 < value <= 1"),
    ("crawl", "max_new_missing_ratio", 0, "allowed range: 0 < value <= 1"),
    ("crawl", "max_new_missing_findings_ratio", NAN, "allowed range: 0 < value <= 1"),
    ("crawl", "max_page_bytes", 10**11, "allowed range: 10000 <= value <= 500000000"),
    ("directory", "max_listing_pages", 0, "allowed range: 1 <= value <= 100000"),
    ("content", "stale_after_days", 10**7, "allowed range: 1 <= value <= 36500"),
    ("content", "near_duplicate_name_similarity", NAN, "allowed range: 50 <= value <= 100"),
    ("content", "min_description_chars", -1, "allowed range: 0 <= value <= 100000"),
    ("email", "pause_seconds", INF, "allowed range: 0 <= value <= 60"),
    ("email", "resend_after_days", -1, "allowed range: 0 <= value <= 365"),
    ("email", "smtp_port", 70000, "allowed range: 1 <= value <= 65535"),
]


@pytest.mark.parametrize(("section", "key", "value", "allowed"), BAD_VALUES,
                         ids=[f"{s}.{k}={v}" for s, k, v, _ in BAD_VALUES])
def test_bad_number_is_rejected_with_the_allowed_range(section: str, key: str, value: float, allowed: str) -> None:
    data = {**MINIMAL, section: {**MINIMAL.get(section, {}), key: value}}
    with pytest.raises(ConfigError) as caught:
        config_from_dict(data)
    message = str(caught.value)
    assert message.startswith(f"{section}.{key}: "), message
    assert allowed in message
    assert "\n" not in message


def test_port_map_ports_must_be_tcp_ports() -> None:
    with pytest.raises(ConfigError, match=r"links.port_map: port 0 is not a TCP port; allowed range: 1 to 65535"):
        config_from_dict({**MINIMAL, "links": {"port_map": {80: 0}}})


def _number_fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, object]]:
    found = []
    for name, info in model.model_fields.items():
        candidates = [info.annotation, *getattr(info.annotation, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if nested:
            found.extend(_number_fields(nested[0], f"{prefix}{name}."))
        elif info.annotation in (int, float):
            found.append((f"{prefix}{name}", info))
    return found


def test_every_number_in_the_config_has_an_upper_bound() -> None:
    """A key added later without a bound fails here, not on a council's server."""
    numbers = _number_fields(Config)
    assert len(numbers) > 30
    unbounded = [key for key, info in numbers
                 if not any(hasattr(m, "le") or hasattr(m, "lt") for m in info.metadata)]  # type: ignore[attr-defined]
    assert unbounded == []


def test_nightly_with_an_infinite_timeout_stops_before_anything_runs(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "localoffer-audit.toml"
    config.write_text(
        '[directory]\nstart_urls = ["https://directory.example.gov.uk/x"]\n'
        "[links]\ntotal_timeout_seconds = inf\n"
    )
    result = runner.invoke(main, ["--config", str(config), "nightly", "--no-send"])
    assert result.exit_code == 1
    assert "links.total_timeout_seconds: Input should be a finite number (got inf); allowed range: 0 < value <= 900" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "localoffer-audit.db").exists()
