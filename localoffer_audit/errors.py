"""Domain errors. The CLI turns each into a one-line message and exit code 1."""


class AuditError(Exception):
    """Base class: something the user can fix, with a message saying how."""


class ConfigError(AuditError):
    """The configuration file is missing, not TOML, or holds a bad value."""


class StoreError(AuditError):
    """The database cannot be opened or is not a localoffer-audit database."""


class LockedError(AuditError):
    """Another run holds the lock on this database."""
