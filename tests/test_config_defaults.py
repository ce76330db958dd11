"""Every default is written once, in the config models (localoffer_audit/config.py).

The settings types built from a config (LinkCheckSettings, the Scrapy project settings),
the starter config `init` writes and the tables and "(default N)" notes of the docs all
repeat those values for a reader; these tests fail when one of them says another value.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from localoffer_audit.config import (
    Config,
    ContentConfig,
    CrawlConfig,
    LinksConfig,
    config_from_dict,
    key_bounds,
    starter_config_text,
)
from localoffer_audit.crawl import settings as scrapy_project
from localoffer_audit.crawl.scrapy_settings import scrapy_settings
from localoffer_audit.links.settings import LinkCheckSettings

REPO = Path(__file__).resolve().parent.parent
MINIMAL = {"directory": {"start_urls": ["https://directory.example.gov.uk/kb5/x/directory/results.page"]}}

# Keys the starter sets to a value a new council should start from, not the default:
# its comment says so. Every other key it shows is the default.
STARTER_CHOICES = {
    ("directory", "name"),  # the council names its own directory
    ("directory", "platform"),  # "auto": told from the start page (default "fsd")
    ("directory", "start_urls"),  # required: an example to replace
}


def _sections() -> dict[str, type[BaseModel]]:
    return {
        name: info.annotation
        for name, info in Config.model_fields.items()
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
    }


def _default(section: str, key: str) -> Any:
    model = _sections()[section]
    value = getattr(model.model_validate({"start_urls": ["https://x.example/"]} if section == "directory" else {}), key)
    return value


def _same(written: Any, default: Any) -> bool:
    if isinstance(default, Path):
        return Path(written) == default
    if hasattr(default, "value"):  # an enum (severity)
        return written == default.value
    return bool(written == default)


def test_a_hand_built_link_settings_starts_from_the_links_defaults() -> None:
    # Tests and benchmarks build LinkCheckSettings with a few keywords; the rest must be
    # what a config with an empty [links] section gives the link stage.
    from_config = LinkCheckSettings.from_config(LinksConfig(), user_agent="agent")
    by_hand = LinkCheckSettings(user_agent="agent")
    differing = [
        f.name for f in dataclasses.fields(LinkCheckSettings) if getattr(by_hand, f.name) != getattr(from_config, f.name)
    ]
    assert differing == []


def test_a_changed_links_default_reaches_the_hand_built_settings() -> None:
    # The agreement above is not two copies of the same numbers: the settings read them.
    assert LinkCheckSettings().confirm_delay == LinksConfig.model_fields["confirm_delay_seconds"].default
    assert LinkCheckSettings().max_run_seconds == LinksConfig().max_stage_minutes * 60


def test_the_scrapy_project_settings_are_the_crawl_defaults() -> None:
    built = scrapy_settings(config_from_dict(MINIMAL), Path("x.db"), 1)
    project = {name: getattr(scrapy_project, name) for name in dir(scrapy_project) if name.isupper()}
    shared = sorted(set(project) & set(built) - {"SPIDER_MODULES"})
    assert {"CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY", "AUTOTHROTTLE_MAX_DELAY", "USER_AGENT"} <= set(shared)
    assert {name: project[name] for name in shared} == {name: built[name] for name in shared}
    # Only settings reach Scrapy: the module's helper names are lower case.
    assert all(not isinstance(value, BaseModel) for value in project.values())


def _starter_keys() -> list[tuple[str, str, Any]]:
    starter = tomllib.loads(starter_config_text())
    found = []
    for section, body in starter.items():
        for key, value in body.items():
            if not isinstance(value, dict):  # [directory.generic] and [content.rules.*] are examples
                found.append((section, key, value))
    return found


@pytest.mark.parametrize(("section", "key", "written"), _starter_keys(), ids=lambda v: str(v))
def test_the_starter_shows_each_default(section: str, key: str, written: Any) -> None:
    if (section, key) in STARTER_CHOICES:
        return
    assert _same(written, _default(section, key)), (
        f"starter.toml says [{section}] {key} = {written!r}, the default is {_default(section, key)!r}"
    )


def test_the_starter_mentions_every_key() -> None:
    # Shown, or commented out with an example: a key a council cannot find is not a setting.
    text = starter_config_text()
    missing = [
        f"[{section}] {key}"
        for section, model in _sections().items()
        for key in model.model_fields
        if not re.search(rf"^#? ?{key} =", text, re.M)
        and not (section, key) == ("directory", "generic")
        and not (section, key) == ("content", "rules")
    ]
    assert missing == []


# "`[section] key` (default N)", "(1 to 1,440, default N)", "(N by default)", or a key
# named without its section where only one section has it.
_NOTE = re.compile(
    r"`(?:\[(?P<section>\w+)\] )?(?P<key>\w+)`\s*\((?:[^()]*?,\s*)?default:? "
    r"(?P<value>`[^`]+`|\d[\d.]*?)[,)\s]"
    r"|`(?:\[(?P<section2>\w+)\] )?(?P<key2>\w+)`\s*\((?P<value2>\d[\d.]*) by default\)"
)


def _section_of(key: str) -> str | None:
    holding = [section for section, model in _sections().items() if key in model.model_fields]
    return holding[0] if len(holding) == 1 else None


def _documented_defaults() -> list[tuple[str, str, str, str]]:
    """(file, section, key, value as written) for each default note on a config key in
    README.md and docs/, and each row of the [content] table in docs/rules.md."""
    found = []
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for match in _NOTE.finditer(path.read_text(encoding="utf-8")):
            key = match["key"] or match["key2"]
            section = match["section"] or match["section2"] or _section_of(key)
            if section is None or section not in _sections() or key not in _sections()[section].model_fields:
                continue  # a command option or a column, not a config key
            found.append((path.name, section, key, (match["value"] or match["value2"]).strip("`")))
    rules = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    table = rules.split("[content]", 1)[1].split("\n\n", 2)[1]
    for row in re.finditer(r"^\| `(\w+)` \| ([\w.]+) \|", table, re.M):
        found.append(("rules.md", "content", row.group(1), row.group(2)))
    return found


def test_the_docs_notes_are_found() -> None:
    # The patterns below must keep finding the notes, or the next test checks nothing.
    documented = {(section, key) for _, section, key, _ in _documented_defaults()}
    assert {("links", "max_stage_minutes"), ("crawl", "min_complete_ratio"), ("content", "stale_after_days")} <= documented
    assert len(documented) >= 15


@pytest.mark.parametrize(("where", "section", "key", "written"), _documented_defaults(), ids=lambda v: str(v))
def test_the_docs_give_each_default_the_models_value(where: str, section: str, key: str, written: str) -> None:
    default = _default(section, key)
    if default is None:
        return  # unset: the note describes what happens then ("default <output>/nightly.log")
    value: Any = float(written) if isinstance(default, int | float) and not isinstance(default, bool) else written
    assert _same(value, default), f"{where} says [{section}] {key} defaults to {written}, the model says {default!r}"


def test_the_check_commands_limits_are_the_configs() -> None:
    from localoffer_audit.commands.check import check

    ranges = {opt.name: (opt.type.min, opt.type.max) for opt in check.params if opt.name in ("concurrency", "per_host")}
    assert ranges == {"concurrency": key_bounds(LinksConfig, "concurrency"), "per_host": key_bounds(LinksConfig, "per_host")}


def test_the_content_and_crawl_helpers_use_the_model_defaults() -> None:
    import inspect

    from localoffer_audit.content.duplicates import near_duplicate_pairs

    parameters = inspect.signature(near_duplicate_pairs).parameters
    assert parameters["name_similarity"].default == ContentConfig().near_duplicate_name_similarity
    assert parameters["description_similarity"].default == ContentConfig().near_duplicate_description_similarity
    assert scrapy_project.DOWNLOAD_DELAY == CrawlConfig().download_delay_seconds


def test_the_national_docs_give_the_workers_timing_defaults() -> None:
    # Not config keys but command options, written once in national/timing.py.
    from localoffer_audit.national import timing

    text = " ".join((REPO / "docs" / "national.md").read_text(encoding="utf-8").split())
    heartbeat = re.search(r"\(`--heartbeat`, default ([\d.]+) s\)", text)
    lease = re.search(r"`--lease` seconds \(default ([\d.]+)\)", text)
    assert heartbeat and float(heartbeat.group(1)) == timing.HEARTBEAT_SECONDS
    assert lease and float(lease.group(1)) == timing.LEASE_SECONDS


def test_the_pace_written_out_in_prose_is_the_default_delay() -> None:
    # "(0.1: 10 pages a second at most" in the starter; "at least 0.1 s between two requests
    # (... `download_delay_seconds = 0.1`)" in crawl.md: the sentences about the pace.
    delay = CrawlConfig().download_delay_seconds
    starter = " ".join(re.sub(r"^# ?", "", starter_config_text(), flags=re.M).split())
    said = re.search(r"download_delay_seconds \(([\d.]+): (\d+) pages a second at most", starter)
    assert said and float(said.group(1)) == delay and int(said.group(2)) == round(1 / delay)
    crawl_md = " ".join((REPO / "docs" / "crawl.md").read_text(encoding="utf-8").split())
    said = re.search(r"at least ([\d.]+) s between two requests \(.*?`download_delay_seconds = ([\d.]+)`\)", crawl_md)
    assert said and float(said.group(1)) == delay and float(said.group(2)) == delay
