"""Jinja2 templates for reports and emails (installed as ``localoffer_audit.reports``).
Partials start with ``_``. Rendered only through ``localoffer_audit.templates``."""
