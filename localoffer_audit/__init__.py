"""localoffer-audit: a link and content auditor for a council's SEND Local Offer directory."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("localoffer-audit")
except PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0.0.0"
