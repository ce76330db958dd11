"""Whether the optional 'national' extra (procrastinate, psycopg) is installed."""

from __future__ import annotations

import importlib.util

from localoffer_audit.errors import AuditError

INSTALL_HINT = "pip install -e '.[national]'"


class ExtraMissingError(AuditError):
    """procrastinate or psycopg is not installed."""


def missing_packages() -> list[str]:
    return [name for name in ("procrastinate", "psycopg") if importlib.util.find_spec(name) is None]


def require_extra() -> None:
    """Raise one line naming the install command when the extra is not installed."""
    missing = missing_packages()
    if missing:
        raise ExtraMissingError(
            f"the national audit needs the 'national' extra ({', '.join(missing)} not installed): {INSTALL_HINT}"
        )
