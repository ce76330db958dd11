"""Credentials never leave the process: user names and passwords inside URLs are masked.

A URL such as ``https://user:secret@host/path`` carries its password in clear text. Every
place that writes text out (the log handlers, the runs table, report.html) passes it
through :func:`mask_credentials`, which keeps the URL readable and drops the secret:
``https://***@host/path``. A start URL with credentials is refused by the config (the
crawl takes a login from ``[directory] http_username`` and the environment instead).
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "***"

# scheme://userinfo@ — userinfo is everything up to the last '@' before the host, with no
# '/', '?', '#' or white space in it (RFC 3986 authority). '%40' stays inside userinfo.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#\s\"'<>]+)@")


def mask_credentials(text: str) -> str:
    """``text`` with the user name and password of every URL in it replaced by ``***``."""
    if "@" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)


def has_credentials(url: str) -> bool:
    return mask_credentials(url) != url


def mask_value(value: Any) -> Any:
    """Masked copy of a JSON-like value (str, list, dict), for what is stored in the database."""
    if isinstance(value, str):
        return mask_credentials(value)
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    return value


class CredentialMaskingFilter(logging.Filter):
    """A handler filter: the formatted message (and any traceback) has credentials masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_credentials(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_credentials(record.exc_text)
        return True
