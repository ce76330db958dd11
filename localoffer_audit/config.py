"""The configuration file: one TOML file parsed into typed, validated objects.

Where the file lives: ``--config``, else ``$LOCALOFFER_AUDIT_CONFIG``, else
``localoffer-audit.toml`` in the working folder. Every key has a working default except
the directory's start URLs. Unknown keys and bad values are rejected with a message
naming the key and what is allowed. Relative paths are read from the config file's
folder, so a cron job started elsewhere finds the same files.
"""

from __future__ import annotations

import os
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from localoffer_audit.errors import ConfigError
from localoffer_audit.models import Severity
from localoffer_audit.redact import has_credentials, mask_credentials


def starter_config_text() -> str:
    """The commented starter configuration that `localoffer-audit init` writes."""
    return files("localoffer_audit").joinpath("starter.toml").read_text(encoding="utf-8")

DEFAULT_CONFIG_NAME = "localoffer-audit.toml"
CONFIG_ENV_VAR = "LOCALOFFER_AUDIT_CONFIG"


def _no_credentials(url: str | None) -> str | None:
    """A URL in the config holding a user name or password would reach logs and reports."""
    if url is not None and has_credentials(url):
        raise ValueError(f"{mask_credentials(url)!r} has a user name or password in it: remove it")
    return url


class _Section(BaseModel):
    # Unknown keys are errors: a misspelt key silently ignored is a setting not applied.
    # inf and nan are never a setting (an infinite timeout or delay hangs the run holding the lock).
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


class GenericSelectors(_Section):
    """Selectors for the `generic` spider: a site on any platform, no code needed.

    A selector starting with ``/`` or ``(`` is XPath, anything else is CSS.
    """

    service_link: str = Field(description="selects the links from a listing page to each service page")
    next_page: str | None = Field(default=None, description="selects the link to the next listing page")
    page_links: str | None = Field(
        default=None, description="selects numbered links to other listing pages (each read once)"
    )
    id_pattern: str | None = Field(
        default=None, description="regular expression with one group taking the service id from its URL"
    )
    # Empty: record pages are read from their structure (headings, <dl>, Drupal fields,
    # schema.org), as platform = "auto" does; given, they need at least a 'name' selector.
    fields: dict[str, str] = Field(
        default_factory=dict, description="field name -> selector on the service page (name, description, ...)"
    )

    @field_validator("fields")
    @classmethod
    def _name_selector_required(cls, value: dict[str, str]) -> dict[str, str]:
        if value and "name" not in value:
            raise ValueError("needs at least a 'name' selector (or no fields at all: read from the page structure)")
        return value


# The crawl's default labels of a "last updated" date (crawl/common.py uses this tuple too).
DEFAULT_DATE_LABELS = (
    "last updated",
    "record last updated",
    "date updated",
    "updated",
    "reviewed",
    "last reviewed",
    "review date",
    "date added",
)


