"""The council registry: one TOML file listing every council in the national run.

::

    [national]
    batch_size = 50                  # links per link-check job
    group_by_domain = ["nhs.uk"]     # shared platforms: all their hosts are one politeness group

    [[council]]
    slug = "leeds"
    name = "Leeds City Council"
    config = "leeds/localoffer-audit.toml"   # its ordinary single-council config

Validated like the config: unknown keys, bad values, duplicate slugs and two councils
sharing one database file are one-line errors naming the key; every council's own config
is loaded and validated too.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from localoffer_audit.config import Config, load_config
from localoffer_audit.errors import ConfigError

REGISTRY_ENV_VAR = "LOCALOFFER_AUDIT_REGISTRY"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class NationalSettings(_Strict):
    # Small batches keep one head host (nhs.uk with 50k links) many short jobs, so a worker
    # killed mid-batch loses little and other groups are never starved behind it.
    batch_size: int = Field(default=50, ge=1, le=5000)
    # Domains whose hosts (the domain and every name under it) share one politeness group.
    group_by_domain: list[str] = Field(default_factory=list)

    @field_validator("group_by_domain")
    @classmethod
    def _lowercase(cls, value: list[str]) -> list[str]:
        return [domain.strip().lower().strip(".") for domain in value if domain.strip()]


class CouncilEntry(_Strict):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: str = Field(min_length=1, max_length=200)
    config: Path


class RegistryFile(_Strict):
    national: NationalSettings = Field(default_factory=NationalSettings)
    council: list[CouncilEntry] = Field(min_length=1)


class Council:
    """A council of the registry with its loaded, validated config."""

    def __init__(self, entry: CouncilEntry, config: Config) -> None:
        self.slug = entry.slug
        self.name = entry.name
        self.config_path = entry.config
        self.config = config

    @property
    def db_path(self) -> Path:
        return self.config.database.path


class Registry:
    def __init__(self, path: Path, settings: NationalSettings, councils: list[Council]) -> None:
        self.path = path
        self.settings = settings
        self.councils = councils
        self._by_slug = {c.slug: c for c in councils}

    def council(self, slug: str) -> Council:
        try:
            return self._by_slug[slug]
        except KeyError:
            raise ConfigError(f"{self.path}: no council with slug {slug!r} in the registry") from None

    @property
    def slugs(self) -> list[str]:
        return [c.slug for c in self.councils]


def load_registry(path: Path) -> Registry:
    """Read and validate the registry and every council's config; ConfigError says what to fix."""
    if not path.is_file():
        raise ConfigError(f"No council registry at {path}: write one (see docs/national.md) or point --registry at it")
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    try:
        parsed = RegistryFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from exc
    councils: list[Council] = []
    seen_slugs: set[str] = set()
    seen_dbs: dict[Path, str] = {}
    for entry in parsed.council:
        if entry.slug in seen_slugs:
            raise ConfigError(f"{path}: council slug {entry.slug!r} is listed twice; each council needs its own slug")
        seen_slugs.add(entry.slug)
        config_path = entry.config if entry.config.is_absolute() else path.parent / entry.config
        config = load_config(config_path)  # its own one-line error names the file
        entry.config = config_path
        db = config.database.path.resolve()
        if db in seen_dbs:
            # Councils' data stay apart: one store per council, never shared.
            raise ConfigError(
                f"{path}: councils {seen_dbs[db]!r} and {entry.slug!r} use the same database {db}; "
                "give each council its own [database] path"
            )
        seen_dbs[db] = entry.slug
        councils.append(Council(entry, config))
    return Registry(path, parsed.national, councils)


def _describe(exc: ValidationError) -> str:
    """Like the config's messages: one per problem, the key as written (council.2.slug)."""
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        if error["type"] == "extra_forbidden":
            problems.append(f"unknown key {key!r}")
        elif error["type"] == "missing":
            problems.append(f"{key}: required but missing")
        elif error["type"] == "string_pattern_mismatch":
            problems.append(f"{key}: use lower-case letters, digits and '-' only (got {error.get('input')!r})")
        else:
            problems.append(f"{key}: {error['msg'].removeprefix('Value error, ')} (got {error.get('input')!r})")
    return "; ".join(problems)
