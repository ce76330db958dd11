"""The one Jinja2 environment every HTML, text and email output is rendered through.

HTML autoescaping is always on: service names, descriptions and URLs come from pages we
do not control. A council may override any template by putting a file of the same name
in a folder of its own (``template_dir``), which is searched first.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, select_autoescape

from localoffer_audit import __version__


def _format_date(value: date | datetime | str | None, fmt: str = "%-d %B %Y") -> str:
    """Dates as a British reader expects them: 3 March 2023."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            when: date | datetime = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        when = value
    return when.strftime(fmt)


@lru_cache(maxsize=8)
def environment(template_dir: Path | None = None) -> Environment:
    loaders: list[Any] = []
    if template_dir is not None:
        loaders.append(FileSystemLoader(str(template_dir)))
    loaders.append(PackageLoader("localoffer_audit.reports", "."))
    env = Environment(
        loader=ChoiceLoader(loaders),
        # .txt and .eml.txt templates (plain-text email parts) are not escaped; all HTML is.
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ukdate"] = _format_date
    env.globals["version"] = __version__
    return env


def render(template_name: str, *, template_dir: Path | None = None, **context: Any) -> str:
    context.setdefault("generated_at", None)
    return environment(template_dir).get_template(template_name).render(**context)