class DirectoryConfig(_Section):
    name: str = "Local Offer"
    # "auto": told from the start page (crawl/detect.py), said in the crawl's messages.
    platform: Literal["auto", "fsd", "oruk", "generic"] = "fsd"
    start_urls: list[str] = Field(min_length=1)
    # Pagination is bounded: a listing that never ends is a finding, not an endless crawl.
    max_listing_pages: int = Field(default=2000, ge=1, le=100_000)
    # Labels of the "last updated" date differ between sites; matched case-insensitively.
    date_labels: list[str] = Field(default_factory=lambda: list(DEFAULT_DATE_LABELS))
    # Where a content manager edits a record, if the platform has such a page; {id} is
    # replaced by the directory id.
    edit_url_template: str | None = None
    generic: GenericSelectors | None = None
    # The directory's own information/advice pages (FSD advice.page, LocalGov Drupal guide
    # and service pages, "Information and advice" blocks): read as pages of their own
    # kind, their links checked, their findings for the Local Offer team. On by default:
    # a Local Offer team expects its guidance checked (docs/crawl.md says why).
    read_advice_pages: bool = True
    # A directory behind a login (HTTP basic auth): the user name here, the password only in
    # the environment variable named by http_password_env, never in a URL or this file.
    http_username: str | None = None
    http_password_env: str = "LOCALOFFER_AUDIT_DIRECTORY_PASSWORD"

    @field_validator("start_urls")
    @classmethod
    def _urls_are_http(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{mask_credentials(url)!r} is not an http:// or https:// URL")
            if has_credentials(url):
                # It would be written to the log, the database and report.html.
                raise ValueError(
                    f"{mask_credentials(url)!r} has a user name or password in it: remove it from the URL, "
                    "set [directory] http_username and put the password in the environment variable "
                    "LOCALOFFER_AUDIT_DIRECTORY_PASSWORD"
                )
        return value

    @field_validator("edit_url_template")
    @classmethod
    def _no_password_in_edit_url(cls, value: str | None) -> str | None:
        return _no_credentials(value)

    def http_password(self) -> str | None:
        return os.environ.get(self.http_password_env) or None

    def hosts(self) -> frozenset[str]:
        """The host names of the start URLs, lower-cased: the directory's own hosts."""
        return frozenset((urlsplit(url).hostname or "").lower() for url in self.start_urls) - {""}

    @model_validator(mode="after")
    def _generic_needs_selectors(self) -> DirectoryConfig:
        if self.platform == "generic" and self.generic is None:
            raise ValueError("platform 'generic' needs a [directory.generic] section with selectors")
        return self


class CrawlConfig(_Section):
    user_agent: str = "localoffer-audit (Local Offer link and content checker)"
    contact_url: str | None = None
    obey_robots_txt: bool = True
    # The pace (docs/crawl.md "Politeness and safety"): one request in flight to the
    # directory on average (AutoThrottle's target), never more than two at once, never
    # more than 10 requests a second to an instant server; a slow one is asked once per
    # its own latency.
    concurrent_requests_per_domain: int = Field(default=2, ge=1, le=64)
    download_delay_seconds: float = Field(default=0.1, ge=0, le=60)
    autothrottle: bool = True
    # AutoThrottle aims at this many requests in flight to the directory (None: the
    # per-domain limit); it never waits less than download_delay_seconds between two
    # requests nor more than autothrottle_max_delay_seconds.
    autothrottle_target_concurrency: float | None = Field(default=1.0, gt=0, le=64, allow_inf_nan=False)
    autothrottle_max_delay_seconds: float = Field(default=10, gt=0, le=600, allow_inf_nan=False)
    timeout_seconds: float = Field(default=30, gt=0, le=600)
    retries: int = Field(default=2, ge=0, le=10)
    max_page_bytes: int = Field(default=5_000_000, ge=10_000, le=500_000_000)
    # Below this share of the last complete crawl's services, or of the directory's own
    # count of its records, the crawl is incomplete.
    min_complete_ratio: float = Field(default=0.8, gt=0, le=1)
    # Service pages failing after retries (5xx, timeout, unreadable) tolerated in a complete
    # crawl, as a share of the service pages asked for: their earlier content is kept.
    max_page_error_ratio: float = Field(default=0.02, ge=0, le=1)
    # More than this share of the record pages read live by the last complete crawl
    # answering 404/410 at once is an outage: the crawl is incomplete (docs/crawl.md).
    max_new_missing_ratio: float = Field(default=0.2, gt=0, le=1)
    # A wave of new "service page missing" findings above this share of the listed services
    # (and more than 5) is held for a person to check: nightly exits 5 until accepted.
    max_new_missing_findings_ratio: float = Field(default=0.05, gt=0, le=1)
    allow_private_addresses: bool = False
    # A crawl still running after this long stops, and is incomplete (a hanging or endless site).
    max_run_minutes: float = Field(default=360, gt=0, le=1440)
    # A crawl that has fetched this many pages (listing and service pages together) stops,
    # and is incomplete: a site generating endless pages cannot keep the crawl going.
    max_pages: int = Field(default=100_000, ge=1, le=10_000_000)

    @field_validator("contact_url")
    @classmethod
    def _no_password_in_contact_url(cls, value: str | None) -> str | None:
        return _no_credentials(value)


class LinksConfig(_Section):
    concurrency: int = Field(default=100, ge=1, le=2000)
    per_host: int = Field(default=2, ge=1, le=100)
    per_host_delay_seconds: float = Field(default=0.0, ge=0, le=60)
    connect_timeout_seconds: float = Field(default=10, gt=0, le=300)
    # Connect, first byte (and any pause between reads), whole request: why these values,
    # docs/verdicts.md "Timeouts".
    read_timeout_seconds: float = Field(default=10, gt=0, le=600)
    total_timeout_seconds: float = Field(default=20, gt=0, le=900)
    max_redirects: int = Field(default=10, ge=0, le=50)
    max_body_bytes: int = Field(default=512_000, ge=1024, le=100_000_000)
    retries: int = Field(default=2, ge=0, le=10)
    backoff_seconds: float = Field(default=1.0, ge=0, le=300)
    max_retry_after_seconds: float = Field(default=30, ge=0, le=3600)
    recheck_ok_after_days: int = Field(default=7, ge=0, le=365)
    allow_private_addresses: bool = False
    check_email_mx: bool = False
    user_agent: str | None = None
    # URL prefixes never checked (e.g. a site that forbids automated checks).
    exclude: list[str] = Field(default_factory=list)
    # Name resolution overrides, like curl --resolve: a file in /etc/hosts format whose
    # names resolve to its addresses (trusted even when private: they are configured).
    hosts_file: Path | None = None
    # With a hosts file: names not in it do not resolve at all (an isolated test network).
    hosts_file_only: bool = False
    # Connect to another port than the URL's, e.g. {80 = 8080, 443 = 8443} behind a test rig.
    port_map: dict[int, int] = Field(default_factory=dict)

    @field_validator("port_map")
    @classmethod
    def _ports_in_range(cls, value: dict[int, int]) -> dict[int, int]:
        for port in (*value, *value.values()):
            if not 1 <= port <= 65535:
                raise ValueError(f"port {port} is not a TCP port; allowed range: 1 to 65535")
        return value
    # Extra certificate authority (PEM) trusted for https, e.g. a council's internal CA.
    ca_file: Path | None = None
    # Ask each site for a made-up path once per run; a link answering like it is a soft 404.
    soft_404_probe: bool = True
    # Try https:// for an http:// link that works (verdict `insecure` when it does).
    check_https: bool = True
    # Timeouts, 5xx, resets and refusals are checked once more after this delay in the
    # same run; failing again confirms them (0 = only a second failing run confirms).
    confirm_delay_seconds: float = Field(default=30, ge=0, le=3600)
    # A timeout's recheck still to come when everything else is done is waited for only
    # while the stage would last at most (1 + this) times as long; later ones are left
    # to the next run, whose failure confirms (a large value: always confirm in the run).
    recheck_wait_share: float = Field(default=1.0, ge=0, le=1000, allow_inf_nan=False)
    # The nightly checks links while its crawl runs (links/early.py): those of services
    # already stored, and new ones as the crawl stores them; nothing is stored unless
    # the crawl is complete. Off: the link check starts when the crawl has ended.
    check_during_crawl: bool = True
    # A host failing this many times in a row, after being fine before, is paused and
    # its other links left unverified this run (0 = never pause).
    host_pause_after_failures: int = Field(default=5, ge=0, le=10_000)
    # A run whose failing share is this many times the previous run's (and at least
    # spike_min_increase higher) is treated as a network fault: failures stay unconfirmed.
    spike_ratio: float = Field(default=3.0, ge=1, le=1000)
    spike_min_increase: float = Field(default=0.10, ge=0, le=1)
    # Overall time limit of the link stage; links not checked by then stay unverified
    # and the stage is recorded incomplete (1 minute to 24 hours).
    max_stage_minutes: float = Field(default=240, ge=1, le=1440, allow_inf_nan=False)


class RuleSetting(_Section):
    enabled: bool = True
    severity: Severity | None = None


class ContentConfig(_Section):
    stale_after_days: int = Field(default=365, ge=1, le=36_500)
    archive_after_days: int = Field(default=730, ge=1, le=36_500)
    min_description_chars: int = Field(default=60, ge=0, le=100_000)
    # An event is "past" this many days after its last date (0 = the day after).
    past_event_grace_days: int = Field(default=0, ge=0, le=3650)
    # plain_english: reading age (Flesch-Kincaid grade + 5) above which a description is
    # reported, sentences longer than this many words, and descriptions shorter than
    # plain_english_min_words are not judged at all.
    reading_age_max: int = Field(default=14, ge=5, le=25)
    long_sentence_words: int = Field(default=40, ge=10, le=1000)
    plain_english_min_words: int = Field(default=40, ge=1, le=100_000)
    # near_duplicate: how alike (0-100, rapidfuzz token-sort ratio) names and descriptions must be.
    near_duplicate_name_similarity: float = Field(default=90, ge=50, le=100)
    near_duplicate_description_similarity: float = Field(default=80, ge=50, le=100)
    # Per-rule switches and severities, keyed by rule id (see `localoffer-audit rules`).
    rules: dict[str, RuleSetting] = Field(default_factory=dict)

    @field_validator("rules")
    @classmethod
    def _known_rule_ids(cls, value: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
        from localoffer_audit.catalogue import ALL_RULES, unknown_rule_ids

        unknown = unknown_rule_ids(list(value))
        if unknown:
            raise ValueError(
                f"unknown rule id(s) {', '.join(unknown)}; valid ids: {', '.join(sorted(ALL_RULES))}"
            )
        return value


class ManagersConfig(_Section):
    mapping_file: Path | None = None
    # Use the service's own contact email as its manager when the mapping has no row.
    fallback_to_service_email: bool = False
    default_owner_name: str = "Local Offer team"
    default_owner_email: str = "localoffer@example.invalid"


class EmailConfig(_Section):
    enabled: bool = False
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    # The password is never stored in the file: only the name of the variable holding it.
    password_env: str = "LOCALOFFER_AUDIT_SMTP_PASSWORD"
    from_address: str = "localoffer-audit@example.invalid"
    reply_to: str | None = None
    resend_after_days: int = Field(default=7, ge=0, le=365)
    pause_seconds: float = Field(default=1.0, ge=0, le=60)
    escalate_after_days: int = Field(default=28, ge=1, le=3650)
    send_all_clear: bool = False

    @model_validator(mode="before")
    @classmethod
    def _no_password_in_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise ValueError(
                "'password' must not be in the config file: put it in the environment "
                "variable named by password_env (default LOCALOFFER_AUDIT_SMTP_PASSWORD)"
            )
        return data

    @model_validator(mode="after")
    def _no_clear_text_login(self) -> EmailConfig:
        # A login over an unencrypted connection sends the password in clear text; only a
        # relay on this machine (loopback) is safe without TLS.
        if self.username and self.security == "none" and self.smtp_host not in ("localhost", "127.0.0.1", "::1"):
            raise ValueError(
                f"security = 'none' with a username would send the password in clear text to {self.smtp_host}; "
                "use 'starttls' or 'ssl'"
            )
        return self

    def password(self) -> str | None:
        return os.environ.get(self.password_env) or None


class OutputConfig(_Section):
    folder: Path = Path("output")


class DatabaseConfig(_Section):
    path: Path = Path("localoffer-audit.db")


class NightlyConfig(_Section):
    # `nightly` exits 2 when a run opens new findings at or above this severity.
    alert_severity: Severity = Severity.HIGH
    log_file: Path | None = None


class Config(_Section):
    directory: DirectoryConfig
    crawl: CrawlConfig = Field(default_factory=CrawlConfig)
    links: LinksConfig = Field(default_factory=LinksConfig)
    content: ContentConfig = Field(default_factory=ContentConfig)
    managers: ManagersConfig = Field(default_factory=ManagersConfig)
    email: EmailConfig = Field(default_factory=EmailConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    nightly: NightlyConfig = Field(default_factory=NightlyConfig)
    # Where the file was read from; relative paths were resolved against its folder.
    source: Path | None = Field(default=None, exclude=True)


def find_config_path(explicit: Path | None) -> Path:
    """The config path to use: --config, then the environment variable, then the default."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get(CONFIG_ENV_VAR)
    if from_env:
        return Path(from_env)
    return Path(DEFAULT_CONFIG_NAME)


def load_config(path: Path) -> Config:
    """Read and validate a config file; raise ConfigError saying what to fix."""
    if not path.exists():
        raise ConfigError(
            f"No configuration file at {path}: run `localoffer-audit init` to write a starter one, "
            f"or point --config / ${CONFIG_ENV_VAR} at yours"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return config_from_dict(data, source=path)


def config_from_dict(data: dict[str, Any], source: Path | None = None) -> Config:
    """Validate a parsed TOML document (tests and the demo build configs this way)."""
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        where = f"{source}: " if source else ""
        # The error quotes the bad value: a password in a URL must not reach the terminal or log.
        raise ConfigError(mask_credentials(where + describe_validation_error(exc))) from exc
    if source is not None:
        config.source = source
        _resolve_paths(config, source.parent)
    _check_input_files(config, f"{source}: " if source else "")
    return config


def _check_input_files(config: Config, where: str) -> None:
    """Files the config points at must exist now, not fail mid-run with a traceback."""
    for key, path in (("links.hosts_file", config.links.hosts_file), ("links.ca_file", config.links.ca_file)):
        if path is not None and not path.is_file():
            raise ConfigError(f"{where}{key}: no file at {path}; fix the path or remove the key")


def _resolve_paths(config: Config, base: Path) -> None:
    def resolve(path: Path) -> Path:
        return path if path.is_absolute() else base / path

    config.database.path = resolve(config.database.path)
    config.output.folder = resolve(config.output.folder)
    if config.managers.mapping_file is not None:
        config.managers.mapping_file = resolve(config.managers.mapping_file)
    if config.nightly.log_file is not None:
        config.nightly.log_file = resolve(config.nightly.log_file)
    if config.links.hosts_file is not None:
        config.links.hosts_file = resolve(config.links.hosts_file)
    if config.links.ca_file is not None:
        config.links.ca_file = resolve(config.links.ca_file)


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, naming the key as written in the TOML file."""
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        if error["type"] == "extra_forbidden":
            section, _, name = key.rpartition(".")
            allowed = _allowed_keys(section)
            where = f"[{section}]" if section else "the top level"
            problems.append(f"unknown key '{name}' in {where}; allowed keys: {', '.join(allowed)}")
        elif error["type"] == "missing":
            problems.append(f"{key}: required but missing")
        else:
            message = error["msg"].removeprefix("Value error, ")
            shown = error.get("input")
            got = f" (got {shown!r})" if shown is not None and not isinstance(shown, dict) else ""
            problems.append(f"{key}: {message}{got}{_allowed_range(error['loc'])}")
    return "; ".join(problems)


def _allowed_range(loc: tuple[Any, ...]) -> str:
    """'; allowed range: 0 < x <= 900' for a number key with bounds, else ''."""
    model: type[BaseModel] = Config
    info = None
    for part in loc:
        fields = model.model_fields
        if not isinstance(part, str) or part not in fields:
            return ""
        info = fields[part]
        candidates = [info.annotation, *getattr(info.annotation, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if nested:
            model = nested[0]
    if info is None:
        return ""
    bounds = {name: getattr(m, name) for m in info.metadata for name in ("ge", "gt", "le", "lt") if hasattr(m, name)}
    if not bounds:
        return ""
    low = f"{bounds['ge']} <= " if "ge" in bounds else f"{bounds['gt']} < " if "gt" in bounds else ""
    high = f" <= {bounds['le']}" if "le" in bounds else f" < {bounds['lt']}" if "lt" in bounds else ""
    return f"; allowed range: {low}value{high}"


def key_bounds(section: type[BaseModel], key: str) -> tuple[Any, Any]:
    """The (lowest, highest) value a number key allows, inclusive; None where unbounded.

    A command option that overrides the key (``check --concurrency``) takes the same
    limits from here rather than writing them again."""
    bounds = {
        name: getattr(m, name)
        for m in section.model_fields[key].metadata
        for name in ("ge", "le")
        if getattr(m, name, None) is not None
    }
    return bounds.get("ge"), bounds.get("le")


def _allowed_keys(section: str) -> list[str]:
    model: type[BaseModel] = Config
    for part in [p for p in section.split(".") if p]:
        annotation = model.model_fields[part].annotation if part in model.model_fields else None
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return [name for name, info in model.model_fields.items() if not info.exclude]
